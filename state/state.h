/*
 * state.h - the state directory (`state=DIR`, default /var/lib/provfs).
 *
 * What provfs must remember across unmounts, crashes and reboots (Panasonic keys and their
 * delivery) lives here as small files, each replaced atomically and durably: write a temporary
 * file, fsync it, rename it over the old one, fsync the directory. A `kill -9` at any instant
 * leaves either the old or the new file, never a mix. The fetch history is the exception: one
 * append-only log, not fsynced (state/fetch.h), read with the bounded line reader below.
 *
 * No FUSE here: provctl links this too (rekey, status).
 */
#ifndef PROVFS_STATE_H
#define PROVFS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "backend/buf.h"

#define STATE_DEFAULT_DIR "/var/lib/provfs"
#define PID_FILE          "provfs.pid"  /* the mounted daemon, for provctl rekey */
#define MOUNT_LOCK_FILE   "provfs.lock" /* held by the one daemon using the directory */

struct state {
	int dirfd;
	char *path;
};

/* Opens DIR, creating it (mode 0700) if it is missing. Returns 0 or -errno. */
int state_open(const char *path, struct state *st);
void state_close(struct state *st);

/*
 * Creates a file in DIR and removes it again: the directory can take the writes provfs will
 * make (keys, deliveries, fetch records). Root's bypass of mode bits does not hide a read-only
 * file system or an immutable directory from this. Returns 0 or -errno.
 */
int state_probe_write(const struct state *st);

/*
 * Gives DIR (mode 0700), every regular file in it and its live/ copy to uid:gid, for a daemon
 * that drops to that user after mounting (-o run_as=). Only a directory that is empty or holds
 * nothing but what provfs writes there is touched at all: otherwise -ENOTEMPTY, with the
 * first foreign entry's name in bad (a symlink is foreign too); a file with another hard link
 * gives -EMLINK. Nothing is changed then. Returns 0 or -errno.
 */
int state_give(const struct state *st, uid_t uid, gid_t gid, char *bad, size_t badlen);

/*
 * A file that root (provctl, or the daemon before it drops privileges) creates in the state
 * directory goes to the directory's owner, so that a daemon running as that user can read and
 * replace it. Does nothing for other callers. Returns 0 or -errno.
 */
int state_own(const struct state *st, int fd);

/* Replaces `name` with data, atomically and durably. Returns 0 or -errno. */
int state_write(const struct state *st, const char *name, const void *data, size_t len);

/*
 * Replaces dirfd/name (a plain name, not hidden) through a temporary file and a rename, so a
 * reader sees the old or the new file, never a part; with `durable`, the data and the
 * rename are on disk before it returns. Returns 0 or -errno.
 */
int replace_file(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                 bool durable);

/* replace_file() with the content read from srcfd to its end (large files, no copy in memory). */
int replace_file_copy(int dirfd, const char *name, int srcfd, mode_t mode, bool durable);

/*
 * Removes dirfd/name, a directory of files only (an export, the inventory's copy), with its
 * files; never follows a symlink. Returns 0 or the first -errno.
 */
int remove_flat_dir(int dirfd, const char *name);

/*
 * Removes dirfd/name and everything below it (an export a user put a subdirectory in), never
 * following a symlink and never crossing into another file system (a mount below is left,
 * -EXDEV). Returns 0 or the first -errno (-ENOENT: name was not there).
 */
int remove_export_tree(int dirfd, const char *name);

/* Copies in to out until in's end. Returns 0 or -errno. */
int copy_fd(int in, int out);

/* write(2) until all n bytes are written. Returns 0 or -errno. */
int write_full(int fd, const void *data, size_t n);

/*
 * Removes the temporary files of writers that were killed mid-write (they may hold old keys),
 * if not modified for min_age seconds: a live writer finishes in milliseconds. Returns how
 * many were removed, or -errno.
 */
int state_sweep_temps(const struct state *st, time_t min_age);

/*
 * Opens dirfd/name (any path, relative to dirfd) with flags | O_CLOEXEC | O_NONBLOCK |
 * O_NOCTTY, and refuses anything but a regular file (-EISDIR, -EINVAL): a FIFO or a device
 * planted in its place is never read or written, and never blocks the open. Add O_NOFOLLOW to
 * flags to refuse a symlink (-ELOOP). Returns the fd or -errno.
 */
int open_regular(int dirfd, const char *name, int flags, mode_t mode);

/*
 * Reads fd to its end and calls fn for each line (without its '\n') of at most max bytes,
 * holding at most one chunk and one line in memory. A longer line, and a last line without
 * '\n' (a writer that died, or one still writing), are not passed on: each adds one to
 * *skipped. Stops at fn's first nonzero return and returns it; otherwise 0 or -errno.
 */
typedef int (*line_fn)(void *ctx, const char *line, size_t len);
int read_lines(int fd, size_t max, line_fn fn, void *ctx, size_t *skipped);

/*
 * Appends the content of `name` to out. Never blocks and never follows a symlink: a name
 * that is not a regular file is refused (-EISDIR, -EINVAL, -ELOOP). Returns 0, -ENOENT or
 * -errno.
 */
int state_read(const struct state *st, const char *name, struct buf *out);

/*
 * Takes an exclusive flock(2) on STATE/name (created 0600 if missing); *fd_out holds it until
 * closed. Without `wait`, a lock held elsewhere gives -EWOULDBLOCK at once. Locks are per open
 * file: two threads of one process must serialize with a mutex of their own.
 */
int state_lock(const struct state *st, const char *name, bool wait, int *fd_out);

#endif
