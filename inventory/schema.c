/*
 * schema.c - YAML tree -> model records, one section handler per part of SPEC §3.
 *
 * Each handler checks shape (mapping, list, value), known keys, and neutral ranges, and
 * reports every problem with its position instead of stopping: an administrator fixing an
 * inventory wants the whole list. Which keys a mapping accepts is one table (schema_keys):
 * each handler looks its keys up there, and an unknown key names the table's keys for it.
 * A message quotes a key only through diag_key() and never a value (diag.h says why).
 */
#include "inventory/schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inventory/mac.h"

#define LEVEL_MAPS (SM_LEVELS | SM_GENERIC)

const struct schema_key schema_keys[] = {
	{ "version", SM_TOP | SM_FIRMWARE, SK_VERSION },
	{ "server", SM_TOP, SK_SERVER },
	{ "firmware_dir", SM_TOP, SK_FIRMWARE_DIR },
	{ "generic", SM_TOP, SK_GENERIC },
	{ "defaults", SM_TOP, SK_DEFAULTS },
	{ "models", SM_TOP, SK_MODELS },
	{ "model", SM_DEVICE, SK_MODEL },
	{ "groups", SM_TOP | SM_DEVICE, SK_GROUPS },
	{ "devices", SM_TOP, SK_DEVICES },
	{ "url", SM_SERVER, SK_URL },
	{ "vendor", SM_MODEL, SK_VENDOR },
	{ "max_lines", SM_MODEL, SK_MAX_LINES },
	{ "encrypt", SM_MODEL, SK_ENCRYPT },
	/* the level keys: defaults, a group, a model, a device; generic has the first two */
	{ "settings", LEVEL_MAPS, SK_SETTINGS },
	{ "params", LEVEL_MAPS, SK_PARAMS },
	{ "lines", SM_LEVELS, SK_LINES },
	{ "xml_password", SM_LEVELS, SK_XML_PASSWORD },
	{ "binary", SM_LEVELS, SK_BINARY },
	{ "binary_layout", SM_LEVELS, SK_BINARY_LAYOUT },
	{ "config", SM_LEVELS, SK_CONFIG },
	{ "firmware", SM_LEVELS, SK_FIRMWARE },
	{ "prefix", SM_CONFIG | SM_FIRMWARE, SK_PREFIX },
	{ "postfix", SM_CONFIG | SM_FIRMWARE, SK_POSTFIX },
	/* the neutral settings (SPEC §3), mapped per vendor by the backend's tables */
	{ "admin_password", SM_SETTINGS, SET_ADMIN_PASSWORD },
	{ "ntp_server", SM_SETTINGS, SET_NTP_SERVER },
	{ "timezone", SM_SETTINGS, SET_TIMEZONE },
	{ "language", SM_SETTINGS, SET_LANGUAGE },
	{ "sip_server", SM_SETTINGS, SET_SIP_SERVER },
	{ "sip_port", SM_SETTINGS, SET_SIP_PORT },
	{ "outbound_proxy", SM_SETTINGS, SET_OUTBOUND_PROXY },
	{ "resync_minutes", SM_SETTINGS, SET_RESYNC_MINUTES },
	/* one account */
	{ "user", SM_LINE, LF_USER },
	{ "auth_user", SM_LINE, LF_AUTH_USER },
	{ "password", SM_LINE, LF_PASSWORD },
	{ "display_name", SM_LINE, LF_DISPLAY_NAME },
	{ "server", SM_LINE, LF_SERVER },
	{ "voicemail", SM_LINE, LF_VOICEMAIL },
};

const size_t schema_nkeys = sizeof(schema_keys) / sizeof(schema_keys[0]);

/* Indexed by the bit number of an SM_* value. */
static const char *const map_names[SM__COUNT] = {
	"the inventory", "server",   "generic", "defaults", "a group",  "a model",
	"a device",      "settings", "a line",  "config",   "firmware",
};

const char *schema_map_name(unsigned map)
{
	for (unsigned i = 0; i < SM__COUNT; i++)
		if (map == 1u << i)
			return map_names[i];
	return "?";
}

const struct schema_key *schema_find(unsigned map, const char *key)
{
	for (size_t i = 0; i < schema_nkeys; i++)
		if ((schema_keys[i].maps & map) && strcmp(schema_keys[i].key, key) == 0)
			return &schema_keys[i];
	return NULL;
}

static void append_key(char *buf, size_t len, const char *key)
{
	if (buf[0] != '\0')
		strncat(buf, ", ", len - strlen(buf) - 1);
	strncat(buf, key, len - strlen(buf) - 1);
}

const char *schema_key_list(unsigned map, const struct vendor_schema *vs, char *buf, size_t len)
{
	bool options_done = map != SM_MODEL || vs == NULL;

	buf[0] = '\0';
	for (size_t i = 0; i < schema_nkeys; i++) {
		if (!(schema_keys[i].maps & map))
			continue;
		if (!options_done && schema_keys[i].maps != SM_MODEL) {
			for (uint32_t o = 0; o < vs->noptions; o++)
				append_key(buf, len, vs->options[o].key);
			options_done = true;
		}
		append_key(buf, len, schema_keys[i].key);
	}
	return buf;
}

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
static void unknown_key(struct builder *b, const struct ynode *k, unsigned map,
                        const struct vendor_schema *vs)
{
	char key[DIAG_KEY_SIZE], expected[512];

	err(b, k, "unknown key '%s' in %s (expected one of: %s)", diag_key(key, k->u.str),
	    schema_map_name(map), schema_key_list(map, vs, expected, sizeof(expected)));
}

/* ---- settings, lines, params ------------------------------------------------------------ */

static void read_settings(struct builder *b, const struct ynode *m, struct level *lv)
{
	if (!expect_map(b, m, "settings"))
		return;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);
		const struct schema_key *row = schema_find(SM_SETTINGS, k->u.str);
		uint32_t num;
		int s;

		if (row == NULL || row->id < 0 || row->id >= SET__COUNT) {
			unknown_key(b, k, SM_SETTINGS, NULL);
			continue;
		}
		s = row->id;
		if (s == SET_SIP_PORT && !parse_uint(b, v, "sip_port", 1, 65535, &num))
			continue;
		if (s == SET_RESYNC_MINUTES &&
		    !parse_uint(b, v, "resync_minutes", 1, 5256000, &num))
			continue;
		get_value(b, v, row->key, &lv->settings[s]);
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
		const struct schema_key *row = schema_find(SM_LINE, k->u.str);

		if (row == NULL || row->id < 0 || row->id >= LF__COUNT) {
			unknown_key(b, k, SM_LINE, NULL);
			continue;
		}
		get_value(b, v, row->key, &ln->f[row->id]);
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
		const struct schema_key *row = schema_find(SM_CONFIG, k->u.str);

		if (row == NULL)
			unknown_key(b, k, SM_CONFIG, NULL);
		else if (row->id == SK_PREFIX)
			get_name(b, v, "prefix", 0, &c->prefix);
		else if (row->id == SK_POSTFIX)
			get_name(b, v, "postfix", 0, &c->postfix);
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
		const struct schema_key *row = schema_find(SM_FIRMWARE, k->u.str);

		if (row == NULL)
			unknown_key(b, k, SM_FIRMWARE, NULL);
		else if (row->id == SK_VERSION)
			get_version(b, v, &fw->version);
		else if (row->id == SK_PREFIX)
			get_name(b, v, "prefix", 0, &fw->prefix);
		else if (row->id == SK_POSTFIX)
			get_name(b, v, "postfix", 0, &fw->postfix);
	}
	if (fw->version.s == NULL)
		err(b, m, "'firmware' needs a 'version'");
}

/*
 * One key of a level, by its row's id. Returns true if the key belongs to levels (handled,
 * even with errors), false if the caller should treat it otherwise.
 */
static bool read_level_key(struct builder *b, int id, const struct ynode *v, struct level *lv,
                           int flat_kind, uint32_t owner)
{
	static const char *const binary_modes[] = { "off", "bootstrap", "full" };
	static const char *const layouts[] = { "encrypted", "plain" };

	switch (id) {
	case SK_SETTINGS:
		read_settings(b, v, lv);
		break;
	case SK_PARAMS:
		read_params(b, v, lv, flat_kind, owner);
		break;
	case SK_LINES:
		read_lines(b, v, lv);
		break;
	case SK_XML_PASSWORD:
		read_xml_password(b, v, lv);
		break;
	case SK_BINARY:
		read_choice(b, v, "binary", binary_modes, 3, &lv->binary);
		break;
	case SK_BINARY_LAYOUT:
		read_choice(b, v, "binary_layout", layouts, 2, &lv->binary_layout);
		break;
	case SK_CONFIG:
		read_config_names(b, v, &lv->config);
		break;
	case SK_FIRMWARE:
		read_firmware(b, v, &lv->firmware);
		break;
	default:
		return false;
	}
	return true;
}

/* A section that is nothing but a level: defaults, a group, generic (map says which). */
static void read_plain_level(struct builder *b, const struct ynode *m, unsigned map,
                             struct level *lv)
{
	lv->pos = pos_of(b, m);
	if (!expect_map(b, m, schema_map_name(map)))
		return;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct ynode *k = ymap_key(m, i), *v = ymap_val(m, i);
		const struct schema_key *row = schema_find(map, k->u.str);

		if (row == NULL || !read_level_key(b, row->id, v, lv, -1, 0))
			unknown_key(b, k, map, NULL);
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
		const struct schema_key *row = schema_find(SM_MODEL, kk);
		int id = row != NULL ? row->id : -1;
		uint32_t o = 0;

		while (o < vs->noptions && strcmp(kk, vs->options[o].key) != 0)
			o++;
		if (id == SK_VENDOR) {
			continue;
		} else if (id == SK_MAX_LINES) {
			parse_uint(b, v, "max_lines", 1, 16, &mo->max_lines);
			have_max = true; /* a bad value was reported already */
		} else if (id == SK_ENCRYPT) {
			if (vs->encrypt_hint != NULL)
				err(b, v, "'encrypt' does not apply to %s models: %s", vs->name,
				    vs->encrypt_hint);
			else if (get_value(b, v, "encrypt", &mo->encrypt_value))
				parse_bool(b, v, "encrypt", &mo->encrypt);
		} else if (o < vs->noptions) {
			read_model_option(b, v, mo, o, &vs->options[o]);
		} else if (!read_level_key(b, id, v, &mo->level, FLAT_MODEL, idx)) {
			unknown_key(b, key, SM_MODEL, vs);
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
	read_plain_level(b, m, SM_GROUP, &g->level);
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
		const struct schema_key *row = schema_find(SM_DEVICE, key->u.str);
		int id = row != NULL ? row->id : -1;

		if (id == SK_MODEL)
			get_name(b, v, "model", 1, &dev->model_name);
		else if (id == SK_GROUPS)
			read_device_groups(b, v, dev);
		else if (!read_level_key(b, id, v, &dev->level, FLAT_DEVICE, idx))
			unknown_key(b, key, SM_DEVICE, NULL);
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
		const struct schema_key *row = schema_find(SM_SERVER, k->u.str);

		if (row != NULL && row->id == SK_URL)
			get_value(b, v, "url", &b->inv->server_url);
		else
			unknown_key(b, k, SM_SERVER, NULL);
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
		const struct schema_key *row = schema_find(SM_TOP, k->u.str);

		switch (row != NULL ? row->id : -1) {
		case SK_VERSION:
			if (first_definition(b, k, &b->seen_version))
				parse_uint(b, v, "version", 1, 1, &version);
			break;
		case SK_SERVER:
			if (first_definition(b, k, &b->seen_server))
				read_server(b, v);
			break;
		case SK_FIRMWARE_DIR:
			if (first_definition(b, k, &b->seen_firmware_dir))
				read_firmware_dir(b, v);
			break;
		case SK_GENERIC:
			if (first_definition(b, k, &b->seen_generic)) {
				b->inv->has_generic = true;
				read_plain_level(b, v, SM_GENERIC, &b->inv->generic);
			}
			break;
		case SK_DEFAULTS:
			if (first_definition(b, k, &b->seen_defaults))
				read_plain_level(b, v, SM_DEFAULTS, &b->inv->defaults);
			break;
		case SK_MODELS:
			read_records(b, v, "models", read_model);
			break;
		case SK_GROUPS:
			read_records(b, v, "groups", read_group);
			break;
		case SK_DEVICES:
			reserve_devices(b, v);
			read_records(b, v, "devices", read_device);
			break;
		default:
			unknown_key(b, k, SM_TOP, NULL);
			break;
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
	b->models = NULL;
	b->groups = NULL;
	b->devices = NULL;
	b->flat = NULL;
}
