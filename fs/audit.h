/*
 * audit.h - who fetched what (SPEC §4 "Audit").
 *
 * - Every release of a device file (a name that carries a MAC) logs one line:
 *       fetch NAME mac=MAC generation=N bytes=B size=S complete|partial|cached
 *   (syslog adds the time; the foreground log on stderr starts with an ISO-8601 UTC time).
 *   NAME is the file's canonical name (aliases and prefix/postfix wraps share one inode, and
 *   an open sees only the inode), MAC 12 lower-case hex digits, N the generation the file was
 *   opened on, B the bytes provfs delivered to this reader, S the file's size; complete when
 *   the reader covered bytes 0..S from here. Otherwise partial with audit=exact (every byte
 *   comes from here), and cached by default: the kernel's page cache served the rest, and
 *   whether the reader got it all is in the file server's log. Never a secret: names and
 *   numbers only.
 * - The same release becomes a record of STATE/fetch.log (state/fetch.h), appended by a flusher
 *   thread, woken at most once a second, off the request path, with one write(2) a round for
 *   every record of that second; not durably (no fsync).
 * - Lookups of device names for MACs the inventory does not know are counted (one atomic
 *   add); a warning at most once a minute says how many came since the last one, with one
 *   example name, so an enumeration sweep is visible. The first warning of a sweep comes once
 *   a second has passed without such a lookup, or a minute after the sweep began.
 *
 * Request handlers call audit_fetch (release) and audit_unknown (lookup); neither touches the
 * disk. Every function accepts a NULL audit and then does nothing.
 */
#ifndef PROVFS_AUDIT_H
#define PROVFS_AUDIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "state/state.h"

struct audit;

/*
 * What one reader got, updated by every read of its handle (reads of one handle may come in
 * parallel and in any order): the bytes delivered, and the prefix 0..covered it got without a
 * gap. A fetch is complete when the prefix reaches the size: the first 512 bytes read twice
 * are 1024 bytes delivered but still a partial fetch.
 */
struct audit_progress {
	atomic_uint_fast64_t bytes;
	atomic_uint_fast64_t covered;
};

void audit_progress_init(struct audit_progress *p);

/* A read of n bytes at off was answered. Returns the covered prefix after it. */
uint64_t audit_progress_read(struct audit_progress *p, uint64_t off, uint64_t n);

/* Whether the reader covered bytes 0..size. */
bool audit_progress_complete(const struct audit_progress *p, uint64_t size);

/* What a release reports. */
struct audit_fetch {
	const char *name; /* canonical name */
	uint64_t mac;
	uint64_t generation;
	uint64_t size;
	const struct audit_progress *progress; /* what the reader got */
	bool exact; /* audit=exact: every byte the reader got came from here */
};

/* A new audit writing fetch records into st (which must outlive it). Returns 0 or -errno. */
int audit_new(const struct state *st, struct audit **out);

/* Starts the flusher thread (after daemonizing). Returns 0 or -errno. */
int audit_start(struct audit *a);

/* Stops the flusher, writes what is pending (and a pending sweep warning), frees. */
void audit_free(struct audit *a);

/* A device file was released: logs it and records it as the device's last fetch of it. */
void audit_fetch(struct audit *a, const struct audit_fetch *f);

/* A lookup of name, a well-formed device name for a MAC the inventory does not know. */
void audit_unknown(struct audit *a, const char *name);

#endif
