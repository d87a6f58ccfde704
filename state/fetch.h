/*
 * fetch.h - the fetch records provfs keeps in the state directory, so that `provctl status`
 * (another process) can show each device's last fetch of each file (SPEC §1, §4 "Audit").
 *
 * One append-only file, STATE/fetch.log (mode 0600), one line per fetch, strict:
 *     <time> <MAC> <name> <generation> <bytes> <size> complete|partial|cached
 *     time        when the reader closed the file: seconds since 1970-01-01 UTC
 *     MAC         the device: 12 upper-case hex digits (as key-<MAC>)
 *     name        the file's canonical name: 1 to FILE_NAME_MAX of [A-Za-z0-9._-]
 *     generation  the generation the file was opened on
 *     bytes       the bytes provfs delivered to that reader
 *     size        the file's size then
 *     complete    the reader covered bytes 0..size through provfs
 *     partial     it did not, and every byte it got came through provfs (audit=exact)
 *     cached      it did not get all of it from provfs: the kernel's page cache served the
 *                 rest (audit=cached, the default); whether the client got the whole file is
 *                 in the file server's log
 * Numbers are decimal digits, no sign, no leading zero, at most 20 digits (uint64; time at
 * most INT64_MAX). Fields are separated by one space and every line ends in '\n'. Never a
 * secret: names and numbers only.
 *
 * The daemon appends the records of the last second with one write(2) (fs/audit.c), not
 * fsynced: a crash may lose them, or leave half a line at the end. A reader skips such a line,
 * and any other that does not parse, and goes on with the next: one damaged line never costs
 * the rest of the history. A writer that finds the file not ending in '\n' starts its lines on
 * a new one. When the file would pass FETCH_LOG_CAP, it is renamed to fetch.log.1 (replacing
 * the one before) and a new one begins: the history is bounded to two files. Readers read
 * fetch.log.1, then fetch.log; a later line of a file wins.
 *
 * Before fetch.log, each device had a file STATE/fetch-<MAC> (header "provfs-fetch 1", then
 * "<name> <time> <bytes> <size> complete|partial" lines, sorted by name), replaced whole per
 * device per second. They are never written again; provctl status still reads one as that
 * device's oldest records, so an upgrade loses no history (fetch_legacy_load).
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
#include "state/state.h"

#define FETCH_LOG      "fetch.log"
#define FETCH_LOG_OLD  "fetch.log.1"
#define FETCH_LOG_CAP  ((uint64_t)16 << 20)  /* bytes: then fetch.log becomes fetch.log.1 */
#define FETCH_LINE_MAX (FILE_NAME_MAX + 128) /* longer than any line of the format */

enum fetch_status {
	FETCH_COMPLETE,
	FETCH_PARTIAL,
	FETCH_CACHED,
};

struct fetch_rec {
	uint64_t mac;
	char name[FILE_NAME_MAX + 1];
	int64_t time; /* seconds since the epoch, >= 0 */
	uint64_t generation;
	uint64_t bytes;
	uint64_t size;
	enum fetch_status status;
};

/*
 * STATE/unknown-macs: what the mount counted of lookups of device file names for MACs the
 * inventory does not have (an enumeration sweep?), since it started: "COUNT SINCE LAST\n".
 */
#define UNKNOWN_MACS_FILE "unknown-macs"

struct unknown_count {
	uint64_t count;
	int64_t since; /* when the mount started counting */
	int64_t last;  /* the latest such lookup (0: none) */
};

/* The file's line into buf (len >= 64). Returns its length. */
int unknown_format(const struct unknown_count *u, char *buf, size_t len);

/* Parses the file's text. 0 or -EBADMSG. */
int unknown_parse(const char *text, size_t len, struct unknown_count *u);

/* "complete", "partial" or "cached". */
const char *fetch_status_word(enum fetch_status s);

/* Appends r's line. Returns 0, -EINVAL (a record that would not parse back) or -ENOMEM. */
int fetch_format(const struct fetch_rec *r, struct buf *out);

/* Parses one line of exactly len bytes, without its '\n'. Returns 0 or -EINVAL. */
int fetch_parse(const char *line, size_t len, struct fetch_rec *r);

/*
 * Appends text (whole lines) to STATE/fetch.log with one write(2); first renames it to
 * fetch.log.1 if the text would take it past cap bytes. Opens with O_APPEND | O_NOFOLLOW |
 * O_NONBLOCK and refuses anything but a regular file: -ELOOP (a symlink), -EISDIR, -EINVAL (a
 * FIFO, a socket, a device), so the writer never blocks and never writes through a link.
 * Returns 0 or -errno.
 */
int fetch_append(const struct state *st, const void *text, size_t len, uint64_t cap);

/*
 * Calls fn for each record of STATE/name (fetch.log or fetch.log.1) in file order, and adds
 * the lines that do not parse (damaged, too long, a half line at the end) to *damaged.
 * Returns 0, -ENOENT, or -errno (the same refusals as fetch_append).
 */
typedef void (*fetch_visit_fn)(void *ctx, const struct fetch_rec *r);
int fetch_read(const struct state *st, const char *name, fetch_visit_fn fn, void *ctx,
               size_t *damaged);

/*
 * Records by (MAC, name): an open-addressing index over the entries, in order of first sight.
 * The daemon's pending records (fs/audit.c) and provctl's latest record of each file.
 */
struct fetch_table {
	struct fetch_rec *v;
	size_t n, cap;
	uint32_t *slot; /* entry index + 1; 0: empty */
	size_t nslot;   /* a power of two, at least twice n */
};

/*
 * The index in t->v of the entry for (mac, name), added if new (all zero but mac and name).
 * Returns the index, or -ENOMEM.
 */
long fetch_table_at(struct fetch_table *t, uint64_t mac, const char *name);

/* Empties t (keeps its memory). */
void fetch_table_clear(struct fetch_table *t);
void fetch_table_free(struct fetch_table *t);

/* ---- the files of older versions (read only) ----------------------------------------------- */

#define FETCH_LEGACY_MAX_FILES 16
#define FETCH_LEGACY_FILE_MAX  8192

/* One device's records from STATE/fetch-<MAC>, sorted by name. */
struct fetch_set {
	struct fetch_rec rec[FETCH_LEGACY_MAX_FILES];
	size_t n;
};

/* Parses exactly len bytes of a fetch-<MAC> file. Returns 0 or -EINVAL (s is then empty). */
int fetch_legacy_parse(const char *text, size_t len, uint64_t mac, struct fetch_set *s);

/* Reads STATE/fetch-<MAC>. Returns 0, -ENOENT (no file), -EINVAL (damaged) or -errno. */
int fetch_legacy_load(const struct state *st, uint64_t mac, struct fetch_set *s);

#endif
