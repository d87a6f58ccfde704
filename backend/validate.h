/*
 * validate.h - vendor rules over a loaded inventory: what a format can carry, which
 * parameter names exist, where secrets may go. Together with inventory_load() this is
 * `provctl check` and the gate every new generation passes before a phone sees it.
 */
#ifndef PROVFS_VALIDATE_H
#define PROVFS_VALIDATE_H

#include "inventory/diag.h"
#include "inventory/model.h"

/* Adds every problem to d; returns 0 when there is none, -EINVAL otherwise. */
int backend_validate(const struct inventory *inv, struct diag *d);

/*
 * inventory_load() + backend_validate(): an inventory fit to serve, or NULL with the
 * reasons in d. Returns 0 or a negative errno.
 */
int backend_load(const char *path, struct inventory **out, struct diag *d);

/* The same from memory (tests, fuzzing). */
int backend_load_buffer(const char *name, const char *yaml, size_t len, struct inventory **out,
                        struct diag *d);

#endif
