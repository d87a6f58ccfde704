/*
 * merge.c - highest-ranked level wins (see merge.h).
 */
#include "inventory/merge.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void push(struct effective *e, const struct level *lv, enum level_kind kind)
{
	e->levels[e->nlevels] = lv;
	e->kinds[e->nlevels] = kind;
	e->nlevels++;
}

void effective_device(struct effective *e, const struct inventory *inv, const struct device *dev)
{
	e->nlevels = 0;
	push(e, &inv->defaults, LEVEL_DEFAULTS);
	if (dev->model != NULL)
		push(e, &dev->model->level, LEVEL_MODEL);
	for (uint32_t g = 0; g < dev->ngroups; g++)
		if (dev->groups != NULL && dev->groups[g] != NULL)
			push(e, &dev->groups[g]->level, LEVEL_GROUP);
	push(e, &dev->level, LEVEL_DEVICE);
}

void effective_shared(struct effective *e, const struct inventory *inv, const struct model *m)
{
	e->nlevels = 0;
	push(e, &inv->defaults, LEVEL_DEFAULTS);
	if (m != NULL)
		push(e, &m->level, LEVEL_MODEL);
}

void effective_generic(struct effective *e, const struct inventory *inv, const struct model *m)
{
	e->nlevels = 0;
	push(e, &inv->generic, LEVEL_GENERIC);
	if (m != NULL)
		push(e, &m->level, LEVEL_MODEL);
}

/* Highest level whose value at byte offset `off` of struct level is set. */
static struct ranked top_value(const struct effective *e, size_t off)
{
	struct ranked r = { NULL, -1 };

	for (int i = e->nlevels - 1; i >= 0; i--) {
		const struct value *v = (const struct value *)((const char *)e->levels[i] + off);

		if (v->s != NULL) {
			r.v = v;
			r.rank = i;
			break;
		}
	}
	return r;
}

struct ranked eff_setting(const struct effective *e, enum setting s)
{
	return top_value(e, offsetof(struct level, settings) + (size_t)s * sizeof(struct value));
}

struct ranked eff_xml_password(const struct effective *e)
{
	return top_value(e, offsetof(struct level, xml_password));
}

struct ranked eff_binary(const struct effective *e)
{
	return top_value(e, offsetof(struct level, binary));
}

struct ranked eff_binary_layout(const struct effective *e)
{
	return top_value(e, offsetof(struct level, binary_layout));
}

struct ranked eff_enroll_until(const struct effective *e)
{
	return top_value(e, offsetof(struct level, enroll_until));
}

const struct level *eff_lines(const struct effective *e, int *rank)
{
	for (int i = e->nlevels - 1; i >= 0; i--)
		if (e->levels[i]->has_lines) {
			*rank = i;
			return e->levels[i];
		}
	*rank = -1;
	return NULL;
}

const struct cfg_names *eff_config(const struct effective *e, int *rank)
{
	for (int i = e->nlevels - 1; i >= 0; i--)
		if (e->levels[i]->config.set) {
			*rank = i;
			return &e->levels[i]->config;
		}
	*rank = -1;
	return NULL;
}

const struct firmware *eff_firmware(const struct effective *e, int *rank)
{
	for (int i = e->nlevels - 1; i >= 0; i--)
		if (e->levels[i]->firmware.set) {
			*rank = i;
			return &e->levels[i]->firmware;
		}
	*rank = -1;
	return NULL;
}

static int ranked_cmp(const void *pa, const void *pb)
{
	const struct ranked_param *a = pa, *b = pb;
	int c = strcmp(a->p->name, b->p->name);

	if (c != 0)
		return c;
	return b->rank - a->rank; /* highest rank first */
}

int eff_params(const struct effective *e, uint32_t v, struct ranked_param **out)
{
	size_t total = 0, n = 0;
	struct ranked_param *all;

	*out = NULL;
	for (int i = 0; i < e->nlevels; i++)
		total += e->levels[i]->params[v].n;
	all = malloc((total ? total : 1) * sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	for (int i = 0; i < e->nlevels; i++)
		for (uint32_t j = 0; j < e->levels[i]->params[v].n; j++) {
			all[n].p = &e->levels[i]->params[v].items[j];
			all[n].rank = i;
			n++;
		}
	qsort(all, n, sizeof(*all), ranked_cmp);
	/* keep the first (highest-ranked) entry of each name */
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (w == 0 || strcmp(all[w - 1].p->name, all[i].p->name) != 0)
			all[w++] = all[i];
	*out = all;
	return (int)w;
}
