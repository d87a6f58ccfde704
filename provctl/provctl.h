/*
 * provctl.h - what provctl.c shares with the files of its other commands (export.c, diff.c,
 * status.c): the state directory, loading with every problem printed, rendering one file.
 */
#ifndef PROVFS_PROVCTL_H
#define PROVFS_PROVCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/tree.h"
#include "inventory/diag.h"
#include "inventory/model.h"
#include "state/keys.h"
#include "state/state.h"

#define EXIT_PROBLEM 1
#define EXIT_USAGE   2

/* The state directory (-s), opened for the commands that need Panasonic keys. */
struct keys {
	struct state st;
	struct keystore *ks;
	struct site_secret *secret; /* -k FILE; NULL: new keys are random */
};

/* Loads and checks path, printing every problem as FILE:LINE:COL. NULL on any problem. */
struct tree *load(const struct keys *keys, const char *path);

/* Every name the tree serves, sorted. */
struct name_list {
	char **names;
	size_t n, cap;
	int oom;
	const struct tree *t; /* files whose enrolment window closed are not listed */
};

int list_names(const struct tree *t, struct name_list *l);
void free_names(struct name_list *l);

/*
 * Writes what a phone reading `name` gets to fd: rendered bytes, or the real firmware file
 * copied through. With dirfd >= 0, into a new file dirfd/name instead (export's new tree).
 */
int emit(const struct tree *t, const char *name, bool plain, int fd, int dirfd);

/* The device named on the command line, in any MAC notation (a message when it is not). */
const struct device *device_arg(const struct tree *t, const char *arg);

/* "2026-11-29T19:00:00Z" */
void utc(int64_t when, char out[32]);

/* export.c: every file into DIR, swapped in whole (see there). */
int cmd_export(const struct keys *keys, const char *path, const char *dir);

#define MAX_SERVER_LOGS 32

/* What `provctl status` shows: the filters and the servers' logs. */
struct status_opts {
	const char *mac;         /* one device */
	const char *model;       /* --model */
	const char *group;       /* --group */
	bool never;              /* --never: only devices never fetched */
	long stale_days;         /* --stale DAYS: not fetched for DAYS days (never included); -1 */
	bool json;               /* --json */
	const char *const *logs; /* --server-log */
	int nlogs;
};

/* status.c */
int cmd_status(const struct keys *keys, const char *path, const struct status_opts *o);

/* diff.c: what changes between two inventories, or the mount's and an edit (other NULL). */
int cmd_diff(const struct keys *keys, const char *state, const char *path, const char *other);

/* shared.c: rekey and status on the shared state in etcd (-s etcd://...). */
int cmd_shared_rekey(const char *url, const char *path, const char *mac_arg, bool factory_reset);
int cmd_shared_status(const char *url, const char *path, const char *mac_arg);

#endif
