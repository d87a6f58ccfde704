/*
 * reload.h - building a new generation while the mount serves the old one.
 *
 * SIGHUP wakes a reloader thread (through a self-pipe: the signal handler only writes a
 * byte). The thread loads and validates the whole inventory; if anything is wrong it logs
 * every FILE:LINE:COL problem and keeps the current generation. Otherwise it swaps the new
 * generation in and tells the kernel to forget the names and pages of both generations'
 * files, so added, changed and removed devices are seen at once.
 */
#ifndef PROVFS_RELOAD_H
#define PROVFS_RELOAD_H

#include <stdint.h>

#include "fs/ops.h"

/* Installs the SIGHUP handler and starts the thread. Returns 0 or -errno. */
int reload_start(struct provfs *fs);

/*
 * Stops and joins the thread. If it has not ended after a few seconds (a reload blocked on a
 * hung file system), logs it and ends the process (status 0, as after a clean unmount): the
 * pid file is removed, the audit written and the mount undone first; nothing the reloader
 * may still use is freed under it.
 */
void reload_stop(struct provfs *fs);

/*
 * A device's plain key file was read whole and its key is delivered: has the reloader tell
 * the kernel to forget the name (never from the request handler itself). Returns 0 or -errno.
 */
int reload_key_delivered(struct provfs *fs, uint64_t mac);

/* Has the reloader reload now (the shared backend saw a new epoch). Returns 0 or -errno. */
int reload_request(struct provfs *fs);

/* One reload, now (the thread's work; also for tests). Returns 0 or a negative errno. */
int reload_now(struct provfs *fs);

/* Copies the inventory into STATE/live for provctl diff (state/snapshot.h); logs a failure. */
void reload_keep_copy(struct provfs *fs);

#endif
