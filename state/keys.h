/*
 * keys.h - per-device keys kept in the state directory (SPEC §2, encrypted provisioning).
 *
 * One file per device, "key-<MAC>", holding the 32-character key (from the OpenSSL CSPRNG),
 * its AES size and how far its delivery has come (backend/keys.h). Every change is written
 * atomically and durably (state.c) before the call returns, so a key survives kill -9 and
 * reboots, and a delivery is on disk before the request that proved it is answered.
 *
 * Whoever asks, a device has one key: the daemon and provctl (cat, export, rekey) create,
 * advance and replace keys only while they hold an exclusive flock on STATE/keys.lock, and
 * always decide from the file on disk, never from their memory alone.
 *
 * A key is never lost: only a missing file (ENOENT) means "no key". A key file that cannot be
 * read (EMFILE, EIO, EACCES, a FIFO, damaged or truncated content) keeps the key last known
 * in memory, makes the device's encrypted files fail with EIO, is reported once through the
 * events callback, and is never written over: an administrator may restore it from a backup.
 *
 * Derived keys (issue 14): opened with a site secret (keystore_open_derived, the mount's
 * key_secret=FILE or provctl -k FILE), the store gives a device without a key file a key
 * derived from the secret, its vendor, its MAC and epoch 1 (state/derive.h), and `provctl
 * rekey` gives it the next epoch's. Such a key file records the vendor, the epoch and the
 * secret's fingerprint, not the key: the key is derived again whenever the file is read, so
 * replicas that share the secret serve the same key, and the state directory (or a backup
 * of it) holds no key. What keeps "a key once delivered is never lost" is then the secret
 * file: lose it and every derived key is lost, so back it up with as much care as the keys.
 * A key file whose fingerprint is not the secret's is never derived under the other secret
 * (the phone would silently get another key): like an unreadable file it is reported once
 * (-EKEYREJECTED), its encrypted files fail (EIO) and it is left as it is, until the old
 * secret is back or `provctl rekey` moves the device to the current secret (next epoch). A
 * derived key file read without a secret is the same (-ENOKEY).
 *
 * Migration: random keys (provfs-key 1 files) stay exactly as they are when a secret is
 * added, key and state; only a rekey, or a device that has no key yet, gets a derived key
 * (a random key's rekey: epoch 1). Without a secret, keys are random, as before, unless the
 * directory holds a derived key file: then a store without the secret makes no key (-ENOKEY),
 * since a random one would differ from what the replicas derive. Removing a
 * derived key file gives the device the key of epoch 1 again, not a new one: rekey instead.
 *
 * No FUSE here: provctl uses the same store for rekey and status.
 */
#ifndef PROVFS_KEYS_STORE_H
#define PROVFS_KEYS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/keys.h"
#include "state/state.h"

#define KEYS_LOCK_FILE "keys.lock"

struct keystore;

/* What the store tells its user (a daemon logs it, provctl prints it). May be all NULL. */
struct keystore_events {
	/*
	 * A device's key file cannot be read (err: -errno, -EBADMSG for damaged content,
	 * -EKEYREJECTED for a key derived under another site secret, -ENOKEY for a derived key
	 * and no secret, or for no key yet in a directory of derived keys and no secret), or can
	 * again (err 0). Called once per change, never with a key.
	 */
	void (*unreadable)(void *ctx, uint64_t mac, int err);
	void *ctx;
};

struct site_secret;

/* Loads every key file of the state directory. Returns 0 or -errno. */
int keystore_open(const struct state *st, const struct keystore_events *ev, struct keystore **out);

/*
 * The same with a site secret (NULL: keystore_open), which new keys are derived from; it must
 * outlive the store.
 */
int keystore_open_derived(const struct state *st, const struct keystore_events *ev,
                          const struct site_secret *secret, struct keystore **out);
void keystore_free(struct keystore *ks);

/* The store as the backend's key source (creates keys on first use). */
const struct key_source *keystore_source(struct keystore *ks);

/* Re-reads the directory (another process may have rekeyed). *changed: anything differs. */
int keystore_reload(struct keystore *ks, bool *changed);

/*
 * The device's key state without creating one. Returns 0, -ENOENT (no key), or the error that
 * keeps its key file from being read (*out then holds the key last known, if any).
 */
int keystore_lookup(struct keystore *ks, uint64_t mac, struct dev_key *out);

/*
 * A reader read the plain file carrying `served` (the key in the bytes it got) to its end:
 * PENDING becomes SERVED (durable). Returns 0 (also when already SERVED or DELIVERED),
 * -ESTALE (the file now holds another key), -ENOENT or -errno.
 */
int keystore_mark_served(struct keystore *ks, uint64_t mac, const char *served);

/*
 * The phone asked for `proof`, one of its encrypted names: a SERVED key becomes DELIVERED
 * (durable, with the name and time). Returns 0 when this call delivered it, 1 when it was
 * delivered already, -EAGAIN when the plain file with the current key was never read to its
 * end (nothing proven), -ENOENT or -errno.
 */
int keystore_deliver(struct keystore *ks, uint64_t mac, const char *proof);

/*
 * A new pending key of `bits` replaces any old one (durable): with a site secret, the key of
 * the next epoch derived for `vendor` (epoch 1 after a random key or none; a key derived under
 * another secret moves to this one), else a random one. A key file that exists but cannot be
 * read is not replaced: its error is returned (restore or remove the file first); so is a
 * derived one without a secret, or a random one in a directory of derived keys (-ENOKEY).
 * Returns 0 or -errno.
 */
int keystore_rekey(struct keystore *ks, uint64_t mac, const char *vendor, unsigned bits);

/*
 * The shared backend's ordering of a device's facts (state/shared.h): rec is newer than cur
 * when its epoch is higher, or its epoch is the same and its state is further along
 * (pending < served < delivered). A fact is never taken back: an older or equal one is not.
 */
bool key_rec_newer(const struct dev_key *cur, const struct dev_key *rec);

/*
 * Applies a record shared by the replicas (state/shared.h: vendor, bits, epoch, state, proof,
 * since; never a key) to the device's key file, under the same lock and with the same durable
 * write as every change, only if it is newer than the file (key_rec_newer; a missing file is
 * older than anything). The key itself is derived again from the site secret, which the store
 * must have (-ENOKEY otherwise). Returns 1 when the file changed (*was, if not NULL, holds
 * the state before: KEY_NONE if there was none), 0 when the record is not newer, or -errno
 * (-EINVAL: a record that is not a derived one). A key file that cannot be read is never
 * written over (its error).
 */
int keystore_apply(struct keystore *ks, uint64_t mac, const struct dev_key *rec,
                   struct dev_key *was);

/* "no key yet", "pending", ... for messages. */
const char *key_state_name(enum key_state s);

#endif
