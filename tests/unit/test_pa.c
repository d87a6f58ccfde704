/*
 * test_pa.c - Panasonic files (SPEC §2, formats/panasonic.md): the UTG vector, the three
 * first-wins layers against the inventory's own merge for every device, shared layers without
 * secrets, the text format's limits, the per-device key flow as the backend sees it, and the
 * check errors a bad Panasonic inventory gets.
 *
 * Files are parsed here by small readers written from the format description, not by the
 * renderers' code, and .enc files are opened with libcrypto the way `openssl enc -d -a -md md5`
 * does.
 */
#include "testutil.h"

#include <ctype.h>

#include <openssl/evp.h>

#include "backend/files.h"
#include "backend/pa_files.h"
#include "backend/pa_params.h"
#include "backend/pa_table.h"
#include "backend/pa_utg.h"
#include "inventory/mac.h"

#define TEXT_MAGIC "# Panasonic SIP Phone Standard Format File #"
#define KV_MAX     512

/* ---- a key source in memory: one key per MAC, derived from it, state set by the test ---- */

static enum key_state stub_state = KEY_PENDING;
static int stub_creates;

static int stub_get(void *ctx, uint64_t mac, const char *vendor, unsigned bits, bool create,
                    struct dev_key *out)
{
	(void)ctx;
	(void)vendor;
	if (stub_state == KEY_NONE && !create)
		return -ENOENT;
	if (stub_state == KEY_NONE)
		stub_creates++;
	snprintf(out->pass, sizeof(out->pass), "%016llx%016llx", (unsigned long long)mac,
	         (unsigned long long)~mac);
	out->bits = bits;
	out->state = stub_state == KEY_NONE ? KEY_PENDING : stub_state;
	return 0;
}

static const struct key_source stub_keys = { stub_get, NULL };

static struct tree *load_file(const char *path)
{
	struct tree *t = NULL;
	struct diag d;

	diag_init(&d);
	if (tree_load(path, &stub_keys, &t, &d) < 0) {
		diag_print(&d, stderr);
		fail_msg("%s expected to be valid", path);
	}
	diag_free(&d);
	return t;
}

static struct tree *load_text(const char *yaml)
{
	struct tree *t = NULL;
	struct diag d;

	diag_init(&d);
	if (tree_load_buffer("inv.yaml", yaml, strlen(yaml), &stub_keys, &t, &d) < 0) {
		diag_print(&d, stderr);
		fail_msg("inventory expected to be valid");
	}
	diag_free(&d);
	return t;
}

/* The bytes of a served name; fails the test when it is not served. */
static void fetch(const struct tree *t, const char *name, struct buf *out)
{
	struct file_ref ref;

	buf_reset(out);
	if (file_resolve(t, name, &ref) < 0)
		fail_msg("%s is not served", name);
	assert_int_equal(file_render(t, &ref, false, out), 0);
}

/* ---- openssl enc -d -a -md md5 -pass pass:KEY ---- */

static void decrypt_enc(const struct buf *b64, const char *pass, unsigned bits, struct buf *out)
{
	const EVP_CIPHER *c = bits == 128   ? EVP_aes_128_cbc()
	                      : bits == 192 ? EVP_aes_192_cbc()
	                                    : EVP_aes_256_cbc();
	uint8_t *joined = malloc(b64->len + 1), *raw = malloc(b64->len), *plain;
	uint8_t key[32], iv[16];
	size_t n = 0;
	int rawlen, l1 = 0, l2 = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	assert_non_null(joined);
	assert_non_null(raw);
	for (size_t i = 0; i < b64->len; i++) {
		/* `openssl enc -a` writes lines of 64 characters */
		if (b64->data[i] == '\n') {
			assert_true(n % 64 == 0 || i + 1 == b64->len);
			continue;
		}
		joined[n++] = b64->data[i];
	}
	rawlen = EVP_DecodeBlock(raw, joined, (int)n);
	assert_true(rawlen > 16);
	while (n > 0 && joined[n - 1] == '=') { /* DecodeBlock counts padding as zero bytes */
		n--;
		rawlen--;
	}
	assert_memory_equal(raw, "Salted__", 8);
	assert_int_equal(EVP_BytesToKey(c, EVP_md5(), raw + 8, (const uint8_t *)pass,
	                                (int)strlen(pass), 1, key, iv),
	                 (int)bits / 8);
	plain = malloc((size_t)rawlen);
	assert_non_null(plain);
	assert_int_equal(EVP_DecryptInit_ex(ctx, c, NULL, key, iv), 1);
	assert_int_equal(EVP_DecryptUpdate(ctx, plain, &l1, raw + 16, rawlen - 16), 1);
	assert_int_equal(EVP_DecryptFinal_ex(ctx, plain + l1, &l2), 1);
	buf_reset(out);
	buf_append(out, plain, (size_t)(l1 + l2));
	EVP_CIPHER_CTX_free(ctx);
	free(plain);
	free(raw);
	free(joined);
}

/* ---- readers: a file -> NAME/path = value ---- */

struct kv {
	char name[256];
	char value[1024];
};

struct kvs {
	struct kv v[KV_MAX];
	size_t n;
};

static const char *kv_get(const struct kvs *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return m->v[i].value;
	return NULL;
}

static void kv_put(struct kvs *m, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct kv *e = &m->v[m->n];

	assert_true(m->n < KV_MAX);
	assert_true(nlen < sizeof(e->name) && vlen < sizeof(e->value));
	memcpy(e->name, name, nlen);
	e->name[nlen] = '\0';
	memcpy(e->value, value, vlen);
	e->value[vlen] = '\0';
	if (kv_get(m, e->name) != NULL)
		fail_msg("%s appears twice in one file", e->name);
	m->n++;
}

/*
 * Text dialect (formats/panasonic.md §1.1): the magic at byte 0, CRLF lines of at most 537
 * bytes, NAME="value", an empty last line, at most 120 KB. Checks all of it while reading.
 */
static void read_text(const struct buf *b, struct kvs *m)
{
	const char *p = (const char *)b->data, *end = p + b->len;
	bool first = true;

	m->n = 0;
	assert_true(b->len <= 120 * 1024);
	assert_true(b->len >= strlen(TEXT_MAGIC) && memcmp(p, TEXT_MAGIC, strlen(TEXT_MAGIC)) == 0);
	assert_true(b->len >= 4 && memcmp(end - 4, "\r\n\r\n", 4) == 0);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq, *line_end;

		assert_non_null(nl);
		assert_true(nl > p && nl[-1] == '\r');
		assert_true(nl + 1 - p <= 537);
		line_end = nl - 1;
		if (first || line_end == p || *p == '#') {
			/* the magic line, the empty last line, or a comment */
			assert_true(line_end != p || nl + 1 == end);
			first = false;
			p = nl + 1;
			continue;
		}
		eq = memchr(p, '=', (size_t)(line_end - p));
		assert_non_null(eq);
		assert_true(eq - p <= 32);
		for (const char *c = p; c < eq; c++)
			assert_true(isupper((unsigned char)*c) || isdigit((unsigned char)*c) ||
			            *c == '_');
		assert_true(eq[1] == '"' && line_end[-1] == '"' && line_end - 1 > eq + 1);
		assert_null(memchr(eq + 2, '"', (size_t)(line_end - 1 - (eq + 2))));
		kv_put(m, p, (size_t)(eq - p), eq + 2, (size_t)(line_end - 1 - (eq + 2)));
		p = nl + 1;
	}
}

/* &amp; &lt; &gt; &quot; &apos; back to characters. */
static size_t unescape(const char *s, size_t n, char *out, size_t cap)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' },
		     { "&lt;", '<' },
		     { "&gt;", '>' },
		     { "&quot;", '"' },
		     { "&apos;", '\'' } };
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t k = 0, nents = sizeof(ents) / sizeof(ents[0]);

		while (k < nents &&
		       (s[i] != '&' || strncmp(s + i, ents[k].ent, strlen(ents[k].ent))))
			k++;
		assert_true(o + 1 < cap);
		if (s[i] == '&') {
			assert_true(k < nents);
			out[o++] = ents[k].c;
			i += strlen(ents[k].ent);
		} else {
			assert_true(s[i] != '<' && s[i] != '>');
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	return o;
}

/*
 * UTG XML (formats/panasonic.md §1.2, the vector utg_plain.xml): an XML declaration, then
 * <PANASIPPhoneConfig>, one element per line; a leaf's path is its ancestors below the root
 * joined by '/', with <Line idx="n"> written Line[n].
 */
static void read_utg(const struct buf *b, struct kvs *m)
{
	static const char decl[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
	const char *p = (const char *)b->data, *end = p + b->len;
	char stack[16][64], path[256], value[1024];
	int depth = 0;

	m->n = 0;
	assert_true(b->len > strlen(decl) && memcmp(p, decl, strlen(decl)) == 0);
	p += strlen(decl);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *gt, *close;
		size_t tag;

		assert_non_null(nl);
		assert_true(*p == '<' && nl[-1] == '>');
		gt = memchr(p, '>', (size_t)(nl - p));
		if (p[1] == '/') { /* </Tag> */
			assert_true(depth > 0);
			depth--;
			assert_int_equal((size_t)(gt - p - 2), strcspn(stack[depth], "["));
			assert_memory_equal(p + 2, stack[depth], (size_t)(gt - p - 2));
		} else if (gt + 1 == nl) { /* <Tag> or <Line idx="n"> */
			unsigned idx;

			assert_true(depth < 16);
			if (sscanf(p, "<Line idx=\"%u\">", &idx) == 1 && idx > 0)
				snprintf(stack[depth], sizeof(stack[0]), "Line[%u]", idx);
			else
				snprintf(stack[depth], sizeof(stack[0]), "%.*s", (int)(gt - p - 1),
				         p + 1);
			depth++;
		} else { /* <Tag>value</Tag> */
			size_t plen = 0;

			tag = (size_t)(gt - p - 1);
			close = nl - tag - 3;
			assert_true(close > gt && close[0] == '<' && close[1] == '/');
			assert_memory_equal(close + 2, p + 1, tag);
			assert_true(depth > 1 && strcmp(stack[0], "PANASIPPhoneConfig") == 0);
			for (int i = 1; i < depth; i++)
				plen += (size_t)snprintf(path + plen, sizeof(path) - plen, "%s/",
				                         stack[i]);
			snprintf(path + plen, sizeof(path) - plen, "%.*s", (int)tag, p + 1);
			kv_put(m, path, strlen(path), value,
			       unescape(gt + 1, (size_t)(close - gt - 1), value, sizeof(value)));
		}
		p = nl + 1;
	}
	assert_int_equal(depth, 0);
}

static void read_file(const struct tree *t, const char *name, enum dialect d, const char *pass,
                      unsigned bits, struct kvs *m)
{
	struct buf b, plain;

	buf_init(&b);
	buf_init(&plain);
	fetch(t, name, &b);
	if (pass != NULL) {
		decrypt_enc(&b, pass, bits, &plain);
		buf_reset(&b);
		buf_append(&b, plain.data, plain.len);
	}
	if (d == DIALECT_TEXT)
		read_text(&b, m);
	else
		read_utg(&b, m);
	buf_free(&plain);
	buf_free(&b);
}

/* The file name at the end of a URL. */
static const char *url_file(const char *url)
{
	const char *slash = strrchr(url, '/');

	assert_non_null(slash);
	return slash + 1;
}

/* The last segment of a name or path. */
static const char *leaf(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash ? slash + 1 : name;
}

static bool provfs_sets(const char *name)
{
	static const char *const own[] = { PA_STANDARD_PATH, PA_PRODUCT_PATH, PA_MASTER_PATH,
		                           PA_FILE_KEY, PA_FILE_KEY_LEN };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(leaf(name), own[i]) == 0)
			return true;
	return false;
}

/* ---- the phone: standard -> product -> master, the first file that sets a name wins ---- */

static struct kvs layers[3], merged;

/*
 * Reads the device's three files the way the phone does: the standard file (plain while the
 * key is pending, else .enc), then the files its CFG_PRODUCT/MASTER_FILE_PATH name.
 */
static void phone_merge(const struct tree *t, const struct device *dev, bool delivered)
{
	const struct model *m = dev->model;
	bool enc = vendor_encrypted(m);
	char mac[MAC_STRLEN + 1], std[64];
	const char *pass = NULL, *product, *master;
	char pass_buf[KEY_PASS_LEN + 1];
	unsigned bits = pa_key_bits(m);

	mac_format(dev->mac, true, mac);
	snprintf(std, sizeof(std), "Config%s.%s", mac, enc && delivered ? "enc" : "cfg");
	if (enc) {
		struct dev_key k;

		assert_int_equal(stub_get(NULL, dev->mac, "panasonic", bits, false, &k), 0);
		snprintf(pass_buf, sizeof(pass_buf), "%s", k.pass);
		pass = pass_buf;
	}
	read_file(t, std, pa_dialect(m), enc && delivered ? pass : NULL, bits, &layers[0]);
	if (enc && !delivered) {
		char key_path[128];

		/* the plain file hands the phone its key */
		assert_int_equal(pa_utg_path(PA_FILE_KEY, key_path, sizeof(key_path)), 0);
		assert_non_null(kv_get(&layers[0], key_path));
		assert_string_equal(kv_get(&layers[0], key_path), pass);
	}
	product =
	    pa_dialect(m) == DIALECT_TEXT ? PA_PRODUCT_PATH : "Initial/CfgFiles/" PA_PRODUCT_PATH;
	master =
	    pa_dialect(m) == DIALECT_TEXT ? PA_MASTER_PATH : "Initial/CfgFiles/" PA_MASTER_PATH;
	assert_non_null(kv_get(&layers[0], product));
	assert_non_null(kv_get(&layers[0], master));
	read_file(t, url_file(kv_get(&layers[0], product)), pa_dialect(m), enc ? pass : NULL, bits,
	          &layers[1]);
	read_file(t, url_file(kv_get(&layers[0], master)), pa_dialect(m), enc ? pass : NULL, bits,
	          &layers[2]);
	merged.n = 0;
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < layers[l].n; i++)
			if (kv_get(&merged, layers[l].v[i].name) == NULL)
				kv_put(&merged, layers[l].v[i].name, strlen(layers[l].v[i].name),
				       layers[l].v[i].value, strlen(layers[l].v[i].value));
	explicit_bzero(pass_buf, sizeof(pass_buf));
}

/* The phone's merge equals the inventory's merge (device > groups > model > defaults). */
static void check_device_merge(const struct tree *t, const struct device *dev, bool delivered)
{
	struct resolved want;
	size_t own = 0;
	char mac[MAC_STRLEN + 1];

	mac_format(dev->mac, true, mac);
	phone_merge(t, dev, delivered);
	resolved_init(&want);
	assert_int_equal(pa_resolve_device(t->inv, dev, NULL, 0, &want), 0);
	for (size_t i = 0; i < want.n; i++) {
		const char *got = kv_get(&merged, want.items[i].name);

		if (got == NULL || strcmp(got, want.items[i].value) != 0)
			fail_msg("%s: the phone ends with %s=%s, the inventory says %s", mac,
			         want.items[i].name, got ? got : "(unset)", want.items[i].value);
	}
	for (size_t i = 0; i < merged.n; i++)
		own += provfs_sets(merged.v[i].name);
	/* nothing else: only the file paths (and the key while pending) are provfs' own */
	assert_int_equal(merged.n, want.n + own);
	assert_int_equal(own, vendor_encrypted(dev->model) && !delivered ? 5 : 3);
	resolved_free(&want);
}

static void test_pa_utg_reproduces_vector_plain_file(void **state)
{
	struct rparam p[2] = { { 0 } };
	const struct rparam *items[2] = { &p[0], &p[1] };
	size_t len;
	uint8_t *want = read_vector("panasonic/utg_plain.xml", &len);
	struct buf out;

	(void)state;
	p[0].name = "Device/System/LoginAcc/ADMIN_ID";
	p[0].value = "admin";
	p[1].name = "Device/System/LoginAcc/ADMIN_PASS";
	p[1].value = "admin_pass";
	buf_init(&out);
	render_pa_utg(items, 2, &out);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, want, len);
	buf_free(&out);
	free(want);
}

/* Layers at every level, a value overridden at each, secrets at model and defaults levels. */
static const char layered_yaml[] =
    "version: 1\n"
    "server: {url: tftp://10.0.0.1/prov}\n"
    "defaults:\n"
    "  settings: {ntp_server: ntp.default, admin_password: d3f, resync_minutes: 60}\n"
    "  params: {panasonic: {TIME_ZONE: \"0\", SYSLOG_ADDR: log.default, CFG_RTRY_INTVL: \"10\"}}\n"
    "models:\n"
    "  KX-HDV230:\n"
    "    vendor: panasonic\n"
    "    max_lines: 4\n"
    "    settings: {ntp_server: ntp.model, sip_server: reg.model, admin_password: m0d}\n"
    "    params: {panasonic: {SYSLOG_ADDR: log.model, SIP_PASS_2: modelsecret}}\n"
    "  KX-UTG300:\n"
    "    vendor: panasonic\n"
    "    max_lines: 2\n"
    "    dialect: utg-xml\n"
    "    settings: {sip_port: 5070}\n"
    "    params: {panasonic: {Device/Phone/Telephone/DEFAULT_LANGUAGE: fr-FR, TIME_ZONE: "
    "\"60\"}}\n"
    "  KX-UTG200: {vendor: panasonic, max_lines: 2, encrypt: true, key_length: 128}\n"
    "groups:\n"
    "  a: {settings: {ntp_server: ntp.group.a}, params: {panasonic: {TIME_ZONE: \"-60\"}}}\n"
    "  b: {params: {panasonic: {SYSLOG_ADDR: log.group.b, TIME_ZONE: \"-120\"}}}\n"
    "devices:\n"
    "  0080f0000001: {model: KX-HDV230}\n"
    "  0080f0000002:\n"
    "    model: KX-HDV230\n"
    "    groups: [a, b]\n"
    "    settings: {sip_server: reg.device}\n"
    "    lines: [{user: \"21\", password: p21}, {user: \"22\", password: p22, server: reg.line}]\n"
    "  0080f0000003: {model: KX-UTG300, groups: [b], lines: [{user: \"31\", password: p31}]}\n"
    "  0080f0000004: {model: KX-UTG300, params: {panasonic: {TIME_ZONE: \"60\"}}}\n"
    "  0080f0000005: {model: KX-UTG200, groups: [a], lines: [{user: \"51\", password: p51}]}\n";

static void check_every_device(const struct tree *t)
{
	for (uint32_t i = 0; i < t->inv->ndevices; i++) {
		const struct device *dev = &t->inv->devices[i];

		stub_state = KEY_PENDING;
		check_device_merge(t, dev, false);
		if (vendor_encrypted(dev->model)) {
			stub_state = KEY_DELIVERED;
			check_device_merge(t, dev, true);
		}
	}
	stub_state = KEY_PENDING;
}

static void test_pa_first_wins_merge_equals_inventory_merge_for_every_device(void **state)
{
	struct tree *t = load_file("tests/data/panasonic.yaml");

	(void)state;
	check_every_device(t);
	tree_free(t);
	t = load_text(layered_yaml);
	check_every_device(t);
	tree_free(t);
}

/* The shared files must actually share: values set at the model and defaults levels live there. */
static void test_pa_model_and_default_values_live_in_shared_files(void **state)
{
	struct tree *t = load_text(layered_yaml);
	struct kvs *m = &layers[0];

	(void)state;
	read_file(t, "ConfigKX-HDV230.cfg", DIALECT_TEXT, NULL, 0, m);
	assert_string_equal(kv_get(m, "NTP_ADDR"), "ntp.model");
	assert_string_equal(kv_get(m, "SYSLOG_ADDR"), "log.model");
	read_file(t, "ConfigCom.cfg", DIALECT_TEXT, NULL, 0, m);
	assert_string_equal(kv_get(m, "NTP_ADDR"), "ntp.default");
	assert_string_equal(kv_get(m, "TIME_ZONE"), "0");
	read_file(t, "Config0080F0000001.cfg", DIALECT_TEXT, NULL, 0, m);
	assert_null(kv_get(m, "NTP_ADDR")); /* the model's value reaches it through the product */
	read_file(t, "ConfigCom-utg.cfg", DIALECT_UTG_XML, NULL, 0, m);
	assert_non_null(kv_get(m, "Device/Network/NTP/NTP_ADDR"));
	tree_free(t);
}

struct shared_ctx {
	const struct tree *t;
	const char *const *secrets;
	int files;
};

static int check_shared(void *ctx, const struct file_ref *ref, const char *name)
{
	struct shared_ctx *c = ctx;
	struct buf b;

	if (ref->vendor != &vendor_panasonic ||
	    (ref->kind != PA_PRODUCT && ref->kind != PA_MASTER && ref->kind != PA_MASTER_UTG &&
	     ref->kind != PA_ENTRY))
		return 0;
	buf_init(&b);
	fetch(c->t, name, &b);
	buf_append(&b, "", 1);
	for (const char *const *s = c->secrets; *s != NULL; s++)
		if (strstr((const char *)b.data, *s) != NULL)
			fail_msg("%s holds the secret %s", name, *s);
	assert_null(strstr((const char *)b.data, "PASS"));
	assert_null(strstr((const char *)b.data, "CFG_FILE_KEY"));
	c->files++;
	buf_free(&b);
	return 0;
}

static void test_pa_shared_layers_hold_no_secret(void **state)
{
	static const char *const secrets1[] = { "d3f4ult", "pw1001", "pw1002", "pw1003",
		                                "pw&",     "pw1005", NULL };
	static const char *const secrets2[] = { "d3f", "m0d", "modelsecret", "p21",
		                                "p22", "p31", "p51",         NULL };
	struct shared_ctx c = { NULL, secrets1, 0 };
	struct tree *t = load_file("tests/data/panasonic.yaml");

	(void)state;
	c.t = t;
	file_foreach(t, true, check_shared, &c);
	/* 3 product files, ConfigCom.cfg, ConfigCom-utg.cfg, 4 entry files */
	assert_int_equal(c.files, 9);
	tree_free(t);
	t = load_text(layered_yaml);
	c = (struct shared_ctx){ t, secrets2, 0 };
	file_foreach(t, true, check_shared, &c);
	assert_int_equal(c.files, 2 + 2 + 3);
	tree_free(t);
}

/* Every text file provfs serves obeys formats/panasonic.md §1.1 (read_text asserts it). */
static int check_text(void *ctx, const struct file_ref *ref, const char *name)
{
	const struct tree *t = ctx;

	if (ref->vendor != &vendor_panasonic)
		return 0;
	if (ref->model != NULL && pa_dialect(ref->model) == DIALECT_TEXT)
		read_file(t, name, DIALECT_TEXT, NULL, 0, &layers[0]);
	else if (ref->kind == PA_MASTER)
		read_file(t, name, DIALECT_TEXT, NULL, 0, &layers[0]);
	return 0;
}

static void test_pa_text_files_obey_the_format(void **state)
{
	struct tree *t = load_file("tests/data/panasonic.yaml");

	(void)state;
	file_foreach(t, true, check_text, t);
	tree_free(t);
}

static void test_pa_encrypted_device_files_follow_the_key_state(void **state)
{
	struct tree *t = load_file("tests/data/panasonic.yaml");
	const struct device *dev = inventory_find(t->inv, 0x0080f0c8c383ULL);
	struct file_ref ref;
	struct buf a, b;

	(void)state;
	assert_non_null(dev);
	buf_init(&a);
	buf_init(&b);
	/* no key yet: resolving does not make one; rendering does */
	stub_state = KEY_NONE;
	stub_creates = 0;
	assert_int_equal(file_resolve(t, "Config0080F0C8C383.cfg", &ref), 0);
	assert_int_equal(stub_creates, 0);
	fetch(t, "Config0080F0C8C383.cfg", &a);
	assert_true(stub_creates > 0);
	/* pending: the plain file and every .enc; delivered: only the .enc files */
	stub_state = KEY_PENDING;
	assert_int_equal(file_resolve(t, "Config0080F0C8C383.cfg", &ref), 0);
	assert_int_equal(file_resolve(t, "Config0080F0C8C383.enc", &ref), 0);
	stub_state = KEY_DELIVERED;
	assert_int_equal(file_resolve(t, "Config0080F0C8C383.cfg", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "Config0080F0C8C383.enc", &ref), 0);
	assert_int_equal(file_resolve(t, "ConfigKX-UTG300-0080F0C8C383.enc", &ref), 0);
	assert_int_equal(file_resolve(t, "ConfigCom-0080F0C8C383.enc", &ref), 0);
	/* an encrypted model has no plain product file; plain devices have no .enc */
	assert_int_equal(file_resolve(t, "ConfigKX-UTG300.cfg", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "Config0080F0C8C384.enc", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "ConfigKX-UTG200-0080F0C8C384.enc", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "ConfigCom-0080F0C8C381.enc", &ref), -ENOENT);
	/* stable bytes: the same inventory and key give the same file (stat size = read) */
	fetch(t, "Config0080F0C8C383.enc", &a);
	fetch(t, "Config0080F0C8C383.enc", &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	stub_state = KEY_PENDING;
	buf_free(&a);
	buf_free(&b);
	tree_free(t);
}

/* The plain file carries the key and its length as SPEC §2 names them. */
static void test_pa_plain_standard_file_carries_key_and_length(void **state)
{
	struct tree *t = load_file("tests/data/panasonic.yaml");
	struct kvs *m = &layers[0];
	struct dev_key k;

	(void)state;
	stub_state = KEY_PENDING;
	read_file(t, "Config0080F0C8C383.cfg", DIALECT_UTG_XML, NULL, 0, m);
	assert_int_equal(stub_get(NULL, 0x0080f0c8c383ULL, "panasonic", 256, false, &k), 0);
	assert_string_equal(kv_get(m, "Device/System/Prov/CFG_FILE_KEY"), k.pass);
	assert_int_equal(strlen(k.pass), 32);
	assert_string_equal(kv_get(m, "Device/System/Prov/CFG_FILE_KEY_LENGTH"), "256");
	assert_string_equal(kv_get(m, "Initial/CfgFiles/CFG_STANDARD_FILE_PATH"),
	                    "http://127.0.0.1/prov/Config0080F0C8C383.enc");
	assert_string_equal(kv_get(m, "Initial/CfgFiles/CFG_PRODUCT_FILE_PATH"),
	                    "http://127.0.0.1/prov/ConfigKX-UTG300-0080F0C8C383.enc");
	assert_string_equal(kv_get(m, "Initial/CfgFiles/CFG_MASTER_FILE_PATH"),
	                    "http://127.0.0.1/prov/ConfigCom-0080F0C8C383.enc");
	/* the .enc copy of the standard file holds everything but the key */
	stub_state = KEY_DELIVERED;
	read_file(t, "Config0080F0C8C383.enc", DIALECT_UTG_XML, k.pass, 256, m);
	assert_null(kv_get(m, "Device/System/Prov/CFG_FILE_KEY"));
	assert_null(kv_get(m, "Device/System/Prov/CFG_FILE_KEY_LENGTH"));
	stub_state = KEY_PENDING;
	tree_free(t);
}

/* The entry file for DHCP option 66: the three paths with {MAC} for the phone to fill in. */
static void test_pa_entry_file_names_the_three_layers(void **state)
{
	struct tree *t = load_file("tests/data/panasonic.yaml");
	struct kvs *m = &layers[0];

	(void)state;
	read_file(t, "KX-HDV130N.cfg", DIALECT_TEXT, NULL, 0, m);
	assert_int_equal(m->n, 3);
	assert_string_equal(kv_get(m, "CFG_STANDARD_FILE_PATH"),
	                    "http://127.0.0.1/prov/Config{MAC}.cfg");
	assert_string_equal(kv_get(m, "CFG_PRODUCT_FILE_PATH"),
	                    "http://127.0.0.1/prov/ConfigKX-HDV130N.cfg");
	assert_string_equal(kv_get(m, "CFG_MASTER_FILE_PATH"),
	                    "http://127.0.0.1/prov/ConfigCom.cfg");
	read_file(t, "KX-UTG200.cfg", DIALECT_UTG_XML, NULL, 0, m);
	assert_string_equal(kv_get(m, "Initial/CfgFiles/CFG_MASTER_FILE_PATH"),
	                    "http://127.0.0.1/prov/ConfigCom-utg.cfg");
	read_file(t, "KX-UTG300.cfg", DIALECT_UTG_XML, NULL, 0, m);
	assert_string_equal(kv_get(m, "Initial/CfgFiles/CFG_STANDARD_FILE_PATH"),
	                    "http://127.0.0.1/prov/Config{MAC}.cfg");
	assert_string_equal(kv_get(m, "Initial/CfgFiles/CFG_PRODUCT_FILE_PATH"),
	                    "http://127.0.0.1/prov/ConfigKX-UTG300-{MAC}.enc");
	tree_free(t);
}

/* ---- check errors: values a dialect cannot carry are errors, not silent edits ---- */

struct bad_case {
	const char *what;
	const char *body; /* appended to the header */
	const char *want; /* the one expected message */
};

#define H                                                                                          \
	"version: 1\nserver: {url: http://h/p}\n"                                                  \
	"models:\n  KX-HDV130N: {vendor: panasonic, max_lines: 2}\n"                               \
	"  KX-UTG300: {vendor: panasonic, max_lines: 2, dialect: utg-xml}\n"

static char *repeat(const char *s, int n)
{
	size_t len = strlen(s);
	char *out = malloc(len * (size_t)n + 1);

	assert_non_null(out);
	for (int i = 0; i < n; i++)
		memcpy(out + len * (size_t)i, s, len);
	out[len * (size_t)n] = '\0';
	return out;
}

static void test_pa_check_errors(void **state)
{
	char *e300 = repeat("\xc3\xa9", 300), *x501 = repeat("x", 501), *x33 = repeat("X", 33);
	char yaml[8][2048];
	const struct bad_case cases[] = {
		{ "a UTG path on a text-dialect device",
		  H "devices:\n  0080f0000001: {model: KX-HDV130N, params: {panasonic: "
		    "{Device/Network/NTP/NTP_ADDR: x}}}\n",
		  "inv.yaml:7:58: 'Device/Network/NTP/NTP_ADDR' is a UTG path: text-dialect phones "
		  "take flat names" },
		{ "a flat name the UTG table does not know",
		  H "devices:\n  0080f0000001: {model: KX-UTG300, params: {panasonic: {NO_SUCH: "
		    "x}}}\n",
		  "inv.yaml:7:57: 'NO_SUCH' has no UTG path provfs knows: write its path (e.g. "
		  "Device/System/Prov/NAME)" },
		{ "CFG_FILE_KEY is provfs' own",
		  H
		  "devices:\n  0080f0000001: {model: KX-UTG300, params: {panasonic: {CFG_FILE_KEY: "
		  "x}}}\n",
		  "inv.yaml:7:57: 'CFG_FILE_KEY' cannot be set in params: provfs sets it for "
		  "models "
		  "with 'encrypt: true' (key_length)" },
		{ "a double quote in a text value",
		  H "devices:\n  0080f0000001: {model: KX-HDV130N, lines: [{user: '1\"2'}]}\n",
		  "inv.yaml:7:52: user: a Panasonic text file cannot carry a double quote in a "
		  "value" },
	};
	struct diag d;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tree *t = load_yaml(cases[i].body, &d);

		if (t != NULL || !diag_has(&d, cases[i].want)) {
			diag_print(&d, stderr);
			fail_msg("%s: expected \"%s\"", cases[i].what, cases[i].want);
		}
		assert_int_equal(d.n, 1);
		diag_free(&d);
	}
	/* lengths: characters for names and values, bytes for lines and files */
	snprintf(yaml[0], sizeof(yaml[0]),
	         H "devices:\n  0080f0000001: {model: KX-HDV130N, params: {panasonic: {A: %s}}}\n",
	         x501);
	snprintf(yaml[1], sizeof(yaml[1]),
	         H "devices:\n  0080f0000001: {model: KX-HDV130N, params: {panasonic: {%s: x}}}\n",
	         x33);
	snprintf(yaml[2], sizeof(yaml[2]),
	         H "devices:\n  0080f0000001: {model: KX-HDV130N, params: {panasonic: {A: %s}}}\n",
	         e300);
	snprintf(yaml[3], sizeof(yaml[3]),
	         H "devices:\n  0080f0000001: {model: KX-HDV130N, lines: [{user: \"1\", "
	           "display_name: %s}]}\n",
	         e300);
	{
		const char *want[] = {
			"inv.yaml:7:61: A: a Panasonic text value holds at most 500 characters",
			/* 33: the message quotes the first 32 */
			"inv.yaml:7:58: 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX...' is not a Panasonic",
			"inv.yaml:7:61: A: a Panasonic text line holds at most 537 bytes with its "
			"name",
			"inv.yaml:7:3: device 0080F0000001: Config0080F0000001.cfg: the line of "
			"DISPLAY_NAME_1 would be 619 bytes; Panasonic text lines hold at most 537",
		};

		for (int i = 0; i < 4; i++) {
			struct tree *t = load_yaml(yaml[i], &d);
			bool found = false;

			for (size_t k = 0; k < d.n; k++)
				found |= strncmp(d.msgs[k], want[i], strlen(want[i])) == 0;
			if (t != NULL || !found) {
				diag_print(&d, stderr);
				fail_msg("length case %d: expected \"%s\"", i, want[i]);
			}
			diag_free(&d);
		}
	}
	free(e300);
	free(x501);
	free(x33);
}

/* A product file over 120 KB is a check error at the model (the phone would not read it). */
static void test_pa_check_rejects_a_text_file_over_120k(void **state)
{
	struct buf yaml;
	struct diag d;
	struct tree *t;
	char *v = repeat("v", 450);

	(void)state;
	buf_init(&yaml);
	buf_puts(&yaml, "version: 1\nserver: {url: http://h/p}\nmodels:\n  KX-HDV130N:\n"
	                "    vendor: panasonic\n    max_lines: 2\n    params:\n      panasonic:\n");
	/* the 71-byte magic line, 280 lines of P000="v..." CR LF (459 bytes), CR LF: 128,593 */
	for (int i = 0; i < 280; i++)
		buf_printf(&yaml, "        P%03d: %s\n", i, v);
	buf_puts(&yaml, "devices:\n  0080f0000001: {model: KX-HDV130N}\n");
	diag_init(&d);
	assert_true(tree_load_buffer("inv.yaml", (const char *)yaml.data, yaml.len, &stub_keys, &t,
	                             &d) < 0);
	if (!diag_has(&d, "inv.yaml:4:3: model KX-HDV130N: ConfigKX-HDV130N.cfg would be 128593 "
	                  "bytes; Panasonic phones read at most 122880")) {
		diag_print(&d, stderr);
		fail_msg("expected the 120 KB error at the model");
	}
	diag_free(&d);
	buf_free(&yaml);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pa_utg_reproduces_vector_plain_file),
		cmocka_unit_test(test_pa_first_wins_merge_equals_inventory_merge_for_every_device),
		cmocka_unit_test(test_pa_model_and_default_values_live_in_shared_files),
		cmocka_unit_test(test_pa_shared_layers_hold_no_secret),
		cmocka_unit_test(test_pa_text_files_obey_the_format),
		cmocka_unit_test(test_pa_encrypted_device_files_follow_the_key_state),
		cmocka_unit_test(test_pa_plain_standard_file_carries_key_and_length),
		cmocka_unit_test(test_pa_entry_file_names_the_three_layers),
		cmocka_unit_test(test_pa_check_errors),
		cmocka_unit_test(test_pa_check_rejects_a_text_file_over_120k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
