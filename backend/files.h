/*
 * files.h - the files a tree holds: kinds, inode numbers, bytes, and every name.
 *
 * A name resolves (names.h) to a file_ref: a kind plus the device, model or firmware file
 * it belongs to. Inode numbers are computed, not stored: the kind in the top 16 bits and
 * the MAC, or a 48-bit hash of the model or firmware name, in the low 48: a file has one
 * number in every generation. Every name of one file (aliases, prefix/postfix wraps) shares it.
 * Kinds fit in 4 bits, so these numbers use only the low FILE_INO_BITS bits: the daemon puts a
 * version of the file's bytes above them (fs/cache.h).
 */
#ifndef PROVFS_FILES_H
#define PROVFS_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"
#include "backend/tree.h"
#include "inventory/model.h"

#define FILE_INO_ROOT 1
#define FILE_NAME_MAX 255

enum file_kind {
	FK_NONE = 0,
	FK_GS_XML = 1,         /* cfg<mac>.xml: the device's full configuration */
	FK_GS_BIN = 2,         /* cfg<mac>, cfg<mac>.bin: legacy binary */
	FK_GS_MODEL = 3,       /* cfg<model>.xml: generic + model settings */
	FK_GS_GENERIC = 4,     /* cfg.xml: for phones the inventory does not know */
	FK_GS_FIRMWARE = 5,    /* <prefix><file><postfix>: a real firmware file */
	FK_PA_STD = 6,         /* Config<MAC>.cfg: standard layer (with the key while pending) */
	FK_PA_STD_ENC = 7,     /* Config<MAC>.enc */
	FK_PA_PRODUCT = 8,     /* Config<MODEL>.cfg: product layer */
	FK_PA_PRODUCT_ENC = 9, /* Config<MODEL>-<MAC>.enc */
	FK_PA_MASTER = 10,     /* ConfigCom.cfg: master layer, text */
	FK_PA_MASTER_UTG = 11, /* ConfigCom-utg.cfg: master layer, UTG XML */
	FK_PA_MASTER_ENC = 12, /* ConfigCom-<MAC>.enc */
	FK_PA_ENTRY = 13,      /* <MODEL>.cfg: the three file paths, for DHCP option 66 */
	FK__COUNT,
};

#define FILE_INO_BITS 52
_Static_assert(FK__COUNT <= 16, "a kind must fit in bits 48..51 of an inode number");

struct file_ref {
	enum file_kind kind;
	const struct device *dev;  /* device files */
	const struct model *model; /* device and per-model files */
	const struct fw_file *fw;  /* firmware */
};

/* name (one path component, NUL-terminated) -> file. Returns 0 or -ENOENT. */
int file_resolve(const struct tree *t, const char *name, struct file_ref *out);

/*
 * Whether a name has the shape of a device file name (cfg<12 hex> with a device tail and any
 * prefix/postfix file_resolve accepts, Config<12 hex>.cfg/.enc, ConfigCom-<12 hex>.enc,
 * Config<MODEL>-<12 hex>.enc) for a MAC the inventory does not know: what an enumeration
 * sweep asks for. One scan of the name and at most one MAC lookup; no allocation.
 */
bool file_unknown_device(const struct tree *t, const char *name);

uint64_t file_ino(const struct tree *t, const struct file_ref *ref);

/* Whether the tree serves this file now (a delivered Panasonic key file no longer exists). */
bool file_exists(const struct tree *t, const struct file_ref *ref);

/* inode -> file in this tree. Returns 0 or -ENOENT (e.g. the device was removed). */
int file_from_ino(const struct tree *t, uint64_t ino, struct file_ref *out);

/* The canonical name (the first listed one). Returns its length or -ENAMETOOLONG. */
int file_name(const struct file_ref *ref, char *buf, size_t len);

/* Whether the name carries a MAC: hidden from listings under listing=generic. */
bool file_names_device(enum file_kind kind);

/* Firmware is read straight from its real file; everything else is rendered. */
bool file_is_passthrough(const struct file_ref *ref);

/*
 * Appends the exact bytes a phone reads (plain: before encryption; for the binary, its
 * URL-encoded body). Returns 0, -ENOMEM or -EIO; -EINVAL for a passthrough file.
 * Deterministic: the same inventory always gives the same bytes.
 */
int file_render(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out);

/*
 * Opens a passthrough file's real file, beneath its version directory and never through a
 * symlink; never blocks (the fd has O_NONBLOCK, which changes nothing for a regular file).
 * Returns the fd, or -ESTALE when the file is no longer the one the tree was built with (not
 * a regular file any more, a symlink, or size, inode or mtime changed), or -errno.
 */
int file_open_source(const struct file_ref *ref);

/* Size without rendering: a passthrough file's recorded size. */
uint64_t file_source_size(const struct file_ref *ref);

/* Whether two passthrough files (of two trees) are the same real file, unchanged. */
bool file_same_source(const struct file_ref *a, const struct file_ref *b);

/*
 * Calls fn for every name the tree serves: device files (only when `devices`) with their
 * aliases and their own prefix/postfix wraps, generic files plain and wrapped with every
 * prefix/postfix pair in use, firmware. Stops at fn's first nonzero return and returns it.
 */
typedef int (*file_visit_fn)(void *ctx, const struct file_ref *ref, const char *name);
int file_foreach(const struct tree *t, bool devices, file_visit_fn fn, void *ctx);

#endif
