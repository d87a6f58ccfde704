/*
 * buf.h - a growable byte buffer: what renderers write into.
 */
#ifndef PROVFS_BUF_H
#define PROVFS_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int oom; /* sticky: set by the first failed allocation; appends become no-ops */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);

/* Makes room for n more bytes; returns a pointer to them or NULL (and sets oom). */
uint8_t *buf_reserve(struct buf *b, size_t n);

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 0, or -ENOMEM if any append failed since init/reset. */
int buf_status(const struct buf *b);

#endif
