/*
 * gzip.c - one gzip member (RFC 1952) around a raw deflate stream from zlib, every byte fixed.
 *
 * The header is written here, not by zlib's gzip mode, so that its bytes are ours: FLG 0 (no
 * name), MTIME 0, XFL 2, OS 3, as `gzip -n -9` writes them (formats/cisco.md §6.1, vector C2).
 *
 * The deflate parameters are pinned here: level 9, windowBits -15 (raw deflate, 32 KiB
 * window), memLevel 8, Z_DEFAULT_STRATEGY. They are part of the file's bytes. The zlib library
 * is not pinned: it is the system's (zlib1g-dev), and the same zlib gives the same stream on
 * every call, but another zlib version may compress differently (formats/cisco.md §6.1), so
 * replicas that must serve equal bytes run the same zlib. gzip(1) has a deflate of its own:
 * the stream is checked by inflating it, never against another implementation's bytes
 * (vectors/cisco/README.txt).
 */
#define ZLIB_CONST
#include "backend/gzip.h"

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define GZIP_LEVEL    9
#define GZIP_WBITS    (-15)
#define GZIP_MEMLEVEL 8

/* The most one deflate call is handed (avail_in and avail_out are uInt). */
#define ZCHUNK ((size_t)1 << 30)

/*
 * zlib's working memory (window, hash chains) holds the plaintext: it is wiped before it is
 * freed, as the renderers wipe their plaintext buffers. The size is kept in front of the block.
 */
struct zblock {
	alignas(max_align_t) size_t size;
};

static voidpf wiping_alloc(voidpf opaque, uInt items, uInt size)
{
	struct zblock *b;

	(void)opaque;
	if (size != 0 && items > (SIZE_MAX - sizeof(*b)) / size)
		return Z_NULL;
	b = malloc(sizeof(*b) + (size_t)items * size);
	if (b == NULL)
		return Z_NULL;
	b->size = (size_t)items * size;
	return b + 1;
}

static void wiping_free(voidpf opaque, voidpf p)
{
	struct zblock *b;

	(void)opaque;
	if (p == Z_NULL)
		return;
	b = (struct zblock *)p - 1;
	explicit_bzero(p, b->size);
	free(b);
}

/* Appends the raw deflate stream of in to out. Returns 0, -ENOMEM or -EIO. */
static int deflate_raw(const uint8_t *in, size_t len, struct buf *out)
{
	z_stream zs;
	size_t left = len, step;
	int flush = Z_NO_FLUSH, zr;

	memset(&zs, 0, sizeof(zs));
	zs.zalloc = wiping_alloc;
	zs.zfree = wiping_free;
	zr = deflateInit2(&zs, GZIP_LEVEL, Z_DEFLATED, GZIP_WBITS, GZIP_MEMLEVEL,
	                  Z_DEFAULT_STRATEGY);
	if (zr != Z_OK)
		return zr == Z_MEM_ERROR ? -ENOMEM : -EIO;
	/* room for all of it at once, unless it is huge: then several rounds */
	step = deflateBound(&zs, len);
	if (step > ZCHUNK)
		step = ZCHUNK;
	zs.next_in = in;
	do {
		uint8_t *dst = buf_reserve(out, step);

		if (dst == NULL) {
			zr = Z_MEM_ERROR;
			break;
		}
		if (zs.avail_in == 0 && flush == Z_NO_FLUSH) {
			zs.avail_in = (uInt)(left < ZCHUNK ? left : ZCHUNK);
			left -= zs.avail_in;
			if (left == 0)
				flush = Z_FINISH;
		}
		zs.next_out = dst;
		zs.avail_out = (uInt)step;
		zr = deflate(&zs, flush);
		out->len += step - zs.avail_out;
	} while (zr == Z_OK);
	deflateEnd(&zs);
	if (zr == Z_STREAM_END)
		return 0;
	return zr == Z_MEM_ERROR ? -ENOMEM : -EIO;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int gzip_deterministic(const uint8_t *in, size_t len, struct buf *out)
{
	/* ID1 ID2 CM=deflate FLG MTIME(4) XFL OS */
	static const uint8_t header[10] = { 0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0x03 };
	size_t start = out->len;
	int r;

	buf_append(out, header, sizeof(header));
	r = deflate_raw(in, len, out);
	if (r == 0) {
		uint8_t trailer[8];

		put_le32(trailer, (uint32_t)crc32_z(0, in, len));
		put_le32(trailer + 4, (uint32_t)len); /* ISIZE: the length modulo 2^32 */
		buf_append(out, trailer, sizeof(trailer));
		r = buf_status(out);
	}
	if (r < 0) {
		/* what was written is the plaintext in another form */
		if (out->data != NULL)
			explicit_bzero(out->data + start, out->len - start);
		out->len = start;
	}
	return r;
}
