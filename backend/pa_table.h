/*
 * pa_table.h - Panasonic knowledge as data (formats/panasonic.md; UTG parameter paths as in
 * the FusionPBX utg300b template).
 *
 * Text-dialect phones (KX-UT/TGP/HDV) take flat names, numbered per line (SIP_PASS_1);
 * UTG phones take the same parameters at paths in <PANASIPPhoneConfig>
 * (Device/Lines/Line[1]/Sip/SIP_PASS, where Line[n] is written <Line idx="n">). One table
 * maps the names provfs knows to their paths, so `params` may use a flat name for either
 * dialect; UTG devices also accept any path.
 */
#ifndef PROVFS_PA_TABLE_H
#define PROVFS_PA_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "inventory/model.h"

/* The two file formats of Panasonic phones (model option `dialect`). */
enum dialect {
	DIALECT_TEXT,    /* KX-UT/TGP/HDV: NAME="value" lines */
	DIALECT_UTG_XML, /* KX-UTG: <PANASIPPhoneConfig> XML */
};

#define PA_NAME_MAX  32                   /* text dialect: characters of a name */
#define PA_VALUE_MAX 500                  /* text dialect: characters of a value */
#define PA_LINE_MAX  537                  /* text dialect: bytes of a line with its CR LF */
#define PA_FILE_MAX  ((size_t)120 * 1024) /* text dialect: bytes of a file */
#define PA_LINES_MAX 16

/* Where a per-line field goes: a flat name with the line number as suffix. */
struct pa_line_row {
	enum line_field field;
	const char *name; /* "PHONE_NUMBER" -> PHONE_NUMBER_1 */
};

extern const struct pa_line_row pa_line_rows[];
extern const size_t pa_line_nrows;

/* A neutral setting -> flat name; `fixed` replaces the setting's value when not NULL. */
struct pa_setting_row {
	enum setting setting;
	const char *name;
	const char *fixed;
};

extern const struct pa_setting_row pa_setting_rows[];
extern const size_t pa_setting_nrows;

/* Settings that apply to every listed line: flat per-line names. */
#define PA_REGISTRAR      "SIP_RGSTR_ADDR"
#define PA_REGISTRAR_PORT "SIP_RGSTR_PORT"
#define PA_PROXY          "SIP_PRXY_ADDR"
#define PA_PROXY_PORT     "SIP_PRXY_PORT"
#define PA_OUTBOUND       "SIP_OUTPROXY_ADDR"

/* Parameters provfs sets itself. */
#define PA_STANDARD_PATH "CFG_STANDARD_FILE_PATH"
#define PA_PRODUCT_PATH  "CFG_PRODUCT_FILE_PATH"
#define PA_MASTER_PATH   "CFG_MASTER_FILE_PATH"
#define PA_FILE_KEY      "CFG_FILE_KEY"
#define PA_FILE_KEY_LEN  "CFG_FILE_KEY_LENGTH"

/* A Panasonic name known to hold a secret, and the document that says so. */
struct pa_secret_row {
	const char *name; /* per-line names without their _n */
	const char *source;
};

extern const struct pa_secret_row pa_secret_rows[];
extern const size_t pa_secret_nrows;

/*
 * Secret: a row of pa_secret_rows, or a name one of whose '_'-separated words says password,
 * PIN, secret or key (secret_name.h, fused words included). A UTG path counts by its last
 * segment. Over-marking is harmless here: a secret only moves from the product or master
 * layer to the device's standard layer, which the phone reads first (same result under
 * first-wins), so KEY as a button word (a FLEX_KEY) may be marked too.
 */
bool pa_is_secret(const char *name);

/* Non-NULL (the reason) when a raw param may not set this name or path. */
const char *pa_reserved_reason(const char *name);

/*
 * A raw param name as the given dialect writes it: text keeps flat names (a path is an
 * error), UTG turns known flat names into their path and keeps paths. Writes into out;
 * returns 0 or -EINVAL with a reason in *why.
 */
int pa_dialect_name(const char *name, enum dialect dialect, char *out, size_t len,
                    const char **why);

/* The UTG path of a flat name provfs knows (per-line names with their number), or -ENOENT. */
int pa_utg_path(const char *flat, char *out, size_t len);

/* Whether a UTG path is well formed: segments of [A-Za-z0-9_], "Line[n]" with n >= 1. */
bool pa_utg_path_ok(const char *path);

#endif
