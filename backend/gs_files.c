/*
 * gs_files.c - Grandstream files from resolved parameters: XML v1 (gs_xml.c) encrypted with
 * the device's P1359 (crypto.c), the legacy binary (gs_binary.c), generic XML; and the
 * Grandstream vendor: its name table and the prefix/postfix grammar around it.
 *
 * The names Grandstream phones ask for are one table: "cfg" + MAC (12 hex digits, any letter
 * case) + a tail, cfg.xml and cfg<model>.xml. A phone with a config prefix/postfix (P234/P235)
 * asks for <prefix><name><postfix>, and after an inventory change it still asks once with the
 * old pair, so any prefix and postfix of up to 64 characters from [A-Za-z0-9._-] around a
 * known name resolve to that name's current file. Where a name could be read two ways, the
 * shortest prefix wins, then a device name over a generic one, then the longest tail (".xml"
 * before the binary's empty tail); the tree's checks reject inventories whose own names would
 * resolve to another file.
 */
#include "backend/gs_files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/crypto.h"
#include "backend/gs_binary.h"
#include "backend/gs_params.h"
#include "backend/gs_table.h"
#include "backend/gs_xml.h"
#include "backend/names.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/merge.h"

/* Wipes a buffer that held secrets in clear before giving it back. */
static void buf_free_wiped(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

int render_gs_device_xml(const struct tree *t, const struct file_ref *ref, bool plain,
                         struct buf *out)
{
	struct resolved params;
	const struct rparam *pw;
	char mac[MAC_STRLEN + 1];
	struct buf xml;
	uint8_t salt[CRYPTO_SALT_LEN];
	int r;

	resolved_init(&params);
	r = gs_resolve_device(t->inv, ref->dev, &params);
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
		r = crypto_openssl_enc(256, CRYPTO_MD_MD5, salt, pw->value, strlen(pw->value),
		                       xml.data, xml.len, out);
	buf_free_wiped(&xml);
out:
	resolved_free(&params);
	return r;
}

/* bootstrap: only what moves the phone onto this tree and unlocks its XML. */
static bool in_bootstrap(uint32_t p)
{
	return p == GS_P_CONFIG_PATH || p == GS_P_PROTOCOL || p == GS_P_CONFIG_PREFIX ||
	       p == GS_P_CONFIG_POSTFIX || p == GS_P_XML_PASSWORD || p == GS_P_ADMIN_PASSWORD;
}

/* Whether the device's binary option (or, with `layout`, binary_layout) is `want`. */
static bool binary_option_is(const struct tree *t, const struct device *dev, bool layout,
                             const char *want)
{
	struct effective e;
	struct ranked o;

	effective_device(&e, t->inv, dev);
	o = layout ? eff_binary_layout(&e) : eff_binary(&e);
	return o.v != NULL && strcmp(o.v->s, want) == 0;
}

int gs_binary_body_of(const struct tree *t, const struct device *dev, struct buf *out)
{
	struct resolved params;
	struct gs_pair *pairs;
	bool full = binary_option_is(t, dev, false, "full");
	int r;

	resolved_init(&params);
	r = gs_resolve_device(t->inv, dev, &params);
	pairs = r == 0 ? calloc(params.n ? params.n : 1, sizeof(*pairs)) : NULL;
	if (r == 0 && pairs == NULL)
		r = -ENOMEM;
	if (r == 0) {
		size_t n = 0;

		for (size_t i = 0; i < params.n; i++)
			if (full || in_bootstrap(params.items[i].key)) {
				pairs[n].name = params.items[i].name;
				pairs[n].value = params.items[i].value;
				n++;
			}
		gs_binary_body(pairs, n, out);
		r = buf_status(out);
	}
	free(pairs);
	resolved_free(&params);
	return r;
}

int render_gs_binary(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out)
{
	struct buf body;
	int r;

	if (plain)
		return gs_binary_body_of(t, ref->dev, out);
	buf_init(&body);
	r = gs_binary_body_of(t, ref->dev, &body);
	if (r == 0 && binary_option_is(t, ref->dev, true, "plain"))
		r = gs_binary_plain(ref->dev->mac, body.data, body.len, out);
	else if (r == 0)
		r = gs_binary_gapslite(ref->dev->mac, body.data, body.len,
		                       gs_binary_derive_r(ref->dev->mac, body.data, body.len), out);
	buf_free_wiped(&body);
	return r;
}

/* cfg.xml (model NULL) or cfg<model>.xml: no <mac>, no secret, never encrypted. */
int render_gs_generic_xml(const struct tree *t, const struct file_ref *ref, bool plain,
                          struct buf *out)
{
	struct resolved params;
	int r;

	(void)plain;
	resolved_init(&params);
	r = gs_resolve_generic(t->inv, ref->kind == GS_MODEL ? ref->model : NULL, &params);
	if (r == 0) {
		render_gs_xml(NULL, &params, out);
		r = buf_status(out);
	}
	resolved_free(&params);
	return r;
}

/* ---- the vendor ------------------------------------------------------------------------------ */

#define WRAP_MAX 64 /* characters of a prefix or a postfix */

static const unsigned gs_kinds[GS__KINDS] = {
	[GS_XML] = KF_DEVICE, [GS_BIN] = KF_DEVICE,           [GS_MODEL] = KF_MODEL,
	[GS_GENERIC] = 0,     [GS_FIRMWARE] = KF_PASSTHROUGH,
};

/* A kind's first row is its canonical name. */
static const struct name_rule gs_names[] = {
	{ GS_XML, "cfg", NV_MAC, ".xml" },           { GS_BIN, "cfg", NV_MAC, "" },
	{ GS_BIN, "cfg", NV_MAC, ".bin" },           { GS_GENERIC, "cfg.xml", NV_NONE, "" },
	{ GS_MODEL, "cfg", NV_MODEL_LOWER, ".xml" },
};
#define GS_NNAMES (sizeof(gs_names) / sizeof(gs_names[0]))

bool gs_device_has(const struct tree *t, const struct device *dev, unsigned kind)
{
	struct effective e;
	struct ranked b;

	if (dev->model == NULL || vendor_of(dev->model) != &vendor_grandstream)
		return false;
	if (kind == GS_XML)
		return true;
	if (kind != GS_BIN)
		return false;
	effective_device(&e, t->inv, dev);
	b = eff_binary(&e);
	return b.v != NULL && strcmp(b.v->s, "off") != 0;
}

/* Row r (a device row) at name[at]: its head, a MAC, its tail, a short enough postfix. */
static bool device_row_at(const struct name_rule *r, const char *name, size_t len, size_t at,
                          uint64_t *mac)
{
	size_t hl = strlen(r->head), tl = strlen(r->tail), mac_at = at + hl;

	return r->var == NV_MAC && mac_at + MAC_STRLEN + tl <= len &&
	       memcmp(name + at, r->head, hl) == 0 && mac_parse_hex12(name + mac_at, mac) &&
	       memcmp(name + mac_at + MAC_STRLEN, r->tail, tl) == 0 &&
	       len - mac_at - MAC_STRLEN - tl <= WRAP_MAX;
}

/* A device name at name[at]: of all rows that fit, the longest tail the device has. */
static bool match_device(const struct tree *t, const char *name, size_t len, size_t at,
                         struct file_ref *out)
{
	const struct name_rule *best = NULL;
	const struct device *dev = NULL;
	uint64_t mac;

	for (size_t i = 0; i < GS_NNAMES; i++) {
		const struct name_rule *r = &gs_names[i];

		if (!device_row_at(r, name, len, at, &mac) ||
		    (best != NULL && strlen(best->tail) >= strlen(r->tail)))
			continue;
		dev = inventory_find(t->inv, mac);
		if (dev != NULL && gs_device_has(t, dev, r->kind))
			best = r;
	}
	if (best == NULL)
		return false;
	*out = (struct file_ref){ &vendor_grandstream, best->kind, dev, dev->model, NULL };
	return true;
}

/* A generic name (cfg.xml, cfg<model>.xml) at name[at] with a short enough postfix. */
static bool match_generic(const struct tree *t, const char *name, size_t len, size_t at,
                          struct file_ref *out)
{
	if (!t->inv->has_generic)
		return false;
	for (size_t i = 0; i < GS_NNAMES; i++) {
		const struct name_rule *r = &gs_names[i];
		size_t hl = strlen(r->head), tl = strlen(r->tail);

		if (r->var == NV_MAC || at + hl > len || memcmp(name + at, r->head, hl) != 0)
			continue;
		if (r->var == NV_NONE && len - at - hl <= WRAP_MAX) {
			*out = (struct file_ref){ &vendor_grandstream, r->kind, NULL, NULL, NULL };
			return true;
		}
		/* cfg<model>.xml: the shortest postfix whose model exists */
		for (size_t j = at + hl + 1; r->var == NV_MODEL_LOWER && j + tl <= len; j++) {
			if (memcmp(name + j, r->tail, tl) != 0 || len - j - tl > WRAP_MAX)
				continue;
			*out = (struct file_ref){ &vendor_grandstream, r->kind, NULL, NULL, NULL };
			if (name_parse(&vendor_grandstream, r, t, name + at, j + tl - at, out))
				return true;
		}
	}
	return false;
}

int gs_resolve_config(const struct tree *t, const char *name, size_t len, struct file_ref *out)
{
	for (size_t at = 0; at <= WRAP_MAX && at < len; at++) {
		memset(out, 0, sizeof(*out));
		if (match_device(t, name, len, at, out) || match_generic(t, name, len, at, out))
			return 0;
	}
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

static int gs_resolve(const struct tree *t, const char *name, size_t len, struct file_ref *out)
{
	return gs_resolve_config(t, name, len, out);
}

static bool gs_unknown_device(const struct tree *t, const char *name, size_t len)
{
	uint64_t mac;

	for (size_t at = 0; at <= WRAP_MAX && at < len; at++)
		for (size_t i = 0; i < GS_NNAMES; i++)
			if (device_row_at(&gs_names[i], name, len, at, &mac))
				return inventory_find(t->inv, mac) == NULL;
	return false;
}

static bool gs_exists(const struct tree *t, const struct file_ref *ref)
{
	switch (ref->kind) {
	case GS_XML:
	case GS_BIN:
		return gs_device_has(t, ref->dev, ref->kind);
	case GS_MODEL:
	case GS_GENERIC:
		return t->inv->has_generic;
	case GS_FIRMWARE:
		return true;
	default:
		return false;
	}
}

/*
 * A device file a phone can read without any key: the XML when no XML password encrypts it,
 * and the binary in either layout (GAPSLITE's key is made of the MAC and the file's own
 * header: anyone can undo it). It bootstraps with a secret when any secret it carries is set.
 */
static bool gs_plain_secret(const struct tree *t, const struct file_ref *ref)
{
	struct resolved params;
	bool any = false;

	if ((ref->kind != GS_XML && ref->kind != GS_BIN) || ref->dev == NULL)
		return false;
	resolved_init(&params);
	if (gs_resolve_device(t->inv, ref->dev, &params) < 0) {
		resolved_free(&params);
		return true; /* cannot tell: the safe answer */
	}
	if (ref->kind == GS_BIN || resolved_get(&params, "P1359") == NULL)
		for (size_t i = 0; i < params.n && !any; i++)
			any =
			    params.items[i].secret && params.items[i].value[0] != '\0' &&
			    (ref->kind == GS_XML || binary_option_is(t, ref->dev, false, "full") ||
			     in_bootstrap(params.items[i].key));
	resolved_free(&params);
	return any;
}

static int gs_render(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out)
{
	switch (ref->kind) {
	case GS_XML:
		return render_gs_device_xml(t, ref, plain, out);
	case GS_BIN:
		return render_gs_binary(t, ref, plain, out);
	case GS_MODEL:
	case GS_GENERIC:
		return render_gs_generic_xml(t, ref, plain, out);
	default:
		return -EINVAL;
	}
}

struct visit {
	file_visit_fn fn;
	void *ctx;
};

static const char *str_or_empty(const struct value *v)
{
	return v->s != NULL ? v->s : "";
}

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

/* A device's names (every row of its kinds), plain and under its own prefix/postfix. */
static int visit_device(const struct tree *t, struct visit *v, const struct device *dev)
{
	char name[FILE_NAME_MAX + 1];
	const struct cfg_names *c;
	struct effective e;
	int rank, r = 0;

	effective_device(&e, t->inv, dev);
	c = eff_config(&e, &rank);
	for (size_t i = 0; i < GS_NNAMES && r == 0; i++) {
		struct file_ref ref = { &vendor_grandstream, gs_names[i].kind, dev, dev->model,
			                NULL };

		if (gs_names[i].var != NV_MAC || !gs_device_has(t, dev, ref.kind) ||
		    name_print(&vendor_grandstream, &gs_names[i], &ref, name, sizeof(name)) < 0)
			continue;
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

static int gs_foreach(const struct tree *t, bool devices, file_visit_fn fn, void *ctx)
{
	struct visit v = { fn, ctx };
	int r = 0;

	if (t->inv->has_generic) {
		struct file_ref g = { &vendor_grandstream, GS_GENERIC, NULL, NULL, NULL };

		r = visit_generic(t, &v, &g);
		for (uint32_t i = 0; i < t->inv->nmodels && r == 0; i++) {
			struct file_ref m = { &vendor_grandstream, GS_MODEL, NULL,
				              &t->inv->models[i], NULL };

			if (vendor_of(m.model) == &vendor_grandstream)
				r = visit_generic(t, &v, &m);
		}
	}
	for (uint32_t i = 0; i < t->nfw && r == 0; i++) {
		struct file_ref f = { &vendor_grandstream, GS_FIRMWARE, NULL, NULL, &t->fw[i] };

		r = fn(ctx, &f, t->fw[i].name);
	}
	for (uint32_t i = 0; devices && i < t->inv->ndevices && r == 0; i++) {
		const struct device *dev = &t->inv->devices[i];

		if (dev->model != NULL && vendor_of(dev->model) == &vendor_grandstream)
			r = visit_device(t, &v, dev);
	}
	return r;
}

static unsigned gs_model_use(const struct model *m)
{
	(void)m;
	return 1; /* XML: the binary carries what the XML does */
}

static int gs_params(const struct tree *t, const struct device *dev, struct resolved *out)
{
	return gs_resolve_device(t->inv, dev, out);
}

const struct vendor vendor_grandstream = {
	.schema = { "grandstream", NULL, 0,
	            LK_XML_PASSWORD | LK_BINARY | LK_CONFIG | LK_FIRMWARE | LK_GENERIC,
	            "Grandstream files are encrypted with 'xml_password'" },
	.label = "Grandstream",
	.kinds = gs_kinds,
	.nkinds = GS__KINDS,
	.names = gs_names,
	.nnames = GS_NNAMES,
	.resolve = gs_resolve,
	.unknown_device = gs_unknown_device,
	.exists = gs_exists,
	.render = gs_render,
	.foreach = gs_foreach,
	.model_use = gs_model_use,
	.check_model = gs_check_model,
	.check_level = gs_check_level,
	.check_tree = gs_check_tree,
	.plain_secret = gs_plain_secret,
	.params = gs_params,
	.file_password = { "P1359", "XML password" },
};
