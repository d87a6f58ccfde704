/*
 * test_state.c - the state directory: created 0700 when missing, files replaced whole,
 * no temporary file left behind, names that could escape the directory refused; a temporary
 * file left by a killed writer never blocks a write and is swept once old; writers in
 * several threads never collide; a directory given to a user (run_as) takes its files along,
 * and what root writes there later goes to that user too; the write probe leaves nothing.
 */
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state/state.h"

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

/* dir/name with text, and its mtime moved `age` seconds back */
static void plant(const char *name, const char *text, time_t age)
{
	struct timespec times[2];
	char path[192];

	write_file(dir, name, text);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	times[0].tv_sec = times[1].tv_sec = time(NULL) - age;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

static void unplant(const char *name)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

static bool exists(const char *name)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_state_write_is_not_blocked_by_a_leftover_temp_file(void **state)
{
	char leftover[64];
	struct state st;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	/* what a writer of this PID left when it was killed (the names before random ones) */
	snprintf(leftover, sizeof(leftover), ".keys.%ld.tmp", (long)getpid());
	plant(leftover, "old key", 0);
	plant(".keys.0123456789abcdef.tmp", "old key", 0);
	assert_int_equal(state_write(&st, "keys", "new", 3), 0);
	assert_true(exists("keys"));
	/* the sweep removes old temporary files only, and nothing else */
	plant(".keys.fedcba9876543210.tmp", "older key", 120);
	plant(".hidden", "not a temporary file", 120);
	plant("fetch-000b82123456", "not a temporary file", 120);
	assert_int_equal(state_sweep_temps(&st, 60), 1);
	assert_false(exists(".keys.fedcba9876543210.tmp"));
	assert_true(exists(leftover) && exists(".keys.0123456789abcdef.tmp"));
	assert_true(exists(".hidden") && exists("fetch-000b82123456") && exists("keys"));
	assert_int_equal(state_sweep_temps(&st, 0), 2);
	assert_false(exists(leftover));
	assert_int_equal(count_entries(dir, true), 1); /* .hidden */
	unplant(".hidden");
	unplant("fetch-000b82123456");
	state_close(&st);
}

#define WRITERS 4
#define WRITES  200

static void *write_many(void *arg)
{
	const struct state *st = arg;
	intptr_t failed = 0;

	for (int i = 0; i < WRITES; i++)
		failed += state_write(st, "keys", "concurrent", 10) != 0;
	return (void *)failed;
}

static void test_state_writers_in_threads_never_collide(void **state)
{
	pthread_t th[WRITERS];
	struct state st;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, write_many, &st), 0);
	for (int i = 0; i < WRITERS; i++) {
		void *failed;

		assert_int_equal(pthread_join(th[i], &failed), 0);
		assert_int_equal((intptr_t)failed, 0);
	}
	assert_int_equal(count_entries(dir, true), 0);
	state_close(&st);
}

#define NOBODY 65534 /* Debian's nobody:nogroup */

static void assert_owner(const char *path, uid_t uid, gid_t gid)
{
	struct stat sb;

	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_uid, uid);
	assert_int_equal(sb.st_gid, gid);
}

static void test_state_given_to_a_user_takes_its_files_along(void **state)
{
	char own[80], path[160], bad[64];
	struct state st;
	struct stat sb;
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip(); /* giving files away is root's */
	snprintf(own, sizeof(own), "%s-own", dir);
	assert_int_equal(state_open(own, &st), 0);
	assert_int_equal(state_write(&st, "key-0004f2000001", "k", 1), 0);
	snprintf(path, sizeof(path), "%s/key-0004f2000001", own);
	assert_owner(path, 0, 0); /* root's directory: root's file */
	/* live/ as a root mount made it: taken along, or every later reload fails to renew it */
	snprintf(path, sizeof(path), "%s/live", own);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/live/inventory.yaml", own);
	assert_int_equal(close(open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)), 0);
	assert_int_equal(fchmod(st.dirfd, 0755), 0);

	assert_int_equal(state_give(&st, NOBODY, NOBODY, bad, sizeof(bad)), 0);
	assert_owner(own, NOBODY, NOBODY);
	assert_int_equal(stat(own, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/key-0004f2000001", own);
	assert_owner(path, NOBODY, NOBODY);
	snprintf(path, sizeof(path), "%s/live", own);
	assert_owner(path, NOBODY, NOBODY);
	snprintf(path, sizeof(path), "%s/live/inventory.yaml", own);
	assert_owner(path, NOBODY, NOBODY);
	/* again: nothing to change */
	assert_int_equal(state_give(&st, NOBODY, NOBODY, bad, sizeof(bad)), 0);

	/* root writes there later (provctl rekey): the file is the directory owner's */
	assert_int_equal(state_write(&st, "key-0004f2000002", "k", 1), 0);
	snprintf(path, sizeof(path), "%s/key-0004f2000002", own);
	assert_owner(path, NOBODY, NOBODY);
	assert_int_equal(state_lock(&st, "keys.lock", false, &fd), 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/keys.lock", own);
	assert_owner(path, NOBODY, NOBODY);

	assert_int_equal(state_probe_write(&st), 0);
	assert_int_equal(count_entries(own, true), 0); /* the probe left nothing */
	state_close(&st);
	assert_int_equal(remove_tree(own), 0);
}

/* One entry in a fresh directory, state_give refused, nothing changed (root's, 0755). */
static void assert_not_given(const char *entry, bool is_link, int want, const char *named)
{
	char own[80], path[160], bad[64];
	struct state st;
	struct stat sb;

	snprintf(own, sizeof(own), "%s-foreign", dir);
	assert_int_equal(state_open(own, &st), 0);
	assert_int_equal(fchmod(st.dirfd, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s", own, entry);
	if (is_link)
		assert_int_equal(symlink("/etc/passwd", path), 0);
	else
		assert_int_equal(close(open(path, O_WRONLY | O_CREAT | O_EXCL, 0640)), 0);
	if (want == -EMLINK) {
		char other[200];

		snprintf(other, sizeof(other), "%s-hardlink", own);
		assert_int_equal(link(path, other), 0);
	}
	assert_int_equal(state_give(&st, NOBODY, NOBODY, bad, sizeof(bad)), want);
	assert_string_equal(bad, named);
	assert_int_equal(stat(own, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755); /* the directory as it was */
	assert_owner(own, 0, 0);
	if (!is_link)
		assert_owner(path, 0, 0);
	assert_owner("/etc/passwd", 0, 0);
	state_close(&st);
	if (want == -EMLINK) {
		snprintf(path, sizeof(path), "%s-hardlink", own);
		unlink(path);
	}
	assert_int_equal(remove_tree(own), 0);
}

/* state=/etc by mistake: a directory that is not provfs's is never given away (run_as). */
static void test_state_foreign_directory_is_not_given(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* giving files away is root's */
	assert_not_given("shadow", false, -ENOTEMPTY, "shadow");
	assert_not_given("key-0004f2aabbc", false, -ENOTEMPTY, "key-0004f2aabbc"); /* not a MAC */
	assert_not_given("keys.lock", true, -ENOTEMPTY, "keys.lock"); /* a symlink is foreign */
	assert_not_given("key-0004f2aabbcc", false, -EMLINK, "key-0004f2aabbcc");
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
		cmocka_unit_test(test_state_write_is_not_blocked_by_a_leftover_temp_file),
		cmocka_unit_test(test_state_writers_in_threads_never_collide),
		cmocka_unit_test(test_state_given_to_a_user_takes_its_files_along),
		cmocka_unit_test(test_state_foreign_directory_is_not_given),
	};

	return cmocka_run_group_tests_name("state", tests, setup, teardown);
}
