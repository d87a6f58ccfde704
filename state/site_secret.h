/*
 * site_secret.h - the site secret that per-device keys are derived from (state/derive.h):
 * the file named by the mount option key_secret=FILE and by provctl -k FILE.
 *
 * The file holds the secret itself, every byte of it counting (a trailing newline too): make
 * one with `head -c 32 /dev/urandom > FILE && chmod 600 FILE` and copy it as it is to every
 * replica. It is refused, in one line naming its path and never quoting its content, when it
 * is not a regular file (a symlink, a FIFO, a directory), when its mode is not 0600 or 0400,
 * when it belongs to another user than root, the user reading it or the owner of the state
 * directory (the rule of the inventory's secrets file, plus the state directory's owner, who
 * holds the keys anyway: with run_as the daemon reads it as that user, who must then own it,
 * and root's provctl reads the same file), when it is empty or holds fewer than
 * SITE_SECRET_MIN bytes, or more than SITE_SECRET_MAX.
 *
 * It is read once: the daemon at mount time, with the effective IDs it reads the inventory
 * with (run_as), before privileges are dropped for good. The bytes live in memory of their
 * own that no core dump holds (nodump_alloc) and are wiped when freed. Never logged.
 */
#ifndef PROVFS_SITE_SECRET_H
#define PROVFS_SITE_SECRET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "state/derive.h"

#define SITE_SECRET_MIN 32
#define SITE_SECRET_MAX 4096

struct site_secret {
	char *path; /* as given, for messages */
	uint8_t *bytes;
	size_t len;
	char fingerprint[DERIVE_FINGERPRINT_LEN + 1];
};

/*
 * Reads the secret file at path; state_owner (or (uid_t)-1) is the owner of the state
 * directory. Returns 0, or a negative errno with a one-line reason in why (what is wrong and
 * what to do; never a byte of the file).
 */
int site_secret_load(const char *path, uid_t state_owner, struct site_secret **out, char *why,
                     size_t whylen);

/* Wipes and frees. NULL is ignored. */
void site_secret_free(struct site_secret *s);

#endif
