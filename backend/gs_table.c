/*
 * gs_table.c - Grandstream P-values (formats/grandstream.md §5; official templates
 * gxp2130_40_60_70_35_config_1.0.11.16.txt, gxp16xx_config_1.0.7.3.txt,
 * ht80x_config_1.0.19.11.txt, gxp_config_1.2.5.3.txt and the v2 alias templates named there).
 */
#include "backend/gs_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend/secret_name.h"

/*
 * Accounts 1..6: account 1 has its historic numbers; accounts 2, 3, 4 use P4xx, P5xx, P6xx
 * and accounts 5, 6 use P17xx, P18xx, with the same offsets.
 */
static const uint32_t account1[GA__COUNT] = {
	[GA_ACTIVE] = 271,  [GA_NAME] = 270,  [GA_SERVER] = 47,
	[GA_OUTBOUND] = 48, [GA_USER] = 35,   [GA_AUTH] = 36,
	[GA_PASSWORD] = 34, [GA_DISPLAY] = 3, [GA_VOICEMAIL] = 33,
};

static const uint32_t account_offset[GA__COUNT] = {
	[GA_ACTIVE] = 1, [GA_NAME] = 17,    [GA_SERVER] = 2,  [GA_OUTBOUND] = 3,   [GA_USER] = 4,
	[GA_AUTH] = 5,   [GA_PASSWORD] = 6, [GA_DISPLAY] = 7, [GA_VOICEMAIL] = 26,
};

static const uint32_t account_base[GS_MAX_ACCOUNTS + 1] = { 0, 0, 400, 500, 600, 1700, 1800 };

uint32_t gs_account_param(unsigned account, enum gs_acct_field f)
{
	if (account < 1 || account > GS_MAX_ACCOUNTS)
		return 0;
	if (account == 1)
		return account1[f];
	return account_base[account] + account_offset[f];
}

const struct gs_setting_row gs_setting_rows[] = {
	{ SET_ADMIN_PASSWORD, 2, NULL },   /* P2: admin password (web UI) */
	{ SET_NTP_SERVER, 30, NULL },      /* P30 */
	{ SET_TIMEZONE, 64, NULL },        /* P64: POSIX TZ string or "auto" */
	{ SET_LANGUAGE, 1362, NULL },      /* P1362: display language */
	{ SET_RESYNC_MINUTES, 194, "1" },  /* P194=1: check every P193 minutes */
	{ SET_RESYNC_MINUTES, 193, NULL }, /* P193: interval in minutes */
};

const size_t gs_setting_nrows = sizeof(gs_setting_rows) / sizeof(gs_setting_rows[0]);

const enum gs_acct_field gs_line_field[LF__COUNT] = {
	[LF_USER] = GA_USER,         [LF_AUTH_USER] = GA_AUTH,
	[LF_PASSWORD] = GA_PASSWORD, [LF_DISPLAY_NAME] = GA_DISPLAY,
	[LF_SERVER] = GA_SERVER,     [LF_VOICEMAIL] = GA_VOICEMAIL,
};

const char *gs_protocol_value(enum url_scheme scheme)
{
	/* P212: 0 TFTP, 1 HTTP, 2 HTTPS, 3 FTP, 4 FTPS */
	static const char *const v[] = { [URL_TFTP] = "0",
		                         [URL_HTTP] = "1",
		                         [URL_HTTPS] = "2",
		                         [URL_FTP] = "3",
		                         [URL_FTPS] = "4" };

	return v[scheme];
}

/* Shorthands for the sources of the rows below. */
enum { T21 = GS_TPL_GXP21XX, T16 = GS_TPL_GXP16XX, HT = GS_TPL_HT80X, T1X = GS_TPL_GXP1X };

/*
 * Every P-value of the four templates whose documented name calls it a password, passphrase,
 * PIN, secret or key, in the sense of a credential or private key material. Not here:
 * "Key" as a phone button or its behaviour (Multi-Purpose Key, Line Key, softkey, Key Mode,
 * No Key Entry Timeout, Key as Send, Use # as Dial Key), numbers about a secret rather than
 * the secret (SRTP Key Length, Hide Dialing Password prefix and length, Test Password
 * Strength, Factory Reset Security Level), public certificates (Trusted CA, SIP TLS / CPE SSL
 * / OpenVPN certificates), and credentials the template does not name that way (SNMP
 * community strings, P9997 Provider Lock Authentication, user names). P-values a template
 * shows commented out count too: they are still P-values a file may carry. Each name is as
 * the newest template listing it writes it (GXP21xx, GXP16xx, HT80x, then GXP 1.2.5.3); a
 * comment adds context where the name alone is ambiguous.
 */
const struct gs_secret_row gs_secret_rows[] = {
	{ 2, "Admin password for web interface", T21 | T16 | HT | T1X },
	{ 34, "Authenticate Password", T21 | T16 | HT | T1X }, /* account 1 */
	{ 83, "PPPoE Password", T21 | T16 | HT | T1X },
	{ 196, "End User Password", T21 | T16 | HT | T1X },
	{ 279, "SIP TLS Private Key", T21 | T16 | HT },          /* SIP TLS */
	{ 281, "SIP TLS Private Key Password", T21 | T16 | HT }, /* SIP TLS */
	{ 406, "Authenticate password", T21 | T16 | T1X },       /* account 2 */
	{ 506, "Authenticate Password", T21 | T16 | T1X },       /* account 3 */
	{ 606, "Authenticate password", T21 | T1X },             /* account 4 */
	{ 734, "Authentication password", HT },                  /* HT80x FXS port 2 */
	{ 1359, "XML Config File Password", T21 | T16 | HT | T1X },
	{ 1361, "Config HTTP/HTTPS Password", T21 | T16 | HT },  /* config server */
	{ 1383, "Password to Lock/Unlock", T21 | T16 },          /* keypad lock */
	{ 1594, "Login Password", T21 | T16 },                   /* Broadsoft XSI login */
	{ 1706, "Authenticate Password", T21 | T1X },            /* account 5 */
	{ 1806, "Authenticate password", T21 | T1X },            /* account 6 */
	{ 2352, "Auto User Presence Password", T16 },            /* account 1 */
	{ 2452, "Auto User Presence Password", T16 },            /* account 2 */
	{ 2552, "Auto User Presence Password", T16 },            /* account 3 */
	{ 2967, "Password", T21 },                               /* Broadsoft IM&P (XMPP) */
	{ 4505, "TR-069 Password", T21 | T16 | HT },             /* TR-069 */
	{ 4512, "Connection Request Password", T21 | T16 | HT }, /* TR-069 */
	{ 6714, "HTTP/HTTPS Password", T21 | T16 },              /* phonebook XML download */
	{ 6769, "Firmware HTTP/HTTPS Password", T21 | T16 },     /* firmware server */
	{ 6773, "SIP Password", T21 | T16 },                     /* Broadsoft XSI SIP credentials */
	{ 7903, "MD5 Password", T21 | T16 },                     /* 802.1X */
	{ 8024, "Password", T21 | T16 },                         /* LDAP bind */
	{ 8221, "CPE SSL Private Key", T21 | T16 | HT },         /* TR-069 */
	{ 8395, "OpenVPN Password", T21 | T16 },                 /* OpenVPN */
	{ 8472, "Custom Certificate (Private Key + Certificate)", HT }, /* SIP TLS */
	{ 9904, "OpenVPN Client Key", T21 | T16 },                      /* OpenVPN */
	{ 9998, "Provider Lock Password", HT },                         /* not on the web UI */
	{ 21908, "Authentication Key", T21 | T16 | HT },                /* SNMPv3 */
	{ 21909, "Privacy Key", T21 | T16 | HT },                       /* SNMPv3 */
	{ 21914, "Trap Authentication Key", T21 | T16 | HT },           /* SNMPv3 trap */
	{ 21915, "Trap Privacy Key", T21 | T16 | HT },                  /* SNMPv3 trap */
	{ 28110, "RADIUS Shared Secret", HT },                          /* web access control */
	{ 28113, "New Viewer Password", HT },                           /* web viewer level */
	{ 28124, "DDNS Password", HT },                                 /* DDNS */
	{ 32004, "Access Password", T21 | T16 },                        /* GDS door system 1 */
	{ 32009, "Access Password", T21 | T16 },                        /* GDS door system 2 */
	{ 32014, "Access Password", T21 | T16 },                        /* GDS door system 3 */
	{ 32019, "Access Password", T21 | T16 },                        /* GDS door system 4 */
	{ 32024, "Access Password", T21 | T16 },                        /* GDS door system 5 */
	{ 32029, "Access Password", T21 | T16 },                        /* GDS door system 6 */
	{ 32034, "Access Password", T21 | T16 },                        /* GDS door system 7 */
	{ 32039, "Access Password", T21 | T16 },                        /* GDS door system 8 */
	{ 32044, "Access Password", T21 | T16 },                        /* GDS door system 9 */
	{ 32049, "Access Password", T21 | T16 },                        /* GDS door system 10 */
};

const size_t gs_secret_nrows = sizeof(gs_secret_rows) / sizeof(gs_secret_rows[0]);

static int secret_row_cmp(const void *key, const void *row)
{
	uint32_t p = *(const uint32_t *)key, q = ((const struct gs_secret_row *)row)->param;

	return p < q ? -1 : p > q;
}

bool gs_is_secret(uint32_t p)
{
	if (bsearch(&p, gs_secret_rows, gs_secret_nrows, sizeof(gs_secret_rows[0]),
	            secret_row_cmp) != NULL)
		return true;
	/* accounts the table would miss if GS_MAX_ACCOUNTS grew */
	for (unsigned a = 1; a <= GS_MAX_ACCOUNTS; a++)
		if (gs_account_param(a, GA_PASSWORD) == p)
			return true;
	return false;
}

const char *gs_reserved_reason(uint32_t p)
{
	switch (p) {
	case GS_P_CONFIG_PATH:
	case GS_P_PROTOCOL:
		return "provfs sets it from server.url";
	case GS_P_CONFIG_PREFIX:
	case GS_P_CONFIG_POSTFIX:
		return "provfs sets it from 'config: {prefix, postfix}'";
	case GS_P_XML_PASSWORD:
		return "provfs sets it from 'xml_password', which also encrypts the file";
	case GS_P_FW_PATH:
	case GS_P_FW_PREFIX:
	case GS_P_FW_POSTFIX:
		return "provfs sets it from 'firmware: {version, prefix, postfix}'";
	default:
		return NULL;
	}
}

/* v2 aliases with no account number. */
static const struct {
	const char *name;
	uint32_t param;
} global_alias[] = {
	{ "users.admin.password", 2 },
	{ "users.user.password", 196 },
	{ "dateTime.ntp.server.1", 30 },
	{ "dateTime.timezone", 64 },
	{ "language.gui", 1362 },
	{ "provisioning.config.serverPath", GS_P_CONFIG_PATH },
	{ "provisioning.config.filePrefix", GS_P_CONFIG_PREFIX },
	{ "provisioning.config.filePostfix", GS_P_CONFIG_POSTFIX },
	{ "provisioning.config.filePassword", GS_P_XML_PASSWORD },
	{ "provisioning.firmware.serverPath", GS_P_FW_PATH },
	{ "provisioning.firmware.filePrefix", GS_P_FW_PREFIX },
	{ "provisioning.firmware.filePostfix", GS_P_FW_POSTFIX },
};

/* v2 aliases "account.N.<suffix>". */
static const struct {
	const char *suffix;
	enum gs_acct_field field;
	bool yes_no;
} account_alias[] = {
	{ "enable", GA_ACTIVE, true },
	{ "name", GA_NAME, false },
	{ "sip.server.1.address", GA_SERVER, false },
	{ "sip.outboundProxy.1.address", GA_OUTBOUND, false },
	{ "sip.userid", GA_USER, false },
	{ "sip.subscriber.userid", GA_AUTH, false },
	{ "sip.subscriber.password", GA_PASSWORD, false },
	{ "sip.subscriber.name", GA_DISPLAY, false },
	{ "sip.voicemail.number", GA_VOICEMAIL, false },
};

static int parse_pvalue(const char *name, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (name[0] != 'P' || name[1] < '1' || name[1] > '9')
		return -EINVAL;
	for (i = 1; name[i] >= '0' && name[i] <= '9'; i++) {
		if (i > 6)
			return -EINVAL;
		v = v * 10 + (uint32_t)(name[i] - '0');
	}
	if (name[i] != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

int gs_parse_name(const char *name, struct gs_name *out, const char **why)
{
	out->yes_no = false;
	if (name[0] == 'P' && name[1] != '\0' && strchr(name, '.') == NULL) {
		if (parse_pvalue(name, &out->param) == 0) {
			out->secret = gs_is_secret(out->param);
			return 0;
		}
		*why = "is not a P-value (P followed by 1 to 6 digits, no leading zero)";
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(global_alias) / sizeof(global_alias[0]); i++)
		if (strcmp(name, global_alias[i].name) == 0) {
			out->param = global_alias[i].param;
			out->secret = gs_is_secret(out->param) || secret_name(name, false);
			return 0;
		}
	if (strncmp(name, "account.", 8) == 0 && name[8] >= '1' &&
	    name[8] <= '0' + GS_MAX_ACCOUNTS && name[9] == '.') {
		for (size_t i = 0; i < sizeof(account_alias) / sizeof(account_alias[0]); i++)
			if (strcmp(name + 10, account_alias[i].suffix) == 0) {
				out->param = gs_account_param((unsigned)(name[8] - '0'),
				                              account_alias[i].field);
				out->yes_no = account_alias[i].yes_no;
				out->secret = gs_is_secret(out->param) || secret_name(name, false);
				return 0;
			}
	}
	*why = "is neither a P-value nor a v2 name provfs knows (write its P-value)";
	return -EINVAL;
}

const char *gs_yes_no_value(const char *v)
{
	if (strcasecmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		return "1";
	if (strcasecmp(v, "no") == 0 || strcmp(v, "0") == 0)
		return "0";
	return NULL;
}
