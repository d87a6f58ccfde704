/*
 * gs_table.h - Grandstream knowledge as data (formats/grandstream.md §5).
 *
 * Which P-value each neutral setting and each account field becomes, which v2 alias names
 * are accepted in `params` (and the P-value they stand for), which P-values are secrets,
 * and which are reserved because provfs derives them (server.url, prefix/postfix,
 * xml_password): a raw param may not override what keeps a phone on this tree.
 */
#ifndef PROVFS_GS_TABLE_H
#define PROVFS_GS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory/model.h"

#define GS_MAX_ACCOUNTS 6

/* Fields of one account. */
enum gs_acct_field {
	GA_ACTIVE,
	GA_NAME, /* account name shown on the screen */
	GA_SERVER,
	GA_OUTBOUND,
	GA_USER,
	GA_AUTH,
	GA_PASSWORD,
	GA_DISPLAY,
	GA_VOICEMAIL,
	GA__COUNT,
};

/* P-value of field f of account n (1-based). */
uint32_t gs_account_param(unsigned account, enum gs_acct_field f);

/* A neutral setting -> P-value; `fixed` replaces the setting's value when not NULL. */
struct gs_setting_row {
	enum setting setting;
	uint32_t param;
	const char *fixed;
};

extern const struct gs_setting_row gs_setting_rows[];
extern const size_t gs_setting_nrows;

/* Where each line field goes. */
extern const enum gs_acct_field gs_line_field[LF__COUNT];

/* P-values provfs sets itself. */
enum {
	GS_P_ADMIN_PASSWORD = 2,
	GS_P_PROTOCOL = 212,       /* P212: config via TFTP/HTTP/HTTPS/FTP/FTPS */
	GS_P_CONFIG_PATH = 237,    /* P237: config server path, no scheme */
	GS_P_CONFIG_PREFIX = 234,  /* P234 */
	GS_P_CONFIG_POSTFIX = 235, /* P235 */
	GS_P_XML_PASSWORD = 1359,  /* P1359 */
	GS_P_FW_PATH = 192,        /* P192 */
	GS_P_FW_PREFIX = 232,      /* P232 */
	GS_P_FW_POSTFIX = 233,     /* P233 */
	GS_P_FW_PROTOCOL = 6767,   /* P6767: firmware via TFTP/HTTP/... on newer firmware */
};

/* P212 value of a server.url scheme. */
const char *gs_protocol_value(enum url_scheme scheme);

bool gs_is_secret(uint32_t param);

/* Non-NULL (the reason) when a raw param may not set this P-value. */
const char *gs_reserved_reason(uint32_t param);

/* How a raw param name was understood. */
struct gs_name {
	uint32_t param; /* P-value number */
	bool yes_no;    /* v2 value is Yes/No, written as 1/0 */
};

/*
 * "P1362" or a known v2 alias ("account.1.sip.userid"). Returns 0, or -EINVAL with a reason
 * in *why (a static string) when the name is neither.
 */
int gs_parse_name(const char *name, struct gs_name *out, const char **why);

/* Value of a yes/no alias as the P-value wants it; NULL if not Yes/No. */
const char *gs_yes_no_value(const char *v);

#endif
