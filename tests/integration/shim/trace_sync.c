/*
 * trace_sync.c - an LD_PRELOAD shim for the provfs daemon that records, in the order they happen,
 * the system calls that make a key file durable and the libfuse replies that answer requests
 * (tests/integration/t_durable.sh).
 *
 * Why: a key, and every step of its delivery, must be on disk before the request that created or
 * proved it is answered (state/keys.h). A test through the mount cannot see that: the page cache
 * hides a missing fsync until a power cut, and a reader cannot tell whether the daemon wrote
 * before or after it answered. This shim sees the calls themselves: t_durable.sh asserts, per
 * thread, write -> fsync of the temporary -> rename -> fsync of the directory -> reply.
 *
 * Interposed (dlsym(RTLD_NEXT)): open, open64, openat, openat64 (all four through the real
 * openat), write, fsync, fdatasync, rename, renameat, renameat2, close, closedir, and
 * fuse_reply_open, fuse_reply_entry, fuse_reply_buf, fuse_reply_err, fuse_reply_data,
 * fuse_lowlevel_notify_inval_entry and fuse_lowlevel_notify_inval_inode (provfs links
 * libfuse3.so dynamically and calls them through its PLT). Events recorded:
 *   - open of a key file or its temporary (basename "key-..." or ".key-...") and of the state
 *     directory (an O_DIRECTORY open of the directory env TRACE_SYNC_DIR names, compared by
 *     device and inode, so any spelling of its path matches); those fds are remembered, and
 *     forgotten on close;
 *   - write to a remembered fd (with the word of its "state " line, never the key), close of one;
 *   - every fsync, fdatasync and rename (names relative to their directory, "DIR" for the state
 *     directory), with its result;
 *   - every one of the five replies, before it is sent (fsync and rename after they returned);
 *   - every invalidation of a name (with its parent and the name) or of a node, before it is
 *     sent: a name's invalidation takes the directory's lock in the kernel (fs/reload.c,
 *     forget_key_file says why a delivery must not send one).
 * Each is one line appended to the file env TRACE_SYNC_LOG names (O_APPEND, one write(2) per
 * line, no stdio, no allocation):
 *     SEQ TID EVENT key=value...
 * SEQ is a process-wide atomic counter: lines of different threads may reach the file out of
 * order, sort them by SEQ. Without TRACE_SYNC_LOG every hook only calls through.
 *
 * Built without sanitizers (Makefile: $(BUILD)/tests/libtrace_sync.so, -shared -fPIC -O1) in
 * every build directory, the ASan one included; a sanitized daemon needs its ASan runtime first
 * in LD_PRELOAD, then this shim (t_durable.sh does that). Not for production use.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h> /* the prototypes of rename, renameat, renameat2; no stdio is used */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fs/fuse_api.h"

#define FD_SLOTS  4096
#define NAME_LEN  96
#define LINE_LEN  512
#define DIR_LABEL "DIR"

enum fd_kind { FD_NONE, FD_KEY, FD_DIR };

/* What a remembered fd is: written by the thread that opened or closes it. */
struct fd_slot {
	_Atomic unsigned char kind;
	char name[NAME_LEN];
};

static struct fd_slot slots[FD_SLOTS];
static atomic_ulong seq;
static int log_fd = -1; /* set once by the constructor, before any thread exists */

/* ---- the real functions ------------------------------------------------------------------ */

static void *real_sym(void *_Atomic *cache, const char *name)
{
	void *p = atomic_load_explicit(cache, memory_order_acquire);

	if (p == NULL) {
		p = dlsym(RTLD_NEXT, name);
		atomic_store_explicit(cache, p, memory_order_release);
	}
	return p;
}

/* The cached address of each real function, REAL(type, name) the next definition of name. */
static void *_Atomic real_openat, *_Atomic real_write, *_Atomic real_fsync, *_Atomic real_fdatasync,
    *_Atomic real_rename, *_Atomic real_renameat, *_Atomic real_renameat2, *_Atomic real_close,
    *_Atomic real_closedir, *_Atomic real_fuse_reply_open, *_Atomic real_fuse_reply_entry,
    *_Atomic real_fuse_reply_buf, *_Atomic real_fuse_reply_err, *_Atomic real_fuse_reply_data,
    *_Atomic real_fuse_lowlevel_notify_inval_entry, *_Atomic real_fuse_lowlevel_notify_inval_inode;

#define REAL(type, name) ((type)real_sym(&real_##name, #name))

typedef int (*openat_fn)(int, const char *, int, ...);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*fd_fn)(int);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned int);
typedef int (*closedir_fn)(DIR *);
typedef int (*reply_open_fn)(fuse_req_t, const struct fuse_file_info *);
typedef int (*reply_entry_fn)(fuse_req_t, const struct fuse_entry_param *);
typedef int (*reply_buf_fn)(fuse_req_t, const char *, size_t);
typedef int (*reply_err_fn)(fuse_req_t, int);
typedef int (*reply_data_fn)(fuse_req_t, struct fuse_bufvec *, enum fuse_buf_copy_flags);
typedef int (*inval_entry_fn)(struct fuse_session *, fuse_ino_t, const char *, size_t);
typedef int (*inval_inode_fn)(struct fuse_session *, fuse_ino_t, off_t, off_t);

/* ---- one trace line, without stdio --------------------------------------------------------- */

struct line {
	char b[LINE_LEN];
	size_t n;
};

static void put_str(struct line *l, const char *s)
{
	while (*s != '\0' && l->n < LINE_LEN - 1)
		l->b[l->n++] = *s++;
}

static void put_u(struct line *l, unsigned long long v)
{
	char d[24];
	size_t i = 0;

	do
		d[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (i > 0 && l->n < LINE_LEN - 1)
		l->b[l->n++] = d[--i];
}

static void put_i(struct line *l, long long v)
{
	if (v < 0) {
		put_str(l, "-");
		put_u(l, (unsigned long long)-(v + 1) + 1);
	} else {
		put_u(l, (unsigned long long)v);
	}
}

/* "key=" then the value, a space before. */
static void put_kv(struct line *l, const char *key, const char *value)
{
	put_str(l, " ");
	put_str(l, key);
	put_str(l, "=");
	put_str(l, value);
}

static void put_ki(struct line *l, const char *key, long long value)
{
	put_str(l, " ");
	put_str(l, key);
	put_str(l, "=");
	put_i(l, value);
}

/* Starts a line: "SEQ TID EVENT". false when not tracing. */
static bool begin(struct line *l, const char *event)
{
	if (log_fd < 0)
		return false;
	l->n = 0;
	put_u(l, atomic_fetch_add(&seq, 1) + 1);
	put_str(l, " ");
	put_u(l, (unsigned long long)gettid());
	put_str(l, " ");
	put_str(l, event);
	return true;
}

static void finish(struct line *l)
{
	int saved = errno;

	l->b[l->n++] = '\n';
	(void)REAL(write_fn, write)(log_fd, l->b, l->n);
	errno = saved;
}

/* ---- remembered fds ------------------------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static bool is_key_name(const char *base)
{
	return strncmp(base, "key-", 4) == 0 || strncmp(base, ".key-", 5) == 0;
}

static struct fd_slot *slot_of(int fd)
{
	return fd >= 0 && fd < FD_SLOTS ? &slots[fd] : NULL;
}

static enum fd_kind kind_of(int fd, const char **name)
{
	struct fd_slot *s = slot_of(fd);
	unsigned char k =
	    s != NULL ? atomic_load_explicit(&s->kind, memory_order_acquire) : FD_NONE;

	*name = k != FD_NONE ? s->name : "-";
	return (enum fd_kind)k;
}

/* The fd is the directory TRACE_SYNC_DIR names. */
static bool is_state_dir(int fd)
{
	const char *dir = getenv("TRACE_SYNC_DIR");
	struct stat a, b;

	return dir != NULL && fstat(fd, &a) == 0 && stat(dir, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static void copy_name(char out[NAME_LEN], const char *name)
{
	size_t n = strnlen(name, NAME_LEN - 1);

	memcpy(out, name, n);
	out[n] = '\0';
}

/* A new fd from open/openat: remember it, or forget what its number was before. */
static void opened(int fd, const char *path, int flags)
{
	struct fd_slot *s = slot_of(fd);
	const char *base = base_name(path);
	enum fd_kind k = FD_NONE;
	struct line l;

	if (s == NULL || log_fd < 0)
		return;
	if (is_key_name(base))
		k = FD_KEY;
	else if ((flags & O_DIRECTORY) && is_state_dir(fd))
		k = FD_DIR;
	atomic_store_explicit(&s->kind, FD_NONE, memory_order_release);
	if (k == FD_NONE)
		return;
	copy_name(s->name, k == FD_DIR ? DIR_LABEL : base);
	atomic_store_explicit(&s->kind, (unsigned char)k, memory_order_release);
	if (begin(&l, "open")) {
		put_ki(&l, "fd", fd);
		put_kv(&l, "name", s->name);
		put_kv(&l, "mode", (flags & O_ACCMODE) == O_RDONLY ? "r" : "w");
		finish(&l);
	}
}

static void forget(int fd, const char *event)
{
	struct fd_slot *s = slot_of(fd);
	const char *name;
	struct line l;

	if (kind_of(fd, &name) == FD_NONE)
		return;
	if (begin(&l, event)) {
		put_ki(&l, "fd", fd);
		put_kv(&l, "name", name);
		finish(&l);
	}
	atomic_store_explicit(&s->kind, FD_NONE, memory_order_release);
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

/* ---- the hooks ------------------------------------------------------------------------------ */

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	fd = REAL(openat_fn, openat)(dirfd, path, flags, mode);
	if (fd >= 0)
		opened(fd, path, flags);
	return fd;
}

/* open(2) is openat(AT_FDCWD) (as in glibc) */
int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return openat(AT_FDCWD, path, flags, mode);
}

/* 64-bit: the *64 names are the same functions (glibc makes them aliases too) */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

/* The word after "state " in a key file's text (state/keys.c store()), or "-". Never the key. */
static void state_word(const void *buf, size_t n, char out[16])
{
	const char *p = memmem(buf, n, "\nstate ", 7);
	size_t i = 0;

	if (p != NULL) {
		p += 7;
		while (i < 15 && p + i < (const char *)buf + n && p[i] >= 'a' && p[i] <= 'z') {
			out[i] = p[i];
			i++;
		}
	}
	if (i == 0)
		out[i++] = '-';
	out[i] = '\0';
}

ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t r = REAL(write_fn, write)(fd, buf, n);
	int saved = errno;
	const char *name;
	struct line l;

	if (kind_of(fd, &name) != FD_NONE && begin(&l, "write")) {
		char state[16];

		state_word(buf, n, state);
		put_ki(&l, "fd", fd);
		put_kv(&l, "name", name);
		put_ki(&l, "n", (long long)n);
		put_ki(&l, "r", r);
		put_kv(&l, "state", state);
		finish(&l);
	}
	errno = saved;
	return r;
}

static void synced(const char *event, int fd, int r)
{
	int saved = errno;
	const char *name;
	struct line l;

	(void)kind_of(fd, &name);
	if (begin(&l, event)) {
		put_ki(&l, "fd", fd);
		put_kv(&l, "name", name);
		put_ki(&l, "r", r);
		finish(&l);
	}
	errno = saved;
}

int fsync(int fd)
{
	int r = REAL(fd_fn, fsync)(fd);

	synced("fsync", fd, r);
	return r;
}

int fdatasync(int fd)
{
	int r = REAL(fd_fn, fdatasync)(fd);

	synced("fdatasync", fd, r);
	return r;
}

/* "rename from=A to=B" with the directory of each ("DIR", "-" for another, "cwd"). */
static void renamed(int olddir, const char *from, int newdir, const char *to, int r)
{
	int saved = errno;
	const char *name;
	struct line l;

	if (begin(&l, "rename")) {
		put_kv(&l, "from", base_name(from));
		put_kv(&l, "to", base_name(to));
		(void)kind_of(olddir, &name);
		put_kv(&l, "fromdir", olddir == AT_FDCWD ? "cwd" : name);
		(void)kind_of(newdir, &name);
		put_kv(&l, "todir", newdir == AT_FDCWD ? "cwd" : name);
		put_ki(&l, "r", r);
		finish(&l);
	}
	errno = saved;
}

int rename(const char *from, const char *to)
{
	int r = REAL(rename_fn, rename)(from, to);

	renamed(AT_FDCWD, from, AT_FDCWD, to, r);
	return r;
}

int renameat(int olddir, const char *from, int newdir, const char *to)
{
	int r = REAL(renameat_fn, renameat)(olddir, from, newdir, to);

	renamed(olddir, from, newdir, to, r);
	return r;
}

int renameat2(int olddir, const char *from, int newdir, const char *to, unsigned int flags)
{
	int r = REAL(renameat2_fn, renameat2)(olddir, from, newdir, to, flags);

	renamed(olddir, from, newdir, to, r);
	return r;
}

int close(int fd)
{
	forget(fd, "close");
	return REAL(fd_fn, close)(fd);
}

int closedir(DIR *d)
{
	forget(dirfd(d), "close");
	return REAL(closedir_fn, closedir)(d);
}

/* ---- the replies (recorded before they are sent) -------------------------------------------- */

int fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	struct line l;

	if (begin(&l, "reply_open")) {
		put_ki(&l, "direct_io", fi != NULL ? fi->direct_io : -1);
		finish(&l);
	}
	return REAL(reply_open_fn, fuse_reply_open)(req, fi);
}

int fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	struct line l;

	if (begin(&l, "reply_entry")) {
		put_ki(&l, "ino", e != NULL ? (long long)e->ino : -1);
		finish(&l);
	}
	return REAL(reply_entry_fn, fuse_reply_entry)(req, e);
}

int fuse_reply_buf(fuse_req_t req, const char *buf, size_t size)
{
	struct line l;

	if (begin(&l, "reply_buf")) {
		put_ki(&l, "n", (long long)size);
		finish(&l);
	}
	return REAL(reply_buf_fn, fuse_reply_buf)(req, buf, size);
}

int fuse_reply_err(fuse_req_t req, int err)
{
	struct line l;

	if (begin(&l, "reply_err")) {
		put_ki(&l, "err", err);
		finish(&l);
	}
	return REAL(reply_err_fn, fuse_reply_err)(req, err);
}

int fuse_reply_data(fuse_req_t req, struct fuse_bufvec *bufv, enum fuse_buf_copy_flags flags)
{
	struct line l;

	if (begin(&l, "reply_data")) {
		put_ki(&l, "n", bufv != NULL ? (long long)fuse_buf_size(bufv) : -1);
		finish(&l);
	}
	return REAL(reply_data_fn, fuse_reply_data)(req, bufv, flags);
}

/* ---- the invalidations the daemon sends the kernel (recorded before they are sent) --------- */

int fuse_lowlevel_notify_inval_entry(struct fuse_session *se, fuse_ino_t parent, const char *name,
                                     size_t namelen)
{
	struct line l;

	if (begin(&l, "notify_inval_entry")) {
		char copy[NAME_LEN];
		size_t n = namelen < sizeof(copy) - 1 ? namelen : sizeof(copy) - 1;

		memcpy(copy, name, n);
		copy[n] = '\0';
		put_ki(&l, "parent", (long long)parent);
		put_kv(&l, "name", copy);
		finish(&l);
	}
	return REAL(inval_entry_fn, fuse_lowlevel_notify_inval_entry)(se, parent, name, namelen);
}

int fuse_lowlevel_notify_inval_inode(struct fuse_session *se, fuse_ino_t ino, off_t off, off_t len)
{
	struct line l;

	if (begin(&l, "notify_inval_inode")) {
		put_ki(&l, "ino", (long long)ino);
		finish(&l);
	}
	return REAL(inval_inode_fn, fuse_lowlevel_notify_inval_inode)(se, ino, off, len);
}

/* ---- set-up ------------------------------------------------------------------------------- */

__attribute__((constructor)) static void trace_sync_init(void)
{
	const char *path = getenv("TRACE_SYNC_LOG");

	if (path == NULL || path[0] == '\0')
		return;
	log_fd = REAL(openat_fn, openat)(AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	                                 0600);
}
