/*
 * provctl.c - the administrator's command line over the same library as the mount:
 * check, ls, cat and export show exactly what phones would read (SPEC §1).
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
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
#include "state/state.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "provctl/progress.h"
#include "provctl/provctl.h"
#include "provctl/serverlog.h"

#define MAX_SERVER_LOGS 32

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: provctl check INVENTORY\n"
	        "       provctl ls INVENTORY\n"
	        "       provctl cat INVENTORY NAME [--plain] [-s STATE]\n"
	        "       provctl export INVENTORY DIR [-s STATE]\n"
	        "       provctl diff INVENTORY [OTHER] [-s STATE]\n"
	        "       provctl rekey INVENTORY MAC [-s STATE]\n"
	        "       provctl status INVENTORY [MAC] [-s STATE] [--server-log FILE]...\n"
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
	        "rekey   give an encrypted Panasonic device a new key (plain file served again)\n"
	        "status  per device: its key state (never the key) and the last fetch of each\n"
	        "        of its files as provfs saw it (UTC time, bytes/size, complete, partial\n"
	        "        or cached, generation); with --server-log, also the last fetches of\n"
	        "        each file in these server logs, with the client's address: nginx\n"
	        "        (contrib's provfs log_format), tftpd-hpa -v via syslog or journalctl\n"
	        "        -o short-iso (requested only: tftpd logs no completion), vsftpd\n"
	        "        xferlog; FILE - is standard input; repeat it for several files\n"
	        "STATE   the mount's state= directory (default " STATE_DEFAULT_DIR ")\n");
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
		r = keystore_open(&keys->st, NULL, &keys->ks);
	if (r < 0)
		fprintf(stderr, "provctl: state directory %s: %s\n", dir, strerror(-r));
	return r;
}

static void close_keys(struct keys *keys)
{
	keystore_free(keys->ks);
	keys->ks = NULL;
	if (keys->st.dirfd >= 0)
		state_close(&keys->st);
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
	if (r < 0) {
		diag_print(&d, stderr);
		if (diag_count(&d) == 0)
			fprintf(stderr, "provctl: %s: cannot load\n", path);
	}
	diag_free(&d);
	return t;
}

static int cmd_check(const struct keys *keys, const char *path)
{
	struct tree *t = load(keys, path);

	if (t == NULL)
		return EXIT_PROBLEM;
	printf("%s: ok: %u devices, %u models, %u groups, %u firmware files\n", path,
	       (unsigned)t->inv->ndevices, (unsigned)t->inv->nmodels, (unsigned)t->inv->ngroups,
	       (unsigned)t->nfw);
	tree_free(t);
	return 0;
}

static int collect_name(void *ctx, const struct file_ref *ref, const char *name)
{
	struct name_list *l = ctx;

	(void)ref;
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

int emit(const struct tree *t, const char *name, bool plain, int fd, int dirfd)
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
		r = dirfd >= 0 ? replace_file_copy(dirfd, name, src, 0444, false)
		               : copy_fd(src, fd);
		/* truncated or grown while copied: not the file a phone is told about */
		if (r == 0 && lseek(src, 0, SEEK_CUR) != (off_t)file_source_size(&ref)) {
			r = -ESTALE;
			if (dirfd >= 0)
				unlinkat(dirfd, name, 0);
		}
		close(src);
		return r;
	}
	buf_init(&out);
	r = file_render(t, &ref, plain, &out);
	if (r == 0)
		r = dirfd >= 0 ? replace_file(dirfd, name, out.data, out.len, 0444, false)
		               : write_full(fd, out.data, out.len);
	if (out.data != NULL)
		explicit_bzero(out.data, out.cap);
	buf_free(&out);
	return r;
}

static int cmd_cat(const struct keys *keys, const char *path, const char *name, bool plain)
{
	struct tree *t = load(keys, path);
	int r;

	if (t == NULL)
		return EXIT_PROBLEM;
	r = emit(t, name, plain, STDOUT_FILENO, -1);
	if (r == -ENOENT)
		fprintf(stderr, "provctl: %s: no such file in this inventory\n", name);
	else if (r == -ESTALE)
		fprintf(stderr, "provctl: %s: the firmware file changed while reading\n", name);
	else if (r == -EIO)
		fprintf(stderr,
		        "provctl: %s: cannot render: Input/output error (see provctl status: a key "
		        "file that cannot be read?)\n",
		        name);
	else if (r < 0)
		fprintf(stderr, "provctl: %s: %s\n", name, strerror(-r));
	tree_free(t);
	return r < 0 ? EXIT_PROBLEM : 0;
}

const struct device *device_arg(const struct tree *t, const char *arg)
{
	uint64_t mac;
	const struct device *dev;

	if (mac_parse(arg, strlen(arg), &mac) < 0) {
		fprintf(stderr, "provctl: '%s' is not a MAC address\n", arg);
		return NULL;
	}
	dev = inventory_find(t->inv, mac);
	if (dev == NULL)
		fprintf(stderr, "provctl: %s is not in this inventory\n", arg);
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

static int cmd_rekey(const struct keys *keys, const char *path, const char *mac_arg)
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
	r = keystore_rekey(keys->ks, dev->mac, vendor_key_bits(dev->model));
	if (r < 0 && r != -ENOMEM && r != -ENOSPC && r != -EROFS) {
		fprintf(
		    stderr,
		    "provctl: %s: %s/key-%s cannot be read (%s): not replaced; restore it from a "
		    "backup, or remove it to give the device a new key\n",
		    mac, keys->st.path, mac, r == -EBADMSG ? "damaged content" : strerror(-r));
	} else if (r < 0) {
		fprintf(stderr, "provctl: %s: cannot store the new key: %s\n", mac, strerror(-r));
	} else {
		char carrier[FILE_NAME_MAX + 1];

		if (file_key_carrier_name(dev, carrier, sizeof(carrier)) < 0)
			snprintf(carrier, sizeof(carrier), "its plain file");
		printf("%s: new %u-bit key; %s is served again until the phone has read "
		       "it and asked for one of its encrypted files\n",
		       mac, vendor_key_bits(dev->model), carrier);
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

static void status_line(const struct keys *keys, const struct device *dev)
{
	char mac[MAC_STRLEN + 1], when[32];
	struct dev_key k;
	int r = -ENOENT;

	mac_format(dev->mac, true, mac);
	if (dev->model == NULL || !vendor_encrypted(dev->model)) {
		printf("%s  %-12s  plain\n", mac, dev->model ? dev->model->name : "?");
		return;
	}
	memset(&k, 0, sizeof(k));
	if (keys->ks != NULL)
		r = keystore_lookup(keys->ks, dev->mac, &k);
	if (r < 0 && r != -ENOENT) {
		printf("%s  %-12s  key file unreadable (%s): its encrypted files fail until it is "
		       "restored or removed\n",
		       mac, dev->model->name, r == -EBADMSG ? "damaged content" : strerror(-r));
		explicit_bzero(&k, sizeof(k));
		return;
	}
	printf("%s  %-12s  key %s", mac, dev->model->name, key_state_name(k.state));
	if (k.state != KEY_NONE)
		printf(" (%u-bit%s)", k.bits,
		       k.bits != vendor_key_bits(dev->model) ? "; key_length changed: run rekey"
		                                             : "");
	utc(k.since, when);
	if (k.state == KEY_SERVED && k.since > 0)
		printf(": plain file read to its end %s, waiting for the phone to ask for its .enc "
		       "files",
		       when);
	if (k.state == KEY_DELIVERED && k.proof[0] != '\0')
		printf(" %s: proved by the phone's request for %s after it read the plain file",
		       when, k.proof);
	printf("\n");
	explicit_bzero(&k, sizeof(k));
}

/*
 * What status knows of fetches: provfs's own records (the latest per device and file), for
 * the devices asked about only, so memory follows the inventory, not the length of the logs.
 */
#define SRV_KEEP    5  /* fetches shown per device and file from the servers' logs */
#define RECENT_TFTP 16 /* tftpd requests remembered to join a NAK that follows */

/* One fetch as a server logged it. */
struct srv_seen {
	int64_t time;
	char addr[SRV_ADDR_MAX];
	bool has_bytes, has_size;
	uint64_t bytes, size;
	enum srv_result result;
	enum srv_kind server;
	unsigned status;
	long pid;
};

/* The latest SRV_KEEP fetches of one file, oldest first. */
struct srv_ring {
	struct srv_seen f[SRV_KEEP];
	unsigned n;
};

struct fetches {
	const struct tree *t;
	const struct device *only; /* status MAC: that device alone */
	struct fetch_table last;   /* provfs records, the latest per (MAC, name) */
	size_t *order;             /* indices of last, sorted by (MAC, name) */
	size_t damaged;            /* lines of fetch.log(.1) skipped */
	struct fetch_table srv;    /* (MAC, canonical name) of the servers' fetches ... */
	struct srv_ring *rings;    /* ... and theirs, index by index */
	size_t nrings;
	size_t *srv_order; /* indices of srv, sorted by (MAC, name) */
	struct {
		long pid;
		size_t at;
	} recent[RECENT_TFTP]; /* the last tftpd requests: a NAK names only the process */
	unsigned nrecent;
	int err; /* the first error reading them, or 0 */
};

static bool wanted(const struct fetches *f, uint64_t mac)
{
	return f->only != NULL ? f->only->mac == mac : inventory_find(f->t->inv, mac) != NULL;
}

/* A record read: the latest of its file so far (on a tie, the one read last). */
static void take_record(void *ctx, const struct fetch_rec *r)
{
	struct fetches *f = ctx;
	long at;

	if (!wanted(f, r->mac))
		return;
	at = fetch_table_at(&f->last, r->mac, r->name);
	if (at < 0)
		f->err = f->err ? f->err : (int)at;
	else if (r->time >= f->last.v[at].time)
		f->last.v[at] = *r;
}

static int by_mac_name(const void *a, const void *b, void *ctx)
{
	const struct fetch_rec *v = ctx, *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];

	if (x->mac != y->mac)
		return x->mac < y->mac ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The indices of t's entries sorted by (MAC, name); NULL when empty or out of memory. */
static size_t *sorted(const struct fetch_table *t, int *err)
{
	size_t *order;

	if (t->n == 0)
		return NULL;
	order = malloc(t->n * sizeof(*order));
	if (order == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++)
		order[i] = i;
	qsort_r(order, t->n, sizeof(*order), by_mac_name, t->v);
	return order;
}

/* The first position in order (n entries of v) whose MAC is mac or more. */
static size_t first_of(const struct fetch_rec *v, const size_t *order, size_t n, uint64_t mac)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[order[mid]].mac < mac)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Reads provfs's records: each wanted device's fetch-<MAC> of an older version (its oldest
 * records), then fetch.log.1, then fetch.log.
 */
static void read_fetches(const struct keys *keys, struct fetches *f)
{
	static const char *const logs[] = { FETCH_LOG_OLD, FETCH_LOG };

	if (keys->st.dirfd < 0)
		return;
	for (uint32_t i = 0; i < f->t->inv->ndevices; i++) {
		const struct device *d = f->only != NULL ? f->only : &f->t->inv->devices[i];
		struct fetch_set set;

		if (fetch_legacy_load(&keys->st, d->mac, &set) == 0)
			for (size_t j = 0; j < set.n; j++)
				take_record(f, &set.rec[j]);
		if (f->only != NULL)
			break;
	}
	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		int r = fetch_read(&keys->st, logs[i], take_record, f, &f->damaged);

		if (r < 0 && r != -ENOENT) {
			fprintf(stderr, "provctl: %s/%s: %s\n", keys->st.path, logs[i],
			        r == -ELOOP    ? "a symlink: not read"
			        : r == -EINVAL ? "not a regular file: not read"
			                       : strerror(-r));
		}
	}
	f->order = sorted(&f->last, &f->err);
}

/* ---- the servers' logs ------------------------------------------------------------------ */

/* What one --server-log file gave, reported once at the end. */
struct log_counts {
	const char *path;
	size_t fetches; /* of device files of the devices shown */
	size_t foreign; /* of names no device of this inventory has */
	size_t bad;     /* lines not understood */
	int err;        /* it could not be read */
};

struct log_ctx {
	struct fetches *f;
	struct log_counts *c;
	int64_t now;
};

/* Keeps s among the latest SRV_KEEP of its ring (sorted by time; a tie goes after). */
static void ring_put(struct srv_ring *r, const struct srv_seen *s)
{
	unsigned i;

	if (r->n == SRV_KEEP) {
		if (s->time < r->f[0].time)
			return; /* older than all we keep */
		memmove(&r->f[0], &r->f[1], (SRV_KEEP - 1) * sizeof(r->f[0]));
		r->n--;
	}
	for (i = r->n; i > 0 && r->f[i - 1].time > s->time; i--)
		r->f[i] = r->f[i - 1];
	r->f[i] = *s;
	r->n++;
}

/* The ring of (mac, name), made if new: its index, or -ENOMEM. */
static long ring_at(struct fetches *f, uint64_t mac, const char *name)
{
	long at = fetch_table_at(&f->srv, mac, name);

	if (at >= 0 && f->srv.cap > f->nrings) {
		struct srv_ring *r = realloc(f->rings, f->srv.cap * sizeof(*r));

		if (r == NULL)
			return -ENOMEM;
		memset(r + f->nrings, 0, (f->srv.cap - f->nrings) * sizeof(*r));
		f->rings = r;
		f->nrings = f->srv.cap;
	}
	return at;
}

/* tftpd refused the request process pid made: that fetch failed. */
static void join_nak(struct fetches *f, long pid)
{
	for (unsigned i = 0; i < f->nrecent && i < RECENT_TFTP; i++) {
		struct srv_ring *r;

		if (f->recent[i].pid != pid)
			continue;
		r = &f->rings[f->recent[i].at];
		for (unsigned j = 0; j < r->n; j++)
			if (r->f[j].server == SRV_TFTPD && r->f[j].pid == pid)
				r->f[j].result = SRV_FAILED;
	}
}

/* One line of a server's log. */
static int server_line(void *ctx, const char *line, size_t len)
{
	struct log_ctx *l = ctx;
	struct fetches *f = l->f;
	char canonical[FILE_NAME_MAX + 1];
	struct srv_fetch sf;
	struct file_ref ref;
	struct srv_seen s;
	long at;

	switch (srv_parse_line(line, len, l->now, &sf)) {
	case SRV_LINE_BAD:
		l->c->bad++;
		return 0;
	case SRV_LINE_OTHER:
		return 0;
	case SRV_LINE_NAK:
		join_nak(f, sf.pid);
		return 0;
	case SRV_LINE_FETCH:
		break;
	}
	/* the mount's own resolver: aliases and prefix/postfix wraps give the canonical name */
	if (file_resolve(f->t, sf.name, &ref) < 0 || ref.dev == NULL || !file_names_device(&ref) ||
	    file_name(&ref, canonical, sizeof(canonical)) < 0) {
		l->c->foreign++;
		return 0;
	}
	if (!wanted(f, ref.dev->mac))
		return 0;
	at = ring_at(f, ref.dev->mac, canonical);
	if (at < 0)
		return (int)at;
	memset(&s, 0, sizeof(s));
	s.time = sf.time;
	memcpy(s.addr, sf.addr, sizeof(s.addr));
	s.has_bytes = sf.has_bytes;
	s.has_size = sf.has_size;
	s.bytes = sf.bytes;
	s.size = sf.size;
	s.result = sf.result;
	s.server = sf.server;
	s.status = sf.status;
	s.pid = sf.pid;
	ring_put(&f->rings[at], &s);
	if (sf.server == SRV_TFTPD) {
		f->recent[f->nrecent % RECENT_TFTP].pid = sf.pid;
		f->recent[f->nrecent % RECENT_TFTP].at = (size_t)at;
		f->nrecent++;
	}
	l->c->fetches++;
	return 0;
}

/* Reads one --server-log file ("-": standard input). */
static void read_server_log(struct fetches *f, struct log_counts *c)
{
	struct log_ctx l = { f, c, (int64_t)time(NULL) };
	bool in = strcmp(c->path, "-") == 0;
	int fd = in ? STDIN_FILENO : open_regular(AT_FDCWD, c->path, O_RDONLY, 0);

	f->nrecent = 0; /* a NAK joins a request of its own file */
	if (fd < 0) {
		c->err = fd;
		return;
	}
	c->err = read_lines(fd, SRV_LINE_MAX, server_line, &l, &c->bad);
	if (!in)
		close(fd);
}

/* s as one line: control bytes and backslashes as \xNN (a path given on the command line). */
static void print_escaped(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f || ch == '\\')
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
}

static void print_log_counts(const struct log_counts *c)
{
	if (c->err < 0) {
		printf("server log ");
		print_escaped(c->path);
		printf(": cannot be read: %s\n",
		       c->err == -EINVAL ? "not a regular file" : strerror(-c->err));
		return;
	}
	printf("server log ");
	print_escaped(c->path);
	printf(": %zu fetch%s of device files shown", c->fetches, c->fetches == 1 ? "" : "es");
	if (c->foreign > 0)
		printf(", %zu request%s for other names", c->foreign, c->foreign == 1 ? "" : "s");
	if (c->bad > 0)
		printf(", %zu line%s not understood", c->bad, c->bad == 1 ? "" : "s");
	printf("\n");
}

/* ---- the lines of a device -------------------------------------------------------------- */

static void srv_line(const char *name, const struct srv_seen *s)
{
	char when[32], bytes[64] = "-";

	utc(s->time, when);
	if (s->has_bytes && s->has_size)
		snprintf(bytes, sizeof(bytes), "%llu/%llu bytes", (unsigned long long)s->bytes,
		         (unsigned long long)s->size);
	else if (s->has_bytes)
		snprintf(bytes, sizeof(bytes), "%llu bytes", (unsigned long long)s->bytes);
	printf("    %-28s %s  %s  %s", name, when, bytes, srv_result_word(s->result));
	if (s->server == SRV_NGINX && s->result == SRV_FAILED)
		printf(" (HTTP %u)", s->status);
	printf("  (%s from %s)\n", srv_kind_name(s->server), s->addr);
}

static void provfs_line(const struct fetch_rec *r)
{
	char when[32];

	utc(r->time, when);
	printf("    %-28s %s  %llu/%llu bytes  %s", r->name, when, (unsigned long long)r->bytes,
	       (unsigned long long)r->size, fetch_status_word(r->status));
	if (r->generation > 0)
		printf("  (provfs, generation %llu)\n", (unsigned long long)r->generation);
	else
		printf("  (provfs)\n"); /* a record of an older version */
}

/*
 * The device's files in name order: the last fetch as the mount recorded it, then the last
 * fetches the servers logged, oldest first.
 */
static void fetch_lines(const struct fetches *f, const struct device *dev)
{
	const struct fetch_rec *pv = f->last.v, *sv = f->srv.v;
	size_t i = f->order ? first_of(pv, f->order, f->last.n, dev->mac) : f->last.n;
	size_t j = f->srv_order ? first_of(sv, f->srv_order, f->srv.n, dev->mac) : f->srv.n;

	for (;;) {
		const struct fetch_rec *p = i < f->last.n ? &pv[f->order[i]] : NULL;
		const struct fetch_rec *s = j < f->srv.n ? &sv[f->srv_order[j]] : NULL;
		int c;

		p = p != NULL && p->mac == dev->mac ? p : NULL;
		s = s != NULL && s->mac == dev->mac ? s : NULL;
		if (p == NULL && s == NULL)
			break;
		c = p == NULL ? 1 : s == NULL ? -1 : strcmp(p->name, s->name);
		if (c <= 0) {
			provfs_line(p);
			i++;
		}
		if (c >= 0) {
			const struct srv_ring *r = &f->rings[f->srv_order[j]];

			for (unsigned k = 0; k < r->n; k++)
				srv_line(s->name, &r->f[k]);
			j++;
		}
	}
}

static int cmd_status(const struct keys *keys, const char *path, const char *mac_arg,
                      const char *const *logs, int nlogs)
{
	/*
	 * Without keys: a delivered key file does not exist for the mount any more, but the
	 * servers' logs hold its fetches from before; every name still resolves. The key states
	 * come from the keystore itself (status_line).
	 */
	const struct keys nokeys = { keys->st, NULL };
	struct tree *t = load(&nokeys, path);
	struct log_counts counts[MAX_SERVER_LOGS];
	struct fetches f;
	int bad = 0;

	if (t == NULL)
		return EXIT_PROBLEM;
	memset(&f, 0, sizeof(f));
	memset(counts, 0, sizeof(counts));
	f.t = t;
	if (mac_arg != NULL && (f.only = device_arg(t, mac_arg)) == NULL) {
		tree_free(t);
		return EXIT_PROBLEM;
	}
	read_fetches(keys, &f);
	for (int i = 0; i < nlogs && f.err == 0; i++) {
		counts[i].path = logs[i];
		read_server_log(&f, &counts[i]);
		if (counts[i].err == -ENOMEM)
			f.err = -ENOMEM;
		bad |= counts[i].err < 0;
	}
	if (f.err == 0)
		f.srv_order = sorted(&f.srv, &f.err);
	for (uint32_t i = 0; i < t->inv->ndevices; i++) {
		const struct device *d = f.only != NULL ? f.only : &t->inv->devices[i];

		status_line(keys, d);
		fetch_lines(&f, d);
		if (f.only != NULL)
			break;
	}
	if (f.damaged > 0)
		printf("%zu damaged line%s of %s/" FETCH_LOG "(.1) skipped\n", f.damaged,
		       f.damaged == 1 ? "" : "s", keys->st.path);
	for (int i = 0; i < nlogs; i++)
		if (counts[i].path != NULL)
			print_log_counts(&counts[i]);
	if (f.err < 0)
		fprintf(stderr, "provctl: fetch records: %s\n", strerror(-f.err));
	free(f.order);
	free(f.srv_order);
	free(f.rings);
	fetch_table_free(&f.last);
	fetch_table_free(&f.srv);
	tree_free(t);
	return f.err < 0 || bad ? EXIT_PROBLEM : 0;
}

/* Splits the arguments after the command into positionals and the shared flags. */
struct args {
	const char *pos[3];
	int npos;
	const char *logs[MAX_SERVER_LOGS]; /* --server-log */
	int nlogs;
	bool plain;
	const char *state;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--plain") == 0) {
			a->plain = true;
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			a->state = argv[++i];
		} else if (strcmp(argv[i], "--server-log") == 0 && i + 1 < argc) {
			if (a->nlogs == MAX_SERVER_LOGS) {
				fprintf(stderr, "provctl: at most %d --server-log files\n",
				        MAX_SERVER_LOGS);
				return -1;
			}
			a->logs[a->nlogs++] = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "provctl: unknown option '%s'\n", argv[i]);
			return -1;
		} else if (a->npos < 3) {
			a->pos[a->npos++] = argv[i];
		} else {
			return -1;
		}
	}
	return 0;
}

static int run_command(const char *cmd, const struct args *a)
{
	const char *dir = a->state ? a->state : STATE_DEFAULT_DIR;
	bool writes = strcmp(cmd, "cat") == 0 || strcmp(cmd, "rekey") == 0 ||
	              (strcmp(cmd, "export") == 0 && a->state != NULL);
	/* export makes keys only in a state directory named with -s (export.c) */
	bool keyless = strcmp(cmd, "check") == 0 || (strcmp(cmd, "export") == 0 && !a->state);
	struct keys keys = { { -1, NULL }, NULL };
	int r = EXIT_USAGE;

	if (!keyless && open_keys(&keys, dir, writes) < 0)
		return EXIT_PROBLEM;
	if (strcmp(cmd, "check") == 0 && a->npos == 1 && !a->plain)
		r = cmd_check(&keys, a->pos[0]);
	else if (strcmp(cmd, "ls") == 0 && a->npos == 1 && !a->plain)
		r = cmd_ls(&keys, a->pos[0]);
	else if (strcmp(cmd, "cat") == 0 && a->npos == 2)
		r = cmd_cat(&keys, a->pos[0], a->pos[1], a->plain);
	else if (strcmp(cmd, "export") == 0 && a->npos == 2 && !a->plain)
		r = cmd_export(&keys, a->pos[0], a->pos[1]);
	else if (strcmp(cmd, "diff") == 0 && (a->npos == 1 || a->npos == 2) && !a->plain)
		r = cmd_diff(&keys, a->pos[0], a->npos == 2 ? a->pos[1] : NULL);
	else if (strcmp(cmd, "rekey") == 0 && a->npos == 2 && !a->plain)
		r = cmd_rekey(&keys, a->pos[0], a->pos[1]);
	else if (strcmp(cmd, "status") == 0 && (a->npos == 1 || a->npos == 2) && !a->plain)
		r = cmd_status(&keys, a->pos[0], a->npos == 2 ? a->pos[1] : NULL, a->logs,
		               a->nlogs);
	else
		usage(stderr);
	close_keys(&keys);
	return r;
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
	/* --server-log is status's alone */
	if (argc < 3 || parse_args(argc, argv, &a) < 0 ||
	    (a.nlogs > 0 && strcmp(cmd, "status") != 0)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return run_command(cmd, &a);
}
