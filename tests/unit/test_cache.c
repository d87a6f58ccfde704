/*
 * test_cache.c - a generation's files and their versions across reloads (fs/cache.h): a
 * file is rendered once per generation; its node id is its inode number with a version in
 * the top 12 bits; a reload carries every rendered file, keeping version and mtime when the
 * bytes are equal and giving a new version (never the old one) and the new mtime when not;
 * removed files are not carried; unrendered files get the generation's own version.
 */
#include "testutil.h"

#include "backend/buf.h"
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
	struct cache *c = cache_new(old_tree, 4096 + 7);
	uint64_t ino = ino_of(old_tree, "cfg000b82000001.xml");
	const struct cached_file *cf;

	(void)state;
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
	struct cache *prev = cache_new(old_tree, 5), *next = cache_new(new_tree, 6);
	const struct cached_file *p1, *p2, *pg, *n1, *n2, *ng;

	(void)state;
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
	struct cache *prev = cache_new(old_tree, 5), *next = cache_new(new_tree, 4096 + 5);
	const struct cached_file *p1, *n1;

	(void)state;
	p1 = get(prev, old_tree, "cfg000b82000001.xml");
	assert_int_equal(cache_carry(next, new_tree, prev, old_tree), 1);
	n1 = cache_peek(next, p1->nodeid & CACHE_INO_MASK);
	assert_non_null(n1);
	assert_true(n1->nodeid != p1->nodeid);
	assert_int_equal(VERSION(n1->nodeid), 6);
	cache_free(next);
	cache_free(prev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_renders_once_with_the_generation_version),
		cmocka_unit_test(test_cache_carry_keeps_equal_bytes_and_renews_changed),
		cmocka_unit_test(test_cache_carry_never_reuses_the_old_version),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
