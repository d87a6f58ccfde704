/*
 * cache.h - the files of one generation as the kernel knows them, keyed by inode number.
 *
 * LOOKUP must report the exact size before anyone reads (servers take st_size from fstat),
 * so a file is rendered, and encrypted, on its first lookup. Its entry (node id, size, mtime,
 * digest) is kept for the life of its generation: every later lookup, getattr and open of it is
 * a hash hit. Its bytes are kept too while the generation's budget allows (retained); beyond
 * it, and after a drop, they are rendered again when a reader needs them.
 *
 * Memory. At 100,000 devices the rendered bytes (125 MiB) would outweigh the model (80 MiB), and
 * a reload used to hold them twice: the old generation's and the copy the new one rendered to
 * compare. Now:
 *   - Bytes (struct content) are reference-counted. A reader takes a reference at its first
 *     read the kernel's page cache did not answer (fs/ops.c) and keeps it until release, so
 *     what a reader holds never depends on the cache keeping its copy.
 *   - A generation retains at most its budget (-o retain=MiB, CACHE_RETAIN_DEFAULT), first
 *     rendered first kept. Bytes rendered beyond it go to the reader who asked, and are freed
 *     with its last reference. With the kernel's page cache in front (keep_cache), a file is
 *     rendered again only when its pages were evicted, or for every fetch with audit=exact.
 *   - A reload first drops the current generation's retained bytes (cache_drop; readers keep
 *     theirs) and retains nothing more in it; only then it parses the new inventory. The new
 *     generation's files are rendered one by one (on two threads) and compared through their
 *     digests, so the old bytes are not needed; the new cache retains them within half its
 *     budget (two models are alive at that moment), and the first reads fill the rest.
 *     A reload that fails makes the current generation retain again (cache_keep).
 * Bytes rendered again must be the ones the size and digest were given for: they are
 * checked, and bytes that differ are never served (EIO). Rendering is deterministic, so only a
 * key replaced under a generation (provctl rekey, a key file restored or removed, picked up at
 * the start of a reload) can cause it, for that device's encrypted files, in the old
 * generation, until the new one is live.
 *
 * Digests. SHA-256 of the bytes, truncated to 16 bytes: "same digest and size" stands for
 * "same bytes" when a reload compares a file's old and new rendering. A false "same" would
 * keep a node id over other bytes; by accident that is a 2^-128 event per file and reload.
 * Forging one needs two renderings of one file, both from inventories the forger writes, with
 * colliding digests (2^64 work for a truncated SHA-256), and whoever writes the inventory
 * decides the bytes anyway. 16 bytes rather than 32 save 3 MiB at 200,000 files.
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
 * know: LOOKUP renders) into the new one, comparing digests (cache_carry).
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

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "backend/files.h"
#include "backend/tree.h"

/* Bytes of SHA-256 a file's digest keeps ("Digests" above). */
#define CACHE_DIGEST_LEN 16

/*
 * Retained bytes per generation when the mount does not say (-o retain=MiB). A build may set
 * another (-DCACHE_RETAIN_DEFAULT=0 runs the integration tests with every read rendered again).
 */
#ifndef CACHE_RETAIN_DEFAULT
#define CACHE_RETAIN_DEFAULT ((size_t)64 << 20)
#endif

/* Rendered bytes, shared by the cache that retains them and every reader that holds them. */
struct content {
	atomic_uint refs;
	uint32_t len;
	uint8_t data[];
};

/* Drops a reference to c (NULL: nothing); the last one wipes the bytes and frees them. */
void content_put(struct content *c);

/* One file as the kernel sees it. Immutable once in a cache. */
struct cached_file {
	uint64_t nodeid; /* inode number | version << FILE_INO_BITS */
	uint64_t size;
	time_t mtime;                     /* T_g of the generation these bytes appeared in */
	uint8_t digest[CACHE_DIGEST_LEN]; /* of the bytes; zero for passthrough (firmware) */
};

#define CACHE_INO_MASK ((UINT64_C(1) << FILE_INO_BITS) - 1)

/*
 * An empty cache for generation number `generation` of tree t, with the wall clock as its time
 * (cache_carry raises it above the previous generation's), retaining at most `retain` bytes of
 * rendered files. NULL on ENOMEM.
 */
struct cache *cache_new(const struct tree *t, uint64_t generation, size_t retain);
void cache_free(struct cache *c);

/* The generation's time T_g: the mtime of files first rendered in it, and of the directory. */
time_t cache_mtime(const struct cache *c);

/*
 * The file ref of tree t: its size, mtime, node id and digest, rendered (or measured) on first
 * use; the bytes are retained if the budget allows. The pointer stays valid for the cache's
 * life. Returns 0, -ENOENT, -ENOMEM or -EIO.
 */
int cache_get(struct cache *c, const struct tree *t, const struct file_ref *ref,
              const struct cached_file **out);

/*
 * The bytes of cf (from cache_get on c, for ref of t), with a reference for the caller to put:
 * the retained ones, or rendered again, checked against cf's size and digest, and retained if
 * the budget allows. Returns 0, -EINVAL (a passthrough file), -ENOMEM, or -EIO when the bytes
 * cannot be made, or no longer are cf's (a reload in progress replaced the device's key).
 */
int cache_content(struct cache *c, const struct tree *t, const struct file_ref *ref,
                  const struct cached_file *cf, struct content **out);

/* The node id the file with inode number ino has, or will have when first rendered. */
uint64_t cache_nodeid(struct cache *c, uint64_t ino);

/* The file with inode number ino if it was rendered, else NULL. Never renders. */
const struct cached_file *cache_peek(struct cache *c, uint64_t ino);

/*
 * Lets go of every retained byte (readers keep what they hold) and retains nothing more, until
 * cache_keep: a reload does this first, so that the old generation's bytes are not held while
 * the new one is built. Returns how many bytes were let go.
 */
size_t cache_drop(struct cache *c);

/* Retains again (a reload that failed): bytes come back as they are rendered. */
void cache_keep(struct cache *c);

/* Bytes retained now, of the budget. */
size_t cache_retained(const struct cache *c);

/*
 * Fills next (of tree nt, not yet visible to readers) with every file prev (of tree pt) holds
 * that nt still has, each keeping its version and mtime when its bytes are equal (same size
 * and digest), and taking a new version and next's time when not. Each file is rendered in
 * nt; its bytes are retained in next within half its budget (both models are alive during a
 * reload; readers fill the rest). First makes next's time later than
 * prev's. A file that cannot be made now (its device's key file cannot be read) is left out
 * and counts as changed: one device must not hold back every other's reload. Renders on two
 * threads. Returns how many files' bytes changed, or -ENOMEM.
 */
int cache_carry(struct cache *next, const struct tree *nt, struct cache *prev,
                const struct tree *pt);

#endif
