/*
 * params.h - a device's effective parameters through its vendor (struct vendor.params), the
 * difference of two such lists, and a digest of them: what `provctl diff` shows parameter by
 * parameter, and what the daemon's reload counts as a changed device.
 */
#ifndef PROVFS_PARAMS_H
#define PROVFS_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/resolved.h"
#include "backend/tree.h"
#include "inventory/model.h"

/* The device's parameters (out is initialised here; resolved_free it). 0 or a negative errno. */
int device_params(const struct tree *t, const struct device *dev, struct resolved *out);

/*
 * A 64-bit digest of what decides the device's files: its model, the model's key settings
 * and every parameter's name and value (secrets included: the digest stays in memory).
 * 0 or a negative errno.
 */
int device_digest(const struct tree *t, const struct device *dev, uint64_t *out);

/* One parameter that differs: old or new is NULL when it was added or removed. */
typedef void (*param_change_fn)(void *ctx, const struct rparam *old, const struct rparam *now);

/*
 * Calls fn for every parameter whose value differs between a and b (both resolved_finish'ed:
 * sorted by key and name), in that order. Returns the number of differences.
 */
unsigned params_diff(const struct resolved *a, const struct resolved *b, param_change_fn fn,
                     void *ctx);

#endif
