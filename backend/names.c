/*
 * names.c - requested name -> file, and file -> its names: one grammar per vendor.
 *
 * A vendor's name table (vendor.h) lists its names as head + variable part + tail: a MAC (12
 * hex digits, any letter case when parsed, as the table says when printed), a model name, a
 * model's tag, or nothing. The same rows parse a requested name (file_resolve, the strict
 * parser every lookup goes through) and print the names of listings, export and logs
 * (file_name, file_foreach), so the two cannot disagree. A vendor with more to its grammar
 * (Grandstream's prefix/postfix wraps) brings its own resolve and still prints from its table.
 *
 * Vendors are asked in the order of the array; within a vendor, rows in table order: the first
 * row that names a file the tree serves wins. The tree's checks reject inventories whose own
 * names would resolve to another file. Firmware names are exact. Everything else is -ENOENT.
 */
#include "backend/names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/schema.h"

#define TAG_MAX 64

int name_print(const struct vendor *v, const struct name_rule *r, const struct file_ref *ref,
               char *buf, size_t len)
{
	char mac[MAC_STRLEN + 1], tag[TAG_MAX + 1];
	const char *mid = "";
	int n;

	if (r->var >= NV_MODEL && ref->model == NULL)
		return -ENOENT;
	switch (r->var) {
	case NV_NONE:
		break;
	case NV_MAC:
	case NV_MAC_UPPER:
		if (ref->dev != NULL)
			mac_format(ref->dev->mac, r->var == NV_MAC_UPPER, mac);
		mid = ref->dev != NULL ? mac : NAME_MAC_PLACEHOLDER;
		break;
	case NV_MODEL:
		mid = ref->model->name;
		break;
	case NV_MODEL_LOWER:
		n = snprintf(buf, len, "%s%s%s", r->head, ref->model->name, r->tail);
		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		for (size_t i = strlen(r->head); i < strlen(r->head) + strlen(ref->model->name);
		     i++)
			if (buf[i] >= 'A' && buf[i] <= 'Z')
				buf[i] = (char)(buf[i] - 'A' + 'a');
		return n;
	case NV_MODEL_MAC:
		if (ref->dev != NULL)
			mac_format(ref->dev->mac, true, mac);
		n = snprintf(buf, len, "%s%s-%s%s", r->head, ref->model->name,
		             ref->dev != NULL ? mac : NAME_MAC_PLACEHOLDER, r->tail);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
	case NV_TAG:
		if (v->model_tag == NULL || v->model_tag(ref->model, r, tag, sizeof(tag)) < 0)
			return -ENOENT;
		mid = tag;
		break;
	}
	n = snprintf(buf, len, "%s%s%s", r->head, mid, r->tail);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

/* The middle of name for rule r: between its head and its tail. */
static bool middle(const struct name_rule *r, const char *name, size_t len, const char **mid,
                   size_t *mlen)
{
	size_t hl = strlen(r->head), tl = strlen(r->tail);

	if (len < hl + tl || memcmp(name, r->head, hl) != 0 ||
	    memcmp(name + len - tl, r->tail, tl) != 0)
		return false;
	*mid = name + hl;
	*mlen = len - hl - tl;
	return true;
}

bool name_mac_shape(const struct name_rule *r, const char *name, size_t len, uint64_t *mac)
{
	const char *mid;
	size_t ml;

	if (!middle(r, name, len, &mid, &ml))
		return false;
	if (r->var == NV_MAC || r->var == NV_MAC_UPPER)
		return ml == MAC_STRLEN && mac_parse_hex12(mid, mac);
	if (r->var == NV_MODEL_MAC)
		return ml > MAC_STRLEN + 1 && mid[ml - MAC_STRLEN - 1] == '-' &&
		       mac_parse_hex12(mid + ml - MAC_STRLEN, mac);
	return false;
}

/* A model of vendor v named exactly s[0..n) (lower_only: in lower case, any case in the YAML). */
static const struct model *vendor_model(const struct vendor *v, const struct tree *t, const char *s,
                                        size_t n, bool lower_only)
{
	const struct model *m = inventory_find_model(t->inv, s, n);

	if (m == NULL || vendor_of(m) != v)
		return NULL;
	if (!lower_only)
		return strncmp(m->name, s, n) == 0 ? m : NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return NULL;
	return m;
}

/* The model of vendor v whose tag in rule r is s[0..n). */
static const struct model *tagged_model(const struct vendor *v, const struct name_rule *r,
                                        const struct tree *t, const char *s, size_t n)
{
	char tag[TAG_MAX + 1];

	if (v->model_tag == NULL || n > TAG_MAX)
		return NULL;
	for (uint32_t i = 0; i < t->inv->nmodels; i++) {
		const struct model *m = &t->inv->models[i];

		if (vendor_of(m) == v && v->model_tag(m, r, tag, sizeof(tag)) == (int)n &&
		    memcmp(tag, s, n) == 0)
			return m;
	}
	return NULL;
}

bool name_parse(const struct vendor *v, const struct name_rule *r, const struct tree *t,
                const char *name, size_t len, struct file_ref *out)
{
	const char *mid;
	size_t ml;
	uint64_t mac;

	memset(out, 0, sizeof(*out));
	if (!middle(r, name, len, &mid, &ml))
		return false;
	out->vendor = v;
	out->kind = r->kind;
	switch (r->var) {
	case NV_NONE:
		if (ml != 0)
			return false;
		break;
	case NV_MAC:
	case NV_MAC_UPPER:
	case NV_MODEL_MAC:
		if (!name_mac_shape(r, name, len, &mac))
			return false;
		out->dev = inventory_find(t->inv, mac);
		if (out->dev == NULL || out->dev->model == NULL)
			return false;
		out->model = out->dev->model;
		if (r->var == NV_MODEL_MAC &&
		    vendor_model(v, t, mid, ml - MAC_STRLEN - 1, false) != out->model)
			return false;
		break;
	case NV_MODEL:
	case NV_MODEL_LOWER:
		if (ml == 0)
			return false;
		out->model = vendor_model(v, t, mid, ml, r->var == NV_MODEL_LOWER);
		if (out->model == NULL)
			return false;
		break;
	case NV_TAG:
		out->model = tagged_model(v, r, t, mid, ml);
		if (out->model == NULL)
			return false;
		break;
	}
	return file_exists(t, out);
}

int vendor_table_resolve(const struct vendor *v, const struct tree *t, const char *name, size_t len,
                         struct file_ref *out)
{
	for (size_t i = 0; i < v->nnames; i++)
		if (name_parse(v, &v->names[i], t, name, len, out))
			return 0;
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

bool vendor_table_unknown_device(const struct vendor *v, const struct tree *t, const char *name,
                                 size_t len)
{
	uint64_t mac;

	for (size_t i = 0; i < v->nnames; i++)
		if (name_mac_shape(&v->names[i], name, len, &mac))
			return inventory_find(t->inv, mac) == NULL;
	return false;
}

/* Visits every name of ref's kind (every row of the kind), if the file exists. */
static int visit_rows(const struct vendor *v, const struct tree *t, const struct file_ref *ref,
                      file_visit_fn fn, void *ctx)
{
	char name[FILE_NAME_MAX + 1];
	int r = 0;

	if (!file_exists(t, ref))
		return 0;
	for (size_t i = 0; i < v->nnames && r == 0; i++)
		if (v->names[i].kind == ref->kind &&
		    name_print(v, &v->names[i], ref, name, sizeof(name)) >= 0)
			r = fn(ctx, ref, name);
	return r;
}

int vendor_table_foreach(const struct vendor *v, const struct tree *t, bool devices,
                         file_visit_fn fn, void *ctx)
{
	const struct inventory *inv = t->inv;
	int r = 0;

	for (unsigned k = 1; k < v->nkinds && r == 0; k++) {
		struct file_ref ref = { v, k, NULL, NULL, NULL };

		if (v->kinds[k] & (KF_DEVICE | KF_PASSTHROUGH))
			continue;
		if (!(v->kinds[k] & KF_MODEL)) {
			r = visit_rows(v, t, &ref, fn, ctx);
			continue;
		}
		for (uint32_t i = 0; i < inv->nmodels && r == 0; i++) {
			ref.model = &inv->models[i];
			if (vendor_of(ref.model) == v)
				r = visit_rows(v, t, &ref, fn, ctx);
		}
	}
	for (uint32_t i = 0; devices && i < inv->ndevices && r == 0; i++) {
		const struct device *dev = &inv->devices[i];

		if (dev->model == NULL || vendor_of(dev->model) != v)
			continue;
		for (unsigned k = 1; k < v->nkinds && r == 0; k++) {
			struct file_ref ref = { v, k, dev, dev->model, NULL };

			if (v->kinds[k] & KF_DEVICE)
				r = visit_rows(v, t, &ref, fn, ctx);
		}
	}
	return r;
}

int file_resolve(const struct tree *t, const char *name, struct file_ref *out)
{
	size_t len = strnlen(name, FILE_NAME_MAX + 1);
	const struct fw_file *fw;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > FILE_NAME_MAX || !name_in_alphabet(name, len))
		return -ENOENT;
	fw = tree_firmware(t, name, len);
	if (fw != NULL) {
		out->vendor = fw->vendor;
		out->kind = fw->kind;
		out->fw = fw;
		return 0;
	}
	for (uint32_t i = 0; i < vendor_set.n; i++) {
		const struct vendor *v = vendor_at(i);
		int r = v->resolve != NULL ? v->resolve(t, name, len, out)
		                           : vendor_table_resolve(v, t, name, len, out);

		if (r == 0)
			return 0;
	}
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

bool file_unknown_device(const struct tree *t, const char *name)
{
	size_t len = strnlen(name, FILE_NAME_MAX + 1);

	if (len == 0 || len > FILE_NAME_MAX || !name_in_alphabet(name, len))
		return false;
	for (uint32_t i = 0; i < vendor_set.n; i++) {
		const struct vendor *v = vendor_at(i);

		if (v->unknown_device != NULL ? v->unknown_device(t, name, len)
		                              : vendor_table_unknown_device(v, t, name, len))
			return true;
	}
	return false;
}
