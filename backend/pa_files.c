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

bool pa_encrypted(const struct model *m)
{
	return m->vendor == VENDOR_PANASONIC && m->encrypt;
}

/* The names a device's standard file points at (mac: literal MAC, or "{MAC}" in shared files). */
static void layer_names(const struct model *m, const char *mac, char std[NAME_LEN],
                        char product[NAME_LEN], char master[NAME_LEN])
{
	if (pa_encrypted(m)) {
		snprintf(std, NAME_LEN, "Config%s.enc", mac);
		snprintf(product, NAME_LEN, "Config%s-%s.enc", m->name, mac);
		snprintf(master, NAME_LEN, "ConfigCom-%s.enc", mac);
	} else {
		snprintf(std, NAME_LEN, "Config%s.cfg", mac);
		snprintf(product, NAME_LEN, "Config%s.cfg", m->name);
		snprintf(master, NAME_LEN, "%s",
		         m->dialect == DIALECT_UTG_XML ? PA_MASTER_UTG_NAME : PA_MASTER_NAME);
	}
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

int pa_device_key(const struct tree *t, const struct device *dev, bool create, struct pa_key *k)
{
	memset(k, 0, sizeof(*k));
	if (t->keys == NULL)
		return -ENOKEY;
	return t->keys->get(t->keys->ctx, dev->mac, dev->model->key_length, create, k);
}

/* Appends base64(openssl enc) of plain with the device's key. */
static int encrypt_for(const struct tree *t, const struct device *dev, const struct buf *plain,
                       struct buf *out)
{
	struct pa_key k;
	uint8_t salt[CRYPTO_SALT_LEN];
	struct buf raw;
	int r = pa_device_key(t, dev, true, &k);

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
	char mac[MAC_STRLEN + 1], std[NAME_LEN], product[NAME_LEN], master[NAME_LEN], bits[8];
	struct pa_fixed fixed[5];
	struct resolved params;
	struct pa_key k;
	size_t nfixed = 3;
	struct buf layer;
	int r;

	mac_format(dev->mac, true, mac);
	layer_names(m, mac, std, product, master);
	resolved_init(&params);
	fixed[0] = (struct pa_fixed){ PA_STANDARD_PATH, url_of(t, &params, std) };
	fixed[1] = (struct pa_fixed){ PA_PRODUCT_PATH, url_of(t, &params, product) };
	fixed[2] = (struct pa_fixed){ PA_MASTER_PATH, url_of(t, &params, master) };
	memset(&k, 0, sizeof(k));
	if (pa_encrypted(m) && ref->kind == FK_PA_STD) {
		/* the plain file is how the phone gets its key */
		r = pa_device_key(t, dev, true, &k);
		if (r < 0)
			goto out;
		snprintf(bits, sizeof(bits), "%u", k.bits);
		fixed[nfixed++] = (struct pa_fixed){ PA_FILE_KEY, k.pass };
		fixed[nfixed++] = (struct pa_fixed){ PA_FILE_KEY_LEN, bits };
	}
	r = pa_resolve_device(t->inv, dev, fixed, nfixed, &params);
	if (r < 0)
		goto out;
	if (plain || ref->kind == FK_PA_STD) {
		r = render_layer(&params, LAYER_STANDARD, m->dialect, out);
		goto out;
	}
	buf_init(&layer);
	r = render_layer(&params, LAYER_STANDARD, m->dialect, &layer);
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
	bool product = ref->kind == FK_PA_PRODUCT || ref->kind == FK_PA_PRODUCT_ENC;
	bool enc = ref->kind == FK_PA_PRODUCT_ENC || ref->kind == FK_PA_MASTER_ENC;
	enum dialect d = ref->kind == FK_PA_MASTER ? DIALECT_TEXT
	                 : ref->model != NULL      ? ref->model->dialect
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
	layer_names(m, "{MAC}", std, product, master);
	/* before its key is delivered an encrypted model's phone reads the plain standard file */
	if (pa_encrypted(m))
		snprintf(std, NAME_LEN, "Config{MAC}.cfg");
	for (int i = 0; i < 3; i++) {
		const char *name = flat[i];

		if (m->dialect == DIALECT_UTG_XML) {
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

		render_items(m->dialect, sorted, 3, out);
		r = buf_status(out);
	}
	resolved_free(&pool);
	return r;
}

int render_pa_file(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out)
{
	switch (ref->kind) {
	case FK_PA_STD:
	case FK_PA_STD_ENC:
		return render_standard(t, ref, plain, out);
	case FK_PA_PRODUCT:
	case FK_PA_PRODUCT_ENC:
	case FK_PA_MASTER:
	case FK_PA_MASTER_UTG:
	case FK_PA_MASTER_ENC:
		return render_shared(t, ref, plain, out);
	case FK_PA_ENTRY:
		return render_entry(t, ref, plain, out);
	default:
		return -ENOENT;
	}
}
