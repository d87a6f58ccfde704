/*
 * buf.c - growable byte buffer with a sticky out-of-memory flag, so renderers can append
 * freely and check once at the end.
 */
#include "backend/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->oom = 0;
}

uint8_t *buf_reserve(struct buf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (n > SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		uint8_t *p;

		while (ncap < b->len + n)
			ncap *= 2;
		p = realloc(b->data, ncap);
		if (p == NULL) {
			b->oom = 1;
			return NULL;
		}
		b->data = p;
		b->cap = ncap;
	}
	return b->data + b->len;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	uint8_t *dst = buf_reserve(b, n);

	if (dst == NULL)
		return;
	if (n > 0)
		memcpy(dst, p, n);
	b->len += n;
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	uint8_t *dst;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	dst = buf_reserve(b, (size_t)n + 1);
	if (dst == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)dst, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

int buf_status(const struct buf *b)
{
	return b->oom ? -ENOMEM : 0;
}
