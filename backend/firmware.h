/*
 * firmware.h - the firmware files a tree serves (see firmware.c).
 */
#ifndef PROVFS_FIRMWARE_H
#define PROVFS_FIRMWARE_H

#include "backend/tree.h"
#include "inventory/diag.h"
#include "inventory/model.h"

/*
 * Lists the version directories every used firmware block names into t->fw / t->fw_by_ino.
 * Problems (missing firmware_dir or version directory, two versions under one
 * prefix/postfix, unservable file names) go to d. Returns 0 or -ENOMEM.
 */
int firmware_scan(struct tree *t, const struct inventory *inv, struct diag *d);

#endif
