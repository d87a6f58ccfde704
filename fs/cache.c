/*
 * cache.c - a fixed-size chained hash of a generation's files with striped locks.
 *
 * The table is sized from the inventory when the generation is built and never resized.
 * Entries come from slabs of the cache (no allocation of their own), their metadata is
 * immutable once inserted and they are only freed with the cache, so a bucket's chain can be
 * walked outside its lock once its head was read under it. An entry's content pointer is the
 * one mutable field: read, set and cleared only under its bucket's lock, and a reader takes its
 * reference under that lock, so a drop can never free bytes a reader is about to hold.
 *
 * Rendering happens outside the locks: two threads may render the same file at once, the first
 * insert wins and the other copy is dropped, which is harmless because rendering is
 * deterministic.
 */
#include "fs/cache.h"

#include <errno.h>
#include <openssl/evp.h>
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
#define SLAB_ENTRIES  1024

struct entry {
	struct entry *next;
	struct cached_file file;
	struct content *content; /* retained bytes, or NULL; under the bucket's lock */
};

struct slab {
	struct slab *next;
	uint32_t used;
	struct entry e[SLAB_ENTRIES];
};

struct cache {
	struct entry **buckets;
	uint64_t mask;
	uint64_t stamp; /* version of files first rendered in this generation */
	time_t mtime;   /* T_g: their mtime (cache.h, "Mtimes") */
	size_t budget;  /* bytes of content it may retain */
	atomic_size_t retained;
	atomic_bool retaining; /* false from cache_drop to cache_keep */
	pthread_mutex_t locks[STRIPES];
	pthread_mutex_t slab_lock;
	struct slab *slabs;
};

void content_put(struct content *c)
{
	if (c == NULL || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* device files may hold secrets in clear (plain XML, a key): wipe before free */
	explicit_bzero(c->data, c->len);
	free(c);
}

static size_t charge(const struct content *c)
{
	return sizeof(*c) + c->len;
}

struct cache *cache_new(const struct tree *t, uint64_t generation, size_t retain)
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
	c->budget = retain;
	atomic_init(&c->retained, 0);
	atomic_init(&c->retaining, true);
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	pthread_mutex_init(&c->slab_lock, NULL);
	return c;
}

time_t cache_mtime(const struct cache *c)
{
	return c->mtime;
}

void cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	for (uint64_t b = 0; b <= c->mask; b++)
		for (struct entry *e = c->buckets[b]; e != NULL; e = e->next)
			content_put(e->content);
	while (c->slabs != NULL) {
		struct slab *next = c->slabs->next;

		free(c->slabs);
		c->slabs = next;
	}
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->locks[i]);
	pthread_mutex_destroy(&c->slab_lock);
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
		if ((e->file.nodeid & CACHE_INO_MASK) == ino)
			return e;
	return NULL;
}

/* The entry for ino, or NULL. */
static struct entry *lookup(struct cache *c, uint64_t ino)
{
	uint64_t b = bucket_of(c, ino);
	struct entry *e;

	pthread_mutex_lock(lock_of(c, b));
	e = find(c, b, ino);
	pthread_mutex_unlock(lock_of(c, b));
	return e;
}

static struct entry *entry_of(const struct cached_file *cf)
{
	return (struct entry *)(void *)((char *)(uintptr_t)cf - offsetof(struct entry, file));
}

static struct entry *slab_entry(struct cache *c)
{
	struct entry *e = NULL;

	pthread_mutex_lock(&c->slab_lock);
	if (c->slabs == NULL || c->slabs->used == SLAB_ENTRIES) {
		struct slab *s = malloc(sizeof(*s));

		if (s != NULL) {
			s->used = 0;
			s->next = c->slabs;
			c->slabs = s;
		}
	}
	if (c->slabs != NULL && c->slabs->used < SLAB_ENTRIES)
		e = &c->slabs->e[c->slabs->used++];
	pthread_mutex_unlock(&c->slab_lock);
	return e;
}

static void digest_of(const uint8_t *data, size_t len, uint8_t out[CACHE_DIGEST_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	/* cannot fail with a built-in digest; a zero digest would only count as a change */
	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n < CACHE_DIGEST_LEN)
		memset(md, 0, sizeof(md));
	memcpy(out, md, CACHE_DIGEST_LEN);
	OPENSSL_cleanse(md, sizeof(md));
}

/* The bytes of ref in t (one reference) and their digest. Returns 0, -ENOMEM or -EIO. */
static int render(const struct tree *t, const struct file_ref *ref, struct content **out,
                  uint8_t digest[CACHE_DIGEST_LEN])
{
	struct content *content = NULL;
	struct buf b;
	int r;

	buf_init(&b);
	r = file_render(t, ref, false, &b);
	if (r == 0 && b.len > UINT32_MAX)
		r = -EIO;
	if (r == 0) {
		content = malloc(sizeof(*content) + b.len);
		if (content == NULL)
			r = -ENOMEM;
	}
	if (r == 0) {
		atomic_init(&content->refs, 1);
		content->len = (uint32_t)b.len;
		if (b.len > 0)
			memcpy(content->data, b.data, b.len);
		digest_of(content->data, content->len, digest);
		*out = content;
	}
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	return r == 0 ? 0 : r < 0 ? r : -EIO;
}

/* Whether c may retain content (the budget is then charged). */
static bool reserve(struct cache *c, const struct content *content)
{
	size_t n = charge(content);

	if (!atomic_load(&c->retaining))
		return false;
	if (atomic_fetch_add(&c->retained, n) + n <= c->budget)
		return true;
	atomic_fetch_sub(&c->retained, n);
	return false;
}

/*
 * Inserts the file f (with content to retain, or NULL) unless its inode is there already;
 * returns the entry that is in the cache, or NULL on ENOMEM. *kept says whether content is now
 * the cache's (else the caller still owns it, and its charge was given back).
 */
static struct entry *insert(struct cache *c, const struct cached_file *f, struct content *content,
                            bool *kept)
{
	uint64_t ino = f->nodeid & CACHE_INO_MASK, b = bucket_of(c, ino);
	struct entry *e;

	*kept = false;
	pthread_mutex_lock(lock_of(c, b));
	e = find(c, b, ino);
	if (e == NULL) {
		e = slab_entry(c);
		if (e != NULL) {
			e->file = *f;
			/* a drop may have come since the charge: it must not miss these bytes */
			if (content != NULL && atomic_load(&c->retaining)) {
				e->content = content;
				*kept = true;
			} else {
				e->content = NULL;
			}
			e->next = c->buckets[b];
			c->buckets[b] = e;
		}
	}
	pthread_mutex_unlock(lock_of(c, b));
	if (content != NULL && !*kept)
		atomic_fetch_sub(&c->retained, charge(content));
	return e;
}

/* Inserts f with the bytes it was rendered from, retaining them if the budget allows. */
static struct entry *insert_rendered(struct cache *c, const struct cached_file *f,
                                     struct content *content)
{
	bool kept = false;
	struct entry *e =
	    insert(c, f, content != NULL && reserve(c, content) ? content : NULL, &kept);

	if (!kept)
		content_put(content);
	return e;
}

int cache_get(struct cache *c, const struct tree *t, const struct file_ref *ref,
              const struct cached_file **out)
{
	uint64_t ino = file_ino(t, ref);
	struct entry *e = lookup(c, ino);

	if (e == NULL) {
		struct cached_file f = { ino | c->stamp << VERSION_SHIFT, 0, c->mtime, { 0 } };
		struct content *content = NULL;

		if (file_is_passthrough(ref)) {
			f.size = file_source_size(ref);
		} else {
			int r = render(t, ref, &content, f.digest);

			if (r < 0)
				return r;
			f.size = content->len;
		}
		e = insert_rendered(c, &f, content);
		if (e == NULL)
			return -ENOMEM;
	}
	*out = &e->file;
	return 0;
}

int cache_content(struct cache *c, const struct tree *t, const struct file_ref *ref,
                  const struct cached_file *cf, struct content **out)
{
	struct entry *e = entry_of(cf);
	uint64_t b = bucket_of(c, cf->nodeid & CACHE_INO_MASK);
	uint8_t digest[CACHE_DIGEST_LEN];
	struct content *content;
	int r;

	*out = NULL;
	if (file_is_passthrough(ref))
		return -EINVAL;
	pthread_mutex_lock(lock_of(c, b));
	content = e->content;
	if (content != NULL)
		atomic_fetch_add_explicit(&content->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(lock_of(c, b));
	if (content != NULL) {
		*out = content;
		return 0;
	}
	r = render(t, ref, &content, digest);
	if (r < 0)
		return r;
	if (content->len != cf->size || memcmp(digest, cf->digest, sizeof(digest)) != 0) {
		content_put(content);
		return -EIO;
	}
	if (reserve(c, content)) {
		bool kept = false;

		pthread_mutex_lock(lock_of(c, b));
		if (e->content == NULL && atomic_load(&c->retaining)) {
			atomic_fetch_add_explicit(&content->refs, 1, memory_order_relaxed);
			e->content = content;
			kept = true;
		}
		pthread_mutex_unlock(lock_of(c, b));
		if (!kept)
			atomic_fetch_sub(&c->retained, charge(content));
	}
	*out = content;
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

size_t cache_drop(struct cache *c)
{
	size_t dropped = 0;

	/* first: whoever publishes bytes after this sees it under the bucket's lock */
	atomic_store(&c->retaining, false);
	for (uint64_t b = 0; b <= c->mask; b++) {
		pthread_mutex_lock(lock_of(c, b));
		for (struct entry *e = c->buckets[b]; e != NULL; e = e->next) {
			if (e->content == NULL)
				continue;
			dropped += charge(e->content);
			content_put(e->content);
			e->content = NULL;
		}
		pthread_mutex_unlock(lock_of(c, b));
	}
	atomic_fetch_sub(&c->retained, dropped);
	return dropped;
}

void cache_keep(struct cache *c)
{
	atomic_store(&c->retaining, true);
}

size_t cache_retained(const struct cache *c)
{
	return atomic_load(&c->retained);
}

/* e of prev, again in next's tree: 1 if its bytes changed, 0 if not or if it is gone, -errno. */
static int carry_one(struct cache *next, const struct tree *nt, const struct entry *e,
                     const struct tree *pt)
{
	uint64_t ino = e->file.nodeid & CACHE_INO_MASK;
	struct cached_file f = { 0, 0, 0, { 0 } };
	struct content *content = NULL;
	struct file_ref ref, old;
	bool same;

	if (file_from_ino(nt, ino, &ref) < 0)
		return 0; /* removed */
	if (file_is_passthrough(&ref)) {
		f.size = file_source_size(&ref);
		same = file_from_ino(pt, ino, &old) == 0 && file_same_source(&old, &ref);
	} else {
		int r = render(nt, &ref, &content, f.digest);

		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return 1; /* cannot be made now (its key file is unreadable): forgotten */
		f.size = content->len;
		/* the digest stands for the bytes ("Digests" in cache.h) */
		same = e->file.size == f.size &&
		       memcmp(e->file.digest, f.digest, sizeof(f.digest)) == 0;
	}
	if (same) {
		f.nodeid = e->file.nodeid;
		f.mtime = e->file.mtime;
	} else {
		uint64_t version = next->stamp;

		if (version == e->file.nodeid >> VERSION_SHIFT) /* 4096 generations later */
			version = (version + 1) & VERSION_MASK;
		f.nodeid = ino | version << VERSION_SHIFT;
		f.mtime = next->mtime;
	}
	if (insert_rendered(next, &f, content) == NULL)
		return -ENOMEM;
	return same ? 0 : 1;
}

struct carry_job {
	struct cache *next, *prev;
	const struct tree *nt, *pt;
	uint64_t from, to; /* buckets of prev */
	int result;        /* files changed, or -errno */
};

static void *carry_range(void *arg)
{
	struct carry_job *j = arg;
	int changed = 0;

	for (uint64_t b = j->from; b < j->to; b++) {
		const struct entry *e;

		pthread_mutex_lock(lock_of(j->prev, b));
		e = j->prev->buckets[b];
		pthread_mutex_unlock(lock_of(j->prev, b));
		for (; e != NULL; e = e->next) {
			int r = carry_one(j->next, j->nt, e, j->pt);

			if (r < 0) {
				j->result = r;
				return NULL;
			}
			changed += r;
		}
	}
	j->result = changed;
	return NULL;
}

int cache_carry(struct cache *next, const struct tree *nt, struct cache *prev,
                const struct tree *pt)
{
	uint64_t half = (prev->mask + 1) / 2;
	struct carry_job jobs[2] = {
		{ next, prev, nt, pt, 0, half, 0 },
		{ next, prev, nt, pt, half, prev->mask + 1, 0 },
	};
	size_t budget = next->budget;
	pthread_t worker;
	bool threaded;

	/* T_g > T_(g-1) even if the clock stepped back or this is the same second */
	if (next->mtime <= prev->mtime)
		next->mtime = prev->mtime + 1;
	/* while both models are alive, half the budget; readers' first reads fill the rest */
	next->budget = budget / 2;
	/* rendering is the cost: half the table on a second thread (all here if none starts) */
	threaded = pthread_create(&worker, NULL, carry_range, &jobs[1]) == 0;
	carry_range(&jobs[0]);
	if (threaded)
		pthread_join(worker, NULL);
	else
		carry_range(&jobs[1]);
	next->budget = budget;
	if (jobs[0].result < 0)
		return jobs[0].result;
	if (jobs[1].result < 0)
		return jobs[1].result;
	return jobs[0].result + jobs[1].result;
}
