/*
 * status.c - `provctl status`: per device, how its files are protected (key state, XML
 * password), when each was last fetched (provfs's records, the servers' logs), and what
 * the mount counted of unknown MACs; filters (MAC, --model, --group, --never, --stale) and
 * --json for scripts. Never a key or a password.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/files.h"
#include "backend/params.h"
#include "backend/vendor.h"
#include "inventory/enroll.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "provctl/provctl.h"
#include "provctl/serverlog.h"
#include "state/fetch.h"
#include "state/site_secret.h"
#include "state/state.h"

/* JSON string: every byte outside printable ASCII, '"' and '\\' escaped (always valid). */
static void json_str(const char *s)
{
	putchar('"');
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\')
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/*
 * The label of the password that encrypts the device's own file ("XML password"), when its
 * vendor has one and the device sets it (struct vendor.file_password); NULL otherwise.
 */
static const char *password_label(const struct tree *t, const struct device *dev)
{
	const struct vendor *v = dev->model != NULL ? vendor_of(dev->model) : NULL;
	const char *label = NULL;
	struct resolved p;

	if (v == NULL || v->file_password.param == NULL || device_params(t, dev, &p) < 0)
		return NULL;
	if (resolved_get(&p, v->file_password.param) != NULL)
		label = v->file_password.label;
	resolved_free(&p);
	return label;
}

/* The device's enrolment window, when it has one: open until, or closed at. */
static void window_line(const struct tree *t, const struct device *dev)
{
	char when[ENROLL_TIME_SIZE];
	int64_t until;

	if (dev->model == NULL || enroll_device_until(t->inv, dev, &until) == NULL)
		return;
	enroll_format(until, when);
	if (enroll_closed(until, (int64_t)time(NULL)))
		printf("    enrolment window closed at %s: its bootstrap files with a secret in "
		       "clear are not served\n",
		       when);
	else
		printf("    enrolment window open until %s\n", when);
}

static void status_line(const struct keys *keys, const struct tree *t, const struct device *dev)
{
	char mac[MAC_STRLEN + 1], when[32];
	struct dev_key k;
	int r = -ENOENT;

	mac_format(dev->mac, true, mac);
	if (dev->model == NULL || !vendor_encrypted(dev->model)) {
		const char *pw = password_label(t, dev);

		printf("%s  %-12s  %s%s%s\n", mac, dev->model ? dev->model->name : "?",
		       pw != NULL ? "encrypted (" : "plain", pw != NULL ? pw : "",
		       pw != NULL ? ")" : "");
		return;
	}
	memset(&k, 0, sizeof(k));
	if (keys->ks != NULL)
		r = keystore_lookup(keys->ks, dev->mac, &k);
	if (r == -EKEYREJECTED) {
		printf("%s  %-12s  key %s, derived (epoch %lu) under another site secret than -k "
		       "%s: its encrypted files fail until that secret is back or the device is "
		       "rekeyed\n",
		       mac, dev->model->name, key_state_name(k.state), (unsigned long)k.epoch,
		       keys->secret != NULL ? keys->secret->path : "?");
		explicit_bzero(&k, sizeof(k));
		return;
	}
	if (r < 0 && r != -ENOENT && r != -ENOKEY) {
		printf("%s  %-12s  key file unreadable (%s): its encrypted files fail until it is "
		       "restored or removed\n",
		       mac, dev->model->name, r == -EBADMSG ? "damaged content" : strerror(-r));
		explicit_bzero(&k, sizeof(k));
		return;
	}
	printf("%s  %-12s  key %s", mac, dev->model->name, key_state_name(k.state));
	if (k.state != KEY_NONE && k.epoch > 0)
		printf(" (%u-bit, derived, epoch %lu%s%s", k.bits, (unsigned long)k.epoch,
		       r == -ENOKEY ? ", not checked without -k FILE" : "",
		       k.bits != vendor_key_bits(dev->model) ? "; key_length changed: run rekey"
		                                             : "");
	/*
	 * The key stays the vendor's it was derived for (the file says which); a replica without
	 * the file derives the inventory's vendor's: they differ until a rekey on every replica.
	 */
	if (k.state != KEY_NONE && k.epoch > 0 &&
	    strcmp(k.vendor, vendor_of(dev->model)->schema.name) != 0)
		printf("; derived for vendor %s, the inventory now says %s: run rekey", k.vendor,
		       vendor_of(dev->model)->schema.name);
	if (k.state != KEY_NONE && k.epoch > 0)
		printf(")");
	else if (k.state != KEY_NONE)
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
			char q[DIAG_QUOTE_SIZE];

			fprintf(stderr, "provctl: %s/%s: %s\n", diag_quote(q, keys->st.path),
			        logs[i],
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

static void print_log_counts(const struct log_counts *c)
{
	char q[DIAG_QUOTE_SIZE];

	diag_quote(q, c->path); /* given on the command line: one line whatever it holds */
	if (c->err < 0) {
		printf("server log %s: cannot be read: %s\n", q,
		       c->err == -EINVAL ? "not a regular file" : strerror(-c->err));
		return;
	}
	printf("server log %s: %zu fetch%s of device files shown", q, c->fetches,
	       c->fetches == 1 ? "" : "es");
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
struct fetch_visit {
	void (*provfs)(void *ctx, const struct fetch_rec *r);
	void (*srv)(void *ctx, const char *name, const struct srv_seen *s);
	void *ctx;
};

static void walk_fetches(const struct fetches *f, const struct device *dev,
                         const struct fetch_visit *v)
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
			v->provfs(v->ctx, p);
			i++;
		}
		if (c >= 0) {
			const struct srv_ring *r = &f->rings[f->srv_order[j]];

			for (unsigned k = 0; k < r->n; k++)
				v->srv(v->ctx, s->name, &r->f[k]);
			j++;
		}
	}
}

static void provfs_visit(void *ctx, const struct fetch_rec *r)
{
	(void)ctx;
	provfs_line(r);
}

static void srv_visit(void *ctx, const char *name, const struct srv_seen *s)
{
	(void)ctx;
	srv_line(name, s);
}

/* The device's files' lines; "never fetched" when no record and no server's log has one. */
static void fetch_lines(const struct fetches *f, const struct device *dev, int64_t last)
{
	const struct fetch_visit v = { provfs_visit, srv_visit, NULL };

	if (last < 0)
		printf("    never fetched\n");
	else
		walk_fetches(f, dev, &v);
}

static void last_provfs(void *ctx, const struct fetch_rec *r)
{
	int64_t *last = ctx;

	if (r->time > *last)
		*last = r->time;
}

static void last_srv(void *ctx, const char *name, const struct srv_seen *s)
{
	int64_t *last = ctx;

	(void)name;
	if (s->time > *last)
		*last = s->time;
}

/* The time of the device's latest fetch (a failed one too), provfs's or a server's; -1: none. */
static int64_t last_fetch(const struct fetches *f, const struct device *dev)
{
	int64_t last = -1;
	const struct fetch_visit v = { last_provfs, last_srv, &last };

	walk_fetches(f, dev, &v);
	return last;
}

/* ---- JSON ----------------------------------------------------------------------------- */

struct json_ctx {
	bool first;
};

static void json_sep(struct json_ctx *j)
{
	printf(j->first ? "" : ", ");
	j->first = false;
}

static void json_provfs(void *ctx, const struct fetch_rec *r)
{
	json_sep(ctx);
	printf("{\"name\": ");
	json_str(r->name);
	printf(", \"time\": %lld, \"bytes\": %llu, \"size\": %llu, \"status\": ",
	       (long long)r->time, (unsigned long long)r->bytes, (unsigned long long)r->size);
	json_str(fetch_status_word(r->status));
	printf(", \"source\": \"provfs\", \"generation\": %llu}",
	       (unsigned long long)r->generation);
}

static void json_srv(void *ctx, const char *name, const struct srv_seen *s)
{
	json_sep(ctx);
	printf("{\"name\": ");
	json_str(name);
	printf(", \"time\": %lld", (long long)s->time);
	if (s->has_bytes)
		printf(", \"bytes\": %llu", (unsigned long long)s->bytes);
	if (s->has_size)
		printf(", \"size\": %llu", (unsigned long long)s->size);
	printf(", \"status\": ");
	json_str(srv_result_word(s->result));
	printf(", \"source\": ");
	json_str(srv_kind_name(s->server));
	printf(", \"client\": ");
	json_str(s->addr);
	printf("}");
}

/* One device as a JSON object: never a key, a password or any parameter's value. */
/* window_line's facts: "enroll_until" (null without a window) and "enroll_closed". */
static void json_window(const struct tree *t, const struct device *dev)
{
	char when[ENROLL_TIME_SIZE];
	int64_t until;

	if (dev->model == NULL || enroll_device_until(t->inv, dev, &until) == NULL) {
		printf(", \"enroll_until\": null, \"enroll_closed\": false");
		return;
	}
	printf(", \"enroll_until\": \"%s\", \"enroll_closed\": %s", enroll_format(until, when),
	       enroll_closed(until, (int64_t)time(NULL)) ? "true" : "false");
}

static void json_device(const struct keys *keys, const struct tree *t, const struct fetches *f,
                        const struct device *dev, int64_t last)
{
	struct json_ctx jc = { true };
	const struct fetch_visit v = { json_provfs, json_srv, &jc };
	char mac[MAC_STRLEN + 1];
	const char *pw;

	mac_format(dev->mac, true, mac);
	printf("{\"mac\": \"%s\", \"model\": ", mac);
	json_str(dev->model ? dev->model->name : NULL);
	printf(", \"groups\": [");
	for (uint32_t g = 0; g < dev->ngroups; g++) {
		printf(g ? ", " : "");
		json_str(dev->groups[g] ? dev->groups[g]->name : NULL);
	}
	printf("], \"protection\": ");
	if (dev->model != NULL && vendor_encrypted(dev->model)) {
		struct dev_key k;
		int r = -ENOENT;

		memset(&k, 0, sizeof(k));
		if (keys->ks != NULL)
			r = keystore_lookup(keys->ks, dev->mac, &k);
		printf("\"per-device key\", \"key\": {\"state\": ");
		json_str(r == -EKEYREJECTED                      ? "other secret"
		         : r < 0 && r != -ENOENT && r != -ENOKEY ? "unreadable"
		                                                 : key_state_name(k.state));
		if ((r == 0 || r == -ENOKEY) && k.state != KEY_NONE)
			printf(", \"bits\": %u, \"since\": %lld", k.bits, (long long)k.since);
		if (k.epoch > 0) {
			printf(", \"epoch\": %lu, \"vendor\": ", (unsigned long)k.epoch);
			json_str(k.vendor); /* the one it was derived for: see the text output */
		}
		if (r == 0 && k.state == KEY_DELIVERED && k.proof[0] != '\0') {
			printf(", \"proof\": ");
			json_str(k.proof);
		}
		printf("}");
		explicit_bzero(&k, sizeof(k));
	} else if ((pw = password_label(t, dev)) != NULL) {
		printf("\"encrypted (%s)\"", pw);
	} else {
		printf("\"plain\"");
	}
	json_window(t, dev);
	printf(", \"never_fetched\": %s", last < 0 ? "true" : "false");
	if (last >= 0)
		printf(", \"last_fetch\": %lld", (long long)last);
	printf(", \"fetches\": [");
	walk_fetches(f, dev, &v);
	printf("]}");
}

/* What the mount counted of lookups for MACs the inventory does not have (fs/audit.c). */
static void unknown_line(const struct keys *keys, bool json)
{
	struct unknown_count u = { 0, 0, 0 };
	struct buf text;
	int r = -ENOENT;

	buf_init(&text);
	if (keys->st.dirfd >= 0)
		r = state_read(&keys->st, UNKNOWN_MACS_FILE, &text);
	if (r == 0)
		r = unknown_parse((const char *)text.data, text.len, &u);
	buf_free(&text);
	if (json) {
		if (r < 0)
			printf("null");
		else
			printf("{\"lookups\": %llu, \"since\": %lld, \"last\": %lld}",
			       (unsigned long long)u.count, (long long)u.since, (long long)u.last);
		return;
	}
	if (r < 0) {
		printf("unknown MACs: none counted (no mount of this state directory has seen a "
		       "lookup for a MAC the inventory does not have)\n");
	} else {
		char since[32], last[32];

		utc(u.since, since);
		utc(u.last, last);
		printf("unknown MACs: %llu lookup%s of device files for MACs not in the inventory "
		       "since %s",
		       (unsigned long long)u.count, u.count == 1 ? "" : "s", since);
		if (u.count > 0)
			printf(", the last %s", last);
		printf(" (the mount's log names examples)\n");
	}
}

/* Whether the device passes the filters (the MAC is f->only). */
static bool selected(const struct status_opts *o, const struct device *d, int64_t last, int64_t now)
{
	bool in = o->group == NULL;

	if (o->model != NULL && (d->model == NULL || strcmp(d->model->name, o->model) != 0))
		return false;
	for (uint32_t g = 0; !in && g < d->ngroups; g++)
		in = d->groups[g] != NULL && strcmp(d->groups[g]->name, o->group) == 0;
	if (!in || (o->never && last >= 0))
		return false;
	return o->stale_days < 0 || last < now - (int64_t)o->stale_days * 86400;
}

int cmd_status(const struct keys *keys, const char *path, const struct status_opts *o)
{
	/*
	 * Without keys: a delivered key file does not exist for the mount any more, but the
	 * servers' logs hold its fetches from before; every name still resolves. The key states
	 * come from the keystore itself (status_line).
	 */
	const struct keys nokeys = { keys->st, NULL, NULL };
	struct tree *t = load(&nokeys, path);
	char qp[DIAG_QUOTE_SIZE];
	struct log_counts counts[MAX_SERVER_LOGS];
	int64_t now = (int64_t)time(NULL);
	struct fetches f;
	bool first = true;
	int bad = 0;

	if (t == NULL)
		return EXIT_PROBLEM;
	if (o->model != NULL && inventory_find_model(t->inv, o->model, strlen(o->model)) == NULL) {
		char qm[DIAG_QUOTE_SIZE];

		fprintf(stderr, "provctl: no model '%s' in %s\n", diag_quote(qm, o->model),
		        diag_quote(qp, path));
		tree_free(t);
		return EXIT_PROBLEM;
	}
	memset(&f, 0, sizeof(f));
	memset(counts, 0, sizeof(counts));
	f.t = t;
	if (o->mac != NULL && (f.only = device_arg(t, o->mac)) == NULL) {
		tree_free(t);
		return EXIT_PROBLEM;
	}
	read_fetches(keys, &f);
	for (int i = 0; i < o->nlogs && f.err == 0; i++) {
		counts[i].path = o->logs[i];
		read_server_log(&f, &counts[i]);
		if (counts[i].err == -ENOMEM)
			f.err = -ENOMEM;
		bad |= counts[i].err < 0;
	}
	if (f.err == 0)
		f.srv_order = sorted(&f.srv, &f.err);
	if (o->json)
		printf("{\"devices\": [");
	for (uint32_t i = 0; i < t->inv->ndevices; i++) {
		const struct device *d = f.only != NULL ? f.only : &t->inv->devices[i];
		int64_t last = last_fetch(&f, d);

		if (selected(o, d, last, now) && o->json) {
			printf(first ? "\n  " : ",\n  ");
			json_device(keys, t, &f, d, last);
			first = false;
		} else if (selected(o, d, last, now)) {
			status_line(keys, t, d);
			window_line(t, d);
			fetch_lines(&f, d, last);
		}
		if (f.only != NULL)
			break;
	}
	if (o->json) {
		printf("\n], \"unknown_macs\": ");
		unknown_line(keys, true);
		printf(", \"damaged_records\": %zu}\n", f.damaged);
	} else {
		unknown_line(keys, false);
		if (f.damaged > 0)
			printf("%zu damaged line%s of %s/" FETCH_LOG "(.1) skipped\n", f.damaged,
			       f.damaged == 1 ? "" : "s", keys->st.path);
		for (int i = 0; i < o->nlogs; i++)
			if (counts[i].path != NULL)
				print_log_counts(&counts[i]);
	}
	if (o->json)
		for (int i = 0; i < o->nlogs; i++)
			if (counts[i].err < 0)
				fprintf(stderr, "provctl: server log %s: cannot be read\n",
				        diag_quote(qp, counts[i].path));
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
