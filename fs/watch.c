/*
 * watch.c - inotify on the directories that hold the inventory, filtered by name.
 *
 * A watch set is a list of directories (inotify gives one descriptor per directory inode,
 * however often it is added) and a list of (directory, name) filters. Re-arming builds the
 * new set first and only then drops the directories no longer needed, so a re-arm never
 * loses an event that arrives meanwhile. Events on hidden and editor files (.x.swp, x~,
 * 4913) do not match a filter and cost nothing but a read.
 */
#include "fs/watch.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory/inventory.h"

#define DIRS_MAX    64
#define FILTERS_MAX 1024

#define MASK                                                                                       \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |        \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct watched_dir {
	int wd;
	bool any_yaml; /* a directory inventory: every *.yaml in it counts */
};

struct filter {
	int wd;
	char name[NAME_MAX + 1];
};

struct watch_set {
	struct watched_dir dirs[DIRS_MAX];
	size_t ndirs;
	struct filter *filters;
	size_t nfilters;
};

struct watch {
	char *path;
	char *also[2]; /* the secrets files (served, tried), or NULL */
	int fd;
	struct watch_set set;
};

static void set_free(struct watch_set *s)
{
	free(s->filters);
	memset(s, 0, sizeof(*s));
}

/* Watches dir (once) and returns its descriptor, or -errno. */
static int add_dir(struct watch *w, struct watch_set *s, const char *dir, bool any_yaml)
{
	int wd = inotify_add_watch(w->fd, dir, MASK);

	if (wd < 0)
		return -errno;
	for (size_t i = 0; i < s->ndirs; i++)
		if (s->dirs[i].wd == wd) {
			s->dirs[i].any_yaml |= any_yaml;
			return wd;
		}
	if (s->ndirs == DIRS_MAX)
		return -ENOSPC;
	s->dirs[s->ndirs].wd = wd;
	s->dirs[s->ndirs].any_yaml = any_yaml;
	s->ndirs++;
	return wd;
}

/* Watches the directory of path for path's own name. */
static int add_name(struct watch *w, struct watch_set *s, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int wd;

	if (slash == NULL || strlen(slash + 1) > NAME_MAX || s->nfilters == FILTERS_MAX)
		return -EINVAL;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	wd = add_dir(w, s, dir, false);
	if (wd < 0)
		return wd;
	s->filters[s->nfilters].wd = wd;
	snprintf(s->filters[s->nfilters].name, sizeof(s->filters[0].name), "%s", slash + 1);
	s->nfilters++;
	return 0;
}

/* A symlink's final target, watched by name too (editing the target changes the inventory). */
static void add_target(struct watch *w, struct watch_set *s, const char *path)
{
	char target[PATH_MAX];
	struct stat sb;

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) && realpath(path, target) != NULL)
		add_name(w, s, target);
}

/* A directory inventory: the directory for *.yaml, and the targets of symlinked files. */
static int add_directory(struct watch *w, struct watch_set *s, const char *path)
{
	char real[PATH_MAX], entry[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int r;

	if (realpath(path, real) == NULL)
		return -errno;
	r = add_dir(w, s, real, true);
	if (r < 0)
		return r;
	d = opendir(real);
	if (d == NULL)
		return 0; /* removed meanwhile: the directory's own events say so */
	while ((e = readdir(d)) != NULL) {
		if (!inventory_is_yaml_name(e->d_name) ||
		    (size_t)snprintf(entry, sizeof(entry), "%s/%s", real, e->d_name) >=
		        sizeof(entry))
			continue;
		add_target(w, s, entry);
	}
	closedir(d);
	return 0;
}

static int arm(struct watch *w)
{
	struct watch_set s = { .ndirs = 0 };
	struct stat sb;
	int r;

	s.filters = calloc(FILTERS_MAX, sizeof(*s.filters));
	if (s.filters == NULL)
		return -ENOMEM;
	/* the name itself, in its directory: a rename or a new symlink replaces it */
	r = add_name(w, &s, w->path);
	if (r == 0 && stat(w->path, &sb) == 0 && S_ISDIR(sb.st_mode))
		r = add_directory(w, &s, w->path);
	else if (r == 0)
		add_target(w, &s, w->path);
	/* an also's directory may be gone: the inventory's still are watched */
	for (int i = 0; i < 2; i++)
		if (r == 0 && w->also[i] != NULL && add_name(w, &s, w->also[i]) == 0)
			add_target(w, &s, w->also[i]);
	if (r < 0) {
		/* keep the old set: better some events than none */
		set_free(&s);
		return r;
	}
	for (size_t i = 0; i < w->set.ndirs; i++) {
		bool kept = false;

		for (size_t k = 0; k < s.ndirs && !kept; k++)
			kept = s.dirs[k].wd == w->set.dirs[i].wd;
		if (!kept)
			inotify_rm_watch(w->fd, w->set.dirs[i].wd);
	}
	set_free(&w->set);
	w->set = s;
	return 0;
}

int watch_open(const char *path, struct watch **out)
{
	struct watch *w = calloc(1, sizeof(*w));
	int r;

	*out = NULL;
	if (w == NULL)
		return -ENOMEM;
	w->path = strdup(path);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->path == NULL || w->fd < 0) {
		r = w->path == NULL ? -ENOMEM : -errno;
		watch_close(w);
		return r;
	}
	r = arm(w);
	if (r < 0) {
		watch_close(w);
		return r;
	}
	*out = w;
	return 0;
}

void watch_close(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	set_free(&w->set);
	free(w->path);
	free(w->also[0]);
	free(w->also[1]);
	free(w);
}

int watch_fd(const struct watch *w)
{
	return w->fd;
}

static bool concerns(const struct watch *w, const struct inotify_event *ev)
{
	if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF))
		return true; /* events were lost, or a watched directory went away */
	if (ev->len == 0 || ev->name[0] == '\0')
		return false; /* IN_IGNORED after a re-arm, attributes of the directory */
	for (size_t i = 0; i < w->set.ndirs; i++)
		if (w->set.dirs[i].wd == ev->wd && w->set.dirs[i].any_yaml &&
		    inventory_is_yaml_name(ev->name))
			return true;
	for (size_t i = 0; i < w->set.nfilters; i++)
		if (w->set.filters[i].wd == ev->wd && strcmp(w->set.filters[i].name, ev->name) == 0)
			return true;
	return false;
}

int watch_drain(struct watch *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	int relevant = 0;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;

			relevant |= concerns(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return relevant;
}

int watch_rearm(struct watch *w)
{
	return arm(w);
}

int watch_also(struct watch *w, const char *path, const char *path2)
{
	char *copy = NULL;

	if (path != NULL && (copy = strdup(path)) == NULL)
		return -ENOMEM;
	char *copy2 = NULL;

	if (path2 != NULL && (path == NULL || strcmp(path, path2) != 0) &&
	    (copy2 = strdup(path2)) == NULL) {
		free(copy);
		return -ENOMEM;
	}
	free(w->also[0]);
	free(w->also[1]);
	w->also[0] = copy;
	w->also[1] = copy2;
	return 0;
}
