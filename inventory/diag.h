/*
 * diag.h - the list of problems found in an inventory, each as "FILE:LINE:COL: message".
 *
 * Loading and validation never stop at the first problem: an administrator fixing a file
 * wants every error of a run at once. The list is capped so a hostile file cannot make
 * it grow without bound; past the cap one final "too many errors" line is kept.
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
};

void diag_init(struct diag *d);
void diag_free(struct diag *d);

/* Adds "FILE:LINE:COL: message". line/col are 1-based; 0 prints as 0. */
void diag_add(struct diag *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void diag_vadd(struct diag *d, const char *file, unsigned line, unsigned col, const char *fmt,
               va_list ap) __attribute__((format(printf, 5, 0)));

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
