/*
 * keys.h - Panasonic keys kept in the state directory (SPEC §2, encrypted provisioning).
 *
 * One file per device, "key-<MAC>", holding the 32-character key (from the OpenSSL CSPRNG),
 * its AES size and whether it has been delivered. Every change is written atomically and
 * durably (state.c) before the call returns, so a key survives kill -9 and reboots, and a
 * delivery is on disk before the release that completed it returns. No FUSE here: provctl
 * uses the same store for rekey and status.
 */
#ifndef PROVFS_KEYS_STORE_H
#define PROVFS_KEYS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/keys.h"
#include "fs/state.h"

struct keystore;

/* Loads every key file of the state directory. Returns 0 or -errno. */
int keystore_open(const struct state *st, struct keystore **out);
void keystore_free(struct keystore *ks);

/* The store as the backend's key source (creates keys on first use). */
const struct key_source *keystore_source(struct keystore *ks);

/* Re-reads the directory (another process may have rekeyed). *changed: anything differs. */
int keystore_reload(struct keystore *ks, bool *changed);

/* The device's key state without creating one. Returns 0 or -ENOENT. */
int keystore_lookup(struct keystore *ks, uint64_t mac, struct pa_key *out);

/*
 * Marks the key delivered (durable) if it is still `served`, the key the reader got: a key
 * replaced meanwhile (provctl rekey, on disk even before the daemon reloads) is not
 * delivered by a reader of the old one. Returns 0, -ESTALE (another key now), -ENOENT or
 * -errno.
 */
int keystore_deliver(struct keystore *ks, uint64_t mac, const char *served);

/* A new pending key of `bits` replaces any old one (durable). Returns 0 or -errno. */
int keystore_rekey(struct keystore *ks, uint64_t mac, unsigned bits);

#endif
