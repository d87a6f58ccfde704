/*
 * nodump.c - no core dump, no ptrace: see nodump.h.
 *
 * The limit comes first: should the prctl fail, a core is still not written. Both settings are
 * inherited by threads and by fork; an exec (libfuse's fusermount3 for a mount by a user other
 * than root) resets dumpability, but then the memory is the new program's, not ours.
 */
#include "state/nodump.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int nodump_process(void)
{
	const struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return -errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	/* belt and braces: a kernel that ignored the request must not pass as protected */
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -EPERM;
	return 0;
}
