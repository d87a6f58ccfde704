/*
 * crypto.h - the encryption primitives the vendors' renderers share.
 *
 * Two formats, and which vendor reads which:
 *
 *   - `openssl enc` with a password: "Salted__" + 8-byte salt + AES-N-CBC(PKCS#7), key and IV
 *     from EVP_BytesToKey with one iteration and a digest of the caller's choice, MD5 or
 *     SHA-256: what `openssl enc -aes-N-cbc -md md5|sha256 -k PASSWORD` writes and reads.
 *       Grandstream XML: AES-256, MD5, raw (formats/grandstream.md).
 *       Panasonic UTG: AES-128/192/256, MD5, base64 in 64 columns (formats/panasonic.md).
 *       Cisco SPA/MPP profiles: AES-256, raw, of the profile or of its gzip (backend/gzip.h);
 *       MD5 for SPA firmware, SHA-256 perhaps for MPP >= 11.3 (formats/cisco.md §6.2).
 *   - raw AES-128-ECB with a 16-byte key and no KDF, IV or header: Yealink's <name>.cfg
 *     (space or PKCS#7 padding) and <name>_Security.enc (the key under the built-in key, no
 *     padding) (formats/yealink.md §5.1).
 *
 * The salt of `openssl enc` is an input: renderers derive it from the password and the
 * plaintext (crypto_derive_salt), not from a random source, so the same inventory always
 * yields the same bytes, which `stat` sizes, replicas and the kernel page cache all rely on.
 * ECB needs no salt: equal input gives equal output by itself.
 */
#ifndef PROVFS_CRYPTO_H
#define PROVFS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"

#define CRYPTO_SALT_LEN 8

#define CRYPTO_KEY_MAX 32
#define CRYPTO_IV_LEN  16

#define CRYPTO_AES128_KEY_LEN 16

/* The digest EVP_BytesToKey hashes with (`openssl enc -md`). */
enum crypto_md {
	CRYPTO_MD_MD5,    /* OpenSSL <= 1.0.2's default: Grandstream, Panasonic, Cisco SPA */
	CRYPTO_MD_SHA256, /* OpenSSL >= 1.1.0's default (formats/cisco.md §6.2) */
};

/*
 * The AES key (key_bits / 8 bytes) and IV that `openssl enc -md MD` derives from a password
 * and salt (EVP_BytesToKey, digest md, one iteration). Returns 0, -EINVAL (key size or
 * digest) or -EIO.
 */
int crypto_key_iv(unsigned key_bits, enum crypto_md md, const uint8_t salt[CRYPTO_SALT_LEN],
                  const char *pass, size_t passlen, uint8_t key[CRYPTO_KEY_MAX],
                  uint8_t iv[CRYPTO_IV_LEN]);

/* Size of crypto_openssl_enc's output for a plaintext of len bytes (any key size, digest). */
size_t crypto_enc_size(size_t len);

/*
 * Appends "Salted__" | salt | ciphertext to out. key_bits is 128, 192 or 256.
 * Returns 0, -EINVAL for a bad key size or digest, -ENOMEM, or -EIO if OpenSSL fails;
 * out is as it was on failure.
 */
int crypto_openssl_enc(unsigned key_bits, enum crypto_md md, const uint8_t salt[CRYPTO_SALT_LEN],
                       const char *pass, size_t passlen, const uint8_t *in, size_t len,
                       struct buf *out);

/*
 * How crypto_aes128_ecb fills the last 16-byte block.
 *
 * CRYPTO_PAD_SPACE adds 0x20 up to the next multiple of 16 and nothing when len is already a
 * multiple of 16. Whether a phone wants 0 or 16 spaces then is not known, so callers must not
 * hand it such a length (formats/yealink.md §5.1: append one more "\n" before encrypting).
 */
enum crypto_pad {
	CRYPTO_PAD_NONE,  /* len must be a multiple of 16 */
	CRYPTO_PAD_SPACE, /* 0x20 up to a multiple of 16; nothing added when already one */
	CRYPTO_PAD_PKCS7, /* 1..16 bytes of the count, as `openssl enc` pads */
};

/*
 * Size of crypto_aes128_ecb's output for len bytes of plaintext; 0 for an unknown pad. With
 * CRYPTO_PAD_NONE it is len, which is only valid when len is a multiple of 16.
 */
size_t crypto_ecb_size(enum crypto_pad pad, size_t len);

/*
 * Appends AES-128-ECB(key, in padded as pad says) to out: crypto_ecb_size(pad, len) bytes.
 * Returns 0, -EINVAL (unknown pad, or CRYPTO_PAD_NONE and len not a multiple of 16), -ENOMEM
 * or -EIO if OpenSSL fails; out is as it was on failure.
 */
int crypto_aes128_ecb(const uint8_t key[CRYPTO_AES128_KEY_LEN], enum crypto_pad pad,
                      const uint8_t *in, size_t len, struct buf *out);

/* salt = first 8 bytes of HMAC-SHA256(key = pass, message = plaintext). */
int crypto_derive_salt(const char *pass, size_t passlen, const uint8_t *in, size_t len,
                       uint8_t salt[CRYPTO_SALT_LEN]);

/* Appends the base64 of in, in lines of 64 characters each ending "\n" (openssl enc -a). */
void crypto_base64_lines(const uint8_t *in, size_t len, struct buf *out);

#endif
