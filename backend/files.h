/*
 * files.h - the files a tree holds: inode numbers, bytes, and every name, for all vendors.
 *
 * A name resolves (names.c, through each vendor's name table) to a file_ref: a vendor, one of
 * its kinds, and the device, model or firmware file it belongs to. Inode numbers are computed,
 * not stored: the (vendor, kind) slot in bits 48.. and the MAC, or a 48-bit hash of the model
 * or firmware name, in the low 48, so a file has one number in every generation and every name
 * of one file (aliases, prefix/postfix wraps) shares it. Slots fit in FILE_KIND_BITS bits, so
 * these numbers use only the low FILE_INO_BITS bits: the daemon puts a version of the file's
 * bytes above them (fs/cache.h).
 */
#ifndef PROVFS_FILES_H
#define PROVFS_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"
#include "backend/tree.h"
#include "backend/vendor.h"
#include "inventory/model.h"

#define FILE_INO_ROOT 1
#define FILE_NAME_MAX 255

#define FILE_KIND_SHIFT 48
#define FILE_KIND_BITS  5 /* (vendor, kind) slots: 31 for all vendors together */
#define FILE_INO_BITS   (FILE_KIND_SHIFT + FILE_KIND_BITS)

struct file_ref {
	const struct vendor *vendor; /* NULL: no file */
	unsigned kind;               /* the vendor's own kind */
	const struct device *dev;    /* device files */
	const struct model *model;   /* device and per-model files */
	const struct fw_file *fw;    /* firmware */
};

/* The KF_* flags of the file's kind (0 for no file). */
unsigned file_flags(const struct file_ref *ref);

/* The inode slot of a vendor's kind (bits FILE_KIND_SHIFT..); 0 when out of range. */
uint64_t file_kind_slot(const struct vendor *v, unsigned kind);

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

/* Whether the tree serves this file now (a delivered key's carrier no longer exists). */
bool file_exists(const struct tree *t, const struct file_ref *ref);

/* inode -> file in this tree. Returns 0 or -ENOENT (e.g. the device was removed). */
int file_from_ino(const struct tree *t, uint64_t ino, struct file_ref *out);

/* The canonical name (the first listed one). Returns its length or -ENAMETOOLONG. */
int file_name(const struct file_ref *ref, char *buf, size_t len);

/* Whether the file belongs to one device (its name carries the MAC; audited). */
bool file_names_device(const struct file_ref *ref);

/*
 * The key flow (keys.h): whether this file carries its device's key in plain text while the
 * key is not delivered, and whether asking for it proves that the carrier reached the phone.
 * Both false for a model without per-device keys.
 */
bool file_key_carrier(const struct file_ref *ref);

/* The name of the device's (first) key carrier. Its length, or -ENOENT: its vendor has none. */
int file_key_carrier_name(const struct device *dev, char *buf, size_t len);
bool file_key_proof(const struct file_ref *ref);

/*
 * Enrolment windows (inventory/enroll.h). A file that bootstraps a phone with a secret in the
 * clear (a key carrier before its key is delivered, or what the vendor's plain_secret says,
 * e.g. a Grandstream file with a password and no XML password) is served only until the
 * device's `enroll_until`; encrypted files are not concerned.
 *
 * file_enrol_window: whether the file is such a file AND its device has a window; *until is
 * its end (seconds, UTC). file_enrol_closed: the same, and the window is closed at `now` (the
 * caller's clock: the time of the lookup, open or read, not of the generation), so the file
 * is not found.
 */
bool file_enrol_window(const struct tree *t, const struct file_ref *ref, int64_t *until);
bool file_enrol_closed(const struct tree *t, const struct file_ref *ref, int64_t now,
                       int64_t *until);

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
 * Calls fn for every name the tree serves, vendor by vendor: device files (only when
 * `devices`) with their aliases (and Grandstream's prefix/postfix wraps), shared files,
 * firmware. Stops at fn's first nonzero return and returns it.
 */
int file_foreach(const struct tree *t, bool devices, file_visit_fn fn, void *ctx);

#endif
