/*
 * nodump.h - keep a process's secrets out of core dumps.
 *
 * The daemon and provctl hold every line password, XML password and Panasonic key of the
 * inventory in memory. A crash of a process started from a shell with `ulimit -c unlimited`
 * would write all of them to disk, in the crashing process's working directory or wherever
 * core_pattern says. So both programs call nodump_process() first thing in main(), before they
 * read anything secret, and refuse to run if it fails.
 *
 * It lives in the library beside state.c (not in backend/, which turns the model into bytes)
 * because it is process set-up both programs share. No FUSE here.
 */
#ifndef PROVFS_NODUMP_H
#define PROVFS_NODUMP_H

#include <stddef.h>

/*
 * Sets RLIMIT_CORE to 0, soft and hard (without CAP_SYS_RESOURCE it cannot be raised again),
 * and makes the process non-dumpable (prctl PR_SET_DUMPABLE 0): no core even where
 * core_pattern pipes to a helper that ignores the limit, and no ptrace attach by another
 * process of the same uid. Side effect: the process's /proc/PID/ files are owned by root, who
 * still reads them. Returns 0 or -errno.
 */
int nodump_process(void);

/*
 * Memory for one secret that even a core written despite the above leaves out: anonymous
 * pages of their own, marked MADV_DONTDUMP (a core of the whole process, say by a debugger
 * or a kernel that ignored the limit, skips them) and locked against swap where the
 * limit allows (best effort: without mlock the secret still never reaches a core).
 * Zero-filled. NULL with errno set on failure.
 */
void *nodump_alloc(size_t len);

/* Wipes (OPENSSL_cleanse) and unmaps what nodump_alloc(len) gave. NULL is ignored. */
void nodump_free(void *p, size_t len);

#endif
