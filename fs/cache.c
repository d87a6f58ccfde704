/*
 * cache.c - a fixed-size chained hash of a generation's files with striped locks.
 *
 * The table is sized from the inventory when the generation is built and never resized;
 * entries are immutable once inserted and only freed with the cache, so a bucket's chain can
 * be walked outside its lock once its head was read under it. Rendering happens outside the
 * lock: two threads may render the same file at once, the first insert wins and the other
 * copy is dropped, which is harmless because rendering is deterministic.
 */
#include "fs/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The wall clock a generation's time starts from; the unit test drives its own. */
#ifndef CACHE_NOW
#define CACHE_NOW() time(NULL)
#endif

#define STRIPES       64
#define VERSION_SHIFT FILE_INO_BITS
#define VERSION_MASK  UINT64_C(0xFFF)

struct entry {
	uint64_t ino;
	struct cached_file file;
	struct entry *next;
};

struct cache {
	struct entry **buckets;
	uint64_t mask;
	uint64_t stamp; /* version of files first rendered in this generation */
	time_t mtime;   /* T_g: their mtime (cache.h, "Mtimes") */
	pthread_mutex_t locks[STRIPES];
};

struct cache *cache_new(const struct tree *t, uint64_t generation)
{
	struct cache *c = calloc(1, sizeof(*c));
	uint64_t size = 1024;

	if (c == NULL)
		return NULL;
	while (size < 2 * (uint64_t)t->inv->ndevices)
		size *= 2;
	c->buckets = calloc(size, sizeof(*c->buckets));
	if (c->buckets == NULL) {
		free(c);
		return NULL;
	}
	c->mask = size - 1;
	c->stamp = generation & VERSION_MASK;
	c->mtime = CACHE_NOW();
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	return c;
}

time_t cache_mtime(const struct cache *c)
{
	return c->mtime;
}

static void free_entry(struct entry *e)
{
	struct content *content = (struct content *)e->file.content;

	/* device files may hold secrets in clear (plain XML): wipe before free */
	if (content != NULL) {
		explicit_bzero(content->data, content->len);
		free(content);
	}
	free(e);
}

void cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	for (uint64_t b = 0; b <= c->mask; b++) {
		struct entry *e = c->buckets[b];

		while (e != NULL) {
			struct entry *next = e->next;

			free_entry(e);
			e = next;
		}
	}
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->locks[i]);
	free(c->buckets);
	free(c);
}

static uint64_t bucket_of(const struct cache *c, uint64_t ino)
{
	return ((ino * 0x9E3779B97F4A7C15ull) >> 17) & c->mask;
}

static pthread_mutex_t *lock_of(struct cache *c, uint64_t b)
{
	return &c->locks[b % STRIPES];
}

static struct entry *find(const struct cache *c, uint64_t b, uint64_t ino)
{
	for (struct entry *e = c->buckets[b]; e != NULL; e = e->next)
		if (e->ino == ino)
			return e;
	return NULL;
}

/* The entry for ino, under its lock, or NULL. */
static struct entry *lookup(struct cache *c, uint64_t ino)
{
	uint64_t b = bucket_of(c, ino);
	struct entry *e;

	pthread_mutex_lock(lock_of(c, b));
	e = find(c, b, ino);
	pthread_mutex_unlock(lock_of(c, b));
	return e;
}

/* A new entry for ref, rendered or measured; its node id and mtime are the caller's to set. */
static int make_entry(const struct tree *t, const struct file_ref *ref, struct entry **out)
{
	struct content *content;
	struct entry *e;
	struct buf b;
	int r;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->ino = file_ino(t, ref);
	if (file_is_passthrough(ref)) {
		e->file.size = file_source_size(ref);
		*out = e;
		return 0;
	}
	buf_init(&b);
	r = file_render(t, ref, false, &b);
	content = r != 0 ? NULL : malloc(sizeof(*content) + b.len);
	if (r == 0 && content == NULL)
		r = -ENOMEM;
	if (r == 0) {
		content->len = b.len;
		if (b.len > 0)
			memcpy(content->data, b.data, b.len);
		e->file.content = content;
		e->file.size = b.len;
		*out = e;
	}
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	if (r == 0)
		return 0;
	free(e);
	return r < 0 ? r : -EIO;
}

/* Inserts e unless its inode is there already; returns the entry that is in the cache. */
static struct entry *insert(struct cache *c, struct entry *e)
{
	uint64_t b = bucket_of(c, e->ino);
	struct entry *had;

	pthread_mutex_lock(lock_of(c, b));
	had = find(c, b, e->ino);
	if (had == NULL) {
		e->next = c->buckets[b];
		c->buckets[b] = e;
	}
	pthread_mutex_unlock(lock_of(c, b));
	if (had == NULL)
		return e;
	free_entry(e);
	return had;
}

int cache_get(struct cache *c, const struct tree *t, const struct file_ref *ref,
              const struct cached_file **out)
{
	struct entry *e = lookup(c, file_ino(t, ref));

	if (e == NULL) {
		int r = make_entry(t, ref, &e);

		if (r < 0)
			return r;
		e->file.nodeid = e->ino | c->stamp << VERSION_SHIFT;
		e->file.mtime = c->mtime;
		e = insert(c, e);
	}
	*out = &e->file;
	return 0;
}

uint64_t cache_nodeid(struct cache *c, uint64_t ino)
{
	const struct entry *e = lookup(c, ino);

	return e != NULL ? e->file.nodeid : ino | c->stamp << VERSION_SHIFT;
}

const struct cached_file *cache_peek(struct cache *c, uint64_t ino)
{
	const struct entry *e = lookup(c, ino);

	return e != NULL ? &e->file : NULL;
}

static bool same_bytes(const struct cached_file *a, const struct cached_file *b)
{
	if (a->content == NULL || b->content == NULL)
		return false;
	return a->size == b->size && memcmp(a->content->data, b->content->data, a->size) == 0;
}

/* e of prev, again in next's tree: 1 if its bytes changed, 0 if not or if it is gone, -errno. */
static int carry_one(struct cache *next, const struct tree *nt, const struct entry *e,
                     const struct tree *pt)
{
	struct file_ref ref, old;
	struct entry *n;
	bool same;
	int r;

	if (file_from_ino(nt, e->ino, &ref) < 0)
		return 0; /* removed */
	r = make_entry(nt, &ref, &n);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 1; /* cannot be made now (its key file is unreadable): not carried, forgotten
		           */
	if (file_is_passthrough(&ref))
		same = file_from_ino(pt, e->ino, &old) == 0 && file_same_source(&old, &ref);
	else
		same = same_bytes(&e->file, &n->file);
	if (same) {
		n->file.nodeid = e->file.nodeid;
		n->file.mtime = e->file.mtime;
	} else {
		uint64_t version = next->stamp;

		if (version == e->file.nodeid >> VERSION_SHIFT) /* 4096 generations later */
			version = (version + 1) & VERSION_MASK;
		n->file.nodeid = e->ino | version << VERSION_SHIFT;
		n->file.mtime = next->mtime;
	}
	insert(next, n);
	return same ? 0 : 1;
}

int cache_carry(struct cache *next, const struct tree *nt, struct cache *prev,
                const struct tree *pt)
{
	int changed = 0;

	/* T_g > T_(g-1) even if the clock stepped back or this is the same second */
	if (next->mtime <= prev->mtime)
		next->mtime = prev->mtime + 1;
	for (uint64_t b = 0; b <= prev->mask; b++) {
		const struct entry *e;

		pthread_mutex_lock(lock_of(prev, b));
		e = prev->buckets[b];
		pthread_mutex_unlock(lock_of(prev, b));
		for (; e != NULL; e = e->next) {
			int r = carry_one(next, nt, e, pt);

			if (r < 0)
				return r;
			changed += r;
		}
	}
	return changed;
}
