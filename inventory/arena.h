/*
 * arena.h - bump allocator for data that lives and dies together.
 *
 * An inventory generation is immutable once built, so every string and node it owns is
 * allocated from one arena and released with a single arena_free(). No per-object free,
 * no fragmentation, and building 100,000 devices costs a few large mallocs.
 */
#ifndef PROVFS_ARENA_H
#define PROVFS_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t bytes; /* total bytes handed out, for accounting */
};

void arena_init(struct arena *a);
void arena_free(struct arena *a);

/* Returns zeroed, max_align_t-aligned memory, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);

/*
 * Zeroed memory aligned to `align` (a power of two up to alignof(max_align_t)): many small
 * nodes of one size (the YAML reader's) waste nothing to max_align_t padding.
 */
void *arena_alloc_align(struct arena *a, size_t size, size_t align);

/* Unaligned allocation for byte strings (no zeroing). */
void *arena_alloc_bytes(struct arena *a, size_t size);

/* Copies len bytes and appends a NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);

/* printf into the arena; NULL on error. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
