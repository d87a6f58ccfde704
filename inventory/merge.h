/*
 * merge.h - the precedence rules of SPEC §3, in one place.
 *
 * A device sees its levels in precedence order, low to high: defaults, model, groups in
 * listed order, device. Each level has a rank (its index); for any setting, option or raw
 * parameter the value comes from the highest-ranked level that sets it. Lines are taken
 * whole from the highest level that lists any. Vendor tables in backend/ turn settings and
 * lines into parameters and compare ranks with raw params (at one level, params win).
 */
#ifndef PROVFS_MERGE_H
#define PROVFS_MERGE_H

#include "inventory/model.h"

#define LEVELS_MAX (3 + MAX_GROUPS_PER_DEVICE)

/* Which level a rank belongs to, for placing values into layered files. */
enum level_kind {
	LEVEL_DEFAULTS,
	LEVEL_MODEL,
	LEVEL_GROUP,
	LEVEL_DEVICE,
	LEVEL_GENERIC,
};

struct effective {
	const struct level *levels[LEVELS_MAX]; /* low -> high precedence */
	enum level_kind kinds[LEVELS_MAX];
	int nlevels;
};

/* A value with the rank of the level that set it; v == NULL: no level sets it. */
struct ranked {
	const struct value *v;
	int rank;
};

struct ranked_param {
	const struct param *p;
	int rank;
};

/* Levels of a known device: defaults, model, groups, device. */
void effective_device(struct effective *e, const struct inventory *inv, const struct device *dev);

/* Levels shared by many devices: defaults, then the model's level when model != NULL. */
void effective_shared(struct effective *e, const struct inventory *inv, const struct model *m);

/* Levels of a generic file: generic, then the model's level when model != NULL. */
void effective_generic(struct effective *e, const struct inventory *inv, const struct model *m);

struct ranked eff_setting(const struct effective *e, enum setting s);
struct ranked eff_xml_password(const struct effective *e);
struct ranked eff_binary(const struct effective *e);
struct ranked eff_binary_layout(const struct effective *e);
/* enroll_until: the level that sets it is e->levels[rank] (its enroll_until_at) */
struct ranked eff_enroll_until(const struct effective *e);

/* The level whose lines apply (NULL if none lists lines) and its rank. */
const struct level *eff_lines(const struct effective *e, int *rank);
const struct cfg_names *eff_config(const struct effective *e, int *rank);
const struct firmware *eff_firmware(const struct effective *e, int *rank);

/*
 * Raw parameters of one vendor merged over all levels: one entry per name, the highest
 * rank's value, sorted by name. *out is malloc'd (free it). Returns the count or -ENOMEM.
 */
int eff_params(const struct effective *e, uint32_t v, struct ranked_param **out);

#endif
