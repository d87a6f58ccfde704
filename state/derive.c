/*
 * derive.c - HKDF-SHA256 keys and the secret's fingerprint (derive.h), through OpenSSL 3's
 * EVP_KDF "HKDF" and HMAC: nothing of our own between the inputs and the key but the
 * encoding of info and the hex of the output.
 */
#include "state/derive.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "inventory/mac.h"

static const char hex[] = "0123456789abcdef";

bool derive_vendor_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= KEY_VENDOR_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* HKDF-SHA256 (extract and expand) of ikm, salt and info into out[len]. 0 or -EIO. */
static int hkdf(const uint8_t *ikm, size_t ikmlen, const char *salt, const char *info,
                size_t infolen, unsigned char *out, size_t len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5];
	int r = -EIO;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] =
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)ikm, ikmlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)salt,
	                                         strlen(salt));
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)(uintptr_t)info,
	                                         infolen);
	p[4] = OSSL_PARAM_construct_end();
	if (ctx != NULL && EVP_KDF_derive(ctx, out, len, p) == 1)
		r = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

int derive_key(const uint8_t *secret, size_t len, const char *vendor, uint64_t mac, uint32_t epoch,
               char out[KEY_PASS_LEN + 1])
{
	unsigned char okm[KEY_PASS_LEN / 2];
	char info[KEY_VENDOR_MAX + 1 + MAC_STRLEN + 1 + 10 + 1], m[MAC_STRLEN + 1];
	size_t n;
	int r;

	out[0] = '\0';
	if (secret == NULL || len == 0 || epoch == 0 || !derive_vendor_ok(vendor))
		return -EINVAL;
	mac_format(mac, true, m);
	/* "vendor" NUL "MAC" NUL "epoch": both NULs are part of info, no final one */
	n = strlen(vendor);
	memcpy(info, vendor, n);
	info[n++] = '\0';
	memcpy(info + n, m, MAC_STRLEN);
	n += MAC_STRLEN;
	info[n++] = '\0';
	n += (size_t)snprintf(info + n, sizeof(info) - n, "%lu", (unsigned long)epoch);
	r = hkdf(secret, len, DERIVE_SALT, info, n, okm, sizeof(okm));
	if (r == 0)
		to_hex(okm, sizeof(okm), out);
	OPENSSL_cleanse(okm, sizeof(okm));
	return r;
}

int derive_fingerprint(const uint8_t *secret, size_t len, char out[DERIVE_FINGERPRINT_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	out[0] = '\0';
	if (len > INT32_MAX ||
	    HMAC(EVP_sha256(), secret, (int)len, (const unsigned char *)DERIVE_FINGERPRINT_LABEL,
	         strlen(DERIVE_FINGERPRINT_LABEL), mac, &maclen) == NULL ||
	    maclen < DERIVE_FINGERPRINT_LEN / 2)
		return -EIO;
	to_hex(mac, DERIVE_FINGERPRINT_LEN / 2, out);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}
