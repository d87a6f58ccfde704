/*
 * test_enroll.c - `enroll_until` (inventory/enroll.h): the accepted forms and nothing else,
 * errors at FILE:LINE:COL, precedence (device over its groups), and the window rule of
 * backend/files.h with the clock as a parameter: which files a window closes (a key carrier,
 * a Grandstream file a phone reads without a key and that carries a secret) and which it
 * leaves (encrypted files, files without a secret, devices without a window).
 *
 * Expected instants come from date(1): `date -u -d 2026-12-31T18:00:00+01:00 +%s`.
 */
#include "testutil.h"

#include "backend/files.h"
#include "backend/vendor.h"
#include "inventory/enroll.h"
#include "state/keys.h"

static void test_enroll_parse_accepts(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} ok[] = {
		{ "2026-12-31", 1798675200 },
		{ "2026-12-31T00:00:00Z", 1798675200 },
		{ "2026-12-31T18:00:00Z", 1798740000 },
		{ "2026-12-31T18:00Z", 1798740000 },
		{ "2026-12-31T18:00:00+01:00", 1798736400 },
		{ "2024-02-29T23:59:59-05:30", 1709270999 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2000-03-01", 951868800 },
		{ "2026-06-01T00:00:00+02:00", 1780264800 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t t = -1;

		if (enroll_parse(ok[i].s, strlen(ok[i].s), &t) != 0 || t != ok[i].t)
			fail_msg("%s: got %lld, want %lld", ok[i].s, (long long)t,
			         (long long)ok[i].t);
	}
}

static void test_enroll_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"2026-02-30",
		"2025-02-29",
		"2026-13-01",
		"2026-12-31T18:00:00", /* no zone: TZ must not move a deadline */
		"2026-12-31 18:00:00Z",
		"2026-12-31t18:00:00z",
		"2026-12-31T24:00:00Z",
		"2026-12-31T18:60:00Z",
		"2026-12-31T18:00:60Z",
		"2026-12-31T18:00:00.5Z",
		"2026-12-31T18:00:00+1",
		"2026-12-31T18:00:00+01",
		"1969-12-31",
		"26-12-31",
		"2026-1-31",
		"",
		"tomorrow",
		"2026-12-31T",
		"2026-12-31Z",
		"2026-12-31T18:00:00Z ",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t;

		if (enroll_parse(bad[i], strlen(bad[i]), &t) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	}
}

#define HEAD                                                                                       \
	"version: 1\n"                                                                             \
	"server: {url: http://h/p}\n"                                                              \
	"models: {GXP2170: {vendor: grandstream, max_lines: 2}}\n"                                 \
	"devices:\n"                                                                               \
	"  000b82123456:\n"                                                                        \
	"    model: GXP2170\n"

/* One bad inventory: exactly one message, which starts with `where` and holds `what`. */
static void expect_error(const char *yaml, const char *where, const char *what)
{
	struct inventory *inv = NULL;
	struct diag d;

	diag_init(&d);
	assert_int_equal(
	    inventory_load_buffer("inv.yaml", yaml, strlen(yaml), &vendor_set, &inv, &d), -EINVAL);
	if (d.n != 1 || strncmp(d.msgs[0], where, strlen(where)) != 0 ||
	    strstr(d.msgs[0], what) == NULL) {
		diag_print(&d, stderr);
		fail_msg("expected one message %s...%s", where, what);
	}
	diag_free(&d);
}

static void test_enroll_errors_have_positions(void **state)
{
	(void)state;
	/* "    enroll_until: " is 18 columns: the value starts at column 19 */
	expect_error(HEAD "    enroll_until: 2026-12-31T18:00:00\n",
	             "inv.yaml:7:19: ", "'enroll_until' must be a date");
	expect_error(HEAD "    enroll_until: 2026-02-30\n",
	             "inv.yaml:7:19: ", "'enroll_until' must be a date");
	expect_error(HEAD "    enroll_until: {at: 2026-12-31}\n",
	             "inv.yaml:7:19: ", "'enroll_until' must be a value");
	/* a model or the defaults: the window is a device's or a group's (the key is misplaced) */
	expect_error("version: 1\n"
	             "server: {url: http://h/p}\n"
	             "models: {GXP2170: {vendor: grandstream, max_lines: 2, enroll_until: "
	             "2026-12-31}}\n",
	             "inv.yaml:3:55: ", "'enroll_until' is set on a device or a group");
	expect_error("version: 1\n"
	             "server: {url: http://h/p}\n"
	             "defaults: {enroll_until: 2026-12-31}\n",
	             "inv.yaml:3:12: ", "'enroll_until' is set on a device or a group");
}

/* Keys for the key flow: every device has one, pending (its carrier is served). */
static int stub_get(void *ctx, uint64_t mac, const char *vendor, unsigned bits, bool create,
                    struct dev_key *out)
{
	(void)ctx;
	(void)vendor;
	(void)create;
	memset(out, 0, sizeof(*out));
	snprintf(out->pass, sizeof(out->pass), "%016llx%016llx", (unsigned long long)mac,
	         (unsigned long long)~mac);
	out->bits = bits;
	out->state = KEY_PENDING;
	return 0;
}

static const struct key_source stub_keys = { stub_get, NULL };

static const char window_inv[] =
    "version: 1\n"
    "server: {url: http://prov.example.com/prov}\n"
    "models:\n"
    "  GXP2170: {vendor: grandstream, max_lines: 2}\n"
    "  SPA112: {vendor: cisco, max_lines: 2, encrypt: true}\n"
    "  SPA504G: {vendor: cisco, max_lines: 4}\n"
    "  T54W: {vendor: yealink, max_lines: 16}\n"
    "  KX-HDV130N: {vendor: panasonic, max_lines: 2}\n"
    "groups:\n"
    "  site: {enroll_until: \"2026-12-31T18:00:00Z\"}\n"
    "devices:\n"
    /* plain XML with a password: closed by its group's window */
    "  000b82000001: {model: GXP2170, groups: [site], lines: [{user: \"1\", password: PW1}]}\n"
    /* XML encrypted with its XML password (stays); the binary carries P1359 (closed) */
    "  000b82000002: {model: GXP2170, groups: [site], xml_password: XPW2, binary: bootstrap,"
    " lines: [{user: \"2\", password: PW2}]}\n"
    /* a window, but no secret in any file */
    "  000b82000003: {model: GXP2170, groups: [site], enroll_until: 2027-01-01,"
    " lines: [{user: \"3\"}]}\n"
    /* a password in clear but no window: served as before */
    "  000b82000004: {model: GXP2170, lines: [{user: \"4\", password: PW4}]}\n"
    /* a key carrier; the device's own window wins over its group's */
    "  000e08aabbc2: {model: SPA112, groups: [site], enroll_until: "
    "\"2026-06-01T00:00:00+02:00\", lines: [{user: \"5\", password: PW5}]}\n"
    /* plain profiles of the other vendors: closed when they carry a secret, not otherwise */
    "  000e08aabbc6: {model: SPA504G, groups: [site], lines: [{user: \"6\", password: PW6}]}\n"
    "  001565aabbc7: {model: T54W, groups: [site], lines: [{user: \"7\", password: PW7}]}\n"
    "  001565aabbc8: {model: T54W, groups: [site], lines: [{user: \"8\"}]}\n"
    "  0080f0aabbc9: {model: KX-HDV130N, groups: [site], settings: {admin_password: AP9}}\n";

static struct tree *load_window_tree(void)
{
	struct tree *t = NULL;
	struct diag d;

	diag_init(&d);
	if (tree_load_buffer("inv.yaml", window_inv, strlen(window_inv), &stub_keys, &t, &d) < 0) {
		diag_print(&d, stderr);
		fail_msg("inventory expected to be valid");
	}
	diag_free(&d);
	return t;
}

/* The window of a name: its end, or -1 when no window concerns the file. */
static int64_t window_of(const struct tree *t, const char *name)
{
	struct file_ref ref;
	int64_t until;

	if (file_resolve(t, name, &ref) < 0 || !file_exists(t, &ref))
		fail_msg("%s does not resolve", name);
	return file_enrol_window(t, &ref, &until) ? until : -1;
}

static bool closed_at(const struct tree *t, const char *name, int64_t now)
{
	struct file_ref ref;
	int64_t until;

	assert_int_equal(file_resolve(t, name, &ref), 0);
	return file_enrol_closed(t, &ref, now, &until);
}

static void test_enroll_which_files_a_window_closes(void **state)
{
	struct tree *t = load_window_tree();

	(void)state;
	assert_int_equal(window_of(t, "cfg000b82000001.xml"), 1798740000);
	assert_int_equal(window_of(t, "cfg000b82000002.xml"), -1); /* encrypted */
	assert_int_equal(window_of(t, "cfg000b82000002"), 1798740000);
	assert_int_equal(window_of(t, "cfg000b82000003.xml"), -1);      /* no secret */
	assert_int_equal(window_of(t, "cfg000b82000004.xml"), -1);      /* no window */
	assert_int_equal(window_of(t, "000e08aabbc2.xml"), 1780264800); /* the carrier */
	assert_int_equal(window_of(t, "000e08aabbc2.cfg"), -1);         /* encrypted */
	assert_int_equal(window_of(t, "spa112.cfg"), -1);               /* shared, no secret */
	assert_int_equal(window_of(t, "000e08aabbc6.xml"), 1798740000); /* Cisco, plain */
	assert_int_equal(window_of(t, "spa504G.cfg"), -1);              /* shared, no secret */
	assert_int_equal(window_of(t, "001565aabbc7.cfg"), 1798740000); /* Yealink, plain */
	assert_int_equal(window_of(t, "001565aabbc8.cfg"), -1);         /* no secret */
	assert_int_equal(window_of(t, "y000000000096.cfg"), -1);        /* shared, no secret */
	assert_int_equal(window_of(t, "Config0080F0AABBC9.cfg"), 1798740000); /* Panasonic */
	tree_free(t);
}

static void test_enroll_window_rule_uses_the_clock_given(void **state)
{
	struct tree *t = load_window_tree();

	(void)state;
	/* the window is [.., until): the last second before it still serves */
	assert_false(closed_at(t, "cfg000b82000001.xml", 1798739999));
	assert_true(closed_at(t, "cfg000b82000001.xml", 1798740000));
	assert_true(closed_at(t, "cfg000b82000001.xml", INT64_MAX));
	/* the same tree (an old generation) at a later time: closed without a reload */
	assert_false(closed_at(t, "000e08aabbc2.xml", 1780264799));
	assert_true(closed_at(t, "000e08aabbc2.xml", 1780264800));
	assert_false(closed_at(t, "000e08aabbc2.cfg", INT64_MAX));
	assert_false(closed_at(t, "cfg000b82000002.xml", INT64_MAX));
	assert_false(closed_at(t, "cfg000b82000004.xml", INT64_MAX));
	tree_free(t);
}

static void test_enroll_device_until_precedence(void **state)
{
	struct tree *t = load_window_tree();
	const struct device *dev;
	const struct value *v;
	int64_t until = 0;

	(void)state;
	dev = inventory_find(t->inv, 0x000b82000003);
	v = enroll_device_until(t->inv, dev, &until);
	assert_non_null(v);
	assert_int_equal(until, 1798761600); /* 2027-01-01: the device's own */
	assert_int_equal(v->pos.line, 14);   /* devices start on line 12 */
	assert_int_equal(v->pos.col, 64);
	dev = inventory_find(t->inv, 0x000b82000004);
	assert_null(enroll_device_until(t->inv, dev, &until));
	tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enroll_parse_accepts),
		cmocka_unit_test(test_enroll_parse_refuses),
		cmocka_unit_test(test_enroll_errors_have_positions),
		cmocka_unit_test(test_enroll_which_files_a_window_closes),
		cmocka_unit_test(test_enroll_window_rule_uses_the_clock_given),
		cmocka_unit_test(test_enroll_device_until_precedence),
	};

	return cmocka_run_group_tests_name("enroll", tests, NULL, NULL);
}
