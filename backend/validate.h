/*
 * validate.h - vendor rules over a loaded inventory: what a format can carry, which
 * parameter names exist, where secrets may go. Together with inventory_load() this is
 * `provctl check` and the gate every new generation passes before a phone sees it.
 */
#ifndef PROVFS_VALIDATE_H
#define PROVFS_VALIDATE_H

#include <stddef.h>

#include "inventory/diag.h"
#include "inventory/model.h"

/* Shared by the vendors' checks: the first character XML 1.0 cannot carry, or -1. */
int validate_xml_bad_char(const struct value *v);

/* Characters (not bytes) of a UTF-8 string. */
size_t validate_utf8_chars(const char *s, size_t len);

/* The inventory's names of the neutral settings and line fields, for messages. */
extern const char *const validate_setting_label[SET__COUNT];
extern const char *const validate_line_label[LF__COUNT];

/* Adds every problem to d; returns 0 when there is none, -EINVAL otherwise. */
int backend_validate(const struct inventory *inv, struct diag *d);

#endif
