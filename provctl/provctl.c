/*
 * provctl.c - the administrator's command line over the same library as the mount:
 * check, ls, cat and export show exactly what phones would read (SPEC §1).
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/buf.h"
#include "backend/files.h"
#include "backend/vendor.h"
#include "backend/tree.h"
#include "state/fetch.h"
#include "state/keys.h"
#include "state/nodump.h"
#include "state/site_secret.h"
#include "state/state.h"
#include "inventory/enroll.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/version.h"
#include "provctl/progress.h"
#include "provctl/provctl.h"
#include "provctl/serverlog.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: provctl --version\n"
	    "       provctl check INVENTORY\n"
	    "       provctl ls INVENTORY\n"
	    "       provctl cat INVENTORY NAME [--plain] [-s STATE] [-k FILE]\n"
	    "       provctl export INVENTORY DIR [-s STATE] [-k FILE]\n"
	    "       provctl diff INVENTORY [OTHER] [-s STATE]\n"
	    "       provctl rekey INVENTORY MAC [--factory-reset] [-s STATE] [-k FILE]\n"
	    "       provctl status INVENTORY [MAC] [-s STATE] [-c DIR] [-k FILE] [--server-log "
	    "FILE]...\n"
	    "                      [--model M] [--group G] [--never] [--stale DAYS] [--json]\n"
	    "\n"
	    "INVENTORY is a YAML file or a directory of *.yaml files.\n"
	    "check   validate; every problem as FILE:LINE:COL: message (exit 1)\n"
	    "ls      every name the mount serves, sorted\n"
	    "cat     the exact bytes a phone reading NAME gets (--plain: unencrypted)\n"
	    "export  write every file into a new tree beside DIR and swap it in whole; DIR\n"
	    "        must be new, empty or an earlier export; -s is required for encrypted\n"
	    "        devices (their keys)\n"
	    "diff    which devices' files change between two inventories, or between what\n"
	    "        the mount of STATE serves and INVENTORY: per parameter, secrets masked;\n"
	    "        exit 0 no change, 1 changes, 2 trouble\n"
	    "rekey   give an encrypted device a new key (its plain carrier file is served again)\n"
	    "status  per device: its key state (never the key) and the last fetch of each\n"
	    "        of its files as provfs saw it (UTC time, bytes/size, complete, partial\n"
	    "        or cached, generation); with --server-log, also the last fetches of\n"
	    "        each file in these server logs, with the client's address: nginx\n"
	    "        (contrib's provfs log_format), tftpd-hpa -v via syslog or journalctl\n"
	    "        -o short-iso (requested only: tftpd logs no completion), vsftpd\n"
	    "        xferlog; FILE - is standard input; repeat it for several files.\n"
	    "        --model, --group: those devices; --never: never fetched; --stale DAYS:\n"
	    "        not fetched for DAYS days (never fetched included); --json: the same as\n"
	    "        JSON (no key, no password); ends with the mount's unknown-MAC count\n"
	    "STATE   the mount's state= directory (default " STATE_DEFAULT_DIR "), or its\n"
	    "        state=etcd://HOST:PORT[,HOST:PORT...]/PREFIX: rekey records the next\n"
	    "        epoch there (refused while etcd is away), status shows etcd's records\n"
	    "-c DIR, --cache DIR\n"
	    "        with -s etcd://...: a replica's cache=DIR, for the other commands and\n"
	    "        for status of that replica's own view and fetches\n"
	    "-k FILE, --key-secret FILE\n"
	    "        the mount's key_secret=FILE: new keys and rekeys are derived from it\n");
}

/*
 * The site secret of -k FILE (state/site_secret.h), as the mount reads its key_secret: one
 * line naming the file, never its content. Returns 0 or -errno.
 */
static int open_secret(struct keys *keys, const char *path, const char *dir)
{
	char why[256];
	struct stat sb;
	int r = site_secret_load(path, stat(dir, &sb) == 0 ? sb.st_uid : (uid_t)-1, &keys->secret,
	                         why, sizeof(why));

	if (r < 0) {
		char q[DIAG_QUOTE_SIZE];

		fprintf(stderr, "provctl: -k %s: %s\n", diag_quote(q, path), why);
	}
	return r;
}

/*
 * Opens the state directory and its keys. With `create`, a missing directory is made (cat
 * and export may create a key on first use, as the mount would); without, a missing one
 * simply means no keys.
 */
static int open_keys(struct keys *keys, const char *dir, bool create)
{
	struct stat sb;
	int r;

	if (!create && stat(dir, &sb) < 0)
		return 0;
	r = state_open(dir, &keys->st);
	if (r == 0)
		r = keystore_open_derived(&keys->st, NULL, keys->secret, &keys->ks);
	if (r < 0) {
		char q[DIAG_QUOTE_SIZE];

		fprintf(stderr, "provctl: state directory %s: %s\n", diag_quote(q, dir),
		        strerror(-r));
	}
	return r;
}

static void close_keys(struct keys *keys)
{
	keystore_free(keys->ks);
	keys->ks = NULL;
	if (keys->st.dirfd >= 0)
		state_close(&keys->st);
	site_secret_free(keys->secret);
	keys->secret = NULL;
}

struct tree *load(const struct keys *keys, const char *path)
{
	struct tree *t = NULL;
	struct progress p;
	struct diag d;
	int r;

	diag_init(&d);
	progress_note(&p, "loading", path);
	r = tree_load(path, keys->ks ? keystore_source(keys->ks) : NULL, &t, &d);
	progress_end(&p);
	if (r < 0)
		diag_print(&d, stderr);
	if (r < 0 && diag_count(&d) == 0) {
		char q[DIAG_QUOTE_SIZE];

		fprintf(stderr, "provctl: %s: cannot load\n", diag_quote(q, path));
	}
	diag_free(&d);
	return t;
}

/* Whether path (a file or a directory) lies in a git work tree: its top in top. */
static bool in_git_work_tree(const char *path, char *top, size_t len)
{
	char dir[PATH_MAX], git[PATH_MAX + 8];
	struct stat st;
	char *slash;

	if (realpath(path, dir) == NULL)
		return false;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode) && (slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	for (;;) {
		snprintf(git, sizeof(git), "%s/.git", dir[0] != '\0' ? dir : "");
		if (lstat(git, &st) == 0) {
			snprintf(top, len, "%s", dir[0] != '\0' ? dir : "/");
			return true;
		}
		slash = strrchr(dir, '/');
		if (slash == NULL || dir[0] == '\0')
			return false;
		*slash = '\0';
	}
}

/*
 * A secret written inline in an inventory that lives in a git work tree is one commit away
 * from every clone: say so (a warning, the status stays 0), at the first one's position.
 */
static void warn_inline_secrets(const struct inventory *inv, const char *path)
{
	char top[PATH_MAX], qf[DIAG_QUOTE_SIZE], qt[DIAG_QUOTE_SIZE];
	struct pos p = inv->inline_secret_pos;

	if (inv->inline_secrets == 0 || !in_git_work_tree(path, top, sizeof(top)))
		return;
	fprintf(stderr,
	        "%s:%u:%u: warning: %u secret%s written inline in an inventory inside the git work "
	        "tree %s: keep %s in a secrets file outside git ('secrets:' and {secret: NAME})\n",
	        diag_quote(qf, inventory_file(inv, p)), (unsigned)p.line, (unsigned)p.col,
	        (unsigned)inv->inline_secrets, inv->inline_secrets == 1 ? "" : "s",
	        diag_quote(qt, top), inv->inline_secrets == 1 ? "it" : "them");
}

static int cmd_check(const struct keys *keys, const char *path)
{
	struct tree *t = load(keys, path);

	if (t == NULL)
		return EXIT_PROBLEM;
	warn_inline_secrets(t->inv, path);
	printf("%s: ok: %u devices, %u models, %u groups, %u firmware files\n", path,
	       (unsigned)t->inv->ndevices, (unsigned)t->inv->nmodels, (unsigned)t->inv->ngroups,
	       (unsigned)t->nfw);
	tree_free(t);
	return 0;
}

static int collect_name(void *ctx, const struct file_ref *ref, const char *name)
{
	struct name_list *l = ctx;
	int64_t until;

	if (file_enrol_closed(l->t, ref, (int64_t)time(NULL), &until))
		return 0; /* the mount does not serve it either */
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		char **nn = realloc(l->names, ncap * sizeof(*nn));

		if (nn == NULL) {
			l->oom = 1;
			return -ENOMEM;
		}
		l->names = nn;
		l->cap = ncap;
	}
	l->names[l->n] = strdup(name);
	if (l->names[l->n] == NULL) {
		l->oom = 1;
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int list_names(const struct tree *t, struct name_list *l)
{
	memset(l, 0, sizeof(*l));
	l->t = t;
	file_foreach(t, true, collect_name, l);
	if (l->oom)
		return -ENOMEM;
	if (l->n > 0)
		qsort(l->names, l->n, sizeof(*l->names), str_cmp);
	return 0;
}

void free_names(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

static int cmd_ls(const struct keys *keys, const char *path)
{
	struct tree *t = load(keys, path);
	struct name_list l;

	if (t == NULL)
		return EXIT_PROBLEM;
	if (list_names(t, &l) < 0) {
		fprintf(stderr, "provctl: out of memory\n");
		tree_free(t);
		return EXIT_PROBLEM;
	}
	for (size_t i = 0; i < l.n; i++)
		printf("%s\n", l.names[i]);
	free_names(&l);
	tree_free(t);
	return 0;
}

/* What a phone reading name gets, to fd. */
static int emit_fd(const struct tree *t, const char *name, bool plain, int fd)
{
	struct file_ref ref;
	struct buf out;
	int r = file_resolve(t, name, &ref);

	if (r < 0)
		return r;
	if (file_is_passthrough(&ref)) {
		int src = file_open_source(&ref);

		if (src < 0)
			return src;
		r = copy_fd(src, fd);
		/* truncated or grown while copied: not the file a phone is told about */
		if (r == 0 && lseek(src, 0, SEEK_CUR) != (off_t)file_source_size(&ref))
			r = -ESTALE;
		close(src);
		return r;
	}
	buf_init(&out);
	r = file_render(t, &ref, plain, &out);
	if (r == 0)
		r = write_full(fd, out.data, out.len);
	if (out.data != NULL)
		explicit_bzero(out.data, out.cap);
	buf_free(&out);
	return r;
}

int emit(const struct tree *t, const char *name, bool plain, int fd, int dirfd)
{
	int r;

	if (dirfd < 0)
		return emit_fd(t, name, plain, fd);
	/* export's directory is new: the file is created, with nothing to replace */
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	r = emit_fd(t, name, plain, fd);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, name, 0);
	return r;
}

/*
 * Whether name is a file whose enrolment window closed: the mount says ENOENT; cat says why
 * (the device, when, and where enroll_until is set).
 */
static bool window_closed(const struct tree *t, const char *name)
{
	char mac[MAC_STRLEN + 1], when[ENROLL_TIME_SIZE];
	char qn[DIAG_QUOTE_SIZE], qf[DIAG_QUOTE_SIZE];
	struct file_ref ref;
	const struct value *v;
	int64_t until;

	if (file_resolve(t, name, &ref) < 0 ||
	    !file_enrol_closed(t, &ref, (int64_t)time(NULL), &until))
		return false;
	v = enroll_device_until(t->inv, ref.dev, &until);
	mac_format(ref.dev->mac, false, mac);
	fprintf(stderr,
	        "provctl: %s: not served: the enrolment window of %s closed at %s (enroll_until, "
	        "%s:%u:%u)\n",
	        diag_quote(qn, name), mac, enroll_format(until, when),
	        diag_quote(qf, inventory_file(t->inv, v->pos)), (unsigned)v->pos.line,
	        (unsigned)v->pos.col);
	return true;
}

static int cmd_cat(const struct keys *keys, const char *path, const char *name, bool plain)
{
	struct tree *t = load(keys, path);
	char q[DIAG_QUOTE_SIZE];
	int r;

	if (t == NULL)
		return EXIT_PROBLEM;
	diag_quote(q, name);
	if (window_closed(t, name)) {
		tree_free(t);
		return EXIT_PROBLEM;
	}
	r = emit(t, name, plain, STDOUT_FILENO, -1);
	if (r == -ENOENT)
		fprintf(stderr, "provctl: %s: no such file in this inventory\n", q);
	else if (r == -ESTALE)
		fprintf(stderr, "provctl: %s: the firmware file changed while reading\n", q);
	else if (r == -EIO || r == -ENOKEY) /* the latter: no random key among derived ones */
		fprintf(
		    stderr,
		    "provctl: %s: cannot render: Input/output error (see provctl status: a key "
		    "file that cannot be read, or a key derived from a site secret: -k FILE?)\n",
		    q);
	else if (r < 0)
		fprintf(stderr, "provctl: %s: %s\n", q, strerror(-r));
	tree_free(t);
	return r < 0 ? EXIT_PROBLEM : 0;
}

const struct device *device_arg(const struct tree *t, const char *arg)
{
	uint64_t mac;
	const struct device *dev;
	char q[DIAG_QUOTE_SIZE];

	diag_quote(q, arg);
	if (mac_parse(arg, strlen(arg), &mac) < 0) {
		fprintf(stderr, "provctl: '%s' is not a MAC address\n", q);
		return NULL;
	}
	dev = inventory_find(t->inv, mac);
	if (dev == NULL)
		fprintf(stderr, "provctl: %s is not in this inventory\n", q);
	return dev;
}

/* Tells a running provfs of this state directory to reload (it re-reads the keys). */
static void signal_daemon(const struct keys *keys)
{
	struct buf text;
	char comm[64] = "", path[64];
	long pid = 0;
	FILE *f;

	buf_init(&text);
	if (state_read(&keys->st, PID_FILE, &text) == 0) {
		buf_append(&text, "", 1);
		pid = buf_status(&text) == 0 ? strtol((const char *)text.data, NULL, 10) : 0;
	}
	buf_free(&text);
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = pid > 0 ? fopen(path, "r") : NULL;
	if (f != NULL) {
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
	}
	if (strcmp(comm, "provfs\n") == 0 && kill((pid_t)pid, SIGHUP) == 0)
		printf("told provfs (pid %ld) to reload\n", pid);
	else
		printf("no running provfs uses %s: a mount picks the key up when it starts\n",
		       keys->st.path);
}

static int cmd_rekey(const struct keys *keys, const char *path, const char *mac_arg,
                     bool factory_reset)
{
	struct tree *t = load(keys, path);
	const struct device *dev = t ? device_arg(t, mac_arg) : NULL;
	char mac[MAC_STRLEN + 1];
	int r;

	if (dev == NULL) {
		tree_free(t);
		return EXIT_PROBLEM;
	}
	mac_format(dev->mac, true, mac);
	if (!vendor_encrypted(dev->model)) {
		fprintf(stderr, "provctl: %s (%s) has no encrypted provisioning\n", mac,
		        dev->model->name);
		tree_free(t);
		return EXIT_PROBLEM;
	}
	if (vendor_of(dev->model)->rekey_needs_factory_reset && !factory_reset) {
		fprintf(
		    stderr,
		    "provctl: %s (%s): a %s phone that holds its key asks only for its encrypted "
		    "file, which a new key would make unreadable to it; rekey with "
		    "--factory-reset and reset the phone to factory settings\n",
		    mac, dev->model->name, vendor_of(dev->model)->label);
		tree_free(t);
		return EXIT_PROBLEM;
	}
	r = keystore_rekey(keys->ks, dev->mac, vendor_of(dev->model)->schema.name,
	                   vendor_key_bits(dev->model));
	if (r == -ENOKEY) {
		fprintf(stderr,
		        "provctl: %s: the keys of %s are derived from a site secret: give -k FILE, "
		        "the mount's key_secret, to rekey it\n",
		        mac, keys->st.path);
	} else if (r == -EOVERFLOW) {
		/* a key once derived is never derived again, under any secret: no epoch after it */
		fprintf(stderr,
		        "provctl: %s: %s/key-%s is at the last epoch (4294967295): no next key can "
		        "be derived from it; with a site secret never used before, remove the file "
		        "and the device starts again at epoch 1\n",
		        mac, keys->st.path, mac);
	} else if (r < 0 && r != -ENOMEM && r != -ENOSPC && r != -EROFS) {
		fprintf(
		    stderr,
		    "provctl: %s: %s/key-%s cannot be read (%s): not replaced; restore it from a "
		    "backup, or remove it to give the device a new key\n",
		    mac, keys->st.path, mac, r == -EBADMSG ? "damaged content" : strerror(-r));
	} else if (r < 0) {
		fprintf(stderr, "provctl: %s: cannot store the new key: %s\n", mac, strerror(-r));
	} else {
		char carrier[FILE_NAME_MAX + 1];

		struct dev_key k;
		char derived[48] = "";

		if (file_key_carrier_name(dev, carrier, sizeof(carrier)) < 0)
			snprintf(carrier, sizeof(carrier), "its plain file");
		if (keystore_lookup(keys->ks, dev->mac, &k) == 0 && k.epoch > 0)
			snprintf(derived, sizeof(derived),
			         " derived from the site secret, epoch %lu",
			         (unsigned long)k.epoch);
		explicit_bzero(&k, sizeof(k));
		printf("%s: new %u-bit key%s; %s is served again until the phone has read "
		       "it and asked for one of its encrypted files\n",
		       mac, vendor_key_bits(dev->model), derived, carrier);
		signal_daemon(keys);
	}
	tree_free(t);
	return r < 0 ? EXIT_PROBLEM : 0;
}

void utc(int64_t when, char out[32])
{
	time_t t = (time_t)when;
	struct tm tm;

	snprintf(out, 32, "?");
	if (gmtime_r(&t, &tm) != NULL)
		strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Splits the arguments after the command into positionals and the shared flags. */
struct args {
	const char *pos[3];
	int npos;
	const char *logs[MAX_SERVER_LOGS]; /* --server-log */
	int nlogs;
	bool plain;
	bool factory_reset; /* rekey: the phone will be reset (vendor.h) */
	const char *state;
	const char *cache;         /* -c DIR: with -s etcd://, a replica's own directory */
	const char *key_secret;    /* -k FILE */
	struct status_opts status; /* --model, --group, --never, --stale, --json */
	const char *status_only;   /* the first of them (or --server-log) given, for a message */
};

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	a->status.stale_days = -1;
	for (int i = 2; i < argc; i++) {
		char *end = NULL, q[DIAG_QUOTE_SIZE];

		if (strcmp(argv[i], "--plain") == 0) {
			a->plain = true;
		} else if (strcmp(argv[i], "--factory-reset") == 0) {
			a->factory_reset = true;
		} else if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "--never") == 0) {
			*(argv[i][2] == 'j' ? &a->status.json : &a->status.never) = true;
			a->status_only = a->status_only ? a->status_only : argv[i];
		} else if ((strcmp(argv[i], "--model") == 0 || strcmp(argv[i], "--group") == 0) &&
		           i + 1 < argc) {
			const char **which =
			    argv[i][2] == 'm' ? &a->status.model : &a->status.group;

			a->status_only = a->status_only ? a->status_only : argv[i];
			*which = argv[++i];
		} else if (strcmp(argv[i], "--stale") == 0 && i + 1 < argc) {
			a->status.stale_days = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || a->status.stale_days < 0 ||
			    a->status.stale_days > 100000) {
				fprintf(stderr, "provctl: --stale takes a number of days\n");
				return -1;
			}
			a->status_only = a->status_only ? a->status_only : "--stale";
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			a->state = argv[++i];
		} else if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--cache") == 0) &&
		           i + 1 < argc) {
			a->cache = argv[++i];
		} else if ((strcmp(argv[i], "-k") == 0 || strcmp(argv[i], "--key-secret") == 0) &&
		           i + 1 < argc) {
			a->key_secret = argv[++i];
		} else if (strcmp(argv[i], "--server-log") == 0 && i + 1 < argc) {
			if (a->nlogs == MAX_SERVER_LOGS) {
				fprintf(stderr, "provctl: at most %d --server-log files\n",
				        MAX_SERVER_LOGS);
				return -1;
			}
			a->status_only = a->status_only ? a->status_only : argv[i];
			a->logs[a->nlogs++] = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "provctl: unknown option '%s' (see provctl --help)\n",
			        diag_quote(q, argv[i]));
			return -1;
		} else if (a->npos < 3) {
			a->pos[a->npos++] = argv[i];
		} else {
			fprintf(stderr, "provctl: too many arguments (see provctl --help)\n");
			return -1;
		}
	}
	return 0;
}

/*
 * -s etcd://...: rekey and status read and write etcd itself; the other commands use a
 * replica's own directory, -c DIR (the mount's cache=). Returns -1 when a is not for etcd.
 */
static int run_shared(const char *cmd, struct args *a)
{
	if (a->state == NULL || strncmp(a->state, "etcd://", 7) != 0) {
		if (a->cache == NULL)
			return -1;
		fprintf(stderr, "provctl: -c DIR goes with -s etcd://... (see provctl --help)\n");
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "rekey") == 0 && a->npos == 2 && !a->plain)
		return cmd_shared_rekey(a->state, a->pos[0], a->pos[1], a->factory_reset);
	if (strcmp(cmd, "status") == 0 && (a->npos == 1 || a->npos == 2) && !a->plain &&
	    a->cache == NULL)
		return cmd_shared_status(a->state, a->pos[0], a->npos == 2 ? a->pos[1] : NULL);
	if (strcmp(cmd, "rekey") != 0 && strcmp(cmd, "status") != 0 && a->cache != NULL) {
		a->state = a->cache; /* the replica's own directory */
		return -1;
	}
	if (strcmp(cmd, "status") == 0 && a->cache != NULL) {
		a->state = a->cache; /* one replica's view, with its fetch records */
		return -1;
	}
	fprintf(stderr,
	        "provctl: -s etcd://... serves rekey and status; give %s a replica's "
	        "cache directory with -c DIR\n",
	        cmd);
	return EXIT_USAGE;
}

static int run_command(const char *cmd, const struct args *a)
{
	const char *dir = a->state ? a->state : STATE_DEFAULT_DIR;
	bool writes = strcmp(cmd, "cat") == 0 || strcmp(cmd, "rekey") == 0 ||
	              (strcmp(cmd, "export") == 0 && a->state != NULL);
	/* export makes keys only in a state directory named with -s (export.c) */
	bool keyless = strcmp(cmd, "check") == 0 || (strcmp(cmd, "export") == 0 && !a->state);
	struct keys keys = { { -1, NULL }, NULL, NULL };
	int r = EXIT_USAGE;

	if (a->key_secret != NULL && open_secret(&keys, a->key_secret, dir) < 0)
		return EXIT_PROBLEM;
	if (!keyless && open_keys(&keys, dir, writes) < 0) {
		close_keys(&keys);
		return EXIT_PROBLEM;
	}
	if (strcmp(cmd, "check") == 0 && a->npos == 1 && !a->plain)
		r = cmd_check(&keys, a->pos[0]);
	else if (strcmp(cmd, "ls") == 0 && a->npos == 1 && !a->plain)
		r = cmd_ls(&keys, a->pos[0]);
	else if (strcmp(cmd, "cat") == 0 && a->npos == 2)
		r = cmd_cat(&keys, a->pos[0], a->pos[1], a->plain);
	else if (strcmp(cmd, "export") == 0 && a->npos == 2 && !a->plain)
		r = cmd_export(&keys, a->pos[0], a->pos[1]);
	else if (strcmp(cmd, "diff") == 0 && (a->npos == 1 || a->npos == 2) && !a->plain)
		r = cmd_diff(&keys, dir, a->pos[0], a->npos == 2 ? a->pos[1] : NULL);
	else if (strcmp(cmd, "rekey") == 0 && a->npos == 2 && !a->plain)
		r = cmd_rekey(&keys, a->pos[0], a->pos[1], a->factory_reset);
	else if (strcmp(cmd, "status") == 0 && (a->npos == 1 || a->npos == 2) && !a->plain) {
		struct status_opts o = a->status;

		o.mac = a->npos == 2 ? a->pos[1] : NULL;
		o.logs = a->logs;
		o.nlogs = a->nlogs;
		r = cmd_status(&keys, a->pos[0], &o);
	} else
		usage(stderr);
	close_keys(&keys);
	return r;
}

/* Every command run_command knows. */
static const char *const commands[] = { "check", "ls", "cat", "export", "diff", "rekey", "status" };

/*
 * A mistyped command or option is named in one line, as sshfs and git do, rather than
 * buried at the end of the whole usage. Returns true if cmd is a command.
 */
static bool known_command(const char *cmd)
{
	char q[DIAG_QUOTE_SIZE];

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i]) == 0)
			return true;
	if (cmd[0] == '-')
		fprintf(stderr, "provctl: unknown option '%s' (see provctl --help)\n",
		        diag_quote(q, cmd));
	else
		fprintf(stderr, "provctl: unknown command '%s' (see provctl --help)\n",
		        diag_quote(q, cmd));
	return false;
}

int main(int argc, char **argv)
{
	struct args a;
	const char *cmd = argc > 1 ? argv[1] : "";
	int err = nodump_process(); /* first, before any secret is read: no core, no ptrace */

	if (err < 0) {
		fprintf(stderr, "provctl: cannot turn core dumps off: %s\n", strerror(-err));
		return EXIT_PROBLEM;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("provctl %s\n", PROVFS_VERSION);
		return 0;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!known_command(cmd))
		return EXIT_USAGE;
	if (parse_args(argc, argv, &a) < 0) /* it named the option */
		return EXIT_USAGE;
	if (argc < 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* --server-log and the filters are status's alone: named in one line, as a typo is */
	if (a.status_only != NULL && strcmp(cmd, "status") != 0) {
		fprintf(stderr, "provctl: %s is status's option (see provctl --help)\n",
		        a.status_only);
		return EXIT_USAGE;
	}
	/* the commands that make or show keys; check, ls and diff render no key */
	if (a.key_secret != NULL && strcmp(cmd, "cat") != 0 && strcmp(cmd, "export") != 0 &&
	    strcmp(cmd, "rekey") != 0 && strcmp(cmd, "status") != 0) {
		fprintf(stderr, "provctl: -k is an option of cat, export, rekey and status (see "
		                "provctl --help)\n");
		return EXIT_USAGE;
	}
	if (a.factory_reset && strcmp(cmd, "rekey") != 0) {
		fprintf(stderr,
		        "provctl: --factory-reset is rekey's option (see provctl --help)\n");
		return EXIT_USAGE;
	}
	err = run_shared(cmd, &a);
	if (err >= 0)
		return err;
	return run_command(cmd, &a);
}
