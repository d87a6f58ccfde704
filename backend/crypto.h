/*
 * crypto.h - the one encryption format both vendors read: `openssl enc` with a password.
 *
 * "Salted__" + 8-byte salt + AES-N-CBC(PKCS#7), key and IV from EVP_BytesToKey with MD5 and
 * one iteration: what `openssl enc -aes-N-cbc -md md5 -k PASSWORD` writes and reads.
 * Grandstream XML uses AES-256 raw; Panasonic UTG uses AES-128/192/256 in base64.
 *
 * The salt is an input: renderers derive it from the password and the plaintext
 * (crypto_derive_salt) so the same inventory always yields the same bytes, which `stat`
 * sizes, replicas and the kernel page cache all rely on.
 */
#ifndef PROVFS_CRYPTO_H
#define PROVFS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"

#define CRYPTO_SALT_LEN 8

#define CRYPTO_KEY_MAX 32
#define CRYPTO_IV_LEN  16

/*
 * The AES key (key_bits / 8 bytes) and IV that `openssl enc -md md5` derives from a password
 * and salt (EVP_BytesToKey, MD5, one iteration). Returns 0, -EINVAL or -EIO.
 */
int crypto_key_iv(unsigned key_bits, const uint8_t salt[CRYPTO_SALT_LEN], const char *pass,
                  size_t passlen, uint8_t key[CRYPTO_KEY_MAX], uint8_t iv[CRYPTO_IV_LEN]);

/* Size of the raw output for a plaintext of len bytes. */
size_t crypto_enc_size(size_t len);

/*
 * Appends "Salted__" | salt | ciphertext to out. key_bits is 128, 192 or 256.
 * Returns 0, -EINVAL for a bad key size, -ENOMEM, or -EIO if OpenSSL fails.
 */
int crypto_openssl_enc(unsigned key_bits, const uint8_t salt[CRYPTO_SALT_LEN], const char *pass,
                       size_t passlen, const uint8_t *in, size_t len, struct buf *out);

/* salt = first 8 bytes of HMAC-SHA256(key = pass, message = plaintext). */
int crypto_derive_salt(const char *pass, size_t passlen, const uint8_t *in, size_t len,
                       uint8_t salt[CRYPTO_SALT_LEN]);

/* Appends the base64 of in, in lines of 64 characters each ending "\n" (openssl enc -a). */
void crypto_base64_lines(const uint8_t *in, size_t len, struct buf *out);

#endif
