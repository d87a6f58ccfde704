/*
 * export.c - `provctl export INVENTORY DIR`: a static copy of the tree, swapped in whole.
 *
 * The new tree is written into a fresh directory beside DIR (same parent, so the same file
 * system), flushed to disk with syncfs, marked as provfs's own with EXPORT_MARK, and only then
 * exchanged with DIR in one renameat2(RENAME_EXCHANGE); the old tree, now under the temporary
 * name, is removed last. A server that resolves each request's path from DIR (nginx, lighttpd,
 * apache2) sees the old tree or the new one, never a mix, and never a removed device's file
 * after the swap. An export that stops before the swap leaves DIR as it was.
 *
 * DIR is replaced only when it is provfs's own export (it holds EXPORT_MARK) or empty, so a
 * slip such as `provctl export inv.yaml /etc` deletes nothing. An export killed before its swap
 * leaves its temporary tree, which the next export into DIR removes. Without -s, export makes no
 * key: an inventory with encrypted devices is refused (their files need the mount's keys).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "backend/vendor.h"
#include "inventory/mac.h"
#include "provctl/progress.h"
#include "provctl/provctl.h"

#define EXPORT_MARK ".provfs-export"

static const char mark_text[] = "a tree written by provctl export: the next export replaces it "
                                "whole\n";

/* DIR's parent and last component ("a/b/" -> "a", "b"); 0 or -ENAMETOOLONG / -EINVAL. */
static int split(const char *dir, char *parent, char *base)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);
	char *slash;

	if (n == 0 || n >= sizeof(path))
		return n == 0 ? -EINVAL : -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	slash = strrchr(path, '/');
	if (slash == NULL) {
		snprintf(parent, PATH_MAX, ".");
		snprintf(base, PATH_MAX, "%s", path);
	} else {
		snprintf(base, PATH_MAX, "%s", slash + 1);
		slash[slash == path] = '\0'; /* "/x": the parent is "/" */
		snprintf(parent, PATH_MAX, "%s", path);
	}
	return strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || base[0] == '\0' ? -EINVAL : 0;
}

/*
 * What DIR is now: 1 absent, 0 a directory export may replace (*sb its owner and mode), <0
 * refused (message printed).
 */
static int existing(int parentfd, const char *base, const char *dir, struct stat *sb)
{
	struct dirent *e;
	bool empty = true, marked = false;
	DIR *dh;
	int fd;

	if (fstatat(parentfd, base, sb, AT_SYMLINK_NOFOLLOW) < 0) {
		int err = errno;

		if (err == ENOENT)
			return 1;
		fprintf(stderr, "provctl: %s: %s\n", dir, strerror(err));
		return -err;
	}
	if (S_ISLNK(sb->st_mode) || !S_ISDIR(sb->st_mode)) {
		fprintf(stderr, "provctl: %s is %s: give the directory itself\n", dir,
		        S_ISLNK(sb->st_mode) ? "a symlink" : "not a directory");
		return -EINVAL;
	}
	fd = openat(parentfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dh = fd >= 0 ? fdopendir(fd) : NULL;
	if (dh == NULL) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		fprintf(stderr, "provctl: %s: %s\n", dir, strerror(err));
		return -err;
	}
	while ((e = readdir(dh)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		empty = false;
		marked |= strcmp(e->d_name, EXPORT_MARK) == 0;
	}
	closedir(dh);
	if (empty || marked)
		return 0;
	fprintf(stderr,
	        "provctl: %s is not empty and not a provctl export (no " EXPORT_MARK
	        "): refusing to replace it; give a new or empty directory\n",
	        dir);
	return -EEXIST;
}

/*
 * Removes the temporary trees of exports into the same DIR that were killed before their
 * swap (".BASE.provfs-new.PID" of a PID that no longer runs); a running export's is left.
 * Returns 0, or -errno when one could not be removed (said on stderr).
 */
static int remove_stale(int parentfd, const char *base, const char *dir)
{
	int fd = openat(parentfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dh = fd >= 0 ? fdopendir(fd) : NULL;
	char prefix[NAME_MAX + 1];
	struct dirent *e;
	size_t n;
	int r = 0;

	if (dh == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	n = (size_t)snprintf(prefix, sizeof(prefix), ".%.200s.provfs-new.", base);
	while ((e = readdir(dh)) != NULL) {
		char *end;
		long pid;
		int err;

		if (strncmp(e->d_name, prefix, n) != 0)
			continue;
		pid = strtol(e->d_name + n, &end, 10);
		if (*end != '\0' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		err = remove_export_tree(parentfd, e->d_name);
		if (err < 0 && err != -ENOENT) {
			char qn[DIAG_QUOTE_SIZE];

			fprintf(stderr,
			        "provctl: cannot remove %s, a killed export's tree beside %s: %s; "
			        "remove it by hand\n",
			        diag_quote(qn, e->d_name), dir, strerror(-err));
			r = r == 0 ? err : r;
		}
	}
	closedir(dh);
	return r;
}

/* The first device of an encrypted model, or NULL. */
static const struct device *encrypted_device(const struct tree *t)
{
	for (uint32_t i = 0; i < t->inv->ndevices; i++) {
		const struct device *d = &t->inv->devices[i];

		if (d->model != NULL && vendor_encrypted(d->model))
			return d;
	}
	return NULL;
}

/* The mark (a hidden name, which replace_file does not take: the directory is new anyway). */
static int write_mark(int newfd)
{
	int fd = openat(newfd, EXPORT_MARK, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	int r;

	if (fd < 0)
		return -errno;
	r = write_full(fd, mark_text, sizeof(mark_text) - 1);
	close(fd);
	return r;
}

/* Writes every file of t into newfd, then the mark, then flushes the file system. */
static int write_tree(const struct tree *t, int newfd, const char *dir)
{
	struct progress p;
	struct name_list l;
	int r;

	if (list_names(t, &l) < 0)
		return -ENOMEM;
	progress_start(&p, "export", l.n);
	r = 0;
	for (size_t i = 0; i < l.n && r == 0; i++) {
		progress_tick(&p, i);
		r = emit(t, l.names[i], false, -1, newfd);
		if (r < 0) {
			progress_end(&p);
			fprintf(stderr, "provctl: %s/%s: %s\n", dir, l.names[i], strerror(-r));
		}
	}
	progress_end(&p);
	if (r == 0)
		r = write_mark(newfd);
	/* every file on disk before the swap: a crash after it never shows a half-written tree */
	if (r == 0 && syncfs(newfd) < 0)
		r = -errno;
	if (r == 0)
		printf("%zu files written to %s\n", l.n, dir);
	free_names(&l);
	return r;
}

/*
 * The temporary tree, while it is written: 0700, so that nobody reads a half-written tree of
 * passwords beside DIR (often inside a web root). For an existing DIR it takes DIR's group now,
 * with the set-group-ID bit, so that its files are created in that group.
 */
static int guard_tmp(int newfd, int state, const struct stat *old, const char *dir)
{
	if (state == 0 && fchown(newfd, (uid_t)-1, old->st_gid) < 0) {
		int r = -errno;

		fprintf(stderr, "provctl: cannot give the new tree %s's group (gid %lu): %s\n", dir,
		        (unsigned long)old->st_gid, strerror(-r));
		return r;
	}
	if (fchmod(newfd, state == 0 ? S_ISGID | 0700 : 0700) < 0)
		return -errno;
	return 0;
}

/* DIR's POSIX ACLs (access and default) onto the new tree, or none where DIR has none. */
static int copy_acls(int oldfd, int newfd)
{
	static const char *const names[] = { "system.posix_acl_access",
		                             "system.posix_acl_default" };
	char buf[4096];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ssize_t n = fgetxattr(oldfd, names[i], buf, sizeof(buf));

		if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
			return 0; /* no ACLs on this file system, in DIR or in the new tree */
		if (n < 0 && errno != ENODATA)
			return -errno;
		/* none on DIR: drop what the new tree inherited from the parent's default ACL */
		if (n < 0 ? fremovexattr(newfd, names[i]) < 0 && errno != ENODATA
		          : fsetxattr(newfd, names[i], buf, (size_t)n, 0) < 0)
			return -errno;
	}
	return 0;
}

/*
 * Before the exchange, the new tree takes DIR's owner, group, permission bits and ACLs, so that
 * an export never opens DIR wider (or narrower) than the administrator made it. A new DIR gets
 * 0755 less the umask, as mkdir(1) would make it.
 */
static int take_attrs(int parentfd, const char *base, int newfd, int state, const struct stat *old,
                      const char *dir)
{
	struct stat sb;
	int oldfd, r;

	if (state == 1) {
		mode_t mask = umask(0);

		umask(mask);
		if (fstat(newfd, &sb) < 0)
			return -errno;
		/* a set-group-ID parent's bit, which mkdir keeps too */
		return fchmod(newfd, (0755 & ~mask) | (sb.st_mode & S_ISGID)) < 0 ? -errno : 0;
	}
	if (fchown(newfd, old->st_uid, old->st_gid) < 0) {
		r = -errno;
		fprintf(stderr,
		        "provctl: cannot give the new tree %s's owner (uid %lu, gid %lu): %s\n",
		        dir, (unsigned long)old->st_uid, (unsigned long)old->st_gid, strerror(-r));
		return r;
	}
	oldfd = openat(parentfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (oldfd < 0)
		return -errno;
	r = copy_acls(oldfd, newfd);
	close(oldfd);
	if (r < 0) {
		fprintf(stderr, "provctl: cannot give the new tree %s's ACLs: %s\n", dir,
		        strerror(-r));
		return r;
	}
	/* last: chown may clear the set-ID bits, and the mode sets the ACL's mask as DIR has it */
	return fchmod(newfd, old->st_mode & 07777) < 0 ? -errno : 0;
}

/* dir: the directory as messages show it (quoted by cmd_export) */
static int swap_in(const struct tree *t, int parentfd, const char *base, const char *dir)
{
	char tmp[NAME_MAX + 1];
	struct stat old;
	int newfd, r, stale, state = existing(parentfd, base, dir, &old);

	if (state < 0)
		return state;
	if (snprintf(tmp, sizeof(tmp), ".%.200s.provfs-new.%ld", base, (long)getpid()) < 0)
		return -EINVAL;
	stale = remove_stale(parentfd, base, dir);
	remove_export_tree(parentfd, tmp); /* a killed export's whose pid this process has now */
	if (mkdirat(parentfd, tmp, 0700) < 0) {
		r = -errno;
		fprintf(stderr, "provctl: cannot make a directory beside %s: %s\n", dir,
		        strerror(-r));
		return r;
	}
	newfd = openat(parentfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = newfd < 0 ? -errno : guard_tmp(newfd, state, &old, dir);
	if (r == 0)
		r = write_tree(t, newfd, dir);
	if (r == 0)
		r = take_attrs(parentfd, base, newfd, state, &old, dir);
	if (newfd >= 0)
		close(newfd);
	/* a new DIR appears whole; an existing one is exchanged with the new tree in one step */
	if (r == 0 && renameat2(parentfd, tmp, parentfd, base,
	                        state == 1 ? RENAME_NOREPLACE : RENAME_EXCHANGE) < 0)
		r = -errno;
	if (r == 0 && fsync(parentfd) < 0)
		r = -errno;
	if (r < 0 && r != -ENOMEM)
		fprintf(stderr, "provctl: %s: %s: left as it was\n", dir, strerror(-r));
	/*
	 * The new tree when it failed, the old one after an exchange (with whatever was put in it:
	 * exports are flat, a subdirectory goes too). A tree left beside DIR, perhaps in a web
	 * root, is an error the caller must see, even though DIR holds the new export.
	 */
	if (r < 0 || state == 0) {
		int err = remove_export_tree(parentfd, tmp);

		if (err < 0 && err != -ENOENT) {
			char qt[DIAG_QUOTE_SIZE];

			fprintf(stderr,
			        "provctl: cannot remove %s beside %s (%s): %s; remove it by hand\n",
			        diag_quote(qt, tmp), dir,
			        r < 0 ? "the unfinished new tree"
			              : "the old tree; the new export is in place",
			        strerror(-err));
			r = r == 0 ? err : r;
		}
	}
	return r == 0 ? stale : r;
}

int cmd_export(const struct keys *keys, const char *path, const char *dir)
{
	char parent[PATH_MAX], base[PATH_MAX], qd[DIAG_QUOTE_SIZE], q[DIAG_QUOTE_SIZE];
	const struct device *enc;
	struct tree *t;
	int parentfd, r = split(dir, parent, base);
	const char *shown = diag_quote(qd, dir); /* what messages echo of it: one line */

	if (r < 0) {
		fprintf(stderr, "provctl: %s: not a directory name export can replace\n", shown);
		return EXIT_USAGE;
	}
	t = load(keys, path);
	if (t == NULL)
		return EXIT_PROBLEM;
	enc = keys->ks == NULL ? encrypted_device(t) : NULL;
	if (enc != NULL) {
		char mac[MAC_STRLEN + 1];

		mac_format(enc->mac, true, mac);
		fprintf(
		    stderr,
		    "provctl: %s has devices with per-device keys (e.g. %s, %s): pass -s STATE, "
		    "the mount's state directory, where their keys are kept (export makes the "
		    "missing ones there)\n",
		    diag_quote(q, path), mac, enc->model->name);
		tree_free(t);
		return EXIT_PROBLEM;
	}
	parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parentfd < 0) {
		fprintf(stderr, "provctl: %s: %s\n", diag_quote(q, parent), strerror(errno));
		tree_free(t);
		return EXIT_PROBLEM;
	}
	r = swap_in(t, parentfd, base, shown);
	close(parentfd);
	tree_free(t);
	return r < 0 ? EXIT_PROBLEM : 0;
}
