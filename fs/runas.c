/*
 * runas.c - dropping root after the mount (-o run_as=USER): see runas.h.
 *
 * The order matters: the group list and the group IDs change while the process can still
 * change them (root), the user IDs last. setresuid() with all three IDs non-zero clears every
 * capability (the kernel's rule for leaving uid 0 without SECBIT_KEEP_CAPS); the checks after
 * it make a kernel or a securebits setting that kept any a failure instead of a silent one.
 */
#include "fs/runas.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "state/nodump.h"

int runas_lookup(const char *user, struct runas *ra)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int r = getpwnam_r(user, &pw, buf, sizeof(buf), &found);

	if (r != 0)
		return -r;
	if (found == NULL)
		return -ENOENT;
	if (pw.pw_uid == 0 || pw.pw_gid == 0)
		return -EINVAL; /* root is no drop */
	ra->uid = pw.pw_uid;
	ra->gid = pw.pw_gid;
	return 0;
}

int runas_enter(const struct runas *ra)
{
	if (setgroups(1, &ra->gid) < 0 || setegid(ra->gid) < 0 || seteuid(ra->uid) < 0)
		return -errno;
	return 0;
}

int runas_leave(void)
{
	const gid_t root = 0;

	if (seteuid(0) < 0 || setegid(0) < 0 || setgroups(1, &root) < 0)
		return -errno;
	return 0;
}

/* No capability in the effective, permitted or inheritable set. */
static int no_capabilities(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	for (int i = 0; i < 2; i++)
		if (data[i].effective != 0 || data[i].permitted != 0 || data[i].inheritable != 0)
			return -EPERM;
	return 0;
}

int runas_drop(const struct runas *ra)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int r;

	if (setgroups(0, NULL) < 0 || setresgid(ra->gid, ra->gid, ra->gid) < 0 ||
	    setresuid(ra->uid, ra->uid, ra->uid) < 0)
		return -errno;
	/* the way back is closed: an exec of a setuid program gains nothing either */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != ra->uid || eu != ra->uid || su != ra->uid || rg != ra->gid || eg != ra->gid ||
	    sg != ra->gid || getgroups(0, NULL) != 0)
		return -EPERM;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return -EPERM;
	r = no_capabilities();
	if (r < 0)
		return r;
	/* a change of IDs resets dumpability to the system's suid_dumpable: set it again */
	return nodump_process();
}
