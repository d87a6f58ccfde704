/*
 * crypto.c - the encryption formats of crypto.h with OpenSSL's EVP interface: `openssl enc`
 * (AES-CBC, EVP_BytesToKey with MD5 or SHA-256) and raw AES-128-ECB.
 *
 * The "Salted__" header is written here, not by OpenSSL: OpenSSL 3's `enc -S` omits it, and
 * phones expect it (formats/cisco.md §6.2). ECB padding is done here too, since OpenSSL knows
 * PKCS#7 only and Yealink's tool pads with spaces (formats/yealink.md §5.1).
 */
#include "backend/crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define AES_BLOCK 16

static const char salted_magic[8] = { 'S', 'a', 'l', 't', 'e', 'd', '_', '_' };

/*
 * Encrypts len bytes (at most INT32_MAX - 2 blocks) into dst with OpenSSL's padding off
 * (len must then be whole blocks; dst has room for len) or PKCS#7 (room for len + 16).
 * *n is the count written.
 * Returns 0, -ENOMEM or -EIO.
 */
static int evp_encrypt(const EVP_CIPHER *cipher, const uint8_t *key, const uint8_t *iv, int padding,
                       const uint8_t *in, size_t len, uint8_t *dst, size_t *n)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, r = -EIO;

	if (ctx == NULL)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(ctx, cipher, NULL, key, iv) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, padding) == 1 &&
	    EVP_EncryptUpdate(ctx, dst, &n1, in, (int)len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, dst + n1, &n2) == 1) {
		*n = (size_t)n1 + (size_t)n2;
		r = 0;
	}
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

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

static const EVP_MD *kdf_digest(enum crypto_md md)
{
	switch (md) {
	case CRYPTO_MD_MD5:
		return EVP_md5();
	case CRYPTO_MD_SHA256:
		return EVP_sha256();
	default:
		return NULL;
	}
}

int crypto_key_iv(unsigned key_bits, enum crypto_md md, const uint8_t salt[CRYPTO_SALT_LEN],
                  const char *pass, size_t passlen, uint8_t key[CRYPTO_KEY_MAX],
                  uint8_t iv[CRYPTO_IV_LEN])
{
	const EVP_CIPHER *cipher = cbc_cipher(key_bits);
	const EVP_MD *digest = kdf_digest(md);

	if (cipher == NULL || digest == NULL || passlen > INT32_MAX)
		return -EINVAL;
	if (EVP_BytesToKey(cipher, digest, salt, (const unsigned char *)pass, (int)passlen, 1, key,
	                   iv) <= 0) {
		OPENSSL_cleanse(key, CRYPTO_KEY_MAX);
		OPENSSL_cleanse(iv, CRYPTO_IV_LEN);
		return -EIO;
	}
	return 0;
}

int crypto_openssl_enc(unsigned key_bits, enum crypto_md md, const uint8_t salt[CRYPTO_SALT_LEN],
                       const char *pass, size_t passlen, const uint8_t *in, size_t len,
                       struct buf *out)
{
	uint8_t key[CRYPTO_KEY_MAX], iv[CRYPTO_IV_LEN];
	size_t start = out->len, n = 0;
	uint8_t *dst;
	int r;

	if (len > INT32_MAX - 2 * AES_BLOCK)
		return -EINVAL;
	r = crypto_key_iv(key_bits, md, salt, pass, passlen, key, iv);
	if (r < 0)
		return r;
	buf_append(out, salted_magic, sizeof(salted_magic));
	buf_append(out, salt, CRYPTO_SALT_LEN);
	dst = buf_reserve(out, len + AES_BLOCK);
	r = dst == NULL ? -ENOMEM : evp_encrypt(cbc_cipher(key_bits), key, iv, 1, in, len, dst, &n);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	if (r == 0)
		out->len += n;
	else
		out->len = start;
	return r;
}

size_t crypto_ecb_size(enum crypto_pad pad, size_t len)
{
	switch (pad) {
	case CRYPTO_PAD_NONE:
		return len;
	case CRYPTO_PAD_SPACE:
		return len + (AES_BLOCK - len % AES_BLOCK) % AES_BLOCK;
	case CRYPTO_PAD_PKCS7:
		return (len / AES_BLOCK + 1) * AES_BLOCK;
	default:
		return 0;
	}
}

/*
 * The whole blocks of in go to OpenSSL as they are; the rest, padded here, follows as one
 * more block. ECB encrypts each block on its own, so two calls give the bytes of one.
 */
int crypto_aes128_ecb(const uint8_t key[CRYPTO_AES128_KEY_LEN], enum crypto_pad pad,
                      const uint8_t *in, size_t len, struct buf *out)
{
	size_t whole = len - len % AES_BLOCK, tail = len % AES_BLOCK;
	size_t size = crypto_ecb_size(pad, len), n = 0;
	uint8_t *dst;
	int r = 0;

	if (pad != CRYPTO_PAD_NONE && pad != CRYPTO_PAD_SPACE && pad != CRYPTO_PAD_PKCS7)
		return -EINVAL;
	if ((pad == CRYPTO_PAD_NONE && tail != 0) || size > INT32_MAX)
		return -EINVAL;
	if (size == 0)
		return 0;
	dst = buf_reserve(out, size);
	if (dst == NULL)
		return -ENOMEM;
	if (whole > 0)
		r = evp_encrypt(EVP_aes_128_ecb(), key, NULL, 0, in, whole, dst, &n);
	if (r == 0 && size > whole) {
		uint8_t last[AES_BLOCK];

		if (tail > 0)
			memcpy(last, in + whole, tail);
		memset(last + tail, pad == CRYPTO_PAD_SPACE ? ' ' : (int)(AES_BLOCK - tail),
		       AES_BLOCK - tail);
		r = evp_encrypt(EVP_aes_128_ecb(), key, NULL, 0, last, AES_BLOCK, dst + whole, &n);
		OPENSSL_cleanse(last, sizeof(last));
	}
	if (r == 0)
		out->len += size;
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
