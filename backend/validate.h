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

#endif
