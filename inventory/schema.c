/*
 * schema.c - YAML tree -> model records, one section handler per part of SPEC §3.
 *
 * Each handler checks shape (mapping, list, value), known keys, and neutral ranges, and
 * reports every problem with its position instead of stopping: an administrator fixing an
 * inventory wants the whole list. Unknown keys name the keys that are allowed there.
 * A message quotes a key only through diag_key() and never a value (diag.h says why).
 */
#include "inventory/schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inventory/enroll.h"
#include "inventory/mac.h"
#include "inventory/secret_file.h"

static const char *const setting_names[SET__COUNT] = {
	[SET_ADMIN_PASSWORD] = "admin_password",
	[SET_NTP_SERVER] = "ntp_server",
	[SET_TIMEZONE] = "timezone",
	[SET_LANGUAGE] = "language",
	[SET_SIP_SERVER] = "sip_server",
	[SET_SIP_PORT] = "sip_port",
	[SET_OUTBOUND_PROXY] = "outbound_proxy",
	[SET_RESYNC_MINUTES] = "resync_minutes",
};

static const char *const line_names[LF__COUNT] = {
	[LF_USER] = "user",         [LF_AUTH_USER] = "auth_user",
	[LF_PASSWORD] = "password", [LF_DISPLAY_NAME] = "display_name",
	[LF_SERVER] = "server",     [LF_VOICEMAIL] = "voicemail",
};

/* Which level keys a section accepts. */
enum {
	LV_SETTINGS = 1 << 0,
	LV_PARAMS = 1 << 1,
	LV_LINES = 1 << 2,
	LV_OPTIONS = 1 << 3, /* xml_password, binary, binary_layout, config, firmware */
	LV_ALL = LV_SETTINGS | LV_PARAMS | LV_LINES | LV_OPTIONS,
	LV_ENROLL = 1 << 4, /* enroll_until: groups and devices */
};

#define LEVEL_KEYS     "settings, params, lines, xml_password, binary, binary_layout, config, firmware"
#define NAME_ALPHABET  "A-Z a-z 0-9 . _ -"
#define MAX_NAME_LEN   64
#define MAX_PARAM_NAME 128

void inv_error(const struct inventory *inv, struct diag *d, struct pos p, const char *fmt, ...)
{
	va_list ap;
	const char *file = p.file < inv->nfiles ? inv->files[p.file] : inv->source;

	va_start(ap, fmt);
	diag_vadd(d, file, p.line, p.col, fmt, ap);
	va_end(ap);
}

static struct pos pos_of(const struct builder *b, const struct ynode *n)
{
	struct pos p = { b->file, n->line, n->col };

	return p;
}

static void err(struct builder *b, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err(struct builder *b, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(b->d, b->inv->files[b->file], n->line, n->col, fmt, ap);
	va_end(ap);
}

static const char *kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case YN_MAP:
		return "a mapping";
	case YN_SEQ:
		return "a list";
	default:
		return ynode_is_null(n) ? "nothing" : "a value";
	}
}

static bool expect_map(struct builder *b, const struct ynode *n, const char *what)
{
	if (n->kind == YN_MAP)
		return true;
	if (ynode_is_null(n) && n->kind == YN_SCALAR)
		return false; /* an empty section is allowed and means nothing */
	err(b, n, "'%s' must be a mapping, found %s", what, kind_name(n));
	return false;
}

static bool expect_seq(struct builder *b, const struct ynode *n, const char *what)
{
	if (n->kind == YN_SEQ)
		return true;
	err(b, n, "'%s' must be a list, found %s", what, kind_name(n));
	return false;
}

static int find_name(const char *key, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(key, names[i]) == 0)
			return i;
	return -1;
}

/* The index of the vendor named `key` in the set the inventory is loaded with, or -1. */
static int find_vendor(const struct builder *b, const char *key)
{
	const struct vendor_set *vs = b->inv->vendors;

	for (uint32_t i = 0; vs != NULL && i < vs->n; i++)
		if (strcmp(key, vs->v[i]->name) == 0)
			return (int)i;
	return -1;
}

/* "grandstream, panasonic, ..." for messages. */
static const char *vendor_list(const struct builder *b, char *buf, size_t len)
{
	const struct vendor_set *vs = b->inv->vendors;

	buf[0] = '\0';
	for (uint32_t i = 0; vs != NULL && i < vs->n; i++) {
		if (i > 0)
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, vs->v[i]->name, len - strlen(buf) - 1);
	}
	return buf;
}

/* A non-null scalar copied into the inventory arena. */
static bool get_value(struct builder *b, const struct ynode *n, const char *what, struct value *out)
{
	if (n->kind != YN_SCALAR) {
		err(b, n, "'%s' must be a value, found %s", what, kind_name(n));
		return false;
	}
	if (ynode_is_null(n)) {
		err(b, n, "'%s' has no value (write \"\" for an empty one)", what);
		return false;
	}
	out->s = arena_strndup(&b->inv->arena, n->u.str, n->n);
	if (out->s == NULL) {
		err(b, n, "out of memory");
		return false;
	}
	out->len = n->n;
	out->pos = pos_of(b, n);
	return true;
}

static bool parse_uint(struct builder *b, const struct ynode *n, const char *what, uint32_t min,
                       uint32_t max, uint32_t *out)
{
	if (n->kind == YN_SCALAR && n->n > 0 && n->n <= 9) {
		unsigned long v = 0;
		size_t i;

		for (i = 0; i < n->n && n->u.str[i] >= '0' && n->u.str[i] <= '9'; i++)
			v = v * 10 + (unsigned long)(n->u.str[i] - '0');
		if (i == n->n && v >= min && v <= max) {
			*out = (uint32_t)v;
			return true;
		}
	}
	err(b, n, "'%s' must be a whole number from %u to %u", what, (unsigned)min, (unsigned)max);
	return false;
}

static bool parse_bool(struct builder *b, const struct ynode *n, const char *what, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	if (n->kind == YN_SCALAR && n->plain) {
		for (size_t i = 0; i < 3; i++) {
			if (strcasecmp(n->u.str, yes[i]) == 0) {
				*out = true;
				return true;
			}
			if (strcasecmp(n->u.str, no[i]) == 0) {
				*out = false;
				return true;
			}
		}
	}
	err(b, n, "'%s' must be true or false", what);
	return false;
}

bool name_in_alphabet(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Names that end up in file names: models, groups, prefixes, postfixes. */
static bool get_name(struct builder *b, const struct ynode *n, const char *what, size_t min,
                     struct value *out)
{
	if (!get_value(b, n, what, out))
		return false;
	if (out->len < min || out->len > MAX_NAME_LEN || !name_in_alphabet(out->s, out->len)) {
		err(b, n, "'%s' must be %zu to %d characters from %s", what, min, MAX_NAME_LEN,
		    NAME_ALPHABET);
		out->s = NULL;
		return false;
	}
	return true;
}

/*
 * A firmware version names one directory below FIRMWARE_DIR/grandstream/: a single path
 * component from the name alphabet, never "." or ".." nor hidden (no leading '.'), so it
 * can never climb out of that directory or reach an editor's or rsync's temporary one.
 */
static bool get_version(struct builder *b, const struct ynode *n, struct value *out)
{
	if (!get_value(b, n, "version", out))
		return false;
	if (out->len < 1 || out->len > MAX_NAME_LEN || !name_in_alphabet(out->s, out->len) ||
	    out->s[0] == '.') {
		err(b, n,
		    "'version' names one directory: 1 to %d characters from %s, not starting "
		    "with '.'",
		    MAX_NAME_LEN, NAME_ALPHABET);
		out->s = NULL;
		return false;
	}
	return true;
}

/* The key is quoted as an excerpt: a typo like `password:Secr3t` makes one of the secret. */
static void unknown_key(struct builder *b, const struct ynode *k, const char *section,
                        const char *expected)
{
	char key[DIAG_KEY_SIZE];

	err(b, k, "unknown key '%s' in %s (expected one of: %s)", diag_key(key, k->u.str), section,
	    expected);
}

/* ---- settings, lines, params ------------------------------------------------------------ */

static void read_settings(struct builder *b, const struct ynode *m, struct level *lv)
{
	if (!expect_map(b, m, "settings"))
		return;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);
		int s = find_name(k->u.str, setting_names, SET__COUNT);
		uint32_t num;

		if (s < 0) {
			unknown_key(b, k, "settings",
			            "admin_password, ntp_server, timezone, language, sip_server, "
			            "sip_port, outbound_proxy, resync_minutes");
			continue;
		}
		if (s == SET_SIP_PORT && !parse_uint(b, v, "sip_port", 1, 65535, &num))
			continue;
		if (s == SET_RESYNC_MINUTES &&
		    !parse_uint(b, v, "resync_minutes", 1, 5256000, &num))
			continue;
		if (s == SET_ADMIN_PASSWORD &&
		    secret_ref_read(b, v, "admin_password", false, &lv->settings[s]))
			continue;
		get_value(b, v, setting_names[s], &lv->settings[s]);
	}
}

static void read_line(struct builder *b, const struct ynode *m, struct line *ln, uint32_t number)
{
	ln->pos = pos_of(b, m);
	if (m->kind != YN_MAP) {
		err(b, m, "line %u must be a mapping (user, password, ...), found %s",
		    (unsigned)number, kind_name(m));
		return;
	}
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);
		int f = find_name(k->u.str, line_names, LF__COUNT);

		if (f < 0) {
			unknown_key(b, k, "a line",
			            "user, auth_user, password, display_name, server, voicemail");
			continue;
		}
		if (f == LF_PASSWORD && secret_ref_read(b, v, "password", false, &ln->f[f]))
			continue;
		get_value(b, v, line_names[f], &ln->f[f]);
	}
	if (ln->f[LF_USER].s == NULL)
		err(b, m, "line %u has no 'user'", (unsigned)number);
}

static void read_lines(struct builder *b, const struct ynode *s, struct level *lv)
{
	if (!expect_seq(b, s, "lines"))
		return;
	lv->has_lines = true;
	lv->lines_pos = pos_of(b, s);
	lv->nlines = s->n;
	if (s->n == 0)
		return;
	lv->lines = arena_alloc(&b->inv->arena, s->n * sizeof(*lv->lines));
	if (lv->lines == NULL) {
		err(b, s, "out of memory");
		lv->nlines = 0;
		return;
	}
	for (uint32_t i = 0; i < s->n; i++)
		read_line(b, s->u.items[i], &lv->lines[i], i + 1);
}

static bool param_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > MAX_PARAM_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '/'))
			return false;
	}
	return true;
}

static int param_cmp(const void *pa, const void *pb)
{
	const struct param *a = pa, *b = pb;

	return strcmp(a->name, b->name);
}

/* A mapping of raw vendor parameters: name -> value. */
static void read_param_map(struct builder *b, const struct ynode *m, struct param_list *out)
{
	uint32_t n = 0;

	out->items = NULL;
	out->n = 0;
	if (m->n == 0)
		return;
	out->items = arena_alloc(&b->inv->arena, m->n * sizeof(*out->items));
	if (out->items == NULL) {
		err(b, m, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);
		struct param *p = &out->items[n];
		char key[DIAG_KEY_SIZE];

		diag_key(key, k->u.str);
		if (!param_name_ok(k->u.str, k->n)) {
			err(b, k,
			    "'%s' is not a parameter name (up to %d letters, digits, . _ - /)", key,
			    MAX_PARAM_NAME);
			continue;
		}
		p->name = arena_strndup(&b->inv->arena, k->u.str, k->n);
		p->name_pos = pos_of(b, k);
		if (p->name != NULL && get_value(b, v, key, &p->v))
			n++;
	}
	out->n = n;
	qsort(out->items, n, sizeof(*out->items), param_cmp);
}

static bool is_vendor_keyed(const struct builder *b, const struct ynode *m)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (find_vendor(b, ymap_key(m, i)->u.str) < 0)
			return false;
	return m->n > 0;
}

static void remember_flat(struct builder *b, int kind, uint32_t owner, struct param_list list,
                          struct pos pos)
{
	if (b->nflat == b->cap_flat) {
		uint32_t ncap = b->cap_flat ? b->cap_flat * 2 : 64;
		struct flat_params *f = realloc(b->flat, ncap * sizeof(*f));

		if (f == NULL) {
			diag_add(b->d, b->inv->files[b->file], pos.line, pos.col, "out of memory");
			return;
		}
		b->flat = f;
		b->cap_flat = ncap;
	}
	b->flat[b->nflat].owner_kind = kind;
	b->flat[b->nflat].owner = owner;
	b->flat[b->nflat].list = list;
	b->flat[b->nflat].pos = pos;
	b->nflat++;
}

/*
 * params: {grandstream: {...}, panasonic: {...}} everywhere; at model and device level
 * (flat_kind >= 0) also the flat form {P1362: de}, resolved once the vendor is known.
 */
static void read_params(struct builder *b, const struct ynode *m, struct level *lv, int flat_kind,
                        uint32_t owner)
{
	if (!expect_map(b, m, "params"))
		return;
	if (is_vendor_keyed(b, m)) {
		for (uint32_t i = 0; i < m->n; i++) {
			const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);
			int vd = find_vendor(b, k->u.str);

			if (expect_map(b, v, k->u.str))
				read_param_map(b, v, &lv->params[vd]);
		}
		return;
	}
	if (flat_kind < 0) {
		char list[128];

		err(b, m,
		    "params here are shared by several vendors: key them by vendor "
		    "(params: {VENDOR: {...}}, VENDOR one of %s)",
		    vendor_list(b, list, sizeof(list)));
		return;
	}
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i);

		if (find_vendor(b, k->u.str) >= 0)
			err(b, k, "params mix the vendor-keyed and the flat form");
	}
	struct param_list list;

	read_param_map(b, m, &list);
	remember_flat(b, flat_kind, owner, list, pos_of(b, m));
}

/* ---- device options: xml_password, binary, binary_layout, config, firmware -------------- */

static void read_xml_password(struct builder *b, const struct ynode *v, struct level *lv)
{
	struct value val;

	if (secret_ref_read(b, v, "xml_password", true, &lv->xml_password))
		return; /* checked once resolved */
	if (!get_value(b, v, "xml_password", &val))
		return;
	/* Grandstream: "between ascii values 33 and 126" (P1359). */
	for (uint32_t i = 0; i < val.len; i++) {
		unsigned char c = (unsigned char)val.s[i];

		if (c < 33 || c > 126) {
			err(b, v, "'xml_password' may only hold printable ASCII without spaces");
			return;
		}
	}
	if (val.len == 0 || val.len > 64) {
		err(b, v, "'xml_password' must be 1 to 64 characters");
		return;
	}
	lv->xml_password = val;
}

static void read_choice(struct builder *b, const struct ynode *v, const char *what,
                        const char *const *choices, int nchoices, struct value *out)
{
	struct value val;

	if (!get_value(b, v, what, &val))
		return;
	if (find_name(val.s, choices, nchoices) < 0) {
		char list[128] = "";

		for (int i = 0; i < nchoices; i++) {
			strncat(list, choices[i], sizeof(list) - strlen(list) - 1);
			if (i + 1 < nchoices)
				strncat(list, " | ", sizeof(list) - strlen(list) - 1);
		}
		err(b, v, "'%s' must be %s", what, list); /* the value may be a secret */
		return;
	}
	*out = val;
}

static void read_config_names(struct builder *b, const struct ynode *m, struct cfg_names *c)
{
	if (m->kind != YN_MAP) {
		err(b, m, "'config' must be a mapping {prefix, postfix}, found %s", kind_name(m));
		return;
	}
	c->set = true;
	c->pos = pos_of(b, m);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);

		if (strcmp(k->u.str, "prefix") == 0)
			get_name(b, v, "prefix", 0, &c->prefix);
		else if (strcmp(k->u.str, "postfix") == 0)
			get_name(b, v, "postfix", 0, &c->postfix);
		else
			unknown_key(b, k, "config", "prefix, postfix");
	}
}

static void read_firmware(struct builder *b, const struct ynode *m, struct firmware *fw)
{
	if (m->kind != YN_MAP) {
		err(b, m, "'firmware' must be a mapping {version, prefix, postfix}, found %s",
		    kind_name(m));
		return;
	}
	fw->set = true;
	fw->pos = pos_of(b, m);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);

		if (strcmp(k->u.str, "version") == 0)
			get_version(b, v, &fw->version);
		else if (strcmp(k->u.str, "prefix") == 0)
			get_name(b, v, "prefix", 0, &fw->prefix);
		else if (strcmp(k->u.str, "postfix") == 0)
			get_name(b, v, "postfix", 0, &fw->postfix);
		else
			unknown_key(b, k, "firmware", "version, prefix, postfix");
	}
	if (fw->version.s == NULL)
		err(b, m, "'firmware' needs a 'version'");
}

/* enroll_until: a time (enroll.h has the forms), on a device or a group only. */
static void read_enroll_until(struct builder *b, const struct ynode *v, struct level *lv,
                              bool allowed)
{
	struct value val;

	if (!allowed) {
		err(b, v, "'enroll_until' is set on a device or a group");
		return;
	}
	if (!get_value(b, v, "enroll_until", &val))
		return;
	if (enroll_parse(val.s, val.len, &lv->enroll_until_at) < 0) {
		err(b, v,
		    "'enroll_until' must be a date (2026-12-31, meaning 00:00 UTC that day) or a "
		    "time with a zone (2026-12-31T18:00:00Z, 2026-12-31T19:00:00+01:00)");
		return;
	}
	lv->enroll_until = val;
}

/*
 * One key of a level. Returns true if the key belongs to levels (handled, even with
 * errors), false if the caller should treat it as unknown.
 */
static bool read_level_key(struct builder *b, const struct ynode *k, const struct ynode *v,
                           struct level *lv, unsigned allowed, int flat_kind, uint32_t owner)
{
	static const char *const binary_modes[] = { "off", "bootstrap", "full" };
	static const char *const layouts[] = { "encrypted", "plain" };
	const char *key = k->u.str;

	if ((allowed & LV_SETTINGS) && strcmp(key, "settings") == 0)
		read_settings(b, v, lv);
	else if ((allowed & LV_PARAMS) && strcmp(key, "params") == 0)
		read_params(b, v, lv, flat_kind, owner);
	else if ((allowed & LV_LINES) && strcmp(key, "lines") == 0)
		read_lines(b, v, lv);
	else if ((allowed & LV_OPTIONS) && strcmp(key, "xml_password") == 0)
		read_xml_password(b, v, lv);
	else if ((allowed & LV_OPTIONS) && strcmp(key, "binary") == 0)
		read_choice(b, v, "binary", binary_modes, 3, &lv->binary);
	else if ((allowed & LV_OPTIONS) && strcmp(key, "binary_layout") == 0)
		read_choice(b, v, "binary_layout", layouts, 2, &lv->binary_layout);
	else if ((allowed & LV_OPTIONS) && strcmp(key, "config") == 0)
		read_config_names(b, v, &lv->config);
	else if ((allowed & LV_OPTIONS) && strcmp(key, "firmware") == 0)
		read_firmware(b, v, &lv->firmware);
	else if ((allowed & LV_OPTIONS) && strcmp(key, "enroll_until") == 0)
		read_enroll_until(b, v, lv, (allowed & LV_ENROLL) != 0);
	else
		return false;
	return true;
}

/* A section that is nothing but a level: defaults, a group, generic. */
static void read_plain_level(struct builder *b, const struct ynode *m, const char *section,
                             struct level *lv, unsigned allowed, const char *expected)
{
	lv->pos = pos_of(b, m);
	if (!expect_map(b, m, section))
		return;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);

		if (!read_level_key(b, k, v, lv, allowed, -1, 0))
			unknown_key(b, k, section, expected);
	}
}

/* ---- models, groups, devices ------------------------------------------------------------ */

static void *grow(void *vec, uint32_t *cap, uint32_t n, size_t elem)
{
	if (n < *cap)
		return vec;
	uint32_t ncap = *cap ? *cap * 2 : 16;
	void *p = realloc(vec, (size_t)ncap * elem);

	if (p == NULL)
		return NULL;
	memset((char *)p + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
	*cap = ncap;
	return p;
}

/*
 * Room for every device of a devices section at once: doubling would leave a quarter of the
 * vector unused at 100,000 devices and hold two copies while it grows. Without memory, grow()
 * still tries one device at a time.
 */
static void reserve_devices(struct builder *b, const struct ynode *m)
{
	uint64_t want = (uint64_t)b->ndevices + (m->kind == YN_MAP ? m->n : 0);
	void *p;

	if (want <= b->cap_devices || want > UINT32_MAX / 2)
		return;
	p = realloc(b->devices, (size_t)want * sizeof(*b->devices));
	if (p == NULL)
		return;
	memset((struct device *)p + b->cap_devices, 0,
	       (size_t)(want - b->cap_devices) * sizeof(*b->devices));
	b->devices = p;
	b->cap_devices = (uint32_t)want;
}

/* The chosen value of one of the vendor's model options. */
static void read_model_option(struct builder *b, const struct ynode *v, struct model *mo,
                              uint32_t i, const struct model_option *o)
{
	int n = 0;

	while (o->choices[n] != NULL)
		n++;
	read_choice(b, v, o->key, o->choices, n, &mo->options[i]);
	if (mo->options[i].s != NULL)
		mo->choice[i] = (uint8_t)find_name(mo->options[i].s, o->choices, n);
}

/* The model keys of its vendor: "dialect, key_length" for messages. */
static const char *option_list(const struct vendor_schema *vs, char *buf, size_t len)
{
	buf[0] = '\0';
	for (uint32_t i = 0; i < vs->noptions; i++) {
		strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, vs->options[i].key, len - strlen(buf) - 1);
	}
	return buf;
}

/* The vendor named in a model's mapping (read first: it says which other keys exist). */
static int read_model_vendor(struct builder *b, const struct ynode *m, const char *q)
{
	char list[128];

	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *v = ymap_val(m, i);
		struct value name;
		int vd;

		if (strcmp(ymap_key(m, i)->u.str, "vendor") != 0 ||
		    !get_value(b, v, "vendor", &name))
			continue;
		vd = find_vendor(b, name.s);
		if (vd < 0)
			err(b, v, "'vendor' must be one of %s", vendor_list(b, list, sizeof(list)));
		return vd < 0 ? -2 : vd;
	}
	err(b, m, "model '%s' has no 'vendor' (one of %s)", q, vendor_list(b, list, sizeof(list)));
	return -1;
}

static void read_model(struct builder *b, const struct ynode *k, const struct ynode *m)
{
	const struct vendor_schema *vs;
	struct model *mo;
	struct value name;
	bool have_max = false;
	uint32_t idx = b->nmodels;
	char q[DIAG_KEY_SIZE]; /* the model's name, as a message may quote it */
	char keys[320];
	int vd;

	if (!get_name(b, k, "model name", 1, &name))
		return;
	diag_key(q, name.s);
	if (!expect_map(b, m, q)) {
		if (m->kind == YN_SCALAR)
			err(b, m, "model '%s' needs at least 'vendor' and 'max_lines'", q);
		return;
	}
	vd = read_model_vendor(b, m, q);
	if (vd < 0)
		return;
	vs = b->inv->vendors->v[vd];
	struct model *vec = grow(b->models, &b->cap_models, b->nmodels, sizeof(*vec));

	if (vec == NULL) {
		err(b, m, "out of memory");
		return;
	}
	b->models = vec;
	mo = &b->models[b->nmodels++];
	mo->name = name.s;
	mo->pos = pos_of(b, k);
	mo->level.pos = pos_of(b, m);
	mo->vendor = (uint32_t)vd;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *key = ymap_key(m, i), *v = ymap_val(m, i);
		const char *kk = key->u.str;
		uint32_t o = 0;

		while (o < vs->noptions && strcmp(kk, vs->options[o].key) != 0)
			o++;
		if (strcmp(kk, "vendor") == 0) {
			continue;
		} else if (strcmp(kk, "max_lines") == 0) {
			parse_uint(b, v, "max_lines", 1, 16, &mo->max_lines);
			have_max = true; /* a bad value was reported already */
		} else if (strcmp(kk, "encrypt") == 0) {
			if (vs->encrypt_hint != NULL)
				err(b, v, "'encrypt' does not apply to %s models: %s", vs->name,
				    vs->encrypt_hint);
			else if (get_value(b, v, "encrypt", &mo->encrypt_value))
				parse_bool(b, v, "encrypt", &mo->encrypt);
		} else if (o < vs->noptions) {
			read_model_option(b, v, mo, o, &vs->options[o]);
		} else if (!read_level_key(b, key, v, &mo->level, LV_ALL, FLAT_MODEL, idx)) {
			char opts[96];

			snprintf(keys, sizeof(keys), "vendor, max_lines, encrypt%s, " LEVEL_KEYS,
			         option_list(vs, opts, sizeof(opts)));
			unknown_key(b, key, "a model", keys);
		}
	}
	if (!have_max)
		err(b, m, "model '%s' has no 'max_lines' (how many accounts the phone has)", q);
}

static void read_group(struct builder *b, const struct ynode *k, const struct ynode *m)
{
	struct value name;
	struct group *g;

	if (!get_name(b, k, "group name", 1, &name))
		return;
	struct group *vec = grow(b->groups, &b->cap_groups, b->ngroups, sizeof(*vec));

	if (vec == NULL) {
		err(b, m, "out of memory");
		return;
	}
	b->groups = vec;
	g = &b->groups[b->ngroups++];
	g->name = name.s;
	g->pos = pos_of(b, k);
	read_plain_level(b, m, "a group", &g->level, LV_ALL | LV_ENROLL,
	                 LEVEL_KEYS ", enroll_until");
}

static void read_device_groups(struct builder *b, const struct ynode *s, struct device *dev)
{
	if (!expect_seq(b, s, "groups"))
		return;
	if (s->n > MAX_GROUPS_PER_DEVICE) {
		err(b, s, "more than %d groups", MAX_GROUPS_PER_DEVICE);
		return;
	}
	dev->group_names = arena_alloc(&b->inv->arena, (s->n ? s->n : 1) * sizeof(struct value));
	if (dev->group_names == NULL) {
		err(b, s, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		struct value *gv = &dev->group_names[dev->ngroups];

		if (!get_name(b, s->u.items[i], "group", 1, gv))
			continue;
		for (uint32_t j = 0; j < dev->ngroups; j++)
			if (strcmp(dev->group_names[j].s, gv->s) == 0) {
				/* a reference is a value: its position, not its text */
				err(b, s->u.items[i], "this group is listed twice (first at %u:%u)",
				    (unsigned)dev->group_names[j].pos.line,
				    (unsigned)dev->group_names[j].pos.col);
				gv->s = NULL;
				break;
			}
		if (gv->s != NULL)
			dev->ngroups++;
	}
}

static void read_device(struct builder *b, const struct ynode *k, const struct ynode *m)
{
	uint64_t mac;
	struct device *dev;
	uint32_t idx = b->ndevices;
	char name[MAC_STRLEN + 1];

	/* Not quoted, not even as an excerpt: ':' belongs to a MAC, and cut there it says
	 * nothing. The position points at the key. */
	if (k->kind != YN_SCALAR || mac_parse(k->u.str, k->n, &mac) < 0) {
		err(b, k,
		    "a key under 'devices' must be a device MAC address (12 hex digits, e.g. "
		    "00:0b:82:12:34:56; not multicast, not all zero)");
		return;
	}
	mac_format(mac, false, name); /* the MAC as provfs writes it, not the key's text */
	if (m->kind != YN_MAP) {
		err(b, m, "device '%s' must be a mapping with at least 'model', found %s", name,
		    kind_name(m));
		return;
	}
	struct device *vec = grow(b->devices, &b->cap_devices, b->ndevices, sizeof(*vec));

	if (vec == NULL) {
		err(b, m, "out of memory");
		return;
	}
	b->devices = vec;
	dev = &b->devices[b->ndevices++];
	dev->mac = mac;
	dev->pos = pos_of(b, k);
	dev->level.pos = pos_of(b, m);
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *key = ymap_key(m, i), *v = ymap_val(m, i);

		if (strcmp(key->u.str, "model") == 0)
			get_name(b, v, "model", 1, &dev->model_name);
		else if (strcmp(key->u.str, "groups") == 0)
			read_device_groups(b, v, dev);
		else if (!read_level_key(b, key, v, &dev->level, LV_ALL | LV_ENROLL, FLAT_DEVICE,
		                         idx))
			unknown_key(b, key, "a device",
			            "model, groups, " LEVEL_KEYS ", enroll_until");
	}
	if (dev->model_name.s == NULL)
		err(b, m, "device '%s' has no 'model'", name);
}

static void read_records(struct builder *b, const struct ynode *m, const char *section,
                         void (*one)(struct builder *, const struct ynode *, const struct ynode *))
{
	if (!expect_map(b, m, section))
		return;
	for (uint32_t i = 0; i < m->n; i++)
		one(b, ymap_key(m, i), ymap_val(m, i));
}

/* ---- top level -------------------------------------------------------------------------- */

/* A top-level section may appear in only one file of a directory inventory. */
static bool first_definition(struct builder *b, const struct ynode *k, struct pos *seen)
{
	if (seen->line != 0) {
		err(b, k, "'%s' is already defined at %s:%u:%u", k->u.str,
		    b->inv->files[seen->file], (unsigned)seen->line, (unsigned)seen->col);
		return false;
	}
	*seen = pos_of(b, k);
	return true;
}

static void read_server(struct builder *b, const struct ynode *m)
{
	if (!expect_map(b, m, "server"))
		return;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);

		if (strcmp(k->u.str, "url") == 0)
			get_value(b, v, "url", &b->inv->server_url);
		else
			unknown_key(b, k, "server", "url");
	}
}

static void read_firmware_dir(struct builder *b, const struct ynode *v)
{
	struct value val;

	if (!get_value(b, v, "firmware_dir", &val))
		return;
	if (val.len == 0) {
		err(b, v, "'firmware_dir' is empty");
		return;
	}
	b->inv->firmware_dir_pos = val.pos;
	if (val.s[0] == '/' || b->dir == NULL)
		b->inv->firmware_dir = val.s;
	else
		b->inv->firmware_dir = arena_printf(&b->inv->arena, "%s/%s", b->dir, val.s);
}

void schema_read(struct builder *b, const struct ynode *root)
{
	uint32_t version;

	if (root == NULL)
		return; /* an empty file adds nothing */
	if (root->kind != YN_MAP) {
		err(b, root, "an inventory file must be a mapping (version, server, devices, ...)");
		return;
	}
	for (uint32_t i = 0; i < root->n; i++) {
		const struct ynode *k = ymap_key(root, i), *v = ymap_val(root, i);
		const char *key = k->u.str;

		if (strcmp(key, "version") == 0) {
			if (first_definition(b, k, &b->seen_version))
				parse_uint(b, v, "version", 1, 1, &version);
		} else if (strcmp(key, "server") == 0) {
			if (first_definition(b, k, &b->seen_server))
				read_server(b, v);
		} else if (strcmp(key, "firmware_dir") == 0) {
			if (first_definition(b, k, &b->seen_firmware_dir))
				read_firmware_dir(b, v);
		} else if (strcmp(key, "generic") == 0) {
			if (first_definition(b, k, &b->seen_generic)) {
				b->inv->has_generic = true;
				read_plain_level(b, v, "generic", &b->inv->generic,
				                 LV_SETTINGS | LV_PARAMS, "settings, params");
			}
		} else if (strcmp(key, "defaults") == 0) {
			if (first_definition(b, k, &b->seen_defaults))
				read_plain_level(b, v, "defaults", &b->inv->defaults, LV_ALL,
				                 LEVEL_KEYS);
		} else if (strcmp(key, "secrets") == 0) {
			if (first_definition(b, k, &b->seen_secrets))
				secrets_declare(b, v);
		} else if (strcmp(key, "models") == 0) {
			read_records(b, v, "models", read_model);
		} else if (strcmp(key, "groups") == 0) {
			read_records(b, v, "groups", read_group);
		} else if (strcmp(key, "devices") == 0) {
			reserve_devices(b, v);
			read_records(b, v, "devices", read_device);
		} else {
			unknown_key(b, k, "the inventory",
			            "version, server, firmware_dir, secrets, generic, defaults, "
			            "models, groups, devices");
		}
	}
}

void builder_init(struct builder *b, struct inventory *inv, struct diag *d)
{
	memset(b, 0, sizeof(*b));
	b->inv = inv;
	b->d = d;
}

void builder_release(struct builder *b)
{
	free(b->models);
	free(b->groups);
	free(b->devices);
	free(b->flat);
	free(b->srefs);
	b->srefs = NULL;
	b->models = NULL;
	b->groups = NULL;
	b->devices = NULL;
	b->flat = NULL;
}
