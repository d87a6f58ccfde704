/*
 * test_state.c - the state directory: created 0700 when missing, files replaced whole,
 * no temporary file left behind, names that could escape the directory refused.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "fs/state.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/provfs-state-%ld", (long)getpid());
	return 0;
}

static void test_state_creates_private_directory_and_round_trips(void **state)
{
	struct state st;
	struct stat sb;
	struct buf b;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(state_write(&st, "keys", "one", 3), 0);
	assert_int_equal(state_write(&st, "keys", "second", 6), 0); /* replaced whole */
	buf_init(&b);
	assert_int_equal(state_read(&st, "keys", &b), 0);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "second", 6);
	buf_free(&b);
	assert_int_equal(count_entries(dir, false), 1);
	assert_int_equal(count_entries(dir, true), 0); /* no temporary file left */
	buf_init(&b);
	assert_int_equal(state_read(&st, "missing", &b), -ENOENT);
	buf_free(&b);
	state_close(&st);
	/* reopening an existing directory works */
	assert_int_equal(state_open(dir, &st), 0);
	state_close(&st);
}

static void test_state_refuses_names_that_escape(void **state)
{
	struct state st;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(state_write(&st, "../evil", "x", 1), -EINVAL);
	assert_int_equal(state_write(&st, "a/b", "x", 1), -EINVAL);
	assert_int_equal(state_write(&st, ".hidden", "x", 1), -EINVAL);
	state_close(&st);
}

static void test_state_replace_file_sets_mode(void **state)
{
	struct state st;
	struct stat sb;
	char path[128];

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(replace_file(st.dirfd, "export.xml", "<x/>", 4, 0444, false), 0);
	snprintf(path, sizeof(path), "%s/export.xml", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0444);
	assert_int_equal(sb.st_size, 4);
	/* a read-only file is replaced too: rename does not need write permission on it */
	assert_int_equal(replace_file(st.dirfd, "export.xml", "<y></y>", 7, 0444, true), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 7);
	unlink(path);
	state_close(&st);
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/keys", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_creates_private_directory_and_round_trips),
		cmocka_unit_test(test_state_refuses_names_that_escape),
		cmocka_unit_test(test_state_replace_file_sets_mode),
	};

	return cmocka_run_group_tests_name("state", tests, setup, teardown);
}
