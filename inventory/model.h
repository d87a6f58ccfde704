/*
 * model.h - the immutable in-memory inventory (SPEC §3).
 *
 * One `struct inventory` is one generation's view of the YAML: built once by
 * inventory_load(), read concurrently by every FUSE worker, freed as a whole when the last
 * open file of its generation is released. Nothing in it changes after loading, so readers
 * need no locks. Every value keeps the position it came from, so any later check (vendor
 * rules in backend/) can still say "FILE:LINE:COL".
 *
 * This layer knows vendors only through the schemas it is given (see struct vendor_schema);
 * it never knows a vendor by name nor a file name a phone asks for.
 */
#ifndef PROVFS_MODEL_H
#define PROVFS_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "inventory/arena.h"

/*
 * Vendors are not known here: the loader is given a set of vendor schemas (backend/vendor.h
 * makes it from the vendor array) and a model's vendor is an index into that set. A schema is
 * what the YAML may say about that vendor's phones: its name (in `vendor:` and as a key of
 * `params`), the model keys only its phones take with their allowed values, and which level
 * keys apply to them. Values are checked here; what they mean is the backend's business.
 */
#define VENDOR_MAX        8
#define MODEL_OPTIONS_MAX 6

/* A model key of one vendor (Panasonic `dialect`, Cisco `digest`) and its allowed values. */
struct model_option {
	const char *key;
	const char *const *choices; /* NULL-terminated; the first is the default */
};

/* Level keys that configure one vendor's files only (struct vendor_schema.level_keys). */
enum {
	LK_XML_PASSWORD = 1 << 0, /* xml_password */
	LK_BINARY = 1 << 1,       /* binary, binary_layout */
	LK_CONFIG = 1 << 2,       /* config: {prefix, postfix} */
	LK_FIRMWARE = 1 << 3,     /* firmware: {...} */
	LK_GENERIC = 1 << 4,      /* the vendor serves the `generic` section */
};

struct vendor_schema {
	const char *name; /* lower case: vendor: NAME, params: {NAME: {...}} */
	const struct model_option *options;
	uint32_t noptions;        /* <= MODEL_OPTIONS_MAX */
	unsigned level_keys;      /* LK_* */
	const char *encrypt_hint; /* NULL: `encrypt` applies; else why it does not */
};

struct vendor_set {
	const struct vendor_schema *const *v;
	uint32_t n; /* <= VENDOR_MAX */
};

enum binary_mode {
	BINARY_OFF,
	BINARY_BOOTSTRAP,
	BINARY_FULL,
};

enum binary_layout {
	LAYOUT_ENCRYPTED, /* layout B, "GAPSLITE" */
	LAYOUT_PLAIN,     /* layout A */
};

/* Vendor-neutral settings, mapped per vendor by backend tables. */
enum setting {
	SET_ADMIN_PASSWORD,
	SET_NTP_SERVER,
	SET_TIMEZONE,
	SET_LANGUAGE,
	SET_SIP_SERVER,
	SET_SIP_PORT,
	SET_OUTBOUND_PROXY,
	SET_RESYNC_MINUTES,
	SET__COUNT,
};

/* Per-account settings of one entry of `lines`. */
enum line_field {
	LF_USER,
	LF_AUTH_USER,
	LF_PASSWORD,
	LF_DISPLAY_NAME,
	LF_SERVER,
	LF_VOICEMAIL,
	LF__COUNT,
};

/* Where a value came from: index into inventory.files, 1-based line and column. */
struct pos {
	uint32_t file;
	uint32_t line;
	uint32_t col;
};

/* A scalar from the YAML; s == NULL means "not set at this level". */
struct value {
	const char *s;
	uint32_t len;
	struct pos pos;
};

struct param {
	const char *name; /* as written: P1362, account.1.sip.userid, SIP_TRANSPORT_1, ... */
	struct pos name_pos;
	struct value v;
};

/* Sorted by name (strcmp), unique. */
struct param_list {
	struct param *items;
	uint32_t n;
};

struct line {
	struct value f[LF__COUNT];
	struct pos pos;
};

/* config: {prefix, postfix} (Grandstream P234/P235); set as one block. */
struct cfg_names {
	bool set;
	struct pos pos;
	struct value prefix;
	struct value postfix;
};

/* firmware: {version, prefix, postfix} (Grandstream P232/P233); set as one block. */
struct firmware {
	bool set;
	struct pos pos;
	struct value version;
	struct value prefix;
	struct value postfix;
};

/* What one level (defaults, a model, a group, a device, generic) sets. */
struct level {
	struct pos pos;
	struct value settings[SET__COUNT];
	struct param_list params[VENDOR_MAX]; /* by vendor index */
	bool has_lines;
	struct pos lines_pos;
	struct line *lines;
	uint32_t nlines;
	struct value xml_password;
	struct value binary;        /* off | bootstrap | full */
	struct value binary_layout; /* encrypted | plain */
	struct cfg_names config;
	struct firmware firmware;
	/* groups and devices: the end of the enrolment window (enroll.h); s == NULL: unset */
	struct value enroll_until;
	int64_t enroll_until_at; /* seconds since the epoch, UTC */
};

struct model {
	const char *name;
	struct pos pos;
	uint32_t vendor; /* index into inventory.vendors */
	uint32_t max_lines;
	bool encrypt;
	struct value encrypt_value; /* where `encrypt` was set (s == NULL: not set) */
	/* per option of the vendor's schema: the value given (s == NULL: not set) and its index
	 * in the option's choices (the default, 0, when not set) */
	struct value options[MODEL_OPTIONS_MAX];
	uint8_t choice[MODEL_OPTIONS_MAX];
	struct level level;
};

struct group {
	const char *name;
	struct pos pos;
	struct level level;
};

#define MAX_GROUPS_PER_DEVICE 32

struct device {
	uint64_t mac;
	struct pos pos;
	struct value model_name;
	const struct model *model;
	uint32_t ngroups;
	struct value *group_names;
	const struct group **groups; /* in listed order: later wins */
	struct level level;
};

enum url_scheme {
	URL_TFTP,
	URL_HTTP,
	URL_HTTPS,
	URL_FTP,
	URL_FTPS,
};

struct inventory {
	struct arena arena; /* owns every string and array below */
	const char *source; /* the path given: a file or a directory */
	const struct vendor_set *vendors;
	const char **files; /* file names for struct pos */
	uint32_t nfiles;
	time_t mtime; /* newest mtime among the inventory files */
	struct value server_url;
	enum url_scheme url_scheme;
	const char *url_path;     /* host[:port][/path] of server.url: no scheme, no trailing '/' */
	const char *firmware_dir; /* resolved against its declaring file; NULL if unset */
	struct pos firmware_dir_pos;
	const char *secrets_path; /* `secrets:`, resolved like firmware_dir; NULL if unset */
	struct pos secrets_pos;
	uint32_t inline_secrets;      /* password, admin_password, xml_password written inline */
	struct pos inline_secret_pos; /* the first of them */
	bool has_generic;
	struct level generic;
	struct level defaults;
	struct model *models; /* sorted by name */
	uint32_t nmodels;
	struct group *groups; /* sorted by name */
	uint32_t ngroups;
	struct device *devices; /* sorted by MAC; malloc'd, not in the arena (the builder's) */
	uint32_t ndevices;
	uint32_t *mac_slots; /* open addressing: device index + 1, 0 = empty */
	uint32_t mac_mask;
};

#endif
