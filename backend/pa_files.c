/*
 * pa_files.c - Panasonic files: three first-wins layers, their encrypted forms, the entry
 * file.
 *
 * The phone reads standard -> product -> master and keeps the first value of each
 * parameter. A device's parameter goes to its own standard file when a device or group
 * level set it, when it is a secret, or when it came from `lines` (accounts differ per
 * device); otherwise to the product file of its model when the model set it, or to the
 * master file when defaults did. The shared files are resolved from [defaults, model] and
 * [defaults] without lines, where the same candidate wins, so the phone's merge equals the
 * inventory's merge for every device (test_pa_files checks this).
 *
 * Encrypted models (utg-xml, encrypt: true) get per-device copies of all three layers,
 * base64 of `openssl enc -aes-N-cbc -md md5 -pass pass:KEY`, with the salt derived from the
 * key and the plaintext so the bytes are stable.
 */
#include "backend/pa_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/crypto.h"
#include "backend/pa_params.h"
#include "backend/pa_table.h"
#include "backend/pa_text.h"
#include "backend/pa_utg.h"
#include "inventory/mac.h"

#define NAME_LEN 160

static const char *const scheme_names[] = {
	[URL_TFTP] = "tftp", [URL_HTTP] = "http", [URL_HTTPS] = "https",
	[URL_FTP] = "ftp",   [URL_FTPS] = "ftps",
};

enum dialect pa_dialect(const struct model *m)
{
	const struct value *v = &m->options[0]; /* pa_options[0]: dialect */

	if (v->s != NULL)
		return m->choice[0] == 0 ? DIALECT_TEXT : DIALECT_UTG_XML;
	return strncmp(m->name, "KX-UTG", 6) == 0 ? DIALECT_UTG_XML : DIALECT_TEXT;
}

unsigned pa_key_bits(const struct model *m)
{
	static const unsigned bits[] = { 128, 192, 256 }; /* pa_options[1]: key_length */

	return bits[m->choice[1] < 3 ? m->choice[1] : 0];
}

static bool pa_encrypted(const struct model *m)
{
	return m->encrypt;
}

/*
 * The names a device's standard file points at, printed from the name table (dev NULL: with
 * "{MAC}" in place of the MAC, as the shared entry file writes them).
 */
static void layer_names(const struct model *m, const struct device *dev, char std[NAME_LEN],
                        char product[NAME_LEN], char master[NAME_LEN])
{
	bool enc = pa_encrypted(m);
	struct file_ref ref = { &vendor_panasonic, enc ? PA_STD_ENC : PA_STD, dev, m, NULL };

	(void)file_name(&ref, std, NAME_LEN);
	ref.kind = enc ? PA_PRODUCT_ENC : PA_PRODUCT;
	(void)file_name(&ref, product, NAME_LEN);
	ref.kind = enc                                ? PA_MASTER_ENC
	           : pa_dialect(m) == DIALECT_UTG_XML ? PA_MASTER_UTG
	                                              : PA_MASTER;
	(void)file_name(&ref, master, NAME_LEN);
}

static char *url_of(const struct tree *t, struct resolved *r, const char *name)
{
	return arena_printf(&r->pool, "%s://%s/%s", scheme_names[t->inv->url_scheme],
	                    t->inv->url_path, name);
}

/* Renders items in the model's dialect. */
static void render_items(enum dialect d, const struct rparam *const *items, size_t n,
                         struct buf *out)
{
	if (d == DIALECT_UTG_XML)
		render_pa_utg(items, n, out);
	else
		render_pa_text(items, n, out);
}

/* Keeps the items a layer holds and renders them. */
enum layer {
	LAYER_STANDARD,
	LAYER_PRODUCT,
	LAYER_MASTER,
};

static bool in_layer(const struct rparam *p, enum layer layer)
{
	bool own = p->level == LEVEL_DEVICE || p->level == LEVEL_GROUP || p->secret ||
	           p->from_line || p->rank == RANK_FIXED;

	switch (layer) {
	case LAYER_STANDARD:
		return own;
	case LAYER_PRODUCT:
		return !own && p->level == LEVEL_MODEL;
	default:
		return !own && p->level == LEVEL_DEFAULTS;
	}
}

static int render_layer(const struct resolved *r, enum layer layer, enum dialect d, struct buf *out)
{
	const struct rparam **items = calloc(r->n ? r->n : 1, sizeof(*items));
	size_t n = 0;

	if (items == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++)
		if (in_layer(&r->items[i], layer))
			items[n++] = &r->items[i];
	render_items(d, items, n, out);
	free(items);
	return buf_status(out);
}

/* Wipes a buffer that held secrets in clear before giving it back. */
static void buf_free_wiped(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

/* Appends base64(openssl enc) of plain with the device's key. */
static int encrypt_for(const struct tree *t, const struct device *dev, const struct buf *plain,
                       struct buf *out)
{
	struct dev_key k;
	uint8_t salt[CRYPTO_SALT_LEN];
	struct buf raw;
	int r = vendor_device_key(t, dev, true, &k);

	if (r < 0)
		return r;
	buf_init(&raw);
	r = crypto_derive_salt(k.pass, strlen(k.pass), plain->data, plain->len, salt);
	if (r == 0)
		r = crypto_openssl_enc(k.bits, CRYPTO_MD_MD5, salt, k.pass, strlen(k.pass),
		                       plain->data, plain->len, &raw);
	if (r == 0) {
		crypto_base64_lines(raw.data, raw.len, out);
		r = buf_status(out);
	}
	buf_free(&raw);
	explicit_bzero(&k, sizeof(k));
	return r;
}

/* Config<MAC>.cfg (with the key while it is pending) and Config<MAC>.enc. */
static int render_standard(const struct tree *t, const struct file_ref *ref, bool plain,
                           struct buf *out)
{
	const struct device *dev = ref->dev;
	const struct model *m = dev->model;
	char std[NAME_LEN], product[NAME_LEN], master[NAME_LEN], bits[8];
	struct pa_fixed fixed[5];
	struct resolved params;
	struct dev_key k;
	size_t nfixed = 3;
	struct buf layer;
	int r;

	layer_names(m, dev, std, product, master);
	resolved_init(&params);
	fixed[0] = (struct pa_fixed){ PA_STANDARD_PATH, url_of(t, &params, std) };
	fixed[1] = (struct pa_fixed){ PA_PRODUCT_PATH, url_of(t, &params, product) };
	fixed[2] = (struct pa_fixed){ PA_MASTER_PATH, url_of(t, &params, master) };
	memset(&k, 0, sizeof(k));
	if (pa_encrypted(m) && ref->kind == PA_STD) {
		/* the plain file is how the phone gets its key */
		r = vendor_device_key(t, dev, true, &k);
		if (r < 0)
			goto out;
		snprintf(bits, sizeof(bits), "%u", k.bits);
		fixed[nfixed++] = (struct pa_fixed){ PA_FILE_KEY, k.pass };
		fixed[nfixed++] = (struct pa_fixed){ PA_FILE_KEY_LEN, bits };
	}
	r = pa_resolve_device(t->inv, dev, fixed, nfixed, &params);
	if (r < 0)
		goto out;
	if (plain || ref->kind == PA_STD) {
		r = render_layer(&params, LAYER_STANDARD, pa_dialect(m), out);
		goto out;
	}
	buf_init(&layer);
	r = render_layer(&params, LAYER_STANDARD, pa_dialect(m), &layer);
	if (r == 0)
		r = encrypt_for(t, dev, &layer, out);
	buf_free_wiped(&layer);
out:
	explicit_bzero(&k, sizeof(k));
	resolved_free(&params);
	return r;
}

/* Config<MODEL>.cfg, ConfigCom.cfg, ConfigCom-utg.cfg and their per-device .enc copies. */
static int render_shared(const struct tree *t, const struct file_ref *ref, bool plain,
                         struct buf *out)
{
	bool product = ref->kind == PA_PRODUCT || ref->kind == PA_PRODUCT_ENC;
	bool enc = ref->kind == PA_PRODUCT_ENC || ref->kind == PA_MASTER_ENC;
	enum dialect d = ref->kind == PA_MASTER ? DIALECT_TEXT
	                 : ref->model != NULL   ? pa_dialect(ref->model)
	                                        : DIALECT_UTG_XML;
	struct resolved params;
	struct buf layer;
	int r;

	resolved_init(&params);
	r = pa_resolve_shared(t->inv, product ? ref->model : NULL, d, &params);
	if (r == 0 && (plain || !enc))
		r = render_layer(&params, product ? LAYER_PRODUCT : LAYER_MASTER, d, out);
	else if (r == 0) {
		buf_init(&layer);
		r = render_layer(&params, product ? LAYER_PRODUCT : LAYER_MASTER, d, &layer);
		if (r == 0)
			r = encrypt_for(t, ref->dev, &layer, out);
		buf_free_wiped(&layer);
	}
	resolved_free(&params);
	return r;
}

/* <MODEL>.cfg: where a phone that only knows the server (DHCP option 66) finds the rest. */
static int render_entry(const struct tree *t, const struct file_ref *ref, bool plain,
                        struct buf *out)
{
	const struct model *m = ref->model;
	char std[NAME_LEN], product[NAME_LEN], master[NAME_LEN], path[3][128];
	const char *flat[3] = { PA_STANDARD_PATH, PA_PRODUCT_PATH, PA_MASTER_PATH };
	const struct rparam *items[3];
	struct rparam p[3];
	struct resolved pool;
	int r = 0;

	(void)plain;
	resolved_init(&pool);
	/* shared by every phone of the model: the phone puts its MAC in place of {MAC} */
	layer_names(m, NULL, std, product, master);
	/* before its key is delivered an encrypted model's phone reads the plain standard file */
	if (pa_encrypted(m)) {
		struct file_ref carrier = { &vendor_panasonic, PA_STD, NULL, m, NULL };

		(void)file_name(&carrier, std, NAME_LEN);
	}
	for (int i = 0; i < 3; i++) {
		const char *name = flat[i];

		if (pa_dialect(m) == DIALECT_UTG_XML) {
			if (pa_utg_path(flat[i], path[i], sizeof(path[i])) < 0)
				r = -EIO;
			name = path[i];
		}
		memset(&p[i], 0, sizeof(p[i]));
		p[i].name = name;
		p[i].value = url_of(t, &pool, i == 0 ? std : i == 1 ? product : master);
		items[i] = &p[i];
	}
	if (r == 0 && pool.oom)
		r = -ENOMEM;
	if (r == 0) {
		/* sorted as the renderers need: both dialects order these three the same way */
		const struct rparam *sorted[3] = { items[2], items[1], items[0] };

		render_items(pa_dialect(m), sorted, 3, out);
		r = buf_status(out);
	}
	resolved_free(&pool);
	return r;
}

int render_pa_file(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out)
{
	switch (ref->kind) {
	case PA_STD:
	case PA_STD_ENC:
		return render_standard(t, ref, plain, out);
	case PA_PRODUCT:
	case PA_PRODUCT_ENC:
	case PA_MASTER:
	case PA_MASTER_UTG:
	case PA_MASTER_ENC:
		return render_shared(t, ref, plain, out);
	case PA_ENTRY:
		return render_entry(t, ref, plain, out);
	default:
		return -ENOENT;
	}
}

/* ---- the vendor ------------------------------------------------------------------------------ */

/* Whether some Panasonic model without encryption uses this dialect (the master layers). */
static bool plain_dialect(const struct tree *t, enum dialect d)
{
	for (uint32_t i = 0; i < t->inv->nmodels; i++) {
		const struct model *m = &t->inv->models[i];

		if (vendor_of(m) == &vendor_panasonic && !m->encrypt && pa_dialect(m) == d)
			return true;
	}
	return false;
}

static bool pa_exists(const struct tree *t, const struct file_ref *ref)
{
	struct dev_key k;
	bool r;

	switch (ref->kind) {
	case PA_STD:
		/* an encrypted model's plain file exists until its key is delivered */
		if (!pa_encrypted(ref->model))
			return true;
		r = vendor_device_key(t, ref->dev, false, &k) < 0 || k.state != KEY_DELIVERED;
		explicit_bzero(&k, sizeof(k));
		return r;
	case PA_STD_ENC:
	case PA_PRODUCT_ENC:
	case PA_MASTER_ENC:
		return pa_encrypted(ref->model);
	case PA_PRODUCT:
		return !ref->model->encrypt;
	case PA_ENTRY:
		return true;
	case PA_MASTER:
		return plain_dialect(t, DIALECT_TEXT);
	case PA_MASTER_UTG:
		return plain_dialect(t, DIALECT_UTG_XML);
	default:
		return false;
	}
}

static unsigned pa_bits(const struct model *m)
{
	return pa_key_bits(m);
}

/* The phone reads CFG_FILE_KEY as the 32 characters stored. */
static int pa_key_text(const char *pass, char *out, size_t len)
{
	int n = snprintf(out, len, "%s", pass);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

static const unsigned pa_kinds[PA__KINDS] = {
	[PA_STD] = KF_DEVICE | KF_KEY_CARRIER,
	[PA_STD_ENC] = KF_DEVICE | KF_KEY_PROOF,
	[PA_PRODUCT] = KF_MODEL,
	[PA_PRODUCT_ENC] = KF_DEVICE | KF_KEY_PROOF,
	[PA_MASTER] = 0,
	[PA_MASTER_UTG] = 0,
	[PA_MASTER_ENC] = KF_DEVICE | KF_KEY_PROOF,
	[PA_ENTRY] = KF_MODEL,
};

/*
 * Parsed in this order: a device's own names first, then the exact master names, then the
 * model's names (a model may not be named like a MAC: the tree's checks say so).
 */
static const struct name_rule pa_names[] = {
	{ PA_STD, "Config", NV_MAC_UPPER, ".cfg" },
	{ PA_STD_ENC, "Config", NV_MAC_UPPER, ".enc" },
	{ PA_MASTER_ENC, "ConfigCom-", NV_MAC_UPPER, ".enc" },
	{ PA_MASTER, PA_MASTER_NAME, NV_NONE, "" },
	{ PA_MASTER_UTG, PA_MASTER_UTG_NAME, NV_NONE, "" },
	{ PA_PRODUCT_ENC, "Config", NV_MODEL_MAC, ".enc" },
	{ PA_PRODUCT, "Config", NV_MODEL, ".cfg" },
	{ PA_ENTRY, "", NV_MODEL, ".cfg" },
};

static const char *const pa_dialects[] = { "text", "utg-xml", NULL };
static const char *const pa_key_lengths[] = { "128", "192", "256", NULL };
static const struct model_option pa_options[] = {
	{ "dialect", pa_dialects },
	{ "key_length", pa_key_lengths },
};

static int pa_params(const struct tree *t, const struct device *dev, struct resolved *out)
{
	return pa_resolve_device(t->inv, dev, NULL, 0, out);
}

const struct vendor vendor_panasonic = {
	.schema = { "panasonic", pa_options, 2, 0, NULL },
	.label = "Panasonic",
	.kinds = pa_kinds,
	.nkinds = PA__KINDS,
	.names = pa_names,
	.nnames = sizeof(pa_names) / sizeof(pa_names[0]),
	.exists = pa_exists,
	.render = render_pa_file,
	.model_use = pa_model_use,
	.check_model = pa_check_model,
	.check_level = pa_check_level,
	.check_tree = pa_check_tree,
	.encrypted = pa_encrypted,
	.key_bits = pa_bits,
	.key_text = pa_key_text,
	.params = pa_params,
};
