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
	/* {secret: NAME} references, resolved once every file is read (secret_file.h) */
	struct pos seen_secrets;
	struct secret_ref *srefs;
	uint32_t nsrefs, cap_srefs;
};

struct secret_ref;

enum { FLAT_MODEL, FLAT_DEVICE };

/* params given in the flat form at model or device level, waiting for the vendor. */
struct flat_params {
	int owner_kind; /* FLAT_MODEL or FLAT_DEVICE */
	uint32_t owner; /* index in builder models/devices */
	struct param_list list;
	struct pos pos;
};

/*
 * The keys the schema accepts, as one table: the readers look every key up here (a key that
 * is not in the table is refused with the table's list for that mapping), messages list them
 * from here, and tests check both the parser and man/provfs-inventory.5 against it. Adding a
 * key is one row (and its handling in the reader of each mapping it goes to).
 */
enum schema_map {
	SM_TOP = 1 << 0,      /* the root of an inventory file */
	SM_SERVER = 1 << 1,   /* server: {...} */
	SM_GENERIC = 1 << 2,  /* generic: {...} */
	SM_DEFAULTS = 1 << 3, /* defaults: {...} */
	SM_GROUP = 1 << 4,    /* one group under groups */
	SM_MODEL = 1 << 5,    /* one model under models (plus its vendor's model options) */
	SM_DEVICE = 1 << 6,   /* one device under devices */
	SM_SETTINGS = 1 << 7, /* settings: {...} of a level or generic */
	SM_LINE = 1 << 8,     /* one entry of lines */
	SM_CONFIG = 1 << 9,   /* config: {...} */
	SM_FIRMWARE = 1 << 10,
};

#define SM__COUNT 11
#define SM_LEVELS (SM_DEFAULTS | SM_GROUP | SM_MODEL | SM_DEVICE)

/* What a key is to the reader of its mapping (settings use enum setting, a line enum line_field).
 */
enum schema_key_id {
	SK_VERSION,
	SK_SERVER,
	SK_FIRMWARE_DIR,
	SK_GENERIC,
	SK_DEFAULTS,
	SK_MODELS,
	SK_GROUPS,
	SK_DEVICES,
	SK_URL,
	SK_VENDOR,
	SK_MAX_LINES,
	SK_ENCRYPT,
	SK_MODEL,
	SK_SETTINGS,
	SK_PARAMS,
	SK_LINES,
	SK_XML_PASSWORD,
	SK_BINARY,
	SK_BINARY_LAYOUT,
	SK_CONFIG,
	SK_FIRMWARE,
	SK_PREFIX,
	SK_POSTFIX,
	SK_SECRETS,
	SK_ENROLL_UNTIL,
};

struct schema_key {
	const char *key;
	unsigned maps; /* SM_* where it is accepted */
	int id;        /* SK_*; in SM_SETTINGS an enum setting, in SM_LINE an enum line_field */
};

/* Every row, in the order messages list the keys of a mapping. */
extern const struct schema_key schema_keys[];
extern const size_t schema_nkeys;

/* How messages name the mapping `map` (one SM_* bit): "a device", "the inventory". */
const char *schema_map_name(unsigned map);

/* The row of `key` in the mapping `map`, or NULL when the schema does not accept it there. */
const struct schema_key *schema_find(unsigned map, const char *key);

/*
 * The keys `map` accepts, "model, groups, settings, ...", into buf; for SM_MODEL with the
 * options of vendor schema vs (may be NULL) after the keys only models have.
 */
const char *schema_key_list(unsigned map, const struct vendor_schema *vs, char *buf, size_t len);

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
