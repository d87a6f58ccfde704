/*
 * etcd.h - a small client for etcd v3 (3.4 and later) through its documented gRPC-JSON gateway
 * (HTTP POST of JSON to /v3/kv/range, /v3/kv/put, /v3/kv/deleterange, /v3/kv/txn and the
 * streaming /v3/watch), with libcurl; keys and values travel base64-encoded inside the JSON.
 * It is the foundation of a shared state backend (issue 14, point 2): what several provfs
 * replicas must agree on lives in etcd, each replica watches it and serves from its own view.
 * No consensus of our own: etcd orders every write, we only compare-and-swap.
 *
 * Endpoints come from a URL `etcd://HOST:PORT[,HOST:PORT...]/PREFIX` (etcd_url_parse). Every
 * request goes to the endpoint that answered last; on a connection error, a timeout or a member
 * that has no leader, the same request goes to the next one, within one deadline for the whole
 * call (ETCD_CALL_MS), so a caller never waits long on the network.
 *
 * Errors (all negative errnos):
 *   -EAGAIN     no etcd now: no endpoint could be reached, or none had a leader (quorum lost);
 *               nothing was written
 *   -ETIMEDOUT  a write was sent but no reply said whether it was applied (no answer before the
 *               deadline, or a member's "request timed out"): read the key back; see etcd_cas
 *   -ECANCELED  a compare-and-swap's compare failed (the current value is returned)
 *   -ENOENT     etcd_get: no such key
 *   -ESTALE     the revision asked for was compacted away
 *   -EBADMSG    a reply that does not parse, or lacks what it must hold
 *   -EMSGSIZE   a reply larger than ETCD_REPLY_MAX (a watch message: ETCD_WATCH_LINE_MAX)
 *   -EINVAL     a bad argument, or etcd refused the request as invalid
 *   -EIO        any other error etcd reported
 *   -ENOMEM
 *
 * Data model the key store will use (a suggestion for the etcd state backend):
 *   key    <prefix>/dev/<MAC>          MAC as 12 upper-case hex digits, as key-<MAC> files
 *   value  "epoch N state pending|served|delivered proof NAME since T"
 *          N the device's key epoch (derived keys, point 1): never the key itself, which each
 *          replica derives from the site secret; NAME the file whose request proved the
 *          delivery (only in state delivered, "-" otherwise); T seconds since 1970 UTC.
 *   Every change is etcd_cas on the mod_revision the writer last read (ETCD_CMP_MOD_REVISION),
 *   or ETCD_CMP_ABSENT for a device's first record: two replicas that race to record a
 *   delivery or start an epoch cannot both win, and the loser gets the winner's value back.
 *   A replica applies what the watch of `<prefix>/dev/` delivers to its local view and serves
 *   from that view only; while etcd is away (-EAGAIN) it records nothing and keeps serving.
 *   Values are unique per write (epoch, state, proof and time together), which is what lets a
 *   writer recognise its own write after -ETIMEDOUT.
 *
 * Thread safety: one client may be used from several threads at once; each call makes its own
 * connection. A watch runs on a thread of its own and calls back from there.
 */
#ifndef PROVFS_ETCD_H
#define PROVFS_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"

/*
 * Timeouts. Connecting on a LAN or loopback takes well under a millisecond; 300 ms covers a
 * busy host and is still short enough that three dead endpoints cost under a second. One
 * attempt may take 1000 ms: a healthy etcd commits in a few ms, and a member that waits for a
 * new leader answers within an election (1 s by default) or not at all. The whole call,
 * failover included, ends after ETCD_CALL_MS, so a caller is never blocked for longer.
 */
#define ETCD_CONNECT_MS 300
#define ETCD_ATTEMPT_MS 1000
#define ETCD_CALL_MS    1500

/*
 * A watch whose member has sent nothing for this long asks it for its status (one small
 * request); no answer within ETCD_ATTEMPT_MS moves the watch to the next endpoint. So a frozen
 * member delays events by about 4 s at most, at the cost of one request per idle 3 s.
 */
#define ETCD_WATCH_IDLE_MS 3000

#define ETCD_REPLY_MAX      ((size_t)4 << 20) /* bytes of one reply: a page of a range */
#define ETCD_RANGE_PAGE     1000              /* keys per page of a range (~300 KB of records) */
#define ETCD_WATCH_LINE_MAX ((size_t)4 << 20) /* bytes of one watch message */
#define ETCD_ENDPOINTS_MAX  16
#define ETCD_URL_MAX        1024
#define ETCD_PREFIX_MAX     256

/* --- URL ------------------------------------------------------------------------------------ */

struct etcd_url {
	size_t n;                            /* endpoints, 1..ETCD_ENDPOINTS_MAX */
	char *endpoints[ETCD_ENDPOINTS_MAX]; /* "host:port" each ("[v6]:port" for IPv6) */
	char *prefix; /* "/name[/name...]": the leading '/', no trailing one */
};

/*
 * Parses `etcd://HOST:PORT[,HOST:PORT...]/PREFIX`. HOST is a name or IPv4 address of
 * [A-Za-z0-9.-] or an IPv6 address in brackets; PORT is 1..65535 in decimal without a sign or
 * leading zero; PREFIX is one or more names of [A-Za-z0-9._-] separated by single '/'. No space
 * anywhere. Returns 0, or -EINVAL with a one-line reason in err (never more than errlen bytes).
 */
int etcd_url_parse(const char *url, struct etcd_url *out, char *err, size_t errlen);
void etcd_url_free(struct etcd_url *u);

/* --- replies ------------------------------------------------------------------------------- */

struct etcd_kv {
	char *key; /* decoded, NUL-terminated (key_len bytes before the NUL) */
	size_t key_len;
	uint8_t *value; /* decoded, NUL-terminated too for convenience; value_len bytes */
	size_t value_len;
	int64_t create_revision; /* 0: the key does not exist (a CAS's current value) */
	int64_t mod_revision;
	int64_t version;
};

struct etcd_range {
	struct etcd_kv *kvs; /* in key order */
	size_t n;
	int64_t revision; /* the store's revision the range was read at */
	bool more;        /* etcd had more keys than it returned (never with limit 0) */
};

enum etcd_event_type {
	ETCD_PUT,
	ETCD_DELETE,
};

struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv; /* for ETCD_DELETE only key and mod_revision (the deletion's) */
};

void etcd_kv_free(struct etcd_kv *kv);
void etcd_range_free(struct etcd_range *r);

/* --- the client ----------------------------------------------------------------------------- */

struct etcd_client;

/* A client for the endpoints of url. Returns 0 or -errno (-EINVAL: see err). */
int etcd_client_new(const char *url, struct etcd_client **out, char *err, size_t errlen);
void etcd_client_free(struct etcd_client *c);
/*
 * Every call in flight ends within about a second (at once when it waits between attempts) and
 * every later one at once, as if etcd were away (-EAGAIN, or -ETIMEDOUT for a write that was
 * sent): for a caller that is shutting down, which stops its watches too. Any thread.
 */
void etcd_client_cancel(struct etcd_client *c);
/* The URL's prefix ("/name..."): the caller builds its keys below it. */
const char *etcd_client_prefix(const struct etcd_client *c);

/*
 * One key. 0 and *out filled (free with etcd_kv_free), -ENOENT if the key does not exist.
 * revision: the store revision of the read (may be NULL).
 */
int etcd_get(struct etcd_client *c, const char *key, struct etcd_kv *out, int64_t *revision);

/*
 * Every key that starts with prefix, as of revision (0: the latest), in key order, read in pages
 * of ETCD_RANGE_PAGE keys (fewer when a page would exceed ETCD_REPLY_MAX) all as of the first
 * page's revision: no size limit on the whole. -ESTALE if that revision was compacted
 * meanwhile. Free *out with etcd_range_free.
 */
int etcd_range_prefix(struct etcd_client *c, const char *prefix, int64_t revision,
                      struct etcd_range *out);

/* Sets key to value. revision: the write's revision (may be NULL). */
int etcd_put(struct etcd_client *c, const char *key, const void *value, size_t len,
             int64_t *revision);

/* Deletes key; *deleted (may be NULL): how many keys went (0 or 1). */
int etcd_delete(struct etcd_client *c, const char *key, int64_t *deleted, int64_t *revision);

enum etcd_cmp {
	ETCD_CMP_MOD_REVISION, /* key's mod_revision == mod_revision */
	ETCD_CMP_VALUE,        /* key's value == expect (a missing key never compares equal) */
	ETCD_CMP_ABSENT,       /* key does not exist (its create_revision is 0) */
};

struct etcd_cas {
	const char *key;
	enum etcd_cmp cmp;
	int64_t mod_revision; /* ETCD_CMP_MOD_REVISION */
	const void *expect;   /* ETCD_CMP_VALUE */
	size_t expect_len;
	const void *value; /* what to put when the compare holds */
	size_t value_len;
};

/*
 * One transaction: if the compare holds, put the value (0, *revision = the write's); else
 * -ECANCELED and *current (may be NULL) = the key as it is (create_revision 0 if it does not
 * exist; free with etcd_kv_free). Atomic in etcd: of two racing CAS on one mod_revision
 * exactly one succeeds.
 * After an attempt that got no reply, the call tries the next endpoint with the same compare:
 * a first attempt that was applied makes that compare fail, and if the key then holds exactly
 * the new value the call returns 0, because with values unique per write it was this write.
 * When the deadline passes first: -ETIMEDOUT, and the same reading applies to the caller.
 */
int etcd_cas(struct etcd_client *c, const struct etcd_cas *op, struct etcd_kv *current,
             int64_t *revision);

/* --- watch ---------------------------------------------------------------------------------- */

struct etcd_watch_cb {
	/* Each change under the prefix, in revision order, each exactly once. */
	void (*event)(void *ctx, const struct etcd_event *ev);
	/*
	 * The revisions after the last one delivered were compacted away, so those events are
	 * lost: snap is the whole prefix as of snap->revision, and the caller replaces its view
	 * with it. Events then continue from snap->revision + 1. May be NULL (then the watch
	 * goes on from the compaction without a snapshot).
	 */
	void (*reset)(void *ctx, const struct etcd_range *snap);
	/*
	 * The connection to etcd changed: 0 connected (again), -EAGAIN no etcd now (the watch
	 * keeps retrying every endpoint). Only on changes, so a caller can log once. May be NULL.
	 */
	void (*status)(void *ctx, int err);
	void *ctx;
};

struct etcd_watch;

/*
 * Watches every key under prefix from start_revision on a thread of its own. 0 means from the
 * moment the first stream is set up (the first status 0), so changes made before that are not
 * seen: a caller that needs them all reads the prefix (etcd_range_prefix) and watches from
 * that range's revision + 1.
 * When a connection ends (member killed, no leader, network), the watch resumes on the next
 * endpoint from the last revision it delivered + 1: no event is lost or delivered twice.
 * Returns 0 or -errno; the callbacks run on the watch's thread.
 */
int etcd_watch_start(struct etcd_client *c, const char *prefix, int64_t start_revision,
                     const struct etcd_watch_cb *cb, struct etcd_watch **out);
/* Stops the thread (within about a second) and frees the watch; no callback after it returns. */
void etcd_watch_stop(struct etcd_watch *w);
/* The last revision the watch delivered (or start_revision - 1). */
int64_t etcd_watch_revision(struct etcd_watch *w);

/* --- the reply parsers, exposed for the unit tests ------------------------------------------ */

/* What a gateway error reply says: {"error": "...", "code": N} (gRPC status code). */
#define ETCD_GRPC_UNKNOWN           2
#define ETCD_GRPC_UNAVAILABLE       14
#define ETCD_GRPC_DEADLINE_EXCEEDED 4
#define ETCD_GRPC_OUT_OF_RANGE      11 /* a compacted revision */
#define ETCD_GRPC_INVALID_ARGUMENT  3

/* The errno for a gateway error reply (HTTP status and body), 0 if it is not one. */
int etcd_parse_error(long http_status, const char *json, size_t len);
int etcd_parse_range(const char *json, size_t len, struct etcd_range *out);
/* put, deleterange: the header's revision and (deleterange) "deleted". */
int etcd_parse_write(const char *json, size_t len, int64_t *revision, int64_t *deleted);
/* A txn of etcd_cas: 0 (succeeded; *revision), -ECANCELED (*current filled) or an error. */
int etcd_parse_txn(const char *json, size_t len, struct etcd_kv *current, int64_t *revision);

enum etcd_watch_kind {
	ETCD_WATCH_CREATED,   /* the watch is set up */
	ETCD_WATCH_EVENTS,    /* events (n >= 0; 0 for a progress notification) */
	ETCD_WATCH_COMPACTED, /* canceled: compact_revision is the oldest revision left */
	ETCD_WATCH_CANCELED,  /* canceled for another reason (e.g. the member lost its leader) */
};

struct etcd_watch_msg {
	enum etcd_watch_kind kind;
	struct etcd_event *events;
	size_t n;
	int64_t revision;         /* the header's */
	int64_t compact_revision; /* ETCD_WATCH_COMPACTED */
};

/*
 * One message of the watch stream: {"result": {...}} or {"error": {...}} (then the errno of
 * its code). Free with etcd_watch_msg_free.
 */
int etcd_parse_watch(const char *json, size_t len, struct etcd_watch_msg *out);
void etcd_watch_msg_free(struct etcd_watch_msg *m);

/*
 * The watch stream's framing: the gateway writes each message as one JSON object and a '\n',
 * and the network cuts the stream anywhere. etcd_lines_feed adds n bytes and calls fn for each
 * complete non-empty line (without its '\n'); the rest waits for more. A line longer than max
 * gives -EMSGSIZE. Returns 0, fn's first negative return, -EMSGSIZE or -ENOMEM.
 */
struct etcd_lines {
	struct buf b; /* buf_init before the first feed, buf_free after the last */
	size_t max;
};

int etcd_lines_feed(struct etcd_lines *l, const char *p, size_t n,
                    int (*fn)(void *ctx, const char *line, size_t len), void *ctx);

#endif
