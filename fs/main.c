/*
 * main.c - provfs INVENTORY MOUNTPOINT [-f] [-d] [-s] [-o opt,...]
 *
 * Parses our options (state=, listing=) out of the FUSE command line, loads and validates
 * the inventory before anything is mounted (a bad inventory never mounts), forces a
 * read-only mount, and runs the multi-threaded session loop. Works the same when started
 * by mount(8) as `mount -t fuse.provfs INVENTORY MNT -o ...` or from /etc/fstab: mount.fuse3
 * runs `provfs INVENTORY MNT -o ...`.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/tree.h"

#include "fs/audit.h"
#include "fs/fuse_api.h"
#include "fs/gen.h"
#include "fs/log.h"
#include "fs/nodump.h"
#include "fs/ops.h"
#include "fs/reload.h"
#include "fs/keys.h"
#include "fs/state.h"
#include "inventory/inventory.h"

struct options {
	char *inventory;
	char *state;
	char *listing;
	int nowatch;
	int help;
	int version;
};

enum {
	KEY_HELP,
	KEY_VERSION,
};

static const struct fuse_opt option_spec[] = {
	{ "state=%s", offsetof(struct options, state), 0 },
	{ "listing=%s", offsetof(struct options, listing), 0 },
	{ "nowatch", offsetof(struct options, nowatch), 1 },
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
	       "    -o listing=generic|all readdir shows files without a MAC only (default),\n"
	       "                           or every file\n"
	       "    -o nowatch             reload on SIGHUP only, not when the inventory's\n"
	       "                           files change (inotify)\n"
	       "The mount is always read-only. Servers that drop privileges (tftpd-hpa, nginx,\n"
	       "vsftpd) need -o allow_other.\n"
	       "\n",
	       prog, STATE_DEFAULT_DIR);
	fuse_cmdline_help();
	fuse_lowlevel_help();
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
	default:
		return 1;
	}
}

/* Loads and validates the first generation; prints every problem. */
static struct gen *first_generation(const char *path, struct keystore *keys)
{
	struct tree *t;
	struct diag d;
	struct gen *g;

	diag_init(&d);
	if (tree_load(path, keystore_source(keys), &t, &d) < 0) {
		diag_print(&d, stderr);
		fprintf(stderr, "provfs: %s: not mounted: the inventory has errors\n", path);
		diag_free(&d);
		return NULL;
	}
	diag_free(&d);
	g = gen_new(t, 1);
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

static int run(struct fuse_args *args, struct fuse_cmdline_opts *cl, struct provfs *fs)
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
	log_init(cl->foreground);
	fuse_daemonize(cl->foreground);
	/* threads only after daemonizing: fork keeps just the calling thread */
	fs->se = se;
	write_pid(fs);
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
	log_msg(LOG_INFO, "mounted %s on %s (generation %llu)", fs->inventory, cl->mountpoint,
	        (unsigned long long)fs->generation);
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
	reload_stop(fs);
	unlinkat(fs->state.dirfd, PID_FILE, 0);
out_unmount:
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
	char *inventory_abs = NULL;
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
	if (fuse_opt_parse(&args, &o, option_spec, option_proc) != 0)
		return 1;
	if (o.help) {
		usage(argv[0]);
		return 0;
	}
	if (o.version) {
		printf("provfs (libfuse %s)\n", fuse_pkgversion());
		return 0;
	}
	if (fuse_parse_cmdline(&args, &cl) != 0)
		return 1;
	r = 1;
	if (o.inventory == NULL || cl.mountpoint == NULL) {
		fprintf(stderr, "usage: %s INVENTORY MOUNTPOINT [-f] [-d] [-o opt,...]\n", argv[0]);
		goto out;
	}
	if (o.listing != NULL && strcmp(o.listing, "generic") != 0 &&
	    strcmp(o.listing, "all") != 0) {
		fprintf(stderr, "provfs: listing must be 'generic' or 'all', not '%s'\n",
		        o.listing);
		goto out;
	}
	/* the daemon changes to / when it detaches: keep an absolute path for reloads */
	inventory_abs = absolute_path(o.inventory);
	if (inventory_abs == NULL || access(inventory_abs, R_OK) < 0) {
		fprintf(stderr, "provfs: %s: %s\n", o.inventory, strerror(errno));
		goto out;
	}
	fs.inventory = inventory_abs;
	fs.listing_all = o.listing != NULL && strcmp(o.listing, "all") == 0;
	fs.watch = !o.nowatch;
	err = state_open(o.state ? o.state : STATE_DEFAULT_DIR, &fs.state);
	if (err < 0) {
		fprintf(stderr, "provfs: state directory %s: %s\n",
		        o.state ? o.state : STATE_DEFAULT_DIR, strerror(-err));
		goto out;
	}
	/* left by a daemon or provctl killed mid-write; a minute is far beyond any live write */
	(void)state_sweep_temps(&fs.state, 60);
	err = keystore_open(&fs.state, &fs.keys);
	if (err < 0) {
		fprintf(stderr, "provfs: keys in %s: %s\n", fs.state.path, strerror(-err));
		goto out;
	}
	err = audit_new(&fs.state, &fs.audit);
	if (err < 0) {
		fprintf(stderr, "provfs: %s\n", strerror(-err));
		goto out;
	}
	g = first_generation(fs.inventory, fs.keys);
	if (g == NULL)
		goto out;
	gen_put(gen_swap(g));
	fs.generation = 1;
	/* read-only always; the kernel checks the 0444/0555 modes; show as fuse.provfs */
	if (fuse_opt_add_arg(&args, "-oro,default_permissions,fsname=provfs,subtype=provfs") != 0)
		goto out;
	r = run(&args, &cl, &fs);
	gen_put(gen_swap(NULL));
out:
	audit_free(fs.audit); /* writes the last fetch records */
	keystore_free(fs.keys);
	state_close(&fs.state);
	free(cl.mountpoint);
	free(o.inventory);
	free(inventory_abs);
	free(o.state);
	free(o.listing);
	fuse_opt_free_args(&args);
	return r;
}
