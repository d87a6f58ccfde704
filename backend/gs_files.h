/*
 * gs_files.h - the bytes of Grandstream files: a device's XML (encrypted with its P1359),
 * its legacy binary, and the generic cfg.xml / cfg<model>.xml.
 */
#ifndef PROVFS_GS_FILES_H
#define PROVFS_GS_FILES_H

#include <stdbool.h>

#include "backend/buf.h"
#include "backend/files.h"
#include "backend/tree.h"

int render_gs_device_xml(const struct tree *t, const struct file_ref *ref, bool plain,
                         struct buf *out);
int render_gs_binary(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out);
int render_gs_generic_xml(const struct tree *t, const struct file_ref *ref, bool plain,
                          struct buf *out);

/* The legacy binary's body (URL-encoded pairs and gnkey) for a device: for size checks. */
int gs_binary_body_of(const struct tree *t, const struct device *dev, struct buf *out);

#endif
