/*
 * cache.h - rendered files of one generation, keyed by inode.
 *
 * LOOKUP must report the exact size before anyone reads (servers take st_size from fstat),
 * so a file is rendered, and encrypted, on its first lookup and kept for the life of its
 * generation: every later lookup, getattr and read of it is a hash hit, and all readers of
 * one generation see the same bytes.
 */
#ifndef PROVFS_CACHE_H
#define PROVFS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "backend/files.h"
#include "backend/tree.h"

struct content {
	size_t len;
	uint8_t data[];
};

struct cache;

struct cache *cache_new(const struct tree *t);
void cache_free(struct cache *c);

/*
 * The bytes of ref, rendered on first use. The pointer stays valid for the cache's life.
 * Returns 0, -ENOENT, -ENOMEM or -EIO.
 */
int cache_get(struct cache *c, const struct tree *t, const struct file_ref *ref,
              const struct content **out);

#endif
