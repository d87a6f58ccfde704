/*
 * snapshot.c - the copy of the served inventory in STATE/live (snapshot.h).
 *
 * Written after each successful load, from the files as they are then: an edit made while a
 * load runs is seen by the watch and makes another reload, which writes the copy again.
 */
#include "state/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/buf.h"
#include "inventory/inventory.h"

#define SNAPSHOT_NEW ".live.new"

static int copy_in(int newfd, const char *src, const char *name)
{
	int fd = open_regular(AT_FDCWD, src, O_RDONLY, 0);
	int r;

	if (fd < 0)
		return fd;
	r = replace_file_copy(newfd, name, fd, 0600, false);
	close(fd);
	return r;
}

/* The *.yaml files of dir, each copied under its own name. */
static int copy_dir(int newfd, const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (dh == NULL)
		return -errno;
	while (r == 0 && (e = readdir(dh)) != NULL) {
		char path[PATH_MAX];

		if (!inventory_is_yaml_name(e->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			r = -ENAMETOOLONG;
		else
			r = copy_in(newfd, path, e->d_name);
	}
	closedir(dh);
	return r;
}

/* The directory relative paths count from, absolute: the inventory's own, or the one it is in. */
static int base_of(const char *inventory, bool is_dir, struct buf *out)
{
	const char *slash;

	if (inventory[0] != '/') {
		char cwd[PATH_MAX];

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return -errno;
		buf_printf(out, "%s/", cwd);
	}
	slash = strrchr(inventory, '/');
	if (is_dir || slash == NULL)
		buf_puts(out, is_dir ? inventory : ".");
	else
		buf_append(out, inventory, slash == inventory ? 1 : (size_t)(slash - inventory));
	return buf_status(out);
}

static int fill(const struct state *st, int newfd, const char *inventory)
{
	struct stat sb;
	struct buf base;
	int r;

	if (stat(inventory, &sb) < 0)
		return -errno;
	buf_init(&base);
	r = S_ISDIR(sb.st_mode) ? copy_dir(newfd, inventory)
	                        : copy_in(newfd, inventory, "inventory.yaml");
	if (r == 0)
		r = base_of(inventory, S_ISDIR(sb.st_mode), &base);
	if (r == 0)
		r = replace_file(newfd, SNAPSHOT_BASE, base.data, base.len, 0600, false);
	if (r == 0 && syncfs(newfd) < 0)
		r = -errno;
	buf_free(&base);
	(void)st;
	return r;
}

int snapshot_save(const struct state *st, const char *inventory)
{
	int newfd, r;

	remove_flat_dir(st->dirfd, SNAPSHOT_NEW);
	if (mkdirat(st->dirfd, SNAPSHOT_NEW, 0700) < 0)
		return -errno;
	newfd = openat(st->dirfd, SNAPSHOT_NEW, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = newfd < 0 ? -errno : fill(st, newfd, inventory);
	if (newfd >= 0)
		close(newfd);
	if (r == 0 &&
	    renameat2(st->dirfd, SNAPSHOT_NEW, st->dirfd, SNAPSHOT_DIR, RENAME_EXCHANGE) < 0) {
		r = errno == ENOENT ? 0 : -errno;
		if (r == 0 && renameat2(st->dirfd, SNAPSHOT_NEW, st->dirfd, SNAPSHOT_DIR,
		                        RENAME_NOREPLACE) < 0)
			r = -errno;
	}
	if (r == 0 && fsync(st->dirfd) < 0)
		r = -errno;
	remove_flat_dir(st->dirfd, SNAPSHOT_NEW); /* the old copy, or the new one that failed */
	return r;
}

int snapshot_load(const struct state *st, struct tree **out, struct diag *d)
{
	char path[PATH_MAX];
	struct state live = { -1, path };
	struct buf base;
	int r;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/" SNAPSHOT_DIR, st->path) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	live.dirfd =
	    openat(st->dirfd, SNAPSHOT_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (live.dirfd < 0)
		return -errno;
	buf_init(&base);
	r = state_read(&live, SNAPSHOT_BASE, &base);
	buf_append(&base, "", 1);
	if (r == 0)
		r = buf_status(&base);
	if (r == 0)
		r = tree_load_based(path, (const char *)base.data, NULL, out, d);
	buf_free(&base);
	close(live.dirfd);
	return r;
}
