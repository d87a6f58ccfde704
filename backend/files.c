/*
 * files.c - inode numbers, the render dispatch, firmware sources and the list of names.
 */
#include "backend/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/gs_files.h"
#include "backend/names.h"
#include "backend/pa_files.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/merge.h"

#define INO_KIND_SHIFT 48
#define INO_LOW_MASK   ((UINT64_C(1) << INO_KIND_SHIFT) - 1)

static uint64_t kind_bits(enum file_kind kind)
{
	return (uint64_t)kind << INO_KIND_SHIFT;
}

/* Kinds that belong to one device: the MAC is the inode's low bits. */
static bool device_kind(enum file_kind kind)
{
	switch (kind) {
	case FK_GS_XML:
	case FK_GS_BIN:
	case FK_PA_STD:
	case FK_PA_STD_ENC:
	case FK_PA_PRODUCT_ENC:
	case FK_PA_MASTER_ENC:
		return true;
	default:
		return false;
	}
}

/* Kinds that belong to one model: a hash of its name is the inode's low bits. */
static bool model_kind(enum file_kind kind)
{
	return kind == FK_GS_MODEL || kind == FK_PA_PRODUCT || kind == FK_PA_ENTRY;
}

uint64_t file_ino(const struct tree *t, const struct file_ref *ref)
{
	if (ref->kind == FK_GS_FIRMWARE)
		return ref->fw->ino;
	if (device_kind(ref->kind))
		return kind_bits(ref->kind) | (ref->dev->mac & INO_LOW_MASK);
	if (model_kind(ref->kind))
		return kind_bits(ref->kind) | t->model_hash[ref->model - t->inv->models];
	return kind_bits(ref->kind);
}

/* Whether some Panasonic model without encryption uses this dialect (the master layers). */
static bool plain_pa_dialect(const struct tree *t, enum dialect d)
{
	for (uint32_t i = 0; i < t->inv->nmodels; i++) {
		const struct model *m = &t->inv->models[i];

		if (m->vendor == VENDOR_PANASONIC && !m->encrypt && m->dialect == d)
			return true;
	}
	return false;
}

static bool pa_device_has(const struct tree *t, const struct device *dev, enum file_kind kind)
{
	struct pa_key k;

	if (dev->model == NULL || dev->model->vendor != VENDOR_PANASONIC)
		return false;
	if (kind != FK_PA_STD)
		return pa_encrypted(dev->model);
	/* an encrypted model's plain file exists until one reader read it whole */
	return !pa_encrypted(dev->model) || pa_device_key(t, dev, false, &k) < 0 ||
	       k.state != KEY_DELIVERED;
}

bool file_exists(const struct tree *t, const struct file_ref *ref)
{
	const struct model *m = ref->model;

	switch (ref->kind) {
	case FK_GS_XML:
	case FK_GS_BIN:
		return ref->dev != NULL && gs_device_has(t, ref->dev, ref->kind);
	case FK_PA_STD:
	case FK_PA_STD_ENC:
	case FK_PA_PRODUCT_ENC:
	case FK_PA_MASTER_ENC:
		return ref->dev != NULL && pa_device_has(t, ref->dev, ref->kind);
	case FK_GS_MODEL:
		return m != NULL && t->inv->has_generic && m->vendor == VENDOR_GRANDSTREAM;
	case FK_GS_GENERIC:
		return t->inv->has_generic;
	case FK_GS_FIRMWARE:
		return ref->fw != NULL;
	case FK_PA_PRODUCT:
		return m != NULL && m->vendor == VENDOR_PANASONIC && !m->encrypt;
	case FK_PA_ENTRY:
		return m != NULL && m->vendor == VENDOR_PANASONIC;
	case FK_PA_MASTER:
		return plain_pa_dialect(t, DIALECT_TEXT);
	case FK_PA_MASTER_UTG:
		return plain_pa_dialect(t, DIALECT_UTG_XML);
	default:
		return false;
	}
}

int file_from_ino(const struct tree *t, uint64_t ino, struct file_ref *out)
{
	uint64_t kind = ino >> INO_KIND_SHIFT, low = ino & INO_LOW_MASK;

	memset(out, 0, sizeof(*out));
	if (kind == FK_NONE || kind >= FK__COUNT)
		return -ENOENT;
	out->kind = (enum file_kind)kind;
	if (out->kind == FK_GS_FIRMWARE) {
		out->fw = tree_firmware_by_ino(t, ino);
	} else if (device_kind(out->kind)) {
		out->dev = inventory_find(t->inv, low);
		if (out->dev == NULL)
			return -ENOENT;
		out->model = out->dev->model;
	} else if (model_kind(out->kind)) {
		for (uint32_t i = 0; i < t->inv->nmodels && out->model == NULL; i++)
			if (t->model_hash[i] == low)
				out->model = &t->inv->models[i];
	} else if (low != 0) {
		return -ENOENT;
	}
	return file_exists(t, out) ? 0 : -ENOENT;
}

/* Writes "cfg" + lower-cased model + ".xml". */
static int model_file_name(const struct model *m, char *buf, size_t len)
{
	int n = snprintf(buf, len, "cfg%s.xml", m->name);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	for (int i = 3; i < n - 4; i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] = (char)(buf[i] - 'A' + 'a');
	return n;
}

int file_name(const struct file_ref *ref, char *buf, size_t len)
{
	char mac[MAC_STRLEN + 1];
	int n;

	switch (ref->kind) {
	case FK_GS_XML:
	case FK_GS_BIN:
		mac_format(ref->dev->mac, false, mac);
		n = snprintf(buf, len, "cfg%s%s", mac, ref->kind == FK_GS_XML ? ".xml" : "");
		break;
	case FK_GS_MODEL:
		return model_file_name(ref->model, buf, len);
	case FK_GS_GENERIC:
		n = snprintf(buf, len, "cfg.xml");
		break;
	case FK_GS_FIRMWARE:
		n = snprintf(buf, len, "%s", ref->fw->name);
		break;
	case FK_PA_STD:
	case FK_PA_STD_ENC:
		mac_format(ref->dev->mac, true, mac);
		n = snprintf(buf, len, "Config%s.%s", mac, ref->kind == FK_PA_STD ? "cfg" : "enc");
		break;
	case FK_PA_PRODUCT:
		n = snprintf(buf, len, "Config%s.cfg", ref->model->name);
		break;
	case FK_PA_PRODUCT_ENC:
		mac_format(ref->dev->mac, true, mac);
		n = snprintf(buf, len, "Config%s-%s.enc", ref->model->name, mac);
		break;
	case FK_PA_MASTER:
		n = snprintf(buf, len, "%s", PA_MASTER_NAME);
		break;
	case FK_PA_MASTER_UTG:
		n = snprintf(buf, len, "%s", PA_MASTER_UTG_NAME);
		break;
	case FK_PA_MASTER_ENC:
		mac_format(ref->dev->mac, true, mac);
		n = snprintf(buf, len, "ConfigCom-%s.enc", mac);
		break;
	case FK_PA_ENTRY:
		n = snprintf(buf, len, "%s.cfg", ref->model->name);
		break;
	default:
		return -ENOENT;
	}
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

bool file_names_device(enum file_kind kind)
{
	return device_kind(kind);
}

bool file_is_passthrough(const struct file_ref *ref)
{
	return ref->kind == FK_GS_FIRMWARE;
}

/* ---- bytes ------------------------------------------------------------------------------- */

typedef int (*render_fn)(const struct tree *, const struct file_ref *, bool, struct buf *);

static const render_fn renderers[FK__COUNT] = {
	[FK_GS_XML] = render_gs_device_xml,    [FK_GS_BIN] = render_gs_binary,
	[FK_GS_MODEL] = render_gs_generic_xml, [FK_GS_GENERIC] = render_gs_generic_xml,
	[FK_PA_STD] = render_pa_file,          [FK_PA_STD_ENC] = render_pa_file,
	[FK_PA_PRODUCT] = render_pa_file,      [FK_PA_PRODUCT_ENC] = render_pa_file,
	[FK_PA_MASTER] = render_pa_file,       [FK_PA_MASTER_UTG] = render_pa_file,
	[FK_PA_MASTER_ENC] = render_pa_file,   [FK_PA_ENTRY] = render_pa_file,
};

int file_render(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out)
{
	if (ref->kind <= FK_NONE || ref->kind >= FK__COUNT)
		return -ENOENT;
	if (renderers[ref->kind] == NULL)
		return -EINVAL;
	return renderers[ref->kind](t, ref, plain, out);
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

struct visit {
	file_visit_fn fn;
	void *ctx;
};

/* Visits `name` and, when the pair is not empty, <prefix><name><postfix>. */
static int visit_wrapped(struct visit *v, const struct file_ref *ref, const char *name,
                         const char *prefix, const char *postfix)
{
	char wrapped[FILE_NAME_MAX + 1];
	int r = v->fn(v->ctx, ref, name), n;

	if (r != 0 || (prefix[0] == '\0' && postfix[0] == '\0'))
		return r;
	n = snprintf(wrapped, sizeof(wrapped), "%s%s%s", prefix, name, postfix);
	if (n < 0 || (size_t)n >= sizeof(wrapped))
		return 0; /* cannot be asked for either: names are at most 255 bytes */
	return v->fn(v->ctx, ref, wrapped);
}

static const char *str_or_empty(const struct value *v)
{
	return v->s != NULL ? v->s : "";
}

/* A file with just its canonical name, if it exists. */
static int visit_plain(const struct tree *t, struct visit *v, const struct file_ref *ref)
{
	char name[FILE_NAME_MAX + 1];

	if (!file_exists(t, ref) || file_name(ref, name, sizeof(name)) < 0)
		return 0;
	return v->fn(v->ctx, ref, name);
}

static int visit_pa_device(const struct tree *t, struct visit *v, const struct device *dev)
{
	static const enum file_kind kinds[] = { FK_PA_STD, FK_PA_STD_ENC, FK_PA_PRODUCT_ENC,
		                                FK_PA_MASTER_ENC };
	int r = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && r == 0; i++) {
		struct file_ref ref = { kinds[i], dev, dev->model, NULL };

		r = visit_plain(t, v, &ref);
	}
	return r;
}

static int visit_pa_shared(const struct tree *t, struct visit *v)
{
	struct file_ref master = { FK_PA_MASTER, NULL, NULL, NULL };
	struct file_ref master_utg = { FK_PA_MASTER_UTG, NULL, NULL, NULL };
	int r = visit_plain(t, v, &master);

	if (r == 0)
		r = visit_plain(t, v, &master_utg);
	for (uint32_t i = 0; i < t->inv->nmodels && r == 0; i++) {
		struct file_ref product = { FK_PA_PRODUCT, NULL, &t->inv->models[i], NULL };
		struct file_ref entry = { FK_PA_ENTRY, NULL, &t->inv->models[i], NULL };

		r = visit_plain(t, v, &product);
		if (r == 0)
			r = visit_plain(t, v, &entry);
	}
	return r;
}

static int visit_device(const struct tree *t, struct visit *v, const struct device *dev)
{
	char mac[MAC_STRLEN + 1], name[FILE_NAME_MAX + 1];
	const struct cfg_names *c;
	struct effective e;
	int rank, r = 0;

	if (dev->model != NULL && dev->model->vendor == VENDOR_PANASONIC)
		return visit_pa_device(t, v, dev);
	if (dev->model == NULL || dev->model->vendor != VENDOR_GRANDSTREAM)
		return 0;
	effective_device(&e, t->inv, dev);
	c = eff_config(&e, &rank);
	mac_format(dev->mac, false, mac);
	for (size_t i = 0; i < gs_device_nnames && r == 0; i++) {
		struct file_ref ref = { gs_device_names[i].kind, dev, dev->model, NULL };

		if (!gs_device_has(t, dev, ref.kind))
			continue;
		snprintf(name, sizeof(name), "cfg%s%s", mac, gs_device_names[i].tail);
		r = visit_wrapped(v, &ref, name, c ? str_or_empty(&c->prefix) : "",
		                  c ? str_or_empty(&c->postfix) : "");
	}
	return r;
}

/* A generic file, plain and under every prefix/postfix pair devices use. */
static int visit_generic(const struct tree *t, struct visit *v, const struct file_ref *ref)
{
	char name[FILE_NAME_MAX + 1];
	int r;

	if (file_name(ref, name, sizeof(name)) < 0)
		return 0;
	r = v->fn(v->ctx, ref, name);
	for (uint32_t i = 0; i < t->nwraps && r == 0; i++) {
		char wrapped[FILE_NAME_MAX + 1];
		int n = snprintf(wrapped, sizeof(wrapped), "%s%s%s", t->wraps[i].prefix, name,
		                 t->wraps[i].postfix);

		if (n > 0 && (size_t)n < sizeof(wrapped))
			r = v->fn(v->ctx, ref, wrapped);
	}
	return r;
}

int file_foreach(const struct tree *t, bool devices, file_visit_fn fn, void *ctx)
{
	struct visit v = { fn, ctx };
	int r = 0;

	if (t->inv->has_generic) {
		struct file_ref g = { FK_GS_GENERIC, NULL, NULL, NULL };

		r = visit_generic(t, &v, &g);
		for (uint32_t i = 0; i < t->inv->nmodels && r == 0; i++) {
			struct file_ref m = { FK_GS_MODEL, NULL, &t->inv->models[i], NULL };

			if (m.model->vendor == VENDOR_GRANDSTREAM)
				r = visit_generic(t, &v, &m);
		}
	}
	for (uint32_t i = 0; i < t->nfw && r == 0; i++) {
		struct file_ref f = { FK_GS_FIRMWARE, NULL, NULL, &t->fw[i] };

		r = fn(ctx, &f, t->fw[i].name);
	}
	if (r == 0)
		r = visit_pa_shared(t, &v);
	for (uint32_t i = 0; devices && i < t->inv->ndevices && r == 0; i++)
		r = visit_device(t, &v, &t->inv->devices[i]);
	return r;
}
