/*
 * diag.h - the list of problems found in an inventory, each as "FILE:LINE:COL: message".
 *
 * Loading and validation never stop at the first problem: an administrator fixing a file
 * wants every error of a run at once. The list is capped so a hostile file cannot make
 * it grow without bound; past the cap one final "too many errors" line is kept.
 *
 * No secret in any message (the list goes to `provctl check` and to the daemon's log):
 * - A message never quotes a value: a password glued to its key, a file that is no inventory
 *   at all (a *.yaml link to /etc/shadow) or a reference to a model or group can all carry
 *   one. FILE:LINE:COL points the administrator at the value instead.
 * - A key is quoted only through diag_key(), as a short excerpt (rule there).
 * - Every message is one line: diag_vadd() escapes what the format put in (file names come
 *   from a directory listing and may hold anything), see diag_escape().
 */
#ifndef PROVFS_DIAG_H
#define PROVFS_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define DIAG_MAX 200

struct diag {
	char **msgs;
	size_t n;
	size_t cap;
	int truncated;
	int oom;
	/*
	 * The secrets file the load named (malloc'd; NULL: none), kept even when the load
	 * failed: the reloader watches it, so that fixing it (a chmod) reloads.
	 */
	char *secrets_path;
};

void diag_init(struct diag *d);
void diag_free(struct diag *d);

/* Adds "FILE:LINE:COL: message". line/col are 1-based; 0 prints as 0. */
void diag_add(struct diag *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void diag_vadd(struct diag *d, const char *file, unsigned line, unsigned col, const char *fmt,
               va_list ap) __attribute__((format(printf, 5, 0)));

/*
 * diag_key - the excerpt of an untrusted key that a message may quote.
 *
 * The rule: the longest prefix of `key` made of name characters (A-Z a-z 0-9 . _ - /, what
 * every key, parameter name and model or group name of the schema is made of), and at most
 * DIAG_KEY_MAX bytes of it; "..." follows when anything of the key was left off. So the cut
 * falls before the first character that cannot belong to a name: ':' '=' a space, a quote, a
 * control character, any byte outside ASCII. `password:Secr3t` (a missing space) shows as
 * `password...`, never anything after the colon; a key with a line break shows what comes
 * before it; a key of 200 letters shows 32. The excerpt itself never holds a byte that needs
 * escaping. Returns out.
 */
#define DIAG_KEY_MAX  32
#define DIAG_KEY_SIZE (DIAG_KEY_MAX + sizeof("..."))

const char *diag_key(char out[DIAG_KEY_SIZE], const char *key);

/*
 * Copies s to out (size bytes, NUL included) with every byte outside printable ASCII as
 * \n, \r, \t or \xNN, so the result is one line that still says which bytes were there.
 * A backslash stays as it is: escaping is then idempotent, and the daemon's logger can escape
 * again what an inventory message escaped already without doubling anything. Output that
 * does not fit is cut before a whole escape. Returns the length written. A size of
 * 4 * strlen(s) + 1 always fits.
 */
size_t diag_escape(char *out, size_t size, const char *s);

/*
 * diag_quote - what a message may echo of text a user typed (a command-line argument, an
 * option value, a path): escaped as diag_escape() does, so one message stays one line and
 * no escape sequence reaches a terminal, and cut at DIAG_QUOTE_MAX bytes with "..." after.
 * For names that may hold anything but are no secret; a key or a value of an inventory
 * goes through diag_key() instead. Returns out.
 */
#define DIAG_QUOTE_MAX  200
#define DIAG_QUOTE_SIZE (DIAG_QUOTE_MAX + sizeof("..."))

const char *diag_quote(char out[DIAG_QUOTE_SIZE], const char *s);

/* Number of problems recorded (including the truncation marker). */
size_t diag_count(const struct diag *d);

/* Prints one message a line. */
void diag_print(const struct diag *d, FILE *out);

/*
 * What a file that is not a regular one is ("a FIFO", "a symbolic link", "a device node", ...),
 * for messages about inventory and firmware files.
 */
const char *diag_file_type(mode_t mode);

#endif
