/*
 * runas.h - least privilege for the daemon: -o run_as=USER.
 *
 * Mounting needs root; serving does not. provfs mounts as root, then becomes USER for good:
 * no supplementary groups, real, effective and saved IDs all USER's, no capability left, and
 * no way back (no_new_privs; a setuid(0) is checked to fail). Before that, while it is still
 * root, it can take USER's effective IDs for a while (runas_enter/runas_leave) to prove that
 * USER can do what the daemon will do later: read the inventory, write the state directory.
 */
#ifndef PROVFS_RUNAS_H
#define PROVFS_RUNAS_H

#include <sys/types.h>

struct runas {
	uid_t uid;
	gid_t gid;
};

/* USER's IDs from the password database. -ENOENT, -EINVAL (root itself) or -errno. */
int runas_lookup(const char *user, struct runas *ra);

/* Effective IDs USER's (and the group list just USER's group); real IDs stay root. */
int runas_enter(const struct runas *ra);

/* Back to root's effective IDs after runas_enter. */
int runas_leave(void);

/* USER for good, checked. Returns 0 or -errno; on failure the caller must exit. */
int runas_drop(const struct runas *ra);

#endif
