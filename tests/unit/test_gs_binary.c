/*
 * test_gs_binary.c - the Grandstream legacy binary `cfg<mac>` encoder (backend/gs_binary.h)
 * checked against the vendor facts of formats/grandstream.md §1:
 *   - the shared vectors grandstream/cfg000b82123456.L1-basic (layout A) and .G1-basic
 *     (layout B, written by Grandstream's own GS_CFG_GEN with R = 0x2346) reproduced byte
 *     for byte from the pairs and order their .txt files list;
 *   - URL encoding = java.net.URLEncoder.encode(v, "UTF-8") (§1.3 rules and examples);
 *   - round trips through a decoder written here from §1.2-§1.5 alone (length field, file
 *     checksum, CR LF CR LF, MAC / FF 01 + R, AES-128-CBC key and IV, body checksum, zero
 *     padding, `&gnkey=0b82` last, URL decoding), which must also read both vendor vectors;
 *   - gs_binary_derive_r (never 0, stable, depends on MAC and body) and the limits (r = 0,
 *     GS_BINARY_MAX = 131,070 bytes = 65,535 words, the size functions).
 * Every expected value comes from the document or the vector files, never from the encoder.
 */
#include "testutil.h"

#include <openssl/evp.h>

#include "backend/buf.h"
#include "backend/gs_binary.h"

#define VEC_MAC   0x000b82123456ULL /* both shared vectors */
#define GNKEY     "&gnkey=0b82"
#define GNKEY_LEN 11
#define HDR_LEN   16
#define MAX_PAIRS 64
#define LIMIT_A   131054 /* largest body for layout A: 16 + 131,054 = 131,070 */
#define LIMIT_B   131040 /* largest body for layout B: 16 + 8,190 * 16 = 131,056 */

enum layout { LAYOUT_A, LAYOUT_B };

/* What the decoder gives back: the pairs in file order, values URL-decoded (malloc'd). */
struct decoded {
	size_t n;
	char *name[MAX_PAIRS];
	char *value[MAX_PAIRS];
};

/* ---- the independent decoder (formats/grandstream.md §1.2-§1.5) ---- */

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* §1.2: the sum of the big-endian 16-bit words of p[0..len), len even, mod 2^16. */
static unsigned word_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += be16(p + i);
	return s & 0xffff;
}

static void mac_bytes(uint64_t mac, uint8_t m[6])
{
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)(mac >> (40 - 8 * i));
}

/* §1.5: the IV is "lixiabingweixian" XOR "gweiningzhangwei", computed, not copied. */
static void gapslite_iv(uint8_t iv[16])
{
	static const char a[] = "lixiabingweixian";
	static const char b[] = "gweiningzhangwei";

	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(a[i] ^ b[i]);
}

/* §1.5: key = header bytes 2..3 || mac || header bytes 6..11 || uint16BE(mac[2..5] mod R). */
static void gapslite_key(const uint8_t *hdr, const uint8_t m[6], uint8_t key[16])
{
	unsigned r = be16(hdr + 8);
	uint32_t rem = be32(m + 2) % r;

	memcpy(key, hdr + 2, 2);
	memcpy(key + 2, m, 6);
	memcpy(key + 8, hdr + 6, 6);
	key[14] = (uint8_t)(rem >> 8);
	key[15] = (uint8_t)rem;
}

static int aes128_cbc_decrypt(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                              size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok;

	ok = ctx != NULL && EVP_DecryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_DecryptUpdate(ctx, out, &l1, in, (int)n) == 1 &&
	     EVP_DecryptFinal_ex(ctx, out + l1, &l2) == 1 && (size_t)l1 + (size_t)l2 == n;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* §1.3: the characters URLEncoder leaves alone. */
static int unreserved(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '*' || c == '_';
}

static int upper_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * URL-decodes s[0..len) the way the firmware must read URLEncoder output: '+' is a space and
 * %XX (upper-case hex) one byte. Anything URLEncoder would not have written (a reserved
 * character left as is, lower-case hex, %XX of an unreserved character or of a space) is
 * an error. Returns a malloc'd string, or NULL with *err set.
 */
static char *url_decode(const char *s, size_t len, const char **err)
{
	char *v = malloc(len + 1);
	size_t o = 0;

	assert_non_null(v);
	for (size_t i = 0; i < len; i++) {
		int hi, lo, c;

		if (s[i] == '+') {
			v[o++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= len) {
				*err = "truncated %XX escape";
				goto bad;
			}
			hi = upper_hex((unsigned char)s[i + 1]);
			lo = upper_hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0) {
				*err = "%XX escape is not two upper-case hex digits";
				goto bad;
			}
			c = hi << 4 | lo;
			if (unreserved(c) || c == ' ') {
				*err = "%XX escape of a character URLEncoder leaves alone";
				goto bad;
			}
			v[o++] = (char)c;
			i += 2;
		} else if (unreserved((unsigned char)s[i])) {
			v[o++] = s[i];
		} else {
			*err = "character URLEncoder would have escaped";
			goto bad;
		}
	}
	v[o] = '\0';
	return v;
bad:
	free(v);
	return NULL;
}

static void decoded_free(struct decoded *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->name[i]);
		free(d->value[i]);
	}
	d->n = 0;
}

/* §1.3: `Pnnn=value&...&gnkey=0b82`, gnkey last; fills d. */
static const char *split_body(const char *p, size_t len, struct decoded *d)
{
	const char *end;

	if (len <= GNKEY_LEN || memcmp(p + len - GNKEY_LEN, GNKEY, GNKEY_LEN) != 0)
		return "body does not end with &gnkey=0b82";
	end = p + len - GNKEY_LEN;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *seg_end = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(seg_end - p));
		const char *err = NULL;
		char *value;

		if (eq == NULL)
			return "pair without '='";
		if (eq - p < 2 || *p != 'P')
			return "pair name is not P followed by digits";
		for (const char *q = p + 1; q < eq; q++)
			if (*q < '0' || *q > '9')
				return "pair name is not P followed by digits";
		if (d->n == MAX_PAIRS)
			return "too many pairs for the test decoder";
		value = url_decode(eq + 1, (size_t)(seg_end - eq - 1), &err);
		if (value == NULL)
			return err;
		d->name[d->n] = strndup(p, (size_t)(eq - p));
		assert_non_null(d->name[d->n]);
		d->value[d->n++] = value;
		if (amp == NULL)
			break;
		p = amp + 1;
		if (p == end)
			return "empty pair before &gnkey=0b82";
	}
	if (d->n == 0)
		return "no pair before &gnkey=0b82";
	return NULL;
}

/* Checks framing and layout of file[0..len) for mac and returns the pairs; NULL or an error. */
static const char *decode_file(const uint8_t *f, size_t len, uint64_t mac, enum layout lay,
                               struct decoded *d)
{
	uint8_t m[6], key[16], iv[16];
	uint8_t *plain;
	const char *err = NULL;
	size_t n, plen;

	memset(d, 0, sizeof(*d));
	if (len < HDR_LEN || len % 2 != 0)
		return "file shorter than the header or of odd length";
	if (len > GS_BINARY_MAX)
		return "file larger than GS_BINARY_MAX";
	if ((uint64_t)be32(f) * 2 != len)
		return "length field (bytes 0..3) is not the file length in 16-bit words";
	if (word_sum(f, len) != 0)
		return "file checksum: the words of the file do not sum to 0 mod 2^16";
	if (memcmp(f + 12, "\r\n\r\n", 4) != 0)
		return "bytes 12..15 are not 0D 0A 0D 0A";
	mac_bytes(mac, m);
	n = len - HDR_LEN;
	plain = malloc(n + 1);
	assert_non_null(plain);
	if (lay == LAYOUT_A) {
		if (memcmp(f + 6, m, 6) != 0) {
			err = "layout A: bytes 6..11 are not the MAC";
			goto out;
		}
		memcpy(plain, f + HDR_LEN, n);
	} else {
		if (f[6] != 0xff || f[7] != 0x01) {
			err = "layout B: bytes 6..7 are not FF 01";
			goto out;
		}
		if (be16(f + 8) == 0) {
			err = "layout B: R (bytes 8..9) is 0";
			goto out;
		}
		if (n == 0 || n % 16 != 0) {
			err = "layout B: encrypted body is not a non-empty multiple of 16 bytes";
			goto out;
		}
		gapslite_key(f, m, key);
		gapslite_iv(iv);
		if (aes128_cbc_decrypt(key, iv, f + HDR_LEN, n, plain) < 0) {
			err = "layout B: AES-128-CBC decryption failed";
			goto out;
		}
		if (((word_sum(plain, n) + be16(f + 10)) & 0xffff) != 0) {
			err = "layout B: body checksum (bytes 10..11) does not match the plaintext";
			goto out;
		}
	}
	plen = n;
	while (plen > 0 && plain[plen - 1] == 0)
		plen--;
	if (lay == LAYOUT_A && n - plen != (plen & 1)) {
		err = "layout A: padding is not one 00 byte exactly when the body is odd";
		goto out;
	}
	if (lay == LAYOUT_B && n != (plen + 15) / 16 * 16) {
		err = "layout B: zero padding is not the minimum to a multiple of 16";
		goto out;
	}
	if (memchr(plain, 0, plen) != NULL) {
		err = "NUL byte inside the body";
		goto out;
	}
	err = split_body((const char *)plain, plen, d);
out:
	free(plain);
	if (err != NULL)
		decoded_free(d);
	return err;
}

static void decode_ok(const uint8_t *f, size_t len, uint64_t mac, enum layout lay,
                      struct decoded *d)
{
	const char *err = decode_file(f, len, mac, lay, d);

	if (err != NULL)
		fail_msg("layout %c decoder: %s", lay == LAYOUT_A ? 'A' : 'B', err);
}

static void expect_pairs(const struct decoded *d, const struct gs_pair *p, size_t n)
{
	assert_int_equal(d->n, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(d->name[i], p[i].name);
		assert_string_equal(d->value[i], p[i].value);
	}
}

/* ---- helpers around the encoder ---- */

/* §1.2/§1.4/§1.5: the file sizes the document gives for a body of len bytes. */
static size_t doc_size_a(size_t len)
{
	return HDR_LEN + len + (len & 1);
}

static size_t doc_size_b(size_t len)
{
	return HDR_LEN + (len + 15) / 16 * 16;
}

static void make_body(const struct gs_pair *p, size_t n, struct buf *out)
{
	buf_init(out);
	gs_binary_body(p, n, out);
	assert_int_equal(buf_status(out), 0);
}

/* A one-pair body "P1=aaa...&gnkey=0b82" of exactly len bytes (len >= 14). */
static char *long_value(size_t len)
{
	char *v = malloc(len + 1);

	assert_non_null(v);
	memset(v, 'a', len - 3 - GNKEY_LEN);
	v[len - 3 - GNKEY_LEN] = '\0';
	return v;
}

static void make_long_body(size_t len, struct buf *out)
{
	char *v = long_value(len);
	const struct gs_pair p[] = { { "P1", v } };

	make_body(p, 1, out);
	assert_int_equal(out->len, len);
	free(v);
}

/* Encodes body in a layout (R from gs_binary_derive_r for B); the file is appended to out. */
static int encode(enum layout lay, uint64_t mac, const struct buf *body, struct buf *out)
{
	if (lay == LAYOUT_A)
		return gs_binary_plain(mac, body->data, body->len, out);
	return gs_binary_gapslite(mac, body->data, body->len,
	                          gs_binary_derive_r(mac, body->data, body->len), out);
}

/* Encodes pairs, decodes the file with the test decoder, expects the same pairs back in
 * the same order and the documented file size. Returns the file size. */
static size_t round_trip(enum layout lay, uint64_t mac, const struct gs_pair *p, size_t n)
{
	struct buf body, file;
	struct decoded d;
	size_t size;

	make_body(p, n, &body);
	buf_init(&file);
	assert_int_equal(encode(lay, mac, &body, &file), 0);
	size = file.len;
	if (lay == LAYOUT_A) {
		assert_int_equal(size, doc_size_a(body.len));
		assert_int_equal(size, gs_binary_plain_size(body.len));
	} else {
		assert_int_equal(size, doc_size_b(body.len));
		assert_int_equal(size, gs_binary_gapslite_size(body.len));
		assert_int_equal(be16(file.data + 8), gs_binary_derive_r(mac, body.data, body.len));
	}
	decode_ok(file.data, file.len, mac, lay, &d);
	expect_pairs(&d, p, n);
	decoded_free(&d);
	buf_free(&body);
	buf_free(&file);
	return size;
}

static void round_trip_both(uint64_t mac, const struct gs_pair *p, size_t n)
{
	round_trip(LAYOUT_A, mac, p, n);
	round_trip(LAYOUT_B, mac, p, n);
}

/* The rest of the line after `key` in a vector's .txt file (malloc'd). */
static char *txt_line(const char *txt, const char *key)
{
	const char *p = strstr(txt, key);
	size_t n;

	if (p == NULL)
		fail_msg("vector text has no \"%s\"", key);
	p += strlen(key);
	n = strcspn(p, "\n");
	return strndup(p, n);
}

/* The hex after "expected file (hex):" in a vector's .txt file, decoded into out. */
static size_t txt_expected_file(const char *txt, uint8_t *out, size_t cap)
{
	const char *p = strstr(txt, "expected file (hex):");

	assert_non_null(p);
	return unhex(p + strlen("expected file (hex):"), out, cap);
}

static char *url(const char *value)
{
	struct buf out;
	char *s;

	buf_init(&out);
	gs_url_encode(value, &out);
	assert_int_equal(buf_status(&out), 0);
	s = strndup(out.len > 0 ? (const char *)out.data : "", out.len); /* data: NULL if empty */
	assert_non_null(s);
	assert_int_equal(strlen(s), out.len);
	buf_free(&out);
	return s;
}

static void expect_url(const char *value, const char *want)
{
	char *got = url(value);

	assert_string_equal(got, want);
	free(got);
}

/* ---- vectors ---- */

static const struct gs_pair l1_pairs[] = {
	{ "P2", "admin" },
	{ "P47", "192.168.1.10" },
	{ "P35", "1001" },
};

static const struct gs_pair g1_pairs[] = {
	{ "P35", "1001" },
	{ "P47", "192.168.1.10" },
	{ "P2", "admin" },
};

static void test_gs_binary_reproduces_vector_l1_layout_a(void **state)
{
	size_t len, tlen;
	uint8_t *want = read_vector("grandstream/cfg000b82123456.L1-basic.bin", &len);
	char *txt = (char *)read_vector("grandstream/cfg000b82123456.L1-basic.txt", &tlen);
	char *want_body = txt_line(txt, "body (ASCII, without padding): ");
	uint8_t from_txt[128];
	struct buf body, file;

	(void)state;
	assert_int_equal(txt_expected_file(txt, from_txt, sizeof(from_txt)), len);
	assert_memory_equal(from_txt, want, len);
	make_body(l1_pairs, 3, &body);
	assert_int_equal(body.len, strlen(want_body));
	assert_memory_equal(body.data, want_body, body.len);
	buf_init(&file);
	assert_int_equal(gs_binary_plain(VEC_MAC, body.data, body.len, &file), 0);
	assert_int_equal(file.len, len);
	assert_memory_equal(file.data, want, len);
	buf_free(&body);
	buf_free(&file);
	free(want_body);
	free(txt);
	free(want);
}

static void test_gs_binary_reproduces_vector_g1_layout_b(void **state)
{
	size_t len, tlen;
	uint8_t *want = read_vector("grandstream/cfg000b82123456.G1-basic.bin", &len);
	char *txt = (char *)read_vector("grandstream/cfg000b82123456.G1-basic.txt", &tlen);
	char *want_body = txt_line(txt, "plaintext body: ");
	char *r_text = txt_line(txt, "tests must inject it): ");
	uint8_t from_txt[128];
	struct buf body, file;
	uint16_t r = (uint16_t)strtoul(r_text, NULL, 16);

	(void)state;
	assert_int_equal(r, 0x2346);
	assert_int_equal(txt_expected_file(txt, from_txt, sizeof(from_txt)), len);
	assert_memory_equal(from_txt, want, len);
	make_body(g1_pairs, 3, &body);
	assert_int_equal(body.len, strlen(want_body));
	assert_memory_equal(body.data, want_body, body.len);
	buf_init(&file);
	assert_int_equal(gs_binary_gapslite(VEC_MAC, body.data, body.len, r, &file), 0);
	assert_int_equal(file.len, len);
	assert_memory_equal(file.data, want, len);
	buf_free(&body);
	buf_free(&file);
	free(r_text);
	free(want_body);
	free(txt);
	free(want);
}

/* The decoder itself must read what the vendor tool and the reference ports wrote. */
static void test_gs_binary_decoder_reads_vendor_vectors(void **state)
{
	size_t glen, llen;
	uint8_t *g = read_vector("grandstream/cfg000b82123456.G1-basic.bin", &glen);
	uint8_t *l = read_vector("grandstream/cfg000b82123456.L1-basic.bin", &llen);
	struct decoded d;

	(void)state;
	decode_ok(g, glen, VEC_MAC, LAYOUT_B, &d);
	expect_pairs(&d, g1_pairs, 3);
	decoded_free(&d);
	decode_ok(l, llen, VEC_MAC, LAYOUT_A, &d);
	expect_pairs(&d, l1_pairs, 3);
	decoded_free(&d);
	free(g);
	free(l);
}

/* Recomputes bytes 4..5 after the test changed the file (§1.2). */
static void fix_file_checksum(uint8_t *f, size_t len)
{
	unsigned s;

	f[4] = f[5] = 0;
	s = (0x10000 - word_sum(f, len)) & 0xffff;
	f[4] = (uint8_t)(s >> 8);
	f[5] = (uint8_t)s;
}

static void expect_rejected(const uint8_t *f, size_t len, uint64_t mac, enum layout lay)
{
	struct decoded d;

	assert_non_null(decode_file(f, len, mac, lay, &d));
}

/* ...and must not accept damaged files, or the round trips below would prove nothing. */
static void test_gs_binary_decoder_rejects_damaged_files(void **state)
{
	size_t glen, llen;
	uint8_t *g = read_vector("grandstream/cfg000b82123456.G1-basic.bin", &glen);
	uint8_t *l = read_vector("grandstream/cfg000b82123456.L1-basic.bin", &llen);
	uint8_t *c = malloc(glen > llen ? glen : llen);

	(void)state;
	assert_non_null(c);
	expect_rejected(l, llen, VEC_MAC + 1, LAYOUT_A); /* another MAC */
	expect_rejected(g, glen, VEC_MAC + 1, LAYOUT_B);
	expect_rejected(l, llen, VEC_MAC, LAYOUT_B); /* wrong layout */
	expect_rejected(g, glen, VEC_MAC, LAYOUT_A);
	expect_rejected(l, llen - 2, VEC_MAC, LAYOUT_A); /* truncated */
	memcpy(c, l, llen);
	c[20] ^= 0x01; /* body byte, file checksum not fixed */
	expect_rejected(c, llen, VEC_MAC, LAYOUT_A);
	c[20] = '~'; /* a character URLEncoder escapes, checksum fixed */
	fix_file_checksum(c, llen);
	expect_rejected(c, llen, VEC_MAC, LAYOUT_A);
	memcpy(c, g, glen);
	c[9] ^= 0x01; /* R, file checksum fixed: other key */
	fix_file_checksum(c, glen);
	expect_rejected(c, glen, VEC_MAC, LAYOUT_B);
	memcpy(c, g, glen);
	c[11] ^= 0x01; /* body checksum */
	fix_file_checksum(c, glen);
	expect_rejected(c, glen, VEC_MAC, LAYOUT_B);
	memcpy(c, g, glen);
	c[8] = c[9] = 0; /* R = 0 */
	fix_file_checksum(c, glen);
	expect_rejected(c, glen, VEC_MAC, LAYOUT_B);
	memcpy(c, g, glen);
	c[3] ^= 0x01; /* length field */
	fix_file_checksum(c, glen);
	expect_rejected(c, glen, VEC_MAC, LAYOUT_B);
	free(c);
	free(g);
	free(l);
}

/* ---- URL encoding (§1.3) ---- */

static void test_gs_binary_url_encodes_doc_examples(void **state)
{
	(void)state;
	expect_url("s3cr&t=1 x", "s3cr%26t%3D1+x");
	expect_url("M\xc3\xbcller, J\xc3\xbcrgen", "M%C3%BCller%2C+J%C3%BCrgen");
	expect_url("CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00",
	           "CET-1CEST-2%2CM3.5.0%2F02%3A00%3A00%2CM10.5.0%2F03%3A00%3A00");
	expect_url("", "");
}

static void test_gs_binary_url_encodes_ascii_like_java(void **state)
{
	char in[2] = { 0, 0 };

	(void)state;
	expect_url("ABCXYZabcxyz0189.-*_", "ABCXYZabcxyz0189.-*_");
	expect_url(" ", "+");
	expect_url("~", "%7E");
	expect_url("/", "%2F");
	expect_url("a b  c", "a+b++c");
	expect_url("%+", "%25%2B");
	expect_url("\t\r\n", "%09%0D%0A");
	expect_url("\x7f?#[]", "%7F%3F%23%5B%5D");
	/* every ASCII character by the rule: unreserved as is, space '+', the rest %XX */
	for (int c = 1; c < 0x80; c++) {
		char want[4];

		in[0] = (char)c;
		if (unreserved(c))
			snprintf(want, sizeof(want), "%c", c);
		else if (c == ' ')
			snprintf(want, sizeof(want), "+");
		else
			snprintf(want, sizeof(want), "%%%02X", (unsigned)c);
		expect_url(in, want);
	}
}

static void test_gs_binary_url_encodes_each_utf8_byte_upper_case(void **state)
{
	(void)state;
	expect_url("\xc3\xa9", "%C3%A9");               /* é */
	expect_url("\xe2\x82\xac 5", "%E2%82%AC+5");    /* € */
	expect_url("\xf0\x9f\x98\x80", "%F0%9F%98%80"); /* U+1F600, a surrogate pair in Java */
	expect_url("\xc2\xa0\xc3\xbf", "%C2%A0%C3%BF"); /* U+00A0, U+00FF */
	expect_url("\xe6\x97\xa5\xe6\x9c\xac", "%E6%97%A5%E6%9C%AC"); /* 日本 */
}

static void test_gs_binary_url_encode_appends(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out);
	buf_puts(&out, "P34=");
	gs_url_encode("a b", &out);
	assert_int_equal(out.len, 7);
	assert_memory_equal(out.data, "P34=a+b", 7);
	buf_free(&out);
}

static void test_gs_binary_body_joins_pairs_with_gnkey_last(void **state)
{
	const struct gs_pair p[] = {
		{ "P48", "" },
		{ "P34", "s3cr&t=1 x" },
		{ "P3", "~/x" },
	};
	const char want[] = "P48=&P34=s3cr%26t%3D1+x&P3=%7E%2Fx&gnkey=0b82";
	struct buf body;

	(void)state;
	make_body(p, 3, &body);
	assert_int_equal(body.len, strlen(want));
	assert_memory_equal(body.data, want, body.len);
	buf_free(&body);
	make_body(p, 1, &body);
	assert_int_equal(body.len, strlen("P48=&gnkey=0b82"));
	assert_memory_equal(body.data, "P48=&gnkey=0b82", body.len);
	buf_free(&body);
}

/* ---- round trips through the test decoder ---- */

static void test_gs_binary_round_trips_escaping_and_utf8(void **state)
{
	const struct gs_pair p[] = {
		{ "P34", "s3cr&t=1 x" },
		{ "P3", "M\xc3\xbcller, J\xc3\xbcrgen" },
		{ "P64", "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00" },
		{ "P2", "%41+&gnkey=0b82&P2=x" },
		{ "P1359", "~!\"#$'()*,-./:;<=>?@[\\]^_`{|}" },
		{ "P270", "\t \xe2\x82\xac \xf0\x9f\x98\x80\n" },
	};

	(void)state;
	round_trip_both(VEC_MAC, p, 6);
	round_trip_both(0xc074ad0a0b0cULL, p, 6);
}

static void test_gs_binary_round_trips_empty_value(void **state)
{
	const struct gs_pair first[] = { { "P48", "" }, { "P2", "admin" } };
	const struct gs_pair last[] = { { "P2", "admin" }, { "P48", "" } };
	const struct gs_pair only[] = { { "P48", "" } };

	(void)state;
	round_trip_both(VEC_MAC, first, 2);
	round_trip_both(VEC_MAC, last, 2);
	round_trip_both(VEC_MAC, only, 1);
}

/* G4 in §1.5: a plaintext of exactly 32 bytes gets no padding (no extra block). */
static void test_gs_binary_layout_b_adds_no_block_to_32_byte_body(void **state)
{
	const struct gs_pair p[] = { { "P2", "admin" }, { "P47", "10.0.0.1" } };
	struct buf body;

	(void)state;
	make_body(p, 2, &body);
	assert_int_equal(body.len, 32); /* "P2=admin&P47=10.0.0.1&gnkey=0b82" */
	buf_free(&body);
	assert_int_equal(round_trip(LAYOUT_B, VEC_MAC, p, 2), 16 + 32);
	assert_int_equal(round_trip(LAYOUT_A, VEC_MAC, p, 2), 16 + 32);
}

/* §1.4: one 00 byte after an odd body, none after an even one. */
static void test_gs_binary_layout_a_pads_odd_body_with_one_zero(void **state)
{
	const struct gs_pair odd[] = { { "P2", "admin" } };   /* 19 bytes with gnkey */
	const struct gs_pair even[] = { { "P2", "admin1" } }; /* 20 bytes */
	struct buf body, file;

	(void)state;
	make_body(odd, 1, &body);
	assert_int_equal(body.len, 19);
	buf_init(&file);
	assert_int_equal(gs_binary_plain(VEC_MAC, body.data, body.len, &file), 0);
	assert_int_equal(file.len, 16 + 20);
	assert_memory_equal(file.data + 16, "P2=admin&gnkey=0b82", 19);
	assert_int_equal(file.data[35], 0);
	assert_int_equal(be32(file.data), 18);
	buf_free(&file);
	buf_free(&body);
	assert_int_equal(round_trip(LAYOUT_A, VEC_MAC, odd, 1), 36);
	assert_int_equal(round_trip(LAYOUT_A, VEC_MAC, even, 1), 36);
	assert_int_equal(round_trip(LAYOUT_B, VEC_MAC, odd, 1), 48);
}

/* Every padding length of both layouts (body lengths 14..77). */
static void test_gs_binary_round_trips_every_padding_length(void **state)
{
	(void)state;
	for (size_t len = 14; len < 78; len++) {
		char *v = long_value(len);
		const struct gs_pair p[] = { { "P1", v } };

		round_trip(LAYOUT_A, 0x000b82000001ULL + len, p, 1);
		round_trip(LAYOUT_B, 0x000b82000001ULL + len, p, 1);
		free(v);
	}
}

/* Layout B with R at the edges: R = 1 (mac mod R = 0), 0x7fff, 0x8000, 0xffff. */
static void test_gs_binary_layout_b_round_trips_any_nonzero_r(void **state)
{
	static const uint16_t rs[] = { 1, 2, 0x2346, 0x7fff, 0x8000, 0xfffe, 0xffff };
	static const uint64_t macs[] = { VEC_MAC, 0xc074ad0a0b0cULL, 0x00000000ffffULL,
		                         0x0000ffffffffULL };
	const struct gs_pair p[] = { { "P2", "admin" }, { "P34", "s3cr&t=1 x" } };
	struct buf body;

	(void)state;
	make_body(p, 2, &body);
	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		for (size_t j = 0; j < sizeof(macs) / sizeof(macs[0]); j++) {
			struct buf file;
			struct decoded d;

			buf_init(&file);
			assert_int_equal(
			    gs_binary_gapslite(macs[j], body.data, body.len, rs[i], &file), 0);
			assert_int_equal(be16(file.data + 8), rs[i]);
			decode_ok(file.data, file.len, macs[j], LAYOUT_B, &d);
			expect_pairs(&d, p, 2);
			decoded_free(&d);
			buf_free(&file);
		}
	}
	buf_free(&body);
}

/* ---- gs_binary_derive_r ---- */

/* 2^18 combinations: a 16-bit value taken without care would be 0 about four times. */
static void test_gs_binary_derive_r_is_never_zero(void **state)
{
	static uint8_t seen[65536 / 8];
	size_t distinct = 0;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (uint32_t i = 0; i < 512; i++) {
		uint64_t mac =
		    0x000b82000000ULL ^ ((uint64_t)i * 0x9e3779b1ULL & 0xffffffffffffULL);

		for (uint32_t j = 0; j < 512; j++) {
			char body[64];
			int n = snprintf(body, sizeof(body), "P2=%u&P35=%u&gnkey=0b82", j, i);
			uint16_t r = gs_binary_derive_r(mac, (const uint8_t *)body, (size_t)n);

			if (r == 0)
				fail_msg("derive_r gave 0 for mac %012llx body %s",
				         (unsigned long long)mac, body);
			if (!(seen[r / 8] & (1u << (r % 8)))) {
				seen[r / 8] |= (uint8_t)(1u << (r % 8));
				distinct++;
			}
		}
	}
	/* a 16-bit hash over 2^18 inputs reaches nearly all 65,535 values */
	assert_true(distinct > 60000);
}

static void test_gs_binary_derive_r_is_stable_and_depends_on_input(void **state)
{
	const uint8_t a[] = "P2=admin&gnkey=0b82";
	const uint8_t b[] = "P2=admio&gnkey=0b82";
	const uint8_t c[] = "P2=admin&gnkey=0b8";
	const size_t la = sizeof(a) - 1;
	uint16_t r = gs_binary_derive_r(VEC_MAC, a, la);

	(void)state;
	assert_int_not_equal(r, 0);
	assert_int_equal(gs_binary_derive_r(VEC_MAC, a, la), r);
	assert_int_not_equal(gs_binary_derive_r(VEC_MAC + 1, a, la), r);
	assert_int_not_equal(gs_binary_derive_r(0xc074ad0a0b0cULL, a, la), r);
	assert_int_not_equal(gs_binary_derive_r(VEC_MAC, b, la), r);
	assert_int_not_equal(gs_binary_derive_r(VEC_MAC, c, sizeof(c) - 1), r);
	assert_int_not_equal(gs_binary_derive_r(VEC_MAC, a, la - 1), r);
}

static void test_gs_binary_layout_b_with_derived_r_is_stable(void **state)
{
	const struct gs_pair p[] = { { "P2", "admin" }, { "P1359", "Secr3t!" } };
	struct buf body, f1, f2;
	struct decoded d;

	(void)state;
	make_body(p, 2, &body);
	buf_init(&f1);
	buf_init(&f2);
	assert_int_equal(encode(LAYOUT_B, VEC_MAC, &body, &f1), 0);
	assert_int_equal(encode(LAYOUT_B, VEC_MAC, &body, &f2), 0);
	assert_int_equal(f1.len, f2.len);
	assert_memory_equal(f1.data, f2.data, f1.len); /* st_size and read agree */
	decode_ok(f1.data, f1.len, VEC_MAC, LAYOUT_B, &d);
	expect_pairs(&d, p, 2);
	decoded_free(&d);
	buf_free(&f1);
	buf_free(&f2);
	buf_free(&body);
}

/* ---- limits ---- */

static void expect_untouched(const struct buf *out)
{
	assert_int_equal(out->len, 4);
	assert_memory_equal(out->data, "keep", 4);
}

static void test_gs_binary_rejects_r_zero(void **state)
{
	struct buf body, out;

	(void)state;
	make_body(g1_pairs, 3, &body);
	buf_init(&out);
	buf_puts(&out, "keep");
	assert_int_equal(gs_binary_gapslite(VEC_MAC, body.data, body.len, 0, &out), -EINVAL);
	expect_untouched(&out);
	buf_free(&out);
	buf_free(&body);
}

static void expect_efbig(enum layout lay, size_t len)
{
	struct buf body, out;

	make_long_body(len, &body);
	buf_init(&out);
	buf_puts(&out, "keep");
	if (lay == LAYOUT_A)
		assert_int_equal(gs_binary_plain(VEC_MAC, body.data, body.len, &out), -EFBIG);
	else
		assert_int_equal(gs_binary_gapslite(VEC_MAC, body.data, body.len, 0x2346, &out),
		                 -EFBIG);
	expect_untouched(&out);
	buf_free(&out);
	buf_free(&body);
}

/* §1.2: 65,535 words at most. A: 16 + 131,055 (+1 pad) = 131,072; B: 131,041 or 131,054
 * bytes pad to 131,056, so the file would be 131,072 bytes too. */
static void test_gs_binary_rejects_file_above_limit(void **state)
{
	(void)state;
	assert_int_equal(GS_BINARY_MAX, 131070);
	expect_efbig(LAYOUT_A, LIMIT_A + 1);
	expect_efbig(LAYOUT_A, LIMIT_A + 2);
	expect_efbig(LAYOUT_A, 200000);
	expect_efbig(LAYOUT_B, LIMIT_B + 1);
	expect_efbig(LAYOUT_B, LIMIT_A); /* unpadded 16 + len fits, the padded file does not */
	expect_efbig(LAYOUT_B, LIMIT_B + 16);
	assert_true(gs_binary_plain_size(LIMIT_A + 1) > GS_BINARY_MAX);
	assert_true(gs_binary_gapslite_size(LIMIT_B + 1) > GS_BINARY_MAX);
	assert_true(gs_binary_gapslite_size(LIMIT_A) > GS_BINARY_MAX);
}

static void expect_at_limit(enum layout lay, size_t len, size_t want_size)
{
	char *v = long_value(len);
	const struct gs_pair p[] = { { "P1", v } };

	assert_int_equal(round_trip(lay, VEC_MAC, p, 1), want_size);
	free(v);
}

/* The largest files: A exactly 131,070 bytes (length field FFFF), B 131,056 bytes. */
static void test_gs_binary_accepts_file_at_limit(void **state)
{
	struct buf body, file;

	(void)state;
	expect_at_limit(LAYOUT_A, LIMIT_A, GS_BINARY_MAX);
	expect_at_limit(LAYOUT_A, LIMIT_A - 1, GS_BINARY_MAX);
	expect_at_limit(LAYOUT_B, LIMIT_B, 131056);
	expect_at_limit(LAYOUT_B, LIMIT_B - 15, 131056);
	make_long_body(LIMIT_A, &body);
	buf_init(&file);
	assert_int_equal(gs_binary_plain(VEC_MAC, body.data, body.len, &file), 0);
	assert_int_equal(be32(file.data), 0xffff);
	buf_free(&file);
	buf_free(&body);
}

static void test_gs_binary_size_functions_match_encoders(void **state)
{
	static const size_t big[] = { LIMIT_B - 1, LIMIT_B, LIMIT_A - 1, LIMIT_A };

	(void)state;
	for (size_t len = 14; len < 200; len++) {
		struct buf body, a, b;

		make_long_body(len, &body);
		buf_init(&a);
		buf_init(&b);
		assert_int_equal(gs_binary_plain(VEC_MAC, body.data, len, &a), 0);
		assert_int_equal(gs_binary_gapslite(VEC_MAC, body.data, len, 0x2346, &b), 0);
		assert_int_equal(gs_binary_plain_size(len), doc_size_a(len));
		assert_int_equal(gs_binary_gapslite_size(len), doc_size_b(len));
		assert_int_equal(a.len, doc_size_a(len));
		assert_int_equal(b.len, doc_size_b(len));
		buf_free(&a);
		buf_free(&b);
		buf_free(&body);
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		assert_int_equal(gs_binary_plain_size(big[i]), doc_size_a(big[i]));
		assert_int_equal(gs_binary_gapslite_size(big[i]), doc_size_b(big[i]));
	}
	assert_int_equal(gs_binary_plain_size(LIMIT_A + 1), doc_size_a(LIMIT_A + 1));
	assert_int_equal(gs_binary_gapslite_size(LIMIT_B + 1), doc_size_b(LIMIT_B + 1));
}

/* Both encoders append the file after what the buffer already holds. */
static void test_gs_binary_encoders_append(void **state)
{
	size_t glen, llen;
	uint8_t *g = read_vector("grandstream/cfg000b82123456.G1-basic.bin", &glen);
	uint8_t *l = read_vector("grandstream/cfg000b82123456.L1-basic.bin", &llen);
	struct buf body, out;

	(void)state;
	buf_init(&out);
	buf_puts(&out, "keep");
	make_body(l1_pairs, 3, &body);
	assert_int_equal(gs_binary_plain(VEC_MAC, body.data, body.len, &out), 0);
	buf_free(&body);
	make_body(g1_pairs, 3, &body);
	assert_int_equal(gs_binary_gapslite(VEC_MAC, body.data, body.len, 0x2346, &out), 0);
	buf_free(&body);
	assert_int_equal(out.len, 4 + llen + glen);
	assert_memory_equal(out.data, "keep", 4);
	assert_memory_equal(out.data + 4, l, llen);
	assert_memory_equal(out.data + 4 + llen, g, glen);
	buf_free(&out);
	free(g);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gs_binary_reproduces_vector_l1_layout_a),
		cmocka_unit_test(test_gs_binary_reproduces_vector_g1_layout_b),
		cmocka_unit_test(test_gs_binary_decoder_reads_vendor_vectors),
		cmocka_unit_test(test_gs_binary_decoder_rejects_damaged_files),
		cmocka_unit_test(test_gs_binary_url_encodes_doc_examples),
		cmocka_unit_test(test_gs_binary_url_encodes_ascii_like_java),
		cmocka_unit_test(test_gs_binary_url_encodes_each_utf8_byte_upper_case),
		cmocka_unit_test(test_gs_binary_url_encode_appends),
		cmocka_unit_test(test_gs_binary_body_joins_pairs_with_gnkey_last),
		cmocka_unit_test(test_gs_binary_round_trips_escaping_and_utf8),
		cmocka_unit_test(test_gs_binary_round_trips_empty_value),
		cmocka_unit_test(test_gs_binary_layout_b_adds_no_block_to_32_byte_body),
		cmocka_unit_test(test_gs_binary_layout_a_pads_odd_body_with_one_zero),
		cmocka_unit_test(test_gs_binary_round_trips_every_padding_length),
		cmocka_unit_test(test_gs_binary_layout_b_round_trips_any_nonzero_r),
		cmocka_unit_test(test_gs_binary_derive_r_is_never_zero),
		cmocka_unit_test(test_gs_binary_derive_r_is_stable_and_depends_on_input),
		cmocka_unit_test(test_gs_binary_layout_b_with_derived_r_is_stable),
		cmocka_unit_test(test_gs_binary_rejects_r_zero),
		cmocka_unit_test(test_gs_binary_rejects_file_above_limit),
		cmocka_unit_test(test_gs_binary_accepts_file_at_limit),
		cmocka_unit_test(test_gs_binary_size_functions_match_encoders),
		cmocka_unit_test(test_gs_binary_encoders_append),
	};

	return cmocka_run_group_tests_name("gs_binary", tests, NULL, NULL);
}
