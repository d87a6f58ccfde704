/*
 * resolved.c - candidate list -> one value per parameter name.
 */
#include "backend/resolved.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum level_kind rank_level_kind(const struct effective *e, int rank)
{
	int level = rank / 2;

	if (level < 0 || level >= e->nlevels || level >= LEVELS_MAX)
		return LEVEL_DEVICE;
	return e->kinds[level];
}

void resolved_init(struct resolved *r)
{
	memset(r, 0, sizeof(*r));
	arena_init(&r->pool);
}

void resolved_free(struct resolved *r)
{
	free(r->items);
	arena_free(&r->pool);
	memset(r, 0, sizeof(*r));
}

void resolved_add(struct resolved *r, const char *name, uint32_t key, const char *value, int rank,
                  bool secret, enum level_kind level, bool from_line)
{
	if (name == NULL || value == NULL) {
		r->oom = 1;
		return;
	}
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		struct rparam *p = realloc(r->items, ncap * sizeof(*p));

		if (p == NULL) {
			r->oom = 1;
			return;
		}
		r->items = p;
		r->cap = ncap;
	}
	r->items[r->n++] = (struct rparam){ name, key, value, rank, secret, from_line, level };
}

static int rparam_cmp(const void *pa, const void *pb)
{
	const struct rparam *a = pa, *b = pb;
	int c;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	c = strcmp(a->name, b->name);
	if (c != 0)
		return c;
	return a->rank > b->rank ? -1 : a->rank < b->rank; /* highest rank first */
}

int resolved_finish(struct resolved *r)
{
	size_t w = 0;

	if (r->oom)
		return -ENOMEM;
	if (r->n > 1) /* items is NULL when nothing was added: qsort's base must not be */
		qsort(r->items, r->n, sizeof(*r->items), rparam_cmp);
	for (size_t i = 0; i < r->n; i++)
		if (w == 0 || r->items[w - 1].key != r->items[i].key ||
		    strcmp(r->items[w - 1].name, r->items[i].name) != 0)
			r->items[w++] = r->items[i];
	r->n = w;
	return 0;
}

const struct rparam *resolved_get(const struct resolved *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->items[i].name, name) == 0)
			return &r->items[i];
	return NULL;
}
