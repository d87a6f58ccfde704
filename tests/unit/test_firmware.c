/*
 * test_firmware.c - firmware stays in its directory (issue 10 points 4 and 5): only regular files
 * that really lie in FIRMWARE_DIR/grandstream/<version>/ are served. A symlink there (to a
 * file outside or inside), a FIFO, a socket or a device node is a `check` error at the
 * version's FILE:LINE:COL naming the file; a version directory or `grandstream` reached through
 * a symlink is an error, while firmware_dir itself may be a symlink the administrator set.
 * After loading, a file replaced by a FIFO, a symlink (even to the very same inode) or
 * truncated is refused by file_open_source without blocking.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend/files.h"

/* Fails the test (SIGALRM) instead of hanging when something blocks on a FIFO. */
#define NO_HANG_SECONDS 10

/* Line 5, column 68: the version's value (every error of a scan is reported there). */
static const char inventory[] = "version: 1\n"
                                "server: {url: http://h/p}\n"
                                "firmware_dir: fw\n"
                                "models:\n"
                                "  GXP2170: {vendor: grandstream, max_lines: 2, firmware: "
                                "{version: \"1.0\", prefix: gs_}}\n"
                                "devices:\n"
                                "  000b82123456: {model: GXP2170}\n";

static char dir[64];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command in the test's directory; fails the test if it fails. */
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

/* A fresh directory: inv.yaml, fw/grandstream/1.0/{a.bin,b.bin}, and a secret beside it. */
static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/provfs-fw-XXXXXX");
	assert_non_null(mkdtemp(dir));
	write_file(dir, "inv.yaml", inventory);
	sh("mkdir -p fw/grandstream/1.0 && printf one >fw/grandstream/1.0/a.bin && "
	   "printf two! >fw/grandstream/1.0/b.bin && printf 'root:$6$secret' >secret");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir);
}

/* Loads dir/inv.yaml: the tree (NULL on errors), messages in d. Never blocks. */
static struct tree *load(struct diag *d)
{
	char path[128];
	struct tree *t = NULL;

	snprintf(path, sizeof(path), "%s/inv.yaml", dir);
	diag_init(d);
	alarm(NO_HANG_SECONDS);
	if (tree_load(path, NULL, &t, d) < 0)
		t = NULL;
	alarm(0);
	return t;
}

/*
 * The load fails with a message that starts at the version and contains `fmt`, where "%s"
 * stands for the test's directory.
 */
static void expect_error(const char *fmt)
{
	char where[128], what[512];
	struct diag d;
	struct tree *t = load(&d);
	int found = 0;

	snprintf(where, sizeof(where), "%s/inv.yaml:5:68: ", dir);
	snprintf(what, sizeof(what), "%s", fmt);
	for (size_t i = 0; i < d.n; i++)
		if (strncmp(d.msgs[i], where, strlen(where)) == 0 &&
		    strstr(d.msgs[i], what) != NULL)
			found = 1;
	if (!found) {
		fprintf(stderr, "expected %s...%s, got:\n", where, what);
		diag_print(&d, stderr);
	}
	tree_free(t);
	diag_free(&d);
	assert_true(found);
}

static void expect_clean(uint32_t nfw)
{
	struct diag d;
	struct tree *t = load(&d);

	if (t == NULL)
		diag_print(&d, stderr);
	assert_non_null(t);
	assert_int_equal(t->nfw, nfw);
	tree_free(t);
	diag_free(&d);
}

static void test_firmware_clean_tree_loads(void **state)
{
	(void)state;
	expect_clean(2);
}

static void test_firmware_symlink_out_is_an_error(void **state)
{
	(void)state;
	sh("ln -s ../../../secret fw/grandstream/1.0/c.bin");
	expect_error("firmware 1.0: 'c.bin' in grandstream/1.0 is a symbolic link");
}

static void test_firmware_symlink_in_is_an_error(void **state)
{
	(void)state;
	sh("ln -s a.bin fw/grandstream/1.0/c.bin");
	expect_error("firmware 1.0: 'c.bin' in grandstream/1.0 is a symbolic link");
}

static void test_firmware_fifo_is_an_error(void **state)
{
	(void)state;
	sh("mkfifo fw/grandstream/1.0/c.bin");
	expect_error("firmware 1.0: 'c.bin' in grandstream/1.0 is a FIFO");
}

static void test_firmware_socket_and_device_are_errors(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)state;
	assert_true(s >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/fw/grandstream/1.0/s.bin", dir);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	expect_error("firmware 1.0: 's.bin' in grandstream/1.0 is a socket");
	sh("rm fw/grandstream/1.0/s.bin && mknod fw/grandstream/1.0/null.bin c 1 3");
	expect_error("firmware 1.0: 'null.bin' in grandstream/1.0 is a device node");
}

static void test_firmware_odd_name_is_escaped(void **state)
{
	(void)state;
	sh("ln -s a.bin \"fw/grandstream/1.0/$(printf 'x\\001\\n\\377y')\"");
	expect_error("firmware 1.0: 'x\\x01\\x0a\\xffy' in grandstream/1.0 is a symbolic link");
}

static void test_firmware_symlinked_version_is_an_error(void **state)
{
	(void)state;
	sh("mv fw/grandstream/1.0 fw/grandstream/real && ln -s real fw/grandstream/1.0");
	expect_error("firmware 1.0: grandstream/1.0 is reached through a symbolic link");
}

static void test_firmware_symlinked_grandstream_is_an_error(void **state)
{
	(void)state;
	sh("mv fw/grandstream fw/gs && ln -s gs fw/grandstream");
	expect_error("firmware 1.0: grandstream/1.0 is reached through a symbolic link");
}

/* The administrator's own root may be a symlink (a mount elsewhere, a release switch). */
static void test_firmware_symlinked_firmware_dir_is_fine(void **state)
{
	(void)state;
	sh("mv fw fw.real && ln -s fw.real fw");
	expect_clean(2);
}

/* Subdirectories are not firmware: no name can reach into them, so they are skipped. */
static void test_firmware_subdirectory_is_skipped(void **state)
{
	(void)state;
	sh("mkdir fw/grandstream/1.0/old && printf x >fw/grandstream/1.0/old/x.bin");
	expect_clean(2);
}

/* Loads the clean tree and resolves gs_a.bin. */
static struct tree *load_clean(struct file_ref *ref)
{
	struct diag d;
	struct tree *t = load(&d);

	assert_non_null(t);
	diag_free(&d);
	assert_int_equal(file_resolve(t, "gs_a.bin", ref), 0);
	return t;
}

/* After loading the clean tree, cmd changes gs_a.bin's real file: opening it is refused. */
static void refused_after(const char *cmd)
{
	struct file_ref ref;
	struct tree *t = load_clean(&ref);
	int fd;

	sh("%s", cmd);
	alarm(NO_HANG_SECONDS);
	fd = file_open_source(&ref);
	alarm(0);
	if (fd >= 0)
		close(fd);
	tree_free(t);
	assert_int_equal(fd, -ESTALE);
}

static void test_firmware_source_replaced_by_fifo(void **state)
{
	(void)state;
	refused_after("rm fw/grandstream/1.0/a.bin && mkfifo fw/grandstream/1.0/a.bin");
}

/* A symlink to the very same inode (moved out of the directory) is refused all the same. */
static void test_firmware_source_replaced_by_symlink(void **state)
{
	(void)state;
	refused_after("mv fw/grandstream/1.0/a.bin moved && "
	              "ln -s ../../../moved fw/grandstream/1.0/a.bin");
}

static void test_firmware_source_truncated(void **state)
{
	(void)state;
	refused_after("truncate -s 1 fw/grandstream/1.0/a.bin");
}

static void test_firmware_source_replaced_by_device(void **state)
{
	(void)state;
	refused_after("rm fw/grandstream/1.0/a.bin && mknod fw/grandstream/1.0/a.bin c 1 3");
}

/* An unchanged file still opens, also after its version directory was swapped for a link. */
static void test_firmware_source_unchanged_opens(void **state)
{
	struct file_ref ref;
	struct tree *t = load_clean(&ref);
	char buf[8];
	int fd;

	(void)state;
	sh("mv fw/grandstream/1.0 fw/grandstream/old && mkdir fw/grandstream/evil && "
	   "ln -s ../../../secret fw/grandstream/evil/a.bin && ln -s evil fw/grandstream/1.0");
	fd = file_open_source(&ref);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 3);
	assert_memory_equal(buf, "one", 3);
	close(fd);
	tree_free(t);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_firmware_clean_tree_loads),
		T(test_firmware_symlink_out_is_an_error),
		T(test_firmware_symlink_in_is_an_error),
		T(test_firmware_fifo_is_an_error),
		T(test_firmware_socket_and_device_are_errors),
		T(test_firmware_odd_name_is_escaped),
		T(test_firmware_symlinked_version_is_an_error),
		T(test_firmware_symlinked_grandstream_is_an_error),
		T(test_firmware_symlinked_firmware_dir_is_fine),
		T(test_firmware_subdirectory_is_skipped),
		T(test_firmware_source_replaced_by_fifo),
		T(test_firmware_source_replaced_by_symlink),
		T(test_firmware_source_truncated),
		T(test_firmware_source_replaced_by_device),
		T(test_firmware_source_unchanged_opens),
	};

	return cmocka_run_group_tests_name("firmware", tests, NULL, NULL);
}
