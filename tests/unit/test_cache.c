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
 * Memory (issue 11): the digest, not a second copy of the bytes, decides "same bytes" (a change
 * that keeps the size still counts); retained bytes stay within the budget; a drop lets go of
 * them, later reads render the same bytes again, checked against the digest (a mismatch is
 * EIO, never other bytes); a reader's bytes outlive a drop and the whole generation; every
 * reference is given back (ASan's leak check in the asan build).
 */
#include "testutil.h"

#include "backend/buf.h"
#include "backend/gs_files.h"

/* the wall clock cache.c reads, under the test's control */
static time_t fake_now;
#define CACHE_NOW() fake_now

#include "fs/cache.c" /* the daemon's object */
#include "inventory/mac.h"

#include <openssl/sha.h>

#define BUDGET ((size_t)1 << 20) /* retains every file of these small trees */

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

/* content is exactly what file_render gives for name in t */
static void assert_bytes(const struct content *content, const struct tree *t, const char *name)
{
	const struct file_ref ref = ref_of(t, name);
	struct buf b;

	buf_init(&b);
	assert_int_equal(file_render(t, &ref, false, &b), 0);
	assert_non_null(content);
	assert_int_equal(content->len, b.len);
	assert_memory_equal(content->data, b.data, b.len);
	buf_free(&b);
}

/* The bytes of cf (of cache c, tree t), with a reference the caller puts. */
static struct content *bytes_of(struct cache *c, const struct tree *t, const char *name,
                                const struct cached_file *cf)
{
	const struct file_ref ref = ref_of(t, name);
	struct content *content = NULL;

	assert_int_equal(cache_content(c, t, &ref, cf, &content), 0);
	assert_non_null(content);
	return content;
}

/* cf's size and digest are those of what file_render gives, and so are its bytes */
static void assert_rendered(struct cache *c, const struct cached_file *cf, const struct tree *t,
                            const char *name)
{
	const struct file_ref ref = ref_of(t, name);
	uint8_t md[SHA256_DIGEST_LENGTH];
	struct content *content;
	struct buf b;

	buf_init(&b);
	assert_int_equal(file_render(t, &ref, false, &b), 0);
	assert_int_equal(cf->size, b.len);
	SHA256(b.data, b.len, md);
	assert_memory_equal(cf->digest, md, CACHE_DIGEST_LEN);
	buf_free(&b);
	content = bytes_of(c, t, name, cf);
	assert_bytes(content, t, name);
	content_put(content);
}

static unsigned refs_of(const struct content *content)
{
	return atomic_load(&content->refs);
}

/* The bytes c retains for cf, or NULL (no reference taken). */
static const struct content *retained_of(const struct cached_file *cf)
{
	return entry_of(cf)->content;
}

static void test_cache_renders_once_with_the_generation_version(void **state)
{
	struct cache *c;
	uint64_t ino = ino_of(old_tree, "cfg000b82000001.xml");
	const struct cached_file *cf;

	(void)state;
	fake_now = 1000;
	c = cache_new(old_tree, 4096 + 7, BUDGET);
	assert_null(cache_peek(c, ino));
	/* the node id a lookup will give, before it renders */
	assert_true(cache_nodeid(c, ino) == (ino | UINT64_C(7) << FILE_INO_BITS));
	cf = get(c, old_tree, "cfg000b82000001.xml");
	assert_true(cf->nodeid == (ino | UINT64_C(7) << FILE_INO_BITS));
	assert_true((cf->nodeid & CACHE_INO_MASK) == ino);
	assert_int_equal(cf->mtime, 1000);
	assert_rendered(c, cf, old_tree, "cfg000b82000001.xml");
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
	prev = cache_new(old_tree, 5, BUDGET);
	fake_now = 2000;
	next = cache_new(new_tree, 6, BUDGET);
	p1 = get(prev, old_tree, "cfg000b82000001.xml");
	p2 = get(prev, old_tree, "cfg000b82000002.xml");
	pg = get(prev, old_tree, "cfg.xml");
	(void)get(prev, old_tree, "cfg000b82000004.xml");

	assert_int_equal(cache_carry(next, new_tree, prev, old_tree), 1); /* device 1 only */

	n1 = cache_peek(next, ino_of(new_tree, "cfg000b82000001.xml"));
	assert_non_null(n1);
	assert_rendered(next, n1, new_tree, "cfg000b82000001.xml");
	assert_true((n1->nodeid & CACHE_INO_MASK) == (p1->nodeid & CACHE_INO_MASK));
	assert_int_equal(VERSION(n1->nodeid), 6);
	assert_int_equal(n1->mtime, 2000);

	n2 = cache_peek(next, ino_of(new_tree, "cfg000b82000002.xml"));
	assert_non_null(n2);
	assert_true(n2->nodeid == p2->nodeid);
	assert_int_equal(n2->mtime, 1000);
	assert_rendered(next, n2, new_tree, "cfg000b82000002.xml");
	ng = cache_peek(next, ino_of(new_tree, "cfg.xml"));
	assert_non_null(ng);
	assert_true(ng->nodeid == pg->nodeid);

	/* removed: not carried; added and never rendered: the new generation's version */
	assert_null(cache_peek(next, file_kind_slot(&vendor_grandstream, GS_XML) |
	                                 UINT64_C(0x000b82000004)));
	assert_null(cache_peek(next, ino_of(new_tree, "cfg000b82000003.xml")));
	assert_int_equal(VERSION(get(next, new_tree, "cfg000b82000003.xml")->nodeid), 6);

	/* and once more: nothing changes, everything keeps its node id and mtime */
	{
		struct cache *again = cache_new(new_tree, 7, BUDGET);

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
	prev = cache_new(old_tree, 5, BUDGET);
	next = cache_new(new_tree, 4096 + 5, BUDGET);
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
	next = cache_new(to, generation, BUDGET);
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
	g[0] = cache_new(old_tree, 1, BUDGET);
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
	g[0] = cache_new(old_tree, 1, BUDGET);
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

/* ---- memory (issue 11): digests, retained bytes, drops, readers' references ---------------- */

/*
 * The old generation need not hold its bytes for a reload to tell equal from changed: prev
 * retains nothing, yet device 2 keeps its node id and device 1 (other bytes of the same size:
 * user 1001 became 1009) gets a new one. And the digest alone decides: with device 2's digest
 * altered, it counts as changed.
 */
static void test_cache_carry_compares_digests_without_old_bytes(void **state)
{
	struct cache *prev, *next, *again;
	const struct cached_file *p1, *p2, *n1, *n2;

	(void)state;
	fake_now = 1000;
	prev = cache_new(old_tree, 5, 0);
	p1 = get(prev, old_tree, "cfg000b82000001.xml");
	p2 = get(prev, old_tree, "cfg000b82000002.xml");
	assert_null(retained_of(p1));
	assert_null(retained_of(p2));
	assert_int_equal(cache_retained(prev), 0);
	next = cache_new(new_tree, 6, BUDGET);
	assert_int_equal(cache_carry(next, new_tree, prev, old_tree), 1);
	n1 = cache_peek(next, p1->nodeid & CACHE_INO_MASK);
	n2 = cache_peek(next, p2->nodeid & CACHE_INO_MASK);
	assert_non_null(n1);
	assert_non_null(n2);
	assert_int_equal(n1->size, p1->size);  /* the same size ... */
	assert_true(n1->nodeid != p1->nodeid); /* ... other bytes: a new version */
	assert_memory_not_equal(n1->digest, p1->digest, CACHE_DIGEST_LEN);
	assert_true(n2->nodeid == p2->nodeid);
	assert_memory_equal(n2->digest, p2->digest, CACHE_DIGEST_LEN);
	/* the carried bytes are retained in next, as the budget allows */
	assert_non_null(retained_of(n1));
	assert_bytes(retained_of(n1), new_tree, "cfg000b82000001.xml");

	entry_of(p2)->file.digest[3] ^= 0x40;
	again = cache_new(new_tree, 6, BUDGET);
	assert_int_equal(cache_carry(again, new_tree, prev, old_tree), 2);
	assert_true(cache_peek(again, p2->nodeid & CACHE_INO_MASK)->nodeid != p2->nodeid);
	entry_of(p2)->file.digest[3] ^= 0x40;
	cache_free(again);
	cache_free(next);
	cache_free(prev);
}

/*
 * A drop lets go of the retained bytes (a reader keeps its own), nothing is retained until
 * cache_keep, and the bytes rendered again meanwhile are the same.
 */
static void test_cache_drop_renders_the_same_bytes_again(void **state)
{
	const char *name = "cfg000b82000001.xml";
	struct content *reader, *again, *third;
	const struct cached_file *cf;
	struct cache *c;

	(void)state;
	c = cache_new(old_tree, 1, BUDGET);
	cf = get(c, old_tree, name);
	assert_non_null(retained_of(cf));
	assert_int_equal(refs_of(retained_of(cf)), 1); /* the cache's */
	assert_int_equal(cache_retained(c), sizeof(struct content) + cf->size);

	reader = bytes_of(c, old_tree, name, cf);
	assert_ptr_equal(reader, retained_of(cf)); /* not rendered again */
	assert_int_equal(refs_of(reader), 2);

	assert_int_equal(cache_drop(c), sizeof(struct content) + cf->size);
	assert_null(retained_of(cf));
	assert_int_equal(cache_retained(c), 0);
	assert_int_equal(refs_of(reader), 1); /* the reader's only */
	assert_bytes(reader, old_tree, name);

	again = bytes_of(c, old_tree, name, cf);
	assert_ptr_not_equal(again, reader);
	assert_bytes(again, old_tree, name);
	assert_int_equal(refs_of(again), 1);
	assert_null(retained_of(cf)); /* dropped caches retain nothing ... */
	assert_int_equal(cache_retained(c), 0);
	/* ... and a file first looked up after the drop is rendered, sized, not retained */
	assert_null(retained_of(get(c, old_tree, "cfg000b82000002.xml")));

	cache_keep(c);
	third = bytes_of(c, old_tree, name, cf);
	assert_ptr_equal(third, retained_of(cf));
	assert_int_equal(refs_of(third), 2);
	assert_bytes(third, old_tree, name);

	content_put(reader);
	content_put(again);
	content_put(third);
	assert_int_equal(refs_of(retained_of(cf)), 1);
	cache_free(c); /* the last reference: ASan would report a leak or a double free */
}

/* A reader's bytes outlive a drop, a reload and the generation's cache itself. */
static void test_cache_reader_bytes_outlive_drop_reload_and_cache(void **state)
{
	const char *name = "cfg000b82000001.xml";
	const struct cached_file *cf;
	struct content *reader;
	struct cache *prev, *next;

	(void)state;
	fake_now = 1000;
	prev = cache_new(old_tree, 1, BUDGET);
	cf = get(prev, old_tree, name);
	reader = bytes_of(prev, old_tree, name, cf);
	(void)cache_drop(prev);
	next = reload(prev, old_tree, new_tree, 2, 2000);
	cache_free(prev);
	assert_int_equal(refs_of(reader), 1);
	assert_bytes(reader, old_tree, name); /* the old bytes, whole */
	content_put(reader);
	cache_free(next);
}

/* Retained bytes stay within the budget; beyond it, every read gets bytes of its own. */
static void test_cache_retains_within_the_budget(void **state)
{
	const char *one = "cfg000b82000001.xml", *two = "cfg000b82000002.xml";
	struct content *a, *b;
	const struct cached_file *cf1, *cf2;
	struct cache *c;
	size_t first;

	(void)state;
	c = cache_new(old_tree, 1, BUDGET);
	first = sizeof(struct content) + get(c, old_tree, one)->size;
	cache_free(c);

	c = cache_new(old_tree, 1, first); /* room for the first file only */
	cf1 = get(c, old_tree, one);
	cf2 = get(c, old_tree, two);
	assert_non_null(retained_of(cf1));
	assert_null(retained_of(cf2));
	assert_int_equal(cache_retained(c), first);
	a = bytes_of(c, old_tree, two, cf2);
	b = bytes_of(c, old_tree, two, cf2);
	assert_ptr_not_equal(a, b);
	assert_int_equal(refs_of(a), 1);
	assert_bytes(a, old_tree, two);
	assert_bytes(b, old_tree, two);
	assert_null(retained_of(cf2));
	content_put(a);
	content_put(b);
	cache_free(c);

	c = cache_new(old_tree, 1, 0); /* retains nothing, serves the same */
	cf1 = get(c, old_tree, one);
	assert_null(retained_of(cf1));
	assert_rendered(c, cf1, old_tree, one);
	assert_int_equal(cache_retained(c), 0);
	cache_free(c);
}

/*
 * Bytes rendered again that are not the ones the size and digest were given for (a key replaced
 * by a reload in progress) are never served: EIO.
 */
static void test_cache_other_bytes_are_eio(void **state)
{
	const char *name = "cfg000b82000001.xml";
	const struct file_ref ref = ref_of(old_tree, name);
	struct content *content = (struct content *)1;
	const struct cached_file *cf;
	struct cache *c;

	(void)state;
	c = cache_new(old_tree, 1, BUDGET);
	cf = get(c, old_tree, name);
	(void)cache_drop(c);
	entry_of(cf)->file.digest[0] ^= 1;
	assert_int_equal(cache_content(c, old_tree, &ref, cf, &content), -EIO);
	assert_null(content);
	entry_of(cf)->file.digest[0] ^= 1;
	entry_of(cf)->file.size++;
	assert_int_equal(cache_content(c, old_tree, &ref, cf, &content), -EIO);
	entry_of(cf)->file.size--;
	assert_int_equal(cache_content(c, old_tree, &ref, cf, &content), 0);
	assert_bytes(content, old_tree, name);
	content_put(content);
	cache_free(c);
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
		cmocka_unit_test_setup(test_cache_carry_compares_digests_without_old_bytes,
		                       inventory_mtimes),
		cmocka_unit_test_setup(test_cache_drop_renders_the_same_bytes_again,
		                       inventory_mtimes),
		cmocka_unit_test_setup(test_cache_reader_bytes_outlive_drop_reload_and_cache,
		                       inventory_mtimes),
		cmocka_unit_test_setup(test_cache_retains_within_the_budget, inventory_mtimes),
		cmocka_unit_test_setup(test_cache_other_bytes_are_eio, inventory_mtimes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
