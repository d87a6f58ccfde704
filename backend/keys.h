/*
 * keys.h - per-device keys as the backend sees them (SPEC §2, encrypted provisioning): a
 * 32-character passphrase, its AES size, and how far its delivery has come. Keys live in the
 * state directory (state/keys.c); the backend reads them through this interface only, so data
 * still flows inventory -> backend -> fs.
 *
 * Delivery (README "the key flow"): a key is made PENDING; once a reader has read the plain
 * file that carries it to its end, it is SERVED; once the phone then asks for one of its
 * encrypted names, which it can only know from that file, it is DELIVERED and the plain file
 * is gone. A server that reads the whole plain file for a Range request or an aborted
 * transfer (sendfile) makes the key SERVED at most, never DELIVERED.
 */
#ifndef PROVFS_KEYS_H
#define PROVFS_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#define KEY_PASS_LEN  32
#define KEY_PROOF_MAX 64 /* a file name of the tree */

enum key_state {
	KEY_NONE,      /* no key yet: one is made on first use */
	KEY_PENDING,   /* the plain Config<MAC>.cfg with the key is served */
	KEY_SERVED,    /* ... and one reader read it to its end: still served */
	KEY_DELIVERED, /* the phone asked for an encrypted name: only encrypted files remain */
};

#define KEY_VENDOR_MAX 15 /* the longest vendor name a derived key records */

struct dev_key {
	char pass[KEY_PASS_LEN + 1];
	unsigned bits; /* 128, 192 or 256 */
	/*
	 * 0: a random key, kept in its key file. From 1: a key derived from the site secret,
	 * the vendor and the MAC in this epoch (state/derive.h); `provctl rekey` moves it on.
	 */
	uint32_t epoch;
	char vendor[KEY_VENDOR_MAX + 1]; /* derived: the vendor it was derived for */
	enum key_state state;
	int64_t since;                 /* when the state began (Unix time; 0: not recorded) */
	char proof[KEY_PROOF_MAX + 1]; /* delivered: the name whose request proved it */
};

struct key_source {
	/*
	 * The key of a device of `vendor` (the inventory's lower-case name). With `create`, a
	 * device without one gets a new pending key of `bits` (stored durably before this
	 * returns; derived for vendor when there is a site secret). Returns 0, -ENOENT (no key
	 * and not create), -EIO (the device's key file exists but cannot be read, or its key
	 * cannot be derived: never replaced) or -errno.
	 */
	int (*get)(void *ctx, uint64_t mac, const char *vendor, unsigned bits, bool create,
	           struct dev_key *out);
	void *ctx;
};

#endif
