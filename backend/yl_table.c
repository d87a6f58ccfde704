/*
 * yl_table.c - Yealink models, keys, time zone and language (formats/yealink.md §1.3, §3;
 * the sources that note cites are named here by its abbreviations: wazo, FusionPBX).
 */
#include "backend/yl_table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * formats/yealink.md §1.3 (codes, from FusionPBX's per-model folders) with max_lines from §3
 * "Lines per model" (wazo `_NB_SIP_ACCOUNTS`; T21P_E2, T29G, T46G, T48G and T54S from the
 * FusionPBX comment quoted there). A row of §1.3 that names two models ("T23P, T23G") is one
 * row per name here. Names are spelt as the phones name themselves in boot files, "T21P_E2"
 * and "T19P_E2" (§1.3, the model list for `[$MODEL]`), not §1.3's "T19P E2".
 *
 * code_unverified rows:
 *   - T31W and AX86R: FusionPBX's folder holds a y0000000000XX.cfg with one code (172, 182)
 *     while its y000000000000.boot includes another (096, 180). The boot codes are those of
 *     T54W and AX83H, so the boot lines look copied from those models' folders [I]; the file
 *     is what the folder actually provides for the model, so its code is taken here.
 *   - W80: only the file exists (175), no boot line to agree with it.
 *   - T88V, T88W: one code for two models, which §1.3 lists as [U] by name.
 * Not here: "w7xp", a FusionPBX folder name next to W70B, not a name a phone gives itself.
 * T58A and T58V take wazo's "T58" count of lines [I].
 */
const struct yl_model yl_models[] = {
	{ "T19P_E2", "053", 0, false },
	{ "T21P_E2", "052", 2, false },
	{ "T23P", "044", 0, false },
	{ "T23G", "044", 0, false }, /* confirmed by the T2 user guide (§1.3) */
	{ "T27P", "045", 0, false },
	{ "T27G", "069", 6, false },
	{ "T29G", "046", 16, false },
	{ "T31G", "123", 2, false },
	{ "T31W", "172", 0, true },
	{ "T33G", "124", 4, false },
	{ "T34W", "171", 4, false },
	{ "T40P", "054", 0, false },
	{ "T40G", "076", 0, false },
	{ "T41P", "036", 0, false },
	{ "T41S", "068", 6, false },
	{ "T42G", "029", 0, false },
	{ "T42S", "067", 12, false },
	{ "T42U", "116", 12, false },
	{ "T43U", "107", 12, false },
	{ "T44W", "174", 12, false },
	{ "T46G", "028", 16, false },
	{ "T46S", "066", 16, false },
	{ "T46U", "108", 16, false },
	{ "T48G", "035", 16, false },
	{ "T48S", "065", 16, false },
	{ "T48U", "109", 16, false },
	{ "T49G", "051", 0, false },
	{ "T52S", "074", 0, false },
	{ "T53", "095", 12, false },
	{ "T53W", "095", 12, false },
	{ "T54S", "070", 16, false },
	{ "T54W", "096", 16, false },
	{ "T56A", "056", 0, false },
	{ "T57W", "097", 16, false },
	{ "T58A", "058", 16, false }, /* confirmed by the Teams-series guide (§1.3) */
	{ "T58V", "058", 16, false },
	{ "T58W", "150", 16, false },
	{ "T73U", "186", 12, false },
	{ "T73W", "183", 12, false },
	{ "T74U", "187", 16, false },
	{ "T74W", "184", 16, false },
	{ "T77U", "188", 16, false },
	{ "T85W", "196", 16, false },
	{ "T87W", "197", 16, false },
	{ "T88V", "192", 16, true },
	{ "T88W", "192", 16, true },
	{ "AX83H", "180", 0, false },
	{ "AX86R", "182", 0, true },
	{ "CP860", "037", 0, false },
	{ "CP920", "078", 1, false },
	{ "CP925", "148", 0, false },
	{ "CP960", "073", 0, false },
	{ "CP965", "143", 0, false },
	{ "VP59", "091", 0, false },
	{ "VP530", "023", 0, false },
	{ "W52P", "025", 0, false }, /* confirmed by the W52P guide and wazo (§1.3) */
	{ "W56P", "025", 0, false },
	{ "W60B", "077", 0, false },
	{ "W70B", "146", 10, false },
	{ "W80", "175", 0, true },
	/* §1.3 "old" */
	{ "T20P", "007", 0, false },
	{ "T22P", "005", 0, false },
	{ "T26P", "004", 0, false },
	{ "T28P", "000", 0, false },
	{ "T32G", "032", 0, false },
	{ "T38G", "038", 0, false },
};

const size_t yl_nmodels = sizeof(yl_models) / sizeof(yl_models[0]);

const struct yl_model *yl_model_find(const char *name, size_t len)
{
	for (size_t i = 0; i < yl_nmodels; i++)
		if (strlen(yl_models[i].name) == len && memcmp(yl_models[i].name, name, len) == 0)
			return &yl_models[i];
	return NULL;
}

int yl_common_name(const struct yl_model *m, char out[static 18])
{
	const char *c = m->code;

	if (strlen(c) != 3 || strspn(c, "0123456789") != 3)
		return -EINVAL;
	snprintf(out, 18, "y000000000%s.cfg", c);
	return 0;
}

/* formats/yealink.md §3; the order of the rows is the order of the lines in a file. */
const struct yl_setting_row yl_setting_rows[] = {
	/* one line per account by design (§2.2); provfs sets only the admin's */
	{ SET_ADMIN_PASSWORD, "static.security.user_password", true, YL_CONV_NONE, "admin:%s",
	  NULL },
	{ SET_NTP_SERVER, "local_time.ntp_server1", false, YL_CONV_NONE, NULL, NULL },
	{ SET_TIMEZONE, "local_time.time_zone", false, YL_CONV_TIMEZONE, NULL, NULL },
	{ SET_LANGUAGE, "lang.gui", false, YL_CONV_LANGUAGE, NULL, NULL },
	{ SET_LANGUAGE, "lang.wui", false, YL_CONV_LANGUAGE, NULL, NULL },
	{ SET_RESYNC_MINUTES, "static.auto_provision.repeat.enable", false, YL_CONV_NONE, NULL,
	  "1" },
	{ SET_RESYNC_MINUTES, "static.auto_provision.repeat.minutes", false, YL_CONV_NONE, NULL,
	  NULL },
};

const size_t yl_setting_nrows = sizeof(yl_setting_rows) / sizeof(yl_setting_rows[0]);

/*
 * formats/yealink.md §3. display_name is both the name sent (display_name) and the screen
 * label (label), as FusionPBX writes it. auth_user defaults to user (SPEC §3): the glue's
 * rule, as for the other vendors. Voicemail is not under account.N.
 */
const struct yl_line_row yl_line_rows[] = {
	{ LF_DISPLAY_NAME, "account.%u.label", false },
	{ LF_DISPLAY_NAME, "account.%u.display_name", false },
	{ LF_AUTH_USER, "account.%u.auth_name", false },
	{ LF_USER, "account.%u.user_name", false },
	{ LF_PASSWORD, "account.%u.password", true },
	{ LF_SERVER, "account.%u.sip_server.1.address", false },
	{ LF_VOICEMAIL, "voice_mail.number.%u", false },
};

const size_t yl_line_nrows = sizeof(yl_line_rows) / sizeof(yl_line_rows[0]);

/*
 * formats/yealink.md §3: settings of the whole phone that Yealink keeps per account.
 * sip_server is the registrar of a line that names no server of its own (SPEC §3): the same
 * key as the LF_SERVER row, written from whichever applies.
 */
const struct yl_line_setting_row yl_line_setting_rows[] = {
	{ SET_SIP_SERVER, "account.%u.sip_server.1.address", NULL },
	{ SET_SIP_PORT, "account.%u.sip_server.1.port", NULL },
	{ SET_OUTBOUND_PROXY, "account.%u.outbound_proxy_enable", "1" },
	{ SET_OUTBOUND_PROXY, "account.%u.outbound_proxy.1.address", NULL },
};

const size_t yl_line_setting_nrows = sizeof(yl_line_setting_rows) / sizeof(yl_line_setting_rows[0]);

/* ---- POSIX TZ strings (POSIX XBD 8.3 "TZ": std offset [dst [offset] [,rule,rule]]) ---- */

struct cursor {
	const char *p;
	const char *end;
};

static int peek(const struct cursor *c)
{
	return c->p < c->end ? (unsigned char)*c->p : -1;
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_alpha(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* A zone name: 3 or more letters, or <...> of 3 or more letters, digits, '+' and '-'. */
static int tz_name(struct cursor *c)
{
	size_t n = 0;

	if (peek(c) == '<') {
		c->p++;
		while (is_alpha(peek(c)) || is_digit(peek(c)) || peek(c) == '+' || peek(c) == '-') {
			c->p++;
			n++;
		}
		if (peek(c) != '>' || n < 3)
			return -EINVAL;
		c->p++;
		return 0;
	}
	while (is_alpha(peek(c))) {
		c->p++;
		n++;
	}
	return n >= 3 ? 0 : -EINVAL;
}

/* 1 to `digits` decimal digits, not followed by another, at most max. */
static int tz_number(struct cursor *c, int digits, int max, int *out)
{
	int v = 0, n = 0;

	while (n < digits && is_digit(peek(c))) {
		v = v * 10 + (peek(c) - '0');
		c->p++;
		n++;
	}
	if (n == 0 || is_digit(peek(c)) || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hh <= max_hours: seconds, with the sign. */
static int tz_hms(struct cursor *c, int hour_digits, int max_hours, long *secs)
{
	int sign = 1, h, m = 0, s = 0;

	if (peek(c) == '+' || peek(c) == '-')
		sign = *c->p++ == '-' ? -1 : 1;
	if (tz_number(c, hour_digits, max_hours, &h) < 0)
		return -EINVAL;
	if (peek(c) == ':') {
		c->p++;
		if (tz_number(c, 2, 59, &m) < 0)
			return -EINVAL;
		if (peek(c) == ':') {
			c->p++;
			if (tz_number(c, 2, 59, &s) < 0)
				return -EINVAL;
		}
	}
	*secs = sign * ((long)h * 3600 + (long)m * 60 + s);
	return 0;
}

/* Jn (1..365), n (0..365) or Mm.w.d, then an optional /time (-167..167 hours, as glibc). */
static int tz_rule(struct cursor *c)
{
	int v;
	long t;

	if (peek(c) == 'J') {
		c->p++;
		if (tz_number(c, 3, 365, &v) < 0 || v < 1)
			return -EINVAL;
	} else if (peek(c) == 'M') {
		c->p++;
		if (tz_number(c, 2, 12, &v) < 0 || v < 1 || peek(c) != '.')
			return -EINVAL;
		c->p++;
		if (tz_number(c, 1, 5, &v) < 0 || v < 1 || peek(c) != '.')
			return -EINVAL;
		c->p++;
		if (tz_number(c, 1, 6, &v) < 0)
			return -EINVAL;
	} else if (tz_number(c, 3, 365, &v) < 0) {
		return -EINVAL;
	}
	if (peek(c) == '/') {
		c->p++;
		return tz_hms(c, 3, 167, &t);
	}
	return 0;
}

int yl_timezone(const char *posix, size_t len, char *out, size_t outlen, bool *has_dst)
{
	struct cursor c = { posix, posix + len };
	long offset, dst_offset;
	bool dst = false;
	long hours;
	int n;

	if (len > YL_TZ_MAX)
		return -EINVAL;
	/* std offset: hh 0..24 (POSIX); the offset is west of UTC, so CET-1 is UTC+1 */
	if (tz_name(&c) < 0 || tz_hms(&c, 2, 24, &offset) < 0)
		return -EINVAL;
	if (peek(&c) != -1) {
		dst = true;
		if (tz_name(&c) < 0)
			return -EINVAL;
		if ((is_digit(peek(&c)) || peek(&c) == '+' || peek(&c) == '-') &&
		    tz_hms(&c, 2, 24, &dst_offset) < 0)
			return -EINVAL;
		if (peek(&c) == ',') {
			c.p++;
			if (tz_rule(&c) < 0 || peek(&c) != ',')
				return -EINVAL;
			c.p++;
			if (tz_rule(&c) < 0)
				return -EINVAL;
		}
		if (peek(&c) != -1)
			return -EINVAL;
	}
	/* local_time.time_zone holds whole hours only (formats/yealink.md §3) */
	if (offset % 3600 != 0)
		return -EINVAL;
	hours = -offset / 3600;
	if (hours < -11)
		hours = -11;
	if (hours > 12)
		hours = 12;
	if (outlen == 0)
		return -ERANGE;
	n = snprintf(out, outlen, "%+ld", hours);
	if (n < 0 || (size_t)n >= outlen)
		return -ERANGE;
	if (has_dst != NULL)
		*has_dst = dst;
	return 0;
}

/*
 * formats/yealink.md §3: the lang.gui / lang.wui names wazo's `_LOCALE` writes, keyed by
 * their ISO 639-1 code. Other Yealink languages can be set through params.
 */
static const struct {
	char code[3];
	const char *name;
} languages[] = {
	{ "en", "English" }, { "fr", "French" },  { "de", "German" },
	{ "es", "Spanish" }, { "it", "Italian" },
};

const char *yl_language(const char *lang, size_t len)
{
	/* "de", or "de_DE" / "de-DE" (any case in the region) */
	if (len != 2 && !(len == 5 && (lang[2] == '_' || lang[2] == '-') &&
	                  is_alpha((unsigned char)lang[3]) && is_alpha((unsigned char)lang[4])))
		return NULL;
	for (size_t i = 0; i < sizeof(languages) / sizeof(languages[0]); i++)
		if (lang[0] == languages[i].code[0] && lang[1] == languages[i].code[1])
			return languages[i].name;
	return NULL;
}
