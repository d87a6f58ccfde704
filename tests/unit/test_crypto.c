/*
 * test_crypto.c - `openssl enc` compatibility, checked against the shared vectors:
 * Grandstream XML (AES-256, raw) and Panasonic UTG (AES-128/256, base64 in 64 columns).
 */
#include "testutil.h"

#include "backend/crypto.h"

static const uint8_t gs_salt[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
static const uint8_t pa_salt[8] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };
static const char pa_pass[] = "12341234abcdabcd12341234abcdabcd";

static void test_crypto_reproduces_grandstream_xml_vector(void **state)
{
	size_t plen, elen;
	uint8_t *plain = read_vector("grandstream/cfgc074ad0a0b0c.v1.plain.xml", &plen);
	uint8_t *enc = read_vector("grandstream/cfgc074ad0a0b0c.v1.enc-md5.xml", &elen);
	struct buf out;

	(void)state;
	buf_init(&out);
	assert_int_equal(crypto_openssl_enc(256, gs_salt, "Secr3t!", 7, plain, plen, &out), 0);
	assert_int_equal(out.len, elen);
	assert_int_equal(crypto_enc_size(plen), elen);
	assert_memory_equal(out.data, enc, elen);
	buf_free(&out);
	free(plain);
	free(enc);
}

/* Panasonic UTG: base64 of the raw form, the way `openssl enc -a` wraps it. */
static void check_pa_vector(unsigned bits, const char *file)
{
	size_t plen, elen;
	uint8_t *plain = read_vector("panasonic/utg_plain.xml", &plen);
	uint8_t *enc = read_vector(file, &elen);
	struct buf raw, b64;

	buf_init(&raw);
	buf_init(&b64);
	assert_int_equal(
	    crypto_openssl_enc(bits, pa_salt, pa_pass, strlen(pa_pass), plain, plen, &raw), 0);
	crypto_base64_lines(raw.data, raw.len, &b64);
	assert_int_equal(b64.len, elen);
	assert_memory_equal(b64.data, enc, elen);
	buf_free(&raw);
	buf_free(&b64);
	free(plain);
	free(enc);
}

static void test_crypto_reproduces_panasonic_aes128_vector(void **state)
{
	(void)state;
	check_pa_vector(128, "panasonic/utg_plain.xml.aes128_md5.enc");
}

static void test_crypto_reproduces_panasonic_aes256_vector(void **state)
{
	(void)state;
	check_pa_vector(256, "panasonic/utg_plain.xml.aes256_md5.enc");
}

/* expected_keys.txt: the key and IV OpenSSL derives, for every AES size with -md md5. */
static void test_crypto_derives_panasonic_key_and_iv(void **state)
{
	size_t len;
	char *text = (char *)read_vector("panasonic/expected_keys.txt", &len);
	char pass[64] = "", salt_hex[32] = "";
	int rows = 0;

	(void)state;
	assert_int_equal(sscanf(text, "passphrase=%63s salt=%31s", pass, salt_hex), 2);
	assert_string_equal(pass, pa_pass);
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char key_hex[80], iv_hex[40];
		uint8_t salt[8], want_key[32], want_iv[16], key[CRYPTO_KEY_MAX], iv[CRYPTO_IV_LEN];
		unsigned bits;

		if (sscanf(line, "aes-%u-cbc md=md5: key=%79s iv=%39s", &bits, key_hex, iv_hex) !=
		    3)
			continue;
		assert_int_equal(unhex(salt_hex, salt, sizeof(salt)), 8);
		assert_int_equal(unhex(key_hex, want_key, sizeof(want_key)), bits / 8);
		assert_int_equal(unhex(iv_hex, want_iv, sizeof(want_iv)), 16);
		assert_int_equal(crypto_key_iv(bits, salt, pass, strlen(pass), key, iv), 0);
		assert_memory_equal(key, want_key, bits / 8);
		assert_memory_equal(iv, want_iv, 16);
		rows++;
	}
	assert_int_equal(rows, 3); /* 128, 192, 256 */
	free(text);
}

static void test_crypto_rejects_unknown_key_size(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out);
	assert_int_equal(crypto_openssl_enc(196, gs_salt, "x", 1, (const uint8_t *)"a", 1, &out),
	                 -EINVAL);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_crypto_salt_depends_on_password_and_plaintext(void **state)
{
	uint8_t a[8], b[8], c[8], d[8];
	const uint8_t text[] = "<gs_provision/>";

	(void)state;
	assert_int_equal(crypto_derive_salt("pw", 2, text, sizeof(text), a), 0);
	assert_int_equal(crypto_derive_salt("pw", 2, text, sizeof(text), b), 0);
	assert_int_equal(crypto_derive_salt("pW", 2, text, sizeof(text), c), 0);
	assert_int_equal(crypto_derive_salt("pw", 2, text, sizeof(text) - 1, d), 0);
	assert_memory_equal(a, b, 8);     /* stable bytes */
	assert_memory_not_equal(a, c, 8); /* another password, another salt */
	assert_memory_not_equal(a, d, 8); /* another file, another salt */
}

static void test_crypto_base64_wraps_at_64_columns(void **state)
{
	uint8_t in[100];
	struct buf out;
	const char *p;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	buf_init(&out);
	crypto_base64_lines(in, sizeof(in), &out);
	/* 100 bytes -> 136 characters: 64 + "\n" + 64 + "\n" + 8 + "\n" */
	assert_int_equal(out.len, 136 + 3);
	p = (const char *)out.data;
	assert_int_equal(p[64], '\n');
	assert_int_equal(p[129], '\n');
	assert_int_equal(p[out.len - 1], '\n');
	assert_memory_equal(p, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss", 60);
	assert_memory_equal(p + 130, "YGFiYw==", 8);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crypto_reproduces_grandstream_xml_vector),
		cmocka_unit_test(test_crypto_reproduces_panasonic_aes128_vector),
		cmocka_unit_test(test_crypto_reproduces_panasonic_aes256_vector),
		cmocka_unit_test(test_crypto_derives_panasonic_key_and_iv),
		cmocka_unit_test(test_crypto_rejects_unknown_key_size),
		cmocka_unit_test(test_crypto_salt_depends_on_password_and_plaintext),
		cmocka_unit_test(test_crypto_base64_wraps_at_64_columns),
	};

	return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
