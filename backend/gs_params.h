/*
 * gs_params.h - a Grandstream device's (or generic file's) final P-values.
 *
 * Applies the table of gs_table.h to the merged levels of merge.h: neutral settings,
 * accounts from `lines`, options (xml_password, config prefix/postfix), server.url and raw
 * params, highest rank winning. The result is sorted by P number.
 */
#ifndef PROVFS_GS_PARAMS_H
#define PROVFS_GS_PARAMS_H

#include "backend/resolved.h"
#include "inventory/model.h"

/* Everything the device's own file carries, secrets included. Returns 0 or -ENOMEM. */
int gs_resolve_device(const struct inventory *inv, const struct device *dev, struct resolved *out);

/*
 * A file several phones read: `generic` (and the model's level when m != NULL), without
 * lines and without any secret. Returns 0 or -ENOMEM.
 */
int gs_resolve_generic(const struct inventory *inv, const struct model *m, struct resolved *out);

#endif
