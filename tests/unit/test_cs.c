/*
 * test_cs.c - Cisco SPA/MPP knowledge and the <flat-profile> writer (formats/cisco.md):
 * the shared vector cisco/C1 reproduced byte for byte from its own parameters, the line table
 * in the vector's order, models and bootstrap names, per-device names, the POSIX TZ
 * conversion of §3, the neutral settings' values, values and names the writer accepts,
 * escaping, and the profile rules of §4.
 *
 * The vector is read by a small parser written here from the format description (§2.1), not
 * by the writer's code.
 */
#include "testutil.h"

#include "backend/cs_table.h"
#include "backend/cs_xml.h"

#define C1_VECTOR  "cisco/C1.000e08aabbcc.plain.xml"
#define C1_MAC     "000e08aabbcc"
#define C1_BASE    "http://prov.example.com/prov"
#define MAX_PARAMS 64

/* ---- a reader for the vector: one `<Name ua="na">value</Name>` a line ---- */

struct cs_kv {
	char name[CS_PARAM_MAX + 1];
	char value[256];
	size_t vlen;
};

/* Undoes the five entities of §2.1 in s[0..n) into out; fails on anything else after '&'. */
static size_t unescape(const char *s, size_t n, char *out, size_t cap)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' },
		     { "&lt;", '<' },
		     { "&gt;", '>' },
		     { "&apos;", '\'' },
		     { "&quot;", '"' } };
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		const char *ent = NULL;
		char c = 0;

		assert_true(o < cap);
		if (s[i] != '&') {
			out[o++] = s[i++];
			continue;
		}
		for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]) && ent == NULL; k++)
			if (n - i >= strlen(ents[k].ent) &&
			    memcmp(s + i, ents[k].ent, strlen(ents[k].ent)) == 0) {
				ent = ents[k].ent;
				c = ents[k].c;
			}
		if (ent == NULL)
			fail_msg("unknown entity at %.10s", s + i);
		out[o++] = c;
		i += ent != NULL ? strlen(ent) : 1;
	}
	return o;
}

/*
 * Reads the parameters of a flat profile, and writes the file without its comment lines into
 * *bare. Returns the parameter count.
 */
static size_t read_profile(const uint8_t *data, size_t len, struct cs_kv *kv, size_t max,
                           struct buf *bare)
{
	const char *p = (const char *)data, *end = p + len;
	size_t n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll;
		const char *sp, *gt, *close;

		assert_non_null(nl); /* every line ends with LF */
		ll = (size_t)(nl - p);
		if (ll >= 4 && memcmp(p, "<!--", 4) == 0) {
			p = nl + 1;
			continue;
		}
		buf_append(bare, p, ll + 1);
		if (memcmp(p, "<?xml", 5) == 0 || memcmp(p, "<flat-profile>", 14) == 0 ||
		    memcmp(p, "</flat-profile>", 15) == 0) {
			p = nl + 1;
			continue;
		}
		assert_true(n < max);
		assert_int_equal(p[0], '<');
		sp = memchr(p, ' ', ll);
		gt = memchr(p, '>', ll);
		assert_non_null(sp);
		assert_non_null(gt);
		assert_true((size_t)(sp - p - 1) <= CS_PARAM_MAX);
		memcpy(kv[n].name, p + 1, (size_t)(sp - p - 1));
		kv[n].name[sp - p - 1] = '\0';
		assert_memory_equal(sp, " ua=\"na\">", 9);
		assert_ptr_equal(sp + 8, gt);
		close = nl - strlen(kv[n].name) - 3;
		assert_true(close > gt);
		assert_memory_equal(close, "</", 2);
		assert_memory_equal(close + 2, kv[n].name, strlen(kv[n].name));
		kv[n].vlen = unescape(gt + 1, (size_t)(close - gt - 1), kv[n].value,
		                      sizeof(kv[n].value) - 1);
		kv[n].value[kv[n].vlen] = '\0';
		n++;
		p = nl + 1;
	}
	return n;
}

static struct cs_kv c1[MAX_PARAMS];
static size_t c1_n;

static int load_c1(void **state)
{
	size_t len;
	uint8_t *data = read_vector(C1_VECTOR, &len);
	struct buf bare;

	(void)state;
	buf_init(&bare);
	c1_n = read_profile(data, len, c1, MAX_PARAMS, &bare);
	buf_free(&bare);
	free(data);
	return 0;
}

static const struct cs_kv *c1_get(const char *name)
{
	size_t i = 0;

	while (i + 1 < c1_n && strcmp(c1[i].name, name) != 0)
		i++;
	if (strcmp(c1[i].name, name) != 0)
		fail_msg("%s is not in %s", name, C1_VECTOR);
	return &c1[i];
}

/* ---- the vector ---- */

static void test_cs_writer_reproduces_vector_c1(void **state)
{
	size_t len, n;
	uint8_t *want = read_vector(C1_VECTOR, &len);
	struct buf bare, out;
	struct cs_kv kv[MAX_PARAMS];

	(void)state;
	buf_init(&bare);
	buf_init(&out);
	n = read_profile(want, len, kv, MAX_PARAMS, &bare);
	assert_int_equal(n, 14);
	/* the vector less its one comment line (90 bytes with the LF) */
	assert_int_equal(bare.len, len - 90);
	assert_null(memmem(bare.data, bare.len, "<!--", 4));
	cs_begin(&out);
	for (size_t i = 0; i < n; i++) {
		assert_true(cs_param_ok(kv[i].name, strlen(kv[i].name)));
		assert_true(cs_value_ok(kv[i].value, kv[i].vlen));
		cs_param(&out, kv[i].name, kv[i].value, kv[i].vlen);
	}
	cs_end(&out);
	assert_int_equal(buf_status(&out), 0);
	assert_int_equal(out.len, bare.len);
	assert_memory_equal(out.data, bare.data, bare.len);
	/* the escape the vector carries, read back and written again */
	assert_string_equal(c1_get("Display_Name_1_")->value, "Alice & Bob");
	assert_non_null(memmem(out.data, out.len, ">Alice &amp; Bob<", 17));
	buf_free(&out);
	buf_free(&bare);
	free(want);
}

/* The line table, for line 1 after Line_Enable_1_, names the vector's parameters in order. */
static void test_cs_line_rows_follow_vector_order(void **state)
{
	static const struct {
		enum line_field f;
		const char *v;
	} line1[] = { { LF_SERVER, "sip.example.com:5060" },
		      { LF_DISPLAY_NAME, "Alice & Bob" },
		      { LF_USER, "1001" },
		      { LF_PASSWORD, "pw1001" },
		      { LF_AUTH_USER, "1001" } };
	char name[CS_NAME_MAX + 16];
	struct buf out, want;
	size_t first = 0;

	(void)state;
	buf_init(&out);
	buf_init(&want);
	while (first < c1_n && strcmp(c1[first].name, "Line_Enable_1_") != 0)
		first++;
	assert_true(first < c1_n);
	for (size_t i = first; i < c1_n; i++)
		cs_param(&want, c1[i].name, c1[i].value, c1[i].vlen);

	assert_int_equal(cs_line_param(CS_LINE_ENABLE_FMT, 1, name, sizeof(name)), 14);
	cs_param(&out, name, CS_YES, strlen(CS_YES));
	for (size_t r = 0; r < cs_line_nrows; r++) {
		const struct cs_line_row *row = &cs_line_rows[r];
		const char *v = NULL;

		for (size_t k = 0; k < sizeof(line1) / sizeof(line1[0]); k++)
			if (line1[k].f == row->field)
				v = line1[k].v;
		if (v == NULL)
			continue;
		if (row->companion_fmt != NULL) {
			assert_true(cs_line_param(row->companion_fmt, 1, name, sizeof(name)) > 0);
			cs_param(&out, name, row->companion_value, strlen(row->companion_value));
		}
		assert_true(cs_line_param(row->param_fmt, 1, name, sizeof(name)) > 0);
		assert_true(cs_param_ok(name, strlen(name)));
		cs_param(&out, name, v, strlen(v));
	}
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.data, want.data, want.len);
	buf_free(&out);
	buf_free(&want);
}

/* ---- tables ---- */

static void test_cs_line_rows(void **state)
{
	char name[CS_NAME_MAX];
	bool seen[LF__COUNT] = { false };

	(void)state;
	for (size_t r = 0; r < cs_line_nrows; r++) {
		const struct cs_line_row *row = &cs_line_rows[r];

		assert_false(seen[row->field]);
		seen[row->field] = true;
		assert_int_equal(row->secret, row->field == LF_PASSWORD);
		for (unsigned line = 1; line <= 12; line++) {
			assert_true(cs_line_param(row->param_fmt, line, name, sizeof(name)) > 0);
			assert_true(cs_param_ok(name, strlen(name)));
		}
	}
	for (int f = 0; f < LF__COUNT; f++)
		assert_true(seen[f]);
	assert_int_equal(cs_line_param("User_ID_%u_", 2, name, sizeof(name)), 10);
	assert_string_equal(name, "User_ID_2_");
	assert_int_equal(cs_line_param("Use_Auth_ID_%u_", 10, name, sizeof(name)), 15);
	assert_string_equal(name, "Use_Auth_ID_10_");
	assert_int_equal(cs_line_param("Voice_Mail_Number", 3, name, sizeof(name)), 17);
	assert_string_equal(name, "Voice_Mail_Number");
	assert_int_equal(cs_line_param(CS_OUTBOUND_PROXY_FMT, 1, name, sizeof(name)), 17);
	assert_string_equal(name, "Outbound_Proxy_1_");
	assert_int_equal(cs_line_param(CS_USE_OUTBOUND_PROXY_FMT, 1, name, sizeof(name)), 21);
	assert_string_equal(name, "Use_Outbound_Proxy_1_");
	assert_int_equal(cs_line_param("User_ID_%u_", 0, name, sizeof(name)), -EINVAL);
	assert_int_equal(cs_line_param("User_ID_%u_", 1, name, 10), -ENAMETOOLONG);
	assert_int_equal(cs_line_param("User_ID_%u_", 1, name, 11), 10);
}

static void test_cs_models_resolve(void **state)
{
	(void)state;
	assert_true(cs_nmodels >= 30);
	for (size_t i = 0; i < cs_nmodels; i++) {
		const struct cs_model *m = &cs_models[i];

		assert_ptr_equal(cs_model_find(m->name, strlen(m->name)), m);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(cs_models[j].name, m->name);
		if (m->family == CS_MPP) {
			char want[CS_NAME_MAX];

			snprintf(want, sizeof(want), "CP-%s-3PCC", m->psn);
			assert_string_equal(m->name, want);
		} else {
			assert_memory_equal(m->name, "SPA", 3);
			assert_string_equal(m->name + 3, m->psn);
		}
	}
	assert_int_equal(cs_model_find("SPA504G", 7)->max_lines, 4);
	assert_int_equal(cs_model_find("SPA112", 6)->max_lines, 2);
	assert_int_equal(cs_model_find("SPA303", 6)->max_lines, 0); /* FusionPBX's 12: no */
	assert_int_equal(cs_model_find("CP-8841-3PCC", 12)->family, CS_MPP);
	assert_int_equal(cs_model_find("SPA942", 6)->family, CS_SPA);
	/* the length bounds the name: no NUL needed, no prefix match */
	assert_non_null(cs_model_find("SPA504Gxyz", 7));
	assert_null(cs_model_find("SPA504G", 6));
	assert_null(cs_model_find("SPA504GX", 8));
	assert_null(cs_model_find("spa504g", 7));
	assert_null(cs_model_find("SPA504g", 7));
	assert_null(cs_model_find("cp-8841-3pcc", 12));
	assert_null(cs_model_find("8841", 4));
	assert_null(cs_model_find("GXP2170", 7));
	assert_null(cs_model_find("", 0));
}

static void expect_bootstrap(const char *model, int n, const char *a, const char *b, const char *c)
{
	const struct cs_model *m = cs_model_find(model, strlen(model));
	char names[CS_BOOTSTRAP_MAX][CS_NAME_MAX];
	const char *want[] = { a, b, c };

	assert_non_null(m);
	assert_int_equal(cs_bootstrap_names(m, names, CS_BOOTSTRAP_MAX), n);
	for (int i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
}

static void test_cs_bootstrap_names(void **state)
{
	char names[CS_BOOTSTRAP_MAX][CS_NAME_MAX];

	(void)state;
	expect_bootstrap("SPA504G", 1, "spa504G.cfg", NULL, NULL);
	expect_bootstrap("SPA525G2", 1, "spa525G2.cfg", NULL, NULL);
	expect_bootstrap("SPA112", 1, "spa112.cfg", NULL, NULL);
	expect_bootstrap("SPA942", 1, "spa942.cfg", NULL, NULL);
	expect_bootstrap("SPA8000", 1, "spa8000.cfg", NULL, NULL);
	expect_bootstrap("CP-8841-3PCC", 3, "8841-3PCC.xml", "8841.xml", "CP-8841-3PCC.xml");
	expect_bootstrap("CP-7811-3PCC", 3, "7811-3PCC.xml", "7811.xml", "CP-7811-3PCC.xml");
	assert_int_equal(cs_bootstrap_names(NULL, names, CS_BOOTSTRAP_MAX), -EINVAL);
	assert_int_equal(cs_bootstrap_names(cs_model_find("CP-8841-3PCC", 12), names, 2), -ENOSPC);
	for (size_t i = 0; i < cs_nmodels; i++) {
		int n = cs_bootstrap_names(&cs_models[i], names, CS_BOOTSTRAP_MAX);

		assert_true(n >= 1 && n <= CS_BOOTSTRAP_MAX);
		for (int k = 0; k < n; k++)
			assert_true(strlen(names[k]) < CS_NAME_MAX - 1);
	}
}

static void test_cs_device_names(void **state)
{
	char name[CS_NAME_MAX];
	uint64_t mac;
	bool enc;

	(void)state;
	cs_device_name(0x000e08aabbccULL, false, name);
	assert_string_equal(name, C1_MAC CS_DEVICE_PLAIN_TAIL);
	cs_device_name(0x000e08aabbccULL, true, name);
	assert_string_equal(name, "000e08aabbcc.cfg");
	assert_int_equal(cs_parse_device_name("000e08aabbcc.xml", 16, &mac, &enc), 0);
	assert_true(mac == 0x000e08aabbccULL && !enc);
	/* $MAU: the MAC part in upper case is the same device (§7.1) */
	assert_int_equal(cs_parse_device_name("000E08AABBCC.cfg", 16, &mac, &enc), 0);
	assert_true(mac == 0x000e08aabbccULL && enc);
	assert_int_equal(cs_parse_device_name("000e08aabbcc.XML", 16, &mac, &enc), -ENOENT);
	assert_int_equal(cs_parse_device_name("000e08aabbcc.txt", 16, &mac, &enc), -ENOENT);
	assert_int_equal(cs_parse_device_name("000e08aabbc.xml", 15, &mac, &enc), -ENOENT);
	assert_int_equal(cs_parse_device_name("000e08aabbcg.xml", 16, &mac, &enc), -ENOENT);
	assert_int_equal(cs_parse_device_name("000e08aabbcc.xml~", 17, &mac, &enc), -ENOENT);
	assert_int_equal(cs_parse_device_name("spa504G.cfg", 11, &mac, &enc), -ENOENT);
}

/* ---- time zone (§3) ---- */

static void expect_tz(const char *posix, const char *zone, const char *dst, const char *rule)
{
	struct cs_tz tz;

	assert_int_equal(cs_timezone(posix, strlen(posix), &tz), 0);
	assert_string_equal(tz.zone, zone);
	assert_string_equal(tz.dst_enable, dst);
	assert_string_equal(tz.rule, rule);
}

static void test_cs_timezone_converts_posix(void **state)
{
	(void)state;
	/* §3's own example: wazo's output for this string */
	expect_tz("CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00", "GMT+01:00", "yes",
	          "start=3/-1/7/2:0:0;end=10/-1/7/3:0:0;save=1:0:0");
	/*
	 * EST5EDT,M3.2.0,M11.1.0 by the §3 rule:
	 *   EST5: 5 hours west of UTC, so the UTC offset is -05:00 -> GMT-05:00;
	 *   EDT has no offset: one hour ahead of EST (POSIX), so save = 1:0:0;
	 *   M3.2.0: month 3, week 2 -> day (2-1)*7+1 = 8, Sunday (0) -> 7, no /time -> 2:0:0;
	 *   M11.1.0: month 11, week 1 -> day (1-1)*7+1 = 1, Sunday -> 7, 2:0:0.
	 */
	expect_tz("EST5EDT,M3.2.0,M11.1.0", "GMT-05:00", "yes",
	          "start=3/8/7/2:0:0;end=11/1/7/2:0:0;save=1:0:0");
	expect_tz("UTC0", "GMT+00:00", "no", "");
	expect_tz("<+0530>-5:30", "GMT+05:30", "no", "");
	expect_tz("<-0330>3:30", "GMT-03:30", "no", "");
	/* explicit sign, weekdays other than Sunday, weeks 3 and 4, a half-hour saving */
	expect_tz("AAA+3BBB+2:30,M4.3.6/1:15,M9.4.1/23:59:59", "GMT-03:00", "yes",
	          "start=4/15/6/1:15:0;end=9/22/1/23:59:59;save=0:30:0");
	/* southern hemisphere: start after end in the year, passed as given */
	expect_tz("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "GMT+10:30", "yes",
	          "start=10/1/7/2:0:0;end=4/1/7/2:0:0;save=0:30:0");
	expect_tz("NZST-12NZDT,M9.5.0,M4.1.0/3", "GMT+12:00", "yes",
	          "start=9/-1/7/2:0:0;end=4/1/7/3:0:0;save=1:0:0");
}

static void test_cs_timezone_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"CET",                         /* no offset */
		"CE-1",                        /* name under 3 letters */
		"CET-1CEST",                   /* DST without a rule */
		"CET-1CEST,J60,J300",          /* Jn: no Cisco form */
		"CET-1CEST,60,300",            /* n: no Cisco form */
		"CET-1CEST,M3.5.0",            /* one transition */
		"CET-1CEST,M3.5.0,M10.5.0,",   /* trailing comma */
		"CET-1CEST,M3.5.0,M10.5.0x",   /* trailing text */
		"CET-1CEST,M13.5.0,M10.5.0",   /* month 13 */
		"CET-1CEST,M0.5.0,M10.5.0",    /* month 0 */
		"CET-1CEST,M3.6.0,M10.5.0",    /* week 6 */
		"CET-1CEST,M3.0.0,M10.5.0",    /* week 0 */
		"CET-1CEST,M3.5.7,M10.5.0",    /* weekday 7 */
		"CET-1CEST,M3.5.0/25,M10.5.0", /* hour 25 */
		"CET-1CEST,M3.5.0/-1,M10.5.0", /* negative time (RFC 8536 only) */
		"CET-25",                      /* offset over 24 hours */
		"CET-1:00:30",                 /* seconds in the zone */
		"CET-1:60",                    /* minute 60 */
		"IST-1GMT0,M10.5.0,M3.5.0/1",  /* negative saving */
		"CET-1CEST-1,M3.5.0,M10.5.0",  /* zero saving */
		"<CET-1",                      /* unclosed <name> */
		"<C>-1",                       /* <name> under 3 characters */
		"CET-1 CEST,M3.5.0,M10.5.0",   /* space */
		"CET\xc3\xa9-1",               /* non-ASCII */
	};
	char longer[CS_TZ_MAX + 2];
	struct cs_tz tz;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cs_timezone(bad[i], strlen(bad[i]), &tz) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	/* overlong: past CS_TZ_MAX, refused before it is read */
	memset(longer, 'A', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(cs_timezone(longer, CS_TZ_MAX + 1, &tz), -EINVAL);
	memcpy(longer, "UTC0", 4);
	assert_int_equal(cs_timezone(longer, CS_TZ_MAX + 1, &tz), -EINVAL);
	assert_int_equal(cs_timezone(longer, 4, &tz), 0);
	/* the length bounds the string: a NUL inside ends nothing, bytes after len are unread */
	assert_int_equal(cs_timezone("UTC0\0", 5, &tz), -EINVAL);
	assert_int_equal(cs_timezone("UTC0junk", 4, &tz), 0);
	assert_string_equal(tz.zone, "GMT+00:00");
}

/* ---- neutral settings (§3) ---- */

static const struct cs_setting_row *row_of(const char *param)
{
	for (size_t i = 0; i < cs_setting_nrows; i++)
		if (cs_setting_rows[i].param != NULL &&
		    strcmp(cs_setting_rows[i].param, param) == 0)
			return &cs_setting_rows[i];
	fail_msg("no row for %s", param);
	return NULL;
}

static void expect_setting(const char *param, const char *v, const char *want)
{
	char out[CS_TZ_RULE_MAX];

	assert_int_equal(cs_setting_value(row_of(param), v, strlen(v), out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_cs_settings(void **state)
{
	static const char cet[] = "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00";
	char out[CS_TZ_RULE_MAX];
	bool admin = false;

	(void)state;
	/* vector C1 was written from admin_password 4dm1n, ntp pool.ntp.org, 1440 minutes */
	for (size_t i = 0; i < cs_setting_nrows; i++) {
		const struct cs_setting_row *row = &cs_setting_rows[i];

		assert_int_equal(row->secret, row->setting == SET_ADMIN_PASSWORD);
		assert_true(row->setting != SET_SIP_SERVER && row->setting != SET_SIP_PORT &&
		            row->setting != SET_OUTBOUND_PROXY);
		assert_true(row->families != 0 && (row->families & ~CS_FAM_ALL) == 0);
		if (row->setting == SET_LANGUAGE)
			assert_int_equal(row->families, CS_FAM_MPP);
		if (row->param == NULL) {
			admin = true;
			assert_int_equal(row->setting, SET_ADMIN_PASSWORD);
			assert_string_equal(cs_setting_param(row, CS_SPA),
			                    c1_get("Admin_Passwd")->name);
			assert_string_equal(cs_setting_param(row, CS_MPP), "Admin_Password");
			assert_int_equal(cs_setting_value(row, "4dm1n", 5, out, sizeof(out)), 0);
			assert_string_equal(out, c1_get("Admin_Passwd")->value);
		} else {
			assert_true(cs_param_ok(row->param, strlen(row->param)));
		}
	}
	assert_true(admin);
	assert_string_equal(cs_admin_param(CS_SPA), "Admin_Passwd");
	assert_string_equal(cs_admin_param(CS_MPP), "Admin_Password");
	expect_setting("Primary_NTP_Server", "pool.ntp.org", c1_get("Primary_NTP_Server")->value);
	expect_setting(CS_RESYNC_PERIODIC, "1440", c1_get(CS_RESYNC_PERIODIC)->value);
	expect_setting(CS_RESYNC_ON_RESET, "1440", c1_get(CS_RESYNC_ON_RESET)->value);
	expect_setting(CS_RESYNC_PERIODIC, "0", "0");
	expect_setting(CS_RESYNC_PERIODIC, "35791394", "2147483640");
	assert_int_equal(cs_setting_value(row_of(CS_RESYNC_PERIODIC), "35791395", 8, out, 32),
	                 -EINVAL);
	assert_int_equal(cs_setting_value(row_of(CS_RESYNC_PERIODIC), "-5", 2, out, 32), -EINVAL);
	assert_int_equal(cs_setting_value(row_of(CS_RESYNC_PERIODIC), "060", 3, out, 32), -EINVAL);
	assert_int_equal(cs_setting_value(row_of(CS_RESYNC_PERIODIC), "", 0, out, 32), -EINVAL);
	assert_int_equal(cs_setting_value(row_of(CS_RESYNC_PERIODIC), "1440", 4, out, 5),
	                 -ENAMETOOLONG);
	expect_setting("Time_Zone", cet, c1_get("Time_Zone")->value);
	expect_setting("Daylight_Saving_Time_Enable", cet, "yes");
	expect_setting("Daylight_Saving_Time_Rule", cet,
	               "start=3/-1/7/2:0:0;end=10/-1/7/3:0:0;save=1:0:0");
	expect_setting("Daylight_Saving_Time_Enable", "UTC0", "no");
	assert_int_equal(
	    cs_setting_value(row_of("Daylight_Saving_Time_Rule"), "UTC0", 4, out, sizeof(out)),
	    -ENODATA);
	assert_int_equal(
	    cs_setting_value(row_of("Time_Zone"), "Europe/Paris", 12, out, sizeof(out)), -EINVAL);
	/* language: the code, the locale with - or _ */
	expect_setting("Language_Selection", "de", "German");
	expect_setting("Locale", "de", "de-DE");
	expect_setting("Language_Selection", "en", "English");
	expect_setting("Locale", "en_US", "en-US");
	expect_setting("Language_Selection", "es-ES", "Spanish");
	expect_setting("Locale", "fr", "fr-FR");
	expect_setting("Locale", "fr_CA", "fr-CA");
	expect_setting("Language_Selection", "fr-CA", "French");
	assert_int_equal(cs_setting_value(row_of("Locale"), "it", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(cs_setting_value(row_of("Locale"), "DE", 2, out, sizeof(out)), -EINVAL);
	assert_null(cs_language_find("d", 1));
	assert_null(cs_language_find("de-", 3));
}

/* ---- values, names, escaping (§2.1, §7.2) ---- */

/* One case: a checker, a string literal (its length without the NUL), the answer. */
#define CASE(fn, lit, ok)                                                                          \
	{                                                                                          \
		fn, lit, sizeof(lit) - 1, ok                                                       \
	}

static void test_cs_value_and_param_ok(void **state)
{
	static const struct {
		bool (*check)(const char *, size_t);
		const char *s;
		size_t len;
		bool ok;
	} cases[] = {
		CASE(cs_value_ok, "", true), /* clears the parameter */
		CASE(cs_value_ok, "Alice & Bob", true),
		CASE(cs_value_ok, "(S0 <:18005551212>)", true),
		CASE(cs_value_ok, "!~", true),
		CASE(cs_value_ok, "M\xc3\xbcller", false), /* ASCII only */
		CASE(cs_value_ok, "\xc3\xa9", false),
		CASE(cs_value_ok, "a\x7f", false),
		CASE(cs_value_ok, "a\rb", false),
		CASE(cs_value_ok, "a\nb", false), /* would become a space */
		CASE(cs_value_ok, "a\tb", false),
		CASE(cs_value_ok, "a\0b", false),
		CASE(cs_value_ok, " a", false), /* stripped by the phone */
		CASE(cs_value_ok, "a ", false),
		CASE(cs_value_ok, " ", false),
		CASE(cs_param_ok, "Resync_At__HHmm_", true),
		CASE(cs_param_ok, "Dial_Plan_1_", true),
		CASE(cs_param_ok, "X", true),
		CASE(cs_param_ok, "", false),
		CASE(cs_param_ok, "1_Line", false),
		CASE(cs_param_ok, "_Line", false),
		CASE(cs_param_ok, "Line-1", false),
		CASE(cs_param_ok, "Line 1", false),
		CASE(cs_param_ok, "Line.1", false),
		CASE(cs_param_ok, "Line\0", false),
	};
	char big[CS_VALUE_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cases[i].check(cases[i].s, cases[i].len) != cases[i].ok)
			fail_msg("case %zu (\"%s\") is not %s", i, cases[i].s,
			         cases[i].ok ? "accepted" : "refused");
	memset(big, 'A', sizeof(big));
	assert_true(cs_value_ok(big, CS_VALUE_MAX));
	assert_false(cs_value_ok(big, CS_VALUE_MAX + 1));
	assert_true(cs_param_ok(big, CS_PARAM_MAX));
	assert_false(cs_param_ok(big, CS_PARAM_MAX + 1));
}

static void test_cs_param_escapes_and_empty(void **state)
{
	static const char v[] = "a&b<c>d'e\"f&amp;";
	struct buf out;

	(void)state;
	buf_init(&out);
	cs_param(&out, "GPP_A", v, strlen(v));
	cs_param(&out, "GPP_B", "", 0);
	cs_param(&out, "GPP_C", "&<>'\"", 5);
	cs_param(&out, "GPP_D", "xyz", 2); /* vlen bounds the value */
	buf_append(&out, "", 1);
	assert_string_equal((char *)out.data,
	                    "<GPP_A ua=\"na\">a&amp;b&lt;c&gt;d&apos;e&quot;f&amp;amp;</GPP_A>\n"
	                    "<GPP_B ua=\"na\"></GPP_B>\n"
	                    "<GPP_C ua=\"na\">&amp;&lt;&gt;&apos;&quot;</GPP_C>\n"
	                    "<GPP_D ua=\"na\">xy</GPP_D>\n");
	assert_null(strstr((char *)out.data, "/>"));
	buf_reset(&out);
	cs_begin(&out);
	cs_end(&out);
	buf_append(&out, "", 1);
	assert_string_equal((char *)out.data,
	                    "<?xml version=\"1.0\" standalone=\"yes\"?>\n<flat-profile>\n"
	                    "</flat-profile>\n");
	buf_free(&out);
}

/* ---- profile rules (§4) ---- */

static void test_cs_rules(void **state)
{
	char out[256];
	const char *want;

	(void)state;
	/* the vector's own Profile_Rule, with the $MA macro */
	want = c1_get(CS_PROFILE_RULE)->value;
	assert_int_equal(cs_key_rule(out, sizeof(out), C1_BASE, NULL), (int)strlen(want));
	assert_string_equal(out, want);
	assert_int_equal(cs_key_rule(out, sizeof(out), C1_BASE "/", C1_MAC), 56);
	assert_string_equal(out, "[--key $SA]http://prov.example.com/prov/000e08aabbcc.cfg");
	assert_int_equal(cs_plain_rule(out, sizeof(out), C1_BASE), 36);
	assert_string_equal(out, "http://prov.example.com/prov/$MA.xml");
	/* a '$' of the URL is doubled, or the phone would expand it */
	assert_int_equal(cs_plain_rule(out, sizeof(out), "https://h/a$b"), 22);
	assert_string_equal(out, "https://h/a$$b/$MA.xml");
	/* exact fit, one short */
	assert_int_equal(cs_plain_rule(out, 37, C1_BASE), 36);
	assert_int_equal(cs_plain_rule(out, 36, C1_BASE), -ENAMETOOLONG);
	assert_int_equal(cs_key_rule(out, 56, C1_BASE, C1_MAC), -ENAMETOOLONG);
	assert_int_equal(cs_key_rule(out, 0, C1_BASE, C1_MAC), -ENAMETOOLONG);
	/* bad MAC, bad URL */
	assert_int_equal(cs_key_rule(out, sizeof(out), C1_BASE, "000E08AABBCC"), -EINVAL);
	assert_int_equal(cs_key_rule(out, sizeof(out), C1_BASE, "000e08aabbc"), -EINVAL);
	assert_int_equal(cs_key_rule(out, sizeof(out), C1_BASE, "000e08aabbccd"), -EINVAL);
	assert_int_equal(cs_plain_rule(out, sizeof(out), ""), -EINVAL);
	assert_int_equal(cs_plain_rule(out, sizeof(out), "/"), -EINVAL);
	assert_int_equal(cs_plain_rule(out, sizeof(out), "http://h/a b"), -EINVAL);
	assert_int_equal(cs_plain_rule(out, sizeof(out), "http://h/\xc3\xa9"), -EINVAL);
	assert_int_equal(cs_plain_rule(out, sizeof(out), "http://h/\n"), -EINVAL);
	/* what the rules write can be written as a value */
	assert_int_equal(cs_key_rule(out, sizeof(out), C1_BASE, C1_MAC), 56);
	assert_true(cs_value_ok(out, strlen(out)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cs_writer_reproduces_vector_c1),
		cmocka_unit_test(test_cs_line_rows_follow_vector_order),
		cmocka_unit_test(test_cs_line_rows),
		cmocka_unit_test(test_cs_models_resolve),
		cmocka_unit_test(test_cs_bootstrap_names),
		cmocka_unit_test(test_cs_device_names),
		cmocka_unit_test(test_cs_timezone_converts_posix),
		cmocka_unit_test(test_cs_timezone_rejects),
		cmocka_unit_test(test_cs_settings),
		cmocka_unit_test(test_cs_value_and_param_ok),
		cmocka_unit_test(test_cs_param_escapes_and_empty),
		cmocka_unit_test(test_cs_rules),
	};

	return cmocka_run_group_tests(tests, load_c1, NULL);
}
