/*
 * names.h - the grammar of the names phones ask for: one table per vendor (vendor.h) read
 * both ways, to parse a requested name and to print a file's names (see names.c).
 */
#ifndef PROVFS_NAMES_H
#define PROVFS_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/files.h"
#include "backend/tree.h"
#include "backend/vendor.h"

/* What a MAC prints as for a ref without a device: the phone puts its own MAC there. */
#define NAME_MAC_PLACEHOLDER "{MAC}"

/*
 * The name rule r gives file ref (its head, variable part, tail). Its length or -errno. A ref
 * without a device prints NAME_MAC_PLACEHOLDER for its MAC (Panasonic's entry files).
 */
int name_print(const struct vendor *v, const struct name_rule *r, const struct file_ref *ref,
               char *buf, size_t len);

/* Whether name[0..len) is name rule r for some file of the tree that exists: *out is it. */
bool name_parse(const struct vendor *v, const struct name_rule *r, const struct tree *t,
                const char *name, size_t len, struct file_ref *out);

/* Whether name[0..len) has rule r's shape with a MAC: the MAC in *mac. */
bool name_mac_shape(const struct name_rule *r, const char *name, size_t len, uint64_t *mac);

#endif
