/*
 * fetch.h - the last fetch of each device file, kept in the state directory so that
 * `provctl status` (another process) can show it (SPEC §1, §4 "Audit").
 *
 * One file per device, STATE/fetch-<MAC> (12 upper-case hex digits, as key-<MAC>). Text,
 * strict:
 *     provfs-fetch 1
 *     <name> <time> <bytes> <size> complete|partial
 *     ...
 * one line per file of the device that was fetched, at most FETCH_MAX_FILES, sorted by name
 * (byte order), each name once:
 *     name      the file's name as provfs serves it: 1 to FILE_NAME_MAX of [A-Za-z0-9._-]
 *     time      when its last reader closed it: seconds since 1970-01-01 UTC
 *     bytes     the bytes provfs delivered to that reader
 *     size      the file's size then
 *     complete  the reader covered bytes 0..size; partial otherwise
 * Numbers are decimal digits, no sign, no leading zero, at most 20 digits (uint64; time at
 * most INT64_MAX). Fields are separated by one space, every line ends in '\n', nothing
 * follows the last line, and the whole file is at most FETCH_FILE_MAX bytes. A file that does
 * not parse is ignored as a whole. Never a secret: names and numbers only.
 *
 * The daemon replaces a device's file whole (temporary file + rename, no fsync): a crash may
 * lose the latest records, never leave half a file.
 *
 * No FUSE here: provctl links this too (status).
 */
#ifndef PROVFS_FETCH_H
#define PROVFS_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"
#include "backend/files.h"
#include "fs/state.h"

#define FETCH_MAX_FILES 16
#define FETCH_FILE_MAX  8192
#define FETCH_NAME_LEN  20 /* "fetch-" + 12 hex digits + NUL, rounded up */

struct fetch_rec {
	char name[FILE_NAME_MAX + 1];
	int64_t time; /* seconds since the epoch, >= 0 */
	uint64_t bytes;
	uint64_t size;
	bool complete;
};

/* One device's records, sorted by name. */
struct fetch_set {
	struct fetch_rec rec[FETCH_MAX_FILES];
	size_t n;
};

/* The device's file name: "fetch-" + 12 upper-case hex digits. */
void fetch_file_name(uint64_t mac, char name[FETCH_NAME_LEN]);

/* Appends the file's text. Returns 0, -EINVAL (a record that would not parse) or -ENOMEM. */
int fetch_format(const struct fetch_set *s, struct buf *out);

/* Parses exactly len bytes of a file. Returns 0 or -EINVAL (s is then empty). */
int fetch_parse(const char *text, size_t len, struct fetch_set *s);

/*
 * Puts r into s: replaces the record of the same name or adds one; when s is full, the
 * oldest record makes room. Keeps s sorted by name.
 */
void fetch_merge(struct fetch_set *s, const struct fetch_rec *r);

/* Reads a device's records. Returns 0, -ENOENT (no file), -EINVAL (damaged) or -errno. */
int fetch_load(const struct state *st, uint64_t mac, struct fetch_set *s);

/* Replaces a device's file atomically, not durably. Returns 0 or -errno. */
int fetch_store(const struct state *st, uint64_t mac, const struct fetch_set *s);

#endif
