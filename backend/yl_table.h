/*
 * yl_table.h - Yealink knowledge as data (formats/yealink.md).
 *
 * What a Yealink renderer needs to know and nothing about how files are served: the model
 * table (the per-model code XX of the common file y0000000000XX.cfg, §1.3, merged with the
 * lines per model of §3), which key each neutral setting and each line field becomes (§3),
 * the conversion of a POSIX TZ string to local_time.time_zone (§3 "Time zone"), the language
 * names lang.gui takes (§3), and the key names provfs sets itself (§1.4, §3, §4, §5.2, §5.3).
 * Seam-independent: the glue that turns an inventory into a file lives elsewhere.
 */
#ifndef PROVFS_YL_TABLE_H
#define PROVFS_YL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory/model.h"

/* Line 1 of every CFG and boot file (formats/yealink.md §2.1). */
#define YL_VERSION_LINE "#!version:1.0.0.1"

/*
 * The key Yealink's tools and phones use to wrap a per-file key into <name>_Security.enc
 * (formats/yealink.md §5.1). It is public: a file wrapped under it hides nothing; only a
 * key delivered per device (§5.3) gives secrecy.
 */
#define YL_BUILTIN_KEY "EKs35XacP6eybA25"
#define YL_KEY_LEN     16 /* ASCII characters = bytes of the raw AES-128 key (§5.1) */

/* Key names provfs sets itself. */
#define YL_KEY_SERVER_URL   "static.auto_provision.server.url"       /* §3, §6 item 5 */
#define YL_KEY_FIRMWARE_URL "static.firmware.url"                    /* §4 */
#define YL_KEY_AES_IN_FILE  "static.auto_provision.aes_key_in_file"  /* §5.2, §5.3 */
#define YL_KEY_AES_MAC      "static.auto_provision.aes_key.mac"      /* §5.2 */
#define YL_KEY_AES16_MAC    "static.auto_provision.aes_key_16.mac"   /* §5.2: older name */
#define YL_KEY_AES_COM      "static.auto_provision.aes_key.com"      /* §5.2 */
#define YL_KEY_AES16_COM    "static.auto_provision.aes_key_16.com"   /* §5.2: older name */
#define YL_KEY_UPDATE_MODE  "static.auto_provision.update_file_mode" /* §5.2 */
#define YL_KEY_CUSTOM_SYNC  "static.auto_provision.custom.sync"      /* §1.4: 0, read-only mount */
#define YL_KEY_CUSTOM_PROT  "static.auto_provision.custom.protect"   /* §1.4 */
#define YL_KEY_SUMMER_TIME  "local_time.summer_time"                 /* §3 "Time zone" */
#define YL_SUMMER_TIME_AUTO "2" /* automatic: provfs's choice until DST is tested, §3 */
#define YL_KEY_OVERWRITE    "overwrite_mode"    /* boot files only, §2.3 */
#define YL_LINE_ENABLE_FMT  "account.%u.enable" /* 1 per listed line, §3 */

/*
 * One phone model (formats/yealink.md §1.3; max_lines from §3 "Lines per model").
 * code_unverified: the sources disagree about the code or only one half of them exists
 * (see yl_table.c), beyond the general [U] of §1.3 for codes no manual confirms.
 */
struct yl_model {
	const char *name;  /* as the phone names itself: "T54W", "T19P_E2" */
	const char *code;  /* XX of y0000000000XX.cfg: 3 digits, "096" */
	uint8_t max_lines; /* SIP accounts; 0: unknown */
	bool code_unverified;
};

extern const struct yl_model yl_models[];
extern const size_t yl_nmodels;

/* The row whose name is exactly name[0..len) (case-sensitive), or NULL. */
const struct yl_model *yl_model_find(const char *name, size_t len);

/* The common file's name "y000000000" + code + ".cfg" (17 characters and a NUL): 0 or -EINVAL. */
int yl_common_name(const struct yl_model *m, char out[static 18]);

/* How a setting's value becomes the key's value. */
enum yl_conv {
	YL_CONV_NONE,     /* as it is (value_fmt may wrap it) */
	YL_CONV_TIMEZONE, /* yl_timezone() */
	YL_CONV_LANGUAGE, /* yl_language() */
};

/*
 * A neutral setting of the whole phone -> key. `fixed` (when not NULL) is written instead of
 * the setting's value; otherwise the value goes through `conv`, then `value_fmt` (when not
 * NULL, a format with one %s: "admin:%s"). Rows of one setting are in the order to write.
 */
struct yl_setting_row {
	enum setting setting;
	const char *key;
	bool secret;
	enum yl_conv conv;
	const char *value_fmt;
	const char *fixed;
};

extern const struct yl_setting_row yl_setting_rows[];
extern const size_t yl_setting_nrows;

/* A field of line N -> key; key_fmt takes N (1-based) as its one %u. */
struct yl_line_row {
	enum line_field field;
	const char *key_fmt; /* "account.%u.user_name" */
	bool secret;
};

extern const struct yl_line_row yl_line_rows[];
extern const size_t yl_line_nrows;

/*
 * A neutral setting that Yealink keeps per account (sip_server, sip_port, outbound_proxy):
 * written for every listed line N; key_fmt takes N. `fixed` as in yl_setting_row.
 */
struct yl_line_setting_row {
	enum setting setting;
	const char *key_fmt;
	const char *fixed;
};

extern const struct yl_line_setting_row yl_line_setting_rows[];
extern const size_t yl_line_setting_nrows;

/* Longest POSIX TZ string yl_timezone() reads; a longer one is -EINVAL. */
#define YL_TZ_MAX 128

/*
 * POSIX TZ string posix[0..len) (no NUL needed; a NUL inside is an error) -> the whole-hour
 * local_time.time_zone value with its sign ("+1", "-5", "+0"), clamped to -11..+12 as wazo
 * does (formats/yealink.md §3). *has_dst (may be NULL) tells whether a DST zone name follows
 * the offset: the renderer then writes local_time.summer_time = 2. Returns 0, -EINVAL for a
 * string that is not a POSIX TZ string or whose offset has minutes or seconds (the format
 * note knows no encoding for them: set local_time.time_zone in params), -ERANGE when out is
 * too small (4 bytes always suffice).
 */
int yl_timezone(const char *posix, size_t len, char *out, size_t outlen, bool *has_dst);

/*
 * An inventory language (an ISO 639-1 code as Grandstream's P1362 takes it, "de", optionally
 * with a region: "de_DE", "fr-CA") -> the lang.gui / lang.wui value ("German"); NULL when
 * provfs knows no Yealink name for it.
 */
const char *yl_language(const char *lang, size_t len);

#endif
