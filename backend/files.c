/*
 * files.c - inode numbers, the dispatch to each vendor, firmware sources and the list of names.
 *
 * Nothing here knows a vendor: each call finds the file's vendor (struct vendor, vendor.h) and
 * asks it; file_foreach and file_resolve go through the vendor array in order.
 */
#include "backend/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/names.h"
#include "backend/resolved.h"
#include "inventory/enroll.h"
#include "inventory/inventory.h"

#define INO_LOW_MASK ((UINT64_C(1) << FILE_KIND_SHIFT) - 1)

/* The first slot of vendor index i: slots are numbered across the array, from 1. */
static unsigned slot_base(uint32_t i)
{
	unsigned base = 0;

	for (uint32_t j = 0; j < i; j++)
		base += vendor_at(j)->nkinds - 1;
	return base;
}

uint64_t file_kind_slot(const struct vendor *v, unsigned kind)
{
	unsigned slot;

	if (v == NULL || kind == 0 || kind >= v->nkinds)
		return 0;
	slot = slot_base(vendor_index(v)) + kind;
	return slot < (1u << FILE_KIND_BITS) ? (uint64_t)slot << FILE_KIND_SHIFT : 0;
}

/* slot -> (vendor, kind); false when no vendor has it. */
static bool slot_kind(unsigned slot, const struct vendor **v, unsigned *kind)
{
	unsigned base = 0;

	for (uint32_t i = 0; i < vendor_set.n && slot > 0; i++) {
		unsigned n = vendor_at(i)->nkinds - 1;

		if (slot <= base + n) {
			*v = vendor_at(i);
			*kind = slot - base;
			return true;
		}
		base += n;
	}
	return false;
}

unsigned file_flags(const struct file_ref *ref)
{
	if (ref->vendor == NULL || ref->kind == 0 || ref->kind >= ref->vendor->nkinds)
		return 0;
	return ref->vendor->kinds[ref->kind];
}

uint64_t file_ino(const struct tree *t, const struct file_ref *ref)
{
	unsigned f = file_flags(ref);
	uint64_t slot = file_kind_slot(ref->vendor, ref->kind);

	if (f & KF_PASSTHROUGH)
		return ref->fw->ino;
	if (f & KF_DEVICE)
		return slot | (ref->dev->mac & INO_LOW_MASK);
	if (f & KF_MODEL)
		return slot | t->model_hash[ref->model - t->inv->models];
	return slot;
}

bool file_exists(const struct tree *t, const struct file_ref *ref)
{
	unsigned f = file_flags(ref);

	if (f == 0 && ref->vendor == NULL)
		return false;
	if ((f & KF_DEVICE) && (ref->dev == NULL || ref->dev->model == NULL ||
	                        vendor_of(ref->dev->model) != ref->vendor))
		return false;
	if ((f & KF_MODEL) && (ref->model == NULL || vendor_of(ref->model) != ref->vendor))
		return false;
	if ((f & KF_PASSTHROUGH) && ref->fw == NULL)
		return false;
	return ref->vendor->exists(t, ref);
}

int file_from_ino(const struct tree *t, uint64_t ino, struct file_ref *out)
{
	uint64_t low = ino & INO_LOW_MASK;
	unsigned f;

	memset(out, 0, sizeof(*out));
	if (!slot_kind((unsigned)(ino >> FILE_KIND_SHIFT), &out->vendor, &out->kind))
		return -ENOENT;
	f = file_flags(out);
	if (f & KF_PASSTHROUGH) {
		out->fw = tree_firmware_by_ino(t, ino);
	} else if (f & KF_DEVICE) {
		out->dev = inventory_find(t->inv, low);
		if (out->dev == NULL)
			return -ENOENT;
		out->model = out->dev->model;
	} else if (f & KF_MODEL) {
		for (uint32_t i = 0; i < t->inv->nmodels && out->model == NULL; i++)
			if (t->model_hash[i] == low)
				out->model = &t->inv->models[i];
	} else if (low != 0) {
		return -ENOENT;
	}
	return file_exists(t, out) ? 0 : -ENOENT;
}

int file_name(const struct file_ref *ref, char *buf, size_t len)
{
	if ((file_flags(ref) & KF_PASSTHROUGH) && ref->fw != NULL) {
		int n = snprintf(buf, len, "%s", ref->fw->name);

		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
	}
	for (size_t i = 0; ref->vendor != NULL && i < ref->vendor->nnames; i++)
		if (ref->vendor->names[i].kind == ref->kind)
			return name_print(ref->vendor, &ref->vendor->names[i], ref, buf, len);
	return -ENOENT;
}

bool file_names_device(const struct file_ref *ref)
{
	return (file_flags(ref) & KF_DEVICE) != 0;
}

bool file_key_carrier(const struct file_ref *ref)
{
	return (file_flags(ref) & KF_KEY_CARRIER) && ref->model != NULL &&
	       vendor_encrypted(ref->model);
}

bool file_key_proof(const struct file_ref *ref)
{
	return (file_flags(ref) & KF_KEY_PROOF) && ref->model != NULL &&
	       vendor_encrypted(ref->model);
}

int file_key_carrier_name(const struct device *dev, char *buf, size_t len)
{
	const struct vendor *v = vendor_of(dev->model);

	for (unsigned k = 1; k < v->nkinds; k++)
		if (v->kinds[k] & KF_KEY_CARRIER) {
			struct file_ref ref = { v, k, dev, dev->model, NULL };

			return file_name(&ref, buf, len);
		}
	return -ENOENT;
}

/*
 * A device file of a model without per-device keys that carries a secret parameter in clear:
 * what a vendor without its own plain_secret hook serves with nothing but the MAC to guard it
 * (Panasonic's, Yealink's and Cisco's plain profiles). A failure to tell says yes: the safe
 * answer for a window.
 */
static bool plain_file_has_secret(const struct tree *t, const struct file_ref *ref)
{
	struct resolved params;
	bool any = false;
	int r;

	if (file_is_passthrough(ref) || vendor_encrypted(ref->model) || ref->vendor->params == NULL)
		return false;
	resolved_init(&params);
	r = ref->vendor->params(t, ref->dev, &params);
	for (size_t i = 0; r == 0 && i < params.n && !any; i++)
		any = params.items[i].secret && params.items[i].value[0] != '\0';
	resolved_free(&params);
	return r < 0 || any;
}

bool file_enrol_window(const struct tree *t, const struct file_ref *ref, int64_t *until)
{
	if (!(file_flags(ref) & KF_DEVICE) || ref->dev == NULL || ref->dev->model == NULL ||
	    enroll_device_until(t->inv, ref->dev, until) == NULL)
		return false; /* no window: the cheap test first, a lookup pays nothing more */
	if (file_key_carrier(ref))
		return true;
	return ref->vendor->plain_secret != NULL ? ref->vendor->plain_secret(t, ref)
	                                         : plain_file_has_secret(t, ref);
}

bool file_enrol_closed(const struct tree *t, const struct file_ref *ref, int64_t now,
                       int64_t *until)
{
	return file_enrol_window(t, ref, until) && enroll_closed(*until, now);
}

bool file_is_passthrough(const struct file_ref *ref)
{
	return (file_flags(ref) & KF_PASSTHROUGH) != 0;
}

/* ---- bytes ------------------------------------------------------------------------------- */

int file_render(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out)
{
	if (ref->vendor == NULL || ref->kind == 0 || ref->kind >= ref->vendor->nkinds)
		return -ENOENT;
	if (file_is_passthrough(ref))
		return -EINVAL;
	return ref->vendor->render(t, ref, plain, out);
}

/* Still the file the tree was built with: a regular file, same inode, size and mtime. */
static bool same_file(const struct fw_file *fw, const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_dev == fw->real_dev && st->st_ino == fw->real_ino &&
	       (uint64_t)st->st_size == fw->size && st->st_mtime == fw->real_mtime;
}

int file_open_source(const struct file_ref *ref)
{
	const struct fw_file *fw = ref->fw;
	struct stat st;
	int fd;

	if (!file_is_passthrough(ref))
		return -EINVAL;
	/*
	 * Beneath the version directory the tree holds, never through a symlink. The entry is
	 * looked at before it is opened (a device node may act on open), and the open cannot
	 * block (a FIFO swapped in meanwhile opens at once with O_NONBLOCK; no worker waits for
	 * a writer); the fstat then checks what was really opened.
	 */
	if (fstatat(fw->dirfd, fw->file, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!same_file(fw, &st))
		return -ESTALE;
	fd = openat(fw->dirfd, fw->file, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -ESTALE : -errno; /* ELOOP: a symlink swapped in */
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	/* a replaced or rewritten file would not match the size the phone was told */
	if (!same_file(fw, &st)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

uint64_t file_source_size(const struct file_ref *ref)
{
	return ref->fw != NULL ? ref->fw->size : 0;
}

bool file_same_source(const struct file_ref *a, const struct file_ref *b)
{
	const struct fw_file *x = a->fw, *y = b->fw;

	return x != NULL && y != NULL && strcmp(x->path, y->path) == 0 && x->size == y->size &&
	       x->real_dev == y->real_dev && x->real_ino == y->real_ino &&
	       x->real_mtime == y->real_mtime;
}

/* ---- every name -------------------------------------------------------------------------- */

int file_foreach(const struct tree *t, bool devices, file_visit_fn fn, void *ctx)
{
	int r = 0;

	for (uint32_t i = 0; i < vendor_set.n && r == 0; i++) {
		const struct vendor *v = vendor_at(i);

		r = v->foreach != NULL ? v->foreach (t, devices, fn, ctx)
		                       : vendor_table_foreach(v, t, devices, fn, ctx);
	}
	return r;
}
