/*
 * gen.h - generations: one loaded inventory plus the cache of its rendered files.
 *
 * The daemon holds exactly one pointer to the current generation. Every request takes a
 * reference for as long as it works, every open file keeps one until release, so a reload
 * can swap in a new generation at any moment: old readers finish on the bytes they
 * started with, new lookups see the new inventory, and the old generation is freed when
 * its last reference goes.
 */
#ifndef PROVFS_GEN_H
#define PROVFS_GEN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "backend/tree.h"

struct cache;

struct gen {
	atomic_uint refs;
	uint64_t number; /* 1, 2, ... in the order generations were built */
	struct tree *tree;
	struct cache *cache;
};

/*
 * A new generation owning the tree, retaining at most `retain` bytes of rendered files (its
 * cache); one reference, held by the caller. NULL on ENOMEM.
 */
struct gen *gen_new(struct tree *tree, uint64_t number, size_t retain);

/* The current generation with a new reference, or NULL before the first swap. */
struct gen *gen_acquire(void);

/* Drops a reference; the last one frees the generation. */
void gen_put(struct gen *g);

/* Makes next current (taking over the caller's reference); returns the previous one's
 * reference (or NULL) for the caller to put. */
struct gen *gen_swap(struct gen *next);

#endif
