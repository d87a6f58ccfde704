/*
 * tree.h - one generation's tree: the inventory plus what the backend derives from it once.
 *
 * Loading runs every check (schema, vendor rules, firmware directories, name clashes) and
 * reports all problems of a run together; a tree that loads is fit to serve. It also builds
 * what later lookups need: the firmware files each used version exposes, the inode numbers
 * of per-model files, and the config prefix/postfix pairs devices use (to list the names
 * they ask for). Immutable once loaded; freed as a whole, which also closes the firmware
 * version directories it holds open (firmware.c).
 */
#ifndef PROVFS_TREE_H
#define PROVFS_TREE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inventory/arena.h"
#include "inventory/diag.h"
#include "inventory/model.h"

/*
 * A firmware file served as <prefix><file><postfix>, read straight from its real file: `file`
 * opened beneath `dirfd` (its version directory, held open by the tree) without following a
 * symlink, so what is served never leaves the directory that was checked.
 */
struct vendor;

struct fw_file {
	const struct vendor *vendor; /* whose firmware, and its kind of file for it */
	unsigned kind;
	const char *name; /* exposed name */
	const char *path; /* real file, for messages and comparisons */
	const char *file; /* its name in the version directory */
	int dirfd;        /* the version directory (t->fw_dirs) */
	uint64_t size;
	uint64_t ino;
	dev_t real_dev; /* identity when scanned: a replaced file is detected at open */
	ino_t real_ino;
	time_t real_mtime;
};

/* A config prefix/postfix pair (P234/P235) some device uses. */
struct wrap {
	const char *prefix;
	const char *postfix;
};

struct key_source;

struct tree {
	atomic_uint refs;
	struct inventory *inv;
	const struct key_source *keys; /* per-device keys; NULL: none (encrypted files fail) */
	struct arena arena;            /* names and paths below */
	struct fw_file *fw;            /* sorted by name */
	uint32_t nfw;
	uint32_t *fw_by_ino; /* indexes into fw, sorted by ino */
	int *fw_dirs;        /* version directories the firmware files lie in; closed on free */
	uint32_t nfw_dirs;
	uint64_t *model_hash; /* parallel to inv->models: low 48 bits of per-model inodes */
	struct wrap *wraps;   /* sorted, unique, never both empty */
	uint32_t nwraps;
};

/*
 * Loads path (file or directory) and runs every check. keys (may be NULL) gives devices of
 * encrypted models their keys. Returns 0 and *out (one reference), or a negative errno with every
 * problem in d.
 */
int tree_load(const char *path, const struct key_source *keys, struct tree **out, struct diag *d);

/* The same of a copy kept away from the original: relative paths count from base. */
int tree_load_based(const char *path, const char *base, const struct key_source *keys,
                    struct tree **out, struct diag *d);

/* The same from memory (`name` in messages; firmware_dir relative to the working directory). */
int tree_load_buffer(const char *name, const char *yaml, size_t len, const struct key_source *keys,
                     struct tree **out, struct diag *d);

/* Another reference (a new generation can serve the same tree). */
struct tree *tree_ref(struct tree *t);

/* Drops a reference; the last one frees the tree. */
void tree_free(struct tree *t);

/* The firmware file with this exposed name or inode, or NULL. */
const struct fw_file *tree_firmware(const struct tree *t, const char *name, size_t len);
const struct fw_file *tree_firmware_by_ino(const struct tree *t, uint64_t ino);

/* 48-bit FNV-1a of a string (inode low bits of files that carry no MAC). */
uint64_t tree_hash48(const char *s, size_t len);

#endif
