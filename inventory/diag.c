/*
 * diag.c - bounded list of located error messages.
 */
#include "inventory/diag.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

static int diag_push(struct diag *d, char *msg)
{
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		char **m = realloc(d->msgs, ncap * sizeof(*m));

		if (m == NULL) {
			free(msg);
			d->oom = 1;
			return -1;
		}
		d->msgs = m;
		d->cap = ncap;
	}
	d->msgs[d->n++] = msg;
	return 0;
}

void diag_vadd(struct diag *d, const char *file, unsigned line, unsigned col, const char *fmt,
               va_list ap)
{
	char body[1024];
	char *msg;
	int n;

	if (d->truncated)
		return;
	if (d->n >= DIAG_MAX) {
		d->truncated = 1;
		if (asprintf(&msg, "%s:%u:%u: too many errors, stopping here", file, line, col) >=
		    0)
			diag_push(d, msg);
		return;
	}
	vsnprintf(body, sizeof(body), fmt, ap);
	n = asprintf(&msg, "%s:%u:%u: %s", file, line, col, body);
	if (n < 0) {
		d->oom = 1;
		return;
	}
	diag_push(d, msg);
}

void diag_add(struct diag *d, const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
}

size_t diag_count(const struct diag *d)
{
	return d->n + (size_t)(d->oom && d->n == 0);
}

void diag_print(const struct diag *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s\n", d->msgs[i]);
	if (d->oom)
		fprintf(out, "provfs: out of memory while recording errors\n");
}

const char *diag_file_type(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device node";
	if (S_ISREG(mode))
		return "a regular file";
	return "of an unknown type";
}
