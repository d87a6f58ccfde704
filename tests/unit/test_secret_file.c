/*
 * test_secret_file.c - secrets outside the inventory (inventory/secret_file.h): references
 * resolve to the file's values in the slot an inline value takes, at the reference's
 * position; every refusal (mode, owner, symlink, FIFO, size, a missing name, no secrets file,
 * a bad reference) fails the load with one message at the right FILE:LINE:COL that never
 * quotes a secret.
 *
 * Positions are counted in the text of INV below (lines and columns 1-based).
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/vendor.h"
#include "inventory/secret_file.h"

#define SECRETS_TEXT                                                                               \
	"alice: \"Al1ce-SIP-s3cret\"\n"                                                            \
	"admin: Adm1n-s3cret\n"                                                                    \
	"xml: Xml-s3cret\n"                                                                        \
	"spaced: \"has a space\"\n"

/* line 3 col 10: the secrets: value; 8:19 xml_password, 9:32 admin_password, 10:38 password */
#define INV_HEAD                                                                                   \
	"version: 1\n"                                                                             \
	"server: {url: http://h/p}\n"                                                              \
	"secrets: secrets.yaml\n"                                                                  \
	"models: {GXP2170: {vendor: grandstream, max_lines: 2}}\n"                                 \
	"devices:\n"                                                                               \
	"  000b82123456:\n"                                                                        \
	"    model: GXP2170\n"
#define INV_REFS                                                                                   \
	"    xml_password: {secret: xml}\n"                                                        \
	"    settings: {admin_password: {secret: admin}}\n"                                        \
	"    lines: [{user: \"1001\", password: {secret: alice}}]\n"

static char dir[64];

static void path_of(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void put_secrets(const char *text, mode_t mode)
{
	char p[128];

	path_of("secrets.yaml", p, sizeof(p));
	unlink(p);
	write_file(dir, "secrets.yaml", text);
	assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/provfs-secretfile-%ld", (long)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Loads dir/inv.yaml written from text; returns the inventory or NULL with messages in d. */
static struct inventory *load(const char *text, struct diag *d)
{
	struct inventory *inv = NULL;
	char p[128];

	write_file(dir, "inv.yaml", text);
	path_of("inv.yaml", p, sizeof(p));
	diag_init(d);
	inventory_load(p, &vendor_set, &inv, d);
	return inv;
}

/* No message may hold a secret of SECRETS_TEXT. */
static void no_secret_in(const struct diag *d)
{
	static const char *const secrets[] = { "Al1ce", "Adm1n", "Xml-s3", "has a space" };

	for (size_t i = 0; i < d->n; i++)
		for (size_t k = 0; k < sizeof(secrets) / sizeof(secrets[0]); k++)
			if (strstr(d->msgs[i], secrets[k]) != NULL)
				fail_msg("a message quotes a secret: %s", d->msgs[i]);
}

/* The load fails with exactly one message: "<dir>/inv.yaml:" + at, holding `what`. */
static void expect_one(const char *text, const char *file, const char *at, const char *what)
{
	char where[160];
	struct diag d;
	struct inventory *inv = load(text, &d);

	snprintf(where, sizeof(where), "%s/%s:%s: ", dir, file, at);
	if (inv != NULL || d.n != 1 || strncmp(d.msgs[0], where, strlen(where)) != 0 ||
	    strstr(d.msgs[0], what) == NULL) {
		diag_print(&d, stderr);
		fail_msg("expected one message %s...%s", where, what);
	}
	no_secret_in(&d);
	diag_free(&d);
}

static void test_secret_refs_resolve_in_place(void **state)
{
	const struct device *dev;
	struct inventory *inv;
	struct diag d;

	(void)state;
	put_secrets(SECRETS_TEXT, 0600);
	inv = load(INV_HEAD INV_REFS, &d);
	if (inv == NULL)
		diag_print(&d, stderr);
	assert_non_null(inv);
	dev = inventory_find(inv, 0x000b82123456);
	assert_non_null(dev);
	assert_string_equal(dev->level.lines[0].f[LF_PASSWORD].s, "Al1ce-SIP-s3cret");
	assert_int_equal(dev->level.lines[0].f[LF_PASSWORD].len, 16);
	assert_int_equal(dev->level.lines[0].f[LF_PASSWORD].pos.line, 10);
	assert_int_equal(dev->level.lines[0].f[LF_PASSWORD].pos.col, 38);
	assert_string_equal(dev->level.settings[SET_ADMIN_PASSWORD].s, "Adm1n-s3cret");
	assert_string_equal(dev->level.xml_password.s, "Xml-s3cret");
	assert_int_equal(dev->level.xml_password.pos.line, 8);
	assert_non_null(strstr(inv->secrets_path, "/secrets.yaml"));
	assert_int_equal(strncmp(inv->secrets_path, dir, strlen(dir)), 0); /* beside inv.yaml */
	inventory_free(inv);
	diag_free(&d);
	/* stricter than 0600 is fine */
	put_secrets(SECRETS_TEXT, 0400);
	inv = load(INV_HEAD INV_REFS, &d);
	assert_non_null(inv);
	inventory_free(inv);
	diag_free(&d);
	/* group read is fine (0640 root:provfs, as /etc/shadow): root and a run_as daemon */
	put_secrets(SECRETS_TEXT, 0640);
	inv = load(INV_HEAD INV_REFS, &d);
	if (inv == NULL)
		diag_print(&d, stderr);
	assert_non_null(inv);
	inventory_free(inv);
	diag_free(&d);
}

static void test_secret_file_mode_owner_type_size(void **state)
{
	char p[128], big[128];
	int fd;

	(void)state;
	put_secrets(SECRETS_TEXT, 0644);
	expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "is open to other users (mode 0644)");
	put_secrets(SECRETS_TEXT, 0660); /* group write: a member could swap passwords */
	expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "must be mode 0640 or stricter");
	put_secrets(SECRETS_TEXT, 0604);
	expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "(mode 0604)");
	put_secrets(SECRETS_TEXT, 0602);
	expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "(mode 0602)");
	put_secrets(SECRETS_TEXT, 0620);
	expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "(mode 0620)");
	if (geteuid() == 0) {
		put_secrets(SECRETS_TEXT, 0600);
		path_of("secrets.yaml", p, sizeof(p));
		assert_int_equal(chown(p, 65534, 65534), 0);
		expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "belongs to uid 65534");
	}
	/* a symlink to a good file: refused, never followed */
	put_secrets(SECRETS_TEXT, 0600);
	path_of("secrets.yaml", p, sizeof(p));
	path_of("real.yaml", big, sizeof(big));
	assert_int_equal(rename(p, big), 0);
	assert_int_equal(symlink(big, p), 0);
	expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "is a symbolic link");
	unlink(p);
	/* a FIFO: refused at once, no load waits for a writer */
	assert_int_equal(mkfifo(p, 0600), 0);
	expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "is a FIFO, not a regular file");
	unlink(p);
	/* bounded size: 1 MiB and one byte */
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SECRETS_MAX_BYTES + 1), 0);
	close(fd);
	expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "is larger than 1024 KiB");
	unlink(p);
	expect_one(INV_HEAD INV_REFS, "inv.yaml", "3:10", "No such file or directory");
}

static void test_secret_names_and_references(void **state)
{
	(void)state;
	put_secrets(SECRETS_TEXT, 0600);
	/* a name the file lacks: at the reference */
	expect_one(INV_HEAD "    lines: [{user: \"1001\", password: {secret: bob}}]\n", "inv.yaml",
	           "8:38", "this secret is not in the secrets file");
	/* xml_password keeps its rule: printable ASCII without spaces */
	expect_one(INV_HEAD "    xml_password: {secret: spaced}\n", "inv.yaml", "8:19",
	           "must be 1 to 64 characters of printable ASCII without spaces");
	/* not a reference */
	expect_one(INV_HEAD "    lines: [{user: \"1001\", password: {secrt: alice}}]\n", "inv.yaml",
	           "8:38", "'password' must be a value or {secret: NAME}");
	expect_one(INV_HEAD "    settings: {admin_password: {secret: \"a b\"}}\n", "inv.yaml",
	           "8:32", "'admin_password' must be a value or {secret: NAME}");
	/* a reference without a secrets file */
	expect_one("version: 1\n"
	           "server: {url: http://h/p}\n"
	           "models: {GXP2170: {vendor: grandstream, max_lines: 2}}\n"
	           "devices: {000b82123456: {model: GXP2170, xml_password: {secret: xml}}}\n",
	           "inv.yaml", "4:56", "names no 'secrets' file");
	/* the secrets file's own problems are at its own positions */
	put_secrets("alice: [1, 2]\n", 0600);
	expect_one(INV_HEAD INV_REFS, "secrets.yaml", "1:8", "a secret must be a value");
	put_secrets("- alice\n", 0600);
	expect_one(INV_HEAD INV_REFS, "secrets.yaml", "1:1", "must be a mapping NAME: value");
}

/* The load fails and no message holds `marker` (a password written where a name goes). */
static void expect_unquoted(const char *text, const char *marker)
{
	struct diag d;
	struct inventory *inv = load(text, &d);

	assert_null(inv);
	assert_true(d.n >= 1);
	for (size_t i = 0; i < d.n; i++)
		if (strstr(d.msgs[i], marker) != NULL)
			fail_msg("a message quotes a secret: %s", d.msgs[i]);
	diag_free(&d);
}

/*
 * A password written as the reference's NAME, a secrets file written reversed (value: name)
 * with the same password twice: no message quotes them, the positions say where.
 */
static void test_secret_messages_never_quote_names_or_keys(void **state)
{
	(void)state;
	put_secrets(SECRETS_TEXT, 0600);
	expect_unquoted(INV_HEAD "    lines: [{user: \"1001\", password: {secret: Hunter2-Pw}}]\n",
	                "Hunter2");
	expect_unquoted(INV_HEAD "    xml_password: {secret: spaced}\n", "spaced");
	put_secrets("Welcome2024: alice\nWelcome2024: admin\nXml: xml\n", 0600);
	expect_unquoted(INV_HEAD INV_REFS, "Welcome2024");
}

/*
 * A directory inventory: the references in a.yaml, the secrets key after them in b.yaml,
 * resolved against b.yaml's directory; the file is outside the directory (a *.yaml in it
 * would be read as part of the inventory).
 */
static void test_secret_file_in_a_directory_inventory(void **state)
{
	struct inventory *inv = NULL;
	char sub[128];
	struct diag d;

	(void)state;
	put_secrets(SECRETS_TEXT, 0600);
	path_of("inv.d", sub, sizeof(sub));
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(sub, "a.yaml",
	           "version: 1\n"
	           "server: {url: http://h/p}\n"
	           "models: {GXP2170: {vendor: grandstream, max_lines: 2}}\n"
	           "devices: {000b82123456: {model: GXP2170, xml_password: {secret: xml}}}\n");
	write_file(sub, "b.yaml", "secrets: ../secrets.yaml\n");
	diag_init(&d);
	if (inventory_load(sub, &vendor_set, &inv, &d) < 0)
		diag_print(&d, stderr);
	assert_non_null(inv);
	assert_string_equal(inventory_find(inv, 0x000b82123456)->level.xml_password.s,
	                    "Xml-s3cret");
	inventory_free(inv);
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_refs_resolve_in_place),
		cmocka_unit_test(test_secret_file_mode_owner_type_size),
		cmocka_unit_test(test_secret_names_and_references),
		cmocka_unit_test(test_secret_file_in_a_directory_inventory),
		cmocka_unit_test(test_secret_messages_never_quote_names_or_keys),
	};

	return cmocka_run_group_tests_name("secret_file", tests, setup, teardown);
}
