/*
 * pa_files.h - the bytes of Panasonic files (see pa_files.c for the layering rule).
 */
#ifndef PROVFS_PA_FILES_H
#define PROVFS_PA_FILES_H

#include <stdbool.h>

#include "backend/buf.h"
#include "backend/files.h"
#include "backend/keys.h"
#include "backend/tree.h"

/* The master layer: text dialect, and UTG XML (only where a plain UTG model needs one). */
#define PA_MASTER_NAME     "ConfigCom.cfg"
#define PA_MASTER_UTG_NAME "ConfigCom-utg.cfg"

/* Whether the model's files are encrypted with per-device keys. */
bool pa_encrypted(const struct model *m);

/* The device's key through the tree's key source (created on first use with `create`). */
int pa_device_key(const struct tree *t, const struct device *dev, bool create, struct pa_key *k);

/* Any FK_PA_* kind. Returns 0, -ENOMEM, -EIO, -ENOKEY (no key source) or -errno. */
int render_pa_file(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out);

#endif
