/*
 * arena.c - bump allocator: chunks of at least 64 KiB, oversized requests get their own chunk.
 */
#include "inventory/arena.h"

#include <stdarg.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN ((size_t)64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->bytes = 0;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c != NULL) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->bytes = 0;
}

static size_t align_to(size_t n, size_t al)
{
	return (n + al - 1) & ~(al - 1);
}

static size_t align_up(size_t n)
{
	return align_to(n, alignof(max_align_t));
}

static void *arena_take(struct arena *a, size_t need)
{
	struct arena_chunk *c = a->head;

	if (c == NULL || c->size - c->used < need) {
		size_t csize = need > CHUNK_MIN ? need : CHUNK_MIN;

		if (csize > SIZE_MAX - sizeof(*c))
			return NULL;
		c = malloc(sizeof(*c) + csize);
		if (c == NULL)
			return NULL;
		c->size = csize;
		c->used = 0;
		/* A big one-off chunk goes behind the head so the head keeps its free space. */
		if (a->head != NULL && csize == need && a->head->size - a->head->used > 0) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->data + c->used;
	c->used += need;
	a->bytes += need;
	return p;
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size_t need = align_up(size ? size : 1);
	void *p;

	if (need < size)
		return NULL;
	/* Keep the head aligned: a previous byte allocation may have left it unaligned. */
	if (c != NULL)
		c->used = align_up(c->used) < c->size ? align_up(c->used) : c->size;
	p = arena_take(a, need);
	if (p != NULL)
		memset(p, 0, need);
	return p;
}

void *arena_alloc_align(struct arena *a, size_t size, size_t align)
{
	struct arena_chunk *c = a->head;
	size_t need = align_to(size ? size : 1, align);
	void *p;

	if (need < size || align == 0 || (align & (align - 1)) != 0 || align > alignof(max_align_t))
		return NULL;
	/* chunks start max_align_t-aligned: aligning the offset aligns the address */
	if (c != NULL)
		c->used = align_to(c->used, align) < c->size ? align_to(c->used, align) : c->size;
	p = arena_take(a, need);
	if (p != NULL)
		memset(p, 0, need);
	return p;
}

void *arena_alloc_bytes(struct arena *a, size_t size)
{
	return arena_take(a, size ? size : 1);
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = arena_alloc_bytes(a, len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc_bytes(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
