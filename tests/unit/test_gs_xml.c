/*
 * test_gs_xml.c - the XML v1 renderer and the cfg<mac>.xml pipeline: the shared vector's
 * plain file reproduced from its parameters, escaping, and the encrypted device file
 * (stable bytes, exact size, decrypts to the plain file with P1359).
 */
#include "testutil.h"

#include <openssl/evp.h>

#include "backend/crypto.h"
#include "backend/files.h"
#include "backend/gs_xml.h"

/* A parameter list in a given order, as the vector lists them. */
static void add(struct resolved *r, const char *name, const char *value)
{
	resolved_add(r, name, 0, value, 0, false, LEVEL_DEVICE, false);
}

static void test_gs_xml_reproduces_vector_plain_file(void **state)
{
	size_t len;
	uint8_t *want = read_vector("grandstream/cfgc074ad0a0b0c.v1.plain.xml", &len);
	struct resolved r;
	struct buf out;

	(void)state;
	resolved_init(&r);
	add(&r, "P271", "1");
	add(&r, "P47", "pbx.example.com");
	add(&r, "P35", "2001");
	add(&r, "P36", "2001");
	add(&r, "P34", "s3cr&t=1 x");
	add(&r, "P3", "M\xc3\xbcller, J\xc3\xbcrgen");
	buf_init(&out);
	render_gs_xml("c074ad0a0b0c", &r, &out);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, want, len);
	buf_free(&out);
	resolved_free(&r);
	free(want);
}

static void test_gs_xml_escapes_markup(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out);
	xml_escape("a&b<c>d\"e'f&amp;", &out);
	buf_append(&out, "", 1);
	assert_string_equal((char *)out.data, "a&amp;b&lt;c&gt;d\"e'f&amp;amp;");
	buf_free(&out);
}

static void test_gs_xml_generic_file_has_no_mac_element(void **state)
{
	struct resolved r;
	struct buf out;

	(void)state;
	resolved_init(&r);
	add(&r, "P30", "pool.ntp.org");
	buf_init(&out);
	render_gs_xml(NULL, &r, &out);
	buf_append(&out, "", 1);
	assert_null(strstr((char *)out.data, "<mac>"));
	assert_non_null(strstr((char *)out.data, "    <P30>pool.ntp.org</P30>\n"));
	buf_free(&out);
	resolved_free(&r);
}

static const char inventory[] = "version: 1\n"
                                "server: {url: https://prov.example.com:8443/gs}\n"
                                "models: {GXP2170: {vendor: grandstream, max_lines: 2}}\n"
                                "devices:\n"
                                "  00:0b:82:12:34:56:\n"
                                "    model: GXP2170\n"
                                "    xml_password: \"Secr3t!\"\n"
                                "    config: {prefix: gs_, postfix: _cfg002}\n"
                                "    lines: [{user: \"1001\", password: \"pw&<1001>\"}]\n"
                                "  c0:74:ad:0a:0b:0c: {model: GXP2170}\n";

static void render(const struct tree *inv, const char *name, bool plain, struct buf *out)
{
	struct file_ref ref;

	buf_init(out);
	assert_int_equal(file_resolve(inv, name, &ref), 0);
	assert_int_equal(file_render(inv, &ref, plain, out), 0);
}

/* openssl enc -d -aes-256-cbc -md md5 -k PASSWORD, done with EVP. */
static size_t decrypt(const struct buf *enc, const char *pw, uint8_t *out)
{
	unsigned char key[32], iv[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;

	assert_memory_equal(enc->data, "Salted__", 8);
	assert_int_equal(EVP_BytesToKey(EVP_aes_256_cbc(), EVP_md5(), enc->data + 8,
	                                (const unsigned char *)pw, (int)strlen(pw), 1, key, iv),
	                 32);
	assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv), 1);
	assert_int_equal(EVP_DecryptUpdate(ctx, out, &n1, enc->data + 16, (int)enc->len - 16), 1);
	assert_int_equal(EVP_DecryptFinal_ex(ctx, out + n1, &n2), 1);
	EVP_CIPHER_CTX_free(ctx);
	return (size_t)(n1 + n2);
}

static void test_gs_xml_device_file_is_encrypted_with_p1359(void **state)
{
	struct tree *inv = load_ok(inventory);
	struct buf plain, enc, again;
	uint8_t dec[8192];
	size_t n;

	(void)state;
	render(inv, "cfg000b82123456.xml", true, &plain);
	render(inv, "cfg000b82123456.xml", false, &enc);
	render(inv, "cfg000b82123456.xml", false, &again);
	assert_int_equal(enc.len, crypto_enc_size(plain.len));
	/* the same inventory always gives the same bytes */
	assert_int_equal(again.len, enc.len);
	assert_memory_equal(again.data, enc.data, enc.len);
	n = decrypt(&enc, "Secr3t!", dec);
	assert_int_equal(n, plain.len);
	assert_memory_equal(dec, plain.data, n);
	buf_append(&plain, "", 1);
	assert_non_null(strstr((char *)plain.data, "  <mac>000b82123456</mac>\n"));
	assert_non_null(strstr((char *)plain.data, "<P34>pw&amp;&lt;1001&gt;</P34>"));
	assert_non_null(strstr((char *)plain.data, "<P212>2</P212>"));
	assert_non_null(strstr((char *)plain.data, "<P237>prov.example.com:8443/gs</P237>"));
	assert_non_null(strstr((char *)plain.data, "<P234>gs_</P234>"));
	assert_non_null(strstr((char *)plain.data, "<P235>_cfg002</P235>"));
	assert_non_null(strstr((char *)plain.data, "<P1359>Secr3t!</P1359>"));
	buf_free(&plain);
	buf_free(&enc);
	buf_free(&again);
	tree_free(inv);
}

static void test_gs_xml_device_without_password_is_plain(void **state)
{
	struct tree *inv = load_ok(inventory);
	struct buf a, b;

	(void)state;
	render(inv, "cfgc074ad0a0b0c.xml", false, &a);
	render(inv, "cfgc074ad0a0b0c.xml", true, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_memory_equal(a.data, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n", 40);
	buf_free(&a);
	buf_free(&b);
	tree_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gs_xml_reproduces_vector_plain_file),
		cmocka_unit_test(test_gs_xml_escapes_markup),
		cmocka_unit_test(test_gs_xml_generic_file_has_no_mac_element),
		cmocka_unit_test(test_gs_xml_device_file_is_encrypted_with_p1359),
		cmocka_unit_test(test_gs_xml_device_without_password_is_plain),
	};

	return cmocka_run_group_tests_name("gs_xml", tests, NULL, NULL);
}
