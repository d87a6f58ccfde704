/*
 * pa_params.h - a Panasonic device's (or a shared layer's) final parameters, named as the
 * model's dialect writes them: flat names for text, paths for UTG XML.
 *
 * Every resolved parameter keeps the kind of level that set it, whether it is a secret and
 * whether it came from `lines`; pa_files.c uses these to place it in the standard, product
 * or master file so that the phone's first-wins merge equals the inventory's.
 */
#ifndef PROVFS_PA_PARAMS_H
#define PROVFS_PA_PARAMS_H

#include "backend/pa_table.h"
#include "backend/resolved.h"
#include "inventory/model.h"

/* A value provfs sets itself (file paths, the key), by flat name. */
struct pa_fixed {
	const char *name;
	const char *value;
};

/* Everything the device sees, lines included, plus `fixed`. Returns 0 or -ENOMEM. */
int pa_resolve_device(const struct inventory *inv, const struct device *dev,
                      const struct pa_fixed *fixed, size_t nfixed, struct resolved *out);

/*
 * A shared context without lines: [defaults, model] for a product file (model != NULL) or
 * [defaults] for the master file, in `dialect`. Returns 0 or -ENOMEM.
 */
int pa_resolve_shared(const struct inventory *inv, const struct model *model, enum dialect dialect,
                      struct resolved *out);

#endif
