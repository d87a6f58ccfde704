/*
 * gs_files.h - Grandstream: the bytes of its files (a device's XML, encrypted with its
 * P1359, its legacy binary, the generic cfg.xml / cfg<model>.xml), their names, its vendor.
 */
#ifndef PROVFS_GS_FILES_H
#define PROVFS_GS_FILES_H

#include <stdbool.h>

#include "backend/buf.h"
#include "backend/files.h"
#include "backend/tree.h"
#include "backend/vendor.h"

/* The kinds of Grandstream files (struct file_ref.kind with vendor_grandstream). */
enum gs_kind {
	GS_XML = 1,  /* cfg<mac>.xml: the device's full configuration */
	GS_BIN,      /* cfg<mac>, cfg<mac>.bin: legacy binary */
	GS_MODEL,    /* cfg<model>.xml: generic + model settings */
	GS_GENERIC,  /* cfg.xml: for phones the inventory does not know */
	GS_FIRMWARE, /* <prefix><file><postfix>: a real firmware file */
	GS__KINDS,
};

extern const struct vendor vendor_grandstream;

/* Whether this Grandstream device has a file of this kind (the binary needs binary: on). */
bool gs_device_has(const struct tree *t, const struct device *dev, unsigned kind);

/* The configuration-file part of resolving a name (any prefix/postfix), firmware excluded. */
int gs_resolve_config(const struct tree *t, const char *name, size_t len, struct file_ref *out);

/* Checks of Grandstream values and files (gs_check.c). */
void gs_check_model(const struct inventory *inv, struct diag *d, const struct model *m);
void gs_check_level(const struct inventory *inv, struct diag *d, const struct level *lv,
                    unsigned use, bool generic);
int gs_check_tree(struct tree *t, struct diag *d);

int render_gs_device_xml(const struct tree *t, const struct file_ref *ref, bool plain,
                         struct buf *out);
int render_gs_binary(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out);
int render_gs_generic_xml(const struct tree *t, const struct file_ref *ref, bool plain,
                          struct buf *out);

/* The legacy binary's body (URL-encoded pairs and gnkey) for a device: for size checks. */
int gs_binary_body_of(const struct tree *t, const struct device *dev, struct buf *out);

#endif
