/*
 * watch.h - inotify on the inventory: which events mean "the inventory may have changed".
 *
 * Editors save in different ways: in place (CLOSE_WRITE), through a temporary file renamed
 * over the original (MOVED_TO), by deleting and creating (git checkout), or by replacing a
 * symlink. So provfs watches directories, never the inventory file's inode, and filters the
 * events by name: for a file inventory, its name in its directory and, when it is a symlink,
 * the target's name in the target's directory; for a directory inventory, every "*.yaml" in
 * it and the targets of those that are symlinks. Debouncing is the caller's (reload.c).
 */
#ifndef PROVFS_WATCH_H
#define PROVFS_WATCH_H

struct watch;

/* Starts watching the inventory at path (a file or a directory). Returns 0 or -errno. */
int watch_open(const char *path, struct watch **out);
void watch_close(struct watch *w);

/* The descriptor to poll for POLLIN. */
int watch_fd(const struct watch *w);

/*
 * Reads every pending event. Returns 1 if one of them may concern the inventory, 0 if none
 * does, or -errno.
 */
int watch_drain(struct watch *w);

/* Watches again from scratch: symlinks may point elsewhere, files may have come or gone. */
int watch_rearm(struct watch *w);

/*
 * Up to two more files that count as the inventory (its `secrets:` file as served, and the
 * one a failed reload named; NULL: none), watched by name like a file inventory, from the
 * next watch_rearm on. Returns 0 or -ENOMEM.
 */
int watch_also(struct watch *w, const char *path, const char *path2);

#endif
