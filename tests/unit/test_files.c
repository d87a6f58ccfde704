/*
 * test_files.c - the name resolver and inode numbers (SPEC §2, Grandstream): exact names,
 * the MAC in any case, binary names only with binary on, any prefix/postfix of up to 64
 * characters from [A-Za-z0-9._-] around a known name, generic and firmware names;
 * everything else ENOENT. Inodes are stable, shared by every name of one file, and
 * reversible. The listing names exactly what is served.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "backend/files.h"
#include "backend/gs_files.h"
#include "backend/pa_files.h"

/* The inode slot of a (vendor, kind): what these tests compare kinds by. */
static unsigned slot(const struct vendor *v, unsigned kind)
{
	return (unsigned)(file_kind_slot(v, kind) >> FILE_KIND_SHIFT);
}

#define FK_NONE        0u
#define FK_GS_XML      slot(&vendor_grandstream, GS_XML)
#define FK_GS_BIN      slot(&vendor_grandstream, GS_BIN)
#define FK_GS_MODEL    slot(&vendor_grandstream, GS_MODEL)
#define FK_GS_GENERIC  slot(&vendor_grandstream, GS_GENERIC)
#define FK_GS_FIRMWARE slot(&vendor_grandstream, GS_FIRMWARE)

static const char inventory[] =
    "version: 1\n"
    "server: {url: http://h/p}\n"
    "firmware_dir: fw\n"
    "generic: {settings: {ntp_server: pool.ntp.org}}\n"
    "models:\n"
    "  GXP2170: {vendor: grandstream, max_lines: 2, firmware: {version: \"1.0\", prefix: gs_, "
    "postfix: _1.0}}\n"
    "  KX-HDV130N: {vendor: panasonic, max_lines: 2}\n"
    "groups:\n"
    "  wave2: {firmware: {version: \"2.0\", prefix: gs_, postfix: _2.0}}\n"
    "devices:\n"
    "  000b82123456: {model: GXP2170, binary: bootstrap, config: {prefix: gs_, postfix: "
    "_cfg002}}\n"
    "  c074ad0a0b0c: {model: GXP2170, groups: [wave2]}\n"
    "  0080f0c8c381: {model: KX-HDV130N}\n";

static char dir[64];
static struct tree *t;

static void put(const char *rel, const char *text)
{
	write_file(dir, rel, text);
}

/* An inventory file next to fw/grandstream/{1.0,2.0,9.9}/. */
static int setup(void **state)
{
	char cmd[512];
	struct diag d;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/provfs-files-%ld", (long)getpid());
	snprintf(cmd, sizeof(cmd),
	         "mkdir -p %s/fw/grandstream/1.0 %s/fw/grandstream/2.0 "
	         "%s/fw/grandstream/9.9",
	         dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	put("inv.yaml", inventory);
	put("fw/grandstream/1.0/gxp2170fw.bin", "one");
	put("fw/grandstream/2.0/gxp2170fw.bin", "two!");
	put("fw/grandstream/9.9/gxp2170fw.bin", "unused");
	snprintf(cmd, sizeof(cmd), "%s/inv.yaml", dir);
	diag_init(&d);
	if (tree_load(cmd, NULL, &t, &d) < 0)
		diag_print(&d, stderr);
	assert_int_equal(d.n, 0);
	diag_free(&d);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	tree_free(t);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static unsigned kind_of(const char *name)
{
	struct file_ref ref;

	return file_resolve(t, name, &ref) == 0 ? slot(ref.vendor, ref.kind) : FK_NONE;
}

static uint64_t ino_of(const char *name)
{
	struct file_ref ref;

	assert_int_equal(file_resolve(t, name, &ref), 0);
	return file_ino(t, &ref);
}

static void test_files_device_names(void **state)
{
	struct file_ref ref;
	char name[FILE_NAME_MAX + 1];

	(void)state;
	assert_int_equal(file_resolve(t, "cfg000b82123456.xml", &ref), 0);
	assert_int_equal(slot(ref.vendor, ref.kind), FK_GS_XML);
	assert_true(ref.dev->mac == UINT64_C(0x000b82123456));
	assert_int_equal(kind_of("cfg000b82123456"), FK_GS_BIN);
	assert_int_equal(kind_of("cfg000b82123456.bin"), FK_GS_BIN);
	/* the MAC part in any letter case */
	assert_int_equal(file_resolve(t, "cfgC074AD0a0b0C.xml", &ref), 0);
	assert_int_equal(file_name(&ref, name, sizeof(name)), 19);
	assert_string_equal(name, "cfgc074ad0a0b0c.xml");
	/* binary names only where binary is on */
	assert_int_equal(kind_of("cfgc074ad0a0b0c"), FK_NONE);
	assert_int_equal(kind_of("cfgc074ad0a0b0c.bin"), FK_NONE);
}

static void test_files_any_prefix_and_postfix(void **state)
{
	char prefix64[65], name[200];

	(void)state;
	/* the device's own pair, and any other: a phone asking with its old pair converges */
	assert_int_equal(kind_of("gs_cfg000b82123456.xml_cfg002"), FK_GS_XML);
	assert_int_equal(kind_of("gs_cfg000b82123456_cfg002"), FK_GS_BIN);
	assert_int_equal(kind_of("gs_cfg000b82123456.bin_cfg002"), FK_GS_BIN);
	assert_int_equal(kind_of("old-cfg000b82123456.xml.cfg001"), FK_GS_XML);
	assert_int_equal(kind_of("x.cfgc074ad0a0b0c.xml"), FK_GS_XML);
	assert_int_equal(kind_of("cfgc074ad0a0b0c.xml_v2"), FK_GS_XML);
	/* the longest tail wins: ".xml_cfg002" is the XML file, not the binary + a postfix */
	assert_int_equal(kind_of("cfg000b82123456.xml_cfg002"), FK_GS_XML);
	/* a prefix that itself looks like "cfg" + 12 hex digits of an unknown MAC */
	assert_int_equal(kind_of("cfgaaaaaaaaaaaacfg000b82123456.xml"), FK_GS_XML);
	/* every name of one file shares its inode */
	assert_true(ino_of("gs_cfg000b82123456.xml_cfg002") == ino_of("cfg000b82123456.xml"));
	assert_true(ino_of("cfg000b82123456.bin") == ino_of("cfg000b82123456"));
	assert_true(ino_of("cfg000b82123456.bin") != ino_of("cfg000b82123456.xml"));
	/* 64 characters of prefix or postfix, not 65 */
	memset(prefix64, 'p', 64);
	prefix64[64] = '\0';
	snprintf(name, sizeof(name), "%scfg000b82123456.xml", prefix64);
	assert_int_equal(kind_of(name), FK_GS_XML);
	snprintf(name, sizeof(name), "x%scfg000b82123456.xml", prefix64);
	assert_int_equal(kind_of(name), FK_NONE);
	snprintf(name, sizeof(name), "cfg000b82123456.xml%s", prefix64);
	assert_int_equal(kind_of(name), FK_GS_XML);
	snprintf(name, sizeof(name), "cfg000b82123456.xml%sx", prefix64);
	assert_int_equal(kind_of(name), FK_NONE);
}

static void test_files_generic_names(void **state)
{
	(void)state;
	assert_int_equal(kind_of("cfg.xml"), FK_GS_GENERIC);
	assert_int_equal(kind_of("cfggxp2170.xml"), FK_GS_MODEL);
	assert_int_equal(kind_of("gs_cfggxp2170.xml_cfg002"), FK_GS_MODEL);
	assert_int_equal(kind_of("gs_cfg.xml_old"), FK_GS_GENERIC);
	assert_int_equal(kind_of("cfgGXP2170.xml"), FK_NONE);    /* phones ask in lower case */
	assert_int_equal(kind_of("cfgkx-hdv130n.xml"), FK_NONE); /* not a Grandstream model */
	assert_int_equal(kind_of("cfggxp9999.xml"), FK_NONE);
	assert_true(ino_of("cfggxp2170.xml") == ino_of("any_cfggxp2170.xml"));
}

static void test_files_firmware_names_are_exact(void **state)
{
	struct file_ref ref;

	(void)state;
	assert_int_equal(file_resolve(t, "gs_gxp2170fw.bin_1.0", &ref), 0);
	assert_int_equal(slot(ref.vendor, ref.kind), FK_GS_FIRMWARE);
	assert_true(file_is_passthrough(&ref));
	assert_int_equal(file_source_size(&ref), 3);
	assert_int_equal(kind_of("gs_gxp2170fw.bin_2.0"), FK_GS_FIRMWARE);
	assert_int_equal(kind_of("gs_gxp2170fw.bin_9.9"), FK_NONE); /* no device uses 9.9 */
	assert_int_equal(kind_of("gxp2170fw.bin_1.0"), FK_NONE);
	assert_int_equal(kind_of("gs_gxp2170fw.bin"), FK_NONE);
	assert_int_equal(kind_of("x_gs_gxp2170fw.bin_1.0"), FK_NONE);
}

static void test_files_everything_else_is_enoent(void **state)
{
	static const char *const names[] = {
		"",
		".",
		"..",
		"cfg",
		"cfg000b82ffffff.xml", /* unknown MAC */
		"gs_cfg000b82ffffff.xml_cfg002",
		"cfg000b8212345.xml", /* 11 digits */
		"cfg000b8212345g.xml",
		"CFG000b82123456.xml",  /* only the MAC part ignores case */
		"cfgc074ad0a0b0c.XML",  /* no binary: ".XML" cannot be a postfix of cfg<mac> */
		"cfg000b82123456.xml ", /* outside the alphabet */
		"gs cfg000b82123456.xml",
		"gs+cfg000b82123456.xml",
		"cfg000b82123456.xml~",
		"cfg00:0b:82:12:34:56.xml",
		"cfg0080f0c8c381.xml",    /* a Panasonic device has no Grandstream file */
		"Config0080F0C8C381.enc", /* no encryption for a text-dialect model */
		"ConfigKX-HDV130N-0080F0C8C381.enc",
		"ConfigCom-0080F0C8C381.enc",
		"ConfigCom-utg.cfg",    /* no plain UTG model */
		"Configkx-hdv130n.cfg", /* model names are exact */
		"kx-hdv130n.cfg",
		"cfg000b82123456.xml\n",
		"../cfg000b82123456.xml",
		"cfg%30%30%30b82123456.xml",
	};
	struct file_ref ref;
	char longname[300];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (file_resolve(t, names[i], &ref) != -ENOENT)
			fail_msg("'%s' resolved", names[i]);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(file_resolve(t, longname, &ref), -ENOENT);
	assert_int_equal(
	    file_resolve(t, "cfg\xff\xfe\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a.xml", &ref),
	    -ENOENT);
}

static void test_files_inode_round_trip(void **state)
{
	static const char *const names[] = { "cfg000b82123456.xml", "cfg000b82123456", "cfg.xml",
		                             "cfggxp2170.xml", "gs_gxp2170fw.bin_2.0" };
	struct file_ref ref, back;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t ino;

		assert_int_equal(file_resolve(t, names[i], &ref), 0);
		ino = file_ino(t, &ref);
		assert_true(ino != FILE_INO_ROOT && ino >> 48 == slot(ref.vendor, ref.kind));
		assert_int_equal(file_from_ino(t, ino, &back), 0);
		assert_int_equal(back.kind, ref.kind);
		assert_ptr_equal(back.vendor, ref.vendor);
		assert_ptr_equal(back.dev, ref.dev);
		assert_ptr_equal(back.fw, ref.fw);
		if (slot(ref.vendor, ref.kind) == FK_GS_MODEL)
			assert_ptr_equal(back.model, ref.model);
	}
	assert_true(ino_of("cfg000b82123456.xml") ==
	            ((uint64_t)FK_GS_XML << 48 | UINT64_C(0x000b82123456)));
	/* unknown device, binary of a device without one, unknown kind, root */
	assert_int_equal(file_from_ino(t, (uint64_t)FK_GS_XML << 48 | 0x000b82ffffff, &back),
	                 -ENOENT);
	assert_int_equal(file_from_ino(t, (uint64_t)FK_GS_BIN << 48 | 0xc074ad0a0b0c, &back),
	                 -ENOENT);
	assert_int_equal(file_from_ino(t, (uint64_t)0x7fff << 48 | 0x000b82123456, &back), -ENOENT);
	assert_int_equal(file_from_ino(t, FILE_INO_ROOT, &back), -ENOENT);
}

struct seen {
	char names[64][FILE_NAME_MAX + 1];
	int n;
};

static int collect(void *ctx, const struct file_ref *ref, const char *name)
{
	struct seen *s = ctx;
	struct file_ref back;

	/* every listed name resolves to the file it was listed for */
	assert_int_equal(file_resolve(t, name, &back), 0);
	assert_int_equal(back.kind, ref->kind);
	assert_ptr_equal(back.vendor, ref->vendor);
	assert_true(file_ino(t, &back) == file_ino(t, ref));
	assert_true(s->n < 64);
	snprintf(s->names[s->n++], FILE_NAME_MAX + 1, "%s", name);
	return 0;
}

static int has(const struct seen *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return 1;
	return 0;
}

static void test_files_listing_names_what_is_served(void **state)
{
	static const char *const all[] = {
		"cfg.xml",
		"gs_cfg.xml_cfg002",
		"cfggxp2170.xml",
		"gs_cfggxp2170.xml_cfg002",
		"gs_gxp2170fw.bin_1.0",
		"gs_gxp2170fw.bin_2.0",
		"cfg000b82123456.xml",
		"gs_cfg000b82123456.xml_cfg002",
		"cfg000b82123456",
		"gs_cfg000b82123456_cfg002",
		"cfg000b82123456.bin",
		"gs_cfg000b82123456.bin_cfg002",
		"cfgc074ad0a0b0c.xml",
		/* the Panasonic text-dialect device: three layers and the model's entry file */
		"ConfigCom.cfg",
		"ConfigKX-HDV130N.cfg",
		"KX-HDV130N.cfg",
		"Config0080F0C8C381.cfg",
	};
	struct seen s = { .n = 0 };

	(void)state;
	assert_int_equal(file_foreach(t, false, collect, &s), 0);
	assert_int_equal(s.n, 9); /* generic, firmware and shared Panasonic names: no MAC */
	for (int i = 0; i < s.n; i++)
		assert_false(strstr(s.names[i], "000b82") || strstr(s.names[i], "c074ad") ||
		             strstr(s.names[i], "0080F0"));
	s.n = 0;
	assert_int_equal(file_foreach(t, true, collect, &s), 0);
	assert_int_equal(s.n, (int)(sizeof(all) / sizeof(all[0])));
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!has(&s, all[i]))
			fail_msg("%s is not listed", all[i]);
}

static void test_files_firmware_replaced_on_disk_is_refused(void **state)
{
	struct file_ref ref;
	char path[128];
	int fd;

	(void)state;
	assert_int_equal(file_resolve(t, "gs_gxp2170fw.bin_2.0", &ref), 0);
	fd = file_open_source(&ref);
	assert_true(fd >= 0);
	close(fd);
	/* a different size than the phone was told: never served half or padded */
	put("fw/grandstream/2.0/gxp2170fw.bin", "longer now");
	assert_int_equal(file_open_source(&ref), -ESTALE);
	snprintf(path, sizeof(path), "%s/fw/grandstream/2.0/gxp2170fw.bin", dir);
	unlink(path);
	assert_int_equal(file_open_source(&ref), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_device_names),
		cmocka_unit_test(test_files_any_prefix_and_postfix),
		cmocka_unit_test(test_files_generic_names),
		cmocka_unit_test(test_files_firmware_names_are_exact),
		cmocka_unit_test(test_files_everything_else_is_enoent),
		cmocka_unit_test(test_files_inode_round_trip),
		cmocka_unit_test(test_files_listing_names_what_is_served),
		cmocka_unit_test(test_files_firmware_replaced_on_disk_is_refused),
	};

	return cmocka_run_group_tests_name("files", tests, setup, teardown);
}
