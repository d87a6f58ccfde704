/*
 * resolved.h - a device's final vendor parameters: one value per name.
 *
 * Vendor resolvers add candidates (from settings, lines, options and raw params), each with
 * the rank of its level (2 * level, +1 when it came from `params`, so at one level params
 * beat settings); resolved_finish() keeps the highest-ranked candidate of every name.
 * Renderers then walk the list in order.
 */
#ifndef PROVFS_RESOLVED_H
#define PROVFS_RESOLVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory/arena.h"
#include "inventory/merge.h"
#include "inventory/model.h"

struct rparam {
	const char *name;  /* "P47", "SIP_PASS_1", "Device/System/Prov/CFG_FILE_KEY" */
	uint32_t key;      /* numeric sort key (Grandstream P number), 0 when sorted by name */
	const char *value; /* NUL-terminated */
	int rank;
	bool secret;
	bool from_line;        /* derived from `lines`: specific to the device's accounts */
	enum level_kind level; /* kind of the level that set it */
};

struct resolved {
	struct rparam *items;
	size_t n;
	size_t cap;
	struct arena pool; /* names and values composed while resolving */
	int oom;
};

/*
 * Ranks: 2 * level for settings, lines and options, 2 * level + 1 for raw params (at one level
 * params win); values provfs derives to keep the phone on this tree outrank every level.
 */
#define RANK_FIXED (2 * LEVELS_MAX + 2)

static inline int rank_setting(int level)
{
	return 2 * level;
}

static inline int rank_param(int level)
{
	return 2 * level + 1;
}

/* The kind of level a rank came from (RANK_FIXED counts as the device's own). */
enum level_kind rank_level_kind(const struct effective *e, int rank);

void resolved_init(struct resolved *r);
void resolved_free(struct resolved *r);

void resolved_add(struct resolved *r, const char *name, uint32_t key, const char *value, int rank,
                  bool secret, enum level_kind level, bool from_line);

/* Sorts by (key, name) and keeps the highest rank of each name. Returns 0 or -ENOMEM. */
int resolved_finish(struct resolved *r);

const struct rparam *resolved_get(const struct resolved *r, const char *name);

#endif
