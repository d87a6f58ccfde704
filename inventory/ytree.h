/*
 * ytree.h - a YAML file read into a small, bounded node tree.
 *
 * libyaml 0.2.5 has no limits of its own: deep flow nesting costs quadratic time, aliases
 * can describe a billion nodes in 500 bytes, and duplicate keys pass silently. This reader
 * drives the event API and enforces every bound before the schema sees a node:
 * file size, nesting depth, scalar length, NUL bytes, tags, anchors and alias expansion,
 * one document per file, and duplicate mapping keys. Every node keeps its line and column
 * so that later stages report "FILE:LINE:COL: message".
 */
#ifndef PROVFS_YTREE_H
#define PROVFS_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory/arena.h"
#include "inventory/diag.h"

#define YT_MAX_FILE        ((size_t)64 << 20) /* bytes per inventory file */
#define YT_MAX_DEPTH       64                 /* nested mappings/sequences */
#define YT_MAX_SCALAR      4096               /* bytes per key or value */
#define YT_MAX_ANCHORS     64                 /* anchors per file */
#define YT_MAX_ALIAS_NODES 10000              /* nodes reachable through aliases, per file */

enum ynode_kind {
	YN_SCALAR,
	YN_MAP,
	YN_SEQ,
};

/* Where a subtree's weight saturates (far above YT_MAX_ALIAS_NODES). */
#define YNODE_WEIGHT_MAX ((UINT32_C(1) << 29) - 1)

/*
 * 24 bytes: a 100,000-device inventory has two million of them, all alive while the schema
 * reads the tree (a reload's peak).
 */
struct ynode {
	union {
		const char *str;      /* scalar text, NUL-terminated, no inner NUL */
		struct ynode **items; /* seq: n items; map: 2n entries, key then value */
	} u;
	uint32_t line;        /* 1-based */
	uint32_t col;         /* 1-based */
	uint32_t n;           /* scalar: byte length; seq: items; map: pairs */
	uint32_t weight : 29; /* nodes in this subtree, aliases expanded (saturating) */
	uint32_t kind : 2;    /* enum ynode_kind */
	uint32_t plain : 1;   /* scalar written without quotes: "", "~" and "null" are null */
};

/*
 * Parses data[0..len) of the file named `file` (used in messages only). Nodes and strings
 * are allocated from `a`. On success *root is the document's root node, or NULL for an
 * empty file. Returns 0, or -EINVAL after adding the reasons to d (syntax errors stop at
 * the first; duplicate keys are all reported), or -ENOMEM.
 */
int ytree_parse(const char *file, const char *data, size_t len, struct arena *a, struct diag *d,
                struct ynode **root);

/*
 * ytree_parse with flags. YT_QUIET_KEYS: no message quotes a key (the secrets file, where an
 * admin may have written NAME and value the wrong way round: a key may be a password).
 * No other message of the reader quotes content.
 */
#define YT_QUIET_KEYS 1u
int ytree_parse_flags(const char *file, const char *data, size_t len, struct arena *a,
                      struct diag *d, struct ynode **root, unsigned flags);

/*
 * Reads a regular file of at most YT_MAX_FILE bytes into *data (malloc'd; caller frees).
 * Anything else (a FIFO, a device, a socket, a directory) is refused without blocking.
 * Returns 0 or -errno, with a located message in d for every failure.
 */
int ytree_read_file(const char *path, char **data, size_t *len, struct diag *d);

/*
 * The same for `name` relative to the open directory dir_fd (AT_FDCWD: the working directory);
 * messages name it `path`. A directory inventory reads all its files through one descriptor of
 * the directory, so a symlink to it switched meanwhile (contrib/provfs-git-sync) cannot mix
 * the files of two trees.
 */
int ytree_read_file_at(int dir_fd, const char *name, const char *path, char **data, size_t *len,
                       struct diag *d);

/* Scalar helpers. */
bool ynode_is_null(const struct ynode *n);
bool ynode_scalar_eq(const struct ynode *n, const char *s);

/* Map access: the i-th key and value. */
static inline const struct ynode *ymap_key(const struct ynode *m, uint32_t i)
{
	return m->u.items[2 * i];
}

static inline const struct ynode *ymap_val(const struct ynode *m, uint32_t i)
{
	return m->u.items[2 * i + 1];
}

#endif
