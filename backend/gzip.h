/*
 * gzip.h - gzip with stable bytes, for profiles that are compressed before they are encrypted
 * (Cisco: formats/cisco.md §6.1, "it must precede encryption").
 *
 * Rendered files must be the same bytes on every read and on every replica (`stat` sizes, the
 * page cache, the derived salts of crypto.h), so nothing variable goes into the stream: no
 * name, no time, and the deflate parameters are fixed in gzip.c.
 */
#ifndef PROVFS_GZIP_H
#define PROVFS_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"

/*
 * Appends the gzip member of in to out: the header 1f 8b 08 00 00000000 02 03 (deflate, no
 * flags, MTIME 0, XFL 2 = best compression, OS 3 = Unix: the header `gzip -n -9` writes), a
 * raw deflate stream from zlib at level 9, then CRC-32 and ISIZE, little-endian.
 * Returns 0, -ENOMEM or -EIO; out is as it was on failure.
 *
 * The output is the plaintext in another form: a caller that encrypts it afterwards wipes it
 * as it wipes the plaintext.
 */
int gzip_deterministic(const uint8_t *in, size_t len, struct buf *out);

#endif
