/*
 * test_cs_files.c - Cisco SPA and MPP through the vendor seam (backend/cs_files.c,
 * formats/cisco.md §1, §4, §6): the names (bootstrap spellings, <mac>.xml in any case,
 * <mac>.cfg only for encrypted models), the bootstrap without secrets, the key carrier with
 * GPP_SA and no secret, the encrypted profile opened as `openssl enc -d -aes-256-cbc -md
 * md5|sha256 -k KEY` opens it (EVP_BytesToKey written here, not crypto.c's), gzip first with
 * `gzip: true`, the carrier gone once the key is delivered, and the checks with FILE:LINE:COL.
 */
#include "testutil.h"

#include <openssl/evp.h>
#include <zlib.h>

#include "backend/buf.h"
#include "backend/files.h"
#include "backend/keys.h"

/* ---- a key source in memory: one key per MAC, derived from it, state set by the test ---- */

static enum key_state stub_state = KEY_PENDING;

static int stub_get(void *ctx, uint64_t mac, const char *vendor, unsigned bits, bool create,
                    struct dev_key *out)
{
	(void)ctx;
	(void)vendor;
	if (stub_state == KEY_NONE && !create)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	snprintf(out->pass, sizeof(out->pass), "%016llx%016llx", (unsigned long long)mac,
	         (unsigned long long)~mac);
	out->bits = bits;
	out->state = stub_state == KEY_NONE ? KEY_PENDING : stub_state;
	return 0;
}

static const struct key_source stub_keys = { stub_get, NULL };

static const char inv[] =
    "version: 1\n"
    "server: {url: http://prov.example.com/prov}\n"
    "defaults:\n"
    "  settings: {ntp_server: pool.ntp.org, timezone: \"CET-1CEST-2,M3.5.0/02:00:00,"
    "M10.5.0/03:00:00\", resync_minutes: 1440, admin_password: ADMIN-SECRET, sip_server: "
    "sip.example.com, sip_port: 5060}\n"
    "models:\n"
    "  SPA504G: {vendor: cisco, max_lines: 4}\n"
    "  SPA112: {vendor: cisco, max_lines: 2, encrypt: true}\n"
    "  CP-8841-3PCC: {vendor: cisco, max_lines: 10, encrypt: true, digest: sha256}\n"
    "  CP-7841-3PCC: {vendor: cisco, max_lines: 4, encrypt: true, gzip: true}\n"
    "devices:\n"
    "  000e08aabbc1: {model: SPA504G, lines: [{user: \"1001\", password: PW-SECRET-1, "
    "display_name: \"Alice & Bob\"}], params: {cisco: {Station_Name: desk}}}\n"
    "  000e08aabbc2: {model: SPA112, lines: [{user: \"1002\", password: PW-SECRET-2}]}\n"
    "  000e08aabbc3: {model: CP-8841-3PCC, lines: [{user: \"1003\", password: PW-SECRET-3}]}\n"
    "  000e08aabbc4: {model: CP-7841-3PCC, lines: [{user: \"1004\", password: PW-SECRET-4}]}\n";

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

static void fetch(const struct tree *t, const char *name, bool plain, struct buf *out)
{
	struct file_ref ref;

	buf_reset(out);
	if (file_resolve(t, name, &ref) < 0)
		fail_msg("%s is not served", name);
	assert_int_equal(file_render(t, &ref, plain, out), 0);
}

static bool has(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->data + i, s, n) == 0)
			return true;
	return false;
}

static void pass_of(uint64_t mac, char pass[KEY_PASS_LEN + 1])
{
	snprintf(pass, KEY_PASS_LEN + 1, "%016llx%016llx", (unsigned long long)mac,
	         (unsigned long long)~mac);
}

/* ---- openssl enc -d -aes-256-cbc -md MD -k PASS ---- */

static void decrypt(const struct buf *in, const char *pass, const EVP_MD *md, struct buf *out)
{
	uint8_t key[32], iv[16], *plain;
	int l1 = 0, l2 = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	assert_true(in->len >= 32 && in->len % 16 == 0);
	assert_memory_equal(in->data, "Salted__", 8);
	assert_int_equal(EVP_BytesToKey(EVP_aes_256_cbc(), md, in->data + 8,
	                                (const unsigned char *)pass, (int)strlen(pass), 1, key, iv),
	                 32);
	plain = malloc(in->len);
	assert_non_null(plain);
	assert_non_null(ctx);
	assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv), 1);
	assert_int_equal(EVP_DecryptUpdate(ctx, plain, &l1, in->data + 16, (int)(in->len - 16)), 1);
	assert_int_equal(EVP_DecryptFinal_ex(ctx, plain + l1, &l2), 1);
	EVP_CIPHER_CTX_free(ctx);
	buf_reset(out);
	buf_append(out, plain, (size_t)(l1 + l2));
	free(plain);
}

static void gunzip(const struct buf *in, struct buf *out)
{
	uint8_t chunk[4096];
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = in->data;
	z.avail_in = (uInt)in->len;
	buf_reset(out);
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		r = inflate(&z, Z_NO_FLUSH);
		assert_true(r == Z_OK || r == Z_STREAM_END);
		buf_append(out, chunk, sizeof(chunk) - z.avail_out);
	} while (r != Z_STREAM_END);
	inflateEnd(&z);
}

/* ---- names ---- */

static uint64_t ino_of(const struct tree *t, const char *name)
{
	struct file_ref ref;

	if (file_resolve(t, name, &ref) < 0)
		fail_msg("%s is not served", name);
	return file_ino(t, &ref);
}

static void test_cs_names_parse_and_print(void **state)
{
	struct tree *t = load_text(inv);
	struct file_ref ref;
	char name[FILE_NAME_MAX + 1];

	(void)state;
	stub_state = KEY_PENDING;
	/* SPA: spa<PSN>.cfg, the PSN as spelled (capital G) */
	assert_int_equal(file_resolve(t, "spa504G.cfg", &ref), 0);
	assert_int_equal(file_name(&ref, name, sizeof(name)), (int)strlen("spa504G.cfg"));
	assert_string_equal(name, "spa504G.cfg");
	assert_int_equal(file_resolve(t, "spa504g.cfg", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "spa112.cfg", &ref), 0);
	/* MPP: three spellings of one file, the first canonical */
	assert_int_equal(file_resolve(t, "CP-8841-3PCC.xml", &ref), 0);
	assert_true(file_name(&ref, name, sizeof(name)) > 0);
	assert_string_equal(name, "8841-3PCC.xml");
	assert_int_equal(ino_of(t, "8841.xml"), ino_of(t, "8841-3PCC.xml"));
	assert_int_equal(ino_of(t, "CP-8841-3PCC.xml"), ino_of(t, "8841-3PCC.xml"));
	assert_true(ino_of(t, "7841-3PCC.xml") != ino_of(t, "8841-3PCC.xml"));
	/* no SPA spelling for an MPP model, nor the other way round */
	assert_int_equal(file_resolve(t, "spa8841.cfg", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "504G-3PCC.xml", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "504G.xml", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "8811-3PCC.xml", &ref),
	                 -ENOENT); /* not in the inventory */
	/* devices: <mac>.xml in any case, printed lower case */
	assert_int_equal(file_resolve(t, "000E08AABBC1.xml", &ref), 0);
	assert_true(file_name(&ref, name, sizeof(name)) > 0);
	assert_string_equal(name, "000e08aabbc1.xml");
	assert_int_equal(ino_of(t, "000E08AABBC1.xml"), ino_of(t, "000e08aabbc1.xml"));
	/* <mac>.cfg only for an encrypted model */
	assert_int_equal(file_resolve(t, "000e08aabbc1.cfg", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "000e08aabbc2.cfg", &ref), 0);
	assert_true(file_key_proof(&ref));
	assert_int_equal(file_resolve(t, "000e08aabbc2.xml", &ref), 0);
	assert_true(file_key_carrier(&ref));
	assert_int_equal(file_resolve(t, "000e08aabbc1.xml", &ref), 0);
	assert_false(file_key_carrier(&ref)); /* not encrypted: no key flow */
	/* unknown devices and other names */
	assert_int_equal(file_resolve(t, "000e08aabbff.xml", &ref), -ENOENT);
	assert_true(file_unknown_device(t, "000e08aabbff.xml"));
	assert_int_equal(file_resolve(t, "000e08aabbc1.xml.gz", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "spa-phone.xml", &ref), -ENOENT);
	tree_free(t);
}

/* ---- bytes ---- */

static void test_cs_bootstrap_holds_no_secret(void **state)
{
	struct tree *t = load_text(inv);
	struct buf b;

	(void)state;
	buf_init(&b);
	fetch(t, "spa504G.cfg", false, &b);
	assert_true(has(&b, "<flat-profile>\n"));
	assert_true(has(&b, "<Resync_On_Reset ua=\"na\">Yes</Resync_On_Reset>\n"));
	assert_true(has(&b, "<Resync_Periodic ua=\"na\">86400</Resync_Periodic>\n"));
	assert_true(has(&b, "<Resync_Random_Delay ua=\"na\">2</Resync_Random_Delay>\n"));
	assert_true(has(&b, "<Resync_At_Random_Delay ua=\"na\">600</Resync_At_Random_Delay>\n"));
	assert_true(has(&b, "<Profile_Rule_B ua=\"na\">http://prov.example.com/prov/$MA.xml"
	                    "</Profile_Rule_B>\n"));
	assert_false(has(&b, "SECRET"));
	assert_false(has(&b, "GPP_SA"));
	fetch(t, "8841.xml", false, &b);
	assert_false(has(&b, "SECRET"));
	assert_false(has(&b, "GPP_SA"));
	buf_free(&b);
	tree_free(t);
}

static void test_cs_plain_model_has_everything(void **state)
{
	struct tree *t = load_text(inv);
	struct buf b;

	(void)state;
	buf_init(&b);
	fetch(t, "000e08aabbc1.xml", false, &b);
	assert_true(has(&b, "<Admin_Passwd ua=\"na\">ADMIN-SECRET</Admin_Passwd>\n"));
	assert_true(has(&b, "<Line_Enable_1_ ua=\"na\">Yes</Line_Enable_1_>\n"));
	assert_true(has(&b, "<Proxy_1_ ua=\"na\">sip.example.com:5060</Proxy_1_>\n"));
	assert_true(has(&b, "<Display_Name_1_ ua=\"na\">Alice &amp; Bob</Display_Name_1_>\n"));
	assert_true(has(&b, "<Password_1_ ua=\"na\">PW-SECRET-1</Password_1_>\n"));
	assert_true(has(&b, "<Use_Auth_ID_1_ ua=\"na\">Yes</Use_Auth_ID_1_>\n"
	                    "<Auth_ID_1_ ua=\"na\">1001</Auth_ID_1_>\n"));
	assert_true(has(&b, "<Time_Zone ua=\"na\">GMT+01:00</Time_Zone>\n"));
	assert_true(has(&b, "<Station_Name ua=\"na\">desk</Station_Name>\n"));
	assert_false(has(&b, "GPP_SA"));
	assert_false(has(&b, "Profile_Rule"));
	buf_free(&b);
	tree_free(t);
}

static void test_cs_carrier_holds_the_key_and_no_secret(void **state)
{
	struct tree *t = load_text(inv);
	char pass[KEY_PASS_LEN + 1], want[128];
	struct buf b;

	(void)state;
	stub_state = KEY_PENDING;
	buf_init(&b);
	pass_of(0x000e08aabbc2ULL, pass);
	fetch(t, "000e08aabbc2.xml", false, &b);
	snprintf(want, sizeof(want), "<GPP_SA ua=\"na\">%s</GPP_SA>\n", pass);
	assert_true(has(&b, want));
	assert_true(has(&b, "<Profile_Rule ua=\"na\">[--key $SA]http://prov.example.com/prov/"
	                    "$MA.cfg</Profile_Rule>\n"));
	assert_true(has(&b, "<Profile_Rule_B ua=\"na\"></Profile_Rule_B>\n"));
	assert_true(has(&b, "<User_ID_1_ ua=\"na\">1002</User_ID_1_>\n"));
	assert_false(has(&b, "SECRET"));
	assert_false(has(&b, "Admin_Passwd"));
	assert_false(has(&b, "Password_1_"));
	buf_free(&b);
	tree_free(t);
}

static void check_decrypts(const struct tree *t, const char *name, uint64_t mac, const EVP_MD *md,
                           bool gz)
{
	char pass[KEY_PASS_LEN + 1];
	struct buf enc, plain, dec, inflated, again;

	buf_init(&enc);
	buf_init(&plain);
	buf_init(&dec);
	buf_init(&inflated);
	buf_init(&again);
	pass_of(mac, pass);
	fetch(t, name, false, &enc);
	fetch(t, name, true, &plain);
	assert_true(has(&plain, "PW-SECRET"));
	assert_true(has(&plain, "ADMIN-SECRET"));
	assert_true(has(&plain, "[--key $SA]"));
	assert_true(has(&plain, pass));
	decrypt(&enc, pass, md, &dec);
	if (gz) {
		assert_memory_equal(dec.data, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10);
		gunzip(&dec, &inflated);
		assert_int_equal(inflated.len, plain.len);
		assert_memory_equal(inflated.data, plain.data, plain.len);
	} else {
		assert_int_equal(dec.len, plain.len);
		assert_memory_equal(dec.data, plain.data, plain.len);
	}
	/* stable bytes: the salt is derived, not drawn */
	fetch(t, name, false, &again);
	assert_int_equal(again.len, enc.len);
	assert_memory_equal(again.data, enc.data, enc.len);
	buf_free(&enc);
	buf_free(&plain);
	buf_free(&dec);
	buf_free(&inflated);
	buf_free(&again);
}

static void test_cs_encrypted_profile_opens_with_the_key(void **state)
{
	struct tree *t = load_text(inv);

	(void)state;
	stub_state = KEY_PENDING;
	check_decrypts(t, "000e08aabbc2.cfg", 0x000e08aabbc2ULL, EVP_md5(), false);
	check_decrypts(t, "000e08aabbc3.cfg", 0x000e08aabbc3ULL, EVP_sha256(), false);
	check_decrypts(t, "000e08aabbc4.cfg", 0x000e08aabbc4ULL, EVP_md5(), true);
	/* MPP spells the admin password its own way */
	{
		struct buf b;

		buf_init(&b);
		fetch(t, "000e08aabbc3.cfg", true, &b);
		assert_true(has(&b, "<Admin_Password ua=\"na\">ADMIN-SECRET</Admin_Password>\n"));
		buf_free(&b);
	}
	tree_free(t);
}

static void test_cs_delivered_key_removes_the_carrier(void **state)
{
	struct tree *t = load_text(inv);
	struct file_ref ref;

	(void)state;
	stub_state = KEY_DELIVERED;
	assert_int_equal(file_resolve(t, "000e08aabbc2.xml", &ref), -ENOENT);
	assert_int_equal(file_resolve(t, "000e08aabbc2.cfg", &ref), 0);
	assert_int_equal(file_resolve(t, "000e08aabbc1.xml", &ref), 0); /* no key flow */
	stub_state = KEY_PENDING;
	assert_int_equal(file_resolve(t, "000e08aabbc2.xml", &ref), 0);
	tree_free(t);
}

/* ---- checks ---- */

static void test_cs_check_errors_name_their_position(void **state)
{
	static const char bad[] = "version: 1\n"
	                          "server: {url: http://prov.example.com/prov}\n"
	                          "models:\n"
	                          "  SPA999: {vendor: cisco, max_lines: 2}\n"
	                          "  SPA112: {vendor: cisco, max_lines: 4, digest: sha256}\n"
	                          "  CP-8841-3PCC:\n"
	                          "    vendor: cisco\n"
	                          "    max_lines: 2\n"
	                          "    settings: {language: xx, timezone: \"CET-1CEST,J60,J300\"}\n"
	                          "    params: {cisco: {Profile_Rule: x, GPP_SA: k, bad-name: y, "
	                          "Station_Name: \"a\\tb\"}}\n";
	static const char *const want[] = {
		"inv.yaml:4:3: model SPA999: not a Cisco model provfs knows (name it as the phone "
		"does, e.g. SPA504G, SPA112, CP-8841-3PCC: formats/cisco.md section 1)",
		"inv.yaml:5:3: model SPA112: a SPA112 has 2 lines (max_lines 4)",
		"inv.yaml:5:3: model SPA112: 'digest' and 'gzip' apply with 'encrypt: true'",
		"inv.yaml:9:26: language: not one Cisco MPP phones name (formats/cisco.md section "
		"3)",
		"inv.yaml:9:40: timezone: Cisco phones take a POSIX zone with Mm.w.d rules and "
		"whole-minute offsets (formats/cisco.md section 3)",
		"inv.yaml:10:22: 'Profile_Rule' cannot be set in params: provfs sets it (the "
		"profile "
		"rules, the key flow and firmware)",
		"inv.yaml:10:39: 'GPP_SA' cannot be set in params: provfs sets it (the profile "
		"rules, the key flow and firmware)",
		"inv.yaml:10:50: 'bad-name' is not a Cisco parameter name (a letter, then letters, "
		"digits and _, at most 64)",
		"inv.yaml:10:77: Station_Name: a Cisco value is printable ASCII only, no line "
		"break, "
		"no leading or trailing space, at most 2048 bytes (formats/cisco.md section 2.1)",
	};
	struct tree *t = NULL;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_true(tree_load_buffer("inv.yaml", bad, strlen(bad), &stub_keys, &t, &d) < 0);
	assert_null(t);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!diag_has(&d, want[i])) {
			diag_print(&d, stderr);
			fail_msg("missing: %s", want[i]);
		}
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cs_names_parse_and_print),
		cmocka_unit_test(test_cs_bootstrap_holds_no_secret),
		cmocka_unit_test(test_cs_plain_model_has_everything),
		cmocka_unit_test(test_cs_carrier_holds_the_key_and_no_secret),
		cmocka_unit_test(test_cs_encrypted_profile_opens_with_the_key),
		cmocka_unit_test(test_cs_delivered_key_removes_the_carrier),
		cmocka_unit_test(test_cs_check_errors_name_their_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
