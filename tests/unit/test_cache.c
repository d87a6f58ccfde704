/*
 * test_cache.c - a generation's files and their versions across reloads (fs/cache.h): a
 * file is rendered once per generation; its node id is its inode number with a version in
 * the top 12 bits; a reload carries every rendered file, keeping version and mtime when the
 * bytes are equal and giving a new version (never the old one) and the new mtime when not;
 * removed files are not carried; unrendered files get the generation's own version.
 * Mtimes (issue 10.9): a file's mtime increases strictly whenever its bytes change, also when
 * the inventory's mtime stays or goes backwards, when the clock goes back, and across several
 * reloads within one second; a file removed and added again gets a later one; unchanged bytes
 * keep theirs.
 */
#include "testutil.h"

#include "backend/buf.h"

/* the wall clock cache.c reads, under the test's control */
static time_t fake_now;
#define CACHE_NOW() fake_now

#include "fs/cache.c" /* the daemon's object */
#include "inventory/mac.h"

#define OLD_YAML                                                                                   \
	"version: 1\nserver: {url: http://127.0.0.1/prov}\n"                                       \
	"generic: {settings: {ntp_server: pool.ntp.org}}\n"                                        \
	"models: {GXP2170: {vendor: grandstream, max_lines: 6}}\n"                                 \
	"devices:\n"                                                                               \
	"  00:0b:82:00:00:01: {model: GXP2170, lines: [{user: '1001', password: pw1}]}\n"          \
	"  00:0b:82:00:00:02: {model: GXP2170, lines: [{user: '1002', password: pw2}]}\n"          \
	"  00:0b:82:00:00:04: {model: GXP2170, lines: [{user: '1004', password: pw4}]}\n"

/* device 1 changes its line, 2 stays, 3 is new, 4 is gone; the generic file stays */
#define NEW_YAML                                                                                   \
	"version: 1\nserver: {url: http://127.0.0.1/prov}\n"                                       \
	"generic: {settings: {ntp_server: pool.ntp.org}}\n"                                        \
	"models: {GXP2170: {vendor: grandstream, max_lines: 6}}\n"                                 \
	"devices:\n"                                                                               \
	"  00:0b:82:00:00:01: {model: GXP2170, lines: [{user: '1009', password: pw1}]}\n"          \
	"  00:0b:82:00:00:02: {model: GXP2170, lines: [{user: '1002', password: pw2}]}\n"          \
	"  00:0b:82:00:00:03: {model: GXP2170, lines: [{user: '1003', password: pw3}]}\n"

#define VERSION(nodeid) ((nodeid) >> FILE_INO_BITS)

static struct tree *old_tree, *new_tree;

static int setup(void **state)
{
	(void)state;
	old_tree = load_ok(OLD_YAML);
	new_tree = load_ok(NEW_YAML);
	return 0;
}

/* Before each test: the inventories' mtimes (a test that failed may have left others). */
static int inventory_mtimes(void **state)
{
	(void)state;
	old_tree->inv->mtime = 1000;
	new_tree->inv->mtime = 2000;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tree_free(old_tree);
	tree_free(new_tree);
	return 0;
}

static struct file_ref ref_of(const struct tree *t, const char *name)
{
	struct file_ref ref;

	if (file_resolve(t, name, &ref) < 0)
		fail_msg("%s does not resolve", name);
	return ref;
}

static const struct cached_file *get(struct cache *c, const struct tree *t, const char *name)
{
	const struct file_ref ref = ref_of(t, name);
	const struct cached_file *cf = NULL;

	assert_int_equal(cache_get(c, t, &ref, &cf), 0);
	assert_non_null(cf);
	return cf;
}

static uint64_t ino_of(const struct tree *t, const char *name)
{
	const struct file_ref ref = ref_of(t, name);

	return file_ino(t, &ref);
}

/* cf holds exactly what file_render gives for name in t */
static void assert_rendered(const struct cached_file *cf, const struct tree *t, const char *name)
{
	const struct file_ref ref = ref_of(t, name);
	struct buf b;

	buf_init(&b);
	assert_int_equal(file_render(t, &ref, false, &b), 0);
	assert_non_null(cf->content);
	assert_int_equal(cf->size, b.len);
	assert_int_equal(cf->content->len, b.len);
	assert_memory_equal(cf->content->data, b.data, b.len);
	buf_free(&b);
}

static void test_cache_renders_once_with_the_generation_version(void **state)
{
	struct cache *c;
	uint64_t ino = ino_of(old_tree, "cfg000b82000001.xml");
	const struct cached_file *cf;

	(void)state;
	fake_now = 1000;
	c = cache_new(old_tree, 4096 + 7);
	assert_null(cache_peek(c, ino));
	/* the node id a lookup will give, before it renders */
	assert_true(cache_nodeid(c, ino) == (ino | UINT64_C(7) << FILE_INO_BITS));
	cf = get(c, old_tree, "cfg000b82000001.xml");
	assert_true(cf->nodeid == (ino | UINT64_C(7) << FILE_INO_BITS));
	assert_true((cf->nodeid & CACHE_INO_MASK) == ino);
	assert_int_equal(cf->mtime, 1000);
	assert_rendered(cf, old_tree, "cfg000b82000001.xml");
	assert_ptr_equal(get(c, old_tree, "cfg000b82000001.xml"), cf); /* rendered once */
	assert_ptr_equal(cache_peek(c, ino), cf);
	assert_true(cache_nodeid(c, ino) == cf->nodeid);
	cache_free(c);
}

static void test_cache_carry_keeps_equal_bytes_and_renews_changed(void **state)
{
	struct cache *prev, *next;
	const struct cached_file *p1, *p2, *pg, *n1, *n2, *ng;

	(void)state;
	fake_now = 1000;
	prev = cache_new(old_tree, 5);
	fake_now = 2000;
	next = cache_new(new_tree, 6);
	p1 = get(prev, old_tree, "cfg000b82000001.xml");
	p2 = get(prev, old_tree, "cfg000b82000002.xml");
	pg = get(prev, old_tree, "cfg.xml");
	(void)get(prev, old_tree, "cfg000b82000004.xml");

	assert_int_equal(cache_carry(next, new_tree, prev, old_tree), 1); /* device 1 only */

	n1 = cache_peek(next, ino_of(new_tree, "cfg000b82000001.xml"));
	assert_non_null(n1);
	assert_rendered(n1, new_tree, "cfg000b82000001.xml");
	assert_true((n1->nodeid & CACHE_INO_MASK) == (p1->nodeid & CACHE_INO_MASK));
	assert_int_equal(VERSION(n1->nodeid), 6);
	assert_int_equal(n1->mtime, 2000);

	n2 = cache_peek(next, ino_of(new_tree, "cfg000b82000002.xml"));
	assert_non_null(n2);
	assert_true(n2->nodeid == p2->nodeid);
	assert_int_equal(n2->mtime, 1000);
	assert_rendered(n2, new_tree, "cfg000b82000002.xml");
	ng = cache_peek(next, ino_of(new_tree, "cfg.xml"));
	assert_non_null(ng);
	assert_true(ng->nodeid == pg->nodeid);

	/* removed: not carried; added and never rendered: the new generation's version */
	assert_null(cache_peek(next, (uint64_t)FK_GS_XML << 48 | UINT64_C(0x000b82000004)));
	assert_null(cache_peek(next, ino_of(new_tree, "cfg000b82000003.xml")));
	assert_int_equal(VERSION(get(next, new_tree, "cfg000b82000003.xml")->nodeid), 6);

	/* and once more: nothing changes, everything keeps its node id and mtime */
	{
		struct cache *again = cache_new(new_tree, 7);

		assert_int_equal(cache_carry(again, new_tree, next, new_tree), 0);
		assert_true(cache_nodeid(again, n1->nodeid & CACHE_INO_MASK) == n1->nodeid);
		assert_int_equal(cache_peek(again, n1->nodeid & CACHE_INO_MASK)->mtime, 2000);
		assert_true(cache_nodeid(again, n2->nodeid & CACHE_INO_MASK) == n2->nodeid);
		cache_free(again);
	}
	cache_free(next);
	cache_free(prev);
}

static void test_cache_carry_never_reuses_the_old_version(void **state)
{
	/* generation 4096 + 5 has the stamp of generation 5: a changed file must not get it */
	struct cache *prev, *next;
	const struct cached_file *p1, *n1;

	(void)state;
	prev = cache_new(old_tree, 5);
	next = cache_new(new_tree, 4096 + 5);
	p1 = get(prev, old_tree, "cfg000b82000001.xml");
	assert_int_equal(cache_carry(next, new_tree, prev, old_tree), 1);
	n1 = cache_peek(next, p1->nodeid & CACHE_INO_MASK);
	assert_non_null(n1);
	assert_true(n1->nodeid != p1->nodeid);
	assert_int_equal(VERSION(n1->nodeid), 6);
	cache_free(next);
	cache_free(prev);
}

/* A reload from tree `from` (cache prev) to tree `to` at wall-clock time now; the new cache. */
static struct cache *reload(struct cache *prev, const struct tree *from, const struct tree *to,
                            uint64_t generation, time_t now)
{
	struct cache *next;

	fake_now = now;
	next = cache_new(to, generation);
	assert_non_null(next);
	assert_true(cache_carry(next, to, prev, from) >= 0);
	return next;
}

static time_t mtime_of(struct cache *c, const struct tree *t, const char *name)
{
	return get(c, t, name)->mtime;
}

/*
 * Generations 1, 2 and 3 of old_tree, new_tree and old_tree again, built at the wall-clock
 * times t[0..2], with devices 1, 2 and 4 and the generic file looked up in generation 1:
 * device 1 changes at each reload, device 2 and the generic file never do, device 4 goes and
 * comes back.
 */
static void three_generations(const time_t t[3], struct cache *g[3])
{
	static const char *const seen[] = { "cfg000b82000001.xml", "cfg000b82000002.xml",
		                            "cfg000b82000004.xml", "cfg.xml" };

	fake_now = t[0];
	g[0] = cache_new(old_tree, 1);
	for (size_t i = 0; i < sizeof(seen) / sizeof(*seen); i++)
		(void)get(g[0], old_tree, seen[i]);
	g[1] = reload(g[0], old_tree, new_tree, 2, t[1]);
	g[2] = reload(g[1], new_tree, old_tree, 3, t[2]);
}

static void free_generations(struct cache *g[3])
{
	for (int i = 2; i >= 0; i--)
		cache_free(g[i]);
}

/* name's mtime in each of the three generations (both trees have it) */
static void mtimes_of(struct cache *g[3], const char *name, time_t m[3])
{
	m[0] = mtime_of(g[0], old_tree, name);
	m[1] = mtime_of(g[1], new_tree, name);
	m[2] = mtime_of(g[2], old_tree, name);
}

/*
 * Bytes change while the inventory's mtime goes backwards (cp -p, rsync -t, git checkout of
 * older content, the newest file removed from a directory), then while it stays the same: the
 * changed file's mtime increases each time, the unchanged one keeps its own.
 */
static void test_cache_mtime_increases_when_the_inventory_mtime_does_not(void **state)
{
	const time_t t[3] = { 3000, 3100, 3200 };
	struct cache *g[3];
	time_t d[3], u[3];

	(void)state;
	old_tree->inv->mtime = 1000;
	new_tree->inv->mtime = 500; /* backwards */
	fake_now = t[0];
	g[0] = cache_new(old_tree, 1);
	d[0] = mtime_of(g[0], old_tree, "cfg000b82000001.xml");
	u[0] = mtime_of(g[0], old_tree, "cfg000b82000002.xml");
	g[1] = reload(g[0], old_tree, new_tree, 2, t[1]);
	old_tree->inv->mtime = 500; /* the same as the last one */
	g[2] = reload(g[1], new_tree, old_tree, 3, t[2]);
	mtimes_of(g, "cfg000b82000001.xml", d);
	mtimes_of(g, "cfg000b82000002.xml", u);
	assert_true(d[1] > d[0]);
	assert_true(d[2] > d[1]);
	assert_true(u[1] == u[0] && u[2] == u[0]);
	free_generations(g);
}

/* Three generations within one second, each changing the file: three increasing mtimes. */
static void test_cache_mtime_increases_across_reloads_within_one_second(void **state)
{
	const time_t t[3] = { 3000, 3000, 3000 };
	struct cache *g[3];
	time_t d[3], generic[3];

	(void)state;
	three_generations(t, g);
	mtimes_of(g, "cfg000b82000001.xml", d);
	assert_true(d[1] > d[0]);
	assert_true(d[2] > d[1]); /* back to the first bytes: still a later mtime */
	/* the generic file never changed: it keeps the first generation's mtime */
	mtimes_of(g, "cfg.xml", generic);
	assert_true(generic[1] == generic[0] && generic[2] == generic[0]);
	free_generations(g);
}

/* The wall clock goes back (NTP step, a wrong RTC fixed): changed bytes still get a later mtime. */
static void test_cache_mtime_increases_when_the_clock_goes_back(void **state)
{
	const time_t t[3] = { 3000, 1500, 1400 };
	struct cache *g[3];
	time_t d[3];

	(void)state;
	three_generations(t, g);
	mtimes_of(g, "cfg000b82000001.xml", d);
	assert_true(d[1] > d[0]);
	assert_true(d[2] > d[1]);
	/* and a file first rendered after the step is not older than what was served before it */
	assert_true(mtime_of(g[1], new_tree, "cfg000b82000003.xml") > d[0]);
	free_generations(g);
}

/*
 * A file served, removed by a reload and added again with other bytes within one second: it is
 * first rendered anew (nothing carried it), and its mtime must still be later than the one its
 * old bytes were served with.
 */
static void test_cache_mtime_of_a_file_removed_and_added_again(void **state)
{
	const time_t t[3] = { 3000, 3000, 3000 };
	struct cache *g[3];
	time_t gone;

	(void)state;
	three_generations(t, g);
	gone = mtime_of(g[0], old_tree, "cfg000b82000004.xml");
	assert_null(cache_peek(g[1], ino_of(old_tree, "cfg000b82000004.xml")));
	assert_null(cache_peek(g[2], ino_of(old_tree, "cfg000b82000004.xml")));
	assert_true(mtime_of(g[2], old_tree, "cfg000b82000004.xml") > gone);
	free_generations(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cache_renders_once_with_the_generation_version,
		                       inventory_mtimes),
		cmocka_unit_test_setup(test_cache_carry_keeps_equal_bytes_and_renews_changed,
		                       inventory_mtimes),
		cmocka_unit_test_setup(test_cache_carry_never_reuses_the_old_version,
		                       inventory_mtimes),
		cmocka_unit_test_setup(test_cache_mtime_increases_when_the_inventory_mtime_does_not,
		                       inventory_mtimes),
		cmocka_unit_test_setup(test_cache_mtime_increases_across_reloads_within_one_second,
		                       inventory_mtimes),
		cmocka_unit_test_setup(test_cache_mtime_increases_when_the_clock_goes_back,
		                       inventory_mtimes),
		cmocka_unit_test_setup(test_cache_mtime_of_a_file_removed_and_added_again,
		                       inventory_mtimes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
