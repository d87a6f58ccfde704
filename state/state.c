/*
 * state.c - atomic, durable small files in the state directory.
 */
#include "state/state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_FILE_MAX    ((size_t)16 << 20)
#define FILE_NAME_MAX_TMP 320
#define TEMP_SUFFIX       ".tmp"

int state_open(const char *path, struct state *st)
{
	st->dirfd = -1;
	st->path = NULL;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	st->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0)
		return -errno;
	st->path = strdup(path);
	if (st->path == NULL) {
		close(st->dirfd);
		st->dirfd = -1;
		return -ENOMEM;
	}
	return 0;
}

int state_own(const struct state *st, int fd)
{
	struct stat dir;

	if (geteuid() != 0)
		return 0;
	if (fstat(st->dirfd, &dir) < 0)
		return -errno;
	if (dir.st_uid == 0 && dir.st_gid == 0)
		return 0;
	return fchown(fd, dir.st_uid, dir.st_gid) < 0 ? -errno : 0;
}

/* A writer's temporary file: ".NAME.<nonce>.tmp" (create_temp). */
static bool is_temp_name(const char *n)
{
	size_t len = strlen(n), suffix = strlen(TEMP_SUFFIX);

	return n[0] == '.' && len > 1 + suffix && strcmp(n + len - suffix, TEMP_SUFFIX) == 0;
}

/* PREFIX followed by a MAC's 12 hex digits: key-<MAC>, and fetch-<MAC> of older versions. */
static bool is_mac_name(const char *n, const char *prefix)
{
	size_t p = strlen(prefix);

	if (strncmp(n, prefix, p) != 0 || strlen(n) != p + 12)
		return false;
	for (n += p; *n != '\0'; n++)
		if (!isxdigit((unsigned char)*n))
			return false;
	return true;
}

enum entry_kind { ENTRY_FOREIGN, ENTRY_FILE, ENTRY_DIR };

/*
 * What provfs itself writes at the top of a state directory (keys.c, fetch.c, audit.c,
 * snapshot.c, shared.c, fs/main.c, and the temporary names of replace()). Anything else means the
 * directory is not a provfs state directory (state=/etc by mistake): it is not given away.
 */
static enum entry_kind top_entry(const char *n)
{
	static const char *const files[] = { "keys.lock", "provfs.lock", "provfs.pid",
		                             "fetch.log", "fetch.log.1", "unknown-macs" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(n, files[i]) == 0)
			return ENTRY_FILE;
	if (strcmp(n, "live") == 0 || strcmp(n, ".live.new") == 0)
		return ENTRY_DIR;
	if (is_mac_name(n, "key-") || is_mac_name(n, "fetch-") || is_mac_name(n, "shared-") ||
	    is_temp_name(n))
		return ENTRY_FILE;
	return ENTRY_FOREIGN;
}

/*
 * Checks (give false) or gives (give true) the entries of the directory dfd, not what is in
 * its subdirectories (give_all). At the top (sub NULL) every entry must be one top_entry()
 * knows, of its kind; in sub (live/) every entry is a regular file. Each entry is checked again
 * through its own O_PATH descriptor just before it is given, so a name swapped after the
 * first pass is never chown'd blindly: no symlink is followed, and a file with another hard
 * link (which could be /etc/shadow's) is refused. The first entry refused is named in bad.
 * Returns 0, -ENOTEMPTY (a foreign entry), -EMLINK (a hard link) or -errno.
 */
static int give_entries(int dfd, const char *sub, bool give, uid_t uid, gid_t gid, char *bad,
                        size_t badlen)
{
	struct dirent *e;
	DIR *d;
	int fd, r = 0;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r == 0 && (e = readdir(d)) != NULL) {
		enum entry_kind kind = sub != NULL ? ENTRY_FILE : top_entry(e->d_name);
		struct stat sb;
		int efd;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(bad, badlen, "%s%s%s", sub != NULL ? sub : "", sub != NULL ? "/" : "",
		         e->d_name);
		if (kind == ENTRY_FOREIGN) {
			r = -ENOTEMPTY;
			break;
		}
		efd = openat(dfd, e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (efd < 0) {
			if (errno == ENOENT) /* gone since readdir (a temporary file renamed) */
				continue;
			r = -errno;
			break;
		}
		if (fstat(efd, &sb) < 0)
			r = -errno;
		else if (kind == ENTRY_FILE ? !S_ISREG(sb.st_mode) : !S_ISDIR(sb.st_mode))
			r = -ENOTEMPTY;
		else if (S_ISREG(sb.st_mode) && sb.st_nlink > 1)
			r = -EMLINK;
		if (r == 0 && give && (sb.st_uid != uid || sb.st_gid != gid) &&
		    fchownat(efd, "", uid, gid, AT_EMPTY_PATH) < 0)
			r = -errno;
		close(efd);
	}
	closedir(d);
	if (r == 0)
		bad[0] = '\0';
	return r;
}

/* give_entries of the directory and of its live/ copies (snapshot.c) */
static int give_all(int dirfd, bool give, uid_t uid, gid_t gid, char *bad, size_t badlen)
{
	static const char *const subs[] = { "live", ".live.new" };
	int r = give_entries(dirfd, NULL, give, uid, gid, bad, badlen);

	for (size_t i = 0; r == 0 && i < sizeof(subs) / sizeof(subs[0]); i++) {
		int sfd = openat(dirfd, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (sfd < 0) {
			if (errno != ENOENT)
				r = -errno;
			continue;
		}
		r = give_entries(sfd, subs[i], give, uid, gid, bad, badlen);
		close(sfd);
	}
	return r;
}

int state_give(const struct state *st, uid_t uid, gid_t gid, char *bad, size_t badlen)
{
	struct stat dir;
	int r;

	/*
	 * Nothing changes before the whole directory is known to be provfs's: empty (created
	 * just now), or holding only what provfs writes there. A mount refused later (an
	 * inventory error) then leaves a foreign directory exactly as it was.
	 */
	r = give_all(st->dirfd, false, uid, gid, bad, badlen);
	if (r < 0)
		return r;
	/*
	 * Only what differs is changed: a restart finds it all given already. The mode first,
	 * while the directory is root's: changing the mode of a directory that belongs to
	 * someone else needs CAP_FOWNER, which the systemd unit does not keep, and CAP_CHOWN
	 * (which it keeps) can make it root's first.
	 */
	if (fstat(st->dirfd, &dir) < 0)
		return -errno;
	if ((dir.st_mode & 07777) != 0700) {
		if (dir.st_uid != geteuid() && fchown(st->dirfd, geteuid(), (gid_t)-1) < 0)
			return -errno;
		if (fchmod(st->dirfd, 0700) < 0)
			return -errno;
		dir.st_uid = geteuid();
	}
	if ((dir.st_uid != uid || dir.st_gid != gid) && fchown(st->dirfd, uid, gid) < 0)
		return -errno;
	return give_all(st->dirfd, true, uid, gid, bad, badlen);
}

void state_close(struct state *st)
{
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->path);
	st->dirfd = -1;
	st->path = NULL;
}

int write_full(int fd, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int copy_fd(int in, int out)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		r = write_full(out, chunk, (size_t)n);
		if (r < 0)
			return r;
	}
}

/*
 * Creates a new temporary file for `name` in dirfd: ".NAME.<16 random hex>.tmp". The name
 * is drawn anew for every write, so a file left by a writer that was killed, or a writer in
 * another process or thread, never blocks this one. Returns the fd or -errno.
 */
static int create_temp(int dirfd, const char *name, char tmp[FILE_NAME_MAX_TMP])
{
	for (int attempt = 0; attempt < 8; attempt++) {
		uint64_t nonce;
		int fd;

		if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
			return -EIO;
		if (snprintf(tmp, FILE_NAME_MAX_TMP, ".%s.%016llx%s", name,
		             (unsigned long long)nonce, TEMP_SUFFIX) >= FILE_NAME_MAX_TMP)
			return -EINVAL;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int state_probe_write(const struct state *st)
{
	char tmp[FILE_NAME_MAX_TMP];
	int fd = create_temp(st->dirfd, "probe", tmp);

	if (fd < 0)
		return fd;
	close(fd);
	return unlinkat(st->dirfd, tmp, 0) < 0 ? -errno : 0;
}

/* Temporary file, content from one of two sources, mode, optional fsync, rename. */
static int replace(const struct state *own, int dirfd, const char *name, const void *data,
                   size_t len, int srcfd, mode_t mode, bool durable)
{
	char tmp[FILE_NAME_MAX_TMP];
	int fd, r;

	if (strchr(name, '/') != NULL || name[0] == '.')
		return -EINVAL;
	fd = create_temp(dirfd, name, tmp);
	if (fd < 0)
		return fd;
	r = srcfd >= 0 ? copy_fd(srcfd, fd) : write_full(fd, data, len);
	if (r == 0 && own != NULL)
		r = state_own(own, fd);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r == 0 && durable && fsync(dirfd) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

int replace_file(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                 bool durable)
{
	return replace(NULL, dirfd, name, data, len, -1, mode, durable);
}

int replace_file_copy(int dirfd, const char *name, int srcfd, mode_t mode, bool durable)
{
	return replace(NULL, dirfd, name, NULL, 0, srcfd, mode, durable);
}

int remove_flat_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dh = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int r = 0;

	if (dh == NULL) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((e = readdir(dh)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    unlinkat(fd, e->d_name, 0) < 0 && r == 0)
			r = -errno;
	closedir(dh);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}

/*
 * Empties the directory fd (which it closes), descending into subdirectories of the same file
 * system only (a mount below is left, -EXDEV) and never through a symlink (O_NOFOLLOW: a link is
 * removed, not what it names). Returns 0 or the first -errno.
 */
/* the recursion is bounded: depth stops at 64 */
/* NOLINTNEXTLINE(misc-no-recursion) */
static int remove_entries(int fd, dev_t dev, int depth)
{
	DIR *dh = fdopendir(fd);
	struct dirent *e;
	int r = 0;

	if (dh == NULL) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((e = readdir(dh)) != NULL) {
		struct stat sb;
		int sub, err;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0)
			continue;
		if (errno != EISDIR) {
			err = -errno;
		} else if (depth >= 64) {
			err = -ELOOP; /* deeper than any tree of provfs's own */
		} else {
			sub =
			    openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 || fstat(sub, &sb) < 0) {
				err = -errno;
				if (sub >= 0)
					close(sub);
			} else if (sb.st_dev != dev) {
				err = -EXDEV;
				close(sub);
			} else {
				err = remove_entries(sub, dev, depth + 1);
				if (unlinkat(fd, e->d_name, AT_REMOVEDIR) < 0 && err == 0)
					err = -errno;
			}
		}
		if (r == 0)
			r = err;
	}
	closedir(dh);
	return r;
}

int remove_export_tree(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	int r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	r = remove_entries(fd, sb.st_dev, 0);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}

int state_write(const struct state *st, const char *name, const void *data, size_t len)
{
	return replace(st, st->dirfd, name, data, len, -1, 0600, true);
}

int open_regular(int dirfd, const char *name, int flags, mode_t mode)
{
	struct stat sb;
	int fd = openat(dirfd, name, flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, mode);

	memset(&sb, 0, sizeof(sb));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		int e = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;

		close(fd);
		return -e;
	}
	return fd;
}

int read_lines(int fd, size_t max, line_fn fn, void *ctx, size_t *skipped)
{
	char chunk[65536];
	struct buf line; /* the start of a line that began in an earlier chunk */
	bool too_long = false;
	int r = 0;

	buf_init(&line);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		const char *p = chunk, *end;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		end = chunk + n;
		while (p < end && r == 0) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t part = (size_t)((nl != NULL ? nl : end) - p);

			if (!too_long && line.len + part > max) {
				too_long = true;
				buf_reset(&line);
			}
			if (!too_long)
				buf_append(&line, p, part);
			if (nl == NULL)
				break;
			if (too_long)
				(*skipped)++;
			else if (buf_status(&line) < 0)
				r = -ENOMEM;
			else
				r = fn(ctx, (const char *)line.data, line.len);
			buf_reset(&line);
			too_long = false;
			p = nl + 1;
		}
		if (r != 0)
			break;
	}
	if (r == 0 && (line.len > 0 || too_long))
		(*skipped)++; /* a last line without its '\n' */
	buf_free(&line);
	return r;
}

int state_read(const struct state *st, const char *name, struct buf *out)
{
	unsigned char chunk[4096];
	size_t total = 0;
	int fd;

	if (strchr(name, '/') != NULL)
		return -EINVAL;
	fd = open_regular(st->dirfd, name, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > STATE_FILE_MAX) {
			close(fd);
			return -EFBIG;
		}
		buf_append(out, chunk, (size_t)n);
	}
	close(fd);
	return buf_status(out);
}

int state_sweep_temps(const struct state *st, time_t min_age)
{
	int fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), removed = 0;
	time_t now = time(NULL);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat sb;

		if (!is_temp_name(de->d_name) ||
		    fstatat(st->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode) || now - sb.st_mtime < min_age)
			continue;
		if (unlinkat(st->dirfd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

int state_lock(const struct state *st, const char *name, bool wait, int *fd_out)
{
	int fd, r;

	*fd_out = -1;
	if (strchr(name, '/') != NULL)
		return -EINVAL;
	fd = openat(st->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	r = state_own(st, fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	do
		r = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*fd_out = fd;
	return 0;
}
