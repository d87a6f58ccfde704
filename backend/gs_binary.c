/*
 * gs_binary.c - Grandstream legacy binary encoders (see gs_binary.h; the algorithm of layout
 * B is that of Grandstream's GS_CFG_GEN 1.2, formats/grandstream.md §1.5).
 */
#include "backend/gs_binary.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#define HEADER_LEN 16

static const char gnkey[] = "&gnkey=0b82";
static const uint8_t header_crlf[4] = { 0x0D, 0x0A, 0x0D, 0x0A }; /* bytes 12..15 */

void gs_url_encode(const char *value, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
		unsigned char c = *p;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '*' || c == '_') {
			buf_append(out, &c, 1);
		} else if (c == ' ') {
			buf_append(out, "+", 1);
		} else {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

			buf_append(out, esc, 3);
		}
	}
}

void gs_binary_body(const struct gs_pair *pairs, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_append(out, "&", 1);
		buf_puts(out, pairs[i].name);
		buf_append(out, "=", 1);
		gs_url_encode(pairs[i].value, out);
	}
	buf_puts(out, gnkey);
}

size_t gs_binary_plain_size(size_t body_len)
{
	return HEADER_LEN + body_len + (body_len & 1);
}

size_t gs_binary_gapslite_size(size_t body_len)
{
	return HEADER_LEN + (body_len + 15) / 16 * 16;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_mac(uint8_t *p, uint64_t mac)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(mac >> (40 - 8 * i));
}

/* The 16-bit value that makes the sum of all big-endian words of p[0..len) 0 mod 2^16. */
static uint16_t csum16(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	return (uint16_t)(0x10000u - (sum & 0xFFFF));
}

/* Reserves and zeroes the whole file; the length field counts 16-bit words. */
static uint8_t *start_file(struct buf *out, size_t size)
{
	uint8_t *f;

	if (size > GS_BINARY_MAX)
		return NULL;
	f = buf_reserve(out, size);
	if (f == NULL)
		return NULL;
	memset(f, 0, size);
	put16(f + 2, (uint16_t)(size / 2));
	memcpy(f + 12, header_crlf, sizeof(header_crlf));
	return f;
}

int gs_binary_plain(uint64_t mac, const uint8_t *body, size_t len, struct buf *out)
{
	size_t size = gs_binary_plain_size(len);
	uint8_t *f;

	if (size > GS_BINARY_MAX)
		return -EFBIG;
	f = start_file(out, size);
	if (f == NULL)
		return -ENOMEM;
	put_mac(f + 6, mac);
	memcpy(f + HEADER_LEN, body, len); /* an odd body keeps one 0x00 pad byte */
	put16(f + 4, csum16(f, size));
	out->len += size;
	return 0;
}

/* IV = "lixiabingweixian" XOR "gweiningzhangwei" (the tool's two constants). */
static void gapslite_iv(uint8_t iv[16])
{
	static const char a[] = "lixiabingweixian", b[] = "gweiningzhangwei";

	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(a[i] ^ b[i]);
}

/* key = length(2) | MAC(6) | header bytes 6..11 | (uint32BE(mac[2..5]) mod R) as uint16BE. */
static void gapslite_key(const uint8_t *f, uint64_t mac, uint16_t r, uint8_t key[16])
{
	uint32_t low = (uint32_t)(mac & 0xFFFFFFFFu);

	memcpy(key, f + 2, 2);
	put_mac(key + 2, mac);
	memcpy(key + 8, f + 6, 6);
	put16(key + 14, (uint16_t)(low % r));
}

static int aes128_cbc_inplace(const uint8_t key[16], const uint8_t iv[16], uint8_t *p, size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, r = -EIO;

	if (ctx == NULL)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_EncryptUpdate(ctx, p, &n, p, (int)len) == 1 && (size_t)n == len)
		r = 0;
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int gs_binary_gapslite(uint64_t mac, const uint8_t *body, size_t len, uint16_t r, struct buf *out)
{
	size_t size = gs_binary_gapslite_size(len);
	uint8_t key[16], iv[16];
	uint8_t *f;
	int rc;

	if (r == 0)
		return -EINVAL; /* the key takes the MAC modulo R */
	if (size > GS_BINARY_MAX)
		return -EFBIG;
	f = start_file(out, size);
	if (f == NULL)
		return -ENOMEM;
	f[6] = 0xFF;
	f[7] = 0x01;
	put16(f + 8, r);
	memcpy(f + HEADER_LEN, body, len); /* zero padding to 16 comes from start_file */
	put16(f + 10, csum16(f + HEADER_LEN, size - HEADER_LEN));
	gapslite_key(f, mac, r, key);
	gapslite_iv(iv);
	rc = aes128_cbc_inplace(key, iv, f + HEADER_LEN, size - HEADER_LEN);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc < 0) {
		OPENSSL_cleanse(f, size); /* do not leave the clear body behind */
		return rc;
	}
	put16(f + 4, csum16(f, size));
	out->len += size;
	return 0;
}

uint16_t gs_binary_derive_r(uint64_t mac, const uint8_t *body, size_t len)
{
	uint8_t md[EVP_MAX_MD_SIZE], m[6];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	put_mac(m, mac);
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, m, sizeof(m)) != 1 || EVP_DigestUpdate(ctx, body, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		mdlen = 0; /* cannot happen with the default provider; R = 1 is still valid */
	EVP_MD_CTX_free(ctx);
	/* the first nonzero 16-bit word of the digest; 1 if all are zero */
	for (size_t i = 0; i + 1 < mdlen; i += 2) {
		uint16_t r = (uint16_t)(md[i] << 8 | md[i + 1]);

		if (r != 0)
			return r;
	}
	return 1;
}
