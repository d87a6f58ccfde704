/*
 * gs_table.h - Grandstream knowledge as data (formats/grandstream.md §5).
 *
 * Which P-value each neutral setting and each account field becomes, which v2 alias names
 * are accepted in `params` (and the P-value they stand for), which P-values are secrets (a
 * table with the official template each row comes from), and which are reserved because
 * provfs derives them (server.url, prefix/postfix, xml_password): a raw param may not
 * override what keeps a phone on this tree.
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

/*
 * The official Grandstream config templates a secret row comes from (Wazo commit 36197dbd...,
 * plugins/wazo-grandstream/docs/config-template/, as formats/grandstream.md §5 cites them).
 */
enum gs_template {
	GS_TPL_GXP21XX = 1u << 0, /* gxp2130_40_60_70_35_config_1.0.11.16.txt */
	GS_TPL_GXP16XX = 1u << 1, /* gxp16xx_config_1.0.7.3.txt */
	GS_TPL_HT80X = 1u << 2,   /* ht80x_config_1.0.19.11.txt */
	GS_TPL_GXP1X = 1u << 3,   /* gxp_config_1.2.5.3.txt (GXP2000/2020/1200/2010/280/285) */
};

/* A P-value that holds a credential, its name as the newest template writes it, its sources. */
struct gs_secret_row {
	uint32_t param;
	const char *name;
	unsigned sources; /* enum gs_template bits */
};

/* Sorted by P-value. */
extern const struct gs_secret_row gs_secret_rows[];
extern const size_t gs_secret_nrows;

/* A row of gs_secret_rows, or an account password (gs_account_param, GA_PASSWORD). */
bool gs_is_secret(uint32_t param);

/* Non-NULL (the reason) when a raw param may not set this P-value. */
const char *gs_reserved_reason(uint32_t param);

/* How a raw param name was understood. */
struct gs_name {
	uint32_t param; /* P-value number */
	bool yes_no;    /* v2 value is Yes/No, written as 1/0 */
	bool secret;    /* the P-value is a secret, or the v2 name says so (secret_name.h) */
};

/*
 * "P1362" or a known v2 alias ("account.1.sip.userid"). Returns 0, or -EINVAL with a reason
 * in *why (a static string) when the name is neither.
 */
int gs_parse_name(const char *name, struct gs_name *out, const char **why);

/* Value of a yes/no alias as the P-value wants it; NULL if not Yes/No. */
const char *gs_yes_no_value(const char *v);

#endif
