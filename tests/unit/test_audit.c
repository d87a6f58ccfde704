/*
 * test_audit.c - the audit (SPEC §4 "Audit", §1 provctl status): the fetch-record file format
 * (fs/fetch.h) written and parsed strictly, merged and kept atomically in the state directory;
 * the audit object (fs/audit.c, compiled in here with a log_msg that records the lines): one
 * line per fetch with name, MAC, generation, bytes and completeness, the pending records
 * merged into the files on flush and by the flusher thread, the sweep warning's clock; and the
 * resolver's test for a device name of an unknown MAC (backend, file_unknown_device).
 */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "backend/files.h"
#include "fs/audit.c" /* the daemon's object, with the log_msg below */
#include "fs/fetch.h"

#define MAC_A 0x000b82123456ULL
#define MAC_B 0x0080f0c8c381ULL

/* ---- log_msg, recording ------------------------------------------------------------------ */

static char logged[16384];
static int nlogged;

void log_msg(int priority, const char *fmt, ...)
{
	size_t n = strlen(logged);
	va_list ap;

	(void)priority;
	va_start(ap, fmt);
	vsnprintf(logged + n, sizeof(logged) - n, fmt, ap);
	va_end(ap);
	n = strlen(logged);
	if (n + 1 < sizeof(logged))
		logged[n++] = '\n';
	logged[n] = '\0';
	nlogged++;
}

static void log_reset(void)
{
	logged[0] = '\0';
	nlogged = 0;
}

/* ---- a state directory per test ---------------------------------------------------------- */

static char dir[64];
static struct state st;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/provfs-audit-%ld", (long)getpid());
	log_reset();
	return state_open(dir, &st) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	state_close(&st);
	return remove_tree(dir);
}

/* The state directory holds n files and no temporary file. */
static void files_are(int n)
{
	assert_int_equal(count_entries(dir, false), n);
	assert_int_equal(count_entries(dir, true), 0);
}

static struct fetch_rec rec(const char *name, int64_t time, uint64_t bytes, uint64_t size,
                            bool complete)
{
	struct fetch_rec r;

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.time = time;
	r.bytes = bytes;
	r.size = size;
	r.complete = complete;
	return r;
}

/* ---- the file format --------------------------------------------------------------------- */

static const char two_records[] = "provfs-fetch 1\n"
                                  "cfg000b82123456 1700000000 0 731 partial\n"
                                  "cfg000b82123456.xml 1700000123 4128 4128 complete\n";

static const char largest[] = "provfs-fetch 1\n"
                              "x 9223372036854775807 18446744073709551615 18446744073709551615 "
                              "partial\n";

static void test_format_and_parse(void **state)
{
	struct fetch_set s = { .n = 0 }, back;
	struct buf b;

	(void)state;
	s.rec[s.n++] = rec("cfg000b82123456", 1700000000, 0, 731, false);
	s.rec[s.n++] = rec("cfg000b82123456.xml", 1700000123, 4128, 4128, true);
	buf_init(&b);
	assert_int_equal(fetch_format(&s, &b), 0);
	assert_int_equal(b.len, strlen(two_records));
	assert_memory_equal(b.data, two_records, b.len);
	assert_int_equal(fetch_parse((const char *)b.data, b.len, &back), 0);
	assert_int_equal(back.n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(back.rec[i].name, s.rec[i].name);
		assert_int_equal(back.rec[i].time, s.rec[i].time);
		assert_int_equal(back.rec[i].bytes, s.rec[i].bytes);
		assert_int_equal(back.rec[i].size, s.rec[i].size);
		assert_int_equal(back.rec[i].complete, s.rec[i].complete);
	}
	/* no record: the header alone; the largest numbers */
	buf_reset(&b);
	s.n = 0;
	assert_int_equal(fetch_format(&s, &b), 0);
	assert_int_equal(fetch_parse((const char *)b.data, b.len, &back), 0);
	assert_int_equal(back.n, 0);
	assert_int_equal(fetch_parse(largest, strlen(largest), &back), 0);
	assert_int_equal(back.rec[0].bytes, UINT64_MAX);
	assert_int_equal(back.rec[0].time, INT64_MAX);
	buf_free(&b);
}

/* What the format cannot carry is refused, before anything is written. */
static void test_format_refuses(void **state)
{
	struct fetch_set s = { .n = 2 };
	struct buf b;

	(void)state;
	buf_init(&b);
	s.rec[0] = rec("b", 1, 1, 1, true);
	s.rec[1] = rec("a", 1, 1, 1, true); /* not sorted */
	assert_int_equal(fetch_format(&s, &b), -EINVAL);
	s.rec[1] = rec("b", 1, 1, 1, true); /* twice */
	assert_int_equal(fetch_format(&s, &b), -EINVAL);
	s.rec[1] = rec("c d", 1, 1, 1, true); /* a space */
	assert_int_equal(fetch_format(&s, &b), -EINVAL);
	s.rec[1] = rec("", 1, 1, 1, true);
	assert_int_equal(fetch_format(&s, &b), -EINVAL);
	s.rec[1] = rec("c", -1, 1, 1, true);
	assert_int_equal(fetch_format(&s, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"provfs-fetch 1",
		"provfs-fetch 2\n",
		"provfs-fetch 1 \n",
		"Provfs-fetch 1\n",
		"provfs-fetch 1\ncfg 1 2 3 complete",     /* no final newline */
		"provfs-fetch 1\ncfg 1 2 3 complete\r\n", /* CRLF */
		"provfs-fetch 1\ncfg 1 2 3 complete\n\n", /* an empty line */
		"provfs-fetch 1\ncfg  1 2 3 complete\n",  /* two spaces */
		"provfs-fetch 1\ncfg 1 2 3 complete \n",  /* trailing space */
		"provfs-fetch 1\n cfg 1 2 3 complete\n",  /* leading space */
		"provfs-fetch 1\ncfg 1 2 complete\n",     /* a field missing */
		"provfs-fetch 1\ncfg 1 2 3 4 complete\n", /* one too many */
		"provfs-fetch 1\ncfg 1 2 3 done\n",       /* not complete|partial */
		"provfs-fetch 1\ncfg 1 2 3 Complete\n",
		"provfs-fetch 1\ncfg 01 2 3 complete\n", /* leading zero */
		"provfs-fetch 1\ncfg +1 2 3 complete\n", /* sign */
		"provfs-fetch 1\ncfg -1 2 3 complete\n",
		"provfs-fetch 1\ncfg 1 0x2 3 complete\n",
		"provfs-fetch 1\ncfg 1 2 18446744073709551616 complete\n", /* > UINT64_MAX */
		"provfs-fetch 1\ncfg 1 2 999999999999999999999 complete\n",
		"provfs-fetch 1\ncfg 9223372036854775808 2 3 complete\n", /* time > INT64_MAX */
		"provfs-fetch 1\ncf/g 1 2 3 complete\n", /* not the name alphabet */
		"provfs-fetch 1\ncf\tg 1 2 3 complete\n",
		"provfs-fetch 1\nb 1 2 3 complete\na 1 2 3 complete\n", /* not sorted */
		"provfs-fetch 1\na 1 2 3 complete\na 1 2 3 partial\n",  /* twice */
	};
	static const char with_nul[] = "provfs-fetch 1\na\0 1 2 3 complete\n";
	struct fetch_set s;
	char big[FETCH_FILE_MAX + 64], name[FILE_NAME_MAX + 2];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.n = 5;
		if (fetch_parse(bad[i], strlen(bad[i]), &s) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_int_equal(s.n, 0);
	}
	/* a NUL inside the file */
	assert_int_equal(fetch_parse(with_nul, sizeof(with_nul) - 1, &s), -EINVAL);
	/* a name one longer than FILE_NAME_MAX */
	memset(name, 'a', FILE_NAME_MAX + 1);
	name[FILE_NAME_MAX + 1] = '\0';
	n = (size_t)snprintf(big, sizeof(big), "provfs-fetch 1\n%s 1 2 3 complete\n", name);
	assert_int_equal(fetch_parse(big, n, &s), -EINVAL);
	n = (size_t)snprintf(big, sizeof(big), "provfs-fetch 1\n%s 1 2 3 complete\n", name + 1);
	assert_int_equal(fetch_parse(big, n, &s), 0);
	/* FETCH_MAX_FILES lines at most */
	n = (size_t)snprintf(big, sizeof(big), "provfs-fetch 1\n");
	for (int i = 0; i <= FETCH_MAX_FILES; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "f%02d 1 2 3 partial\n", i);
	assert_int_equal(fetch_parse(big, n, &s), -EINVAL);
	assert_int_equal(fetch_parse(big, n - strlen("f16 1 2 3 partial\n"), &s), 0);
	assert_int_equal(s.n, FETCH_MAX_FILES);
	/* never more than FETCH_FILE_MAX bytes */
	memset(big, '\n', sizeof(big));
	memcpy(big, "provfs-fetch 1\n", 15);
	assert_int_equal(fetch_parse(big, FETCH_FILE_MAX + 1, &s), -EINVAL);
}

static void test_merge(void **state)
{
	struct fetch_set s = { .n = 0 };

	(void)state;
	fetch_merge(&s, &(struct fetch_rec){ .name = "m", .time = 5 });
	fetch_merge(&s, &(struct fetch_rec){ .name = "b", .time = 6 });
	fetch_merge(&s, &(struct fetch_rec){ .name = "z", .time = 7 });
	fetch_merge(&s, &(struct fetch_rec){ .name = "m", .time = 8, .bytes = 9 });
	assert_int_equal(s.n, 3);
	assert_string_equal(s.rec[0].name, "b");
	assert_string_equal(s.rec[1].name, "m");
	assert_int_equal(s.rec[1].time, 8);
	assert_int_equal(s.rec[1].bytes, 9);
	assert_string_equal(s.rec[2].name, "z");
	/* full: the oldest makes room; the order stays */
	s.n = 0;
	for (int i = 0; i < FETCH_MAX_FILES; i++) {
		struct fetch_rec r = rec("", 100 + i, 0, 0, false);

		snprintf(r.name, sizeof(r.name), "n%02d", i);
		fetch_merge(&s, &r);
	}
	fetch_merge(&s, &(struct fetch_rec){ .name = "a", .time = 1000 });
	assert_int_equal(s.n, FETCH_MAX_FILES);
	assert_string_equal(s.rec[0].name, "a");
	assert_string_equal(s.rec[1].name, "n01"); /* n00 (time 100) went */
	for (size_t i = 1; i < s.n; i++)
		assert_true(strcmp(s.rec[i - 1].name, s.rec[i].name) < 0);
}

static void test_store_load(void **state)
{
	struct fetch_set s = { .n = 0 }, back;
	char text[512];
	struct stat sb;

	(void)state;
	assert_int_equal(fetch_load(&st, MAC_A, &back), -ENOENT);
	s.rec[s.n++] = rec("cfg000b82123456", 1700000000, 0, 731, false);
	s.rec[s.n++] = rec("cfg000b82123456.xml", 1700000123, 4128, 4128, true);
	assert_int_equal(fetch_store(&st, MAC_A, &s), 0);
	read_text_file(dir, "fetch-000B82123456", text, sizeof(text));
	assert_string_equal(text, two_records);
	assert_int_equal(fetch_load(&st, MAC_A, &back), 0);
	assert_int_equal(back.n, 2);
	files_are(1);
	assert_int_equal(fstatat(st.dirfd, "fetch-000B82123456", &sb, 0), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	write_file(dir, "fetch-000B82123456", "provfs-fetch 1\ncfg 1 2 3 complete"); /* cut */
	assert_int_equal(fetch_load(&st, MAC_A, &back), -EINVAL);
	assert_int_equal(back.n, 0);
}

/* ---- the audit object -------------------------------------------------------------------- */

/* A reader that read bytes 0..bytes of a file of `size` in one go. */
static void fetch(struct audit *a, const char *name, uint64_t mac, uint64_t bytes, uint64_t size)
{
	struct audit_progress p;
	const struct audit_fetch f = { name, mac, 7, size, &p };

	audit_progress_init(&p);
	audit_progress_read(&p, 0, bytes);
	audit_fetch(a, &f);
}

/*
 * "complete" means bytes 0..size covered, not as many bytes read as the size: a reader that
 * read the first 512 bytes twice, or the end before the start, did not get the whole file;
 * one whose reads overlap or come in pieces did.
 */
static void test_audit_complete_is_coverage(void **state)
{
	struct audit_progress p;
	struct audit *a;
	const struct audit_fetch f = { "cfg000b82123456.xml", MAC_A, 7, 1000, &p };

	(void)state;
	audit_progress_init(&p);
	assert_int_equal(audit_progress_read(&p, 0, 512), 512);
	assert_int_equal(audit_progress_read(&p, 0, 512), 512);
	assert_false(audit_progress_complete(&p, 1000));
	assert_int_equal(audit_new(&st, &a), 0);
	logged[0] = '\0';
	nlogged = 0;
	audit_fetch(a, &f);
	assert_string_equal(logged, "fetch cfg000b82123456.xml mac=000b82123456 generation=7 "
	                            "bytes=1024 size=1000 partial\n");
	/* a gap is not covered by what comes after it */
	audit_progress_init(&p);
	audit_progress_read(&p, 600, 400);
	audit_progress_read(&p, 0, 500);
	assert_false(audit_progress_complete(&p, 1000));
	/* overlapping pieces in order cover the file */
	audit_progress_init(&p);
	audit_progress_read(&p, 0, 300);
	audit_progress_read(&p, 200, 300);
	assert_false(audit_progress_complete(&p, 1000));
	audit_progress_read(&p, 500, 500);
	assert_true(audit_progress_complete(&p, 1000));
	audit_fetch(a, &f);
	assert_non_null(strstr(logged, "bytes=1100 size=1000 complete\n"));
	audit_free(a);
}

/* One line per fetch; on flush each device's file gets its latest records, merged with the
 * file's own, and a damaged file starts afresh. */
static void test_audit_flush(void **state)
{
	struct fetch_set s = { .n = 0 };
	struct audit *a;
	char text[1024];
	time_t before = time(NULL);

	(void)state;
	s.rec[s.n++] = rec("cfg000b82123456", 1600000000, 731, 731, true);
	assert_int_equal(fetch_store(&st, MAC_A, &s), 0);
	write_file(dir, "fetch-0080F0C8C381", "provfs-fetch 1\ngarbage\n");
	assert_int_equal(audit_new(&st, &a), 0);
	fetch(a, "cfg000b82123456.xml", MAC_A, 100, 4128);
	fetch(a, "cfg000b82123456.xml", MAC_A, 4128, 4128);
	fetch(a, "Config0080F0C8C381.cfg", MAC_B, 20, 528);
	assert_int_equal(nlogged, 3);
	assert_string_equal(
	    logged, "fetch cfg000b82123456.xml mac=000b82123456 generation=7 bytes=100 size=4128 "
	            "partial\n"
	            "fetch cfg000b82123456.xml mac=000b82123456 generation=7 bytes=4128 "
	            "size=4128 complete\n"
	            "fetch Config0080F0C8C381.cfg mac=0080f0c8c381 generation=7 bytes=20 size=528 "
	            "partial\n");
	assert_int_equal(a->cur.n, 2); /* one per file: the second fetch replaced the first */
	assert_int_equal(fetch_load(&st, MAC_B, &s), -EINVAL); /* nothing written yet */
	audit_free(a);
	assert_int_equal(nlogged, 3);
	assert_int_equal(fetch_load(&st, MAC_A, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[0].name, "cfg000b82123456"); /* kept from the file */
	assert_int_equal(s.rec[0].time, 1600000000);
	assert_string_equal(s.rec[1].name, "cfg000b82123456.xml");
	assert_true(s.rec[1].time >= before && s.rec[1].time <= time(NULL));
	assert_int_equal(s.rec[1].bytes, 4128);
	assert_true(s.rec[1].complete);
	read_text_file(dir, "fetch-0080F0C8C381", text, sizeof(text));
	assert_non_null(strstr(text, "provfs-fetch 1\nConfig0080F0C8C381.cfg "));
	assert_non_null(strstr(text, " 20 528 partial\n"));
	files_are(2);
}

/* Many devices in one flush (a storm), each written once, the index growing on the way. */
static void test_audit_many(void **state)
{
	struct fetch_set s;
	struct audit *a;
	char name[32];

	(void)state;
	assert_int_equal(audit_new(&st, &a), 0);
	for (uint64_t i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "cfg000b82%06llx.xml", (unsigned long long)i);
		fetch(a, name, 0x000b82000000ULL + i, 10, 10);
		fetch(a, name, 0x000b82000000ULL + i, 10, 10);
	}
	assert_int_equal(a->cur.n, 1000);
	audit_free(a);
	files_are(1000);
	assert_int_equal(fetch_load(&st, 0x000b820003e7ULL, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.rec[0].name, "cfg000b820003e7.xml");
}

/* The flusher writes within about a second, without being asked. */
static void test_flusher_thread(void **state)
{
	struct fetch_set s;
	struct audit *a;
	int tries = 0;

	(void)state;
	assert_int_equal(audit_new(&st, &a), 0);
	assert_int_equal(audit_start(a), 0);
	fetch(a, "Config0080F0C8C381.cfg", MAC_B, 528, 528);
	while (fetch_load(&st, MAC_B, &s) != 0 && tries++ < 60)
		usleep(50000);
	assert_int_equal(fetch_load(&st, MAC_B, &s), 0);
	assert_int_equal(s.n, 1);
	fetch(a, "Config0080F0C8C381.enc", MAC_B, 1, 2);
	audit_free(a); /* the last one goes out on stop */
	assert_int_equal(fetch_load(&st, MAC_B, &s), 0);
	assert_int_equal(s.n, 2);
	assert_null(strstr(logged, "unknown MACs"));
}

/* The clock alone: looks come a second apart; a minute between warnings at least. */
static void test_sweep_due(void **state)
{
	struct sweep s = { 0 };

	(void)state;
	assert_false(sweep_due(&s, 0, 100));
	assert_false(sweep_due(&s, 10, 101)); /* it began */
	assert_false(sweep_due(&s, 50, 102)); /* still growing */
	assert_true(sweep_due(&s, 50, 103));  /* quiet for a look: the first warning */
	s.open = false;
	s.warned = true;
	s.last_warn = 103;
	assert_false(sweep_due(&s, 3, 110));
	assert_false(sweep_due(&s, 3, 111)); /* quiet, but within the minute */
	assert_false(sweep_due(&s, 3, 162));
	assert_true(sweep_due(&s, 3, 163));
	/* a sweep that never pauses: warned a minute after it began */
	s = (struct sweep){ 0 };
	for (int64_t t = 200; t < 260; t++)
		assert_false(sweep_due(&s, (uint64_t)(t - 199), t));
	assert_true(sweep_due(&s, 61, 260));
	/* the count went back to zero (taken): the next one starts afresh */
	assert_false(sweep_due(&s, 0, 261));
	assert_false(s.open);
}

/* Counting, the example, the warning's words; one more line at stop if any are left. */
static void test_sweep_warning(void **state)
{
	struct audit *a;
	char name[32];

	(void)state;
	assert_int_equal(audit_new(&st, &a), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "cfg00000000%04x.xml", i);
		audit_unknown(a, name);
	}
	sweep_tick(a, 1000);
	assert_int_equal(nlogged, 0);
	sweep_tick(a, 1001);
	assert_int_equal(nlogged, 1);
	assert_string_equal(logged, "unknown MACs: 200 lookups of device files for MACs not in the "
	                            "inventory since the last warning, e.g. cfg000000000000.xml: "
	                            "an enumeration sweep?\n");
	assert_int_equal(atomic_load(&a->unknown), 0);
	log_reset();
	audit_unknown(a, "Config0080F0C8C3FF.cfg");
	sweep_tick(a, 1002);
	sweep_tick(a, 1003);
	sweep_tick(a, 1060);
	assert_int_equal(nlogged, 0);
	sweep_tick(a, 1061);
	assert_string_equal(logged, "unknown MACs: 1 lookup of device files for MACs not in the "
	                            "inventory since the last warning, e.g. "
	                            "Config0080F0C8C3FF.cfg: an enumeration sweep?\n");
	log_reset();
	audit_unknown(a, "ConfigCom-0080F0C8C3FF.enc");
	audit_unknown(a, "ConfigCom-0080F0C8C3FE.enc");
	audit_free(a);
	assert_int_equal(nlogged, 1);
	assert_non_null(strstr(logged, ": 2 lookups "));
	assert_non_null(strstr(logged, "e.g. ConfigCom-0080F0C8C3FF.enc:"));
}

/* NULL audits are accepted everywhere (a provfs without one). */
static void test_null_audit(void **state)
{
	(void)state;
	fetch(NULL, "cfg000b82123456.xml", MAC_A, 1, 1);
	audit_unknown(NULL, "cfg000b82123456.xml");
	assert_int_equal(audit_start(NULL), 0);
	audit_free(NULL);
	assert_int_equal(nlogged, 0);
}

/* ---- names of unknown MACs (backend) ----------------------------------------------------- */

static const char inventory[] =
    "version: 1\n"
    "server: {url: http://h/p}\n"
    "generic: {settings: {ntp_server: pool.ntp.org}}\n"
    "models:\n"
    "  GXP2170: {vendor: grandstream, max_lines: 2}\n"
    "  KX-HDV130N: {vendor: panasonic, max_lines: 2}\n"
    "devices:\n"
    "  000b82123456: {model: GXP2170, config: {prefix: gs_, postfix: _cfg002}}\n"
    "  0080f0c8c381: {model: KX-HDV130N}\n";

static void test_unknown_device(void **state)
{
	static const char *const unknown[] = {
		"cfg000b82ffffff.xml",
		"cfg000B82FFFFFF.xml",
		"cfg000b82ffffff",
		"cfg000b82ffffff.bin",
		"gs_cfg000b82ffffff.xml_cfg002",
		"old_cfg000b82ffffff",
		"Config0080F0C8C3FF.cfg",
		"Config0080f0c8c3ff.enc",
		"ConfigCom-0080F0C8C3FF.enc",
		"ConfigKX-HDV130N-0080F0C8C3FF.enc",
		"ConfigNOPE-0080F0C8C3FF.enc",
		/* the MAC of a Panasonic device in a Grandstream name: still a device name */
		"cfg0080f0c8c3ff.xml",
	};
	static const char *const not_counted[] = {
		/* known MACs (whether or not the file exists) */
		"cfg000b82123456.xml",
		"cfg000b82123456.bin",
		"Config0080F0C8C381.enc",
		"ConfigCom-0080F0C8C381.enc",
		"ConfigKX-HDV130N-0080F0C8C381.enc",
		/* not the shape of a device name */
		"cfg.xml",
		"cfggxp2170.xml",
		"ConfigCom.cfg",
		"KX-HDV130N.cfg",
		"cfg000b82ffff.xml",
		"cfg000b82fffffg.xml",
		"Config0080F0C8C3FF.txt",
		"Config0080F0C8C3FF.cfg.bak",
		"xConfig0080F0C8C3FF.cfg",
		"cfg000b82ffffff.xml/x",
		"cfg000b82ffffff.xml x",
		"",
		"index.html",
		"../cfg000b82ffffff.xml",
	};
	struct tree *t = load_ok(inventory);
	struct file_ref ref;
	char name[FILE_NAME_MAX + 64];

	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(file_resolve(t, unknown[i], &ref), -ENOENT);
		if (!file_unknown_device(t, unknown[i]))
			fail_msg("not counted: %s", unknown[i]);
	}
	for (size_t i = 0; i < sizeof(not_counted) / sizeof(not_counted[0]); i++)
		if (file_unknown_device(t, not_counted[i]))
			fail_msg("counted: %s", not_counted[i]);
	/* a prefix or postfix longer than the resolver accepts is not a device name */
	memset(name, 'p', 65);
	snprintf(name + 65, sizeof(name) - 65, "cfg000b82ffffff.xml");
	assert_false(file_unknown_device(t, name));
	snprintf(name + 64, sizeof(name) - 64, "cfg000b82ffffff.xml");
	assert_true(file_unknown_device(t, name));
	snprintf(name, sizeof(name), "cfg000b82ffffff.xml%065d", 0);
	assert_false(file_unknown_device(t, name));
	tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format_and_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_complete_is_coverage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flusher_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_device, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
