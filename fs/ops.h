/*
 * ops.h - the FUSE low-level operations of the flat, read-only provisioning tree.
 */
#ifndef PROVFS_OPS_H
#define PROVFS_OPS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/audit.h"
#include "fs/fuse_api.h"
#include "state/keys.h"
#include "state/shared.h"
#include "state/state.h"

/*
 * The daemon (fuse_req_userdata). Request handlers only read the fields up to audit; the
 * rest belongs to the reloader thread.
 */
struct provfs {
	const char *inventory; /* absolute path */
	bool listing_all;      /* listing=all: readdir shows device files too */
	bool audit_exact;      /* audit=exact: device files bypass the kernel's page cache */
	bool watch;            /* reload when the inventory's files change (not nowatch) */
	size_t retain;         /* bytes of rendered files a generation keeps (-o retain=MiB) */
	struct state state;
	int state_lock;        /* flock on STATE/provfs.lock: one daemon per state directory */
	struct keystore *keys; /* Panasonic keys in the state directory */
	struct shared *shared; /* state=etcd://: epochs and deliveries shared, else NULL */
	struct audit *audit;   /* fetch log and records (fs/audit.h) */
	struct fuse_session *se;
	uint64_t generation; /* number of the current generation */
	int wake[2];         /* self-pipe: SIGHUP and shutdown wake the reloader */
	pthread_t reloader;
	int reloader_running;
	uint64_t *digests;   /* the reloader's: one per device of the current generation */
	char *secrets_tried; /* the reloader's: the secrets file of the last failed load, or NULL */
};

extern const struct fuse_lowlevel_ops provfs_ops;

#endif
