/*
 * names.h - the names phones ask for (see names.c).
 */
#ifndef PROVFS_NAMES_H
#define PROVFS_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/files.h"
#include "backend/tree.h"

/* A name of a Grandstream device: "cfg" + MAC + tail. */
struct gs_name_rule {
	const char *tail;
	enum file_kind kind;
};

extern const struct gs_name_rule gs_device_names[];
extern const size_t gs_device_nnames;

/* Whether this Grandstream device has a file of this kind (the binary needs binary: on). */
bool gs_device_has(const struct tree *t, const struct device *dev, enum file_kind kind);

/* The configuration-file part of file_resolve (any prefix/postfix), firmware excluded. */
int gs_resolve_config(const struct tree *t, const char *name, size_t len, struct file_ref *out);

#endif
