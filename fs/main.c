/*
 * main.c - provfs INVENTORY MOUNTPOINT [-f] [-d] [-s] [-o opt,...]
 *
 * Parses our options (state=, listing=, run_as=, ...) out of the FUSE command line, loads and
 * validates the inventory before anything is mounted (a bad inventory never mounts), forces a
 * read-only mount whose source is the inventory's absolute path (findmnt, /proc/mounts), drops
 * root after mounting when asked (fs/runas.h), and runs the multi-threaded session loop. Works
 * the same when started by mount(8) as `mount -t fuse.provfs INVENTORY MNT -o ...` or from
 * /etc/fstab: mount.fuse3 runs `provfs INVENTORY MNT -o ...`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/tree.h"

#include "fs/audit.h"
#include "fs/cache.h"
#include "fs/fuse_api.h"
#include "fs/gen.h"
#include "fs/log.h"
#include "state/nodump.h"
#include "fs/ops.h"
#include "fs/reload.h"
#include "fs/runas.h"
#include "state/etcd.h"
#include "state/keys.h"
#include "state/shared.h"
#include "state/site_secret.h"
#include "state/state.h"
#include "inventory/diag.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/version.h"

struct options {
	char *inventory;
	char *state;
	char *listing;
	char *audit;
	char *retain;
	char *run_as;
	char *key_secret;
	char *cache; /* state=etcd://: the local directory */
	int nowatch;
	int allow_other;
	int help;
	int version;
};

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_ALLOW_OTHER,
	KEY_STATE,
};

static const struct fuse_opt option_spec[] = {
	FUSE_OPT_KEY("state=", KEY_STATE),
	{ "listing=%s", offsetof(struct options, listing), 0 },
	{ "audit=%s", offsetof(struct options, audit), 0 },
	{ "retain=%s", offsetof(struct options, retain), 0 },
	{ "run_as=%s", offsetof(struct options, run_as), 0 },
	{ "key_secret=%s", offsetof(struct options, key_secret), 0 },
	{ "cache=%s", offsetof(struct options, cache), 0 },
	{ "nowatch", offsetof(struct options, nowatch), 1 },
	/* seen, and passed on to libfuse */
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	/* the mount is always read-only: a request for rw (mount(8) adds it) is dropped */
	FUSE_OPT_KEY("rw", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_END,
};

/*
 * path made absolute without resolving symlinks: a symlinked inventory that is pointed
 * elsewhere later must be followed anew on every reload. NULL (errno set) on failure.
 */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return out;
}

static void usage(const char *prog)
{
	printf("usage: %s INVENTORY MOUNTPOINT [-f] [-d] [-s] [-o opt,...]\n"
	       "\n"
	       "provfs options:\n"
	       "    -o state=DIR           state directory (default %s)\n"
	       "    -o state=etcd://HOST:PORT[,HOST:PORT...]/PREFIX\n"
	       "                           share each device's key epoch and delivery with\n"
	       "                           the other replicas in etcd (needs key_secret)\n"
	       "    -o cache=DIR           with state=etcd://: this replica's own directory\n"
	       "                           (keys' view, fetch records; default the above)\n"
	       "    -o listing=generic|all readdir shows files without a MAC only (default),\n"
	       "                           or every file\n"
	       "    -o nowatch             reload on SIGHUP only, not when the inventory's\n"
	       "                           files change (inotify)\n"
	       "    -o audit=cached|exact  the kernel caches device files and serves repeat\n"
	       "                           fetches (default; the server's log has each fetch),\n"
	       "                           or every fetch is read and recorded here (slower)\n"
	       "    -o retain=MIB          rendered bytes kept per generation (default %zu);\n"
	       "                           beyond, a file is rendered again when read\n"
	       "    -o run_as=USER         mount as root, then serve as USER (e.g. provfs):\n"
	       "                           the state directory becomes USER's\n"
	       "    -o key_secret=FILE     derive new keys from the site secret in FILE (mode\n"
	       "                           0600), the same on every replica\n"
	       "The mount is always read-only. Servers that drop privileges (tftpd-hpa, nginx,\n"
	       "vsftpd) need -o allow_other.\n"
	       "\n",
	       prog, STATE_DEFAULT_DIR, (size_t)(CACHE_RETAIN_DEFAULT >> 20));
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/* "64": MiB as bytes. Returns 0 or -EINVAL. */
static int parse_mib(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > (1ULL << 20))
		return -EINVAL;
	*out = (size_t)v << 20;
	return 0;
}

/*
 * -o splits at commas, so state=etcd://H1:P1,H2:P2/PREFIX comes as "state=etcd://H1:P1", then
 * "H2:P2/PREFIX": an option of the form HOST:PORT[/PREFIX] right after an etcd URL that has no
 * prefix yet belongs to it (so does one escaped as \, by the user).
 */
static bool etcd_url_continues(const char *state, const char *arg)
{
	const char *colon = strchr(arg, ':');

	return state != NULL && strncmp(state, "etcd://", 7) == 0 &&
	       strchr(state + 7, '/') == NULL && colon != NULL && colon != arg &&
	       strchr(arg, '=') == NULL && colon[1] >= '0' && colon[1] <= '9';
}

/* The first non-option argument is the inventory; the second (the mount point) stays. */
static int option_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct options *o = data;

	(void)outargs;
	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (o->inventory == NULL) {
			o->inventory = strdup(arg);
			return 0;
		}
		return 1;
	case KEY_HELP:
		o->help = 1;
		return 0;
	case KEY_VERSION:
		o->version = 1;
		return 0;
	case KEY_ALLOW_OTHER:
		o->allow_other = 1;
		return 1;
	case KEY_STATE: /* the last one given counts (lib.sh's provfs_mount gives a default) */
		free(o->state);
		o->state = strdup(arg + strlen("state="));
		return o->state != NULL ? 0 : -1;
	case FUSE_OPT_KEY_OPT:
		if (etcd_url_continues(o->state, arg)) {
			char *joined;

			if (asprintf(&joined, "%s,%s", o->state, arg) < 0)
				return -1;
			free(o->state);
			o->state = joined;
			return 0;
		}
		return 1;
	default:
		return 1;
	}
}

/* Where the key store's news goes: the state directory and the key_secret file, by name. */
struct key_news {
	const struct provfs *fs;
	const struct site_secret *secret; /* NULL: no key_secret */
};

/* The key store's news, in the log: a key file that cannot be read is never replaced. */
static void key_unreadable(void *ctx, uint64_t mac, int err)
{
	const struct key_news *news = ctx;
	const struct provfs *fs = news->fs;
	char m[MAC_STRLEN + 1];

	mac_format(mac, true, m);
	if (err == -EKEYREJECTED)
		log_msg(LOG_ERR,
		        "key of %s: %s/key-%s was derived under another site secret than "
		        "key_secret=%s (its fingerprint differs): its encrypted files fail (EIO) "
		        "and the file is left as it is; put that secret back in %s, or give the "
		        "device a new key with provctl rekey -k %s, then send SIGHUP",
		        m, fs->state.path, m, news->secret->path, news->secret->path,
		        news->secret->path);
	else if (err == -ENOKEY)
		log_msg(LOG_ERR,
		        "key of %s: the keys in %s are derived from a site secret and this mount "
		        "has no key_secret=FILE: its encrypted files fail (EIO), and no random key "
		        "is made for it; mount with the key_secret they were derived under",
		        m, fs->state.path);
	else if (err == 0)
		log_msg(LOG_INFO, "key of %s: %s/key-%s can be read again", m, fs->state.path, m);
	else
		log_msg(
		    LOG_ERR,
		    "key of %s: %s/key-%s cannot be read (%s): its encrypted files fail (EIO) and "
		    "the file is left as it is; restore it from a backup, or remove it to give "
		    "the device a new key, then send SIGHUP",
		    m, fs->state.path, m, err == -EBADMSG ? "damaged content" : strerror(-err));
}

/* ---- state=etcd:// (state/shared.h): what the shared backend tells the daemon ---------- */

static void shared_delivered(void *ctx, uint64_t mac, const char *proof)
{
	struct provfs *fs = ctx;
	char m[MAC_STRLEN + 1];

	mac_format(mac, false, m);
	log_msg(LOG_INFO,
	        "key of %s delivered (recorded in etcd, proof %s): only its encrypted files are "
	        "served now",
	        m, proof);
	if (reload_key_delivered(fs, mac) < 0)
		log_msg(LOG_WARNING, "key of %s: the kernel may list its plain file a while", m);
}

static void shared_keys_changed(void *ctx)
{
	if (reload_request(ctx) < 0)
		log_msg(LOG_WARNING, "a new key epoch from etcd: send SIGHUP to serve it");
}

static void shared_log(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	log_msg(prio, "%s", msg);
}

/*
 * state=etcd://...: the URL must parse and key_secret=FILE must be given (keys are derived on
 * every replica and never kept in etcd); cache=DIR belongs to it alone. One line on a
 * refusal. Returns 0 or 1.
 */
static int check_shared_options(const struct options *o, bool *shared)
{
	char why[256], q[DIAG_QUOTE_SIZE];
	struct etcd_url u;

	*shared = o->state != NULL && strncmp(o->state, "etcd://", 7) == 0;
	if (!*shared) {
		if (o->cache == NULL)
			return 0;
		fprintf(stderr,
		        "provfs: cache=%s is for state=etcd://...: with state=DIR give only "
		        "that: not mounted\n",
		        diag_quote(q, o->cache));
		return 1;
	}
	if (etcd_url_parse(o->state, &u, why, sizeof(why)) < 0) {
		fprintf(stderr, "provfs: state=%s: %s: not mounted\n", diag_quote(q, o->state),
		        why);
		return 1;
	}
	etcd_url_free(&u);
	if (o->key_secret == NULL) {
		fprintf(stderr,
		        "provfs: state=etcd://... needs key_secret=FILE (keys are derived on every "
		        "replica, never kept in etcd): not mounted\n");
		return 1;
	}
	return 0;
}

#define LOCK_WAIT_MS 5000

/*
 * One daemon per state directory: two would each think their keys and deliveries the only
 * ones. STATE/provfs.lock is held (flock) for the daemon's life; its fd survives the fork of
 * daemonizing. Returns 0, or 1 after saying who holds it.
 */
static int lock_state_dir(struct provfs *fs)
{
	char pid[32] = "", q[DIAG_QUOTE_SIZE];
	struct buf text;
	int r = state_lock(&fs->state, MOUNT_LOCK_FILE, false, &fs->state_lock);

	/*
	 * A daemon killed a moment ago still holds the lock until its last thread is gone
	 * (its main thread already shows as a zombie): a restart right after kill -9 waits for
	 * that, up to LOCK_WAIT_MS, instead of being refused.
	 */
	for (int waited = 0; r == -EWOULDBLOCK && waited < LOCK_WAIT_MS; waited += 50) {
		struct timespec pause = { 0, 50000000L }; /* 50 ms */

		nanosleep(&pause, NULL);
		r = state_lock(&fs->state, MOUNT_LOCK_FILE, false, &fs->state_lock);
	}
	if (r == 0)
		return 0;
	if (r != -EWOULDBLOCK) {
		fprintf(stderr, "provfs: state directory %s: cannot lock %s: %s\n",
		        diag_quote(q, fs->state.path), MOUNT_LOCK_FILE, strerror(-r));
		return 1;
	}
	buf_init(&text);
	if (state_read(&fs->state, PID_FILE, &text) == 0 && text.len > 0 && text.len < 16)
		snprintf(pid, sizeof(pid), " (pid %.*s)",
		         (int)strspn((const char *)text.data, "0123456789"),
		         (const char *)text.data);
	buf_free(&text);
	fprintf(stderr,
	        "provfs: state directory %s is in use by another provfs%s: give every mount its "
	        "own state=DIR\n",
	        diag_quote(q, fs->state.path), pid);
	return 1;
}

/* Undoes the octal escapes of /proc/self/mountinfo (\040 for a space) in place. */
static void unescape_mountinfo(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * A second provfs on a mount point that already holds one would hide the first (and its
 * phones' deliveries) behind a new mount. Returns 0, or 1 after saying why not.
 */
static int check_mountpoint(const char *mountpoint)
{
	char real[PATH_MAX], line[8192];
	int r = 0;
	FILE *f;

	if (realpath(mountpoint, real) == NULL) {
		if (errno == ENOTCONN) {
			char q[DIAG_QUOTE_SIZE];

			diag_quote(q, mountpoint);
			fprintf(
			    stderr,
			    "provfs: %s holds a mount whose daemon is gone: run fusermount3 -u %s "
			    "first\n",
			    q, q);
			return 1;
		}
		return 0; /* libfuse says what is wrong with it */
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return 0;
	while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
		char point[4096], type[256];

		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		const char *dash = strstr(line, " - ");

		if (dash == NULL || sscanf(dash + 3, "%255s", type) != 1)
			continue;
		unescape_mountinfo(point);
		if (strcmp(point, real) == 0 && strcmp(type, "fuse.provfs") == 0)
			r = 1;
	}
	fclose(f);
	if (r) {
		char q[DIAG_QUOTE_SIZE];

		diag_quote(q, mountpoint);
		fprintf(stderr,
		        "provfs: %s already holds a provfs mount: unmount it first (fusermount3 -u "
		        "%s)\n",
		        q, q);
	}
	return r;
}

/* -o run_as=USER: a user that exists and is not root, and a daemon started as root. */
static int lookup_run_as(const char *user, struct runas *ra)
{
	char q[DIAG_QUOTE_SIZE];
	int r;

	diag_quote(q, user);
	if (geteuid() != 0) {
		fprintf(stderr, "provfs: run_as=%s: only root can mount and then drop to a user\n",
		        q);
		return 1;
	}
	r = runas_lookup(user, ra);
	if (r == 0)
		return 0;
	fprintf(stderr, "provfs: run_as=%s: %s\n", q,
	        r == -ENOENT   ? "no such user (adduser --system --group provfs makes one)"
	        : r == -EINVAL ? "the user is root, or its group is: nothing to drop"
	                       : strerror(-r));
	return 1;
}

/*
 * The state directory, created if missing, and with run_as given to that user (0700): the
 * daemon writes keys, deliveries and fetch records there after it dropped root. One line
 * naming the directory and the reason if it cannot be. Returns 0 or 1.
 */
static int open_state_dir(struct provfs *fs, const char *dir, const struct runas *ra,
                          const char *user)
{
	int err = state_open(dir, &fs->state);
	char q[DIAG_QUOTE_SIZE];

	diag_quote(q, dir);
	if (err < 0) {
		if (err == -ENOTDIR)
			fprintf(stderr,
			        "provfs: state directory %s: not a directory: not mounted\n", q);
		else
			fprintf(stderr,
			        "provfs: state directory %s: cannot open or create it (%s): not "
			        "mounted\n",
			        q, strerror(-err));
		return 1;
	}
	if (ra != NULL) {
		char bad[NAME_MAX + 8], qu[DIAG_QUOTE_SIZE], qb[DIAG_QUOTE_SIZE];

		err = state_give(&fs->state, ra->uid, ra->gid, bad, sizeof(bad));
		if (err == -ENOTEMPTY)
			fprintf(stderr,
			        "provfs: state directory %s: not a provfs state directory (it "
			        "holds %s, which provfs does not write): not given to %s: not "
			        "mounted\n",
			        q, diag_quote(qb, bad), diag_quote(qu, user));
		else if (err == -EMLINK)
			fprintf(stderr,
			        "provfs: state directory %s: %s has another hard link: not given "
			        "to %s: not mounted\n",
			        q, diag_quote(qb, bad), diag_quote(qu, user));
		else if (err < 0)
			fprintf(
			    stderr,
			    "provfs: state directory %s: cannot give it to %s: %s: not mounted\n",
			    q, diag_quote(qu, user), strerror(-err));
		if (err < 0)
			return 1;
	}
	return 0;
}

/*
 * -o key_secret=FILE, read once, now: with run_as as that user, as the inventory and its
 * secrets file are (state/site_secret.h). One line naming the file, never its content.
 * Returns 0 or 1.
 */
static int load_key_secret(const struct provfs *fs, const char *path, const char *user,
                           struct site_secret **out)
{
	char why[256], q[DIAG_QUOTE_SIZE];
	struct stat sb;
	int r = site_secret_load(path, fstat(fs->state.dirfd, &sb) == 0 ? sb.st_uid : (uid_t)-1,
	                         out, why, sizeof(why));

	if (r == 0)
		return 0;
	fprintf(stderr, "provfs: key_secret=%s: %s: not mounted\n", diag_quote(q, path), why);
	if (user != NULL && (r == -EACCES || r == -EPERM) &&
	    faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0) {
		char qu[DIAG_QUOTE_SIZE];

		fprintf(stderr,
		        "provfs: run_as=%s reads key_secret as %s: make the file %s's own, mode "
		        "0600\n",
		        diag_quote(qu, user), qu, qu);
	}
	return 1;
}

/*
 * A state directory that takes no write would mount and then fail every encrypted lookup
 * ("Read-only file system", naming nothing): refuse now, naming it.
 */
static int probe_state_dir(const struct provfs *fs, const char *user)
{
	int err = state_probe_write(&fs->state);
	char q[DIAG_QUOTE_SIZE], qu[DIAG_QUOTE_SIZE];

	if (err == 0)
		return 0;
	fprintf(stderr, "provfs: state directory %s is not writable%s%s (%s): not mounted\n",
	        diag_quote(q, fs->state.path), user != NULL ? " by " : "",
	        diag_quote(qu, user != NULL ? user : ""), strerror(-err));
	return 1;
}

/*
 * Read-only always; the kernel checks the 0444/0555 modes; type fuse.provfs; the source
 * (findmnt's SOURCE, /proc/mounts' first field) is the inventory's absolute path, escaped for
 * the option string (a comma would end it). With run_as, the mount goes through fusermount3
 * --auto-unmount, whose root helper unmounts when the daemon exits (it cannot itself).
 */
static int add_mount_options(struct fuse_args *args, const char *inventory, bool auto_unmount)
{
	char *opts = NULL, *fsname = NULL;
	int r = -ENOMEM;

	if (asprintf(&fsname, "fsname=%s", inventory) < 0)
		return 1;
	if (fuse_opt_add_opt(&opts, "ro,default_permissions,subtype=provfs") == 0 &&
	    fuse_opt_add_opt_escaped(&opts, fsname) == 0 &&
	    (!auto_unmount || fuse_opt_add_opt(&opts, "auto_unmount") == 0) &&
	    fuse_opt_add_arg(args, "-o") == 0 && fuse_opt_add_arg(args, opts) == 0)
		r = 0;
	free(opts);
	free(fsname);
	return r == 0 ? 0 : 1;
}

/* Loads and validates the first generation; prints every problem. */
static struct gen *first_generation(const char *path, struct keystore *keys, size_t retain,
                                    int *err)
{
	struct tree *t;
	struct diag d;
	struct gen *g;

	diag_init(&d);
	*err = tree_load(path, keystore_source(keys), &t, &d);
	if (*err < 0) {
		char q[DIAG_QUOTE_SIZE];

		diag_print(&d, stderr);
		fprintf(stderr, "provfs: %s: not mounted: the inventory has errors\n",
		        diag_quote(q, path));
		diag_free(&d);
		return NULL;
	}
	diag_free(&d);
	malloc_trim(0); /* the parse trees are gone: their pages go back (as after a reload) */
	g = gen_new(t, 1, retain);
	if (g == NULL) {
		tree_free(t);
		fprintf(stderr, "provfs: out of memory\n");
	}
	return g;
}

/*
 * STATE/provfs.pid: how `provctl rekey` finds the daemon to tell it (SIGHUP) that keys
 * changed. One mount per state directory.
 */
static void write_pid(const struct provfs *fs)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());

	if (replace_file(fs->state.dirfd, PID_FILE, text, (size_t)n, 0644, false) < 0)
		log_msg(LOG_WARNING, "cannot write %s/%s: provctl rekey cannot signal this daemon",
		        fs->state.path, PID_FILE);
}

/*
 * Mounts, then (run_as) becomes that user for good before any thread starts and before
 * daemonizing; without allow_other, says once more in the log who will be refused.
 */
static int run(struct fuse_args *args, struct fuse_cmdline_opts *cl, struct provfs *fs,
               const struct runas *ra, const char *run_as, bool allow_other)
{
	struct fuse_session *se;
	int r = 1;

	se = fuse_session_new(args, &provfs_ops, sizeof(provfs_ops), fs);
	if (se == NULL)
		return 1;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_destroy;
	if (fuse_session_mount(se, cl->mountpoint) != 0)
		goto out_signals;
	/* on the terminal of whoever mounts (mount(8) too: daemonizing comes later) */
	if (!allow_other) {
		char q[DIAG_QUOTE_SIZE];

		fprintf(
		    stderr,
		    "provfs: warning: %s is mounted without -o allow_other: servers running as "
		    "other users (tftpd-hpa, nginx, vsftpd) will be refused (Permission denied)\n",
		    diag_quote(q, cl->mountpoint));
	}
	if (ra != NULL) {
		r = runas_drop(ra);
		if (r < 0) {
			char q[DIAG_QUOTE_SIZE];

			fprintf(stderr, "provfs: cannot become %s: %s: unmounting\n",
			        diag_quote(q, run_as), strerror(-r));
			r = 1;
			goto out_unmount;
		}
	}
	log_init(cl->foreground);
	if (!allow_other && !cl->foreground)
		log_msg(LOG_WARNING,
		        "%s is mounted without allow_other: servers running as other "
		        "users (tftpd-hpa, nginx, vsftpd) are refused",
		        cl->mountpoint);
	fuse_daemonize(cl->foreground);
	/* threads only after daemonizing: fork keeps just the calling thread */
	fs->se = se;
	write_pid(fs);
	reload_keep_copy(fs); /* what provctl diff compares an edit with */
	r = audit_start(fs->audit);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot start the audit flusher: %s", strerror(-r));
		r = 1;
		goto out_unmount;
	}
	r = reload_start(fs);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot start the reloader: %s", strerror(-r));
		r = 1;
		goto out_unmount;
	}
	/* after the reloader: what etcd says comes to it through the self-pipe */
	if (fs->shared != NULL && (r = shared_start(fs->shared)) < 0) {
		log_msg(LOG_ERR, "cannot start the etcd sync: %s", strerror(-r));
		reload_stop(fs);
		r = 1;
		goto out_unmount;
	}
	log_msg(LOG_INFO, "mounted %s on %s (generation %llu)%s%s", fs->inventory, cl->mountpoint,
	        (unsigned long long)fs->generation, ra != NULL ? ", serving as " : "",
	        ra != NULL ? run_as : "");
	if (cl->singlethread) {
		r = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *lc = fuse_loop_cfg_create();

		if (lc == NULL)
			goto out_unmount;
		fuse_loop_cfg_set_clone_fd(lc, (unsigned)cl->clone_fd);
		fuse_loop_cfg_set_max_threads(lc, cl->max_threads);
		r = fuse_session_loop_mt(se, lc);
		fuse_loop_cfg_destroy(lc);
	}
	log_msg(LOG_INFO, "unmounting %s", cl->mountpoint);
	shared_free(fs->shared); /* its callbacks write to the reloader's pipe */
	fs->shared = NULL;
	reload_stop(fs);
	unlinkat(fs->state.dirfd, PID_FILE, 0);
out_unmount:
	/*
	 * A daemon that is no longer root cannot unmount (umount2 needs CAP_SYS_ADMIN, and
	 * fusermount3 refuses a mount root made): the auto_unmount helper that mounted it
	 * (root, part of fuse3) unmounts when our /dev/fuse descriptor closes, at exit.
	 */
	if (geteuid() == 0)
		fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
	return r != 0;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cl;
	struct options o;
	struct provfs fs;
	struct gen *g;
	struct runas ra;
	bool entered = false; /* effective IDs are run_as's (runas_enter) */
	char *inventory_abs = NULL, q[DIAG_QUOTE_SIZE];
	struct site_secret *secret = NULL;
	struct key_news news = { &fs, NULL };
	const struct keystore_events events = { key_unreadable, &news };
	const struct shared_events sevents = { shared_delivered, shared_keys_changed, shared_log,
		                               &fs };
	bool shared = false;
	int r, err;

	err = nodump_process(); /* first, before any secret is read: no core, no ptrace */
	if (err < 0) {
		fprintf(stderr, "provfs: cannot turn core dumps off: %s\n", strerror(-err));
		return 1;
	}
	memset(&o, 0, sizeof(o));
	memset(&cl, 0, sizeof(cl));
	memset(&fs, 0, sizeof(fs));
	fs.state.dirfd = -1;
	fs.state_lock = -1;
	if (fuse_opt_parse(&args, &o, option_spec, option_proc) != 0)
		return 1;
	if (o.help || o.version) {
		if (o.help)
			usage(argv[0]);
		else
			printf("provfs %s\nlibfuse %s\n", PROVFS_VERSION, fuse_pkgversion());
		r = 0;
		goto out;
	}
	r = 1;
	if (fuse_parse_cmdline(&args, &cl) != 0)
		goto out;
	if (o.inventory == NULL || cl.mountpoint == NULL) {
		fprintf(stderr, "usage: %s INVENTORY MOUNTPOINT [-f] [-d] [-o opt,...]\n", argv[0]);
		goto out;
	}
	if (o.listing != NULL && strcmp(o.listing, "generic") != 0 &&
	    strcmp(o.listing, "all") != 0) {
		fprintf(stderr, "provfs: listing must be 'generic' or 'all', not '%s'\n",
		        diag_quote(q, o.listing));
		goto out;
	}
	if (o.audit != NULL && strcmp(o.audit, "cached") != 0 && strcmp(o.audit, "exact") != 0) {
		fprintf(stderr, "provfs: audit must be 'cached' or 'exact', not '%s'\n",
		        diag_quote(q, o.audit));
		goto out;
	}
	/* the daemon changes to / when it detaches: keep an absolute path for reloads */
	inventory_abs = absolute_path(o.inventory);
	if (inventory_abs == NULL || access(inventory_abs, R_OK) < 0) {
		err = errno;
		fprintf(stderr, "provfs: %s: %s\n", diag_quote(q, o.inventory), strerror(err));
		goto out;
	}
	fs.inventory = inventory_abs;
	if (o.key_secret != NULL) { /* named in the log after the daemon changed to / */
		char *abs = absolute_path(o.key_secret);

		if (abs == NULL) {
			fprintf(stderr, "provfs: key_secret=%s: %s\n", diag_quote(q, o.key_secret),
			        strerror(errno));
			goto out;
		}
		free(o.key_secret);
		o.key_secret = abs;
	}
	fs.listing_all = o.listing != NULL && strcmp(o.listing, "all") == 0;
	fs.audit_exact = o.audit != NULL && strcmp(o.audit, "exact") == 0;
	fs.watch = !o.nowatch;
	fs.retain = CACHE_RETAIN_DEFAULT;
	if (o.retain != NULL && parse_mib(o.retain, &fs.retain) < 0) {
		fprintf(stderr, "provfs: retain must be a number of MiB (0 to 1048576), not '%s'\n",
		        diag_quote(q, o.retain));
		goto out;
	}
	if (check_shared_options(&o, &shared) != 0)
		goto out;
	if (o.run_as != NULL && lookup_run_as(o.run_as, &ra) != 0)
		goto out;
	if (open_state_dir(&fs,
	                   shared    ? (o.cache ? o.cache : STATE_DEFAULT_DIR)
	                   : o.state ? o.state
	                             : STATE_DEFAULT_DIR,
	                   o.run_as != NULL ? &ra : NULL, o.run_as) != 0)
		goto out;
	/* as USER from here to the mount: what USER cannot do now would fail after the drop */
	if (o.run_as != NULL) {
		err = runas_enter(&ra);
		if (err < 0) {
			fprintf(stderr, "provfs: run_as=%s: %s\n", diag_quote(q, o.run_as),
			        strerror(-err));
			goto out;
		}
		entered = true;
	}
	if (probe_state_dir(&fs, o.run_as) != 0 || check_mountpoint(cl.mountpoint) != 0 ||
	    lock_state_dir(&fs) != 0)
		goto out;
	/* left by a daemon or provctl killed mid-write; a minute is far beyond any live write */
	(void)state_sweep_temps(&fs.state, 60);
	if (o.key_secret != NULL && load_key_secret(&fs, o.key_secret, o.run_as, &secret) != 0)
		goto out;
	news.secret = secret;
	err = keystore_open_derived(&fs.state, &events, secret, &fs.keys);
	if (err < 0) {
		fprintf(stderr, "provfs: keys in %s: %s\n", diag_quote(q, fs.state.path),
		        strerror(-err));
		goto out;
	}
	if (shared) {
		char why[256];

		err = shared_open(o.state, &fs.state, fs.keys, &sevents, &fs.shared, why,
		                  sizeof(why));
		if (err < 0) {
			fprintf(stderr, "provfs: state=%s: %s: not mounted\n",
			        diag_quote(q, o.state), why);
			goto out;
		}
	}
	err = audit_new(&fs.state, &fs.audit);
	if (err < 0) {
		fprintf(stderr, "provfs: %s\n", strerror(-err));
		goto out;
	}
	g = first_generation(fs.inventory, fs.keys, fs.retain, &err);
	if (g == NULL) {
		/* the hint only where it can be the cause, not after a YAML error */
		if (o.run_as != NULL && (err == -EACCES || err == -EPERM ||
		                         (faccessat(AT_FDCWD, fs.inventory, R_OK, AT_EACCESS) < 0 &&
		                          (errno == EACCES || errno == EPERM))))
			fprintf(stderr,
			        "provfs: run_as=%s reads the inventory (and reloads it) as %s: it "
			        "must be readable by that user, e.g. group-readable\n",
			        diag_quote(q, o.run_as), q);
		goto out;
	}
	gen_put(gen_swap(g));
	fs.generation = 1;
	entered = false;
	if (o.run_as != NULL && runas_leave() < 0) {
		fprintf(stderr, "provfs: run_as=%s: cannot become root again to mount\n",
		        diag_quote(q, o.run_as));
		goto out;
	}
	if (add_mount_options(&args, fs.inventory, o.run_as != NULL) != 0)
		goto out;
	r = run(&args, &cl, &fs, o.run_as != NULL ? &ra : NULL, o.run_as, o.allow_other);
	gen_put(gen_swap(NULL));
out:
	if (entered) /* a refusal while acting as USER: root again for what exit writes */
		(void)runas_leave();
	audit_free(fs.audit); /* writes the last fetch records */
	shared_free(fs.shared);
	keystore_free(fs.keys);
	site_secret_free(secret); /* wiped: after the store that derives from it */
	if (fs.state_lock >= 0)
		close(fs.state_lock);
	state_close(&fs.state);
	free(cl.mountpoint);
	free(o.inventory);
	free(inventory_abs);
	free(o.state);
	free(o.listing);
	free(o.audit);
	free(o.retain);
	free(o.run_as);
	free(o.key_secret);
	free(o.cache);
	fuse_opt_free_args(&args);
	return r;
}
