/*
 * firmware.h - the firmware files a tree serves (see firmware.c).
 */
#ifndef PROVFS_FIRMWARE_H
#define PROVFS_FIRMWARE_H

#include "backend/tree.h"
#include "inventory/diag.h"
#include "inventory/model.h"

/*
 * Lists the version directories every used firmware block names into t->fw / t->fw_by_ino,
 * and keeps each one open in t->fw_dirs. Problems (missing firmware_dir or version
 * directory, a version directory reached through a symlink, a symlink, FIFO, socket or device
 * node in one, two versions under one prefix/postfix, unservable file names) go to d, at the
 * version's position. Returns 0 or -ENOMEM.
 */
int firmware_scan(struct tree *t, const struct inventory *inv, struct diag *d);

/* Closes the version directories firmware_scan opened (the tree is being freed). */
void firmware_close(struct tree *t);

#endif
