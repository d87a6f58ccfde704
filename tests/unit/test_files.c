/*
 * test_files.c - the name resolver and inode numbers: exact names, MAC matched in any
 * case, everything else ENOENT; inodes stable and reversible; listings.
 */
#include "testutil.h"

#include "backend/files.h"

static const char inventory[] = "version: 1\n"
                                "server: {url: http://h/p}\n"
                                "models:\n"
                                "  GXP2170: {vendor: grandstream, max_lines: 2}\n"
                                "  KX-HDV130N: {vendor: panasonic, max_lines: 2}\n"
                                "devices:\n"
                                "  000b82123456: {model: GXP2170}\n"
                                "  c074ad0a0b0c: {model: GXP2170}\n"
                                "  0080f0c8c381: {model: KX-HDV130N}\n";

static struct inventory *inv;

static int setup(void **state)
{
	(void)state;
	inv = load_ok(inventory);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	inventory_free(inv);
	return 0;
}

static void test_files_resolve_device_names(void **state)
{
	struct file_ref ref;
	char name[FILE_NAME_MAX + 1];

	(void)state;
	assert_int_equal(file_resolve(inv, "cfg000b82123456.xml", &ref), 0);
	assert_int_equal(ref.kind, FK_GS_XML);
	assert_true(ref.dev->mac == UINT64_C(0x000b82123456));
	/* the MAC part in any letter case */
	assert_int_equal(file_resolve(inv, "cfgC074AD0A0B0C.xml", &ref), 0);
	assert_int_equal(file_resolve(inv, "cfgc074AD0a0b0C.xml", &ref), 0);
	assert_int_equal(file_name(&ref, name, sizeof(name)), 19);
	assert_string_equal(name, "cfgc074ad0a0b0c.xml");
}

static void test_files_everything_else_is_enoent(void **state)
{
	static const char *const names[] = {
		"",
		".",
		"..",
		"cfg",
		"cfg.xml",              /* no generic section */
		"cfg000b82ffffff.xml",  /* unknown MAC */
		"cfg000b8212345.xml",   /* 11 digits */
		"cfg000b821234567.xml", /* 13 digits */
		"cfg000b8212345g.xml",
		"CFG000b82123456.xml", /* only the MAC part ignores case */
		"cfg000b82123456.XML",
		"cfg000b82123456.xml ",
		" cfg000b82123456.xml",
		"cfg000b82123456.xml.bak",
		"cfg000b82123456", /* no binary file for this device */
		"cfg00:0b:82:12:34:56.xml",
		"cfg0080f0c8c381.xml", /* a Panasonic device has no Grandstream file */
		"cfg000b82123456.xml\n",
		"../cfg000b82123456.xml",
		"cfg%30%30%30b82123456.xml",
	};
	struct file_ref ref;
	char longname[300];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (file_resolve(inv, names[i], &ref) != -ENOENT)
			fail_msg("'%s' resolved", names[i]);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(file_resolve(inv, longname, &ref), -ENOENT);
	/* a name with bytes that are not text */
	assert_int_equal(
	    file_resolve(inv, "cfg\xff\xfe\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a.xml", &ref),
	    -ENOENT);
}

static void test_files_inode_round_trip(void **state)
{
	struct file_ref ref, back;
	uint64_t ino;

	(void)state;
	assert_int_equal(file_resolve(inv, "cfg000b82123456.xml", &ref), 0);
	ino = file_ino(&ref);
	assert_true(ino != FILE_INO_ROOT);
	assert_true(ino == ((uint64_t)FK_GS_XML << 48 | UINT64_C(0x000b82123456)));
	assert_int_equal(file_from_ino(inv, ino, &back), 0);
	assert_ptr_equal(back.dev, ref.dev);
	assert_int_equal(back.kind, ref.kind);
	/* unknown device, unknown kind, root, and a Panasonic device under a GS kind */
	assert_int_equal(file_from_ino(inv, (uint64_t)FK_GS_XML << 48 | 0x000b82ffffff, &back),
	                 -ENOENT);
	assert_int_equal(file_from_ino(inv, (uint64_t)0x7fff << 48 | 0x000b82123456, &back),
	                 -ENOENT);
	assert_int_equal(file_from_ino(inv, FILE_INO_ROOT, &back), -ENOENT);
	assert_int_equal(file_from_ino(inv, (uint64_t)FK_GS_XML << 48 | 0x0080f0c8c381, &back),
	                 -ENOENT);
}

static int count(void *ctx, const struct file_ref *ref)
{
	(void)ref;
	(*(int *)ctx)++;
	return 0;
}

static void test_files_listing_hides_device_files_unless_asked(void **state)
{
	int n = 0;

	(void)state;
	assert_int_equal(file_foreach(inv, false, count, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(file_foreach(inv, true, count, &n), 0);
	assert_int_equal(n, 2); /* two Grandstream devices, one file each */
	assert_true(file_names_device(FK_GS_XML));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_resolve_device_names),
		cmocka_unit_test(test_files_everything_else_is_enoent),
		cmocka_unit_test(test_files_inode_round_trip),
		cmocka_unit_test(test_files_listing_hides_device_files_unless_asked),
	};

	return cmocka_run_group_tests_name("files", tests, setup, teardown);
}
