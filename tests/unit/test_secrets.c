/*
 * test_secrets.c - secrets are vendor tables (issue 10 point 7) and SPEC §3 holds for every
 * one of them: a secret set at defaults or model level reaches each device's own file and
 * no shared file (cfg.xml, cfg<model>.xml, Config<MODEL>.cfg, ConfigCom.cfg, <MODEL>.cfg),
 * and a secret in `generic` is a check error at its FILE:LINE:COL. Also the Grandstream
 * XML salt (issue 10 point 10): it depends on the content, not on the password alone.
 */
#include "testutil.h"

#include "backend/crypto.h"
#include "backend/files.h"
#include "backend/gs_table.h"
#include "backend/pa_table.h"
#include "backend/secret_name.h"

/* The bytes of a served name as a NUL-terminated string (plain: before encryption). */
static void render(const struct tree *t, const char *name, bool plain, struct buf *out)
{
	struct file_ref ref;

	buf_init(out);
	if (file_resolve(t, name, &ref) < 0)
		fail_msg("%s is not served", name);
	assert_int_equal(file_render(t, &ref, plain, out), 0);
	buf_append(out, "", 1);
	out->len--;
}

static bool served_has(const struct tree *t, const char *name, const char *needle)
{
	struct buf b;
	bool found;

	render(t, name, true, &b);
	found = strstr((const char *)b.data, needle) != NULL;
	buf_free(&b);
	return found;
}

/* None of the files holds any of the values. */
static void assert_nowhere(const struct tree *t, const char *const *files, size_t nfiles,
                           const char *const *values, size_t nvalues)
{
	for (size_t f = 0; f < nfiles; f++)
		for (size_t v = 0; v < nvalues; v++)
			if (served_has(t, files[f], values[v]))
				fail_msg("%s holds the secret %s", files[f], values[v]);
}

static void assert_check_error(const char *yaml, const char *want)
{
	struct diag d;
	struct tree *t = load_yaml(yaml, &d);

	if (t != NULL)
		tree_free(t);
	if (!diag_has(&d, want)) {
		diag_print(&d, stderr);
		fail_msg("expected: %s", want);
	}
	diag_free(&d);
}

/* ---- Grandstream ---- */

static void test_gs_pppoe_password_in_generic_is_a_check_error(void **state)
{
	(void)state;
	assert_check_error("version: 1\nserver: {url: http://h/p}\n"
	                   "generic: {params: {grandstream: {P83: x}}}\n",
	                   "inv.yaml:3:34: 'P83' is a secret: 'generic' files are read by phones "
	                   "this inventory does not know");
	assert_check_error("version: 1\n"
	                   "server: {url: http://h/p}\n"
	                   "generic:\n"
	                   "  params:\n"
	                   "    grandstream:\n"
	                   "      P30: pool.ntp.org\n"
	                   "      P83: pppoe\n",
	                   "inv.yaml:7:7: 'P83' is a secret: 'generic' files are read by phones "
	                   "this inventory does not know");
}

/*
 * Secrets of each template family at defaults and model level: PPPoE (P83, all four), TR-069
 * (P4505), DDNS (P28124, HT80x), keypad lock (P1383, GXP16xx/21xx), Broadsoft IM&P (P2967,
 * GXP21xx), provider lock (P9998, HT80x). HT802 sets none itself and inherits the defaults.
 */
static const char gs_layers[] =
    "version: 1\n"
    "server: {url: http://prov.example.com/gs}\n"
    "generic: {settings: {ntp_server: pool.ntp.org}}\n"
    "defaults:\n"
    "  params: {grandstream: {P83: ppp-default, P4505: tr069-default, P28124: ddns-default}}\n"
    "models:\n"
    "  GXP2170:\n"
    "    vendor: grandstream\n"
    "    max_lines: 2\n"
    "    params: {P83: ppp-model, P1383: lock-model, P2967: imp-model, P9998: provider-model}\n"
    "  HT802: {vendor: grandstream, max_lines: 2}\n"
    "devices:\n"
    "  00:0b:82:00:00:01: {model: GXP2170, xml_password: \"Secr3t!\"}\n"
    "  00:0b:82:00:00:02: {model: GXP2170}\n"
    "  00:0b:82:00:00:03: {model: HT802}\n";

static void test_gs_shared_level_secrets_reach_only_device_files(void **state)
{
	static const char *const shared[] = { "cfg.xml", "cfggxp2170.xml", "cfght802.xml" };
	static const char *const values[] = { "ppp-default",   "tr069-default", "ddns-default",
		                              "ppp-model",     "lock-model",    "imp-model",
		                              "provider-model" };
	struct tree *t = load_ok(gs_layers);

	(void)state;
	assert_nowhere(t, shared, sizeof(shared) / sizeof(shared[0]), values,
	               sizeof(values) / sizeof(values[0]));
	for (int i = 1; i <= 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "cfg000b8200000%d.xml", i);
		assert_true(served_has(t, name, "<P83>ppp-model</P83>"));
		assert_true(served_has(t, name, "<P1383>lock-model</P1383>"));
		assert_true(served_has(t, name, "<P2967>imp-model</P2967>"));
		assert_true(served_has(t, name, "<P9998>provider-model</P9998>"));
		assert_true(served_has(t, name, "<P4505>tr069-default</P4505>"));
		assert_true(served_has(t, name, "<P28124>ddns-default</P28124>"));
	}
	assert_true(served_has(t, "cfg000b82000003.xml", "<P83>ppp-default</P83>"));
	assert_true(served_has(t, "cfg000b82000003.xml", "<P4505>tr069-default</P4505>"));
	assert_false(served_has(t, "cfg000b82000003.xml", "ppp-model"));
	/* a non-secret of the same levels still lives in the shared file */
	assert_true(served_has(t, "cfggxp2170.xml", "<P30>pool.ntp.org</P30>"));
	tree_free(t);
}

static void test_gs_non_secrets(void **state)
{
	/* settings, and "Key" meaning a phone button or a key length, not a credential */
	static const uint32_t plain[] = { 30, 64, 1362, 47, 35, 3, 85, 72, 2383, 323, 1363, 1360 };

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (gs_is_secret(plain[i]))
			fail_msg("P%u is not a secret", (unsigned)plain[i]);
}

/* ---- Panasonic ---- */

static const char pa_layers[] = "version: 1\n"
                                "server: {url: tftp://10.0.0.1/prov}\n"
                                "defaults:\n"
                                "  params: {panasonic: {XSI_PWD: pwd-default}}\n"
                                "models:\n"
                                "  KX-HDV230:\n"
                                "    vendor: panasonic\n"
                                "    max_lines: 2\n"
                                "    params:\n"
                                "      LOCK_PIN: pin-model\n"
                                "      XSI_PASSWORD: password-model\n"
                                "      PING_INTERVAL: \"30\"\n"
                                "devices:\n"
                                "  0080f0000001: {model: KX-HDV230}\n";

static void test_pa_pin_and_password_names_reach_only_the_device_file(void **state)
{
	static const char *const shared[] = { "ConfigKX-HDV230.cfg", "ConfigCom.cfg",
		                              "KX-HDV230.cfg" };
	static const char *const values[] = { "pwd-default", "pin-model", "password-model" };
	struct tree *t = load_ok(pa_layers);

	(void)state;
	assert_nowhere(t, shared, sizeof(shared) / sizeof(shared[0]), values,
	               sizeof(values) / sizeof(values[0]));
	assert_true(served_has(t, "Config0080F0000001.cfg", "LOCK_PIN=\"pin-model\""));
	assert_true(served_has(t, "Config0080F0000001.cfg", "XSI_PASSWORD=\"password-model\""));
	assert_true(served_has(t, "Config0080F0000001.cfg", "XSI_PWD=\"pwd-default\""));
	/* PING is not PIN: a model value stays in the product file */
	assert_true(served_has(t, "ConfigKX-HDV230.cfg", "PING_INTERVAL=\"30\""));
	assert_false(served_has(t, "Config0080F0000001.cfg", "PING_INTERVAL"));
	tree_free(t);
}

static void test_pa_token_rule(void **state)
{
	static const char *const secret[] = {
		"SIP_PASS_1",
		"ADMIN_PASS",
		"USER_PASS",
		"HTTP_AUTH_PASSWORD",
		"CFG_FILE_KEY",
		"CFG_FILE_KEY2",
		"LOCK_PIN",
		"PIN_CODE_3",
		"XSI_PWD",
		"RADIUS_SECRET",
		"Device/System/LoginAcc/ADMIN_PASS",
		"Line[2]/Sip/SIP_PASS",
	};
	static const char *const plain[] = {
		"PING_INTERVAL", "SIP_PING",
		"PINK_MODE",     "PINGPONG",
		"KEYPAD_TONE",   "DISPLAY_NAME_1",
		"SIP_AUTHID_1",  "NTP_ADDR",
		"SPINNER",       "Device/Network/NTP/NTP_ADDR",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		if (!pa_is_secret(secret[i]))
			fail_msg("%s is a secret", secret[i]);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (pa_is_secret(plain[i]))
			fail_msg("%s is not a secret", plain[i]);
}

/* The table is what the templates document: sorted, sourced, named as a credential. */
static void test_gs_secret_table_rows(void **state)
{
	(void)state;
	assert_true(gs_secret_nrows >= 49);
	for (size_t i = 0; i < gs_secret_nrows; i++) {
		const struct gs_secret_row *row = &gs_secret_rows[i];

		if (i > 0)
			assert_true(gs_secret_rows[i - 1].param < row->param);
		assert_true(row->sources != 0);
		assert_true((row->sources & ~(unsigned)(GS_TPL_GXP21XX | GS_TPL_GXP16XX |
		                                        GS_TPL_HT80X | GS_TPL_GXP1X)) == 0);
		if (!secret_name(row->name, false))
			fail_msg("P%u '%s' does not say password, PIN, secret or key",
			         (unsigned)row->param, row->name);
		if (!gs_is_secret(row->param))
			fail_msg("P%u is in the table but not a secret", (unsigned)row->param);
	}
	/* account passwords, however many accounts there are */
	for (unsigned a = 1; a <= GS_MAX_ACCOUNTS; a++)
		assert_true(gs_is_secret(gs_account_param(a, GA_PASSWORD)));
}

/* Every row set at model level stays out of cfg<model>.xml and reaches the device file. */
static void test_gs_every_secret_row_stays_out_of_the_model_file(void **state)
{
	struct buf yaml, model, dev;
	struct tree *t;
	size_t tried = 0;

	(void)state;
	buf_init(&yaml);
	buf_printf(&yaml, "version: 1\nserver: {url: http://h/p}\n"
	                  "generic: {settings: {ntp_server: pool.ntp.org}}\n"
	                  "models:\n  GXP2170:\n    vendor: grandstream\n    max_lines: 1\n"
	                  "    params:\n");
	for (size_t i = 0; i < gs_secret_nrows; i++)
		/* P1359 comes from xml_password only: a raw param may not set it */
		if (gs_reserved_reason(gs_secret_rows[i].param) == NULL)
			buf_printf(&yaml, "      P%u: sv-%u-x\n", (unsigned)gs_secret_rows[i].param,
			           (unsigned)gs_secret_rows[i].param);
	buf_printf(&yaml, "devices: {00:0b:82:00:00:01: {model: GXP2170}}\n");
	buf_append(&yaml, "", 1);
	t = load_ok((const char *)yaml.data);
	render(t, "cfggxp2170.xml", true, &model);
	render(t, "cfg000b82000001.xml", true, &dev);
	for (size_t i = 0; i < gs_secret_nrows; i++) {
		unsigned p = (unsigned)gs_secret_rows[i].param;
		char value[32], element[64];

		if (gs_reserved_reason(p) != NULL)
			continue;
		snprintf(value, sizeof(value), "sv-%u-x", p);
		snprintf(element, sizeof(element), "<P%u>sv-%u-x</P%u>", p, p, p);
		if (strstr((const char *)model.data, value) != NULL)
			fail_msg("cfggxp2170.xml holds P%u", p);
		if (strstr((const char *)dev.data, element) == NULL)
			fail_msg("cfg000b82000001.xml lacks P%u", p);
		tried++;
	}
	assert_int_equal(tried, gs_secret_nrows - 1);
	buf_free(&model);
	buf_free(&dev);
	buf_free(&yaml);
	tree_free(t);
}

/* v2 names: the P-value's row decides, and a name that says password agrees with it. */
static void test_gs_v2_names_follow_their_p_value(void **state)
{
	static const char *const secret[] = {
		"users.admin.password",
		"users.user.password",
		"provisioning.config.filePassword",
		"account.1.sip.subscriber.password",
		"account.6.sip.subscriber.password",
	};
	static const char *const plain[] = {
		"dateTime.ntp.server.1",          "language.gui",
		"account.2.sip.userid",           "account.3.enable",
		"provisioning.config.serverPath",
	};
	struct gs_name gn;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		assert_int_equal(gs_parse_name(secret[i], &gn, &why), 0);
		assert_true(secret_name(secret[i], false));
		if (!gn.secret || !gs_is_secret(gn.param))
			fail_msg("%s (P%u) is a secret", secret[i], (unsigned)gn.param);
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		assert_int_equal(gs_parse_name(plain[i], &gn, &why), 0);
		assert_false(gn.secret);
	}
	assert_int_equal(gs_parse_name("P83", &gn, &why), 0);
	assert_true(gn.secret);
	assert_check_error("version: 1\nserver: {url: http://h/p}\n"
	                   "generic: {params: {grandstream: {users.user.password: x}}}\n",
	                   "inv.yaml:3:34: 'users.user.password' is a secret: 'generic' files are "
	                   "read by phones this inventory does not know");
}

static void test_pa_secret_table_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < pa_secret_nrows; i++) {
		char line[64];

		assert_non_null(strstr(pa_secret_rows[i].source, "formats/panasonic.md"));
		assert_true(pa_is_secret(pa_secret_rows[i].name));
		/* the table documents names the token rule already covers */
		assert_true(secret_name(pa_secret_rows[i].name, false));
		snprintf(line, sizeof(line), "%s_3", pa_secret_rows[i].name);
		assert_true(pa_is_secret(line));
	}
}

/* ---- the Grandstream XML salt depends on the content (issue 10 point 10) ---- */

static const char salt_yaml[] = "version: 1\n"
                                "server: {url: http://prov.example.com/gs}\n"
                                "models: {GXP2170: {vendor: grandstream, max_lines: 2}}\n"
                                "defaults: {settings: {ntp_server: %s}}\n"
                                "devices:\n"
                                "  00:0b:82:00:00:01:\n"
                                "    model: GXP2170\n"
                                "    xml_password: same-pw\n"
                                "    lines: [{user: \"1001\", password: a}]\n"
                                "  00:0b:82:00:00:02:\n"
                                "    model: GXP2170\n"
                                "    xml_password: same-pw\n"
                                "    lines: [{user: \"1002\", password: b}]\n";

static struct tree *load_salt(const char *ntp)
{
	char yaml[sizeof(salt_yaml) + 64];

	snprintf(yaml, sizeof(yaml), salt_yaml, ntp);
	return load_ok(yaml);
}

/* Bytes 8..16 of the encrypted file, after "Salted__". */
static void salt_of(const struct tree *t, const char *name, uint8_t salt[CRYPTO_SALT_LEN])
{
	struct buf b;

	render(t, name, false, &b);
	assert_true(b.len > 16);
	assert_memory_equal(b.data, "Salted__", 8);
	memcpy(salt, b.data + 8, CRYPTO_SALT_LEN);
	buf_free(&b);
}

static void test_gs_salt_differs_between_devices_with_one_password(void **state)
{
	struct tree *t = load_salt("pool.ntp.org");
	uint8_t s1[CRYPTO_SALT_LEN], s2[CRYPTO_SALT_LEN];

	(void)state;
	salt_of(t, "cfg000b82000001.xml", s1);
	salt_of(t, "cfg000b82000002.xml", s2);
	assert_memory_not_equal(s1, s2, CRYPTO_SALT_LEN);
	tree_free(t);
}

static void test_gs_salt_follows_the_content(void **state)
{
	struct tree *a = load_salt("pool.ntp.org");
	struct tree *b = load_salt("ntp.example.com");
	uint8_t sa[CRYPTO_SALT_LEN], sb[CRYPTO_SALT_LEN];

	(void)state;
	salt_of(a, "cfg000b82000001.xml", sa);
	salt_of(b, "cfg000b82000001.xml", sb);
	assert_memory_not_equal(sa, sb, CRYPTO_SALT_LEN);
	tree_free(a);
	tree_free(b);
}

static void test_gs_salt_is_stable_for_one_inventory(void **state)
{
	struct tree *a = load_salt("pool.ntp.org");
	struct tree *b = load_salt("pool.ntp.org");
	uint8_t s1[CRYPTO_SALT_LEN], s2[CRYPTO_SALT_LEN], s3[CRYPTO_SALT_LEN];

	(void)state;
	salt_of(a, "cfg000b82000002.xml", s1);
	salt_of(a, "cfg000b82000002.xml", s2);
	salt_of(b, "cfg000b82000002.xml", s3);
	assert_memory_equal(s1, s2, CRYPTO_SALT_LEN);
	assert_memory_equal(s1, s3, CRYPTO_SALT_LEN);
	tree_free(a);
	tree_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gs_pppoe_password_in_generic_is_a_check_error),
		cmocka_unit_test(test_gs_shared_level_secrets_reach_only_device_files),
		cmocka_unit_test(test_gs_non_secrets),
		cmocka_unit_test(test_gs_secret_table_rows),
		cmocka_unit_test(test_gs_every_secret_row_stays_out_of_the_model_file),
		cmocka_unit_test(test_gs_v2_names_follow_their_p_value),
		cmocka_unit_test(test_pa_pin_and_password_names_reach_only_the_device_file),
		cmocka_unit_test(test_pa_token_rule),
		cmocka_unit_test(test_pa_secret_table_rows),
		cmocka_unit_test(test_gs_salt_differs_between_devices_with_one_password),
		cmocka_unit_test(test_gs_salt_follows_the_content),
		cmocka_unit_test(test_gs_salt_is_stable_for_one_inventory),
	};

	return cmocka_run_group_tests_name("secrets", tests, NULL, NULL);
}
