/*
 * test_audit.c - the audit (SPEC §4 "Audit", §1 provctl status): the fetch record's line
 * (state/fetch.h) written and parsed strictly; fetch.log appended, read past damaged and half
 * lines, rotated, refused when a FIFO, symlink or directory takes its place; the table of
 * records; the per-device files of older versions, read only;
 * the audit object (fs/audit.c, compiled in here with a log_msg that records the lines): one
 * line per fetch with name, MAC, generation, bytes and completeness, the pending records
 * appended on flush and by the flusher thread, the sweep warning's clock; and the
 * resolver's test for a device name of an unknown MAC (backend, file_unknown_device).
 */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "backend/files.h"
#include "fs/audit.c" /* the daemon's object, with the log_msg below */
#include "state/fetch.h"

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

/* STATE/fetch.log's path, for a test that writes or reads it by hand. */
static const char *log_file(void)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/" FETCH_LOG, dir);
	return path;
}

/* The state directory holds n files and no temporary file. */
static void files_are(int n)
{
	assert_int_equal(count_entries(dir, false), n);
	assert_int_equal(count_entries(dir, true), 0);
}

static struct fetch_rec rec(uint64_t mac, const char *name, int64_t time, uint64_t bytes,
                            uint64_t size, enum fetch_status status)
{
	struct fetch_rec r;

	memset(&r, 0, sizeof(r));
	r.mac = mac;
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.time = time;
	r.generation = 3;
	r.bytes = bytes;
	r.size = size;
	r.status = status;
	return r;
}

static void rec_equal(const struct fetch_rec *a, const struct fetch_rec *b)
{
	assert_int_equal(a->mac, b->mac);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->time, b->time);
	assert_int_equal(a->generation, b->generation);
	assert_int_equal(a->bytes, b->bytes);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->status, b->status);
}

/* ---- the line format of fetch.log -------------------------------------------------------- */

static const char three_lines[] = "1700000000 000B82123456 cfg000b82123456 3 0 731 partial\n"
                                  "1700000123 000B82123456 cfg000b82123456.xml 3 4128 4128 "
                                  "complete\n"
                                  "1700000124 0080F0C8C381 Config0080F0C8C381.cfg 3 0 528 "
                                  "cached\n";

static const char largest[] = "9223372036854775807 FFFFFFFFFFFF x 18446744073709551615 "
                              "18446744073709551615 18446744073709551615 partial";

static void test_format_and_parse(void **state)
{
	const struct fetch_rec r[] = {
		rec(MAC_A, "cfg000b82123456", 1700000000, 0, 731, FETCH_PARTIAL),
		rec(MAC_A, "cfg000b82123456.xml", 1700000123, 4128, 4128, FETCH_COMPLETE),
		rec(MAC_B, "Config0080F0C8C381.cfg", 1700000124, 0, 528, FETCH_CACHED),
	};
	const char *p = three_lines;
	struct fetch_rec back;
	struct buf b;

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(fetch_format(&r[i], &b), 0);
	assert_int_equal(b.len, strlen(three_lines));
	assert_memory_equal(b.data, three_lines, b.len);
	for (size_t i = 0; i < 3; i++) {
		const char *nl = strchr(p, '\n');

		assert_int_equal(fetch_parse(p, (size_t)(nl - p), &back), 0);
		rec_equal(&back, &r[i]);
		p = nl + 1;
	}
	assert_int_equal(fetch_parse(largest, strlen(largest), &back), 0);
	assert_int_equal(back.bytes, UINT64_MAX);
	assert_int_equal(back.time, INT64_MAX);
	assert_int_equal(back.mac, 0xffffffffffffULL);
	assert_string_equal(fetch_status_word(FETCH_CACHED), "cached");
	buf_free(&b);
}

/* What the format cannot carry is refused, before anything is written. */
static void test_format_refuses(void **state)
{
	struct fetch_rec r[] = {
		rec(MAC_A, "c d", 1, 1, 1, FETCH_COMPLETE), /* a space */
		rec(MAC_A, "", 1, 1, 1, FETCH_COMPLETE),
		rec(MAC_A, "c/d", 1, 1, 1, FETCH_COMPLETE),
		rec(MAC_A, "c", -1, 1, 1, FETCH_COMPLETE),
		rec(1ULL << 48, "c", 1, 1, 1, FETCH_COMPLETE), /* not a MAC */
		rec(MAC_A, "c", 1, 1, 1, (enum fetch_status)7),
	};
	struct buf b;

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		assert_int_equal(fetch_format(&r[i], &b), -EINVAL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"1 000B82123456 cfg 3 1 2",            /* a field missing */
		"1 000B82123456 cfg 3 1 2 3 complete", /* one too many */
		"1 000B82123456 cfg 3 1 2 complete ",  /* trailing space */
		" 1 000B82123456 cfg 3 1 2 complete",  /* leading space */
		"1  000B82123456 cfg 3 1 2 complete",  /* two spaces */
		"1 000B82123456 cfg 3 1 2 complete\r", /* CRLF */
		"1 000B82123456 cfg 3 1 2 done",       /* not a status word */
		"1 000B82123456 cfg 3 1 2 Complete",
		"1 000b82123456 cfg 3 1 2 complete", /* lower-case MAC */
		"1 000B8212345 cfg 3 1 2 complete",  /* 11 digits */
		"1 000B8212345G cfg 3 1 2 complete",
		"1 00:0B:82:12:34:56 cfg 3 1 2 complete",
		"01 000B82123456 cfg 3 1 2 complete", /* leading zero */
		"+1 000B82123456 cfg 3 1 2 complete", /* sign */
		"-1 000B82123456 cfg 3 1 2 complete",
		"1 000B82123456 cfg 3 0x1 2 complete",
		"1 000B82123456 cfg 3 1 18446744073709551616 complete", /* > UINT64_MAX */
		"9223372036854775808 000B82123456 cfg 3 1 2 complete",  /* time > INT64_MAX */
		"1 000B82123456 cf/g 3 1 2 complete",                   /* not the name alphabet */
		"1 000B82123456 .. 3 1 2 complete",
		"1 000B82123456 cf\tg 3 1 2 complete",
	};
	static const char with_nul[] = "1 000B82123456 cfg\0 3 1 2 complete";
	char big[FETCH_LINE_MAX + 64], name[FILE_NAME_MAX + 2];
	struct fetch_rec r;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.size = 5;
		if (fetch_parse(bad[i], strlen(bad[i]), &r) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_int_equal(r.size, 0);
	}
	assert_int_equal(fetch_parse(with_nul, sizeof(with_nul) - 1, &r), -EINVAL);
	/* a name one longer than FILE_NAME_MAX; then the longest one */
	memset(name, 'a', FILE_NAME_MAX + 1);
	name[FILE_NAME_MAX + 1] = '\0';
	n = snprintf(big, sizeof(big), "1 000B82123456 %s 3 1 2 complete", name);
	assert_int_equal(fetch_parse(big, (size_t)n, &r), -EINVAL);
	n = snprintf(big, sizeof(big), "1 000B82123456 %s 3 1 2 complete", name + 1);
	assert_int_equal(fetch_parse(big, (size_t)n, &r), 0);
}

/* ---- fetch.log on disk -------------------------------------------------------------------- */

struct collected {
	struct fetch_rec r[64];
	size_t n;
};

static void collect(void *ctx, const struct fetch_rec *r)
{
	struct collected *c = ctx;

	assert_true(c->n < 64);
	c->r[c->n++] = *r;
}

static void read_log(const char *name, struct collected *c, size_t *damaged)
{
	c->n = 0;
	*damaged = 0;
	assert_int_equal(fetch_read(&st, name, collect, c, damaged), 0);
}

static void append_text(const char *text)
{
	assert_int_equal(fetch_append(&st, text, strlen(text), FETCH_LOG_CAP), 0);
}

static void test_append_read(void **state)
{
	struct collected c = { .n = 0 };
	size_t damaged;
	struct stat sb;
	char text[1024];

	(void)state;
	assert_int_equal(fetch_read(&st, FETCH_LOG, collect, &c, &damaged), -ENOENT);
	append_text(three_lines);
	append_text("1700000200 000B82123456 cfg000b82123456 4 731 731 complete\n");
	assert_int_equal(fstatat(st.dirfd, FETCH_LOG, &sb, 0), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 4);
	assert_int_equal(damaged, 0);
	assert_string_equal(c.r[3].name, "cfg000b82123456");
	assert_int_equal(c.r[3].generation, 4);
	files_are(1);
	/* damaged lines are skipped one by one; the rest is read */
	write_file(dir, FETCH_LOG,
	           "1700000000 000B82123456 cfg000b82123456 3 0 731 partial\n"
	           "garbage\n"
	           "\n"
	           "1700000001 000B82123456 cfg000b82123456 3 0 731 parti\xff\n"
	           "1700000002 0080F0C8C381 Config0080F0C8C381.cfg 3 0 528 cached\n"
	           "1700000003 0080F0C8C381 Config0080F0C8C381.cfg 3 0 5"); /* a crash */
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 2);
	assert_int_equal(damaged, 4);
	assert_int_equal(c.r[1].status, FETCH_CACHED);
	/* the next append starts on a new line: nothing of it is lost to the half line */
	append_text("1700000004 0080F0C8C381 Config0080F0C8C381.cfg 3 528 528 complete\n");
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 3);
	assert_int_equal(damaged, 4); /* the half line, now ended, is still damaged */
	assert_int_equal(c.r[2].time, 1700000004);
	read_text_file(dir, FETCH_LOG, text, sizeof(text));
	assert_non_null(strstr(text, " 3 0 5\n1700000004 "));
}

/* A line longer than any record (a NUL, a huge line) costs that line only. */
static void test_read_huge_line(void **state)
{
	static char big[3 * 65536];
	struct collected c = { .n = 0 };
	size_t damaged, n;
	FILE *f;

	(void)state;
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	f = fopen(log_file(), "w");
	assert_non_null(f);
	fputs("1700000000 000B82123456 cfg000b82123456 3 0 731 partial\n", f);
	fwrite(big, 1, sizeof(big), f);
	n = fwrite("1 000B82123456 c\0 3 1 2 complete\n", 1, 33, f);
	assert_int_equal(n, 33);
	fputs("1700000001 000B82123456 cfg000b82123456 3 731 731 complete\n", f);
	fclose(f);
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 2);
	assert_int_equal(damaged, 2);
	assert_int_equal(c.r[1].status, FETCH_COMPLETE);
}

/* Past the cap, fetch.log becomes fetch.log.1 (replacing it) and a new one begins. */
static void test_rotation(void **state)
{
	const char *line = "1700000000 000B82123456 cfg000b82123456 3 0 731 partial\n";
	size_t len = strlen(line), damaged;
	struct collected c = { .n = 0 };
	struct stat sb;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(fetch_append(&st, line, len, 3 * len), 0);
	assert_int_equal(fstatat(st.dirfd, FETCH_LOG_OLD, &sb, 0), -1);
	/* the fourth would pass 3 lines: rotate first */
	assert_int_equal(fetch_append(&st, "1 0080F0C8C381 a 1 1 1 complete\n", 32, 3 * len), 0);
	read_log(FETCH_LOG_OLD, &c, &damaged);
	assert_int_equal(c.n, 3);
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.r[0].mac, MAC_B);
	assert_int_equal(fstatat(st.dirfd, FETCH_LOG_OLD, &sb, 0), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* the next rotation replaces fetch.log.1: two files at most */
	for (int i = 0; i < 3; i++)
		assert_int_equal(fetch_append(&st, line, len, 3 * len), 0);
	read_log(FETCH_LOG_OLD, &c, &damaged);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.r[0].mac, MAC_B);
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 1);
	files_are(2);
	/* one append larger than the cap still goes in whole, into a fresh file */
	assert_int_equal(fetch_append(&st, line, len, 1), 0);
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 1);
}

/* A FIFO, a symlink or a directory in fetch.log's place: refused at once, never followed. */
static void test_append_refuses(void **state)
{
	char path[128], target[128];
	const char *line = "1 000B82123456 a 1 1 1 complete\n";
	struct collected c = { .n = 0 };
	size_t damaged = 0;
	struct stat sb;

	(void)state;
	snprintf(path, sizeof(path), "%s/" FETCH_LOG, dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(fetch_append(&st, line, strlen(line), FETCH_LOG_CAP), -EINVAL);
	assert_int_equal(fetch_read(&st, FETCH_LOG, collect, &c, &damaged), -EINVAL);
	unlink(path);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	write_file(dir, "elsewhere", "");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(fetch_append(&st, line, strlen(line), FETCH_LOG_CAP), -ELOOP);
	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_size, 0); /* nothing written through the link */
	assert_int_equal(fetch_read(&st, FETCH_LOG, collect, &c, &damaged), -ELOOP);
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(fetch_append(&st, line, strlen(line), FETCH_LOG_CAP), -EISDIR);
	rmdir(path);
}

static void test_table(void **state)
{
	struct fetch_table t = { 0 };
	char name[32];
	long at;

	(void)state;
	assert_int_equal(fetch_table_at(&t, MAC_A, "m"), 0);
	assert_int_equal(fetch_table_at(&t, MAC_B, "m"), 1);
	assert_int_equal(fetch_table_at(&t, MAC_A, "m"), 0);
	assert_int_equal(t.v[1].mac, MAC_B);
	assert_string_equal(t.v[1].name, "m");
	for (int i = 0; i < 1000; i++) { /* the index grows on the way */
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(fetch_table_at(&t, MAC_A, name), i + 2);
	}
	at = fetch_table_at(&t, MAC_A, "n999");
	assert_int_equal(at, 1001);
	assert_int_equal(t.n, 1002);
	fetch_table_clear(&t);
	assert_int_equal(t.n, 0);
	assert_int_equal(fetch_table_at(&t, MAC_B, "m"), 0);
	fetch_table_free(&t);
}

/* ---- fetch-<MAC> of older versions: read, never written ---------------------------------- */

static void test_legacy(void **state)
{
	static const char *const bad[] = {
		"",
		"provfs-fetch 1",
		"provfs-fetch 2\n",
		"Provfs-fetch 1\n",
		"provfs-fetch 1\ncfg 1 2 3 complete",     /* no final newline */
		"provfs-fetch 1\ncfg 1 2 3 complete\r\n", /* CRLF */
		"provfs-fetch 1\ncfg 1 2 3 complete\n\n", /* an empty line */
		"provfs-fetch 1\ncfg  1 2 3 complete\n",  /* two spaces */
		"provfs-fetch 1\ncfg 1 2 complete\n",     /* a field missing */
		"provfs-fetch 1\ncfg 1 2 3 cached\n",     /* not a word of that format */
		"provfs-fetch 1\ncfg 01 2 3 complete\n",  /* leading zero */
		"provfs-fetch 1\ncf/g 1 2 3 complete\n",
		"provfs-fetch 1\nb 1 2 3 complete\na 1 2 3 complete\n", /* not sorted */
	};
	static const char two[] = "provfs-fetch 1\n"
	                          "cfg000b82123456 1700000000 0 731 partial\n"
	                          "cfg000b82123456.xml 1700000123 4128 4128 complete\n";
	struct fetch_set s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.n = 5;
		if (fetch_legacy_parse(bad[i], strlen(bad[i]), MAC_A, &s) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_int_equal(s.n, 0);
	}
	assert_int_equal(fetch_legacy_load(&st, MAC_A, &s), -ENOENT);
	write_file(dir, "fetch-000B82123456", two);
	assert_int_equal(fetch_legacy_load(&st, MAC_A, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.rec[1].mac, MAC_A);
	assert_int_equal(s.rec[1].time, 1700000123);
	assert_int_equal(s.rec[1].status, FETCH_COMPLETE);
	assert_int_equal(s.rec[0].status, FETCH_PARTIAL);
}

/* ---- the audit object -------------------------------------------------------------------- */

/* A reader that read bytes 0..bytes of a file of `size` in one go. */
static void fetch(struct audit *a, const char *name, uint64_t mac, uint64_t bytes, uint64_t size)
{
	struct audit_progress p;
	const struct audit_fetch f = { name, mac, 7, size, &p, true };

	audit_progress_init(&p);
	audit_progress_read(&p, 0, bytes);
	audit_fetch(a, &f);
}

/*
 * "complete" means bytes 0..size covered, not as many bytes read as the size: a reader that
 * read the first 512 bytes twice, or the end before the start, did not get the whole file;
 * one whose reads overlap or come in pieces did. Without audit=exact, what provfs did not see
 * whole is "cached".
 */
static void test_audit_complete_is_coverage(void **state)
{
	struct audit_progress p;
	struct audit *a;
	struct audit_fetch f = { "cfg000b82123456.xml", MAC_A, 7, 1000, &p, true };

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
	f.exact = false;
	audit_fetch(a, &f);
	assert_non_null(strstr(logged, "bytes=1024 size=1000 cached\n"));
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

/* One line per fetch; on flush the pending records go to fetch.log, after what it held. */
static void test_audit_flush(void **state)
{
	struct collected c = { .n = 0 };
	struct audit *a;
	size_t damaged;
	time_t before = time(NULL);

	(void)state;
	append_text("1600000000 000B82123456 cfg000b82123456 1 731 731 complete\n");
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
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 1); /* nothing written yet */
	audit_free(a);
	assert_int_equal(nlogged, 3);
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 3);
	assert_int_equal(damaged, 0);
	assert_int_equal(c.r[0].time, 1600000000); /* kept */
	assert_string_equal(c.r[1].name, "cfg000b82123456.xml");
	assert_int_equal(c.r[1].mac, MAC_A);
	assert_true(c.r[1].time >= before && c.r[1].time <= time(NULL));
	assert_int_equal(c.r[1].bytes, 4128);
	assert_int_equal(c.r[1].generation, 7);
	assert_int_equal(c.r[1].status, FETCH_COMPLETE);
	assert_string_equal(c.r[2].name, "Config0080F0C8C381.cfg");
	assert_int_equal(c.r[2].status, FETCH_PARTIAL);
	files_are(1);
}

/* Many devices in one flush (a storm): one file, one line each, no file per device. */
static void test_audit_many(void **state)
{
	struct audit *a;
	char name[32], text[256];
	size_t lines = 0;
	FILE *f;

	(void)state;
	assert_int_equal(audit_new(&st, &a), 0);
	for (uint64_t i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "cfg000b82%06llx.xml", (unsigned long long)i);
		fetch(a, name, 0x000b82000000ULL + i, 10, 10);
		fetch(a, name, 0x000b82000000ULL + i, 10, 10);
	}
	assert_int_equal(a->cur.n, 1000);
	audit_free(a);
	files_are(1);
	f = fopen(log_file(), "r");
	assert_non_null(f);
	while (fgets(text, sizeof(text), f) != NULL)
		lines++;
	fclose(f);
	assert_int_equal(lines, 1000);
	assert_non_null(strstr(text, " 000B820003E7 cfg000b820003e7.xml 7 10 10 complete\n"));
}

/* The flusher writes within about a second, without being asked. */
static void test_flusher_thread(void **state)
{
	struct collected c = { .n = 0 };
	struct audit *a;
	size_t damaged = 0;
	int tries = 0;

	(void)state;
	assert_int_equal(audit_new(&st, &a), 0);
	assert_int_equal(audit_start(a), 0);
	fetch(a, "Config0080F0C8C381.cfg", MAC_B, 528, 528);
	c.n = 0;
	while ((fetch_read(&st, FETCH_LOG, collect, &c, &damaged) != 0 || c.n == 0) &&
	       tries++ < 60) {
		c.n = 0;
		usleep(50000);
	}
	assert_int_equal(c.n, 1);
	fetch(a, "Config0080F0C8C381.enc", MAC_B, 1, 2);
	audit_free(a); /* the last one goes out on stop */
	read_log(FETCH_LOG, &c, &damaged);
	assert_int_equal(c.n, 2);
	assert_null(strstr(logged, "unknown MACs"));
}

/* A FIFO in fetch.log's place: the flusher never blocks on it and says so once. */
static void test_audit_fifo(void **state)
{
	char path[128];
	struct audit *a;

	(void)state;
	snprintf(path, sizeof(path), "%s/" FETCH_LOG, dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(audit_new(&st, &a), 0);
	for (int round = 0; round < 3; round++) {
		fetch(a, "cfg000b82123456.xml", MAC_A, 10, 10);
		flush(a, &a->cur);
	}
	assert_int_equal(nlogged, 4); /* 3 fetch lines, 1 warning */
	assert_non_null(strstr(logged, "cannot append 1 fetch record to "));
	assert_non_null(strstr(logged, "not a regular file (a FIFO, a socket or a device?)"));
	unlink(path);
	fetch(a, "cfg000b82123456.xml", MAC_A, 10, 10);
	flush(a, &a->cur);
	assert_non_null(strstr(logged, "fetch records are written to "));
	audit_free(a);
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
		cmocka_unit_test_setup_teardown(test_append_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_huge_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_complete_is_coverage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flusher_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_device, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
