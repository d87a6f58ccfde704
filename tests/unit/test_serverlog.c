/*
 * test_serverlog.c - the servers' log lines provctl status reads (provctl/serverlog.h, compiled
 * in here): nginx with contrib's log_format (complete only when nginx completed the request
 * and sent the whole Content-Length; a Range request or a transfer cut short is partial),
 * tftpd-hpa -v through syslog (traditional and RFC 3339 files, journalctl -o short-iso; a
 * TFTP fetch is only ever "requested"; its NAK joined by PID), vsftpd's xferlog (c|i); and
 * hostile lines: huge, with NULs or control bytes, impossible dates, bad addresses, numbers
 * with signs or past uint64, names with '/', '..' and query strings, IPv6 addresses.
 * Local times are read with TZ=UTC, set in main.
 */
#include "testutil.h"

#include "provctl/serverlog.c"

/* 2026-11-29T20:51:42Z */
#define T0  INT64_C(1795985502)
#define NOW (T0 + 3600)

static enum srv_line parse(const char *line, struct srv_fetch *f)
{
	return srv_parse_line(line, strlen(line), NOW, f);
}

/* ---- nginx ----------------------------------------------------------------------------- */

static void test_nginx(void **state)
{
	struct srv_fetch f;

	(void)state;
	/* a whole fetch: 200, every byte of the Content-Length, request completed */
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42+00:00 127.0.0.1 \"GET\" "
	                       "\"/prov/cfg000b82123456.xml\" 200 4128 \"4128\" \"-\" \"OK\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.server, SRV_NGINX);
	assert_int_equal(f.time, T0);
	assert_string_equal(f.addr, "127.0.0.1");
	assert_string_equal(f.name, "cfg000b82123456.xml");
	assert_true(f.has_bytes && f.has_size);
	assert_int_equal(f.bytes, 4128);
	assert_int_equal(f.size, 4128);
	assert_int_equal(f.result, SRV_COMPLETE);
	assert_int_equal(f.status, 200);
	/* the time zone of $time_iso8601 is honoured */
	assert_int_equal(parse("provfs1 2026-11-29T21:51:42+01:00 ::1 \"GET\" \"/a\" 200 1 \"1\" "
	                       "\"-\" \"OK\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.time, T0);
	assert_string_equal(f.addr, "::1");
	/* a transfer cut short: 200, fewer bytes, not completed */
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42+00:00 2001:db8::7 \"GET\" "
	                       "\"/prov/Config0080F0C8C383.cfg?x=1\" 200 0 \"1378\" \"-\" \"\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.result, SRV_PARTIAL);
	assert_string_equal(f.name, "Config0080F0C8C383.cfg"); /* query string stripped */
	assert_string_equal(f.addr, "2001:db8::7");
	/* all the bytes, but nginx did not see the request complete: not complete */
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42+00:00 10.0.0.1 \"GET\" \"/a\" 200 9 "
	                       "\"9\" \"-\" \"\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.result, SRV_PARTIAL);
	/* a Range request: 206, partial, the size from Content-Range */
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42Z 10.0.0.1 \"GET\" \"/prov/a.xml\" 206 "
	                       "100 \"100\" \"bytes 0-99/1378\" \"OK\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.result, SRV_PARTIAL);
	assert_int_equal(f.size, 1378);
	/* 304, 404 */
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42Z 10.0.0.1 \"GET\" \"/a\" 304 0 \"-\" "
	                       "\"-\" \"OK\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.result, SRV_NOT_MODIFIED);
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42Z 10.0.0.1 \"GET\" \"/a\" 404 153 \"-\" "
	                       "\"-\" \"OK\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.result, SRV_FAILED);
	assert_int_equal(f.status, 404);
	/* HEAD fetches nothing */
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42Z 10.0.0.1 \"HEAD\" \"/a\" 200 0 \"9\" "
	                       "\"-\" \"OK\"",
	                       &f),
	                 SRV_LINE_OTHER);
	/* paths: the last component only; what is left may be no name at all */
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42Z 10.0.0.1 \"GET\" "
	                       "\"/prov/../../etc/passwd\" 404 1 \"-\" \"-\" \"OK\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_string_equal(f.name, "passwd");
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42Z 10.0.0.1 \"GET\" \"/prov/..\" 404 1 "
	                       "\"-\" \"-\" \"OK\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_string_equal(f.name, ".."); /* the resolver refuses it */
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42Z 10.0.0.1 \"GET\" \"/prov/\" 404 1 "
	                       "\"-\" \"-\" \"OK\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_string_equal(f.name, "");
	assert_int_equal(parse("provfs1 2026-11-29T20:51:42Z 10.0.0.1 \"GET\" \"/?/x\" 404 1 "
	                       "\"-\" \"-\" \"OK\"",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_string_equal(f.name, "");
}

static void test_nginx_hostile(void **state)
{
	static const char *const bad[] = {
		"provfs1",
		"provfs1 ",
		/* a date that does not exist, a bad offset, a time past 23:59:60 */
		"provfs1 2026-02-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-13-01T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T24:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42+2400 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29 20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\"",
		"provfs1 1969-12-31T23:59:59Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\"",
		/* addresses */
		"provfs1 2026-11-29T20:51:42Z 1.2.3.256 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42Z host.example \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42Z 1:2:3:4:5:6:7:8:9 \"GET\" \"/a\" 200 1 \"1\" \"-\" "
		"\"OK\"",
		/* numbers */
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 -1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 +1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 18446744073709551616 "
		"\"1\" "
		"\"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"0x1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 20 1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 099 1 \"1\" \"-\" \"OK\"",
		/* quoting: a raw quote, a missing field, one too many, trailing space */
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\"b\" 200 1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\"",
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\" x",
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\" ",
		"provfs1  2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\" 200 1 \"1\" \"-\" \"OK\"",
		/* a control byte (nginx escapes them: one here is not nginx's) */
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\tb\" 200 1 \"1\" \"-\" \"OK\"",
		"provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\x1b[2J\" 200 1 \"1\" \"-\" "
		"\"OK\"",
		/* the combined format is not ours */
		"127.0.0.1 - - [29/Nov/2026:20:51:42 +0000] \"GET /a HTTP/1.1\" 200 1 \"-\" "
		"\"curl\"",
	};
	static const char with_nul[] = "provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/a\0b\" 200 "
	                               "1 \"1\" \"-\" \"OK\"";
	static char huge[SRV_LINE_MAX + 100];
	struct srv_fetch f;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &f) != SRV_LINE_BAD)
			fail_msg("understood: \"%s\"", bad[i]);
		assert_string_equal(f.name, "");
		assert_string_equal(f.addr, "");
	}
	assert_int_equal(srv_parse_line(with_nul, sizeof(with_nul) - 1, NOW, &f), SRV_LINE_BAD);
	/* a huge line, and the longest that may still be a name */
	n = snprintf(huge, sizeof(huge), "provfs1 2026-11-29T20:51:42Z 1.2.3.4 \"GET\" \"/");
	memset(huge + n, 'a', sizeof(huge) - (size_t)n - 1);
	assert_int_equal(srv_parse_line(huge, sizeof(huge) - 1, NOW, &f), SRV_LINE_BAD);
	n += snprintf(huge + n, sizeof(huge) - (size_t)n, "%0*d\" 404 1 \"-\" \"-\" \"OK\"",
	              FILE_NAME_MAX + 1, 0);
	assert_int_equal(srv_parse_line(huge, (size_t)n, NOW, &f), SRV_LINE_FETCH);
	assert_string_equal(f.name, ""); /* too long to be a name */
}

/* ---- tftpd-hpa through syslog ------------------------------------------------------------ */

static void test_tftpd(void **state)
{
	struct srv_fetch f;

	(void)state;
	/* traditional syslog file: local time, the year from now */
	assert_int_equal(parse("Nov 29 20:51:42 pbx in.tftpd[6379]: RRQ from 127.0.0.1 filename "
	                       "cfg000b82123456.xml",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.server, SRV_TFTPD);
	assert_int_equal(f.time, T0);
	assert_string_equal(f.addr, "127.0.0.1");
	assert_string_equal(f.name, "cfg000b82123456.xml");
	assert_int_equal(f.result, SRV_REQUESTED);
	assert_false(f.has_bytes || f.has_size);
	assert_int_equal(f.pid, 6379);
	/* a day in early month, space-padded; a date ahead of now is last year's */
	assert_int_equal(parse("Nov  1 00:00:00 pbx in.tftpd[1]: RRQ from ::1 filename a", &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.time, INT64_C(1793491200)); /* 2026-11-01 */
	assert_int_equal(parse("Dec 31 23:00:00 pbx in.tftpd[1]: RRQ from ::1 filename a", &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.time, INT64_C(1767222000)); /* 2025-12-31 */
	/* RFC 3339 (rsyslog), journalctl -o short-iso */
	assert_int_equal(parse("2026-11-29T21:51:42.123456+01:00 pbx in.tftpd[7]: RRQ from "
	                       "::ffff:192.0.2.1 filename /prov/Config0080F0C8C383.cfg",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.time, T0);
	assert_string_equal(f.addr, "::ffff:192.0.2.1");
	assert_string_equal(f.name, "Config0080F0C8C383.cfg");
	assert_int_equal(parse("2026-11-29T20:51:42+0000 pbx in.tftpd[7]: RRQ from 192.0.2.1 "
	                       "filename a.cfg",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.time, T0);
	/* remapped: the name served; rsyslog's escaped trailing newline */
	assert_int_equal(parse("Nov 29 20:51:42 pbx in.tftpd[9]: RRQ from 1.2.3.4 filename "
	                       "x/old.cfg remapped to new.cfg",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_string_equal(f.name, "new.cfg");
	assert_int_equal(
	    parse("Nov 29 20:51:42 pbx in.tftpd[9]: RRQ from 1.2.3.4 filename a.cfg#012", &f),
	    SRV_LINE_FETCH);
	assert_string_equal(f.name, "a.cfg");
	/* no host: as a program hands it to /dev/log */
	assert_int_equal(parse("Nov 29 20:51:42 in.tftpd[9]: RRQ from 1.2.3.4 filename b.cfg", &f),
	                 SRV_LINE_FETCH);
	assert_string_equal(f.name, "b.cfg");
	/* a '?' is part of a TFTP name, not a query */
	assert_int_equal(
	    parse("Nov 29 20:51:42 pbx in.tftpd[9]: RRQ from 1.2.3.4 filename a?b", &f),
	    SRV_LINE_FETCH);
	assert_string_equal(f.name, "a?b");
	/* the NAK, joined by PID */
	assert_int_equal(parse("Nov 29 20:51:42 pbx in.tftpd[6381]: sending NAK (1, File not "
	                       "found) to 127.0.0.1",
	                       &f),
	                 SRV_LINE_NAK);
	assert_int_equal(f.pid, 6381);
	/* lines of other programs, of tftpd about other things, journalctl's own: not fetches */
	assert_int_equal(parse("Nov 29 20:51:42 pbx systemd[1]: Started tftpd-hpa.service.", &f),
	                 SRV_LINE_OTHER);
	assert_int_equal(parse("Nov 29 20:51:42 pbx kernel: [ 1.0] \x01 odd", &f), SRV_LINE_OTHER);
	assert_int_equal(parse("Nov 29 20:51:42 pbx in.tftpd[9]: WRQ from 1.2.3.4 filename a", &f),
	                 SRV_LINE_OTHER);
	assert_int_equal(parse("-- Boot 0123456789abcdef --", &f), SRV_LINE_OTHER);
	assert_int_equal(parse("-- No entries --", &f), SRV_LINE_OTHER);
}

static void test_tftpd_hostile(void **state)
{
	static const char *const bad[] = {
		"Nov 31 20:51:42 pbx in.tftpd[1]: RRQ from 1.2.3.4 filename a", /* no 31 Nov */
		"Nov 29 25:51:42 pbx in.tftpd[1]: RRQ from 1.2.3.4 filename a",
		"Now 29 20:51:42 pbx in.tftpd[1]: RRQ from 1.2.3.4 filename a",
		"Nov 29 20:51 pbx in.tftpd[1]: RRQ from 1.2.3.4 filename a",
		"Nov 29 20:51:42  in.tftpd[1]: RRQ from 1.2.3.4 filename a",
		"Nov 29 20:51:42 pbx in.tftpd[]: RRQ from 1.2.3.4 filename a",
		"Nov 29 20:51:42 pbx in.tftpd[-1]: RRQ from 1.2.3.4 filename a",
		"Nov 29 20:51:42 pbx in.tftpd[99999999999]: RRQ from 1.2.3.4 filename a",
		"Nov 29 20:51:42 pbx in.tftpd[1] RRQ from 1.2.3.4 filename a",
		"Nov 29 20:51:42 pbx in.tftpd[1]: RRQ from 1.2.3 filename a",
		"Nov 29 20:51:42 pbx in.tftpd[1]: RRQ from ::g filename a",
		"Nov 29 20:51:42 pbx in.tftpd[1]: RRQ from 1.2.3.4 filename ",
		"Nov 29 20:51:42 pbx in.tftpd[1]: RRQ from 1.2.3.4 file a",
		"Nov 29 20:51:42 pbx in.tftpd[1]: RRQ from 1.2.3.4 filename a\x7f",
		"Nov 29 20:51:42 pbx in.tftpd[1]: sending NAK (1, File not found) to nowhere",
		"2026-02-30T20:51:42Z pbx in.tftpd[1]: RRQ from 1.2.3.4 filename a",
		"2026-11-29T20:51:42 pbx in.tftpd[1]: RRQ from 1.2.3.4 filename a", /* no zone */
		"2026-11-29T20:51:42.Z pbx in.tftpd[1]: RRQ from 1.2.3.4 filename a",
		"garbage",
		"",
	};
	static const char feb29[] = "Feb 29 10:00:00 h in.tftpd[1]: RRQ from ::1 filename a";
	struct srv_fetch f;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &f) != SRV_LINE_BAD)
			fail_msg("understood: \"%s\"", bad[i]);
	/* a 29 February of a leap year is a date; the year before gives none */
	assert_int_equal(
	    srv_parse_line(feb29, strlen(feb29), INT64_C(1709251200) /* 2024-03-01 */, &f),
	    SRV_LINE_FETCH);
	assert_int_equal(srv_parse_line(feb29, strlen(feb29), NOW, &f), SRV_LINE_BAD);
}

/* ---- vsftpd's xferlog -------------------------------------------------------------------- */

static void test_xferlog(void **state)
{
	static const char *const bad[] = {
		"Sun Nov 29 20:51:42 2026 1 127.0.0.1 4128 /a b _ o a ftp ftp 0 * x",
		"Sun Nov 29 20:51:42 2026 1 127.0.0.1 4128 /a b _ o a ftp ftp 0 *",
		"Sun Nov 29 20:51:42 2026 1 127.0.0.1 -1 /a b _ o a ftp ftp 0 * c",
		"Sun Nov 29 20:51:42 2026 1 localhost 4128 /a b _ o a ftp ftp 0 * c",
		"Sun Nov 31 20:51:42 2026 1 127.0.0.1 4128 /a b _ o a ftp ftp 0 * c",
		"Sun Nov 29 20:51:42 26 1 127.0.0.1 4128 /a b _ o a ftp ftp 0 * c",
		"Sun Nov 29 20:51:42 2026 1 127.0.0.1 4128 /a b _ o a ftp ftp 0 * c ",
		"Sun Nov 29 20:51:42 2026 1 127.0.0.1 4128 /a b _ o a ftp ftp 0  * c",
		"Sun Nov 29 20:51:42 2026 1 127.0.0.1 4128 /a\tb b _ o a ftp ftp 0 * c",
	};
	struct srv_fetch f;

	(void)state;
	assert_int_equal(parse("Sun Nov 29 20:51:42 2026 1 127.0.0.1 4128 /cfg000b82123456.xml b _ "
	                       "o a ftp ftp 0 * c",
	                       &f),
	                 SRV_LINE_FETCH);
	assert_int_equal(f.server, SRV_VSFTPD);
	assert_int_equal(f.time, T0);
	assert_string_equal(f.addr, "127.0.0.1");
	assert_string_equal(f.name, "cfg000b82123456.xml");
	assert_true(f.has_bytes);
	assert_false(f.has_size);
	assert_int_equal(f.bytes, 4128);
	assert_int_equal(f.result, SRV_COMPLETE);
	assert_int_equal(
	    parse("Sun Nov  1 00:00:00 2026 0 ::1 20 /x/y/Config0080F0C8C383.cfg b _ o "
	          "a ftp ftp 0 * i",
	          &f),
	    SRV_LINE_FETCH);
	assert_int_equal(f.result, SRV_PARTIAL);
	assert_int_equal(f.time, INT64_C(1793491200));
	assert_string_equal(f.name, "Config0080F0C8C383.cfg");
	/* a name with spaces: understood, but no name of ours */
	assert_int_equal(
	    parse("Sun Nov 29 20:51:42 2026 1 127.0.0.1 1 /a b.xml b _ o a ftp ftp 0 * "
	          "c",
	          &f),
	    SRV_LINE_FETCH);
	assert_string_equal(f.name, "");
	/* an upload is not a fetch */
	assert_int_equal(
	    parse("Sun Nov 29 20:51:42 2026 1 127.0.0.1 1 /a b _ i a ftp ftp 0 * c", &f),
	    SRV_LINE_OTHER);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &f) != SRV_LINE_BAD)
			fail_msg("understood: \"%s\"", bad[i]);
	assert_string_equal(srv_result_word(SRV_NOT_MODIFIED), "not-modified");
	assert_string_equal(srv_kind_name(SRV_VSFTPD), "vsftpd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nginx),   cmocka_unit_test(test_nginx_hostile),
		cmocka_unit_test(test_tftpd),   cmocka_unit_test(test_tftpd_hostile),
		cmocka_unit_test(test_xferlog),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
