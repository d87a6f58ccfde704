/*
 * secret_name.h - whether a parameter's documented name says it holds a credential (issue 10
 * point 7: "any parameter whose documented name says password, PIN, secret or key").
 */
#ifndef PROVFS_SECRET_NAME_H
#define PROVFS_SECRET_NAME_H

#include <stdbool.h>

/*
 * True when one word of name is PASS, PASSWORD, PASSWD, PWD, PASSPHRASE, PIN, SECRET or KEY,
 * in any letter case. Words end at every character outside [A-Za-z0-9] and where a lower-case
 * letter meets an upper-case one (v2 names: "filePassword"), and lose trailing digits
 * ("CFG_FILE_KEY2"). Whole words only, so PING, PINK, KEYPAD and SPINNER are not secrets.
 * With fused, a word that merely ends in PASS, PASSWORD, PASSWD or PWD counts too
 * ("ADMINPASS"), for vendors where over-marking costs nothing.
 */
bool secret_name(const char *name, bool fused);

#endif
