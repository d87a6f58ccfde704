/*
 * cs_files.c - Cisco SPA and MPP (3PCC): the vendor (formats/cisco.md): its names, its bytes,
 * its checks. The knowledge is data in cs_table.c, the <flat-profile> writer in cs_xml.c; this
 * file plugs them into the vendor seam (vendor.h).
 *
 * A factory-fresh phone asks for its bootstrap (§1): spa<PSN>.cfg (SPA) or <PSN>-3PCC.xml,
 * <PSN>.xml, CP-<PSN>-3PCC.xml (MPP: which one is [U], §1.2, so all three are served). The
 * bootstrap is shared by every phone of the model and holds no secret: the resync parameters
 * and Profile_Rule_B = <base>/$MA.xml, the device's own profile (§4 step 1).
 *
 * A model without `encrypt`: <mac>.xml is the full profile, secrets included (HTTPS is the
 * answer for them, SPEC §3). A model with `encrypt: true` follows §4: while the key is not
 * delivered, <mac>.xml is the profile without secrets plus GPP_SA (the key), Profile_Rule =
 * [--key $SA]<base>/$MA.cfg and Profile_Rule_B cleared; the phone then asks for <mac>.cfg, the
 * full profile as `openssl enc -aes-256-cbc -md md5|sha256 -k KEY` writes it (gzip first with
 * `gzip: true`, §6.1), and that request proves the delivery: <mac>.xml is gone from then on.
 * The encrypted profile keeps the rule and GPP_SA, so every later resync still works.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/crypto.h"
#include "backend/cs_table.h"
#include "backend/cs_xml.h"
#include "backend/files.h"
#include "backend/gzip.h"
#include "backend/keys.h"
#include "backend/resolved.h"
#include "backend/validate.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/merge.h"
#include "inventory/schema.h"

enum cs_kind {
	CS_XML = 1,  /* <mac>.xml: the profile; an encrypted model's key carrier until delivery */
	CS_CFG,      /* <mac>.cfg: the profile encrypted under the device's key (encrypt: true) */
	CS_BOOT_SPA, /* spa<PSN>.cfg: the SPA bootstrap */
	CS_BOOT_MPP, /* <PSN>-3PCC.xml, <PSN>.xml, CP-<PSN>-3PCC.xml: the MPP bootstrap */
	CS__KINDS,
};

extern const struct vendor vendor_cisco;

/* Model options, in this order (struct model.choice). */
enum { OPT_DIGEST, OPT_GZIP };

static const char *const digests[] = { "md5", "sha256", NULL };
static const char *const off_on[] = { "false", "true", NULL };
static const struct model_option cs_options[] = {
	[OPT_DIGEST] = { "digest", digests },
	[OPT_GZIP] = { "gzip", off_on },
};

#define RANK_DEFAULT (-1) /* provfs's defaults: any level overrides them */
#define ENTRIES_MAX  512
#define RULE_MAX     (CS_VALUE_MAX + 1)
#define NUM_MAX      32

/* The family bits model_use gives check_level. */
#define USE_SPA (1u << CS_SPA)
#define USE_MPP (1u << CS_MPP)

static bool cs_encrypted(const struct model *m)
{
	return m->encrypt;
}

static const struct cs_model *cs_of(const struct model *m)
{
	return cs_model_find(m->name, strlen(m->name));
}

/* Whether the device's key was delivered. */
static bool delivered(const struct tree *t, const struct device *dev)
{
	struct dev_key k;
	bool r = vendor_device_key(t, dev, false, &k) == 0 && k.state == KEY_DELIVERED;

	explicit_bzero(&k, sizeof(k));
	return r;
}

/*
 * The --key passphrase (§4 "K"): the stored passphrase as it is. It is 32 lower-case hex
 * characters, so printable and free of ] " $ and space, which the rule syntax would read.
 */
static int cs_key_text(const char *pass, char *out, size_t len)
{
	int n = snprintf(out, len, "%s", pass);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

/* ---- the parameters of one profile ------------------------------------------------------ */

struct entry {
	char name[CS_PARAM_MAX + 1];
	char *value;
	size_t len;
	int rank;
	bool secret;
};

struct entries {
	struct entry *e;
	size_t n;
	bool full;  /* more than ENTRIES_MAX: the file is refused (-E2BIG) */
	bool nomem; /* a value could not be copied */
};

/* A parameter's value: the highest rank wins, a raw param at equal rank (SPEC §3). */
static void put(struct entries *l, const char *name, const char *value, size_t vlen, int rank,
                bool secret, bool param)
{
	struct entry *x = NULL;
	char *copy;

	for (size_t i = 0; i < l->n && x == NULL; i++)
		if (strcmp(l->e[i].name, name) == 0)
			x = &l->e[i];
	if (x != NULL && (rank < x->rank || (rank == x->rank && !param)))
		return;
	if (x == NULL) {
		if (l->n == ENTRIES_MAX) {
			l->full = true;
			return;
		}
		x = &l->e[l->n++];
		snprintf(x->name, sizeof(x->name), "%s", name);
	}
	copy = malloc(vlen + 1);
	if (copy == NULL) {
		l->nomem = true;
		return;
	}
	memcpy(copy, value, vlen);
	copy[vlen] = '\0';
	if (x->value != NULL)
		explicit_bzero(x->value, x->len);
	free(x->value);
	x->value = copy;
	x->len = vlen;
	x->rank = rank;
	x->secret = secret;
}

static void put_str(struct entries *l, const char *name, const char *value, int rank, bool secret)
{
	put(l, name, value, strlen(value), rank, secret, false);
}

static void entries_free(struct entries *l)
{
	for (size_t i = 0; l->e != NULL && i < l->n; i++) {
		if (l->e[i].value != NULL)
			explicit_bzero(l->e[i].value, l->e[i].len);
		free(l->e[i].value);
	}
	free(l->e);
}

/* A raw parameter a phone reads as a secret: passwords and provisioning keys (§1.3, §3). */
static bool param_secret(const char *name)
{
	return strstr(name, "Password") != NULL || strstr(name, "Passwd") != NULL ||
	       strstr(name, "GPP_S") != NULL;
}

static const char *const scheme_names[] = {
	[URL_TFTP] = "tftp", [URL_HTTP] = "http", [URL_HTTPS] = "https",
	[URL_FTP] = "ftp",   [URL_FTPS] = "ftps",
};

/* scheme://host[:port][/path] of the inventory's server.url. */
static void base_url(const struct inventory *inv, char *out, size_t len)
{
	snprintf(out, len, "%s://%s", scheme_names[inv->url_scheme], inv->url_path);
}

/* provfs's defaults of every profile: spread a reboot storm (§1.4, §7.4). */
static void default_entries(struct entries *l)
{
	put_str(l, CS_RESYNC_RANDOM_DELAY, CS_RESYNC_RANDOM_DELAY_DEFAULT, RANK_DEFAULT, false);
	put_str(l, CS_RESYNC_AT_RANDOM_DELAY, CS_RESYNC_AT_RANDOM_DELAY_DEFAULT, RANK_DEFAULT,
	        false);
}

static void setting_entries(const struct effective *e, enum cs_family fam, struct entries *l)
{
	for (size_t i = 0; i < cs_setting_nrows; i++) {
		const struct cs_setting_row *row = &cs_setting_rows[i];
		struct ranked r = eff_setting(e, row->setting);
		char value[CS_VALUE_MAX + 1];

		if (r.v == NULL || !(row->families & (1u << fam)) ||
		    cs_setting_value(row, r.v->s, r.v->len, value, sizeof(value)) < 0)
			continue;
		put_str(l, cs_setting_param(row, fam), value, r.rank, row->secret);
	}
}

/* Proxy_N_: the line's server, or sip_server, with sip_port (§3). Returns its rank or -1. */
static int proxy_value(const struct effective *e, const struct line *ln, int line_rank, char *out,
                       size_t len)
{
	struct ranked srv = eff_setting(e, SET_SIP_SERVER);
	struct ranked port = eff_setting(e, SET_SIP_PORT);
	const struct value *host = ln->f[LF_SERVER].s != NULL ? &ln->f[LF_SERVER] : srv.v;
	int rank = ln->f[LF_SERVER].s != NULL ? line_rank : srv.rank;

	if (host == NULL)
		return -1;
	if (port.v != NULL)
		snprintf(out, len, "%.*s:%.*s", (int)host->len, host->s, (int)port.v->len,
		         port.v->s);
	else
		snprintf(out, len, "%.*s", (int)host->len, host->s);
	return rank;
}

static void line_entries(const struct effective *e, struct entries *l)
{
	int rank;
	const struct level *lv = eff_lines(e, &rank);
	struct ranked obp = eff_setting(e, SET_OUTBOUND_PROXY);

	for (uint32_t n = 0; lv != NULL && n < lv->nlines; n++) {
		const struct line *ln = &lv->lines[n];
		unsigned num = (unsigned)n + 1;
		char name[CS_PARAM_MAX + 1], value[CS_VALUE_MAX + 1];

		if (cs_line_param(CS_LINE_ENABLE_FMT, num, name, sizeof(name)) > 0)
			put_str(l, name, CS_YES, rank, false);
		for (size_t i = 0; i < cs_line_nrows; i++) {
			const struct cs_line_row *row = &cs_line_rows[i];
			const struct value *v = &ln->f[row->field];
			int r = rank;

			if (v->s == NULL && row->field == LF_AUTH_USER)
				v = &ln->f[LF_USER]; /* SPEC §3: auth_user defaults to user */
			if (row->field == LF_SERVER) {
				r = proxy_value(e, ln, rank, value, sizeof(value));
				if (r == -1)
					continue;
			} else if (v->s == NULL) {
				continue;
			} else {
				snprintf(value, sizeof(value), "%.*s", (int)v->len, v->s);
			}
			if (row->companion_fmt != NULL &&
			    cs_line_param(row->companion_fmt, num, name, sizeof(name)) > 0)
				put_str(l, name, row->companion_value, r, false);
			if (cs_line_param(row->param_fmt, num, name, sizeof(name)) > 0)
				put_str(l, name, value, r, row->secret);
		}
		if (obp.v != NULL) {
			if (cs_line_param(CS_OUTBOUND_PROXY_FMT, num, name, sizeof(name)) > 0)
				put(l, name, obp.v->s, obp.v->len, obp.rank, false, false);
			if (cs_line_param(CS_USE_OUTBOUND_PROXY_FMT, num, name, sizeof(name)) > 0)
				put_str(l, name, CS_YES, obp.rank, false);
		}
	}
}

static int param_entries(const struct effective *e, struct entries *l)
{
	struct ranked_param *raw;
	int n = eff_params(e, vendor_index(&vendor_cisco), &raw);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		put(l, raw[i].p->name, raw[i].p->v.s, raw[i].p->v.len, raw[i].rank,
		    param_secret(raw[i].p->name), true);
	free(raw);
	return 0;
}

/* The rules of §4 step 2: the key, the encrypted profile's rule, the bootstrap's rule off. */
static int key_entries(const struct inventory *inv, const char *key, struct entries *l)
{
	char base[RULE_MAX], rule[RULE_MAX];
	int n;

	base_url(inv, base, sizeof(base));
	n = cs_key_rule(rule, sizeof(rule), base, NULL);
	if (n < 0)
		return n;
	put_str(l, CS_GPP_SA, key, RANK_FIXED, false); /* the carrier's point */
	put_str(l, CS_PROFILE_RULE, rule, RANK_FIXED, false);
	put_str(l, CS_PROFILE_RULE_B, "", RANK_FIXED, false); /* <X></X>: cleared (§2.2) */
	return 0;
}

/* Writes the entries, secrets only with `secrets`. */
static int write_entries(const struct entries *l, bool secrets, struct buf *out)
{
	if (l->full)
		return -E2BIG;
	if (l->nomem)
		return -ENOMEM;
	cs_begin(out);
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *x = &l->e[i];

		if (x->secret && !secrets)
			continue;
		cs_param(out, x->name, x->value, x->len);
	}
	cs_end(out);
	return buf_status(out);
}

/* A device's entries; with the rules of the key flow when key. */
static int device_entries(const struct tree *t, const struct device *dev, const struct cs_model *cm,
                          const char *key, struct entries *l)
{
	struct effective e;
	int r;

	effective_device(&e, t->inv, dev);
	default_entries(l);
	setting_entries(&e, cm->family, l);
	r = key != NULL ? key_entries(t->inv, key, l) : 0;
	if (r == 0) {
		line_entries(&e, l);
		r = param_entries(&e, l);
	}
	return r;
}

/* A device's profile: with or without secrets; with the rules of the key flow when key. */
static int device_text(const struct tree *t, const struct device *dev, bool secrets,
                       const char *key, struct buf *out)
{
	const struct cs_model *cm = cs_of(dev->model);
	struct entries l = { calloc(ENTRIES_MAX, sizeof(struct entry)), 0, false, false };
	int r;

	if (l.e == NULL)
		return -ENOMEM;
	if (cm == NULL) {
		free(l.e);
		return -ENOENT;
	}
	r = device_entries(t, dev, cm, key, &l);
	if (r == 0)
		r = write_entries(&l, secrets, out);
	entries_free(&l);
	return r;
}

/* The vendor's params hook: the device's entries, copied into out's pool. */
static int cs_params(const struct tree *t, const struct device *dev, struct resolved *out)
{
	const struct cs_model *cm = cs_of(dev->model);
	struct entries l = { calloc(ENTRIES_MAX, sizeof(struct entry)), 0, false, false };
	int r = cm == NULL ? -ENOENT : l.e == NULL ? -ENOMEM : 0;

	if (r == 0)
		r = device_entries(t, dev, cm, NULL, &l);
	if (r == 0 && (l.full || l.nomem))
		r = l.full ? -E2BIG : -ENOMEM;
	for (size_t i = 0; i < l.n && r == 0; i++)
		resolved_add(out, arena_strdup(&out->pool, l.e[i].name), 0,
		             arena_strndup(&out->pool, l.e[i].value, l.e[i].len), l.e[i].rank,
		             l.e[i].secret, LEVEL_DEVICE, false);
	entries_free(&l);
	return r == 0 ? resolved_finish(out) : r;
}

/* The bootstrap (§4 step 1): resync parameters and the per-device rule, nothing secret. */
static int boot_text(const struct tree *t, const struct model *m, struct buf *out)
{
	const struct cs_setting_row *periodic = NULL;
	char base[RULE_MAX], rule[RULE_MAX], secs[NUM_MAX];
	struct effective e;
	struct ranked r;
	int n;

	base_url(t->inv, base, sizeof(base));
	n = cs_plain_rule(rule, sizeof(rule), base);
	if (n < 0)
		return n;
	for (size_t i = 0; i < cs_setting_nrows; i++)
		if (cs_setting_rows[i].conv == CS_CONV_SECONDS)
			periodic = &cs_setting_rows[i];
	effective_shared(&e, t->inv, m);
	r = eff_setting(&e, SET_RESYNC_MINUTES);
	cs_begin(out);
	cs_param(out, CS_RESYNC_ON_RESET, CS_YES, strlen(CS_YES));
	if (periodic != NULL && r.v != NULL &&
	    cs_setting_value(periodic, r.v->s, r.v->len, secs, sizeof(secs)) == 0)
		cs_param(out, CS_RESYNC_PERIODIC, secs, strlen(secs));
	cs_param(out, CS_RESYNC_RANDOM_DELAY, CS_RESYNC_RANDOM_DELAY_DEFAULT,
	         strlen(CS_RESYNC_RANDOM_DELAY_DEFAULT));
	cs_param(out, CS_RESYNC_AT_RANDOM_DELAY, CS_RESYNC_AT_RANDOM_DELAY_DEFAULT,
	         strlen(CS_RESYNC_AT_RANDOM_DELAY_DEFAULT));
	cs_param(out, CS_PROFILE_RULE_B, rule, (size_t)n);
	cs_end(out);
	return buf_status(out);
}

/* The device's key text (made on first use). */
static int device_key(const struct tree *t, const struct device *dev, char key[KEY_PASS_LEN + 1])
{
	struct dev_key k;
	int r = vendor_device_key(t, dev, true, &k);

	if (r == 0)
		r = cs_key_text(k.pass, key, KEY_PASS_LEN + 1) > 0 ? 0 : -EIO;
	explicit_bzero(&k, sizeof(k));
	return r;
}

static void buf_free_wiped(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

/* <mac>.cfg: the full profile, gzip'd if the model says so, then `openssl enc` (§6). */
static int render_encrypted(const struct tree *t, const struct device *dev, bool plain,
                            struct buf *out)
{
	enum crypto_md md = dev->model->choice[OPT_DIGEST] == 1 ? CRYPTO_MD_SHA256 : CRYPTO_MD_MD5;
	bool gz = dev->model->choice[OPT_GZIP] == 1;
	uint8_t salt[CRYPTO_SALT_LEN];
	char key[KEY_PASS_LEN + 1];
	struct buf text, packed;
	const struct buf *in = &text;
	int r = device_key(t, dev, key);

	if (r < 0)
		return r;
	buf_init(&text);
	buf_init(&packed);
	r = device_text(t, dev, true, key, plain ? out : &text);
	if (r == 0 && !plain && gz) {
		r = gzip_deterministic(text.data, text.len, &packed);
		in = &packed;
	}
	if (r == 0 && !plain)
		r = crypto_derive_salt(key, strlen(key), in->data, in->len, salt);
	if (r == 0 && !plain)
		r = crypto_openssl_enc(256, md, salt, key, strlen(key), in->data, in->len, out);
	buf_free_wiped(&packed);
	buf_free_wiped(&text);
	explicit_bzero(key, sizeof(key));
	return r;
}

static int cs_render(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out)
{
	char key[KEY_PASS_LEN + 1];
	int r;

	switch (ref->kind) {
	case CS_XML:
		if (!cs_encrypted(ref->model))
			return device_text(t, ref->dev, true, NULL, out);
		/* the carrier: the key and the rules, no secret (they wait for <mac>.cfg) */
		r = device_key(t, ref->dev, key);
		if (r == 0)
			r = device_text(t, ref->dev, false, key, out);
		explicit_bzero(key, sizeof(key));
		return r;
	case CS_CFG:
		return render_encrypted(t, ref->dev, plain, out);
	case CS_BOOT_SPA:
	case CS_BOOT_MPP:
		return boot_text(t, ref->model, out);
	default:
		return -ENOENT;
	}
}

static bool cs_exists(const struct tree *t, const struct file_ref *ref)
{
	const struct model *m = ref->model;
	const struct cs_model *cm = cs_of(m);

	if (cm == NULL)
		return false;
	switch (ref->kind) {
	case CS_XML:
		return !cs_encrypted(m) || !delivered(t, ref->dev);
	case CS_CFG:
		return cs_encrypted(m);
	case CS_BOOT_SPA:
		return cm->family == CS_SPA;
	case CS_BOOT_MPP:
		return cm->family == CS_MPP;
	default:
		return false;
	}
}

/*
 * NV_TAG: the bootstrap spelling of the model in rule r (cs_bootstrap_names): the rule's
 * head + tag + tail must be one of the names a phone of the model asks for first.
 */
static int cs_model_tag(const struct model *m, const struct name_rule *r, char *buf, size_t len)
{
	const struct cs_model *cm = cs_of(m);
	char names[CS_BOOTSTRAP_MAX][CS_NAME_MAX], full[FILE_NAME_MAX + 1];
	int n, k;

	if (cm == NULL || (r->kind == CS_BOOT_SPA) != (cm->family == CS_SPA))
		return -ENOENT;
	n = cs_bootstrap_names(cm, names, CS_BOOTSTRAP_MAX);
	k = snprintf(full, sizeof(full), "%s%s%s", r->head, cm->psn, r->tail);
	if (k < 0 || (size_t)k >= sizeof(full))
		return -ENAMETOOLONG;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], full) == 0) {
			k = snprintf(buf, len, "%s", cm->psn);
			return k < 0 || (size_t)k >= len ? -ENAMETOOLONG : k;
		}
	return -ENOENT;
}

/* ---- checks ------------------------------------------------------------------------------- */

static unsigned cs_model_use(const struct model *m)
{
	const struct cs_model *cm = cs_of(m);

	return cm == NULL ? 0 : cm->family == CS_SPA ? USE_SPA : USE_MPP;
}

static void cs_check_model(const struct inventory *inv, struct diag *d, const struct model *m)
{
	const struct cs_model *cm = cs_of(m);
	char q[DIAG_KEY_SIZE], base[RULE_MAX], rule[RULE_MAX];

	if (cm == NULL) {
		inv_error(inv, d, m->pos,
		          "model %s: not a Cisco model provfs knows (name it as the phone does, "
		          "e.g. SPA504G, SPA112, CP-8841-3PCC: formats/cisco.md section 1)",
		          diag_key(q, m->name));
		return;
	}
	if (cm->max_lines != 0 && m->max_lines > cm->max_lines)
		inv_error(inv, d, m->pos, "model %s: a %s has %u lines (max_lines %u)",
		          diag_key(q, m->name), cm->name, (unsigned)cm->max_lines,
		          (unsigned)m->max_lines);
	if (!m->encrypt && (m->options[OPT_DIGEST].s != NULL || m->options[OPT_GZIP].s != NULL))
		inv_error(inv, d, m->pos,
		          "model %s: 'digest' and 'gzip' apply with 'encrypt: true'",
		          diag_key(q, m->name));
	base_url(inv, base, sizeof(base));
	if (cs_plain_rule(rule, sizeof(rule), base) < 0)
		inv_error(inv, d, inv->server_url.pos,
		          "server.url: a Cisco profile rule cannot carry it (printable ASCII, no "
		          "space: formats/cisco.md section 1.3)");
}

/* Parameters provfs writes itself: where the phone provisions from, its key, its firmware. */
static const char *const reserved[] = {
	CS_PROFILE_RULE,   CS_PROFILE_RULE_B, CS_PROFILE_RULE_C,
	CS_PROFILE_RULE_D, CS_GPP_SA,         CS_UPGRADE_RULE,
};

static void check_value(const struct inventory *inv, struct diag *d, const struct value *v,
                        const char *what)
{
	if (v->s != NULL && !cs_value_ok(v->s, v->len))
		inv_error(inv, d, v->pos,
		          "%s: a Cisco value is printable ASCII only, no line break, no leading or "
		          "trailing space, at most %d bytes (formats/cisco.md section 2.1)",
		          what, CS_VALUE_MAX);
}

/* The conversions of §3: a time zone, a language (MPP), resync minutes. */
static void check_conversions(const struct inventory *inv, struct diag *d, const struct level *lv,
                              unsigned use)
{
	for (size_t i = 0; i < cs_setting_nrows; i++) {
		const struct cs_setting_row *row = &cs_setting_rows[i];
		const struct value *v = &lv->settings[row->setting];
		char out[CS_VALUE_MAX + 1];

		if (v->s == NULL || !(row->families & use) ||
		    (row->conv != CS_CONV_TZ_ZONE && row->conv != CS_CONV_LANGUAGE &&
		     row->conv != CS_CONV_SECONDS) ||
		    cs_setting_value(row, v->s, v->len, out, sizeof(out)) != -EINVAL)
			continue;
		if (row->conv == CS_CONV_TZ_ZONE)
			inv_error(inv, d, v->pos,
			          "timezone: Cisco phones take a POSIX zone with Mm.w.d rules and "
			          "whole-minute offsets (formats/cisco.md section 3)");
		else if (row->conv == CS_CONV_LANGUAGE)
			inv_error(
			    inv, d, v->pos,
			    "language: not one Cisco MPP phones name (formats/cisco.md section 3)");
		else
			inv_error(inv, d, v->pos, "resync_minutes: at most %u",
			          CS_RESYNC_MINUTES_MAX);
	}
}

static void cs_check_level(const struct inventory *inv, struct diag *d, const struct level *lv,
                           unsigned use, bool generic)
{
	const struct param_list *pl = &lv->params[vendor_index(&vendor_cisco)];

	(void)generic;
	for (int s = 0; use != 0 && s < SET__COUNT; s++)
		check_value(inv, d, &lv->settings[s], validate_setting_label[s]);
	if (use != 0)
		check_conversions(inv, d, lv, use);
	for (uint32_t i = 0; use != 0 && i < lv->nlines; i++)
		for (int f = 0; f < LF__COUNT; f++)
			check_value(inv, d, &lv->lines[i].f[f], validate_line_label[f]);
	for (uint32_t i = 0; i < pl->n; i++) {
		const struct param *p = &pl->items[i];
		char q[DIAG_KEY_SIZE];

		diag_key(q, p->name);
		if (!cs_param_ok(p->name, strlen(p->name))) {
			inv_error(inv, d, p->name_pos,
			          "'%s' is not a Cisco parameter name (a letter, then letters, "
			          "digits and _, at most %d)",
			          q, CS_PARAM_MAX);
			continue;
		}
		for (size_t k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
			if (strcmp(p->name, reserved[k]) == 0)
				inv_error(
				    inv, d, p->name_pos,
				    "'%s' cannot be set in params: provfs sets it (the profile "
				    "rules, the key flow and firmware)",
				    q);
		check_value(inv, d, &p->v, q);
	}
}

/* ---- the vendor ---------------------------------------------------------------------------- */

static const unsigned cs_kinds[CS__KINDS] = {
	[CS_XML] = KF_DEVICE | KF_KEY_CARRIER,
	[CS_CFG] = KF_DEVICE | KF_KEY_PROOF,
	[CS_BOOT_SPA] = KF_MODEL,
	[CS_BOOT_MPP] = KF_MODEL,
};

/*
 * <mac> is lower case ($MA, §1.3), matched in any case ($MAU); a kind's first row is its
 * canonical name. The MPP bootstrap has three spellings (§1.2 [U]).
 */
static const struct name_rule cs_names[] = {
	{ CS_XML, "", NV_MAC, CS_DEVICE_PLAIN_TAIL }, { CS_CFG, "", NV_MAC, CS_DEVICE_ENC_TAIL },
	{ CS_BOOT_SPA, "spa", NV_TAG, ".cfg" },       { CS_BOOT_MPP, "", NV_TAG, "-3PCC.xml" },
	{ CS_BOOT_MPP, "", NV_TAG, ".xml" },          { CS_BOOT_MPP, "CP-", NV_TAG, "-3PCC.xml" },
};

const struct vendor vendor_cisco = {
	.schema = { "cisco", cs_options, 2, 0, NULL },
	.label = "Cisco",
	.kinds = cs_kinds,
	.nkinds = CS__KINDS,
	.names = cs_names,
	.nnames = sizeof(cs_names) / sizeof(cs_names[0]),
	.exists = cs_exists,
	.render = cs_render,
	.model_tag = cs_model_tag,
	.model_use = cs_model_use,
	.check_model = cs_check_model,
	.check_level = cs_check_level,
	.encrypted = cs_encrypted,
	.key_text = cs_key_text,
	.rekey_needs_factory_reset = true,
	.params = cs_params,
};
