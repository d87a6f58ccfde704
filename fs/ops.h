/*
 * ops.h - the FUSE low-level operations of the flat, read-only provisioning tree.
 */
#ifndef PROVFS_OPS_H
#define PROVFS_OPS_H

#include <stdbool.h>

#include "fs/fuse_api.h"
#include "fs/state.h"

/* Daemon settings shared by every request (fuse_req_userdata). Read-only after mount. */
struct provfs {
	const char *inventory; /* path as given */
	bool listing_all;      /* listing=all: readdir shows device files too */
	struct state state;
};

extern const struct fuse_lowlevel_ops provfs_ops;

#endif
