/*
 * gen.c - the current-generation pointer and generation reference counts.
 *
 * A mutex guards only the pointer and the increment, so acquiring cannot race with a swap
 * that drops the last reference.
 */
#include "fs/gen.h"

#include <pthread.h>
#include <stdlib.h>

#include "fs/cache.h"
#include "backend/tree.h"

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gen *current;

struct gen *gen_new(struct tree *tree, uint64_t number, size_t retain)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->cache = cache_new(tree, number, retain);
	if (g->cache == NULL) {
		free(g);
		return NULL;
	}
	atomic_init(&g->refs, 1);
	g->number = number;
	g->tree = tree;
	return g;
}

struct gen *gen_acquire(void)
{
	struct gen *g;

	pthread_mutex_lock(&current_lock);
	g = current;
	if (g != NULL)
		atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&current_lock);
	return g;
}

void gen_put(struct gen *g)
{
	if (g == NULL)
		return;
	if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	cache_free(g->cache);
	tree_free(g->tree);
	free(g);
}

struct gen *gen_swap(struct gen *next)
{
	struct gen *prev;

	pthread_mutex_lock(&current_lock);
	prev = current;
	current = next;
	pthread_mutex_unlock(&current_lock);
	return prev;
}
