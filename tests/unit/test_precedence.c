/*
 * test_precedence.c - SPEC §3 precedence, observed in a device's final Grandstream
 * P-values: device > groups (later wins) > model > defaults; at one level params beat
 * settings; lines come whole from the highest level that lists any; sip_server fills
 * the registrar of lines without their own server; secrets of shared levels reach the
 * device's own file but never a generic one.
 */
#include "testutil.h"

#include "backend/gs_params.h"

static const char inventory[] =
    "version: 1\n"
    "server: {url: tftp://10.0.0.1/gs/}\n"
    "defaults:\n"
    "  settings: {ntp_server: d.ntp, timezone: d.tz, language: d.lang, admin_password: d.admin,\n"
    "             sip_port: 5070, resync_minutes: 60}\n"
    "  params: {grandstream: {P30: d.param.ntp, P1362: d.param.lang, P81: d.81}}\n"
    "  xml_password: d.xmlpw\n"
    "generic:\n"
    "  settings: {ntp_server: g.ntp}\n"
    "  params: {grandstream: {P81: g.81}}\n"
    "models:\n"
    "  GXP2170:\n"
    "    vendor: grandstream\n"
    "    max_lines: 6\n"
    "    settings: {ntp_server: m.ntp, admin_password: m.admin}\n"
    "    params: {P64: m.tz}\n"
    "    lines: [{user: m1, password: mpw1}, {user: m2}]\n"
    "groups:\n"
    "  g1: {settings: {language: g1.lang, sip_server: g1.sip, outbound_proxy: g1.proxy}}\n"
    "  g2: {settings: {language: g2.lang}, params: {grandstream: {P2: g2.admin}}}\n"
    "devices:\n"
    "  000b82000001:\n"
    "    model: GXP2170\n"
    "    groups: [g1, g2]\n"
    "    settings: {admin_password: dev.admin}\n"
    "    params: {account.1.sip.subscriber.name: Alias Name, account.2.enable: \"No\"}\n"
    "    lines:\n"
    "      - {user: \"100\"}\n"
    "      - {user: \"200\", auth_user: a200, server: \"own.sip:5080\", voicemail: \"*97\"}\n"
    "  000b82000002:\n"
    "    model: GXP2170\n"
    "    groups: [g2, g1]\n"
    "    params: {P1362: dev.lang}\n";

static struct tree *tree;
static const struct inventory *inv;

static int setup(void **state)
{
	(void)state;
	tree = load_ok(inventory);
	inv = tree->inv;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tree_free(tree);
	return 0;
}

static const char *param(const struct resolved *r, const char *name)
{
	const struct rparam *p = resolved_get(r, name);

	return p != NULL ? p->value : NULL;
}

static void resolve(uint64_t mac, struct resolved *r)
{
	const struct device *dev = inventory_find(inv, mac);

	assert_non_null(dev);
	resolved_init(r);
	assert_int_equal(gs_resolve_device(inv, dev, r), 0);
}

static void test_precedence_levels(void **state)
{
	struct resolved r;

	(void)state;
	resolve(UINT64_C(0x000b82000001), &r);
	/* the model's setting beats the defaults' param: a higher level wins whatever the source */
	assert_string_equal(param(&r, "P30"), "m.ntp");
	/* the model's param beats the defaults' setting */
	assert_string_equal(param(&r, "P64"), "m.tz");
	/* of two groups, the later listed wins */
	assert_string_equal(param(&r, "P1362"), "g2.lang");
	/* the device's setting beats a group's param */
	assert_string_equal(param(&r, "P2"), "dev.admin");
	/* only defaults set P81 */
	assert_string_equal(param(&r, "P81"), "d.81");
	/* resync_minutes sets the interval and turns the periodic check on */
	assert_string_equal(param(&r, "P193"), "60");
	assert_string_equal(param(&r, "P194"), "1");
	resolved_free(&r);
}

static void test_precedence_group_order_and_device_params(void **state)
{
	struct resolved r;

	(void)state;
	resolve(UINT64_C(0x000b82000002), &r);
	/* the device's param beats every group's setting */
	assert_string_equal(param(&r, "P1362"), "dev.lang");
	/* g2's param beats the defaults' and the model's setting (g2 ranks above both) */
	assert_string_equal(param(&r, "P2"), "g2.admin");
	resolved_free(&r);
}

static void test_precedence_lines_and_accounts(void **state)
{
	struct resolved r;

	(void)state;
	resolve(UINT64_C(0x000b82000001), &r);
	/* the device's own lines replace the model's entirely */
	assert_string_equal(param(&r, "P35"), "100");
	assert_string_equal(param(&r, "P36"), "100"); /* auth_user defaults to user */
	assert_null(param(&r, "P34"));                /* the model's password is not inherited */
	assert_string_equal(param(&r, "P271"), "1");
	/* sip_server from g1 with sip_port from defaults for a line without a server */
	assert_string_equal(param(&r, "P47"), "g1.sip:5070");
	/* a line's own server keeps its own port */
	assert_string_equal(param(&r, "P402"), "own.sip:5080");
	assert_string_equal(param(&r, "P404"), "200");
	assert_string_equal(param(&r, "P405"), "a200");
	assert_string_equal(param(&r, "P426"), "*97");
	/* outbound_proxy applies to every listed line */
	assert_string_equal(param(&r, "P48"), "g1.proxy");
	assert_string_equal(param(&r, "P403"), "g1.proxy");
	/* v2 aliases in params beat the lines at the same level */
	assert_string_equal(param(&r, "P3"), "Alias Name");
	assert_string_equal(param(&r, "P401"), "0");
	/* only two lines: no account 3 */
	assert_null(param(&r, "P501"));
	resolved_free(&r);

	resolve(UINT64_C(0x000b82000002), &r);
	/* no lines of its own: the model's lines, with sip_server from g1 */
	assert_string_equal(param(&r, "P35"), "m1");
	assert_string_equal(param(&r, "P34"), "mpw1");
	assert_string_equal(param(&r, "P404"), "m2");
	assert_string_equal(param(&r, "P47"), "g1.sip:5070");
	assert_string_equal(param(&r, "P402"), "g1.sip:5070");
	resolved_free(&r);
}

static void test_precedence_server_url_and_secrets(void **state)
{
	struct resolved r;
	const struct rparam *pw;

	(void)state;
	resolve(UINT64_C(0x000b82000002), &r);
	assert_string_equal(param(&r, "P212"), "0"); /* tftp:// */
	assert_string_equal(param(&r, "P237"), "10.0.0.1/gs");
	/* a secret set in defaults goes into the device's own file, marked secret */
	pw = resolved_get(&r, "P1359");
	assert_non_null(pw);
	assert_string_equal(pw->value, "d.xmlpw");
	assert_true(pw->secret);
	assert_true(resolved_get(&r, "P2")->secret);
	assert_false(resolved_get(&r, "P30")->secret);
	/* sorted by P number */
	for (size_t i = 1; i < r.n; i++)
		assert_true(r.items[i - 1].key < r.items[i].key);
	resolved_free(&r);
}

static void test_precedence_generic_files_hold_no_secret(void **state)
{
	struct resolved r;

	(void)state;
	resolved_init(&r);
	assert_int_equal(gs_resolve_generic(inv, &inv->models[0], &r), 0);
	/* the model's settings over generic ones; defaults are not part of generic files */
	assert_string_equal(param(&r, "P30"), "m.ntp");
	assert_string_equal(param(&r, "P81"), "g.81");
	assert_string_equal(param(&r, "P64"), "m.tz");
	assert_null(param(&r, "P2"));    /* the model's admin_password stays out */
	assert_null(param(&r, "P1359")); /* so does the defaults' XML password */
	assert_null(param(&r, "P35"));   /* and every line */
	assert_null(param(&r, "P34"));
	assert_string_equal(param(&r, "P237"), "10.0.0.1/gs");
	for (size_t i = 0; i < r.n; i++)
		assert_false(r.items[i].secret);
	resolved_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence_levels),
		cmocka_unit_test(test_precedence_group_order_and_device_params),
		cmocka_unit_test(test_precedence_lines_and_accounts),
		cmocka_unit_test(test_precedence_server_url_and_secrets),
		cmocka_unit_test(test_precedence_generic_files_hold_no_secret),
	};

	return cmocka_run_group_tests_name("precedence", tests, setup, teardown);
}
