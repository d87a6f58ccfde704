/*
 * cs_table.h - Cisco SPA and MPP (3PCC) knowledge as data (formats/cisco.md).
 *
 * What lives here, and nothing else: the models provfs knows and the family each belongs
 * to (§1.1, §1.2), the names a phone asks for first and the per-device names provfs's own
 * profile rules point at (§1, §4, §7.1), which <flat-profile> parameter each neutral setting
 * and each line field becomes (§3), the POSIX TZ -> Time_Zone / Daylight_Saving_Time_Rule
 * conversion (§3), the language names of MPP phones (§3), and the names of the rule and
 * resync parameters provfs sets itself (§1.3, §4, §5, §7.4).
 *
 * Nothing here knows the inventory's merge, the file tree or the key state: it is the part
 * of Cisco support that does not depend on how a vendor plugs into provfs.
 */
#ifndef PROVFS_CS_TABLE_H
#define PROVFS_CS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory/model.h"

/* ---- models and names ---- */

enum cs_family {
	CS_SPA, /* Small Business SPA phones and ATAs: Admin_Passwd, bootstrap spa$PSN.cfg */
	CS_MPP, /* Multiplatform (3PCC) phones: Admin_Password, bootstrap $PSN.xml */
};

/* Row flags: which families a table row applies to. */
#define CS_FAM_SPA (1u << CS_SPA)
#define CS_FAM_MPP (1u << CS_MPP)
#define CS_FAM_ALL (CS_FAM_SPA | CS_FAM_MPP)

struct cs_model {
	const char *name; /* as the phone names itself: "SPA504G", "SPA112", "CP-8841-3PCC" */
	enum cs_family family;
	const char *psn;   /* $PSN as provfs spells it in file names: SPA "504G", MPP "8841" */
	uint8_t max_lines; /* 0: unknown, the inventory's max_lines decides (§3) */
};

extern const struct cs_model cs_models[];
extern const size_t cs_nmodels;

/* The model of that exact name (case-sensitive, no trailing NUL needed), or NULL. */
const struct cs_model *cs_model_find(const char *name, size_t len);

/* Every name in this file is shorter than this, NUL included. */
#define CS_NAME_MAX 32

/* At most this many bootstrap names per model (cs_bootstrap_names). */
#define CS_BOOTSTRAP_MAX 3

/*
 * The names a factory-fresh phone of model m may ask for first (its firmware's default
 * Profile_Rule), written into names[0..]. Returns how many (1 for SPA, 3 for MPP), -EINVAL
 * when m is NULL, or -ENOSPC when max is smaller than that.
 */
int cs_bootstrap_names(const struct cs_model *m, char names[][CS_NAME_MAX], size_t max);

/*
 * Per-device names (§4, §7.1): "<12 lower-case hex>.xml" ($MA.xml), plain, while the key is
 * pending or when the device is not encrypted; "<12 lower-case hex>.cfg" ($MA.cfg) once
 * encrypted with OpenSSL enc.
 */
#define CS_DEVICE_PLAIN_TAIL ".xml"
#define CS_DEVICE_ENC_TAIL   ".cfg"

/* Writes "<mac>.xml" (or ".cfg" when encrypted), the MAC as 12 lower-case hex digits. */
void cs_device_name(uint64_t mac, bool encrypted, char out[CS_NAME_MAX]);

/*
 * Reads a per-device name: 12 hex digits of either case (the phone may use $MAU, §7.1) and
 * one of the two tails, nothing else. Returns 0 with *mac and *encrypted, or -ENOENT.
 */
int cs_parse_device_name(const char *name, size_t len, uint64_t *mac, bool *encrypted);

/* ---- neutral settings -> parameters (§3) ---- */

/* How a row's value comes from the setting's value (cs_setting_value). */
enum cs_conv {
	CS_CONV_COPY,     /* the value as given */
	CS_CONV_FIXED,    /* the row's `fixed` value, whenever the setting is set */
	CS_CONV_SECONDS,  /* minutes (decimal) -> seconds */
	CS_CONV_TZ_ZONE,  /* cs_timezone(): Time_Zone */
	CS_CONV_TZ_DST,   /* cs_timezone(): Daylight_Saving_Time_Enable */
	CS_CONV_TZ_RULE,  /* cs_timezone(): Daylight_Saving_Time_Rule, none without DST */
	CS_CONV_LANGUAGE, /* cs_language_find(): Language_Selection */
	CS_CONV_LOCALE,   /* cs_language_find(): Locale */
};

struct cs_setting_row {
	enum setting setting;
	const char *param; /* NULL: family-specific, see cs_admin_param() */
	bool secret;
	unsigned families; /* CS_FAM_* */
	enum cs_conv conv;
	const char *fixed; /* CS_CONV_FIXED only */
};

/*
 * In the order provfs writes them. sip_server, sip_port and outbound_proxy have no row:
 * Cisco sets them per line (Proxy_N_, Outbound_Proxy_N_), see the line macros below.
 */
extern const struct cs_setting_row cs_setting_rows[];
extern const size_t cs_setting_nrows;

/* The admin password's parameter: SPA "Admin_Passwd", MPP "Admin_Password" (§3, §8). */
const char *cs_admin_param(enum cs_family family);

/* The parameter of a row for a family: row->param, or cs_admin_param(family). */
const char *cs_setting_param(const struct cs_setting_row *row, enum cs_family family);

/*
 * The value row writes for a setting whose value is v[0..len): converted as row->conv says,
 * into out (NUL-terminated). Returns 0, -ENODATA when the row writes nothing for this value
 * (the DST rule of a zone without DST), -EINVAL when v cannot be converted (a POSIX TZ
 * cs_timezone refuses, a language MPP phones lack, minutes that are not a number in range),
 * or -ENAMETOOLONG when out is too small.
 */
int cs_setting_value(const struct cs_setting_row *row, const char *v, size_t len, char *out,
                     size_t outlen);

/* Largest resync_minutes: the seconds must fit a signed 32-bit number (provfs's bound). */
#define CS_RESYNC_MINUTES_MAX 35791394u

/* ---- per-line fields (§3) ---- */

struct cs_line_row {
	enum line_field field;
	const char *param_fmt; /* "User_ID_%u_": %u is the line number; no %u: one per phone */
	bool secret;
	const char *companion_fmt;   /* written just before param_fmt (NULL: none) ... */
	const char *companion_value; /* ... with this value */
};

/*
 * In the order provfs writes them (that of vectors/cisco/C1). LF_SERVER -> Proxy_N_ takes
 * host[:port]: the caller joins a line's server, or sip_server, with sip_port. LF_VOICEMAIL
 * is Voice_Mail_Number, one per phone in wazo's template; whether a per-line field exists is
 * [U] (§3), so its format has no %u and the caller writes it once (from the first line that
 * sets it).
 */
extern const struct cs_line_row cs_line_rows[];
extern const size_t cs_line_nrows;

/* Every line that is listed: Line_Enable_N_ = Yes (§3). */
#define CS_LINE_ENABLE_FMT "Line_Enable_%u_"
/* outbound_proxy, for every listed line: both parameters (§3, FusionPBX SPA L315-316). */
#define CS_OUTBOUND_PROXY_FMT     "Outbound_Proxy_%u_"
#define CS_USE_OUTBOUND_PROXY_FMT "Use_Outbound_Proxy_%u_"
#define CS_YES                    "Yes"
#define CS_NO                     "No"

/*
 * A per-line format (a row's param_fmt or companion_fmt, or one of the macros above) for line
 * (from 1) into out. Returns the length, -EINVAL for line 0, or -ENAMETOOLONG.
 */
int cs_line_param(const char *fmt, unsigned line, char *out, size_t len);

/* ---- time zone (§3) ---- */

#define CS_TZ_MAX      96 /* longest POSIX TZ string cs_timezone reads (provfs's bound) */
#define CS_TZ_ZONE_MAX 16 /* "GMT+05:30" */
#define CS_TZ_RULE_MAX 80 /* "start=10/22/7/24:59:59;end=...;save=...": all fields at most */

struct cs_tz {
	char zone[CS_TZ_ZONE_MAX]; /* Time_Zone: "GMT+01:00", "GMT-05:00", "GMT+05:30" */
	const char *dst_enable;    /* Daylight_Saving_Time_Enable: "yes" or "no" */
	char rule[CS_TZ_RULE_MAX]; /* Daylight_Saving_Time_Rule; "" when dst_enable is "no" */
};

/*
 * A POSIX TZ string ("CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00") as the three Cisco
 * parameters, converted as wazo does (§3):
 *   - Time_Zone is the UTC offset, so the POSIX sign inverted: CET-1 -> "GMT+01:00";
 *   - start/end "month/day/weekday/h:m:s": Mm.w.d gives day -1 for w = 5 (last) and
 *     (w-1)*7+1 otherwise, weekday d with Sunday 0 becomes Monday 1 .. Sunday 7, and the time
 *     is the rule's /time or 2:0:0;
 *   - save is the DST offset minus the standard one (an hour when the DST offset is omitted).
 * Bounded, no allocation. -EINVAL for what it cannot convert: Jn and n rules, a DST name
 * without a rule, offsets with seconds or beyond 24 hours, a DST saving that is not positive,
 * anything after the rule, a string over CS_TZ_MAX.
 */
int cs_timezone(const char *posix, size_t len, struct cs_tz *out);

/* ---- language (§3: MPP only; SPA phones get no row) ---- */

struct cs_language {
	const char *code;      /* the neutral value as Grandstream takes it (P1362): "de" */
	const char *locale;    /* Locale: "de-DE" (also accepted as the neutral value, or de_DE) */
	const char *selection; /* Language_Selection: "German" */
};

extern const struct cs_language cs_languages[];
extern const size_t cs_nlanguages;

/* The row whose code or locale (with '-' or '_') is exactly v, or NULL. */
const struct cs_language *cs_language_find(const char *v, size_t len);

/* ---- parameters provfs sets itself (§1.3, §4, §5, §7.4) ---- */

#define CS_PROFILE_RULE   "Profile_Rule"
#define CS_PROFILE_RULE_B "Profile_Rule_B"
#define CS_PROFILE_RULE_C "Profile_Rule_C"
#define CS_PROFILE_RULE_D "Profile_Rule_D"
#define CS_GPP_SA         "GPP_SA" /* the --key passphrase, as $SA (§4): a secret */
#define CS_UPGRADE_RULE   "Upgrade_Rule"
#define CS_UPGRADE_ENABLE "Upgrade_Enable"

#define CS_RESYNC_PERIODIC        "Resync_Periodic" /* seconds; 0 = off */
#define CS_RESYNC_ON_RESET        "Resync_On_Reset"
#define CS_RESYNC_RANDOM_DELAY    "Resync_Random_Delay"
#define CS_RESYNC_AT_RANDOM_DELAY "Resync_At_Random_Delay"
/* Their defaults per the 7800 PG (§1.4, §7.4): spread a reboot storm. */
#define CS_RESYNC_RANDOM_DELAY_DEFAULT    "2"
#define CS_RESYNC_AT_RANDOM_DELAY_DEFAULT "600"

#endif
