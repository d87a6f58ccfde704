/*
 * derive.h - per-device keys derived from a site secret (issue 14: replicas that share the
 * secret serve the same keys without sharing key files).
 *
 * A derived key is HKDF-SHA256 (RFC 5869) with
 *     IKM  = the site secret (the bytes of the key_secret file, state/site_secret.h)
 *     salt = DERIVE_SALT, which names provfs and the scheme's version
 *     info = vendor NUL MAC NUL epoch, where vendor is the inventory's lower-case name
 *            ("panasonic"), MAC 12 upper-case hex digits and epoch a decimal number from 1:
 *            none of the three can hold a NUL, so no two inputs give the same info
 *     L    = KEY_PASS_LEN / 2 bytes, written as lower-case hex: the same 32 characters of
 *            "0123456789abcdef" that the random generator (state/keys.c) writes. The
 *            alphabet has 16 = 2^4 letters, so each half byte picks one letter exactly
 *            uniformly: rejection sampling would never reject, and no letter is favoured
 *            (no modulo bias).
 * The same four inputs always give the same key, on every replica; `provctl rekey` moves the
 * epoch on (state/keys.h).
 *
 * The fingerprint tells which secret a key was derived under without revealing it:
 * HMAC-SHA256(secret, DERIVE_FINGERPRINT_LABEL), its first 8 bytes in lower-case hex. A key
 * file records it, and a key whose fingerprint is not the current secret's is never
 * derived again under the other secret (it would be another key).
 *
 * Pure functions: no file, no FUSE, nothing kept; the caller wipes what it gets.
 */
#ifndef PROVFS_DERIVE_H
#define PROVFS_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/keys.h"

#define DERIVE_SALT              "provfs per-device key v1"
#define DERIVE_FINGERPRINT_LABEL "provfs site secret fingerprint v1"
#define DERIVE_FINGERPRINT_LEN   16 /* hex digits */

/*
 * The key of (vendor, mac, epoch) under secret into out (KEY_PASS_LEN hex digits and a NUL).
 * Returns 0, -EINVAL (no secret, epoch 0, a vendor name that is empty, too long or not
 * [a-z0-9_-]) or -EIO (OpenSSL).
 */
int derive_key(const uint8_t *secret, size_t len, const char *vendor, uint64_t mac, uint32_t epoch,
               char out[KEY_PASS_LEN + 1]);

/* The secret's fingerprint into out (DERIVE_FINGERPRINT_LEN hex digits and a NUL). 0 or -EIO. */
int derive_fingerprint(const uint8_t *secret, size_t len, char out[DERIVE_FINGERPRINT_LEN + 1]);

/* Whether name can be a vendor of a derived key: 1 to KEY_VENDOR_MAX of [a-z0-9_-]. */
bool derive_vendor_ok(const char *name);

#endif
