/*
 * diag.c - bounded list of located error messages, each one escaped line; the excerpt of
 * an untrusted key that a message may quote.
 */
#include "inventory/diag.h"

#include <stdbool.h>
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
	free(d->secrets_path);
	memset(d, 0, sizeof(*d));
}

static bool name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '/';
}

const char *diag_key(char out[DIAG_KEY_SIZE], const char *key)
{
	size_t n = 0;

	while (n < DIAG_KEY_MAX && name_char((unsigned char)key[n])) {
		out[n] = key[n];
		n++;
	}
	if (key[n] != '\0') {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* The escape of one byte into e (at most 4 bytes, no NUL); returns its length. */
static size_t escape_byte(unsigned char c, char e[4])
{
	static const char hex[] = "0123456789abcdef";

	e[0] = '\\';
	if (c == '\n')
		e[1] = 'n';
	else if (c == '\r')
		e[1] = 'r';
	else if (c == '\t')
		e[1] = 't';
	else if (c < 0x20 || c > 0x7e) {
		e[1] = 'x';
		e[2] = hex[c >> 4];
		e[3] = hex[c & 15];
		return 4;
	} else {
		e[0] = (char)c;
		return 1;
	}
	return 2;
}

size_t diag_escape(char *out, size_t size, const char *s)
{
	size_t n = 0;

	if (size == 0)
		return 0;
	for (; *s != '\0'; s++) {
		char e[4];
		size_t k = escape_byte((unsigned char)*s, e);

		if (n + k >= size)
			break;
		memcpy(out + n, e, k);
		n += k;
	}
	out[n] = '\0';
	return n;
}

const char *diag_quote(char out[DIAG_QUOTE_SIZE], const char *s)
{
	size_t n = diag_escape(out, DIAG_QUOTE_MAX + 1, s), all = 0;
	char e[4];

	for (const char *p = s; *p != '\0' && all <= n; p++)
		all += escape_byte((unsigned char)*p, e);
	if (all > n)
		memcpy(out + n, "...", sizeof("..."));
	return out;
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

/* Records "FILE:LINE:COL: body" as one line: whatever the file name or the body held. */
static void push_located(struct diag *d, const char *file, unsigned line, unsigned col,
                         const char *body)
{
	char *raw, *msg;
	size_t size;
	int n = asprintf(&raw, "%s:%u:%u: %s", file, line, col, body);

	if (n < 0) {
		d->oom = 1;
		return;
	}
	size = 4 * (size_t)n + 1;
	msg = malloc(size);
	if (msg != NULL) {
		diag_escape(msg, size, raw);
		diag_push(d, msg);
	} else {
		d->oom = 1;
	}
	free(raw);
}

void diag_vadd(struct diag *d, const char *file, unsigned line, unsigned col, const char *fmt,
               va_list ap)
{
	char body[1024];

	if (d->truncated)
		return;
	if (d->n >= DIAG_MAX) {
		d->truncated = 1;
		push_located(d, file, line, col, "too many errors, stopping here");
		return;
	}
	vsnprintf(body, sizeof(body), fmt, ap);
	push_located(d, file, line, col, body);
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
