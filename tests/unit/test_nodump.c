/*
 * test_nodump.c - nodump_process (state/nodump.h): afterwards the core size limit is 0, soft and
 * hard, and the process is not dumpable, even when it started with an unlimited limit and
 * dumpable; a SIGSEGV then leaves no core. Each check runs in a forked child, so that this
 * test process keeps its own limits.
 */
#include "testutil.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state/nodump.h"

/* What a child found: 0 if all was as expected, else which check failed. */
enum {
	CHILD_OK,
	CHILD_SETUP,
	CHILD_CALL,
	CHILD_GETRLIMIT,
	CHILD_SOFT,
	CHILD_HARD,
	CHILD_DUMPABLE,
};

static const char *const why[] = {
	"ok",
	"cannot set up the child (raise RLIMIT_CORE, set dumpable)",
	"nodump_process failed",
	"getrlimit failed",
	"the soft RLIMIT_CORE is not 0",
	"the hard RLIMIT_CORE is not 0",
	"the process is still dumpable",
};

/* Starts where a shell with `ulimit -c unlimited` would: as much core as the hard limit allows. */
static int start_dumpable(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_CORE, &rl) < 0)
		return -1;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_CORE, &rl) < 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return -1;
	return 0;
}

static int child_checks(void)
{
	struct rlimit rl;

	if (start_dumpable() < 0)
		return CHILD_SETUP;
	if (nodump_process() != 0)
		return CHILD_CALL;
	if (getrlimit(RLIMIT_CORE, &rl) < 0)
		return CHILD_GETRLIMIT;
	if (rl.rlim_cur != 0)
		return CHILD_SOFT;
	if (rl.rlim_max != 0)
		return CHILD_HARD;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return CHILD_DUMPABLE;
	return CHILD_OK;
}

static void test_nodump_sets_no_core_and_not_dumpable(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_checks());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != CHILD_OK)
		fail_msg("child: %s", WEXITSTATUS(status) < (int)(sizeof(why) / sizeof(*why))
		                          ? why[WEXITSTATUS(status)]
		                          : "?");
}

/* Removes what a failing run may have left in dir (core or core.PID), then dir itself. */
static void remove_cores(const char *dir, pid_t pid)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/core", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/core.%ld", dir, (long)pid);
	unlink(path);
	rmdir(dir);
}

/* The kernel's own word: a child killed by SIGSEGV after the call did not dump core. */
static void test_nodump_segv_leaves_no_core(void **state)
{
	char dir[] = "/tmp/provfs-nodump-XXXXXX";
	pid_t pid;
	int status;

	(void)state;
	assert_non_null(mkdtemp(dir)); /* where a core would go with core_pattern "core" */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(dir) < 0 || start_dumpable() < 0 || nodump_process() != 0)
			_exit(1);
		/* cmocka's handler would catch it and go on running tests in this child */
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
		/* never reached, but should raise return, this child must not run cmocka's tests */
		// cppcheck-suppress unreachableCode
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	remove_cores(dir, pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	assert_false(WCOREDUMP(status));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodump_sets_no_core_and_not_dumpable),
		cmocka_unit_test(test_nodump_segv_leaves_no_core),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
