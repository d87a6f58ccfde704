/*
 * keys.h - Panasonic per-device keys as the backend sees them (SPEC §2, encrypted
 * provisioning): a 32-character passphrase, its AES size, and whether the plain file that
 * carries it has been delivered. Keys live in the state directory (fs/keys.c); the backend
 * reads them through this interface only, so data still flows inventory -> backend -> fs.
 */
#ifndef PROVFS_KEYS_H
#define PROVFS_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#define PA_KEY_LEN 32

enum key_state {
	KEY_NONE,      /* no key yet: one is made on first use */
	KEY_PENDING,   /* the plain Config<MAC>.cfg with the key is served */
	KEY_DELIVERED, /* one reader read it whole: only .enc files remain */
};

struct pa_key {
	char pass[PA_KEY_LEN + 1];
	unsigned bits; /* 128, 192 or 256 */
	enum key_state state;
};

struct key_source {
	/*
	 * The key of a device. With `create`, a device without one gets a new pending key of
	 * `bits` (stored durably before this returns). Returns 0, -ENOENT (no key and not
	 * create) or -errno.
	 */
	int (*get)(void *ctx, uint64_t mac, unsigned bits, bool create, struct pa_key *out);
	void *ctx;
};

#endif
