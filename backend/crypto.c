/*
 * crypto.c - `openssl enc` compatible encryption with OpenSSL's EVP interface.
 *
 * The "Salted__" header is written here, not by OpenSSL: OpenSSL 3's `enc -S` omits it, and
 * phones expect it.
 */
#include "backend/crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static const char salted_magic[8] = { 'S', 'a', 'l', 't', 'e', 'd', '_', '_' };

size_t crypto_enc_size(size_t len)
{
	return sizeof(salted_magic) + CRYPTO_SALT_LEN + (len / 16 + 1) * 16;
}

static const EVP_CIPHER *cbc_cipher(unsigned key_bits)
{
	switch (key_bits) {
	case 128:
		return EVP_aes_128_cbc();
	case 192:
		return EVP_aes_192_cbc();
	case 256:
		return EVP_aes_256_cbc();
	default:
		return NULL;
	}
}

int crypto_key_iv(unsigned key_bits, const uint8_t salt[CRYPTO_SALT_LEN], const char *pass,
                  size_t passlen, uint8_t key[CRYPTO_KEY_MAX], uint8_t iv[CRYPTO_IV_LEN])
{
	const EVP_CIPHER *cipher = cbc_cipher(key_bits);

	if (cipher == NULL || passlen > INT32_MAX)
		return -EINVAL;
	if (EVP_BytesToKey(cipher, EVP_md5(), salt, (const unsigned char *)pass, (int)passlen, 1,
	                   key, iv) <= 0)
		return -EIO;
	return 0;
}

int crypto_openssl_enc(unsigned key_bits, const uint8_t salt[CRYPTO_SALT_LEN], const char *pass,
                       size_t passlen, const uint8_t *in, size_t len, struct buf *out)
{
	const EVP_CIPHER *cipher = cbc_cipher(key_bits);
	uint8_t key[CRYPTO_KEY_MAX], iv[CRYPTO_IV_LEN];
	EVP_CIPHER_CTX *ctx;
	size_t start = out->len;
	int n1 = 0, n2 = 0, r;
	uint8_t *dst;

	if (len > INT32_MAX - 32)
		return -EINVAL;
	r = crypto_key_iv(key_bits, salt, pass, passlen, key, iv);
	if (r < 0)
		return r;
	r = -EIO;
	buf_append(out, salted_magic, sizeof(salted_magic));
	buf_append(out, salt, CRYPTO_SALT_LEN);
	dst = buf_reserve(out, len + 16);
	if (dst == NULL) {
		r = -ENOMEM;
		goto wipe;
	}
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL) {
		r = -ENOMEM;
		goto wipe;
	}
	if (EVP_EncryptInit_ex(ctx, cipher, NULL, key, iv) == 1 &&
	    EVP_EncryptUpdate(ctx, dst, &n1, in, (int)len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, dst + n1, &n2) == 1) {
		out->len += (size_t)n1 + (size_t)n2;
		r = 0;
	}
	EVP_CIPHER_CTX_free(ctx);
wipe:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	if (r < 0)
		out->len = start;
	return r;
}

int crypto_derive_salt(const char *pass, size_t passlen, const uint8_t *in, size_t len,
                       uint8_t salt[CRYPTO_SALT_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (passlen > INT32_MAX)
		return -EINVAL;
	if (HMAC(EVP_sha256(), pass, (int)passlen, in, len, mac, &maclen) == NULL ||
	    maclen < CRYPTO_SALT_LEN)
		return -EIO;
	memcpy(salt, mac, CRYPTO_SALT_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

void crypto_base64_lines(const uint8_t *in, size_t len, struct buf *out)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		char q[4];

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		q[0] = tbl[(v >> 18) & 63];
		q[1] = tbl[(v >> 12) & 63];
		q[2] = (char)(i + 1 < len ? tbl[(v >> 6) & 63] : '=');
		q[3] = (char)(i + 2 < len ? tbl[v & 63] : '=');
		buf_append(out, q, 4);
		col += 4;
		if (col == 64) {
			buf_append(out, "\n", 1);
			col = 0;
		}
	}
	if (col > 0)
		buf_append(out, "\n", 1);
}
