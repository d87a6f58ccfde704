/*
 * audit.c - the fetch log line, pending fetch records and their flusher, the sweep warning.
 *
 * Pending records live in a table keyed by (MAC, name) (state/fetch.h) under one mutex, which a
 * release holds for one insert. The flusher swaps that table for an empty one, so a release
 * never waits for the disk, and appends the pending records to STATE/fetch.log with one
 * write(2) per round, at most once a second: in a reboot storm that is one open, one write and
 * one close a second, whatever the number of devices. Only pending records stay in memory, at
 * most one per file of the inventory: the log holds the rest.
 */
#include "fs/audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state/fetch.h"
#include "fs/log.h"
#include "inventory/mac.h"

#define FLUSH_INTERVAL 1  /* seconds: the flusher works at most once per interval */
#define WARN_INTERVAL  60 /* seconds: at least this long between two sweep warnings */

/* The sweep warning's clock, in monotonic seconds (the flusher's own). */
struct sweep {
	bool open;         /* the count was nonzero at the last look */
	int64_t start;     /* when it was first seen nonzero */
	uint64_t seen;     /* the count at the last look */
	bool warned;       /* a warning was logged ... */
	int64_t last_warn; /* ... at this time */
};

struct audit {
	const struct state *st;
	pthread_mutex_t lock;               /* cur, example, stop */
	pthread_cond_t wake;                /* monotonic clock */
	struct fetch_table cur;             /* filled by releases */
	struct fetch_table spare;           /* written out by the flusher */
	struct buf text;                    /* the flusher's: the lines of one round */
	int write_err;                      /* the last round's error, logged once (flusher's) */
	atomic_uint_fast64_t unknown;       /* unknown-MAC lookups since the last warning */
	char example[FILE_NAME_MAX + 1];    /* the first of them */
	atomic_uint_fast64_t unknown_total; /* all of them since the mount started ... */
	atomic_int_fast64_t unknown_last;   /* ... the latest at this time (wall clock) */
	int64_t started;
	uint64_t unknown_written; /* the total STATE/unknown-macs says (flusher's) */
	struct sweep sweep;
	bool stop;
	bool running;
	pthread_t thread;
};

/* ---- writing the records --------------------------------------------------------------- */

/* Why fetch_append failed, in an administrator's words. */
static const char *append_error(int err)
{
	switch (err) {
	case -ELOOP:
		return "it is a symlink: refused, remove it";
	case -EISDIR:
		return "it is a directory: refused, remove it";
	case -EINVAL:
		return "it is not a regular file (a FIFO, a socket or a device?): refused, remove "
		       "it";
	default:
		return strerror(-err);
	}
}

/*
 * Appends the records of p to fetch.log, in order of arrival, with one write, and empties p.
 * A failure is logged once, and again only after a round that worked: a full disk or a FIFO
 * in fetch.log's place must not fill the log with a line a second.
 */
static void flush(struct audit *a, struct fetch_table *p)
{
	int r = 0;

	if (p->n == 0)
		return;
	buf_reset(&a->text);
	for (size_t i = 0; i < p->n && r == 0; i++)
		r = fetch_format(&p->v[i], &a->text);
	if (r == 0)
		r = fetch_append(a->st, a->text.data, a->text.len, FETCH_LOG_CAP);
	if (r < 0 && r != a->write_err)
		log_msg(LOG_WARNING,
		        "cannot append %zu fetch record%s to %s/" FETCH_LOG
		        " (provctl status will miss them until this is fixed): %s",
		        p->n, p->n == 1 ? "" : "s", a->st->path, append_error(r));
	else if (r == 0 && a->write_err != 0)
		log_msg(LOG_NOTICE, "fetch records are written to %s/" FETCH_LOG " again",
		        a->st->path);
	a->write_err = r;
	fetch_table_clear(p);
}

/* ---- the sweep warning ----------------------------------------------------------------- */

/*
 * Whether the warning is due, given the count at a look at time now (looks come at least a
 * second apart): a minute after the last warning at the earliest, and once the count stopped
 * growing between two looks or a minute after it was first seen.
 */
static bool sweep_due(struct sweep *s, uint64_t count, int64_t now)
{
	bool quiet;

	if (count == 0) {
		s->open = false;
		return false;
	}
	if (!s->open) {
		s->open = true;
		s->start = now;
		s->seen = 0;
	}
	quiet = count == s->seen;
	s->seen = count;
	if (s->warned && now - s->last_warn < WARN_INTERVAL)
		return false;
	return quiet || now - s->start >= WARN_INTERVAL;
}

static void sweep_log(uint64_t n, const char *example)
{
	log_msg(LOG_WARNING,
	        "unknown MACs: %llu lookup%s of device files for MACs not in the inventory since "
	        "the last warning, e.g. %s: an enumeration sweep?",
	        (unsigned long long)n, n == 1 ? "" : "s", example[0] ? example : "(none kept)");
}

static void sweep_tick(struct audit *a, int64_t now)
{
	char example[FILE_NAME_MAX + 1];
	uint64_t n;

	if (!sweep_due(&a->sweep, atomic_load(&a->unknown), now))
		return;
	pthread_mutex_lock(&a->lock);
	n = atomic_exchange(&a->unknown, 0);
	memcpy(example, a->example, sizeof(example));
	pthread_mutex_unlock(&a->lock);
	a->sweep.open = false;
	a->sweep.warned = true;
	a->sweep.last_warn = now;
	sweep_log(n, example);
}

/* STATE/unknown-macs for provctl status, when the total moved on. */
static void write_unknown(struct audit *a)
{
	struct unknown_count u = { atomic_load(&a->unknown_total), a->started,
		                   atomic_load(&a->unknown_last) };
	char line[80];
	int n;

	if (a->st == NULL || u.count == a->unknown_written)
		return;
	n = unknown_format(&u, line, sizeof(line));
	if (n > 0 && state_write(a->st, UNKNOWN_MACS_FILE, line, (size_t)n) == 0)
		a->unknown_written = u.count;
}

/* ---- the flusher ----------------------------------------------------------------------- */

static void *flusher(void *arg)
{
	struct audit *a = arg;
	struct timespec next = { 0, 0 }; /* the next round starts no earlier */

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		struct fetch_table tmp;
		struct timespec now;

		if (a->cur.n == 0 && atomic_load(&a->unknown) == 0) {
			pthread_cond_wait(&a->wake, &a->lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec < next.tv_nsec)) {
			pthread_cond_timedwait(&a->wake, &a->lock, &next);
			continue;
		}
		next = now;
		next.tv_sec += FLUSH_INTERVAL;
		tmp = a->cur;
		a->cur = a->spare;
		a->spare = tmp;
		pthread_mutex_unlock(&a->lock);
		flush(a, &a->spare);
		sweep_tick(a, (int64_t)now.tv_sec);
		/* after the sweep's reset: a lookup after this read makes another round */
		write_unknown(a);
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* ---- interface --------------------------------------------------------------------------- */

int audit_new(const struct state *st, struct audit **out)
{
	struct audit *a = calloc(1, sizeof(*a));
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	if (a == NULL)
		return -ENOMEM;
	r = pthread_condattr_init(&ca);
	if (r == 0) {
		r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (r == 0)
			r = pthread_cond_init(&a->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (r != 0) {
		free(a);
		return -r;
	}
	pthread_mutex_init(&a->lock, NULL);
	atomic_init(&a->unknown, 0);
	atomic_init(&a->unknown_total, 0);
	atomic_init(&a->unknown_last, 0);
	a->started = (int64_t)time(NULL);
	a->unknown_written = 0; /* no file until there is something to count */
	buf_init(&a->text);
	a->st = st;
	*out = a;
	return 0;
}

int audit_start(struct audit *a)
{
	int r;

	if (a == NULL || a->running)
		return 0;
	r = pthread_create(&a->thread, NULL, flusher, a);
	if (r != 0)
		return -r;
	a->running = true;
	return 0;
}

void audit_free(struct audit *a)
{
	uint64_t n;

	if (a == NULL)
		return;
	if (a->running) {
		pthread_mutex_lock(&a->lock);
		a->stop = true;
		pthread_cond_signal(&a->wake);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
	}
	/* no request handler runs any more: what is pending goes out now */
	flush(a, &a->cur);
	n = atomic_load(&a->unknown);
	if (n > 0)
		sweep_log(n, a->example);
	write_unknown(a);
	fetch_table_free(&a->cur);
	fetch_table_free(&a->spare);
	buf_free(&a->text);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void audit_progress_init(struct audit_progress *p)
{
	atomic_init(&p->bytes, 0);
	atomic_init(&p->covered, 0);
}

uint64_t audit_progress_read(struct audit_progress *p, uint64_t off, uint64_t n)
{
	uint_fast64_t cur = atomic_load(&p->covered);

	atomic_fetch_add_explicit(&p->bytes, n, memory_order_relaxed);
	/* only a read that starts inside the prefix and ends past it extends it */
	while (off <= cur && off + n > cur &&
	       !atomic_compare_exchange_weak(&p->covered, &cur, off + n))
		;
	return atomic_load(&p->covered);
}

bool audit_progress_complete(const struct audit_progress *p, uint64_t size)
{
	return atomic_load(&p->covered) >= size;
}

void audit_fetch(struct audit *a, const struct audit_fetch *f)
{
	char mac[MAC_STRLEN + 1];
	struct fetch_rec r;
	bool was_empty;
	long at;

	if (a == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.mac = f->mac;
	snprintf(r.name, sizeof(r.name), "%s", f->name);
	r.time = (int64_t)time(NULL);
	r.generation = f->generation;
	r.bytes = atomic_load(&f->progress->bytes);
	r.size = f->size;
	r.status = audit_progress_complete(f->progress, f->size) ? FETCH_COMPLETE
	           : f->exact                                    ? FETCH_PARTIAL
	                                                         : FETCH_CACHED;
	mac_format(f->mac, false, mac);
	log_msg(LOG_INFO, "fetch %s mac=%s generation=%llu bytes=%llu size=%llu %s", f->name, mac,
	        (unsigned long long)f->generation, (unsigned long long)r.bytes,
	        (unsigned long long)f->size, fetch_status_word(r.status));
	pthread_mutex_lock(&a->lock);
	was_empty = a->cur.n == 0;
	at = fetch_table_at(&a->cur, f->mac, r.name);
	if (at >= 0)
		a->cur.v[at] = r; /* a file fetched twice in a second: the last fetch is kept */
	if (at >= 0 && was_empty)
		pthread_cond_signal(&a->wake); /* once per round: the flusher is waiting */
	pthread_mutex_unlock(&a->lock);
	if (at < 0)
		log_msg(LOG_WARNING, "fetch of %s not recorded for provctl status: %s", f->name,
		        strerror(ENOMEM));
}

void audit_unknown(struct audit *a, const char *name)
{
	if (a != NULL) {
		atomic_fetch_add_explicit(&a->unknown_total, 1, memory_order_relaxed);
		atomic_store_explicit(&a->unknown_last, (int64_t)time(NULL), memory_order_relaxed);
	}
	if (a == NULL || atomic_fetch_add_explicit(&a->unknown, 1, memory_order_relaxed) != 0)
		return;
	/* the first since the last warning: its name is the example, the flusher starts ticking */
	pthread_mutex_lock(&a->lock);
	snprintf(a->example, sizeof(a->example), "%s", name);
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}
