/*
 * test_crypto.c - the encryption primitives and gzip, checked against the shared vectors:
 *   - `openssl enc`: Grandstream XML (AES-256, MD5, raw), Panasonic UTG (AES-128/256, MD5,
 *     base64 in 64 columns), Cisco profiles (AES-256, MD5 or SHA-256, of the XML or its gzip);
 *   - AES-128-ECB: Yealink <mac>.cfg (space or PKCS#7 padding) and <mac>_Security.enc;
 *   - gzip_deterministic: the `gzip -n -9` header, CRC-32 and ISIZE of vector C2, and a stream
 *     zlib and gzip(1) inflate back (its deflate bytes are zlib's own, compared with nothing).
 */
#define ZLIB_CONST
#include "testutil.h"

#include <unistd.h>

#include <zlib.h>

#include "backend/crypto.h"
#include "backend/gzip.h"

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
	assert_int_equal(
	    crypto_openssl_enc(256, CRYPTO_MD_MD5, gs_salt, "Secr3t!", 7, plain, plen, &out), 0);
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
	assert_int_equal(crypto_openssl_enc(bits, CRYPTO_MD_MD5, pa_salt, pa_pass, strlen(pa_pass),
	                                    plain, plen, &raw),
	                 0);
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
		assert_int_equal(
		    crypto_key_iv(bits, CRYPTO_MD_MD5, salt, pass, strlen(pass), key, iv), 0);
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
	assert_int_equal(
	    crypto_openssl_enc(196, CRYPTO_MD_MD5, gs_salt, "x", 1, (const uint8_t *)"a", 1, &out),
	    -EINVAL);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_crypto_rejects_unknown_digest(void **state)
{
	uint8_t key[CRYPTO_KEY_MAX], iv[CRYPTO_IV_LEN];
	struct buf out;

	(void)state;
	buf_init(&out);
	assert_int_equal(crypto_openssl_enc(256, (enum crypto_md)7, gs_salt, "x", 1,
	                                    (const uint8_t *)"a", 1, &out),
	                 -EINVAL);
	assert_int_equal(out.len, 0);
	assert_int_equal(crypto_key_iv(256, (enum crypto_md)7, gs_salt, "x", 1, key, iv), -EINVAL);
	buf_free(&out);
}

/* ---- Cisco: `openssl enc -aes-256-cbc -md md5|sha256` (formats/cisco.md §6.2) ---- */

static const uint8_t cisco_c1_salt[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t cisco_c2_salt[8] = { 2, 3, 4, 5, 6, 7, 8, 9 };
static const char cisco_pass[] = "SecretPhrase1234";

static void check_cisco_vector(enum crypto_md md, const uint8_t salt[8], const char *plain_file,
                               const char *enc_file)
{
	size_t plen, elen;
	uint8_t *plain = read_vector(plain_file, &plen);
	uint8_t *enc = read_vector(enc_file, &elen);
	struct buf out;

	buf_init(&out);
	assert_int_equal(
	    crypto_openssl_enc(256, md, salt, cisco_pass, strlen(cisco_pass), plain, plen, &out),
	    0);
	assert_int_equal(crypto_enc_size(plen), elen);
	assert_int_equal(out.len, elen);
	assert_memory_equal(out.data, enc, elen);
	buf_free(&out);
	free(plain);
	free(enc);
}

static void test_crypto_reproduces_cisco_md5_vector(void **state)
{
	(void)state;
	check_cisco_vector(CRYPTO_MD_MD5, cisco_c1_salt, "cisco/C1.000e08aabbcc.plain.xml",
	                   "cisco/C1.000e08aabbcc.enc-md5.cfg");
}

static void test_crypto_reproduces_cisco_sha256_vector(void **state)
{
	(void)state;
	check_cisco_vector(CRYPTO_MD_SHA256, cisco_c1_salt, "cisco/C1.000e08aabbcc.plain.xml",
	                   "cisco/C1.000e08aabbcc.enc-sha256.cfg");
}

/* C2: the profile compressed first, then encrypted (formats/cisco.md §6.1). */
static void test_crypto_reproduces_cisco_gzip_md5_vector(void **state)
{
	(void)state;
	check_cisco_vector(CRYPTO_MD_MD5, cisco_c2_salt, "cisco/C2.000e08aabbcc.plain.xml.gz",
	                   "cisco/C2.000e08aabbcc.gz.enc-md5.cfg");
}

/* C*.keyiv-*.txt: "salt=...", "key=...", "iv =..." as `openssl enc -p` prints them. */
static void check_cisco_key_iv(enum crypto_md md, const char *file)
{
	size_t len;
	char *text = (char *)read_vector(file, &len);
	char salt_hex[32], key_hex[80], iv_hex[40];
	uint8_t salt[8], want_key[32], want_iv[16], key[CRYPTO_KEY_MAX], iv[CRYPTO_IV_LEN];

	assert_int_equal(sscanf(text, "salt=%31s key=%79s iv =%39s", salt_hex, key_hex, iv_hex), 3);
	assert_int_equal(unhex(salt_hex, salt, sizeof(salt)), 8);
	assert_int_equal(unhex(key_hex, want_key, sizeof(want_key)), 32);
	assert_int_equal(unhex(iv_hex, want_iv, sizeof(want_iv)), 16);
	assert_int_equal(crypto_key_iv(256, md, salt, cisco_pass, strlen(cisco_pass), key, iv), 0);
	assert_memory_equal(key, want_key, 32);
	assert_memory_equal(iv, want_iv, 16);
	free(text);
}

static void test_crypto_derives_cisco_key_and_iv(void **state)
{
	(void)state;
	check_cisco_key_iv(CRYPTO_MD_MD5, "cisco/C1.keyiv-md5.txt");
	check_cisco_key_iv(CRYPTO_MD_SHA256, "cisco/C1.keyiv-sha256.txt");
	check_cisco_key_iv(CRYPTO_MD_MD5, "cisco/C2.keyiv-md5.txt");
}

/* ---- Yealink: AES-128-ECB, the key used as it is (formats/yealink.md §5.1) ---- */

static const char yealink_key[] = "Yk7pQ2vN9xR4sT1w";
static const char yealink_builtin_key[] = "EKs35XacP6eybA25";

static void check_yealink_vector(const char *key, enum crypto_pad pad, const uint8_t *plain,
                                 size_t plen, const char *enc_file)
{
	size_t elen;
	uint8_t *enc = read_vector(enc_file, &elen);
	struct buf out;

	assert_int_equal(strlen(key), CRYPTO_AES128_KEY_LEN);
	buf_init(&out);
	assert_int_equal(crypto_aes128_ecb((const uint8_t *)key, pad, plain, plen, &out), 0);
	assert_int_equal(crypto_ecb_size(pad, plen), elen);
	assert_int_equal(out.len, elen);
	assert_memory_equal(out.data, enc, elen);
	buf_free(&out);
	free(enc);
}

static void test_crypto_reproduces_yealink_space_padded_vector(void **state)
{
	size_t plen;
	uint8_t *plain = read_vector("yealink/Y1.001565a1b2c3.plain.cfg", &plen);

	(void)state;
	assert_int_not_equal(plen % 16, 0); /* the case the space padding leaves open is avoided */
	check_yealink_vector(yealink_key, CRYPTO_PAD_SPACE, plain, plen,
	                     "yealink/Y1.001565a1b2c3.enc-space.cfg");
	free(plain);
}

static void test_crypto_reproduces_yealink_pkcs7_vector(void **state)
{
	size_t plen;
	uint8_t *plain = read_vector("yealink/Y1.001565a1b2c3.plain.cfg", &plen);

	(void)state;
	check_yealink_vector(yealink_key, CRYPTO_PAD_PKCS7, plain, plen,
	                     "yealink/Y1.001565a1b2c3.enc-pkcs7.cfg");
	free(plain);
}

/* <mac>_Security.enc: the 16 key characters under the built-in key, no padding block. */
static void test_crypto_reproduces_yealink_security_enc_vector(void **state)
{
	(void)state;
	check_yealink_vector(yealink_builtin_key, CRYPTO_PAD_NONE, (const uint8_t *)yealink_key,
	                     strlen(yealink_key), "yealink/Y1.001565a1b2c3_Security.enc");
}

static void test_crypto_ecb_sizes(void **state)
{
	static const struct {
		size_t len, none, space, pkcs7;
	} rows[] = {
		{ 0, 0, 0, 16 },    { 1, 1, 16, 16 },   { 15, 15, 16, 16 },
		{ 16, 16, 16, 32 }, { 17, 17, 32, 32 }, { 563, 563, 576, 576 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(crypto_ecb_size(CRYPTO_PAD_NONE, rows[i].len), rows[i].none);
		assert_int_equal(crypto_ecb_size(CRYPTO_PAD_SPACE, rows[i].len), rows[i].space);
		assert_int_equal(crypto_ecb_size(CRYPTO_PAD_PKCS7, rows[i].len), rows[i].pkcs7);
	}
	assert_int_equal(crypto_ecb_size((enum crypto_pad)7, 16), 0);
}

/* The bytes after the whole blocks: spaces, or the PKCS#7 count; appended after what out holds. */
static void test_crypto_ecb_pads_the_last_block(void **state)
{
	const uint8_t *key = (const uint8_t *)yealink_key;
	uint8_t text[32], padded[48];
	struct buf got, want;

	(void)state;
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)('a' + i % 26);
	buf_init(&got);
	buf_init(&want);
	/* space: 21 bytes + 11 x 0x20 == the 32 padded bytes without padding */
	memcpy(padded, text, 21);
	memset(padded + 21, ' ', 11);
	buf_append(&got, "head", 4);
	assert_int_equal(crypto_aes128_ecb(key, CRYPTO_PAD_SPACE, text, 21, &got), 0);
	assert_int_equal(crypto_aes128_ecb(key, CRYPTO_PAD_NONE, padded, 32, &want), 0);
	assert_int_equal(got.len, 4 + 32);
	assert_memory_equal(got.data, "head", 4);
	assert_memory_equal(got.data + 4, want.data, 32);
	/* space on whole blocks adds nothing (callers avoid the case: crypto.h) */
	buf_reset(&got);
	buf_reset(&want);
	assert_int_equal(crypto_aes128_ecb(key, CRYPTO_PAD_SPACE, text, 32, &got), 0);
	assert_int_equal(crypto_aes128_ecb(key, CRYPTO_PAD_NONE, text, 32, &want), 0);
	assert_int_equal(got.len, 32);
	assert_memory_equal(got.data, want.data, 32);
	/* PKCS#7 on whole blocks: one more block of 16 x 0x10 */
	buf_reset(&got);
	buf_reset(&want);
	memcpy(padded, text, 32);
	memset(padded + 32, 16, 16);
	assert_int_equal(crypto_aes128_ecb(key, CRYPTO_PAD_PKCS7, text, 32, &got), 0);
	assert_int_equal(crypto_aes128_ecb(key, CRYPTO_PAD_NONE, padded, 48, &want), 0);
	assert_int_equal(got.len, 48);
	assert_memory_equal(got.data, want.data, 48);
	/* empty: nothing with space, a whole padding block with PKCS#7 */
	buf_reset(&got);
	assert_int_equal(crypto_aes128_ecb(key, CRYPTO_PAD_SPACE, NULL, 0, &got), 0);
	assert_int_equal(got.len, 0);
	assert_int_equal(crypto_aes128_ecb(key, CRYPTO_PAD_PKCS7, NULL, 0, &got), 0);
	assert_int_equal(got.len, 16);
	assert_memory_equal(got.data, want.data + 32, 16);
	buf_free(&got);
	buf_free(&want);
}

static void test_crypto_ecb_rejects_partial_block_without_padding(void **state)
{
	const uint8_t text[17] = { 0 };
	struct buf out;

	(void)state;
	buf_init(&out);
	buf_append(&out, "head", 4);
	assert_int_equal(
	    crypto_aes128_ecb((const uint8_t *)yealink_key, CRYPTO_PAD_NONE, text, 17, &out),
	    -EINVAL);
	assert_int_equal(
	    crypto_aes128_ecb((const uint8_t *)yealink_key, (enum crypto_pad)7, text, 16, &out),
	    -EINVAL);
	assert_int_equal(out.len, 4);
	buf_free(&out);
}

/* ---- gzip_deterministic (formats/cisco.md §6.1) ---- */

static const uint8_t gzip_n_9_header[10] = { 0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0x03 };

/* The gzip tests' inputs: the C1 profile, and 1 MiB that deflate cannot shrink. */
struct gzip_inputs {
	uint8_t *plain, *rnd;
	size_t plen, rlen;
};

static int gzip_setup(void **state)
{
	struct gzip_inputs *in = calloc(1, sizeof(*in));
	uint32_t x = 0x9e3779b9u; /* xorshift32 from a fixed seed */

	if (in == NULL)
		return -1;
	in->plain = read_vector("cisco/C1.000e08aabbcc.plain.xml", &in->plen);
	in->rlen = (size_t)1 << 20;
	in->rnd = malloc(in->rlen);
	if (in->rnd == NULL) {
		free(in->plain);
		free(in);
		return -1;
	}
	for (size_t i = 0; i < in->rlen; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		in->rnd[i] = (uint8_t)x;
	}
	*state = in;
	return 0;
}

static int gzip_teardown(void **state)
{
	struct gzip_inputs *in = *state;

	free(in->plain);
	free(in->rnd);
	free(in);
	return 0;
}

/* zlib's gzip decoder gives exactly want back, and nothing follows the member. */
static void assert_gunzips_to(const struct buf *gz, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len + 1);
	z_stream zs;

	assert_non_null(got);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
	zs.next_in = gz->data;
	zs.avail_in = (uInt)gz->len;
	zs.next_out = got;
	zs.avail_out = (uInt)len + 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	assert_int_equal(zs.total_out, len);
	if (len > 0)
		assert_memory_equal(got, want, len);
	inflateEnd(&zs);
	free(got);
}

static void test_gzip_writes_the_gzip_n_9_header_and_trailer(void **state)
{
	const struct gzip_inputs *in = *state;
	size_t glen;
	uint8_t *gz = read_vector("cisco/C2.000e08aabbcc.plain.xml.gz", &glen);
	struct buf out;

	buf_init(&out);
	assert_int_equal(gzip_deterministic(in->plain, in->plen, &out), 0);
	assert_true(out.len > 18 && glen > 18);
	assert_memory_equal(out.data, gzip_n_9_header, 10);
	/* header, CRC-32 and ISIZE as `gzip -n -9` wrote them for the same text (vector C2) */
	assert_memory_equal(out.data, gz, 10);
	assert_memory_equal(out.data + out.len - 8, gz + glen - 8, 8);
	buf_free(&out);
	free(gz);
}

static void test_gzip_inflates_back(void **state)
{
	const struct gzip_inputs *in = *state;
	struct buf out;

	buf_init(&out);
	assert_int_equal(gzip_deterministic(NULL, 0, &out), 0);
	assert_memory_equal(out.data, gzip_n_9_header, 10);
	assert_gunzips_to(&out, NULL, 0);
	buf_reset(&out);
	assert_int_equal(gzip_deterministic(in->plain, in->plen, &out), 0);
	assert_true(out.len < in->plen);
	assert_gunzips_to(&out, in->plain, in->plen);
	buf_reset(&out);
	assert_int_equal(gzip_deterministic(in->rnd, in->rlen, &out), 0);
	assert_memory_equal(out.data, gzip_n_9_header, 10);
	assert_gunzips_to(&out, in->rnd, in->rlen);
	buf_free(&out);
}

/* The same bytes on every call, also when out already holds something (it is appended). */
static void test_gzip_is_deterministic(void **state)
{
	const struct gzip_inputs *in = *state;
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	assert_int_equal(gzip_deterministic(in->plain, in->plen, &a), 0);
	assert_int_equal(gzip_deterministic(in->rnd, in->rlen, &a), 0);
	buf_append(&b, "head", 4);
	assert_int_equal(gzip_deterministic(in->plain, in->plen, &b), 0);
	assert_int_equal(gzip_deterministic(in->rnd, in->rlen, &b), 0);
	assert_int_equal(b.len, 4 + a.len);
	assert_memory_equal(b.data, "head", 4);
	assert_memory_equal(b.data + 4, a.data, a.len);
	buf_free(&a);
	buf_free(&b);
}

/* gzip(1) reads it too; skipped where there is no gzip. */
static void test_gzip_output_reads_with_gzip_dc(void **state)
{
	const struct gzip_inputs *in = *state;
	char path[] = "/tmp/test_crypto.XXXXXX", cmd[64];
	struct buf out;
	uint8_t *got;
	size_t n;
	FILE *f;
	int fd;

	if (system("command -v gzip >/dev/null 2>&1") != 0)
		skip();
	got = malloc(in->plen + 1);
	assert_non_null(got);
	buf_init(&out);
	assert_int_equal(gzip_deterministic(in->plain, in->plen, &out), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, out.data, out.len), (ssize_t)out.len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "gzip -dc %s", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(got, 1, in->plen + 1, f);
	assert_int_equal(pclose(f), 0);
	unlink(path);
	assert_int_equal(n, in->plen);
	assert_memory_equal(got, in->plain, in->plen);
	buf_free(&out);
	free(got);
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
		cmocka_unit_test(test_crypto_rejects_unknown_digest),
		cmocka_unit_test(test_crypto_reproduces_cisco_md5_vector),
		cmocka_unit_test(test_crypto_reproduces_cisco_sha256_vector),
		cmocka_unit_test(test_crypto_reproduces_cisco_gzip_md5_vector),
		cmocka_unit_test(test_crypto_derives_cisco_key_and_iv),
		cmocka_unit_test(test_crypto_reproduces_yealink_space_padded_vector),
		cmocka_unit_test(test_crypto_reproduces_yealink_pkcs7_vector),
		cmocka_unit_test(test_crypto_reproduces_yealink_security_enc_vector),
		cmocka_unit_test(test_crypto_ecb_sizes),
		cmocka_unit_test(test_crypto_ecb_pads_the_last_block),
		cmocka_unit_test(test_crypto_ecb_rejects_partial_block_without_padding),
		cmocka_unit_test_setup_teardown(test_gzip_writes_the_gzip_n_9_header_and_trailer,
		                                gzip_setup, gzip_teardown),
		cmocka_unit_test_setup_teardown(test_gzip_inflates_back, gzip_setup, gzip_teardown),
		cmocka_unit_test_setup_teardown(test_gzip_is_deterministic, gzip_setup,
		                                gzip_teardown),
		cmocka_unit_test_setup_teardown(test_gzip_output_reads_with_gzip_dc, gzip_setup,
		                                gzip_teardown),
		cmocka_unit_test(test_crypto_salt_depends_on_password_and_plaintext),
		cmocka_unit_test(test_crypto_base64_wraps_at_64_columns),
	};

	return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
