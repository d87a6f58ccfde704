/*
 * test_params.c - a device's parameters through its vendor (backend/params.c, struct
 * vendor.params): every vendor gives its own names with its secrets marked, params_diff reports
 * exactly the parameters that differ, the digest moves with what decides a device's files and
 * only with it; and the unknown-MAC count's line (state/fetch.c) reads back what was written.
 */
#include "testutil.h"

#include "backend/params.h"
#include "backend/vendor.h"
#include "inventory/mac.h"
#include "state/fetch.h"

#define INV_HEAD                                                                                   \
	"version: 1\n"                                                                             \
	"server: {url: http://prov.example.com/prov}\n"                                            \
	"defaults:\n"                                                                              \
	"  settings: {ntp_server: NTP, sip_server: sip.example.com}\n"                             \
	"models:\n"                                                                                \
	"  GXP2170: {vendor: grandstream, max_lines: 6}\n"                                         \
	"  KX-HDV130N: {vendor: panasonic, max_lines: 2}\n"                                        \
	"  T54W: {vendor: yealink, max_lines: 16}\n"                                               \
	"  SPA504G: {vendor: cisco, max_lines: 4}\n"                                               \
	"devices:\n"                                                                               \
	"  000b82000001: {model: GXP2170, xml_password: XMLPW, lines: [{user: \"1001\", "          \
	"password: GS-SECRET}]}\n"                                                                 \
	"  0080f0000002: {model: KX-HDV130N, lines: [{user: \"1002\", password: PA-SECRET}]}\n"

/* The two inventories differ in ntp_server, which every device inherits, and one user. */
static const char inv_a[] =
    INV_HEAD "  805ec0000003: {model: T54W, lines: [{user: \"1003\", password: YL-SECRET}]}\n"
             "  000e08000004: {model: SPA504G, lines: [{user: \"1004\", password: CS-SECRET}]}\n";

static struct tree *load_text(const char *yaml)
{
	struct tree *t = NULL;
	struct diag d;

	diag_init(&d);
	if (tree_load_buffer("inv.yaml", yaml, strlen(yaml), NULL, &t, &d) < 0) {
		diag_print(&d, stderr);
		fail_msg("inventory expected to be valid");
	}
	diag_free(&d);
	return t;
}

static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	assert_non_null(at);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

static const struct device *dev_of(const struct tree *t, uint64_t mac)
{
	const struct device *d = inventory_find(t->inv, mac);

	assert_non_null(d);
	return d;
}

/* Each vendor: its own name for the account's password, marked secret; the user, not. */
static void test_params_every_vendor_marks_its_secrets(void **state)
{
	static const struct {
		uint64_t mac;
		const char *secret_value;
		const char *user;
	} want[] = {
		{ 0x000b82000001ULL, "GS-SECRET", "1001" },
		{ 0x0080f0000002ULL, "PA-SECRET", "1002" },
		{ 0x805ec0000003ULL, "YL-SECRET", "1003" },
		{ 0x000e08000004ULL, "CS-SECRET", "1004" },
	};
	struct tree *t = load_text(inv_a);

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct resolved p;
		bool secret_seen = false, user_seen = false;

		assert_int_equal(device_params(t, dev_of(t, want[i].mac), &p), 0);
		assert_true(p.n > 0);
		for (size_t k = 0; k < p.n; k++) {
			if (strcmp(p.items[k].value, want[i].secret_value) == 0) {
				assert_true(p.items[k].secret);
				secret_seen = true;
			}
			if (strcmp(p.items[k].value, want[i].user) == 0 && !p.items[k].secret)
				user_seen = true;
		}
		assert_true(secret_seen);
		assert_true(user_seen);
		resolved_free(&p);
	}
	tree_free(t);
}

struct seen {
	char lines[8][64];
	unsigned n;
};

static void record(void *ctx, const struct rparam *old, const struct rparam *now)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s %s>%s", old ? old->name : now->name,
	         old ? old->value : "-", now ? now->value : "-");
}

/* Only the parameters whose values differ; added and removed ones with the other side NULL. */
static void test_params_diff_reports_exactly_the_differences(void **state)
{
	struct resolved a, b;
	struct seen s = { .n = 0 };

	(void)state;
	resolved_init(&a);
	resolved_init(&b);
	resolved_add(&a, "P1", 1, "same", 0, false, LEVEL_DEVICE, false);
	resolved_add(&a, "P2", 2, "old", 0, false, LEVEL_DEVICE, false);
	resolved_add(&a, "P3", 3, "gone", 0, true, LEVEL_DEVICE, false);
	resolved_add(&b, "P1", 1, "same", 0, false, LEVEL_DEVICE, false);
	resolved_add(&b, "P2", 2, "new", 0, false, LEVEL_DEVICE, false);
	resolved_add(&b, "P4", 4, "came", 0, false, LEVEL_DEVICE, false);
	assert_int_equal(resolved_finish(&a), 0);
	assert_int_equal(resolved_finish(&b), 0);
	assert_int_equal(params_diff(&a, &b, record, &s), 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "P2 old>new");
	assert_string_equal(s.lines[1], "P3 gone>-");
	assert_string_equal(s.lines[2], "P4 ->came");
	s.n = 0;
	assert_int_equal(params_diff(&a, &a, record, &s), 0);
	resolved_free(&a);
	resolved_free(&b);
}

static uint64_t digest(const struct tree *t, uint64_t mac)
{
	uint64_t h;

	assert_int_equal(device_digest(t, dev_of(t, mac), &h), 0);
	return h;
}

/*
 * The digest: the same inventory gives the same digests; a default every device inherits
 * changes every device's; a user changes only its device's; a change no file carries (a
 * comment) changes none.
 */
static void test_params_digest_moves_with_the_inputs(void **state)
{
	static const uint64_t macs[] = { 0x000b82000001ULL, 0x0080f0000002ULL, 0x805ec0000003ULL,
		                         0x000e08000004ULL };
	char *ntp = replaced(inv_a, "ntp_server: NTP", "ntp_server: NTP2");
	char *user = replaced(inv_a, "user: \"1003\"", "user: \"1009\"");
	char *comment = replaced(inv_a, "devices:\n", "devices: # a comment\n");
	struct tree *a = load_text(inv_a), *a2 = load_text(inv_a), *b = load_text(ntp);
	struct tree *c = load_text(user), *e = load_text(comment);

	(void)state;
	for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		assert_true(digest(a, macs[i]) == digest(a2, macs[i]));
		assert_true(digest(a, macs[i]) != digest(b, macs[i]));
		assert_true(digest(a, macs[i]) == digest(e, macs[i]));
		if (macs[i] == 0x805ec0000003ULL)
			assert_true(digest(a, macs[i]) != digest(c, macs[i]));
		else
			assert_true(digest(a, macs[i]) == digest(c, macs[i]));
	}
	tree_free(a);
	tree_free(a2);
	tree_free(b);
	tree_free(c);
	tree_free(e);
	free(ntp);
	free(user);
	free(comment);
}

/* The value the device's list holds under name, or NULL. */
static const char *param_value(const struct tree *t, uint64_t mac, const char *name)
{
	static char out[64];
	struct resolved p;
	const struct rparam *x;

	assert_int_equal(device_params(t, dev_of(t, mac), &p), 0);
	x = resolved_get(&p, name);
	snprintf(out, sizeof(out), "%s", x != NULL ? x->value : "(none)");
	resolved_free(&p);
	return x != NULL ? out : NULL;
}

/*
 * What changes a device's bytes without being a parameter: a level option (binary_layout,
 * binary: the cfg<mac> file) and a model's vendor option (Cisco's digest, Yealink's padding).
 * Each shows in the list under its own name and moves the digest of its devices only.
 */
static void test_params_non_parameter_inputs_count(void **state)
{
	char *layout = replaced(inv_a, "xml_password: XMLPW,",
	                        "xml_password: XMLPW, binary: full, "
	                        "binary_layout: plain,");
	char *digest_opt = replaced(inv_a, "SPA504G: {vendor: cisco, max_lines: 4}",
	                            "SPA504G: {vendor: cisco, max_lines: 4, encrypt: true, "
	                            "digest: sha256}");
	char *md5 = replaced(inv_a, "SPA504G: {vendor: cisco, max_lines: 4}",
	                     "SPA504G: {vendor: cisco, max_lines: 4, encrypt: true}");
	char *padding = replaced(inv_a, "T54W: {vendor: yealink, max_lines: 16}",
	                         "T54W: {vendor: yealink, max_lines: 16, encrypt: true, padding: "
	                         "pkcs7}");
	char *space = replaced(inv_a, "T54W: {vendor: yealink, max_lines: 16}",
	                       "T54W: {vendor: yealink, max_lines: 16, encrypt: true}");
	struct tree *a = load_text(inv_a), *l = load_text(layout), *d = load_text(digest_opt);
	struct tree *m = load_text(md5), *p = load_text(padding), *sp = load_text(space);

	(void)state;
	assert_string_equal(param_value(l, 0x000b82000001ULL, "option binary_layout"), "plain");
	assert_string_equal(param_value(l, 0x000b82000001ULL, "option binary"), "full");
	assert_true(digest(a, 0x000b82000001ULL) != digest(l, 0x000b82000001ULL));
	assert_true(digest(a, 0x0080f0000002ULL) == digest(l, 0x0080f0000002ULL));
	assert_string_equal(param_value(d, 0x000e08000004ULL, "model option digest"), "sha256");
	assert_string_equal(param_value(m, 0x000e08000004ULL, "model option digest"), "md5");
	assert_true(digest(m, 0x000e08000004ULL) != digest(d, 0x000e08000004ULL));
	assert_true(digest(m, 0x805ec0000003ULL) == digest(d, 0x805ec0000003ULL));
	assert_string_equal(param_value(p, 0x805ec0000003ULL, "model option padding"), "pkcs7");
	assert_true(digest(sp, 0x805ec0000003ULL) != digest(p, 0x805ec0000003ULL));
	tree_free(a);
	tree_free(l);
	tree_free(d);
	tree_free(m);
	tree_free(p);
	tree_free(sp);
	free(layout);
	free(digest_opt);
	free(md5);
	free(padding);
	free(space);
}

static void test_unknown_count_reads_back(void **state)
{
	struct unknown_count u = { 12345, 1700000000, 1700000100 }, v;
	char line[80];
	int n = unknown_format(&u, line, sizeof(line));

	(void)state;
	assert_true(n > 0);
	assert_string_equal(line, "12345 1700000000 1700000100\n");
	assert_int_equal(unknown_parse(line, (size_t)n, &v), 0);
	assert_true(v.count == u.count && v.since == u.since && v.last == u.last);
	assert_int_equal(unknown_parse("12345 1700000000\n", 17, &v), -EBADMSG);
	assert_int_equal(unknown_parse("1 2 3", 5, &v), -EBADMSG);     /* no newline */
	assert_int_equal(unknown_parse("1 2 3 4\n", 8, &v), -EBADMSG); /* more */
	assert_int_equal(unknown_parse("1 -2 3\n", 7, &v), -EBADMSG);  /* negative */
	assert_int_equal(unknown_parse("", 0, &v), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_every_vendor_marks_its_secrets),
		cmocka_unit_test(test_params_diff_reports_exactly_the_differences),
		cmocka_unit_test(test_params_digest_moves_with_the_inputs),
		cmocka_unit_test(test_params_non_parameter_inputs_count),
		cmocka_unit_test(test_unknown_count_reads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
