/*
 * files.h - the tree a mount shows: which names exist, their inode numbers, their bytes.
 *
 * A name resolves to a file_ref (kind + device or model) through one table per vendor of
 * the names its phones ask for; anything else is -ENOENT. Inode numbers are computed, not
 * stored: kind in the top 16 bits, the MAC (or a hash of the model name) in the low 48, so
 * the same file keeps its inode across generations and the kernel's cache of unchanged
 * files survives a reload.
 */
#ifndef PROVFS_FILES_H
#define PROVFS_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"
#include "inventory/model.h"

#define FILE_INO_ROOT 1
#define FILE_NAME_MAX 255

enum file_kind {
	FK_NONE = 0,
	FK_GS_XML = 1, /* cfg<mac>.xml: the device's full configuration */
	FK__COUNT,
};

struct file_ref {
	enum file_kind kind;
	const struct device *dev;  /* files of one device */
	const struct model *model; /* files of one model */
};

/* name (one path component, NUL-terminated) -> file. Returns 0 or -ENOENT. */
int file_resolve(const struct inventory *inv, const char *name, struct file_ref *out);

uint64_t file_ino(const struct file_ref *ref);

/* inode -> file in this inventory. Returns 0 or -ENOENT (e.g. the device was removed). */
int file_from_ino(const struct inventory *inv, uint64_t ino, struct file_ref *out);

/* The canonical name (what listings show). Returns its length or -ENAMETOOLONG. */
int file_name(const struct file_ref *ref, char *buf, size_t len);

/* Whether the name carries a MAC: hidden from listings under listing=generic. */
bool file_names_device(enum file_kind kind);

/*
 * Appends the exact bytes a phone reads (plain: before encryption). Returns 0, -ENOMEM or
 * -EIO. Deterministic: the same inventory always gives the same bytes.
 */
int file_render(const struct inventory *inv, const struct file_ref *ref, bool plain,
                struct buf *out);

/* Calls fn for every file, device files only when `devices`. Stops at fn's first nonzero. */
typedef int (*file_visit_fn)(void *ctx, const struct file_ref *ref);
int file_foreach(const struct inventory *inv, bool devices, file_visit_fn fn, void *ctx);

#endif
