/*
 * gs_binary.h - Grandstream legacy binary configuration `cfg<mac>` (formats/grandstream.md §1).
 *
 * Two layouts share one framing: a 32-bit big-endian length in 16-bit words, a 16-bit
 * checksum that makes the sum of all big-endian words 0 mod 2^16, bytes 6..11, CR LF CR LF,
 * and a body of URL-encoded `Pnnn=value` pairs joined by '&' with `&gnkey=0b82` last.
 *   layout A (plain):     bytes 6..11 = the MAC, body in clear, padded to even length.
 *   layout B (GAPSLITE):  bytes 6..11 = FF 01, R, body checksum; body zero-padded to 16 and
 *                         AES-128-CBC encrypted with a key built from the header and the MAC
 *                         and a fixed IV (what Grandstream's GS_CFG_GEN writes).
 * The encoders take the body order and R as inputs, so tests can reproduce the vendor tool's
 * bytes; provfs itself orders by P number and derives R from the content.
 */
#ifndef PROVFS_GS_BINARY_H
#define PROVFS_GS_BINARY_H

#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"

/* Only bytes 2..3 of the length are written by the vendor tool: 65,535 words at most. */
#define GS_BINARY_MAX 131070

struct gs_pair {
	const char *name; /* "P47" */
	const char *value;
};

/* Appends value URL-encoded as java.net.URLEncoder.encode(value, "UTF-8") does. */
void gs_url_encode(const char *value, struct buf *out);

/* Appends name=urlencode(value)&... for pairs[0..n), then "&gnkey=0b82". */
void gs_binary_body(const struct gs_pair *pairs, size_t n, struct buf *out);

/* Layout A: appends the whole file for `mac` (48-bit) with the given body. Returns 0, -EFBIG
 * above GS_BINARY_MAX, or -ENOMEM. */
int gs_binary_plain(uint64_t mac, const uint8_t *body, size_t len, struct buf *out);

/* Layout B with random value r (must not be 0). Returns 0, -EINVAL (r == 0), -EFBIG, -ENOMEM
 * or -EIO. */
int gs_binary_gapslite(uint64_t mac, const uint8_t *body, size_t len, uint16_t r, struct buf *out);

/* The R provfs uses: derived from MAC and body (SHA-256), never 0, the same for the same input. */
uint16_t gs_binary_derive_r(uint64_t mac, const uint8_t *body, size_t len);

/* The file size either layout gives for a body of len bytes (limit checks without encoding). */
size_t gs_binary_plain_size(size_t body_len);
size_t gs_binary_gapslite_size(size_t body_len);

#endif
