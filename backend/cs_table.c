/*
 * cs_table.c - Cisco SPA and MPP parameters, models and names (formats/cisco.md §1, §3, §4,
 * §7; the wazo and FusionPBX snapshots it cites for model names, language names and the time
 * zone format).
 */
#include "backend/cs_table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "inventory/mac.h"

/*
 * Names as the phone gives them (wazo MODEL_VERSION keys, DHCP vendor class for MPP), PSN as
 * the bootstrap file name spells it. max_lines: formats/cisco.md §3 says FusionPBX's template
 * line counts are no evidence and the inventory's max_lines decides; only the counts that
 * also fit the hardware are kept ([U]: 4 for SPA504G, 2 for the two-port ATAs, 10 for the
 * 88xx), every other model has 0 (unknown).
 */
const struct cs_model cs_models[] = {
	/* §1.1: wazo plugins/wazo_cisco_spa/v7_5_5/entry.py (PSN) */
	{ "SPA301", CS_SPA, "301", 0 },
	{ "SPA303", CS_SPA, "303", 0 }, /* FusionPBX's 12 lines exceed the hardware */
	{ "SPA501G", CS_SPA, "501G", 0 },
	{ "SPA502G", CS_SPA, "502G", 0 },
	{ "SPA504G", CS_SPA, "504G", 4 },
	{ "SPA508G", CS_SPA, "508G", 0 },
	{ "SPA509G", CS_SPA, "509G", 0 },
	{ "SPA512G", CS_SPA, "512G", 0 },
	{ "SPA514G", CS_SPA, "514G", 0 },
	{ "SPA525G", CS_SPA, "525G", 0 },
	{ "SPA525G2", CS_SPA, "525G2", 0 },
	/* §1.1: wazo spa100_v1_3_5p/entry.py, spa8000_v6_1_11/entry.py */
	{ "SPA112", CS_SPA, "112", 2 },
	{ "SPA122", CS_SPA, "122", 2 },
	{ "SPA8000", CS_SPA, "8000", 0 },
	/* §1.1: wazo legacy/entry.py (its file names are the model in lower case) */
	{ "SPA901", CS_SPA, "901", 0 },
	{ "SPA921", CS_SPA, "921", 0 },
	{ "SPA922", CS_SPA, "922", 0 },
	{ "SPA941", CS_SPA, "941", 0 },
	{ "SPA942", CS_SPA, "942", 0 },
	{ "SPA962", CS_SPA, "962", 0 },
	/* §1.2: wazo plugins/wazo_cisco_sip/v12_0_7/entry.py; 8865: FusionPBX (§3, §9) */
	{ "CP-7811-3PCC", CS_MPP, "7811", 0 },
	{ "CP-7821-3PCC", CS_MPP, "7821", 0 },
	{ "CP-7832-3PCC", CS_MPP, "7832", 0 },
	{ "CP-7841-3PCC", CS_MPP, "7841", 0 },
	{ "CP-7861-3PCC", CS_MPP, "7861", 0 },
	{ "CP-8811-3PCC", CS_MPP, "8811", 10 },
	{ "CP-8841-3PCC", CS_MPP, "8841", 10 },
	{ "CP-8851-3PCC", CS_MPP, "8851", 10 },
	{ "CP-8861-3PCC", CS_MPP, "8861", 10 },
	{ "CP-8865-3PCC", CS_MPP, "8865", 10 },
};
const size_t cs_nmodels = sizeof(cs_models) / sizeof(cs_models[0]);

const struct cs_model *cs_model_find(const char *name, size_t len)
{
	for (size_t i = 0; i < cs_nmodels; i++)
		if (strlen(cs_models[i].name) == len && memcmp(cs_models[i].name, name, len) == 0)
			return &cs_models[i];
	return NULL;
}

/*
 * The bootstrap name patterns, %s being the PSN.
 *
 * SPA: the factory Profile_Rule is /spa$PSN.cfg (§1.1 [V]), and $PSN keeps its letter case:
 * spa504G.cfg, spa525G2.cfg, spa112.cfg, spa942.cfg.
 *
 * MPP: the factory rule is /$PSN.xml (§1.2 [V]), but what $PSN expands to on these phones is
 * [U]: the guides' own examples disagree ("7861", "V03") and wazo serves 8841-3PCC.xml. §1.2
 * "provfs [I]" therefore serves the same bootstrap under all three spellings a phone may use;
 * the file holds no secret, so an extra name costs nothing.
 */
static const char *const spa_bootstrap[] = { "spa%s.cfg" };
static const char *const mpp_bootstrap[] = { "%s-3PCC.xml", "%s.xml", "CP-%s-3PCC.xml" };

int cs_bootstrap_names(const struct cs_model *m, char names[][CS_NAME_MAX], size_t max)
{
	const char *const *fmt;
	size_t n;

	if (m == NULL)
		return -EINVAL;
	fmt = m->family == CS_SPA ? spa_bootstrap : mpp_bootstrap;
	n = m->family == CS_SPA ? sizeof(spa_bootstrap) / sizeof(spa_bootstrap[0])
	                        : sizeof(mpp_bootstrap) / sizeof(mpp_bootstrap[0]);
	if (max < n)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++)
		snprintf(names[i], CS_NAME_MAX, fmt[i], m->psn);
	return (int)n;
}

void cs_device_name(uint64_t mac, bool encrypted, char out[CS_NAME_MAX])
{
	char hex[MAC_STRLEN + 1];

	mac_format(mac, false, hex);
	snprintf(out, CS_NAME_MAX, "%s%s", hex,
	         encrypted ? CS_DEVICE_ENC_TAIL : CS_DEVICE_PLAIN_TAIL);
}

int cs_parse_device_name(const char *name, size_t len, uint64_t *mac, bool *encrypted)
{
	const size_t tail = sizeof(CS_DEVICE_PLAIN_TAIL) - 1;

	if (len != MAC_STRLEN + tail || !mac_parse_hex12(name, mac))
		return -ENOENT;
	if (memcmp(name + MAC_STRLEN, CS_DEVICE_PLAIN_TAIL, tail) == 0)
		*encrypted = false;
	else if (memcmp(name + MAC_STRLEN, CS_DEVICE_ENC_TAIL, tail) == 0)
		*encrypted = true;
	else
		return -ENOENT;
	return 0;
}

/* ---- settings ---- */

/*
 * §3, in the order of vectors/cisco/C1 (admin, NTP, time zone, resync); language last.
 * Resync_On_Reset = Yes comes with Resync_Periodic (§3, §7.4; wazo model.cfg.tpl).
 */
const struct cs_setting_row cs_setting_rows[] = {
	{ SET_ADMIN_PASSWORD, NULL, true, CS_FAM_ALL, CS_CONV_COPY, NULL },
	{ SET_NTP_SERVER, "Primary_NTP_Server", false, CS_FAM_ALL, CS_CONV_COPY, NULL },
	{ SET_TIMEZONE, "Time_Zone", false, CS_FAM_ALL, CS_CONV_TZ_ZONE, NULL },
	{ SET_TIMEZONE, "Daylight_Saving_Time_Enable", false, CS_FAM_ALL, CS_CONV_TZ_DST, NULL },
	{ SET_TIMEZONE, "Daylight_Saving_Time_Rule", false, CS_FAM_ALL, CS_CONV_TZ_RULE, NULL },
	{ SET_RESYNC_MINUTES, CS_RESYNC_ON_RESET, false, CS_FAM_ALL, CS_CONV_FIXED, CS_YES },
	{ SET_RESYNC_MINUTES, CS_RESYNC_PERIODIC, false, CS_FAM_ALL, CS_CONV_SECONDS, NULL },
	{ SET_LANGUAGE, "Language_Selection", false, CS_FAM_MPP, CS_CONV_LANGUAGE, NULL },
	{ SET_LANGUAGE, "Locale", false, CS_FAM_MPP, CS_CONV_LOCALE, NULL },
};
const size_t cs_setting_nrows = sizeof(cs_setting_rows) / sizeof(cs_setting_rows[0]);

const char *cs_admin_param(enum cs_family family)
{
	/* §3 and §8 [V]: the two families spell it differently (wazo and FusionPBX) */
	return family == CS_SPA ? "Admin_Passwd" : "Admin_Password";
}

const char *cs_setting_param(const struct cs_setting_row *row, enum cs_family family)
{
	return row->param != NULL ? row->param : cs_admin_param(family);
}

static int copy_out(const char *s, size_t len, char *out, size_t outlen)
{
	if (len >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Decimal minutes without sign or leading zeros (but "0") -> seconds. */
static int minutes_to_seconds(const char *v, size_t len, char *out, size_t outlen)
{
	unsigned long m = 0;
	int n;

	if (len == 0 || len > 8 || (len > 1 && v[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		m = m * 10 + (unsigned long)(v[i] - '0');
	}
	if (m > CS_RESYNC_MINUTES_MAX)
		return -EINVAL;
	n = snprintf(out, outlen, "%lu", m * 60);
	return n >= 0 && (size_t)n < outlen ? 0 : -ENAMETOOLONG;
}

int cs_setting_value(const struct cs_setting_row *row, const char *v, size_t len, char *out,
                     size_t outlen)
{
	const struct cs_language *lang;
	struct cs_tz tz;
	int r;

	switch (row->conv) {
	case CS_CONV_COPY:
		return copy_out(v, len, out, outlen);
	case CS_CONV_FIXED:
		return copy_out(row->fixed, strlen(row->fixed), out, outlen);
	case CS_CONV_SECONDS:
		return minutes_to_seconds(v, len, out, outlen);
	case CS_CONV_TZ_ZONE:
	case CS_CONV_TZ_DST:
	case CS_CONV_TZ_RULE:
		r = cs_timezone(v, len, &tz);
		if (r < 0)
			return r;
		if (row->conv == CS_CONV_TZ_ZONE)
			return copy_out(tz.zone, strlen(tz.zone), out, outlen);
		if (row->conv == CS_CONV_TZ_DST)
			return copy_out(tz.dst_enable, strlen(tz.dst_enable), out, outlen);
		if (tz.rule[0] == '\0')
			return -ENODATA;
		return copy_out(tz.rule, strlen(tz.rule), out, outlen);
	case CS_CONV_LANGUAGE:
	case CS_CONV_LOCALE:
		lang = cs_language_find(v, len);
		if (lang == NULL)
			return -EINVAL;
		if (row->conv == CS_CONV_LANGUAGE)
			return copy_out(lang->selection, strlen(lang->selection), out, outlen);
		return copy_out(lang->locale, strlen(lang->locale), out, outlen);
	}
	return -EINVAL;
}

/* ---- lines ---- */

/*
 * §3, in the order of vectors/cisco/C1 (after Line_Enable_N_). Use_Auth_ID_N_ = Yes goes with
 * Auth_ID_N_: without it the phone authenticates with User_ID_N_ (§3 [I]).
 */
const struct cs_line_row cs_line_rows[] = {
	{ LF_SERVER, "Proxy_%u_", false, NULL, NULL },
	{ LF_DISPLAY_NAME, "Display_Name_%u_", false, NULL, NULL },
	{ LF_USER, "User_ID_%u_", false, NULL, NULL },
	{ LF_PASSWORD, "Password_%u_", true, NULL, NULL },
	{ LF_AUTH_USER, "Auth_ID_%u_", false, "Use_Auth_ID_%u_", CS_YES },
	{ LF_VOICEMAIL, "Voice_Mail_Number", false, NULL, NULL }, /* one per phone, see .h */
};
const size_t cs_line_nrows = sizeof(cs_line_rows) / sizeof(cs_line_rows[0]);

int cs_line_param(const char *fmt, unsigned line, char *out, size_t len)
{
	const char *pct = strstr(fmt, "%u");
	int n;

	if (line == 0)
		return -EINVAL;
	/* substituted by hand: the table's formats are data, never handed to printf */
	if (pct == NULL)
		n = snprintf(out, len, "%s", fmt);
	else
		n = snprintf(out, len, "%.*s%u%s", (int)(pct - fmt), fmt, line, pct + 2);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

/* ---- time zone ---- */

#define TZ_NAME_MAX 16 /* characters of a zone abbreviation (provfs's bound) */
#define DAY_SECONDS (24L * 3600)

/* A bounded cursor over the TZ string. */
struct cur {
	const char *p;
	const char *end;
};

static bool at(const struct cur *c, char ch)
{
	return c->p < c->end && *c->p == ch;
}

static bool at_digit(const struct cur *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static bool at_alpha(const struct cur *c)
{
	return c->p < c->end && ((*c->p >= 'A' && *c->p <= 'Z') || (*c->p >= 'a' && *c->p <= 'z'));
}

/* 1 to `digits` decimal digits, at most max. */
static int number(struct cur *c, int digits, unsigned max, unsigned *out)
{
	unsigned v = 0;
	int n = 0;

	for (; n < digits && at_digit(c); n++)
		v = v * 10 + (unsigned)(*c->p++ - '0');
	if (n == 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A zone abbreviation: 3 or more letters, or <3 or more of [A-Za-z0-9+-]> (POSIX). */
static int zone_name(struct cur *c)
{
	size_t n = 0;

	if (at(c, '<')) {
		c->p++;
		while (at_alpha(c) || at_digit(c) || at(c, '+') || at(c, '-')) {
			c->p++;
			n++;
		}
		if (!at(c, '>'))
			return -EINVAL;
		c->p++;
	} else {
		while (at_alpha(c)) {
			c->p++;
			n++;
		}
	}
	return n >= 3 && n <= TZ_NAME_MAX ? 0 : -EINVAL;
}

/* hh[:mm[:ss]], at most 24 hours, in seconds. */
static int hms(struct cur *c, long *secs)
{
	unsigned h, m = 0, s = 0;

	if (number(c, 2, 24, &h) < 0)
		return -EINVAL;
	if (at(c, ':')) {
		c->p++;
		if (number(c, 2, 59, &m) < 0)
			return -EINVAL;
		if (at(c, ':')) {
			c->p++;
			if (number(c, 2, 59, &s) < 0)
				return -EINVAL;
		}
	}
	*secs = (long)h * 3600 + (long)m * 60 + (long)s;
	return *secs <= DAY_SECONDS ? 0 : -EINVAL;
}

/* [+-]hh[:mm[:ss]], POSIX counting west of Greenwich: returned as seconds east (UTC offset). */
static int utc_offset(struct cur *c, long *east)
{
	long west_sign = 1, secs;

	if (at(c, '+') || at(c, '-'))
		west_sign = *c->p++ == '-' ? -1 : 1;
	if (hms(c, &secs) < 0)
		return -EINVAL;
	*east = -west_sign * secs;
	return 0;
}

/*
 * ",Mm.w.d[/time]" -> "m/day/weekday/h:m:s" (§3): day -1 for w = 5 (the last), (w-1)*7+1
 * otherwise; POSIX d counts Sunday 0 .. Saturday 6, Cisco Monday 1 .. Sunday 7; time 02:00:00
 * when omitted (POSIX's default).
 */
static int transition(struct cur *c, char *out, size_t len)
{
	unsigned month, week, wday;
	long t = 2L * 3600;
	int day, n;

	if (!at(c, ','))
		return -EINVAL;
	c->p++;
	if (!at(c, 'M'))
		return -EINVAL; /* Jn and n (day of the year) have no Cisco form */
	c->p++;
	if (number(c, 2, 12, &month) < 0 || month == 0 || !at(c, '.'))
		return -EINVAL;
	c->p++;
	if (number(c, 1, 5, &week) < 0 || week == 0 || !at(c, '.'))
		return -EINVAL;
	c->p++;
	if (number(c, 1, 6, &wday) < 0)
		return -EINVAL;
	if (at(c, '/')) {
		c->p++;
		if (hms(c, &t) < 0)
			return -EINVAL;
	}
	day = week == 5 ? -1 : (int)(week - 1) * 7 + 1;
	n = snprintf(out, len, "%u/%d/%u/%ld:%ld:%ld", month, day, wday == 0 ? 7 : wday, t / 3600,
	             t / 60 % 60, t % 60);
	return n >= 0 && (size_t)n < len ? 0 : -EINVAL;
}

int cs_timezone(const char *posix, size_t len, struct cs_tz *out)
{
	struct cur c = { posix, posix + len };
	char start[24], end[24];
	long std, dst, save, a;
	int n;

	if (len == 0 || len > CS_TZ_MAX || zone_name(&c) < 0 || utc_offset(&c, &std) < 0)
		return -EINVAL;
	if (std % 60 != 0)
		return -EINVAL; /* Time_Zone has minutes, no seconds */
	a = std < 0 ? -std : std;
	/* a is at most 24 hours (hms): the "% 100" only tells the compiler so */
	snprintf(out->zone, sizeof(out->zone), "GMT%c%02u:%02u", std < 0 ? '-' : '+',
	         (unsigned)(a / 3600 % 100), (unsigned)(a / 60 % 60));
	out->dst_enable = "no";
	out->rule[0] = '\0';
	if (c.p == c.end)
		return 0;
	if (zone_name(&c) < 0)
		return -EINVAL;
	dst = std + 3600; /* POSIX: one hour ahead of standard time when omitted */
	if ((at_digit(&c) || at(&c, '+') || at(&c, '-')) && utc_offset(&c, &dst) < 0)
		return -EINVAL;
	save = dst - std;
	if (save <= 0 || save >= DAY_SECONDS)
		return -EINVAL;
	if (transition(&c, start, sizeof(start)) < 0 || transition(&c, end, sizeof(end)) < 0 ||
	    c.p != c.end)
		return -EINVAL;
	n = snprintf(out->rule, sizeof(out->rule), "start=%s;end=%s;save=%ld:%ld:%ld", start, end,
	             save / 3600, save / 60 % 60, save % 60);
	if (n < 0 || (size_t)n >= sizeof(out->rule))
		return -EINVAL;
	out->dst_enable = "yes";
	return 0;
}

/* ---- language ---- */

/*
 * §3: Language_Selection and Locale, MPP only, as wazo v12_0_7/common.py maps its locales
 * (_LANGUAGE, _LOCALE). The neutral value is the code Grandstream's P1362 takes (SPEC §3's
 * example "en"), or the locale itself. fr-CA comes after fr-FR, so "fr" finds fr-FR.
 */
const struct cs_language cs_languages[] = {
	{ "de", "de-DE", "German" }, { "en", "en-US", "English" }, { "es", "es-ES", "Spanish" },
	{ "fr", "fr-FR", "French" }, { "fr", "fr-CA", "French" },
};
const size_t cs_nlanguages = sizeof(cs_languages) / sizeof(cs_languages[0]);

/* locale matches v with '-' written either '-' or '_' */
static bool locale_is(const char *locale, const char *v, size_t len)
{
	if (strlen(locale) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (v[i] != locale[i] && !(locale[i] == '-' && v[i] == '_'))
			return false;
	return true;
}

const struct cs_language *cs_language_find(const char *v, size_t len)
{
	for (size_t i = 0; i < cs_nlanguages; i++) {
		const struct cs_language *l = &cs_languages[i];

		if ((strlen(l->code) == len && memcmp(l->code, v, len) == 0) ||
		    locale_is(l->locale, v, len))
			return l;
	}
	return NULL;
}
