/*
 * yl_files.c - Yealink: the vendor (formats/yealink.md): its names, its bytes, its checks.
 *
 * A phone asks for <mac>.boot (optional here, model option `boot`), then y0000000000XX.cfg
 * (the common file of its model code, yl_table.c) and <mac>.cfg; a later file wins (§2.4), so
 * the device file carries everything the inventory gives the device and the common file only
 * what its model and the defaults set, never a secret (SPEC §3). Values come from the neutral
 * settings through yl_table.c's rows, then raw `params` (which win at their level).
 *
 * Encryption (`encrypt: true`, §5.3 "proposal", [U] on a phone): until the device's key is
 * delivered, <mac>.cfg is plain, without secrets, and carries the key (aes_key.mac/.com in both
 * spellings, update_file_mode 0 so the phone still takes a plain file when a rekey needs it);
 * once the phone has read it to its end and asks for one of its names again (its next
 * provisioning round), the key is delivered and <mac>.cfg is AES-128-ECB under that key with
 * every value. A shared file cannot be encrypted under per-device keys, so an encrypted model
 * has no common file. Padding is a model option: space (default: what Yealink's own tool
 * writes, §5.1) or pkcs7 ([U] which current firmware takes). <mac>_Security.enc (the key
 * wrapped under the public built-in key, §5.1) is served only with `key_in_file: true`, for
 * phones set to aes_key_in_file = 1: it hides nothing, so those models skip the key flow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "backend/crypto.h"
#include "backend/files.h"
#include "backend/keys.h"
#include "backend/resolved.h"
#include "backend/validate.h"
#include "backend/yl_table.h"
#include "backend/yl_text.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/merge.h"
#include "inventory/schema.h"

enum yl_kind {
	YL_CFG = 1,  /* <mac>.cfg, plain: not encrypted, or carrying the key until delivered */
	YL_CFG_ENC,  /* <mac>.cfg, encrypted under the device's key once it is delivered */
	YL_BOOT,     /* <mac>.boot: the files to read, in order */
	YL_COMMON,   /* y0000000000XX.cfg: model and defaults, no secret */
	YL_SECURITY, /* <mac>_Security.enc: key_in_file models only */
	YL__KINDS,
};

extern const struct vendor vendor_yealink;

/* Model options, in this order (struct model.choice). */
enum { OPT_BOOT, OPT_PADDING, OPT_KEY_IN_FILE };

static const char *const off_on[] = { "false", "true", NULL };
static const char *const paddings[] = { "space", "pkcs7", NULL };
static const struct model_option yl_options[] = {
	[OPT_BOOT] = { "boot", off_on },
	[OPT_PADDING] = { "padding", paddings },
	[OPT_KEY_IN_FILE] = { "key_in_file", off_on },
};

#define ENTRIES_MAX 512

static bool yl_encrypted(const struct model *m)
{
	return m->encrypt;
}

static bool key_in_file(const struct model *m)
{
	return m->encrypt && m->choice[OPT_KEY_IN_FILE] == 1;
}

/* Whether the device's key was delivered (key_in_file models never deliver: no flow). */
static bool delivered(const struct tree *t, const struct device *dev)
{
	struct dev_key k;
	bool r = vendor_device_key(t, dev, false, &k) == 0 && k.state == KEY_DELIVERED;

	explicit_bzero(&k, sizeof(k));
	return r;
}

/*
 * The 16-character key of §5.1 from the stored passphrase: base62 of HMAC-SHA256(pass,
 * "yealink"), so it is stable and never drawn per read (§0 item 5).
 */
static int yl_key_text(const char *pass, char *out, size_t len)
{
	static const char alphabet[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (len < YL_KEY_LEN + 1)
		return -ENAMETOOLONG;
	if (HMAC(EVP_sha256(), pass, (int)strlen(pass), (const unsigned char *)"yealink", 7, mac,
	         &n) == NULL ||
	    n < YL_KEY_LEN)
		return -EIO;
	for (int i = 0; i < YL_KEY_LEN; i++)
		out[i] = alphabet[mac[i] % 62];
	out[YL_KEY_LEN] = '\0';
	explicit_bzero(mac, sizeof(mac));
	return YL_KEY_LEN;
}

/* ---- the key = value entries of one file ------------------------------------------------ */

struct entry {
	char key[YL_KEY_MAX + 1];
	char value[YL_VALUE_MAX + 1];
	int rank;
	bool secret;
};

struct entries {
	struct entry *e;
	size_t n;
	bool full; /* more than ENTRIES_MAX: the file is refused (-E2BIG) */
};

/* A key's value: the highest rank wins, a raw param at equal rank (SPEC §3). */
static void put(struct entries *l, const char *key, const char *value, size_t vlen, int rank,
                bool secret, bool param)
{
	struct entry *x = NULL;

	for (size_t i = 0; i < l->n && x == NULL; i++)
		if (strcmp(l->e[i].key, key) == 0)
			x = &l->e[i];
	if (x != NULL && (rank < x->rank || (rank == x->rank && !param)))
		return;
	if (x == NULL) {
		if (l->n == ENTRIES_MAX) {
			l->full = true;
			return;
		}
		x = &l->e[l->n++];
	}
	snprintf(x->key, sizeof(x->key), "%s", key);
	snprintf(x->value, sizeof(x->value), "%.*s",
	         (int)(vlen < YL_VALUE_MAX ? vlen : YL_VALUE_MAX), value);
	x->rank = rank;
	x->secret = secret;
}

/* A raw parameter a phone reads as a secret: passwords and keys (§2.2, §5.2). */
static bool param_secret(const char *name)
{
	return strstr(name, "password") != NULL || strstr(name, "aes_key") != NULL ||
	       strstr(name, "passwd") != NULL;
}

/* A setting's value for one row: fixed, converted, formatted. Returns 0 or -EINVAL. */
static int row_value(const struct yl_setting_row *row, const struct value *v, char *out, size_t len)
{
	char conv[YL_TZ_MAX + 1];
	const char *s = v->s;

	if (row->fixed != NULL) {
		snprintf(out, len, "%s", row->fixed);
		return 0;
	}
	if (row->conv == YL_CONV_TIMEZONE) {
		if (yl_timezone(v->s, v->len, conv, sizeof(conv), NULL) < 0)
			return -EINVAL;
		s = conv;
	} else if (row->conv == YL_CONV_LANGUAGE) {
		s = yl_language(v->s, v->len);
		if (s == NULL)
			return -EINVAL;
	}
	if (row->value_fmt != NULL)
		snprintf(out, len, row->value_fmt, s);
	else
		snprintf(out, len, "%s", s);
	return 0;
}

static const char *const scheme_names[] = {
	[URL_TFTP] = "tftp", [URL_HTTP] = "http", [URL_HTTPS] = "https",
	[URL_FTP] = "ftp",   [URL_FTPS] = "ftps",
};

/* What provfs sets in every file: where to provision from, nothing uploaded (§1.4). */
static void fixed_entries(const struct inventory *inv, struct entries *l)
{
	char url[YL_VALUE_MAX + 1];
	int n =
	    snprintf(url, sizeof(url), "%s://%s/", scheme_names[inv->url_scheme], inv->url_path);

	put(l, YL_KEY_SERVER_URL, url, n > 0 ? (size_t)n : 0, RANK_FIXED, false, false);
	put(l, YL_KEY_CUSTOM_SYNC, "0", 1, RANK_FIXED, false, false);
	put(l, YL_KEY_CUSTOM_PROT, "0", 1, RANK_FIXED, false, false);
}

static void setting_entries(const struct effective *e, struct entries *l)
{
	for (size_t i = 0; i < yl_setting_nrows; i++) {
		const struct yl_setting_row *row = &yl_setting_rows[i];
		struct ranked r = eff_setting(e, row->setting);
		char value[YL_VALUE_MAX + 1];
		bool dst = false;

		if (r.v == NULL || row_value(row, r.v, value, sizeof(value)) < 0)
			continue;
		put(l, row->key, value, strlen(value), r.rank, row->secret, false);
		if (row->conv == YL_CONV_TIMEZONE &&
		    yl_timezone(r.v->s, r.v->len, value, sizeof(value), &dst) == 0 && dst)
			put(l, YL_KEY_SUMMER_TIME, YL_SUMMER_TIME_AUTO, 1, r.rank, false, false);
	}
}

static void line_entries(const struct effective *e, struct entries *l)
{
	int rank;
	const struct level *lv = eff_lines(e, &rank);

	for (uint32_t n = 0; lv != NULL && n < lv->nlines; n++) {
		const struct line *ln = &lv->lines[n];
		char key[YL_KEY_MAX + 1];

		snprintf(key, sizeof(key), YL_LINE_ENABLE_FMT, (unsigned)n + 1);
		put(l, key, "1", 1, rank, false, false);
		for (size_t i = 0; i < yl_line_nrows; i++) {
			const struct yl_line_row *row = &yl_line_rows[i];
			const struct value *v = &ln->f[row->field];

			if (v->s == NULL && row->field == LF_AUTH_USER)
				v = &ln->f[LF_USER]; /* SPEC §3: auth_user defaults to user */
			if (v->s == NULL)
				continue;
			snprintf(key, sizeof(key), row->key_fmt, (unsigned)n + 1);
			put(l, key, v->s, v->len, rank, row->secret, false);
		}
		for (size_t i = 0; i < yl_line_setting_nrows; i++) {
			const struct yl_line_setting_row *row = &yl_line_setting_rows[i];
			struct ranked r = eff_setting(e, row->setting);

			if (r.v == NULL ||
			    (row->setting == SET_SIP_SERVER && ln->f[LF_SERVER].s != NULL))
				continue;
			snprintf(key, sizeof(key), row->key_fmt, (unsigned)n + 1);
			put(l, key, row->fixed != NULL ? row->fixed : r.v->s,
			    row->fixed != NULL ? strlen(row->fixed) : r.v->len, r.rank, false,
			    false);
		}
	}
}

static int param_entries(const struct effective *e, struct entries *l)
{
	struct ranked_param *raw;
	int n = eff_params(e, vendor_index(&vendor_yealink), &raw);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		put(l, raw[i].p->name, raw[i].p->v.s, raw[i].p->v.len, raw[i].rank,
		    param_secret(raw[i].p->name), true);
	free(raw);
	return 0;
}

/* The key lines of §5.3: the per-device key in both spellings, for MAC and common files. */
static void key_entries(const char *key, struct entries *l)
{
	static const char *const keys[] = { YL_KEY_AES_MAC, YL_KEY_AES16_MAC, YL_KEY_AES_COM,
		                            YL_KEY_AES16_COM };

	put(l, YL_KEY_AES_IN_FILE, "0", 1, RANK_FIXED, false, false);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		put(l, keys[i], key, strlen(key), RANK_FIXED, false,
		    false); /* the carrier's point */
	put(l, YL_KEY_UPDATE_MODE, "0", 1, RANK_FIXED, false, false);
}

/* Writes the entries, secrets only with `secrets`. */
static int write_entries(struct entries *l, bool secrets, struct buf *out)
{
	if (l->full)
		return -E2BIG;
	yl_begin(out);
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *x = &l->e[i];

		if (x->secret && !secrets)
			continue;
		yl_line(out, x->key, x->value, strlen(x->value));
	}
	return buf_status(out);
}

static void entries_free(struct entries *l)
{
	if (l->e != NULL)
		explicit_bzero(l->e, ENTRIES_MAX * sizeof(*l->e));
	free(l->e);
}

/* A device's entries; with the key lines when key. l->e is allocated by the caller. */
static int device_entries(const struct tree *t, const struct device *dev, const char *key,
                          struct entries *l)
{
	struct effective e;
	int r;

	effective_device(&e, t->inv, dev);
	fixed_entries(t->inv, l);
	setting_entries(&e, l);
	line_entries(&e, l);
	r = param_entries(&e, l);
	if (r == 0 && key != NULL)
		key_entries(key, l);
	return r;
}

/* A device's text: everything (secrets), or without secrets; with the key lines when key. */
static int device_text(const struct tree *t, const struct device *dev, bool secrets,
                       const char *key, struct buf *out)
{
	struct entries l = { calloc(ENTRIES_MAX, sizeof(struct entry)), 0, false };
	int r;

	if (l.e == NULL)
		return -ENOMEM;
	r = device_entries(t, dev, key, &l);
	if (r == 0)
		r = write_entries(&l, secrets, out);
	entries_free(&l);
	return r;
}

/* The vendor's params hook: the device's entries, copied into out's pool. */
static int yl_params(const struct tree *t, const struct device *dev, struct resolved *out)
{
	struct entries l = { calloc(ENTRIES_MAX, sizeof(struct entry)), 0, false };
	int r;

	if (l.e == NULL)
		return -ENOMEM;
	r = device_entries(t, dev, NULL, &l);
	if (r == 0 && l.full)
		r = -E2BIG;
	for (size_t i = 0; i < l.n && r == 0; i++)
		resolved_add(out, arena_strdup(&out->pool, l.e[i].key), 0,
		             arena_strdup(&out->pool, l.e[i].value), l.e[i].rank, l.e[i].secret,
		             LEVEL_DEVICE, false);
	entries_free(&l);
	return r == 0 ? resolved_finish(out) : r;
}

/* The common file: defaults and the model, no lines, no secret (SPEC §3). */
static int common_text(const struct tree *t, const struct model *m, struct buf *out)
{
	struct entries l = { calloc(ENTRIES_MAX, sizeof(struct entry)), 0, false };
	struct effective e;
	int r;

	if (l.e == NULL)
		return -ENOMEM;
	effective_shared(&e, t->inv, m);
	fixed_entries(t->inv, &l);
	setting_entries(&e, &l);
	r = param_entries(&e, &l);
	if (r == 0)
		r = write_entries(&l, false, out);
	entries_free(&l);
	return r;
}

/* The device's 16-character key (made on first use). */
static int device_key(const struct tree *t, const struct device *dev, char key[YL_KEY_LEN + 1])
{
	struct dev_key k;
	int r = vendor_device_key(t, dev, true, &k);

	if (r == 0)
		r = yl_key_text(k.pass, key, YL_KEY_LEN + 1) == YL_KEY_LEN ? 0 : -EIO;
	explicit_bzero(&k, sizeof(k));
	return r;
}

static void buf_free_wiped(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

/* <mac>.cfg under the key: the whole text, padded as the model says, AES-128-ECB. */
static int render_encrypted(const struct tree *t, const struct device *dev, bool plain,
                            struct buf *out)
{
	bool pkcs7 = dev->model->choice[OPT_PADDING] == 1;
	char key[YL_KEY_LEN + 1];
	struct buf text;
	int r = device_key(t, dev, key);

	if (r < 0)
		return r;
	buf_init(&text);
	r = device_text(t, dev, true, key, plain ? out : &text);
	if (r == 0 && !plain && !pkcs7)
		r = yl_pad_for_space(&text);
	if (r == 0 && !plain)
		r = crypto_aes128_ecb((const uint8_t *)key,
		                      pkcs7 ? CRYPTO_PAD_PKCS7 : CRYPTO_PAD_SPACE, text.data,
		                      text.len, out);
	buf_free_wiped(&text);
	explicit_bzero(key, sizeof(key));
	return r;
}

static int render_boot(const struct tree *t, const struct file_ref *ref, struct buf *out)
{
	struct file_ref common = { &vendor_yealink, YL_COMMON, NULL, ref->model, NULL };
	struct file_ref cfg = { &vendor_yealink, YL_CFG, ref->dev, ref->model, NULL };
	char names[2][FILE_NAME_MAX + 1];
	const char *includes[2];
	size_t n = 0;

	if (file_exists(t, &common) && file_name(&common, names[n], sizeof(names[n])) > 0)
		includes[n] = names[n], n++;
	if (file_name(&cfg, names[n], sizeof(names[n])) > 0)
		includes[n] = names[n], n++;
	return yl_boot(out, includes, n, true);
}

static int yl_render(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out)
{
	char key[YL_KEY_LEN + 1];
	int r;

	switch (ref->kind) {
	case YL_CFG:
		if (!yl_encrypted(ref->model))
			return device_text(t, ref->dev, true, NULL, out);
		/* the carrier: the key, no secret (they wait for the encrypted file) */
		r = device_key(t, ref->dev, key);
		if (r == 0)
			r = device_text(t, ref->dev, false, key, out);
		explicit_bzero(key, sizeof(key));
		return r;
	case YL_CFG_ENC:
		return render_encrypted(t, ref->dev, plain, out);
	case YL_BOOT:
		return render_boot(t, ref, out);
	case YL_COMMON:
		return common_text(t, ref->model, out);
	case YL_SECURITY:
		r = device_key(t, ref->dev, key);
		if (r == 0 && plain)
			buf_append(out, key, YL_KEY_LEN);
		else if (r == 0)
			r = crypto_aes128_ecb((const uint8_t *)YL_BUILTIN_KEY, CRYPTO_PAD_NONE,
			                      (const uint8_t *)key, YL_KEY_LEN, out);
		explicit_bzero(key, sizeof(key));
		return r < 0 ? r : buf_status(out);
	default:
		return -ENOENT;
	}
}

static bool yl_exists(const struct tree *t, const struct file_ref *ref)
{
	const struct model *m = ref->model;

	switch (ref->kind) {
	case YL_CFG:
		return !yl_encrypted(m) || (!key_in_file(m) && !delivered(t, ref->dev));
	case YL_CFG_ENC:
		return yl_encrypted(m) && (key_in_file(m) || delivered(t, ref->dev));
	case YL_BOOT:
		return m->choice[OPT_BOOT] == 1;
	case YL_COMMON:
		return !yl_encrypted(m) && yl_model_find(m->name, strlen(m->name)) != NULL;
	case YL_SECURITY:
		return key_in_file(m);
	default:
		return false;
	}
}

/* NV_TAG: the model's common-file code ("096"). */
static int yl_model_tag(const struct model *m, const struct name_rule *r, char *buf, size_t len)
{
	const struct yl_model *ym = yl_model_find(m->name, strlen(m->name));
	int n;

	(void)r;
	if (ym == NULL)
		return -ENOENT;
	n = snprintf(buf, len, "%s", ym->code);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

/* ---- checks ------------------------------------------------------------------------------- */

static unsigned yl_model_use(const struct model *m)
{
	(void)m;
	return 1;
}

static void yl_check_model(const struct inventory *inv, struct diag *d, const struct model *m)
{
	const struct yl_model *ym = yl_model_find(m->name, strlen(m->name));
	char q[DIAG_KEY_SIZE];

	if (ym == NULL) {
		inv_error(inv, d, m->pos,
		          "model %s: not a Yealink model provfs knows (name it as the phone "
		          "does, e.g. T54W, T46S: formats/yealink.md §1.3)",
		          diag_key(q, m->name));
		return;
	}
	if (ym->max_lines != 0 && m->max_lines > ym->max_lines)
		inv_error(inv, d, m->pos, "model %s: a %s has %u accounts (max_lines %u)",
		          diag_key(q, m->name), ym->name, (unsigned)ym->max_lines,
		          (unsigned)m->max_lines);
	if (!m->encrypt && (m->options[OPT_PADDING].s != NULL || m->options[OPT_KEY_IN_FILE].s))
		inv_error(inv, d, m->pos,
		          "model %s: 'padding' and 'key_in_file' apply with 'encrypt: true'",
		          diag_key(q, m->name));
	/* one common file per code: two models of one code would write it twice */
	for (const struct model *o = inv->models; !m->encrypt && o < m; o++) {
		const struct yl_model *yo = yl_model_find(o->name, strlen(o->name));

		if (vendor_of(o) == &vendor_yealink && !o->encrypt && yo != NULL &&
		    strcmp(yo->code, ym->code) == 0)
			inv_error(inv, d, m->pos,
			          "models %s and %s share the common file y000000000%s.cfg: list "
			          "the phones under one of them",
			          o->name, diag_key(q, m->name), ym->code);
	}
}

/* Keys provfs writes itself: a param cannot change where the phone provisions or its key. */
static const char *const reserved[] = {
	YL_KEY_SERVER_URL,  YL_KEY_AES_IN_FILE, YL_KEY_AES_MAC,
	YL_KEY_AES16_MAC,   YL_KEY_AES_COM,     YL_KEY_AES16_COM,
	YL_KEY_UPDATE_MODE, YL_KEY_CUSTOM_SYNC, YL_KEY_CUSTOM_PROT,
};

static void check_value(const struct inventory *inv, struct diag *d, const struct value *v,
                        const char *what)
{
	if (v->s != NULL && !yl_value_ok(v->s, v->len))
		inv_error(inv, d, v->pos,
		          "%s: a Yealink value holds no line break or control character, no "
		          "leading or trailing space, at most %d bytes",
		          what, YL_VALUE_MAX);
}

static void yl_check_level(const struct inventory *inv, struct diag *d, const struct level *lv,
                           unsigned use, bool generic)
{
	const struct param_list *pl = &lv->params[vendor_index(&vendor_yealink)];
	char buf[YL_TZ_MAX + 1];

	(void)generic;
	for (int s = 0; use != 0 && s < SET__COUNT; s++)
		check_value(inv, d, &lv->settings[s], validate_setting_label[s]);
	if (use != 0 && lv->settings[SET_TIMEZONE].s != NULL &&
	    yl_timezone(lv->settings[SET_TIMEZONE].s, lv->settings[SET_TIMEZONE].len, buf,
	                sizeof(buf), NULL) < 0)
		inv_error(inv, d, lv->settings[SET_TIMEZONE].pos,
		          "timezone: Yealink phones take a whole-hour offset; this POSIX zone has "
		          "none (set local_time.time_zone in params)");
	if (use != 0 && lv->settings[SET_LANGUAGE].s != NULL &&
	    yl_language(lv->settings[SET_LANGUAGE].s, lv->settings[SET_LANGUAGE].len) == NULL)
		inv_error(inv, d, lv->settings[SET_LANGUAGE].pos,
		          "language: not one Yealink phones name (en, fr, de, es, it)");
	for (uint32_t i = 0; use != 0 && i < lv->nlines; i++)
		for (int f = 0; f < LF__COUNT; f++)
			check_value(inv, d, &lv->lines[i].f[f], validate_line_label[f]);
	for (uint32_t i = 0; i < pl->n; i++) {
		const struct param *p = &pl->items[i];
		char q[DIAG_KEY_SIZE];

		diag_key(q, p->name);
		if (!yl_key_ok(p->name, strlen(p->name))) {
			inv_error(inv, d, p->name_pos,
			          "'%s' is not a Yealink key (letters, digits, . _ -, at most %d)",
			          q, YL_KEY_MAX);
			continue;
		}
		for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
			if (strcmp(p->name, reserved[k]) == 0)
				inv_error(inv, d, p->name_pos,
				          "'%s' cannot be set in params: provfs sets it (the "
				          "provisioning "
				          "server and the key flow)",
				          q);
		check_value(inv, d, &p->v, q);
	}
}

/* ---- the vendor ---------------------------------------------------------------------------- */

static const unsigned yl_kinds[YL__KINDS] = {
	[YL_CFG] = KF_DEVICE | KF_KEY_CARRIER | KF_KEY_PROOF,
	[YL_CFG_ENC] = KF_DEVICE,
	[YL_BOOT] = KF_DEVICE | KF_KEY_PROOF,
	[YL_COMMON] = KF_MODEL,
	[YL_SECURITY] = KF_DEVICE,
};

/* <mac> is lower case (§1.2), matched in any case; a kind's first row is its canonical name. */
static const struct name_rule yl_names[] = {
	{ YL_CFG, "", NV_MAC, ".cfg" },
	{ YL_CFG_ENC, "", NV_MAC, ".cfg" },
	{ YL_BOOT, "", NV_MAC, ".boot" },
	{ YL_SECURITY, "", NV_MAC, "_Security.enc" },
	{ YL_COMMON, "y000000000", NV_TAG, ".cfg" },
};

const struct vendor vendor_yealink = {
	.schema = { "yealink", yl_options, 3, 0, NULL },
	.label = "Yealink",
	.kinds = yl_kinds,
	.nkinds = YL__KINDS,
	.names = yl_names,
	.nnames = sizeof(yl_names) / sizeof(yl_names[0]),
	.exists = yl_exists,
	.render = yl_render,
	.model_tag = yl_model_tag,
	.model_use = yl_model_use,
	.check_model = yl_check_model,
	.check_level = yl_check_level,
	.encrypted = yl_encrypted,
	.key_text = yl_key_text,
	.params = yl_params,
};
