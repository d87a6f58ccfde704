/*
 * test_yl.c - Yealink knowledge and bytes (backend/yl_table, backend/yl_text), checked
 * against formats/yealink.md and the shared vectors yealink/Y1.001565a1b2c3.plain.cfg and
 * yealink/Y2.001565a1b2c3.boot: the model table and common-file names (§1.3, with its manual
 * cross-checks), the POSIX TZ conversion (§3), the neutral-setting tables against Y1's keys
 * and values, the writer against Y1 and Y2 byte for byte, and the value and key checks (§2.1).
 *
 * The vectors are read by a small reader written here from the format description (split at
 * the first " = "), not by the writer's code.
 */
#include "testutil.h"

#include "backend/yl_table.h"
#include "backend/yl_text.h"

#define Y1 "yealink/Y1.001565a1b2c3.plain.cfg"
#define Y2 "yealink/Y2.001565a1b2c3.boot"

/* ---- models and common-file names (formats/yealink.md §1.3) ---- */

static void assert_common_name(const struct yl_model *m, const char *want)
{
	char name[18];

	assert_int_equal(yl_common_name(m, name), 0);
	assert_string_equal(name, want);
}

static void test_yl_every_model_resolves_to_a_common_name(void **state)
{
	(void)state;
	for (size_t i = 0; i < yl_nmodels; i++) {
		const struct yl_model *m = &yl_models[i];
		char name[18];

		assert_ptr_equal(yl_model_find(m->name, strlen(m->name)), m);
		assert_int_equal(yl_common_name(m, name), 0);
		/* y + 12 digits + .cfg, the last three digits being the code */
		assert_int_equal(strlen(name), 17);
		assert_int_equal(name[0], 'y');
		assert_int_equal(strspn(name + 1, "0123456789"), 12);
		assert_string_equal(name + 13, ".cfg");
		assert_memory_equal(name + 1, "000000000", 9);
		assert_memory_equal(name + 10, m->code, 3);
		/* names are unique */
		for (size_t j = i + 1; j < yl_nmodels; j++)
			assert_string_not_equal(m->name, yl_models[j].name);
	}
}

static void test_yl_model_codes_match_the_manual_cross_checks(void **state)
{
	(void)state;
	/* §1.3 "Doc cross-checks": T23G = 044 (T2 user guide), W52P = 025 (W52P guide), T58 =
	 * 058 (Teams-series guide); T54W = 096 and T46S = 066 are the rows of the table itself
	 * (T54W is also the Y2 vector's model, T46S/066 the §2.3 boot example). */
	assert_common_name(yl_model_find("T54W", 4), "y000000000096.cfg");
	assert_common_name(yl_model_find("T46S", 4), "y000000000066.cfg");
	assert_common_name(yl_model_find("T23G", 4), "y000000000044.cfg");
	assert_common_name(yl_model_find("W52P", 4), "y000000000025.cfg");
	assert_common_name(yl_model_find("T58A", 4), "y000000000058.cfg");
	assert_common_name(yl_model_find("T58V", 4), "y000000000058.cfg");
	/* the T4xS family shares one firmware but not one code (§1.3) */
	assert_string_equal(yl_model_find("T41S", 4)->code, "068");
	assert_string_equal(yl_model_find("T42S", 4)->code, "067");
	assert_string_equal(yl_model_find("T48S", 4)->code, "065");
	/* the boot file's spelling of the E2 models */
	assert_string_equal(yl_model_find("T19P_E2", 7)->code, "053");
	assert_string_equal(yl_model_find("T21P_E2", 7)->code, "052");
	assert_int_equal(yl_model_find("T21P_E2", 7)->max_lines, 2);
	/* rows that named two models are one row each */
	assert_string_equal(yl_model_find("T23P", 4)->code, "044");
	assert_string_equal(yl_model_find("T53", 3)->code, "095");
	assert_string_equal(yl_model_find("T53W", 4)->code, "095");
	assert_string_equal(yl_model_find("T88V", 4)->code, "192");
	assert_string_equal(yl_model_find("T88W", 4)->code, "192");
	assert_string_equal(yl_model_find("W56P", 4)->code, "025");
	assert_string_equal(yl_model_find("W70B", 4)->code, "146");
	/* the conflict rows take the file's code and say so */
	assert_string_equal(yl_model_find("T31W", 4)->code, "172");
	assert_true(yl_model_find("T31W", 4)->code_unverified);
	assert_string_equal(yl_model_find("AX86R", 5)->code, "182");
	assert_true(yl_model_find("AX86R", 5)->code_unverified);
	assert_false(yl_model_find("T54W", 4)->code_unverified);
	/* lines per model (§3) */
	assert_int_equal(yl_model_find("T54W", 4)->max_lines, 16);
	assert_int_equal(yl_model_find("CP920", 5)->max_lines, 1);
	assert_int_equal(yl_model_find("T19P_E2", 7)->max_lines, 0);
}

static void test_yl_model_find_is_exact(void **state)
{
	(void)state;
	assert_null(yl_model_find("T99", 3));
	assert_null(yl_model_find("t54w", 4));
	assert_null(yl_model_find("T54", 3));
	assert_null(yl_model_find("T54WX", 5));
	assert_null(yl_model_find("T19P E2", 7));
	assert_null(yl_model_find("", 0));
	assert_null(yl_model_find("w7xp", 4));
	/* only len bytes count */
	assert_ptr_equal(yl_model_find("T54WX", 4), yl_model_find("T54W", 4));
}

/* ---- time zone (formats/yealink.md §3 "Time zone") ---- */

static void assert_tz(const char *posix, const char *want, bool want_dst)
{
	char out[8];
	bool dst = !want_dst;

	if (yl_timezone(posix, strlen(posix), out, sizeof(out), &dst) != 0)
		fail_msg("yl_timezone(\"%s\") failed", posix);
	assert_string_equal(out, want);
	assert_int_equal(dst, want_dst);
}

static void assert_tz_invalid(const char *posix)
{
	char out[8] = "unset";
	bool dst = false;

	if (yl_timezone(posix, strlen(posix), out, sizeof(out), &dst) != -EINVAL)
		fail_msg("yl_timezone(\"%s\") accepted", posix);
	assert_string_equal(out, "unset");
}

static void test_yl_timezone_whole_hours(void **state)
{
	(void)state;
	assert_tz("CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00", "+1", true);
	assert_tz("EST5EDT,M3.2.0,M11.1.0", "-5", true);
	assert_tz("UTC0", "+0", false);
	assert_tz("GMT0BST,M3.5.0/1,M10.5.0", "+0", true);
	assert_tz("EST5EDT", "-5", true);
	assert_tz("HST10", "-10", false);
	assert_tz("<-03>3", "-3", false);
	assert_tz("<+03>-3", "+3", false);
	assert_tz("NZST-12NZDT,M9.5.0,M4.1.0/3", "+12", true);
	assert_tz("<-02>+2<-01>,M3.5.0/-1,M10.5.0/0", "-2", true); /* negative rule time */
	assert_tz("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", "-3", true);
	assert_tz("AAA-1BBB-2,J60/2,300/167", "+1", true);
	assert_tz("CET-01:00:00", "+1", false);
	/* clamped to -11..+12 as wazo does */
	assert_tz("<+14>-14", "+12", false);
	assert_tz("<+13>-13<+14>,M9.5.0/3,M4.1.0/4", "+12", true);
	assert_tz("<-12>12", "-11", false);
	assert_tz("XXX24", "-11", false);
	/* a DST name with its own offset */
	assert_tz("AAA3BBB2,M3.2.0,M11.1.0", "-3", true);
	/* has_dst may be NULL; 4 bytes of output suffice */
	{
		char out[4];

		assert_int_equal(yl_timezone("<-10>10", 7, out, sizeof(out), NULL), 0);
		assert_string_equal(out, "-10");
		assert_int_equal(yl_timezone("UTC0", 4, out, 2, NULL), -ERANGE);
		assert_int_equal(yl_timezone("UTC0", 4, out, 0, NULL), -ERANGE);
	}
}

static void test_yl_timezone_rejects_minutes_and_garbage(void **state)
{
	(void)state;
	/* minutes: not a whole hour (the glue tells the admin to set local_time.time_zone) */
	assert_tz_invalid("<+0530>-5:30");
	assert_tz_invalid("IST-5:30");
	assert_tz_invalid("NST3:30NDT,M3.2.0,M11.1.0");
	assert_tz_invalid("AAA-1:00:01");
	/* not POSIX TZ strings */
	const char *const bad[] = {
		"",
		"5",
		"CET",
		"CE-1",
		"<CE>-1",
		"<+03-3",
		"CET-",
		"CET+",
		"CET-25",
		"CET-123",
		"CET-1:60",
		"CET-1:",
		"CET-1::",
		"CET-1 ",
		" CET-1",
		"CET-1CE",
		"CET-1CEST-2,",
		"CET-1CEST-2,M3.5.0",
		"CET-1CEST-2,M3.5.0,",
		"CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00,",
		"CET-1CEST-2,M13.5.0,M10.5.0",
		"CET-1CEST-2,M3.6.0,M10.5.0",
		"CET-1CEST-2,M3.5.7,M10.5.0",
		"CET-1CEST-2,M3.0.0,M10.5.0",
		"CET-1CEST-2,J0,J365",
		"CET-1CEST-2,366,0",
		"CET-1CEST-2,M3.5.0/168,M10.5.0",
		"CET-1CEST-2,M3.5.0/,M10.5.0",
		"CET-1CEST-2;M3.5.0,M10.5.0",
		"Europe/Berlin",
		"CET-1CEST-99999999999999999999",
		"CET-99999999999999999999",
		"CET-1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_tz_invalid(bad[i]);
}

/*
 * The prefixes of the zone below that are POSIX TZ strings themselves: CET-1, CET-1CES,
 * CET-1CEST, CET-1CEST-2, then the second rule complete (M10.5.0) with its time's hours,
 * minutes and seconds in one or two digits.
 */
static bool tz_prefix_parses(size_t len)
{
	static const size_t ok[] = { 5, 8, 9, 11, 35, 37, 38, 40, 41, 43, 44 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == len)
			return true;
	return false;
}

static void test_yl_timezone_reads_only_len_bytes(void **state)
{
	static const char tz[] = "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00";
	char out[8];
	bool dst = true;
	char *exact, *huge;

	(void)state;
	/* a NUL inside len is an error, not the end */
	assert_int_equal(yl_timezone("UTC0\0", 5, out, sizeof(out), &dst), -EINVAL);
	/* len, not the NUL, ends the string */
	assert_int_equal(yl_timezone("CET-1CEST", 5, out, sizeof(out), &dst), 0);
	assert_string_equal(out, "+1");
	assert_false(dst);
	/* unterminated: a heap copy of exactly len bytes of every prefix (ASan builds see any
	 * read past it); a prefix parses ("CET-1", "CET-1CES", ...) or is -EINVAL */
	for (size_t len = 0; len <= sizeof(tz) - 1; len++) {
		int rc;

		exact = malloc(len > 0 ? len : 1);
		assert_non_null(exact);
		memcpy(exact, tz, len);
		rc = yl_timezone(exact, len, out, sizeof(out), &dst);
		if (rc == 0)
			assert_string_equal(out, "+1");
		else
			assert_int_equal(rc, -EINVAL);
		assert_int_equal(rc == 0, tz_prefix_parses(len));
		free(exact);
	}
	/* the whole string, unterminated */
	exact = malloc(sizeof(tz) - 1);
	assert_non_null(exact);
	memcpy(exact, tz, sizeof(tz) - 1);
	assert_int_equal(yl_timezone(exact, sizeof(tz) - 1, out, sizeof(out), &dst), 0);
	assert_string_equal(out, "+1");
	assert_true(dst);
	free(exact);
	/* huge: over YL_TZ_MAX, and within it made of one long name or long digits */
	huge = malloc(100000);
	assert_non_null(huge);
	memset(huge, 'A', 100000);
	assert_int_equal(yl_timezone(huge, 100000, out, sizeof(out), &dst), -EINVAL);
	assert_int_equal(yl_timezone(huge, YL_TZ_MAX, out, sizeof(out), &dst), -EINVAL);
	huge[YL_TZ_MAX - 1] = '5';
	assert_int_equal(yl_timezone(huge, YL_TZ_MAX, out, sizeof(out), &dst), 0);
	assert_string_equal(out, "-5");
	assert_int_equal(yl_timezone(huge, YL_TZ_MAX + 1, out, sizeof(out), &dst), -EINVAL);
	memset(huge, '9', 100000);
	memcpy(huge, "CET-", 4);
	assert_int_equal(yl_timezone(huge, YL_TZ_MAX, out, sizeof(out), &dst), -EINVAL);
	free(huge);
}

/* ---- languages ---- */

static void test_yl_language(void **state)
{
	(void)state;
	assert_string_equal(yl_language("en", 2), "English");
	assert_string_equal(yl_language("fr", 2), "French");
	assert_string_equal(yl_language("de", 2), "German");
	assert_string_equal(yl_language("es", 2), "Spanish");
	assert_string_equal(yl_language("it", 2), "Italian");
	assert_string_equal(yl_language("de_DE", 5), "German");
	assert_string_equal(yl_language("fr-CA", 5), "French");
	assert_null(yl_language("xx", 2));
	assert_null(yl_language("EN", 2));
	assert_null(yl_language("e", 1));
	assert_null(yl_language("", 0));
	assert_null(yl_language("eng", 3));
	assert_null(yl_language("en_", 3));
	assert_null(yl_language("en_U1", 5));
	assert_null(yl_language("English", 7));
	assert_string_equal(yl_language("dex", 2), "German"); /* only len bytes */
}

/* ---- the vectors ---- */

struct kv {
	char key[YL_KEY_MAX + 1];
	char value[YL_VALUE_MAX + 1];
};

/*
 * The "key = value" lines of a CFG vector, its '#' lines skipped; *expected gets the file
 * without its "##" comment lines (what provfs writes: no comments).
 */
static size_t read_cfg_vector(const char *rel, struct kv *kv, size_t cap, struct buf *expected)
{
	size_t len, n = 0;
	char *text = (char *)read_vector(rel, &len);
	char *line = text;

	buf_init(expected);
	while (line < text + len) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));

		assert_non_null(nl); /* every line ends in LF */
		if (strncmp(line, "##", 2) != 0)
			buf_append(expected, line, (size_t)(nl - line + 1));
		if (line[0] != '#') {
			const char *sep;

			*nl = '\0';
			sep = strstr(line, " = ");
			assert_non_null(sep);
			assert_true(n < cap);
			assert_true((size_t)(sep - line) <= YL_KEY_MAX);
			memcpy(kv[n].key, line, (size_t)(sep - line));
			kv[n].key[sep - line] = '\0';
			assert_true(strlen(sep + 3) <= YL_VALUE_MAX);
			strcpy(kv[n].value, sep + 3);
			n++;
		}
		line = nl + 1;
	}
	free(text);
	return n;
}

static void test_yl_writer_reproduces_vector_y1(void **state)
{
	struct kv kv[32];
	struct buf expected, out;
	size_t n;

	(void)state;
	n = read_cfg_vector(Y1, kv, 32, &expected);
	assert_int_equal(n, 15);
	buf_init(&out);
	yl_begin(&out);
	for (size_t i = 0; i < n; i++) {
		assert_true(yl_key_ok(kv[i].key, strlen(kv[i].key)));
		assert_true(yl_value_ok(kv[i].value, strlen(kv[i].value)));
		yl_line(&out, kv[i].key, kv[i].value, strlen(kv[i].value));
	}
	assert_int_equal(buf_status(&out), 0);
	assert_int_equal(out.len, expected.len);
	assert_memory_equal(out.data, expected.data, expected.len);
	/* the vector's first line is the version line at byte 0 */
	assert_memory_equal(out.data, YL_VERSION_LINE "\n", strlen(YL_VERSION_LINE) + 1);
	buf_free(&out);
	buf_free(&expected);
}

/* The key's value as the tables make it from the neutral inventory Y1 was written for. */
static const char *const y1_settings[SET__COUNT] = {
	[SET_ADMIN_PASSWORD] = "4dm1n",
	[SET_NTP_SERVER] = "pool.ntp.org",
	[SET_TIMEZONE] = "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00",
	[SET_LANGUAGE] = "en",
	[SET_SIP_PORT] = "5060",
	[SET_RESYNC_MINUTES] = "1440",
};

static const char *const y1_line[LF__COUNT] = {
	[LF_USER] = "1001",          [LF_AUTH_USER] = "1001",         [LF_PASSWORD] = "pw1001",
	[LF_DISPLAY_NAME] = "Alice", [LF_SERVER] = "sip.example.com", [LF_VOICEMAIL] = "*97",
};

static bool table_value(const char *key, char *out, size_t len)
{
	char k[YL_KEY_MAX + 1];

	snprintf(k, sizeof(k), YL_LINE_ENABLE_FMT, 1u);
	if (strcmp(key, k) == 0)
		return snprintf(out, len, "1") > 0;
	for (size_t i = 0; i < yl_line_nrows; i++) {
		snprintf(k, sizeof(k), yl_line_rows[i].key_fmt, 1u);
		if (strcmp(key, k) == 0)
			return snprintf(out, len, "%s", y1_line[yl_line_rows[i].field]) > 0;
	}
	for (size_t i = 0; i < yl_line_setting_nrows; i++) {
		const struct yl_line_setting_row *r = &yl_line_setting_rows[i];

		snprintf(k, sizeof(k), r->key_fmt, 1u);
		if (strcmp(key, k) == 0 && y1_settings[r->setting] != NULL)
			return snprintf(out, len, "%s",
			                r->fixed != NULL ? r->fixed : y1_settings[r->setting]) > 0;
	}
	for (size_t i = 0; i < yl_setting_nrows; i++) {
		const struct yl_setting_row *r = &yl_setting_rows[i];
		const char *v = y1_settings[r->setting];
		char conv[16];

		if (strcmp(key, r->key) != 0)
			continue;
		if (r->fixed != NULL)
			v = r->fixed;
		else if (r->conv == YL_CONV_TIMEZONE &&
		         yl_timezone(v, strlen(v), conv, sizeof(conv), NULL) == 0)
			v = conv;
		else if (r->conv == YL_CONV_LANGUAGE)
			v = yl_language(v, strlen(v));
		assert_non_null(v);
		return snprintf(out, len, r->value_fmt != NULL ? r->value_fmt : "%s", v) > 0;
	}
	return false;
}

static void test_yl_tables_give_vector_y1_keys_and_values(void **state)
{
	struct kv kv[32];
	struct buf expected;
	size_t n;

	(void)state;
	n = read_cfg_vector(Y1, kv, 32, &expected);
	for (size_t i = 0; i < n; i++) {
		char v[YL_VALUE_MAX + 1];

		if (!table_value(kv[i].key, v, sizeof(v)))
			fail_msg("no table row writes %s", kv[i].key);
		assert_string_equal(v, kv[i].value);
	}
	buf_free(&expected);
}

static void test_yl_tables_are_well_formed(void **state)
{
	bool field_seen[LF__COUNT] = { false };
	int lang = 0, admin = 0;

	(void)state;
	for (unsigned line = 1; line <= 16; line++) {
		char k[YL_KEY_MAX + 1];

		for (size_t i = 0; i < yl_line_nrows; i++) {
			snprintf(k, sizeof(k), yl_line_rows[i].key_fmt, line);
			assert_true(yl_key_ok(k, strlen(k)));
			field_seen[yl_line_rows[i].field] = true;
			assert_int_equal(yl_line_rows[i].secret,
			                 yl_line_rows[i].field == LF_PASSWORD);
		}
		for (size_t i = 0; i < yl_line_setting_nrows; i++) {
			snprintf(k, sizeof(k), yl_line_setting_rows[i].key_fmt, line);
			assert_true(yl_key_ok(k, strlen(k)));
		}
	}
	for (int f = 0; f < LF__COUNT; f++)
		assert_true(field_seen[f]);
	for (size_t i = 0; i < yl_setting_nrows; i++) {
		const struct yl_setting_row *r = &yl_setting_rows[i];

		assert_true(yl_key_ok(r->key, strlen(r->key)));
		if (r->setting == SET_LANGUAGE) {
			lang++;
			assert_int_equal(r->conv, YL_CONV_LANGUAGE);
		}
		if (r->setting == SET_ADMIN_PASSWORD) {
			admin++;
			assert_true(r->secret);
			assert_string_equal(r->key, "static.security.user_password");
			assert_string_equal(r->value_fmt, "admin:%s");
		} else {
			assert_false(r->secret);
		}
		if (r->setting == SET_TIMEZONE)
			assert_int_equal(r->conv, YL_CONV_TIMEZONE);
	}
	assert_int_equal(lang, 2);
	assert_int_equal(admin, 1);
	assert_string_equal(YL_BUILTIN_KEY, "EKs35XacP6eybA25");
	assert_int_equal(strlen(YL_BUILTIN_KEY), YL_KEY_LEN);
}

static void test_yl_boot_reproduces_vector_y2(void **state)
{
	static const char *const includes[] = { "y000000000096.cfg", "001565a1b2c3.cfg" };
	size_t len;
	uint8_t *v = read_vector(Y2, &len);
	struct buf expected, out;
	size_t at = 0;

	(void)state;
	/* the vector minus its "##" comment line */
	buf_init(&expected);
	while (at < len) {
		const uint8_t *nl = memchr(v + at, '\n', len - at);
		size_t n = (size_t)(nl - (v + at)) + 1;

		assert_non_null(nl);
		if (!(n >= 2 && v[at] == '#' && v[at + 1] == '#'))
			buf_append(&expected, v + at, n);
		at += n;
	}
	buf_init(&out);
	assert_int_equal(yl_boot(&out, includes, 2, true), 0);
	assert_int_equal(out.len, expected.len);
	assert_memory_equal(out.data, expected.data, expected.len);
	buf_free(&out);
	free(v);
	buf_free(&expected);

	/* overwrite_mode 0, no includes */
	buf_init(&out);
	assert_int_equal(yl_boot(&out, NULL, 0, false), 0);
	assert_int_equal(out.len, strlen("#!version:1.0.0.1\noverwrite_mode = 0\n"));
	assert_memory_equal(out.data, "#!version:1.0.0.1\noverwrite_mode = 0\n", out.len);
	buf_free(&out);
}

static void test_yl_boot_rejects_bad_names(void **state)
{
	const char *const bad[] = {
		"",          ".cfg",    "a\".cfg", "dir/a.cfg", "../a.cfg",       "a.boot",
		"a cfg.cfg", "a.cfg\n", "a.cfg ",  "a.CFG",     "http://x/a.cfg",
	};
	char longname[YL_NAME_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *inc[] = { "y000000000096.cfg", bad[i] };
		struct buf out;

		buf_init(&out);
		if (yl_boot(&out, inc, 2, true) != -EINVAL)
			fail_msg("include \"%s\" accepted", bad[i]);
		assert_int_equal(out.len, 0); /* nothing written */
		buf_free(&out);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname + sizeof(longname) - 5, ".cfg", 4);
	{
		const char *inc[] = { longname };
		struct buf out;

		buf_init(&out);
		assert_int_equal(yl_boot(&out, inc, 1, true), -EINVAL);
		longname[0] = '\0';
		assert_int_equal(yl_boot(&out, inc, 1, true), -EINVAL);
		inc[0] = longname + 1; /* YL_NAME_MAX characters */
		assert_int_equal(yl_boot(&out, inc, 1, true), 0);
		buf_free(&out);
	}
}

/* ---- lines, values and keys (formats/yealink.md §2.1, §6 item 3) ---- */

static void test_yl_line_bytes(void **state)
{
	struct buf out;
	static const char want[] = "#!version:1.0.0.1\n"
	                           "a.b = x\n"
	                           "empty =\n"
	                           "c = a=b # not a comment?\n";

	(void)state;
	buf_init(&out);
	yl_begin(&out);
	yl_line(&out, "a.b", "xyz", 1);
	yl_line(&out, "empty", "", 0);
	yl_line(&out, "c", "a=b # not a comment?", 20);
	assert_int_equal(out.len, sizeof(want) - 1);
	assert_memory_equal(out.data, want, out.len);
	buf_free(&out);
}

static bool value_ok(const char *v)
{
	return yl_value_ok(v, strlen(v));
}

static bool key_ok(const char *k)
{
	return yl_key_ok(k, strlen(k));
}

static void test_yl_value_and_key_checks(void **state)
{
	char big[YL_VALUE_MAX + 1];

	(void)state;
	assert_true(yl_value_ok("", 0));
	assert_true(yl_value_ok("pw1001", 6));
	assert_true(yl_value_ok("admin:4dm1n", 11));
	assert_true(yl_value_ok("a b", 3));
	assert_true(yl_value_ok("*97", 3));
	assert_true(value_ok("http://prov.example.com/T54W(T57W,T53W)-96.87.0.15.rom"));
	assert_true(yl_value_ok("Zo\xc3\xab", 4)); /* UTF-8 */
	assert_false(yl_value_ok("a\rb", 3));
	assert_false(yl_value_ok("a\nb", 3));
	assert_false(yl_value_ok("a\0b", 3));
	assert_false(yl_value_ok("a\tb", 3));
	assert_false(yl_value_ok("a\x7f", 2));
	assert_false(yl_value_ok("a\x1b", 2));
	assert_false(yl_value_ok(" a", 2));
	assert_false(yl_value_ok("a ", 2));
	assert_false(yl_value_ok(" ", 1));
	memset(big, 'x', sizeof(big));
	assert_true(yl_value_ok(big, YL_VALUE_MAX));
	assert_false(yl_value_ok(big, YL_VALUE_MAX + 1));

	assert_true(key_ok("account.1.sip_server.1.address"));
	assert_true(key_ok("static.auto_provision.aes_key_16.mac"));
	assert_true(yl_key_ok("a-b", 3));
	assert_false(yl_key_ok("", 0));
	assert_false(yl_key_ok("1abc", 4));
	assert_false(yl_key_ok(".abc", 4));
	assert_false(yl_key_ok("a b", 3));
	assert_false(yl_key_ok("a=b", 3));
	assert_false(yl_key_ok("a#b", 3));
	assert_false(yl_key_ok("a\0b", 3));
	assert_false(yl_key_ok("[T46S]a", 7));
	{
		char k[YL_KEY_MAX + 1];

		memset(k, 'k', sizeof(k));
		assert_true(yl_key_ok(k, YL_KEY_MAX));
		assert_false(yl_key_ok(k, YL_KEY_MAX + 1));
	}
}

static void test_yl_pad_for_space(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	/* empty: a multiple of 16 too */
	assert_int_equal(yl_pad_for_space(&b), 0);
	assert_int_equal(b.len, 1);
	for (size_t len = 1; len <= 64; len++) {
		buf_reset(&b);
		for (size_t i = 0; i < len; i++)
			buf_puts(&b, "x");
		assert_int_equal(yl_pad_for_space(&b), 0);
		assert_int_equal(b.len, len % 16 == 0 ? len + 1 : len);
		assert_true(b.len % 16 != 0);
		if (len % 16 == 0)
			assert_int_equal(b.data[len], '\n');
	}
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yl_every_model_resolves_to_a_common_name),
		cmocka_unit_test(test_yl_model_codes_match_the_manual_cross_checks),
		cmocka_unit_test(test_yl_model_find_is_exact),
		cmocka_unit_test(test_yl_timezone_whole_hours),
		cmocka_unit_test(test_yl_timezone_rejects_minutes_and_garbage),
		cmocka_unit_test(test_yl_timezone_reads_only_len_bytes),
		cmocka_unit_test(test_yl_language),
		cmocka_unit_test(test_yl_writer_reproduces_vector_y1),
		cmocka_unit_test(test_yl_tables_give_vector_y1_keys_and_values),
		cmocka_unit_test(test_yl_tables_are_well_formed),
		cmocka_unit_test(test_yl_boot_reproduces_vector_y2),
		cmocka_unit_test(test_yl_boot_rejects_bad_names),
		cmocka_unit_test(test_yl_line_bytes),
		cmocka_unit_test(test_yl_value_and_key_checks),
		cmocka_unit_test(test_yl_pad_for_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
