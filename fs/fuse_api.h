/*
 * fuse_api.h - the one place that picks the libfuse API: low-level, 3.14 (Debian 12).
 * The low-level API is the one that can drop cached negative entries and keep inode
 * numbers our own (FUSE.md §1.1).
 */
#ifndef PROVFS_FUSE_API_H
#define PROVFS_FUSE_API_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#endif
