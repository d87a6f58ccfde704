/*
 * files.c - name tables, inode numbers and the render dispatch.
 */
#include "backend/files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend/crypto.h"
#include "backend/gs_params.h"
#include "backend/gs_table.h"
#include "backend/gs_xml.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"

#define INO_KIND_SHIFT 48
#define INO_LOW_MASK   ((UINT64_C(1) << INO_KIND_SHIFT) - 1)

/* The names a vendor's phones ask for that carry their MAC: head + 12 hex digits + tail. */
struct name_rule {
	enum vendor vendor;
	const char *head;
	const char *tail;
	bool upper; /* letter case of the MAC in the canonical name */
	enum file_kind kind;
};

static const struct name_rule device_names[] = {
	{ VENDOR_GRANDSTREAM, "cfg", ".xml", false, FK_GS_XML },
};

#define NRULES (sizeof(device_names) / sizeof(device_names[0]))

static const struct name_rule *rule_of(enum file_kind kind)
{
	for (size_t i = 0; i < NRULES; i++)
		if (device_names[i].kind == kind)
			return &device_names[i];
	return NULL;
}

/* Whether a device has a file of this kind (vendor and options permitting). */
static bool device_has(const struct device *dev, const struct name_rule *rule)
{
	return dev->model != NULL && dev->model->vendor == rule->vendor;
}

static bool match_rule(const struct inventory *inv, const struct name_rule *rule, const char *name,
                       size_t len, struct file_ref *out)
{
	size_t hl = strlen(rule->head), tl = strlen(rule->tail);
	const struct device *dev;
	uint64_t mac;

	if (len != hl + MAC_STRLEN + tl || memcmp(name, rule->head, hl) != 0 ||
	    memcmp(name + hl + MAC_STRLEN, rule->tail, tl) != 0)
		return false;
	if (!mac_parse_hex12(name + hl, &mac))
		return false;
	dev = inventory_find(inv, mac);
	if (dev == NULL || !device_has(dev, rule))
		return false;
	out->kind = rule->kind;
	out->dev = dev;
	out->model = dev->model;
	return true;
}

int file_resolve(const struct inventory *inv, const char *name, struct file_ref *out)
{
	size_t len = strnlen(name, FILE_NAME_MAX + 1);

	memset(out, 0, sizeof(*out));
	if (len > FILE_NAME_MAX)
		return -ENOENT;
	for (size_t i = 0; i < NRULES; i++)
		if (match_rule(inv, &device_names[i], name, len, out))
			return 0;
	return -ENOENT;
}

uint64_t file_ino(const struct file_ref *ref)
{
	uint64_t low = ref->dev != NULL ? ref->dev->mac : 0;

	return ((uint64_t)ref->kind << INO_KIND_SHIFT) | (low & INO_LOW_MASK);
}

int file_from_ino(const struct inventory *inv, uint64_t ino, struct file_ref *out)
{
	uint64_t kind = ino >> INO_KIND_SHIFT;
	const struct name_rule *rule;
	const struct device *dev;

	memset(out, 0, sizeof(*out));
	if (kind == FK_NONE || kind >= FK__COUNT)
		return -ENOENT;
	rule = rule_of((enum file_kind)kind);
	if (rule == NULL)
		return -ENOENT;
	dev = inventory_find(inv, ino & INO_LOW_MASK);
	if (dev == NULL || !device_has(dev, rule))
		return -ENOENT;
	out->kind = rule->kind;
	out->dev = dev;
	out->model = dev->model;
	return 0;
}

int file_name(const struct file_ref *ref, char *buf, size_t len)
{
	const struct name_rule *rule = rule_of(ref->kind);
	char mac[MAC_STRLEN + 1];
	int n;

	if (rule == NULL || ref->dev == NULL)
		return -ENOENT;
	mac_format(ref->dev->mac, rule->upper, mac);
	n = snprintf(buf, len, "%s%s%s", rule->head, mac, rule->tail);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

bool file_names_device(enum file_kind kind)
{
	return rule_of(kind) != NULL;
}

/* ---- rendering ----------------------------------------------------------------------------- */

/* Wipes a buffer that held secrets in clear before giving it back. */
static void buf_free_wiped(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

/* cfg<mac>.xml, encrypted with P1359 when the device has an XML password. */
static int render_gs_device_xml(const struct inventory *inv, const struct file_ref *ref, bool plain,
                                struct buf *out)
{
	struct resolved params;
	const struct rparam *pw;
	char mac[MAC_STRLEN + 1];
	struct buf xml;
	uint8_t salt[CRYPTO_SALT_LEN];
	int r;

	resolved_init(&params);
	r = gs_resolve_device(inv, ref->dev, &params);
	if (r < 0)
		goto out;
	mac_format(ref->dev->mac, false, mac);
	pw = resolved_get(&params, "P1359");
	if (plain || pw == NULL) {
		render_gs_xml(mac, &params, out);
		r = buf_status(out);
		goto out;
	}
	buf_init(&xml);
	render_gs_xml(mac, &params, &xml);
	r = buf_status(&xml);
	if (r == 0)
		r = crypto_derive_salt(pw->value, strlen(pw->value), xml.data, xml.len, salt);
	if (r == 0)
		r = crypto_openssl_enc(256, salt, pw->value, strlen(pw->value), xml.data, xml.len,
		                       out);
	buf_free_wiped(&xml);
out:
	resolved_free(&params);
	return r;
}

typedef int (*render_fn)(const struct inventory *, const struct file_ref *, bool, struct buf *);

static const render_fn renderers[FK__COUNT] = {
	[FK_GS_XML] = render_gs_device_xml,
};

int file_render(const struct inventory *inv, const struct file_ref *ref, bool plain,
                struct buf *out)
{
	if (ref->kind <= FK_NONE || ref->kind >= FK__COUNT || renderers[ref->kind] == NULL)
		return -ENOENT;
	return renderers[ref->kind](inv, ref, plain, out);
}

/* ---- listing ------------------------------------------------------------------------------- */

int file_foreach(const struct inventory *inv, bool devices, file_visit_fn fn, void *ctx)
{
	if (!devices)
		return 0; /* every file so far names a MAC */
	for (uint32_t i = 0; i < inv->ndevices; i++) {
		const struct device *dev = &inv->devices[i];

		for (size_t k = 0; k < NRULES; k++) {
			struct file_ref ref = { device_names[k].kind, dev, dev->model };
			int r;

			if (!device_has(dev, &device_names[k]))
				continue;
			r = fn(ctx, &ref);
			if (r != 0)
				return r;
		}
	}
	return 0;
}
