/*
 * schema.h - turns one file's YAML tree into model records (SPEC §3).
 *
 * The builder accumulates the sections of every file of an inventory (a directory is
 * read in name order); inventory.c then sorts, links names to records and indexes MACs.
 * Everything here is vendor-neutral: which keys exist and what shape and range their
 * values have. Vendor rules (P-value syntax, what a format can carry) live in backend/.
 */
#ifndef PROVFS_SCHEMA_H
#define PROVFS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "inventory/diag.h"
#include "inventory/model.h"
#include "inventory/ytree.h"

struct builder {
	struct inventory *inv; /* strings go to inv->arena */
	struct diag *d;
	uint32_t file;    /* index of the file being read */
	const char *dir;  /* directory of the file being read (for firmware_dir) */
	const char *base; /* when set, the directory every file counts as in (a kept copy) */
	/* growable record vectors (malloc'd; moved to the arena when done) */
	struct model *models;
	uint32_t nmodels, cap_models;
	struct group *groups;
	uint32_t ngroups, cap_groups;
	struct device *devices;
	uint32_t ndevices, cap_devices;
	/* top-level singletons: where each was first defined (line 0 = not yet) */
	struct pos seen_version, seen_server, seen_firmware_dir, seen_generic, seen_defaults;
	int unreadable; /* a file could not be parsed: cross-file checks would only add noise */
	/* params written without a vendor key, resolved once models are known */
	struct flat_params *flat;
	uint32_t nflat, cap_flat;
};

enum { FLAT_MODEL, FLAT_DEVICE };

/* params given in the flat form at model or device level, waiting for the vendor. */
struct flat_params {
	int owner_kind; /* FLAT_MODEL or FLAT_DEVICE */
	uint32_t owner; /* index in builder models/devices */
	struct param_list list;
	struct pos pos;
};

void builder_init(struct builder *b, struct inventory *inv, struct diag *d);
void builder_release(struct builder *b);

/* Reads one file's tree (root may be NULL for an empty file). Errors go to b->d. */
void schema_read(struct builder *b, const struct ynode *root);

/*
 * Whether s[0..len) uses only A-Z a-z 0-9 . _ -: the alphabet of everything that ends up in
 * a file name a phone asks for (models, prefixes, postfixes, versions, firmware files).
 */
bool name_in_alphabet(const char *s, size_t len);

/* Reports an error at p (any file of the inventory). */
void inv_error(const struct inventory *inv, struct diag *d, struct pos p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
