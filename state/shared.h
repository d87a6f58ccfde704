/*
 * shared.h - the shared state backend (issue 14, point 2): what replicas must agree on, each
 * device's key epoch and whether its key was delivered, lives in etcd (state/etcd.h); each
 * replica serves from its local view, the key files of its cache directory (state/keys.h).
 *
 * etcd holds one record per device, key `<prefix>/dev/<MAC>` (12 upper-case hex digits),
 * value one line, never a key or a secret (keys are derived from the site secret):
 *     provfs-shared 1 vendor V bits B epoch N state pending|served|delivered proof NAME since T
 * NAME is "-" unless delivered. Every write is a compare-and-swap on the mod_revision last
 * read (absent for a device's first record), so two replicas never both win.
 *
 * The local view follows etcd: one range of the prefix when etcd is first reached, then a
 * watch; a record newer than the key file (keys.h, key_rec_newer) is applied to it. Requests
 * never wait on the network: a served mark or a delivery proof is written as an intent,
 * CACHE/shared-<MAC> (the record wanted, durable before the request is answered), and one
 * background thread pushes the intents to etcd, retrying while etcd is away and re-reading
 * the record when a compare fails. A delivery becomes local only once etcd accepted it; while
 * etcd is away nothing is delivered and no epoch begins, anywhere, and the plain key file is
 * still served. Intents survive a restart.
 *
 * No FUSE here: the daemon is told through callbacks (shared_events).
 */
#ifndef PROVFS_SHARED_H
#define PROVFS_SHARED_H

#include <stddef.h>
#include <stdint.h>

#include "backend/keys.h"
#include "state/keys.h"
#include "state/state.h"

#define SHARED_REC_MAX      256 /* bytes of one record, with room to spare */
#define SHARED_FILE_PREFIX  "shared-"
#define SHARED_PROOF_WAIT_S 10

/*
 * rec as a record line (no '\n'): vendor, bits, epoch, state, proof and since; never pass.
 * Returns its length, or -EINVAL for a record that is not one (no epoch, bad vendor...).
 */
int shared_rec_format(const struct dev_key *rec, char *out, size_t len);

/*
 * A record line (len bytes, no '\n') into *out (pass empty). Strict: exactly the fields in
 * that order, single spaces, no leading zero, a proof only when delivered. Returns 0 or
 * -EBADMSG; a bad record is reported by the caller and never applied.
 */
int shared_rec_parse(const char *line, size_t len, struct dev_key *out);

/* What the daemon is told; every callback runs on a thread of the backend. */
struct shared_events {
	/* The local view now says delivered (etcd accepted it): the plain key file is gone. */
	void (*delivered)(void *ctx, uint64_t mac, const char *proof);
	/* A device's epoch changed (a rekey): render the keys again. */
	void (*keys_changed)(void *ctx);
	/* One message for the log (syslog priority); never holds a key or a secret. */
	void (*log)(void *ctx, int prio, const char *msg);
	void *ctx;
};

struct shared;

/*
 * The backend for url (etcd://H:P[,H:P...]/PREFIX) over the key store of the cache directory
 * (which must have a site secret); reads the intents left in the cache directory. No network
 * yet. Returns 0, or -errno with a one-line reason in err.
 */
int shared_open(const char *url, const struct state *cache, struct keystore *ks,
                const struct shared_events *ev, struct shared **out, char *err, size_t errlen);

/* Starts the thread: the first range, the watch, the intents. Returns 0 or -errno. */
int shared_start(struct shared *sh);

/* Stops the thread and the watch (within about a second) and frees. NULL is ignored. */
void shared_free(struct shared *sh);

/*
 * The device's key, as the local view has it now, was read to its end here (keystore already
 * says served): an intent to record served in etcd. Durable before it returns. 0, 1 (an
 * intent as far along was there already) or -errno.
 */
int shared_served(struct shared *sh, uint64_t mac);

/*
 * The phone asked for proof, one of its encrypted names, and the local view says pending or
 * served: an intent to record the delivery in etcd (durable before it returns). It is pushed
 * once etcd says served in this epoch (this replica's own served mark goes first; another
 * replica's counts too: the plain file from A, the proof on B). A proof that no served mark
 * backs within SHARED_PROOF_WAIT_S of etcd being reachable proves nothing and is dropped.
 * The local view says delivered only once etcd accepted it. Returns 0, 1 (this delivery waits
 * already) or -errno.
 */
int shared_deliver(struct shared *sh, uint64_t mac, const char *proof);

/* ---- provctl: etcd itself, no local view ----------------------------------------------- */

/*
 * `provctl rekey -s etcd://...`: the device's next epoch, pending, by one compare-and-swap
 * (a device without a record is at epoch 1 on every replica: it moves to 2). The replicas
 * apply it through their watch. Returns 0 (*epoch: the new one), -EAGAIN (no etcd: no new
 * epoch), -EBADMSG (the record is not one), -EINVAL (see err) or -errno.
 */
int shared_rekey(const char *url, uint64_t mac, const char *vendor, unsigned bits, uint32_t *epoch,
                 char *err, size_t errlen);

/*
 * `provctl status -s etcd://...`: every record under the prefix, in key order: fn gets the
 * MAC and the record, or NULL for one that does not parse (etcd's key named in bad).
 * Returns 0, -EAGAIN (no etcd) or -errno.
 */
typedef void (*shared_rec_fn)(void *ctx, uint64_t mac, const struct dev_key *rec, const char *bad);
int shared_records(const char *url, shared_rec_fn fn, void *ctx, char *err, size_t errlen);

#endif
