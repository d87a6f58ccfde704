/*
 * cache.h - the files of one generation as the kernel knows them, keyed by inode number.
 *
 * LOOKUP must report the exact size before anyone reads (servers take st_size from fstat),
 * so a file is rendered, and encrypted, on its first lookup and kept for the life of its
 * generation: every later lookup, getattr and read of it is a hash hit, and all readers of
 * one generation see the same bytes.
 *
 * Versions. The kernel keeps one inode per node id, with one size and one page cache. Were a
 * reload to change a file's bytes under the same node id, a reader that opened it before the
 * reload would go on through pages and a size of the new generation: a mix, or a truncated
 * file. So a node id is the backend's inode number (files.h) with a 12-bit version of the
 * bytes above it. A reload that changes a file's bytes gives it a new version, hence a new
 * kernel inode for new readers, and the open readers keep the old inode whole. A file keeps
 * its version and mtime while its bytes stay the same, so the kernel's cache of unchanged
 * files survives a reload.
 *
 * A file first rendered in a generation takes that generation's number (mod 4096) as version;
 * a reload carries every file the old generation rendered (the only ones the kernel can
 * know: LOOKUP renders) into the new one, comparing bytes (cache_carry).
 *
 * Mtimes. nginx, lighttpd and apache answer If-Modified-Since from the mtime alone: were a
 * file's bytes to change under the same or an older mtime, they would answer 304 and the client
 * would keep stale bytes. So a file's mtime increases strictly whenever its bytes change, and
 * stays while they do not. The inventory's mtime cannot give that (it stays or goes back when
 * bytes change: a file removed from a directory inventory, cp -p, rsync -t, git checkout of older
 * content), and neither can the wall clock alone (it may step back; reloads come within one
 * second, and HTTP dates count seconds). The rule:
 *   - generation g has a time T_g = max(wall clock at cache_new, T_{g-1} + 1): strictly
 *     increasing from one generation to the next, whatever the clock does;
 *   - a file first rendered in g, and a file whose bytes changed across the reload into g, gets
 *     T_g; a file whose bytes are equal keeps its mtime.
 * So every mtime in generation g is at most T_g, and bytes new in g get a time later than any
 * mtime served before: also for a file removed and added again, or one the old generation
 * rendered while the reload ran. The root directory's mtime is T_g (cache_mtime). The price:
 * reloads faster than one a second run T ahead of the clock, a second per reload, until the
 * clock catches up. A restart starts again at the wall clock: every file gets the new mount's
 * time, later than anything served before (a 200 where a 304 could have been: safe), unless
 * the old mount had run ahead of the clock by more than the restart took.
 */
#ifndef PROVFS_CACHE_H
#define PROVFS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "backend/files.h"
#include "backend/tree.h"

struct content {
	size_t len;
	uint8_t data[];
};

/* One file as the kernel sees it. Immutable once in a cache. */
struct cached_file {
	uint64_t nodeid; /* inode number | version << FILE_INO_BITS */
	uint64_t size;
	time_t mtime;                  /* T_g of the generation these bytes appeared in */
	const struct content *content; /* rendered bytes; NULL for passthrough (firmware) */
};

#define CACHE_INO_MASK ((UINT64_C(1) << FILE_INO_BITS) - 1)

/*
 * An empty cache for generation number `generation` of tree t, with the wall clock as its time
 * (cache_carry raises it above the previous generation's). NULL on ENOMEM.
 */
struct cache *cache_new(const struct tree *t, uint64_t generation);
void cache_free(struct cache *c);

/* The generation's time T_g: the mtime of files first rendered in it, and of the directory. */
time_t cache_mtime(const struct cache *c);

/*
 * The file ref of tree t, rendered (or measured) on first use. The pointer stays valid for
 * the cache's life. Returns 0, -ENOENT, -ENOMEM or -EIO.
 */
int cache_get(struct cache *c, const struct tree *t, const struct file_ref *ref,
              const struct cached_file **out);

/* The node id the file with inode number ino has, or will have when first rendered. */
uint64_t cache_nodeid(struct cache *c, uint64_t ino);

/* The file with inode number ino if it was rendered, else NULL. Never renders. */
const struct cached_file *cache_peek(struct cache *c, uint64_t ino);

/*
 * Fills next (of tree nt, not yet visible to readers) with every file prev (of tree pt) holds
 * that nt still has, each keeping its version and mtime when its bytes are equal, and taking a
 * new version and next's time when not. First makes next's time later than prev's. A file that
 * cannot be made now (its device's key file cannot be read) is left out and counts as changed:
 * one device must not hold back every other's reload. Returns how many files' bytes changed,
 * or -ENOMEM.
 */
int cache_carry(struct cache *next, const struct tree *nt, struct cache *prev,
                const struct tree *pt);

#endif
