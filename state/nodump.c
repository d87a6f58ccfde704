/*
 * nodump.c - no core dump, no ptrace: see nodump.h.
 *
 * The limit comes first: should the prctl fail, a core is still not written. Both settings are
 * inherited by threads and by fork; an exec (libfuse's fusermount3 for a mount by a user other
 * than root) resets dumpability, but then the memory is the new program's, not ours.
 */
#include "state/nodump.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <openssl/crypto.h>

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

void *nodump_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, len, MADV_DONTDUMP) < 0) {
		int e = errno;

		munmap(p, len);
		errno = e;
		return NULL;
	}
	(void)mlock(p, len); /* RLIMIT_MEMLOCK may forbid it: the pages still stay out of cores */
	return p;
}

void nodump_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	munlock(p, len);
	munmap(p, len);
}
