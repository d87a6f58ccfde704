/*
 * test_inventory.c - loading and validation: a table of bad inventories, each with the
 * FILE:LINE:COL message it must produce, plus the shapes that must load.
 *
 * Positions were worked out from the YAML text (lines and columns 1-based); the common
 * header H is lines 1-5, so a device's keys start on line 7, column 5.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/pa_files.h"
#include "backend/validate.h"
#include "backend/vendor.h"
#include "inventory/mac.h"
#include "inventory/schema.h"
#include "inventory/ytree.h"

#define H                                                                                          \
	"version: 1\n"                                                                             \
	"server: {url: http://prov.example.com/prov}\n"                                            \
	"models: {GXP2170: {vendor: grandstream, max_lines: 2}}\n"                                 \
	"groups: {sales: {settings: {sip_server: sip.example.com}}}\n"                             \
	"devices:\n"                                                                               \
	"  000b82123456:\n"                                                                        \
	"    model: GXP2170\n"

#define PA_H                                                                                       \
	"version: 1\n"                                                                             \
	"server: {url: http://h/p}\n"                                                              \
	"models: {KX-HDV130N: {vendor: panasonic, max_lines: 2}}\n"                                \
	"devices:\n"                                                                               \
	"  0080f0c8c381:\n"                                                                        \
	"    model: KX-HDV130N\n"

struct bad_case {
	const char *name;
	const char *yaml;
	const char *where; /* "inv.yaml:LINE:COL: " or a prefix of it */
	const char *what;  /* a part of the message */
};

static const struct bad_case bad_cases[] = {
	{ "missing version", "server: {url: http://h/p}\n",
	  "inv.yaml:1:1: ", "missing 'version: 1'" },
	{ "version 2", "version: 2\nserver: {url: http://h/p}\n",
	  "inv.yaml:1:10: ", "'version' must be a whole number from 1 to 1" },
	{ "missing server", "version: 1\n", "inv.yaml:1:1: ", "missing 'server: {url: ...}'" },
	{ "url scheme", "version: 1\nserver: {url: gopher://h/p}\n", "inv.yaml:2:15: ",
	  "server.url must start with tftp://, http://, https://, ftp:// or ftps://" },
	{ "url credentials", "version: 1\nserver: {url: http://u:p@h/p}\n",
	  "inv.yaml:2:15: ", "server.url must not carry a user or password" },
	{ "url without host", "version: 1\nserver: {url: http:///p}\n",
	  "inv.yaml:2:15: ", "server.url has no host" },
	{ "unknown top-level key", H "devicez: {}\n",
	  "inv.yaml:8:1: ", "unknown key 'devicez' in the inventory" },
	{ "unknown device key", H "    modle: GXP2170\n", "inv.yaml:8:5: ",
	  "unknown key 'modle' in a device (expected one of: model, groups, settings" },
	{ "unknown setting", H "    settings: {ntp: x}\n",
	  "inv.yaml:8:16: ", "unknown key 'ntp' in settings" },
	{ "bad MAC", H "  00:0b:82:12:34:5g: {model: GXP2170}\n",
	  "inv.yaml:8:3: ", "a key under 'devices' must be a device MAC address" },
	{ "multicast MAC", H "  01:00:5e:00:00:01: {model: GXP2170}\n",
	  "inv.yaml:8:3: ", "a key under 'devices' must be a device MAC address" },
	{ "same MAC in another notation", H "  00-0B-82-12-34-56: {model: GXP2170}\n",
	  "inv.yaml:8:3: ", "device already defined at inv.yaml:6:3" },
	{ "duplicate key", H "    model: GXP2170\n",
	  "inv.yaml:8:5: ", "duplicate key 'model' (first at 7:5)" },
	{ "unknown model", H "  000b82000001: {model: GXP9999}\n",
	  "inv.yaml:8:25: ", "unknown model (no model of that name under 'models')" },
	{ "device without model", H "  000b82000001: {groups: [sales]}\n",
	  "inv.yaml:8:17: ", "device '000b82000001' has no 'model'" },
	{ "unknown group", H "    groups: [sales, nosuch]\n",
	  "inv.yaml:8:21: ", "unknown group (no group of that name under 'groups')" },
	{ "group listed twice", H "    groups: [sales, sales]\n",
	  "inv.yaml:8:21: ", "this group is listed twice (first at 8:14)" },
	{ "more lines than the model has",
	  H "    lines:\n"
	    "      - {user: \"1\"}\n"
	    "      - {user: \"2\"}\n"
	    "      - {user: \"3\"}\n",
	  "inv.yaml:11:9: ",
	  "line 3 is more than model GXP2170 has (max_lines 2) for device 000b82123456" },
	{ "lines from a group beyond max_lines",
	  "version: 1\n"
	  "server: {url: http://h/p}\n"
	  "models: {GXP1625: {vendor: grandstream, max_lines: 1}}\n"
	  "groups: {two: {lines: [{user: a}, {user: b}]}}\n"
	  "devices: {000b82123456: {model: GXP1625, groups: [two]}}\n",
	  "inv.yaml:4:35: ",
	  "line 2 is more than model GXP1625 has (max_lines 1) for device 000b82123456" },
	{ "line without user", H "    lines: [{password: x}]\n",
	  "inv.yaml:8:13: ", "line 1 has no 'user'" },
	{ "settings as a list", H "    settings: [a]\n",
	  "inv.yaml:8:15: ", "'settings' must be a mapping, found a list" },
	{ "setting without value", H "    settings:\n      ntp_server:\n",
	  "inv.yaml:9:", "'ntp_server' has no value (write \"\" for an empty one)" },
	{ "sip_port out of range", H "    settings: {sip_port: 70000}\n",
	  "inv.yaml:8:26: ", "'sip_port' must be a whole number from 1 to 65535" },
	{ "P-value name", H "    params: {P12a: x}\n", "inv.yaml:8:14: ",
	  "'P12a' is not a P-value (P followed by 1 to 6 digits, no leading zero)" },
	{ "P-value with a leading zero", H "    params: {P047: x}\n",
	  "inv.yaml:8:14: ", "'P047' is not a P-value" },
	{ "unknown v2 name", H "    params: {foo.bar: x}\n",
	  "inv.yaml:8:14: ", "'foo.bar' is neither a P-value nor a v2 name provfs knows" },
	{ "reserved P-value", H "    params: {P237: x}\n", "inv.yaml:8:14: ",
	  "'P237' (P237) cannot be set in params: provfs sets it from server.url" },
	{ "reserved v2 name", H "    params: {provisioning.config.filePassword: x}\n",
	  "inv.yaml:8:14: ",
	  "'provisioning.config.filePassword' (P1359) cannot be set in params: provfs sets "
	  "it from 'xml_password'" },
	{ "alias and P-value set one parameter",
	  H "    params: {account.1.sip.userid: a, P35: b}\n",
	  "inv.yaml:8:39: ", "'P35' sets P35, which 'account.1.sip.userid' at 8:14 sets already" },
	{ "yes/no alias", H "    params: {account.1.enable: maybe}\n",
	  "inv.yaml:8:32: ", "'account.1.enable' must be Yes or No" },
	{ "control character for XML", H "    params: {P3: \"a\\x01b\"}\n",
	  "inv.yaml:8:18: ", "P3: control character U+0001 cannot be carried by an XML file" },
	{ "control character in a line", H "    lines: [{user: \"a\\x1bb\"}]\n",
	  "inv.yaml:8:20: ", "user: control character U+001B cannot be carried by an XML file" },
	{ "secret setting in generic",
	  "version: 1\nserver: {url: http://h/p}\ngeneric: {settings: {admin_password: x}}\n",
	  "inv.yaml:3:38: ", "'admin_password' is a secret: 'generic' files are read by phones" },
	{ "secret param in generic",
	  "version: 1\nserver: {url: http://h/p}\ngeneric: {params: {grandstream: {P34: x}}}\n",
	  "inv.yaml:3:34: ", "'P34' is a secret: 'generic' files are read by phones" },
	{ "lines in generic", "version: 1\nserver: {url: http://h/p}\ngeneric: {lines: []}\n",
	  "inv.yaml:3:11: ", "unknown key 'lines' in generic (expected one of: settings, params)" },
	{ "panasonic params in generic",
	  "version: 1\nserver: {url: http://h/p}\ngeneric: {params: {panasonic: {NTP_ADDR: x}}}\n",
	  "inv.yaml:3:32: ",
	  "'generic' serves only the files of phones the inventory does not know, and panasonic "
	  "phones ask for none" },
	{ "shared params without vendor",
	  "version: 1\nserver: {url: http://h/p}\ndefaults: {params: {P2: x}}\n",
	  "inv.yaml:3:20: ", "params here are shared by several vendors: key them by vendor" },
	{ "params of the other vendor on a device", H "    params: {panasonic: {NTP_ADDR: x}}\n",
	  "inv.yaml:8:26: ",
	  "panasonic params on the grandstream device 000b82123456: they would never be used" },
	{ "quote in a Panasonic text value",
	  PA_H "    lines: [{user: \"1\", display_name: \"a\\\"b\"}]\n",
	  "inv.yaml:7:39: ", "display_name: a Panasonic text file cannot carry a double quote" },
	{ "line break in a Panasonic text value", PA_H "    settings: {ntp_server: \"a\\nb\"}\n",
	  "inv.yaml:7:28: ", "ntp_server: a Panasonic text file cannot carry a line break" },
	{ "xml_password on a Panasonic device", PA_H "    xml_password: abc\n", "inv.yaml:7:19: ",
	  "'xml_password' does not apply to the panasonic device "
	  "0080f0c8c381" },
	{ "xml_password with a space", H "    xml_password: \"a b\"\n",
	  "inv.yaml:8:19: ", "'xml_password' may only hold printable ASCII without spaces" },
	{ "binary mode", H "    binary: sometimes\n",
	  "inv.yaml:8:13: ", "'binary' must be off | bootstrap | full" },
	{ "prefix outside the alphabet", H "    config: {prefix: \"gs/\"}\n",
	  "inv.yaml:8:22: ", "'prefix' must be 0 to 64 characters from A-Z a-z 0-9 . _ -" },
	{ "firmware without version", H "    firmware: {prefix: gs_}\n",
	  "inv.yaml:8:15: ", "'firmware' needs a 'version'" },
	{ "model without vendor",
	  "version: 1\nserver: {url: http://h/p}\nmodels: {X1: {max_lines: 1}}\n",
	  "inv.yaml:3:14: ",
	  "model 'X1' has no 'vendor' (one of grandstream, panasonic, yealink, cisco)" },
	{ "model without max_lines",
	  "version: 1\nserver: {url: http://h/p}\nmodels: {X1: {vendor: grandstream}}\n",
	  "inv.yaml:3:14: ", "model 'X1' has no 'max_lines'" },
	{ "model name outside the alphabet",
	  "version: 1\nserver: {url: http://h/p}\nmodels: {\"X 1\": {vendor: grandstream}}\n",
	  "inv.yaml:3:10: ", "'model name' must be 1 to 64 characters" },
	{ "models differing in case",
	  "version: 1\nserver: {url: http://h/p}\n"
	  "models: {GXP1: {vendor: grandstream, max_lines: 1}, gxp1: {vendor: grandstream, "
	  "max_lines: 1}}\n",
	  "inv.yaml:3:53: ", "model 'gxp1' is already defined at inv.yaml:3:10" },
	{ "Grandstream with more than six accounts",
	  "version: 1\nserver: {url: http://h/p}\nmodels: {GX: {vendor: grandstream, max_lines: "
	  "8}}\n",
	  "inv.yaml:3:10: ", "model GX: Grandstream phones have at most 6 accounts (max_lines 8)" },
	{ "encrypt on a text-dialect model",
	  "version: 1\nserver: {url: http://h/p}\n"
	  "models: {KX-HDV130N: {vendor: panasonic, max_lines: 2, encrypt: true}}\n",
	  "inv.yaml:3:65: ", "'encrypt' needs the utg-xml dialect" },
	{ "key_length",
	  "version: 1\nserver: {url: http://h/p}\n"
	  "models: {KX-UTG300: {vendor: panasonic, max_lines: 6, key_length: 200}}\n",
	  "inv.yaml:3:67: ", "'key_length' must be 128 | 192 | 256" },
	{ "firmware without firmware_dir", H "    firmware: {version: \"1.0\"}\n",
	  "inv.yaml:8:15: ", "firmware needs 'firmware_dir' at the top level of the inventory" },
	{ "firmware version directory missing",
	  H "    firmware: {version: \"1.0\"}\nfirmware_dir: /nonexistent-provfs\n",
	  "inv.yaml:8:25: ",
	  "firmware 1.0: cannot open grandstream/1.0 under firmware_dir: No such file or "
	  "directory" },
	{ "firmware version '..'",
	  H "    firmware: {version: \"..\"}\nfirmware_dir: /nonexistent-provfs\n",
	  "inv.yaml:8:25: ",
	  "'version' names one directory: 1 to 64 characters from A-Z a-z 0-9 . _ -, "
	  "not starting with '.'" },
	{ "firmware version '.'",
	  H "    firmware: {version: \".\"}\nfirmware_dir: /nonexistent-provfs\n",
	  "inv.yaml:8:25: ", "'version' names one directory: " },
	{ "firmware version '.hidden'",
	  H "    firmware: {version: .hidden}\nfirmware_dir: /nonexistent-provfs\n",
	  "inv.yaml:8:25: ", "'version' names one directory: " },
	{ "firmware version 'a/b'",
	  H "    firmware: {version: a/b}\nfirmware_dir: /nonexistent-provfs\n",
	  "inv.yaml:8:25: ", "'version' names one directory: " },
	{ "firmware version '../../etc'",
	  H "    firmware: {version: ../../etc}\nfirmware_dir: /nonexistent-provfs\n",
	  "inv.yaml:8:25: ", "'version' names one directory: " },
	{ "firmware version of 65 characters",
	  H "    firmware: {version: "
	    "v1234567890123456789012345678901234567890123456789012345678901234}\n"
	    "firmware_dir: /nonexistent-provfs\n",
	  "inv.yaml:8:25: ", "'version' names one directory: " },
	{ "two firmware versions under one prefix/postfix",
	  "version: 1\n"
	  "server: {url: http://h/p}\n"
	  "firmware_dir: /nonexistent-provfs\n"
	  "models: {GXP2170: {vendor: grandstream, max_lines: 2, firmware: {version: \"1.0\", "
	  "prefix: a_}}}\n"
	  "groups: {g2: {firmware: {version: \"2.0\", prefix: a_}}}\n"
	  "devices: {000b82000001: {model: GXP2170}, 000b82000002: {model: GXP2170, groups: "
	  "[g2]}}\n",
	  "inv.yaml:5:35: ",
	  "firmware 2.0 uses prefix 'a_' and postfix '' like firmware 1.0 at inv.yaml:4:75: a "
	  "phone could not tell the versions apart" },
	{ "a postfix that turns the binary's name into the XML's",
	  H "    binary: full\n    config: {postfix: .xml}\n", "inv.yaml:9:13: ",
	  "with this prefix/postfix, cfg000b82123456.xml would be read as another file" },
	{ "YAML syntax", "version: 1\nserver: {url: http://h/p\n",
	  "inv.yaml:3:1: ", "YAML syntax error: " },
	{ "tab indentation", "version: 1\n\tserver: {}\n",
	  "inv.yaml:2:1: ", "YAML syntax error: " },
	{ "not UTF-8", "version: 1\nx: \xff\n", "inv.yaml:2:4: ", "not valid UTF-8 text" },
	{ "tag", "version: !!int 1\n", "inv.yaml:1:10: ",
	  "YAML tags are not supported here (a value that starts with '!' must be quoted)" },
	{ "two documents", "version: 1\n---\nversion: 1\n",
	  "inv.yaml:2:1: ", "only one YAML document per file" },
	{ "NUL in a value", "version: \"1\\0\"\n", "inv.yaml:1:10: ", "NUL byte in value" },
	{ "unknown alias", "version: *nothing\n",
	  "inv.yaml:1:10: ", "unknown alias (a value that starts with '*' must be quoted)" },
	{ "recursive alias", "a: &x [1, *x]\n",
	  "inv.yaml:1:11: ", "this alias refers to a node that contains it" },
	{ "top level is a list", "- a\n- b\n",
	  "inv.yaml:1:1: ", "an inventory file must be a mapping" },
};

static void test_inventory_bad_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct diag d;
		struct tree *t = load_yaml(c->yaml, &d);
		int found = 0;

		if (t != NULL) {
			fprintf(stderr, "case '%s': loaded, expected an error\n", c->name);
			tree_free(t);
			failed++;
			continue;
		}
		for (size_t m = 0; m < d.n; m++)
			if (strncmp(d.msgs[m], c->where, strlen(c->where)) == 0 &&
			    strstr(d.msgs[m], c->what) != NULL)
				found = 1;
		if (!found) {
			fprintf(stderr, "case '%s': expected %s...%s, got:\n", c->name, c->where,
			        c->what);
			diag_print(&d, stderr);
			failed++;
		}
		diag_free(&d);
	}
	assert_int_equal(failed, 0);
}

/* Nesting: 63 lists under the root mapping make 64 levels (allowed), 64 make 65. */
static char *nested(int lists)
{
	char *s = malloc((size_t)lists * 2 + 16);
	size_t n = 0;

	n += (size_t)sprintf(s, "x: ");
	for (int i = 0; i < lists; i++)
		s[n++] = '[';
	for (int i = 0; i < lists; i++)
		s[n++] = ']';
	s[n++] = '\n';
	s[n] = '\0';
	return s;
}

static void test_inventory_depth_limit(void **state)
{
	struct diag d;
	char *ok = nested(63), *deep = nested(64);

	(void)state;
	assert_null(load_yaml(ok, &d)); /* fails for other reasons (unknown key x) ... */
	for (size_t i = 0; i < d.n; i++)
		assert_null(strstr(d.msgs[i], "nesting"));
	diag_free(&d);
	assert_null(load_yaml(deep, &d));
	assert_true(diag_has(&d, "inv.yaml:1:67: nesting deeper than 64 levels"));
	diag_free(&d);
	free(ok);
	free(deep);
}

/* 400 KB of '[' pins libyaml 0.2.5 for a minute when unbounded (FUSE.md §4.5). */
static void test_inventory_flow_nesting_bomb_stops_early(void **state)
{
	size_t n = 400 * 1024;
	char *s = malloc(n + 1);
	struct diag d;

	(void)state;
	memset(s, '[', n);
	s[n] = '\0';
	assert_null(load_yaml(s, &d));
	assert_true(diag_has(&d, "inv.yaml:1:65: nesting deeper than 64 levels"));
	diag_free(&d);
	free(s);
}

static void test_inventory_alias_bomb_is_bounded(void **state)
{
	const char *yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	                   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	                   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	                   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
	struct diag d;
	int found = 0;

	(void)state;
	assert_null(load_yaml(yaml, &d));
	/* budget 10000: b adds 110, c 1110 (1220), d's 8th alias of weight 1111 crosses it */
	for (size_t i = 0; i < d.n; i++)
		if (strcmp(d.msgs[i], "inv.yaml:4:36: aliases expand to more than 10000 nodes") ==
		    0)
			found = 1;
	if (!found)
		diag_print(&d, stderr);
	assert_true(found);
	diag_free(&d);
}

static void test_inventory_small_aliases_are_fine(void **state)
{
	struct tree *t = load_ok("version: 1\n"
	                         "server: {url: http://h/p}\n"
	                         "groups:\n"
	                         "  a: {settings: &s {ntp_server: ntp.example.com}}\n"
	                         "  b: {settings: *s}\n");

	(void)state;
	assert_int_equal(t->inv->ngroups, 2);
	assert_string_equal(t->inv->groups[0].level.settings[SET_NTP_SERVER].s, "ntp.example.com");
	assert_string_equal(t->inv->groups[1].level.settings[SET_NTP_SERVER].s, "ntp.example.com");
	tree_free(t);
}

static void test_inventory_long_value_is_refused(void **state)
{
	char *yaml = malloc(6000);
	struct diag d;

	(void)state;
	strcpy(yaml, "version: 1\nx: ");
	memset(yaml + strlen(yaml), 'a', 5000);
	yaml[14 + 5000] = '\0';
	assert_null(load_yaml(yaml, &d));
	assert_true(diag_has(&d, "inv.yaml:2:4: value longer than 4096 bytes"));
	diag_free(&d);
	free(yaml);
}

static void test_inventory_duplicate_keys_at_scale(void **state)
{
	/* 20,000 copies of one key: reported without quadratic work */
	size_t n = 20000;
	char *yaml = malloc(n * 8 + 64);
	size_t len = (size_t)sprintf(yaml, "version: 1\nx:\n");
	struct diag d;

	(void)state;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(yaml + len, "  k: 1\n");
	assert_null(load_yaml(yaml, &d));
	assert_true(diag_has(&d, "inv.yaml:4:3: duplicate key 'k' (first at 3:3)"));
	assert_true(d.truncated);
	diag_free(&d);
	free(yaml);
}

static void test_inventory_file_over_64_mib_is_refused(void **state)
{
	char path[] = "/tmp/provfs-big-XXXXXX";
	int fd = mkstemp(path);
	struct diag d;
	struct inventory *inv;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)YT_MAX_FILE + 1), 0);
	close(fd);
	diag_init(&d);
	assert_int_not_equal(inventory_load(path, &vendor_set, &inv, &d), 0);
	assert_null(inv);
	assert_true(d.n >= 1);
	assert_non_null(strstr(d.msgs[0], ":1:1: file larger than 64 MiB"));
	diag_free(&d);
	unlink(path);
}

static void test_inventory_valid_shape(void **state)
{
	struct tree *t = load_ok(H "    groups: [sales]\n"
	                           "    xml_password: \"Secr3t!\"\n"
	                           "    lines: [{user: \"1001\", password: pw}]\n"
	                           "  C0-74-AD-0A-0B-0C: {model: gxp2170}\n");
	const struct inventory *inv = t->inv;
	const struct device *dev;

	(void)state;
	assert_int_equal(inv->ndevices, 2);
	assert_int_equal(inv->nmodels, 1);
	assert_int_equal(inv->url_scheme, URL_HTTP);
	assert_string_equal(inv->url_path, "prov.example.com/prov");
	/* devices are sorted by MAC and found through the index */
	assert_true(inv->devices[0].mac == UINT64_C(0x000b82123456));
	dev = inventory_find(inv, UINT64_C(0xc074ad0a0b0c));
	assert_non_null(dev);
	assert_ptr_equal(dev->model, &inv->models[0]); /* model names ignore letter case */
	assert_null(inventory_find(inv, UINT64_C(0xc074ad0a0b0d)));
	assert_non_null(inventory_find_model(inv, "gxp2170", 7));
	assert_null(inventory_find_model(inv, "GXP217", 6));
	dev = inventory_find(inv, UINT64_C(0x000b82123456));
	assert_int_equal(dev->ngroups, 1);
	assert_string_equal(dev->groups[0]->name, "sales");
	assert_string_equal(dev->level.xml_password.s, "Secr3t!");
	assert_int_equal(dev->level.nlines, 1);
	assert_int_equal(dev->level.lines[0].pos.line, 10);
	tree_free(t);
}

/* The vendor tool writes 16 bits of length: a binary above 131,070 bytes is refused. */
static void test_inventory_binary_size_limit(void **state)
{
	size_t cap = 200000;
	char *yaml = malloc(cap), *big = malloc(4001);
	size_t len;
	struct tree *t;
	struct diag d;

	(void)state;
	memset(big, 'a', 4000);
	big[4000] = '\0';
	len = (size_t)snprintf(yaml, cap, H "    binary: full\n    params:\n");
	for (int p = 100; p < 140; p++)
		len += (size_t)snprintf(yaml + len, cap - len, "      P%d: %s\n", p, big);
	t = load_yaml(yaml, &d);
	assert_null(t);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "inv.yaml:8:13: device 000b82123456: its legacy binary "
	                                  "file would be "));
	assert_non_null(strstr(d.msgs[0], "more than the 131070 a phone reads"));
	diag_free(&d);
	/* bootstrap carries only what the XML needs: the same device fits */
	len = (size_t)snprintf(yaml, cap, H "    binary: bootstrap\n    params:\n");
	for (int p = 100; p < 140; p++)
		len += (size_t)snprintf(yaml + len, cap - len, "      P%d: %s\n", p, big);
	t = load_yaml(yaml, &d);
	assert_non_null(t);
	tree_free(t);
	diag_free(&d);
	free(yaml);
	free(big);
}

/* ---- directories --------------------------------------------------------------------------- */

static void remove_dir(const char *dir, const char *const *names, size_t n)
{
	char path[512];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void test_inventory_directory_merges_files_in_name_order(void **state)
{
	char dir[] = "/tmp/provfs-inv-XXXXXX";
	const char *const names[] = { "10-base.yaml", "20-devices.yaml", "30-empty.yaml",
		                      ".hidden.yaml", "notes.txt" };
	struct inventory *inv;
	struct diag d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, names[0],
	           "version: 1\nserver: {url: tftp://10.0.0.1}\n"
	           "models: {GXP2170: {vendor: grandstream, max_lines: 6}}\n");
	/* devices may name a model of an earlier file; a later file may add more */
	write_file(dir, names[1], "devices: {000b82000001: {model: GXP2170}}\n");
	write_file(dir, names[2], "");
	write_file(dir, names[3], "this is: [not read\n");
	write_file(dir, names[4], "neither: [is this\n");
	diag_init(&d);
	assert_int_equal(inventory_load(dir, &vendor_set, &inv, &d), 0);
	assert_int_equal(inv->ndevices, 1);
	assert_int_equal(inv->nfiles, 3);
	assert_non_null(strstr(inv->files[0], "10-base.yaml"));
	assert_non_null(strstr(inv->files[1], "20-devices.yaml"));
	assert_int_equal(inv->devices[0].pos.file, 1);
	inventory_free(inv);
	diag_free(&d);
	remove_dir(dir, names, 5);
}

static void test_inventory_directory_device_defined_twice(void **state)
{
	char dir[] = "/tmp/provfs-inv-XXXXXX";
	const char *const names[] = { "a.yaml", "b.yaml" };
	struct inventory *inv;
	struct diag d;
	char want[600];

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, names[0],
	           "version: 1\nserver: {url: http://h/p}\n"
	           "models: {GXP2170: {vendor: grandstream, max_lines: 6}}\n"
	           "devices: {000b82000001: {model: GXP2170}}\n");
	write_file(dir, names[1],
	           "server: {url: http://other/p}\n"
	           "devices:\n  00:0b:82:00:00:01: {model: GXP2170}\n");
	diag_init(&d);
	assert_int_not_equal(inventory_load(dir, &vendor_set, &inv, &d), 0);
	snprintf(want, sizeof(want), "%s/b.yaml:1:1: 'server' is already defined at %s/a.yaml:2:1",
	         dir, dir);
	if (!diag_has(&d, want))
		diag_print(&d, stderr);
	assert_true(diag_has(&d, want));
	snprintf(want, sizeof(want), "%s/b.yaml:3:3: device already defined at %s/a.yaml:4:11", dir,
	         dir);
	assert_true(diag_has(&d, want));
	diag_free(&d);
	remove_dir(dir, names, 2);
}

static void test_inventory_empty_directory(void **state)
{
	char dir[] = "/tmp/provfs-inv-XXXXXX";
	struct inventory *inv;
	struct diag d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	diag_init(&d);
	assert_int_not_equal(inventory_load(dir, &vendor_set, &inv, &d), 0);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "directory holds no *.yaml file"));
	diag_free(&d);
	rmdir(dir);
}

/*
 * The example inventory of SPEC §3, read from the contract itself, is valid once its
 * firmware directory exists (firmware/grandstream/1.0.11.3 next to the file).
 */
static void test_inventory_spec_example_is_valid(void **state)
{
	size_t len;
	char *spec = (char *)read_vector("../SPEC.md", &len);
	char *start = strstr(spec, "```yaml\n"), *end;
	char dir[] = "/tmp/provfs-spec-XXXXXX", path[256], cmd[600];
	const struct inventory *inv;
	const struct device *dev;
	struct tree *t;
	struct diag d;

	(void)state;
	assert_non_null(start);
	start += strlen("```yaml\n");
	end = strstr(start, "```");
	assert_non_null(end);
	*end = '\0';
	assert_non_null(mkdtemp(dir));
	write_file(dir, "inventory.yaml", start);
	snprintf(path, sizeof(path), "%s/firmware/grandstream/1.0.11.3", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", path);
	assert_int_equal(system(cmd), 0);
	write_file(path, "gxp2170fw.bin", "firmware");
	snprintf(path, sizeof(path), "%s/inventory.yaml", dir);
	diag_init(&d);
	if (tree_load(path, NULL, &t, &d) < 0)
		diag_print(&d, stderr);
	assert_int_equal(d.n, 0);
	inv = t->inv;
	assert_int_equal(inv->ndevices, 1);
	assert_int_equal(inv->nmodels, 3);
	dev = inventory_find(inv, UINT64_C(0x000b82123456));
	assert_non_null(dev);
	assert_string_equal(dev->model->name, "GXP2170");
	assert_string_equal(dev->level.binary.s, "bootstrap");
	assert_true(dev->level.config.set);
	assert_string_equal(dev->level.config.postfix.s, "_cfg002");
	assert_true(inventory_find_model(inv, "KX-UTG300", 9)->encrypt);
	assert_int_equal(pa_key_bits(inventory_find_model(inv, "KX-UTG300", 9)), 256);
	assert_int_equal(pa_dialect(inventory_find_model(inv, "KX-UTG300", 9)), DIALECT_UTG_XML);
	assert_int_equal(pa_dialect(inventory_find_model(inv, "KX-HDV130N", 10)), DIALECT_TEXT);
	assert_int_equal(t->nfw, 1);
	assert_string_equal(t->fw[0].name, "gs_gxp2170fw.bin_1.0.11.3");
	tree_free(t);
	diag_free(&d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(spec);
}

static void test_inventory_missing_file(void **state)
{
	struct inventory *inv;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_not_equal(inventory_load("/nonexistent/inv.yaml", &vendor_set, &inv, &d), 0);
	assert_null(inv);
	assert_true(diag_has(&d, "/nonexistent/inv.yaml:0:0: cannot open: No such file or "
	                         "directory"));
	diag_free(&d);
}

/* ---- no secret in any message (issue 10 point 6) ------------------------------------------- */

#define MARK "TYPOSECRET"

/* The message at `where` (a prefix), or NULL; prints every message when it is missing. */
static const char *msg_at(const struct diag *d, const char *where)
{
	for (size_t i = 0; i < d->n; i++)
		if (strncmp(d->msgs[i], where, strlen(where)) == 0)
			return d->msgs[i];
	fprintf(stderr, "no message at %s; got:\n", where);
	diag_print(d, stderr);
	return NULL;
}

/* Every byte of a message is printable ASCII: one message is always one line. */
static bool one_printable_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* The excerpt rule of diag_key and the escapes of diag_escape, exactly. */
static void test_messages_key_excerpt_rule(void **state)
{
	static const struct {
		const char *key, *want;
	} cases[] = {
		{ "password:TYPOSECRET1", "password..." },
		{ "admin_password=x", "admin_password..." },
		{ "a b", "a..." },
		{ "a\nb", "a..." },
		{ "\"q\"", "..." },
		{ "caf\xc3\xa9", "caf..." },
		{ "", "" },
		{ "Device/Phone/Telephone/DEFAULT_L", "Device/Phone/Telephone/DEFAULT_L" }, /* 32 */
		{ "Device/Phone/Telephone/DEFAULT_LANGUAGE",
		  "Device/Phone/Telephone/DEFAULT_L..." },
		{ "account.1.sip-x_Y", "account.1.sip-x_Y" },
	};
	char out[DIAG_KEY_SIZE], esc[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(diag_key(out, cases[i].key), cases[i].want);
	assert_int_equal(diag_escape(esc, sizeof(esc), "a\n\t\r\x01\x7f\xff\\"), 15);
	assert_string_equal(esc, "a\\n\\t\\r\\x01\\x7f");   /* "\\xff" does not fit */
	assert_int_equal(diag_escape(esc, 4, "ab\x1b"), 2); /* cut before a whole escape */
	assert_string_equal(esc, "ab");
}

/* diag_quote: escaped as diag_escape does, cut at DIAG_QUOTE_MAX with "..." after. */
static void test_messages_quote_rule(void **state)
{
	char out[DIAG_QUOTE_SIZE], long_s[DIAG_QUOTE_MAX + 2];

	(void)state;
	assert_string_equal(diag_quote(out, "x\x1b]0;T\a\r\ny\xff"), "x\\x1b]0;T\\x07\\r\\ny\\xff");
	assert_string_equal(diag_quote(out, ""), "");
	memset(long_s, 'a', DIAG_QUOTE_MAX);
	long_s[DIAG_QUOTE_MAX] = '\0';
	assert_string_equal(diag_quote(out, long_s), long_s); /* exactly the maximum: no "..." */
	long_s[DIAG_QUOTE_MAX] = 'b';
	long_s[DIAG_QUOTE_MAX + 1] = '\0';
	diag_quote(out, long_s);
	assert_int_equal(strlen(out), DIAG_QUOTE_MAX + 3);
	assert_string_equal(out + DIAG_QUOTE_MAX, "...");
	long_s[DIAG_QUOTE_MAX - 1] = '\n'; /* an escape that does not fit whole is left off */
	diag_quote(out, long_s);
	assert_string_equal(out + DIAG_QUOTE_MAX - 1, "...");
}

/* yaml fails with a message at `where` that holds `what`; no message holds "TYPO" or a byte
 * outside printable ASCII. */
static void expect_safe_message(const char *yaml, const char *where, const char *what)
{
	struct diag d;
	const char *m;

	assert_null(load_yaml(yaml, &d));
	m = msg_at(&d, where);
	if (m == NULL || strstr(m, what) == NULL)
		fail_msg("expected %s...%s", where, what);
	for (size_t i = 0; i < d.n; i++)
		if (strstr(d.msgs[i], "TYPO") != NULL || !one_printable_line(d.msgs[i]))
			fail_msg("unsafe message: %s", d.msgs[i]);
	diag_free(&d);
}

/* A typo that glues the secret to its key: the position is kept, the part after ':' is not. */
static void test_messages_glued_secret_is_cut(void **state)
{
	(void)state;
	expect_safe_message(H "    settings: {password:" MARK "1}\n",
	                    "inv.yaml:8:16: ", "unknown key 'password...' in settings");
	/* the same in a line, where a password belongs */
	expect_safe_message(H "    lines: [{user: \"1\", password:" MARK "2}]\n",
	                    "inv.yaml:8:25: ", "unknown key 'password...' in a line");
}

/* A quoted key with a line break and other controls cannot forge a second line. */
static void test_messages_control_characters_in_a_key(void **state)
{
	struct diag d;

	(void)state;
	expect_safe_message(H "    settings: {\"a\\nb\\t\\r\\x1b[31m\": 1}\n",
	                    "inv.yaml:8:16: ", "unknown key 'a...' in settings");
	/* a file name is escaped where it cannot be cut: the message stays one line */
	diag_init(&d);
	diag_add(&d, "dir/x\ny\x7f.yaml", 1, 2, "unknown key '%s'", "k\tz");
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], "dir/x\\ny\\x7f.yaml:1:2: unknown key 'k\\tz'");
	diag_free(&d);
}

/* A long unknown key shows a bounded excerpt. */
static void test_messages_long_key_is_bounded(void **state)
{
	char yaml[1024], key[201], want[64];

	(void)state;
	memset(key, 'k', 200);
	key[200] = '\0';
	snprintf(yaml, sizeof(yaml), H "    settings: {%s: 1}\n", key);
	snprintf(want, sizeof(want), "unknown key '%.32s...' in settings", key); /* 32, no more */
	expect_safe_message(yaml, "inv.yaml:8:16: ", want);
}

/* Values are never quoted: references to models and groups, choices, group lists. */
static void test_messages_values_are_not_quoted(void **state)
{
	(void)state;
	expect_safe_message(H "  000b82000001: {model: " MARK "}\n", "inv.yaml:8:25: ",
	                    "unknown model (no model of that name under 'models')");
	expect_safe_message(H "    groups: [sales, " MARK "]\n", "inv.yaml:8:21: ",
	                    "unknown group (no group of that name under 'groups')");
	expect_safe_message(H "    groups: [" MARK ", " MARK "]\n",
	                    "inv.yaml:8:26: ", "this group is listed twice (first at 8:14)");
	expect_safe_message(H "    binary: " MARK "\n",
	                    "inv.yaml:8:13: ", "'binary' must be off | bootstrap | full");
	expect_safe_message(
	    "version: 1\nserver: {url: http://h/p}\nmodels: {X1: {vendor: " MARK
	    ", max_lines: 1}}\n",
	    "inv.yaml:3:23: ", "'vendor' must be one of grandstream, panasonic, yealink, cisco");
}

/* Hostile inputs: no message holds the marker, every message is one printable line. */
static void test_messages_hostile_table(void **state)
{
	static const char *const yaml[] = {
		H "    settings: {password:" MARK "}\n",
		H "    settings: {admin_password=" MARK ": 1}\n",
		H "    settings: {\"admin_password " MARK "\": 1}\n",
		H "    settings: {\"x\\n" MARK "\": 1}\n",
		H "    lines: [{user: \"1\", password:" MARK "}]\n",
		H "    params: {\"P3 " MARK "\": x}\n",
		H "    params: {\"P3:" MARK "\": x}\n",
		H "    params: {grandstream: {\"P3=" MARK "\": x}}\n",
		H "    config: {prefix:" MARK "}\n",
		H "    firmware: {\"version:" MARK "\": 1}\n",
		H "    binary: " MARK "\n",
		H "    xml_password: !" MARK "\n",
		H "    xml_password: *" MARK "\n",
		H "    xml_password: &a [*a, " MARK "]\n",
		H "    binary_layout: \"" MARK "\"\n",
		H "    groups: [" MARK "]\n",
		H "    groups: [" MARK ", " MARK "]\n",
		H "  000b82000001: {model: " MARK "}\n",
		H "  \"00:0b:82:00:00:02:" MARK "\": {model: GXP2170}\n",
		H "  \"" MARK "\": {model: GXP2170}\n",
		H "    \"settings:" MARK "\": 1\n    \"settings:" MARK "\": 2\n",
		"version: 1\nserver: {url: http://h/p, \"url:" MARK "\": 1}\n",
		"version: 1\nserver: {url: http://h/p}\nmodels: {\"X:" MARK
		"\": {vendor: grandstream, "
		"max_lines: 1}}\n",
		"version: 1\nserver: {url: http://h/p}\nmodels: {X1: {vendor: grandstream, "
		"max_lines: "
		"1, dialect: " MARK "}}\n",
		"version: 1\nserver: {url: http://h/p}\ngroups: {\"g:" MARK "\": {}}\n",
		"version: 1\nserver: {url: http://h/p}\n\"\\nprovfs: " MARK " delivered\": 1\n",
		"root:$y$j9T$" MARK "HASH1:19000:0:99999:7:::\n"
		"daemon:*:19000:0:99999:7:::\n"
		"alice:$6$salt$" MARK "HASH2:19000:0:99999:7:::\n",
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(yaml) / sizeof(yaml[0]); i++) {
		struct diag d;
		struct tree *t = load_yaml(yaml[i], &d);

		if (t != NULL) {
			fprintf(stderr, "case %zu loaded, expected an error\n", i);
			tree_free(t);
			failed++;
		} else if (d.n == 0) {
			fprintf(stderr, "case %zu: no message\n", i);
			failed++;
		}
		for (size_t j = 0; j < d.n; j++)
			if (strstr(d.msgs[j], MARK) != NULL || !one_printable_line(d.msgs[j])) {
				fprintf(stderr, "case %zu: %s\n", i, d.msgs[j]);
				failed++;
			}
		diag_free(&d);
	}
	assert_int_equal(failed, 0);
}

/* Fails the test (SIGALRM) instead of hanging when a load blocks on what it opens. */
#define NO_HANG_SECONDS 10

/*
 * An inventory path that is a FIFO, a device or a socket is an error naming the file, found
 * without opening it for a read that would wait for a writer.
 */
static void test_inventory_fifo_or_device_is_refused(void **state)
{
	char dir[] = "/tmp/provfs-inv-XXXXXX", path[256], want[400];
	struct inventory *inv;
	struct diag d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/inv.yaml", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	diag_init(&d);
	alarm(NO_HANG_SECONDS);
	assert_int_not_equal(inventory_load(path, &vendor_set, &inv, &d), 0);
	alarm(0);
	assert_null(inv);
	snprintf(want, sizeof(want), "%s:0:0: a FIFO, not a regular file", path);
	if (!diag_has(&d, want))
		diag_print(&d, stderr);
	assert_true(diag_has(&d, want));
	diag_free(&d);
	unlink(path);
	rmdir(dir);

	diag_init(&d);
	alarm(NO_HANG_SECONDS);
	assert_int_not_equal(inventory_load("/dev/null", &vendor_set, &inv, &d), 0);
	alarm(0);
	assert_true(diag_has(&d, "/dev/null:0:0: a device node, not a regular file"));
	diag_free(&d);
}

/*
 * In a directory inventory, every *.yaml entry is an inventory file: a directory, a FIFO or a
 * symlink to a device named so is an error (not skipped: the administrator meant something).
 */
static void test_inventory_directory_entry_not_a_file(void **state)
{
	char dir[] = "/tmp/provfs-inv-XXXXXX", path[256], want[400];
	struct inventory *inv;
	struct diag d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "a.yaml",
	           "version: 1\nserver: {url: http://h/p}\n"
	           "models: {GXP2170: {vendor: grandstream, max_lines: 6}}\n"
	           "devices: {000b82000001: {model: GXP2170}}\n");
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/d.yaml", dir);
	assert_int_equal(symlink("/dev/zero", path), 0);
	diag_init(&d);
	alarm(NO_HANG_SECONDS);
	assert_int_not_equal(inventory_load(dir, &vendor_set, &inv, &d), 0);
	alarm(0);
	assert_null(inv);
	snprintf(want, sizeof(want), "%s/b.yaml:0:0: a directory, not a regular file", dir);
	if (!diag_has(&d, want))
		diag_print(&d, stderr);
	assert_true(diag_has(&d, want));
	snprintf(want, sizeof(want), "%s/c.yaml:0:0: a FIFO, not a regular file", dir);
	assert_true(diag_has(&d, want));
	snprintf(want, sizeof(want), "%s/d.yaml:0:0: a device node, not a regular file", dir);
	assert_true(diag_has(&d, want));
	diag_free(&d);
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	rmdir(path);
	{
		const char *const names[] = { "a.yaml", "c.yaml", "d.yaml" };

		remove_dir(dir, names, 3);
	}
}

/* ---- the schema's key table (schema_keys): the parser and the manual follow it ---------- */

#define UNLISTED "zz_unlisted"

/*
 * YAML that puts `entry` ("KEY: x") and an unlisted key into one mapping of kind `map`. The
 * unlisted key proves the mapping was read: it must be the only unknown key reported.
 */
static void yaml_for(unsigned map, const char *entry, char *out, size_t len)
{
	const char *fmt;

	switch (map) {
	case SM_TOP:
		fmt = "%s\n" UNLISTED ": x\n";
		break;
	case SM_SERVER:
		fmt = "server: {%s, " UNLISTED ": x}\n";
		break;
	case SM_GENERIC:
		fmt = "generic: {%s, " UNLISTED ": x}\n";
		break;
	case SM_DEFAULTS:
		fmt = "defaults: {%s, " UNLISTED ": x}\n";
		break;
	case SM_GROUP:
		fmt = "groups: {g: {%s, " UNLISTED ": x}}\n";
		break;
	case SM_MODEL:
		fmt = "models: {M: {%s, " UNLISTED ": x}}\n";
		break;
	case SM_DEVICE:
		fmt = "devices: {000b82123456: {%s, " UNLISTED ": x}}\n";
		break;
	case SM_SETTINGS:
		fmt = "defaults: {settings: {%s, " UNLISTED ": x}}\n";
		break;
	case SM_LINE:
		fmt = "defaults: {lines: [{%s, " UNLISTED ": x}]}\n";
		break;
	case SM_CONFIG:
		fmt = "defaults: {config: {%s, " UNLISTED ": x}}\n";
		break;
	case SM_FIRMWARE:
		fmt = "defaults: {firmware: {%s, " UNLISTED ": x}}\n";
		break;
	default:
		fail_msg("map %#x has no YAML form in this test: add one", map);
		return;
	}
	snprintf(out, len, fmt, entry);
}

/* The only unknown-key message of d, or NULL (and a note) if there is not exactly one. */
static const char *only_unknown(const struct diag *d, const char *yaml)
{
	const char *found = NULL;
	int n = 0;

	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i], "unknown key") != NULL) {
			found = d->msgs[i];
			n++;
		}
	if (n != 1) {
		fprintf(stderr, "%d unknown-key messages for:\n%s", n, yaml);
		diag_print(d, stderr);
		return NULL;
	}
	return found;
}

/* Whether the comma-separated list after "expected one of: " names key. */
static bool list_names(const char *msg, const char *key)
{
	const char *p = strstr(msg, "(expected one of: ");
	size_t klen = strlen(key);

	if (p == NULL)
		return false;
	for (p += strlen("(expected one of: "); *p != '\0' && *p != ')';) {
		size_t n = strcspn(p, ",)");

		if (n == klen && strncmp(p, key, n) == 0)
			return true;
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return false;
}

/* One key in one mapping: accepted, and named in the list of that mapping's unknown key. */
static int check_key_in_map(unsigned map, const char *key, const char *vendor)
{
	char entry[128], yaml[512], want[128];
	struct diag d;
	const char *msg;
	int bad = 0;

	if (map == SM_MODEL && strcmp(key, "vendor") == 0)
		snprintf(entry, sizeof(entry), "vendor: %s", vendor);
	else if (map == SM_MODEL)
		snprintf(entry, sizeof(entry), "vendor: %s, %s: x", vendor, key);
	else
		snprintf(entry, sizeof(entry), "%s: x", key);
	yaml_for(map, entry, yaml, sizeof(yaml));
	assert_null(load_yaml(yaml, &d)); /* the unlisted key alone makes it fail */
	msg = only_unknown(&d, yaml);
	snprintf(want, sizeof(want),
	         "unknown key '" UNLISTED "' in %s (expected one of: ", schema_map_name(map));
	if (msg == NULL || strstr(msg, want) == NULL || !list_names(msg, key)) {
		fprintf(stderr, "key '%s' in %s: %s\n", key, schema_map_name(map),
		        msg ? msg : "(no single unknown-key message)");
		bad = 1;
	}
	diag_free(&d);
	return bad;
}

static void test_schema_every_listed_key_is_accepted(void **state)
{
	int bad = 0, checked = 0;

	(void)state;
	for (size_t i = 0; i < schema_nkeys; i++)
		for (unsigned bit = 0; bit < SM__COUNT; bit++)
			if (schema_keys[i].maps & (1u << bit)) {
				bad +=
				    check_key_in_map(1u << bit, schema_keys[i].key, "grandstream");
				checked++;
			}
	assert_int_equal(bad, 0);
	assert_true(checked > 40); /* every mapping has its keys */
}

/* Each vendor's model options are accepted for its models, and listed; no option is a key of
 * the schema's own (the reader would take it for that key). */
static void test_schema_vendor_options_are_accepted(void **state)
{
	int bad = 0;

	(void)state;
	for (uint32_t v = 0; v < vendor_set.n; v++) {
		const struct vendor_schema *vs = vendor_set.v[v];

		for (uint32_t o = 0; o < vs->noptions; o++) {
			assert_null(schema_find(SM_MODEL, vs->options[o].key));
			bad += check_key_in_map(SM_MODEL, vs->options[o].key, vs->name);
		}
	}
	assert_int_equal(bad, 0);
}

/* A key in the wrong mapping is refused: the table's maps are what the reader accepts. */
static void test_schema_key_in_another_map_is_refused(void **state)
{
	struct diag d;
	const char *msg;

	(void)state;
	/* lines belong to levels, not to generic; url only to server */
	assert_null(load_yaml("generic: {lines: [], " UNLISTED ": x}\n", &d));
	assert_true(diag_count(&d) >= 2);
	diag_free(&d);
	assert_null(load_yaml("defaults: {url: x}\n", &d));
	msg = only_unknown(&d, "defaults: {url: x}\n");
	assert_non_null(msg);
	assert_non_null(strstr(msg, "unknown key 'url' in defaults"));
	diag_free(&d);
}

/* The backend's labels of settings and line fields (vendor messages) are the schema's keys. */
static void test_schema_labels_match_the_backend(void **state)
{
	int settings = 0, fields = 0;

	(void)state;
	for (size_t i = 0; i < schema_nkeys; i++) {
		const struct schema_key *k = &schema_keys[i];

		if (k->maps & SM_SETTINGS) {
			assert_true(k->id >= 0 && k->id < SET__COUNT);
			assert_string_equal(validate_setting_label[k->id], k->key);
			settings++;
		}
		if (k->maps & SM_LINE) {
			assert_true(k->id >= 0 && k->id < LF__COUNT);
			assert_string_equal(validate_line_label[k->id], k->key);
			fields++;
		}
	}
	assert_int_equal(settings, SET__COUNT);
	assert_int_equal(fields, LF__COUNT);
}

/* The text of man/provfs-inventory.5 (the tests run from the repository's root). */
static char *read_manual(void)
{
	static const char path[] = "man/provfs-inventory.5";
	FILE *f = fopen(path, "r");
	char *text;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s (run from the repository's root)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	return text;
}

/*
 * Whether the manual defines `key` as an entry: a tagged paragraph whose tag line is
 * ".B key" (".TP" then ".B key", maybe followed by the value's form).
 */
static bool manual_defines(const char *text, const char *key)
{
	char want[96];
	size_t n = (size_t)snprintf(want, sizeof(want), ".TP\n.B %s", key);

	for (const char *p = strstr(text, want); p != NULL; p = strstr(p + 1, want))
		if (p[n] == '\n' || p[n] == ' ')
			return true;
	return false;
}

static void test_manual_names_every_key(void **state)
{
	char *text = read_manual();
	int missing = 0;

	(void)state;
	for (size_t i = 0; i < schema_nkeys; i++)
		if (!manual_defines(text, schema_keys[i].key)) {
			fprintf(stderr, "man/provfs-inventory.5 does not define '%s' (.TP/.B)\n",
			        schema_keys[i].key);
			missing++;
		}
	for (uint32_t v = 0; v < vendor_set.n; v++) {
		const struct vendor_schema *vs = vendor_set.v[v];

		for (uint32_t o = 0; o < vs->noptions; o++) {
			if (!manual_defines(text, vs->options[o].key)) {
				fprintf(
				    stderr,
				    "man/provfs-inventory.5 does not define the %s option '%s'\n",
				    vs->name, vs->options[o].key);
				missing++;
			}
			for (const char *const *c = vs->options[o].choices; *c != NULL; c++) {
				char word[64];

				snprintf(word, sizeof(word), "\\fB%s\\fR", *c);
				if (strstr(text, word) == NULL) {
					fprintf(stderr,
					        "man/provfs-inventory.5 lacks '%s' (%s: %s)\n",
					        word, vs->name, vs->options[o].key);
					missing++;
				}
			}
		}
		/* each vendor has its section: .SH or .SS naming it */
		{
			char sect[64];

			snprintf(sect, sizeof(sect), "vendor: %s", vs->name);
			if (strstr(text, sect) == NULL) {
				fprintf(stderr, "man/provfs-inventory.5 lacks '%s'\n", sect);
				missing++;
			}
		}
	}
	free(text);
	assert_int_equal(missing, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_bad_table),
		cmocka_unit_test(test_inventory_depth_limit),
		cmocka_unit_test(test_inventory_flow_nesting_bomb_stops_early),
		cmocka_unit_test(test_inventory_alias_bomb_is_bounded),
		cmocka_unit_test(test_inventory_small_aliases_are_fine),
		cmocka_unit_test(test_inventory_long_value_is_refused),
		cmocka_unit_test(test_inventory_duplicate_keys_at_scale),
		cmocka_unit_test(test_inventory_file_over_64_mib_is_refused),
		cmocka_unit_test(test_inventory_valid_shape),
		cmocka_unit_test(test_inventory_binary_size_limit),
		cmocka_unit_test(test_inventory_directory_merges_files_in_name_order),
		cmocka_unit_test(test_inventory_directory_device_defined_twice),
		cmocka_unit_test(test_inventory_empty_directory),
		cmocka_unit_test(test_inventory_spec_example_is_valid),
		cmocka_unit_test(test_inventory_missing_file),
		cmocka_unit_test(test_messages_key_excerpt_rule),
		cmocka_unit_test(test_messages_quote_rule),
		cmocka_unit_test(test_messages_glued_secret_is_cut),
		cmocka_unit_test(test_messages_control_characters_in_a_key),
		cmocka_unit_test(test_messages_long_key_is_bounded),
		cmocka_unit_test(test_messages_values_are_not_quoted),
		cmocka_unit_test(test_messages_hostile_table),
		cmocka_unit_test(test_inventory_fifo_or_device_is_refused),
		cmocka_unit_test(test_inventory_directory_entry_not_a_file),
		cmocka_unit_test(test_schema_every_listed_key_is_accepted),
		cmocka_unit_test(test_schema_vendor_options_are_accepted),
		cmocka_unit_test(test_schema_key_in_another_map_is_refused),
		cmocka_unit_test(test_schema_labels_match_the_backend),
		cmocka_unit_test(test_manual_names_every_key),
	};

	return cmocka_run_group_tests_name("inventory", tests, NULL, NULL);
}
