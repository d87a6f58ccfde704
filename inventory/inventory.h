/*
 * inventory.h - load an inventory (a YAML file or a directory of *.yaml) into the
 * immutable model of model.h, or explain with FILE:LINE:COL why it cannot be used.
 */
#ifndef PROVFS_INVENTORY_H
#define PROVFS_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "inventory/diag.h"
#include "inventory/model.h"

/*
 * Loads `path` (file or directory). On success returns 0 and *out; on any problem returns
 * a negative errno (-EINVAL for a bad inventory), *out = NULL and the reasons in d.
 * A directory is read in byte order of its *.yaml names; hidden files are skipped.
 * `vendors` (kept by the inventory: it must outlive it) names the vendors a model may be for.
 */
int inventory_load(const char *path, const struct vendor_set *vendors, struct inventory **out,
                   struct diag *d);

/* The same from memory: `name` is used in messages. For tests and fuzzing. */
int inventory_load_buffer(const char *name, const char *yaml, size_t len,
                          const struct vendor_set *vendors, struct inventory **out, struct diag *d);

/*
 * A check run on the inventory before the loader decides, so that one run reports
 * schema problems and the checker's (vendor rules) together. It must cope with the
 * partial records a schema error leaves (unset values, devices without a model).
 */
typedef int (*inventory_check_fn)(const struct inventory *inv, struct diag *d, void *ctx);

/* inventory_load() or, with yaml != NULL, inventory_load_buffer(), plus check(inv, d, ctx). */
int inventory_load_checked(const char *path, const char *yaml, size_t len,
                           const struct vendor_set *vendors, inventory_check_fn check, void *ctx,
                           struct inventory **out, struct diag *d);

/*
 * inventory_load_checked() of a copy kept away from the original (state/snapshot.h): with base
 * set, relative paths in the files (firmware_dir) count from base, not from each file's own
 * directory, so that the copy means what the original did.
 */
int inventory_load_based(const char *source, const char *base, const struct vendor_set *vendors,
                         inventory_check_fn check, void *ctx, struct inventory **out,
                         struct diag *d, const char *text, size_t len);

void inventory_free(struct inventory *inv);

/* Whether a directory entry is read as part of a directory inventory: "*.yaml", not hidden. */
bool inventory_is_yaml_name(const char *name);

/* O(1): the device with this MAC, or NULL. */
const struct device *inventory_find(const struct inventory *inv, uint64_t mac);

/* Model by name, letter case ignored (names are unique ignoring case), or NULL. */
const struct model *inventory_find_model(const struct inventory *inv, const char *name, size_t len);

/* The file name of a position. */
const char *inventory_file(const struct inventory *inv, struct pos p);

#endif
