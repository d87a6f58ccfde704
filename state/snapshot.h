/*
 * snapshot.h - a copy of the inventory the mount serves, kept in its state directory, so that
 * `provctl diff INVENTORY -s STATE` can compare an edit with what phones get now.
 *
 * STATE/live/ holds the inventory's *.yaml files as the daemon last loaded them successfully
 * (a single-file inventory as inventory.yaml) and `base`, the directory relative paths in them
 * (firmware_dir) count from. It is replaced whole (built in STATE/.live.new, then exchanged),
 * mode 0700/0600 like the keys: it holds the inventory's secrets.
 */
#ifndef PROVFS_SNAPSHOT_H
#define PROVFS_SNAPSHOT_H

#include "backend/tree.h"
#include "inventory/diag.h"
#include "state/state.h"

#define SNAPSHOT_DIR  "live"
#define SNAPSHOT_BASE "base"

/* Copies the inventory (file or directory) into STATE/live. 0 or a negative errno. */
int snapshot_save(const struct state *st, const char *inventory);

/* Loads STATE/live as a tree without keys. -ENOENT when there is none; problems in d. */
int snapshot_load(const struct state *st, struct tree **out, struct diag *d);

#endif
