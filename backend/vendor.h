/*
 * vendor.h - the seam every vendor plugs into: one `struct vendor` per vendor, one array of
 * them (vendors.c), and shared code that loops over the array instead of switching on vendors.
 *
 * A vendor brings, as data: its schema (the name the inventory uses, its own model keys), its
 * kinds of files with what the shared code must know of each (one per device or per model,
 * part of the key flow), and one name table that both parses a requested name and prints the
 * names of `ls`, listings, export and logs. As code: render, existence, checks per model, per
 * level and per tree, and the text its key-carrying file holds. Hooks left NULL take the
 * shared behaviour: the name table's grammar, the table's names in listings, no checks.
 *
 * A file is (vendor, kind): kinds are the vendor's own small numbers, 1..nkinds-1. Inode numbers
 * give every (vendor, kind) a slot of its own (files.h), so no vendor's kinds crowd another's.
 */
#ifndef PROVFS_VENDOR_H
#define PROVFS_VENDOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/buf.h"
#include "backend/tree.h"
#include "inventory/diag.h"
#include "inventory/model.h"

struct file_ref;
struct resolved;

/* What the shared code must know of a kind of file (struct vendor.kinds). */
enum {
	KF_DEVICE = 1 << 0,      /* one per device: the MAC is its inode's low bits; audited */
	KF_MODEL = 1 << 1,       /* one per model: a hash of the model's name */
	KF_PASSTHROUGH = 1 << 2, /* firmware: read straight from its real file */
	KF_KEY_CARRIER = 1 << 3, /* holds the device's key in plain text until it is delivered */
	KF_KEY_PROOF = 1 << 4,   /* asked for after the carrier was read: proves the delivery */
};

/* The variable part of a name in a name table. */
enum name_var {
	NV_NONE,        /* head + tail exactly */
	NV_MAC,         /* 12 hex digits: parsed in any letter case, printed lower case */
	NV_MAC_UPPER,   /* the same, printed upper case */
	NV_MODEL,       /* the name of one of the vendor's models, exactly */
	NV_MODEL_LOWER, /* a model's name in lower case (parsed only in lower case) */
	NV_MODEL_MAC,   /* <model>-<MAC upper case> */
	NV_TAG,         /* the vendor's tag of a model for this rule (struct vendor.model_tag) */
};

/*
 * One row of a vendor's name table: a name is head + variable part + tail. Several rows may
 * name one kind (aliases); the first row of a kind gives its canonical name.
 */
struct name_rule {
	unsigned kind;
	const char *head;
	enum name_var var;
	const char *tail;
};

typedef int (*file_visit_fn)(void *ctx, const struct file_ref *ref, const char *name);

struct vendor {
	struct vendor_schema schema; /* first member: the inventory's vendor set points at it */
	const char *label;           /* "Grandstream", for messages */
	const unsigned *kinds;       /* KF_* per kind, [0] unused */
	unsigned nkinds;             /* kinds are 1 .. nkinds - 1 */
	const struct name_rule *names;
	size_t nnames;

	/* name -> one of its files (0 or -ENOENT). NULL: the name table's grammar. */
	int (*resolve)(const struct tree *t, const char *name, size_t len, struct file_ref *out);
	/* Whether name has the shape of a device name of its for a MAC the tree does not know. */
	bool (*unknown_device)(const struct tree *t, const char *name, size_t len);
	/* Whether the tree serves this file now. */
	bool (*exists)(const struct tree *t, const struct file_ref *ref);
	/* The bytes a phone reads (plain: before encryption). 0 or a negative errno. */
	int (*render)(const struct tree *t, const struct file_ref *ref, bool plain,
	              struct buf *out);
	/* Every name it serves, as files.h's file_foreach. NULL: the name table's names. */
	int (*foreach)(const struct tree *t, bool devices, file_visit_fn fn, void *ctx);
	/* NV_TAG: the tag of model m in rule r ("096", "504G"); its length or -ENOENT. */
	int (*model_tag)(const struct model *m, const struct name_rule *r, char *buf, size_t len);

	/* The formats a model's files are in, as 1..4 bits: levels are checked once per format. */
	unsigned (*model_use)(const struct model *m);
	void (*check_model)(const struct inventory *inv, struct diag *d, const struct model *m);
	/* The values of one level, for the formats in `use` (0: no model of it inherits it). */
	void (*check_level)(const struct inventory *inv, struct diag *d, const struct level *lv,
	                    unsigned use, bool generic);
	/* Once the tree is built: what needs the rendered files. 0 or -ENOMEM. */
	int (*check_tree)(struct tree *t, struct diag *d);

	/* Whether the model's files are encrypted with a per-device key (NULL: never). */
	bool (*encrypted)(const struct model *m);
	/* The key's AES size for the model (stored with the key: a change needs a rekey). */
	unsigned (*key_bits)(const struct model *m);
	/* The key as the carrier file writes it, from the stored passphrase. Its length or <0. */
	int (*key_text)(const char *pass, char *out, size_t len);
	/*
	 * Whether a device file outside the key flow hands the phone a secret that nothing but
	 * the MAC protects (files.h: file_enrol_only). NULL: a device file of a model without
	 * per-device keys whose parameters (params below) hold a non-empty secret.
	 */
	bool (*plain_secret)(const struct tree *t, const struct file_ref *ref);
	/*
	 * A phone that holds its key never asks for the key carrier again (Cisco: its profile
	 * rule names only the encrypted file), so a new key cannot reach it: a rekey needs the
	 * phone reset to factory settings, and provctl says so (docs/formats/cisco.md §4).
	 */
	bool rekey_needs_factory_reset;

	/*
	 * A device's effective parameters under the vendor's own names, each marked secret or
	 * not, as its own file carries them (without the key-flow values provfs adds): what
	 * `provctl diff` compares and the reload's count of changed devices digests (params.h).
	 * out is resolved_init'ed by the caller. 0 or a negative errno.
	 */
	int (*params)(const struct tree *t, const struct device *dev, struct resolved *out);
	/*
	 * The parameter that, when the device sets it, encrypts the device's own file with a
	 * password (Grandstream: P1359, the XML password), and its name for people. NULL: none.
	 */
	struct {
		const char *param;
		const char *label;
	} file_password;
};

#define VENDOR_USE_BITS 4

/* Every vendor, in the order of the array (vendors.c). */
extern const struct vendor_set vendor_set;

static inline const struct vendor *vendor_at(uint32_t i)
{
	return (const struct vendor *)(const void *)vendor_set.v[i];
}

static inline const struct vendor *vendor_of(const struct model *m)
{
	return vendor_at(m->vendor);
}

/* The index of v in the array. */
uint32_t vendor_index(const struct vendor *v);

/* The model's choice for one of its vendor's options, by the option's key (0: default). */
unsigned vendor_option(const struct model *m, const char *key);

/* Whether the model's files are encrypted with per-device keys. */
bool vendor_encrypted(const struct model *m);

/* The AES size of the model's keys (128 when its vendor does not say). */
unsigned vendor_key_bits(const struct model *m);

/* The device's key through the tree's key source (created on first use with `create`). */
struct dev_key;
int vendor_device_key(const struct tree *t, const struct device *dev, bool create,
                      struct dev_key *k);

/* The name table's grammar (the default resolve and listing), for vendors that add to it. */
int vendor_table_resolve(const struct vendor *v, const struct tree *t, const char *name, size_t len,
                         struct file_ref *out);
bool vendor_table_unknown_device(const struct vendor *v, const struct tree *t, const char *name,
                                 size_t len);
int vendor_table_foreach(const struct vendor *v, const struct tree *t, bool devices,
                         file_visit_fn fn, void *ctx);

#endif
