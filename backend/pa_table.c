/*
 * pa_table.c - Panasonic parameters: neutral settings, per-line fields, and the UTG paths of
 * the flat names (formats/panasonic.md §1.2, §2.2, §3; paths as in the FusionPBX utg300b
 * template; CFG_*_FILE_PATH under Initial/CfgFiles per the UTG guide p.44).
 */
#include "backend/pa_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/secret_name.h"

const struct pa_line_row pa_line_rows[] = {
	{ LF_USER, "PHONE_NUMBER" },   { LF_AUTH_USER, "SIP_AUTHID" },
	{ LF_PASSWORD, "SIP_PASS" },   { LF_DISPLAY_NAME, "DISPLAY_NAME" },
	{ LF_VOICEMAIL, "VM_NUMBER" },
};
const size_t pa_line_nrows = sizeof(pa_line_rows) / sizeof(pa_line_rows[0]);

const struct pa_setting_row pa_setting_rows[] = {
	{ SET_ADMIN_PASSWORD, "ADMIN_PASS", NULL },
	{ SET_NTP_SERVER, "NTP_ADDR", NULL },
	{ SET_RESYNC_MINUTES, "CFG_CYCLIC", "Y" },
	{ SET_RESYNC_MINUTES, "CFG_CYCLIC_INTVL", NULL },
};
const size_t pa_setting_nrows = sizeof(pa_setting_rows) / sizeof(pa_setting_rows[0]);

/* Flat names of the whole phone and where the UTG keeps them. */
static const struct {
	const char *name;
	const char *section;
} global_paths[] = {
	{ "ADMIN_ID", "Device/System/LoginAcc" },
	{ "ADMIN_PASS", "Device/System/LoginAcc" },
	{ "USER_ID", "Device/System/LoginAcc" },
	{ "USER_PASS", "Device/System/LoginAcc" },
	{ "TIME_ZONE", "Device/System/SysTime" },
	{ "DST_ENABLE", "Device/System/SysTime" },
	{ "SYSLOG_SERVER_ENABLE", "Device/System/Syslog" },
	{ "SYSLOG_ADDR", "Device/System/Syslog" },
	{ "SYSLOG_PORT", "Device/System/Syslog" },
	{ "FIRM_UPGRADE_ENABLE", "Device/System/FwUpdt" },
	{ "FIRM_VERSION", "Device/System/FwUpdt" },
	{ "FIRM_FILE_PATH", "Device/System/FwUpdt" },
	{ "FIRM_UPGRADE_AUTO", "Device/System/FwUpdt" },
	{ "PROVISION_ENABLE", "Device/System/Prov" },
	{ "OPTION66_ENABLE", "Device/System/Prov" },
	{ "OPTION159_ENABLE", "Device/System/Prov" },
	{ "OPTION160_ENABLE", "Device/System/Prov" },
	{ "SIPPNP_ENABLE", "Device/System/Prov" },
	{ "CFG_FILE_KEY", "Device/System/Prov" },
	{ "CFG_FILE_KEY_LENGTH", "Device/System/Prov" },
	{ "CFG_CYCLIC", "Device/System/Prov" },
	{ "CFG_CYCLIC_INTVL", "Device/System/Prov" },
	{ "CFG_RTRY_INTVL", "Device/System/Prov" },
	{ "CFG_RESYNC_TIME", "Device/System/Prov" },
	{ "CFG_RESYNC_FROM_SIP", "Device/System/Prov" },
	{ "CFG_STANDARD_FILE_PATH", "Initial/CfgFiles" },
	{ "CFG_PRODUCT_FILE_PATH", "Initial/CfgFiles" },
	{ "CFG_MASTER_FILE_PATH", "Initial/CfgFiles" },
	{ "NTP_ADDR", "Device/Network/NTP" },
	{ "TIME_SYNC_INTVL", "Device/Network/NTP" },
	{ "HTTP_AUTH_ID", "Device/Network/HTTP" },
	{ "HTTP_AUTH_PASSWORD", "Device/Network/HTTP" },
	{ "HTTP_USER_AGENT", "Device/Network/HTTP" },
	{ "STUN_SERV_ADDR", "Device/Network/STUN" },
	{ "STUN_SERV_PORT", "Device/Network/STUN" },
	{ "DEFAULT_LANGUAGE", "Device/Phone/Telephone" },
};

/* Per-line flat names (NAME_n) and their section inside <Line idx="n">. */
static const struct {
	const char *name;
	const char *section;
} line_paths[] = {
	{ "PHONE_NUMBER", "Sip" },   { "SIP_URI", "Sip" },           { "LINE_ENABLE", "Sip" },
	{ "SIP_AUTHID", "Sip" },     { "SIP_PASS", "Sip" },          { "SIP_SRC_PORT", "Sip" },
	{ "SIP_PRXY_ADDR", "Sip" },  { "SIP_PRXY_PORT", "Sip" },     { "SIP_RGSTR_ADDR", "Sip" },
	{ "SIP_RGSTR_PORT", "Sip" }, { "SIP_SVCDOMAIN", "Sip" },     { "REG_EXPIRE_TIME", "Sip" },
	{ "SIP_DNSSRV_ENA", "Sip" }, { "SIP_OUTPROXY_ADDR", "Sip" }, { "SIP_OUTPROXY_PORT", "Sip" },
	{ "SIP_TRANSPORT", "Sip" },  { "SIP_DETECT_SSAF", "Sip" },   { "SIP_PRSNC_ADDR", "Sip" },
	{ "SIP_PRSNC_PORT", "Sip" }, { "DISPLAY_NAME", "CallCtrl" }, { "VM_NUMBER", "CallCtrl" },
};

static const char *last_segment(const char *name)
{
	const char *slash = strrchr(name, '/');

	return slash != NULL ? slash + 1 : name;
}

const struct pa_secret_row pa_secret_rows[] = {
	{ "SIP_PASS", "formats/panasonic.md §1.2 (SIP_PASS_n, the line's password)" },
	{ "ADMIN_PASS", "formats/panasonic.md §4.1 (web logins)" },
	{ "USER_PASS", "formats/panasonic.md §4.1 (web logins)" },
	{ "HTTP_AUTH_PASSWORD",
	  "formats/panasonic.md §2.3 (HTTP auth of the provisioning server)" },
	{ "CFG_FILE_KEY", "formats/panasonic.md §2.2 (UTG file key)" },
	{ "CFG_FILE_KEY1", "formats/panasonic.md §2.1 (.e1c key)" },
	{ "CFG_FILE_KEY2", "formats/panasonic.md §2.1 (.e2c key)" },
	{ "CFG_FILE_KEY3", "formats/panasonic.md §2.1 (.e3c key)" },
};
const size_t pa_secret_nrows = sizeof(pa_secret_rows) / sizeof(pa_secret_rows[0]);

/* name is row, or row + "_n" (a per-line name). */
static bool is_row(const char *name, const char *row)
{
	size_t len = strlen(row);

	if (strncmp(name, row, len) != 0)
		return false;
	if (name[len] == '\0')
		return true;
	if (name[len] != '_' || name[len + 1] == '\0')
		return false;
	return strspn(name + len + 1, "0123456789") == strlen(name + len + 1);
}

bool pa_is_secret(const char *name)
{
	const char *n = last_segment(name);

	for (size_t i = 0; i < pa_secret_nrows; i++)
		if (is_row(n, pa_secret_rows[i].name))
			return true;
	return secret_name(n, true);
}

const char *pa_reserved_reason(const char *name)
{
	const char *n = last_segment(name);

	if (strcmp(n, PA_STANDARD_PATH) == 0 || strcmp(n, PA_PRODUCT_PATH) == 0 ||
	    strcmp(n, PA_MASTER_PATH) == 0)
		return "provfs sets it from server.url";
	if (strcmp(n, PA_FILE_KEY) == 0 || strcmp(n, PA_FILE_KEY_LEN) == 0)
		return "provfs sets it for models with 'encrypt: true' (key_length)";
	return NULL;
}

/* "NAME_n" with 1 <= n <= PA_LINES_MAX: the line number, or 0. */
static unsigned line_suffix(const char *flat, size_t *base_len)
{
	const char *us = strrchr(flat, '_');
	char *end;
	unsigned long n;

	if (us == NULL || us[1] < '1' || us[1] > '9')
		return 0;
	n = strtoul(us + 1, &end, 10);
	if (*end != '\0' || n > PA_LINES_MAX)
		return 0;
	*base_len = (size_t)(us - flat);
	return (unsigned)n;
}

int pa_utg_path(const char *flat, char *out, size_t len)
{
	size_t base_len;
	unsigned line;
	int n = -1;

	for (size_t i = 0; i < sizeof(global_paths) / sizeof(global_paths[0]); i++)
		if (strcmp(flat, global_paths[i].name) == 0)
			n = snprintf(out, len, "%s/%s", global_paths[i].section, flat);
	line = n < 0 ? line_suffix(flat, &base_len) : 0;
	for (size_t i = 0; line > 0 && i < sizeof(line_paths) / sizeof(line_paths[0]); i++)
		if (strlen(line_paths[i].name) == base_len &&
		    strncmp(flat, line_paths[i].name, base_len) == 0)
			n = snprintf(out, len, "Device/Lines/Line[%u]/%s/%s", line,
			             line_paths[i].section, line_paths[i].name);
	if (n < 0)
		return -ENOENT;
	return (size_t)n < len ? 0 : -ENAMETOOLONG;
}

static bool word_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

bool pa_utg_path_ok(const char *path)
{
	const char *seg = path;
	int segments = 0;

	for (;;) {
		const char *end = strchr(seg, '/');
		size_t n = end != NULL ? (size_t)(end - seg) : strlen(seg);
		const char *br = memchr(seg, '[', n);

		if (br != NULL) {
			/* Line[n]: a word, then a number from 1 in brackets, nothing after */
			char *close;
			unsigned long idx = strtoul(br + 1, &close, 10);

			if (!word_ok(seg, (size_t)(br - seg)) || br[1] < '1' || br[1] > '9' ||
			    *close != ']' || close != seg + n - 1 || idx > 999)
				return false;
		} else if (!word_ok(seg, n)) {
			return false;
		}
		segments++;
		if (end == NULL)
			return segments >= 2;
		seg = end + 1;
	}
}

int pa_dialect_name(const char *name, enum dialect dialect, char *out, size_t len, const char **why)
{
	bool is_path = strchr(name, '/') != NULL;

	if (dialect == DIALECT_TEXT) {
		if (is_path) {
			*why = "is a UTG path: text-dialect phones take flat names";
			return -EINVAL;
		}
		if (strlen(name) > PA_NAME_MAX || !word_ok(name, strlen(name))) {
			*why = "is not a Panasonic parameter name (at most 32 of A-Z a-z 0-9 _)";
			return -EINVAL;
		}
		if ((size_t)snprintf(out, len, "%s", name) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	if (is_path) {
		if (!pa_utg_path_ok(name)) {
			*why = "is not a UTG parameter path (Section/.../NAME, Line[n] for a line)";
			return -EINVAL;
		}
		if ((size_t)snprintf(out, len, "%s", name) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	if (pa_utg_path(name, out, len) < 0) {
		*why =
		    "has no UTG path provfs knows: write its path (e.g. Device/System/Prov/NAME)";
		return -EINVAL;
	}
	return 0;
}
