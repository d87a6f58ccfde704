/*
 * cache.c - a fixed-size chained hash of rendered files with striped locks.
 *
 * The table is sized from the inventory when the generation is built and never resized;
 * entries are immutable once inserted. Rendering happens outside the lock: two threads may
 * render the same file at once, the first insert wins and the other copy is dropped, which
 * is harmless because rendering is deterministic.
 */
#include "fs/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64

struct entry {
	uint64_t ino;
	struct content *content;
	struct entry *next;
};

struct cache {
	struct entry **buckets;
	uint64_t mask;
	pthread_mutex_t locks[STRIPES];
};

struct cache *cache_new(const struct tree *t)
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
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	return c;
}

static void free_content(struct content *content)
{
	/* device files may hold secrets in clear (plain XML): wipe before free */
	explicit_bzero(content->data, content->len);
	free(content);
}

void cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	for (uint64_t b = 0; b <= c->mask; b++) {
		struct entry *e = c->buckets[b];

		while (e != NULL) {
			struct entry *next = e->next;

			free_content(e->content);
			free(e);
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

static struct content *find(const struct cache *c, uint64_t b, uint64_t ino)
{
	for (const struct entry *e = c->buckets[b]; e != NULL; e = e->next)
		if (e->ino == ino)
			return e->content;
	return NULL;
}

static int render(const struct tree *t, const struct file_ref *ref, struct content **out)
{
	struct buf b;
	struct content *content;
	int r;

	buf_init(&b);
	r = file_render(t, ref, false, &b);
	if (r < 0) {
		buf_free(&b);
		return r;
	}
	content = malloc(sizeof(*content) + b.len);
	if (content == NULL) {
		buf_free(&b);
		return -ENOMEM;
	}
	content->len = b.len;
	if (b.len > 0)
		memcpy(content->data, b.data, b.len);
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	*out = content;
	return 0;
}

int cache_get(struct cache *c, const struct tree *t, const struct file_ref *ref,
              const struct content **out)
{
	uint64_t ino = file_ino(t, ref);
	uint64_t b = bucket_of(c, ino);
	pthread_mutex_t *lock = &c->locks[b % STRIPES];
	struct content *content, *mine;
	struct entry *e;
	int r;

	pthread_mutex_lock(lock);
	content = find(c, b, ino);
	pthread_mutex_unlock(lock);
	if (content != NULL) {
		*out = content;
		return 0;
	}
	r = render(t, ref, &mine);
	if (r < 0)
		return r;
	e = malloc(sizeof(*e));
	if (e == NULL) {
		free_content(mine);
		return -ENOMEM;
	}
	pthread_mutex_lock(lock);
	content = find(c, b, ino);
	if (content == NULL) {
		e->ino = ino;
		e->content = mine;
		e->next = c->buckets[b];
		c->buckets[b] = e;
		content = mine;
		mine = NULL;
	}
	pthread_mutex_unlock(lock);
	if (mine != NULL) {
		free_content(mine);
		free(e);
	}
	*out = content;
	return 0;
}
