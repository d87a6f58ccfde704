/*
 * audit.c - the fetch log line, pending fetch records and their flusher, the sweep warning.
 *
 * Pending records live in a hash table keyed by (MAC, name) under one mutex, which a release
 * holds for one insert. The flusher swaps that table for an empty one, so a release never
 * waits for the disk, and merges each device's pending records into its file (fs/fetch.h).
 * Only pending records stay in memory, at most one per file of the inventory: the files hold
 * the rest. In a reboot storm one flush writes every device that fetched in the last second,
 * with a rename each and no fsync.
 */
#include "fs/audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/fetch.h"
#include "fs/log.h"
#include "inventory/mac.h"

#define FLUSH_INTERVAL 1  /* seconds: the flusher works at most once per interval */
#define WARN_INTERVAL  60 /* seconds: at least this long between two sweep warnings */
#define INDEX_MIN      64

struct entry {
	uint64_t mac;
	struct fetch_rec rec;
};

/* Pending records: entries in order of arrival and an open-addressing index over them. */
struct pending {
	struct entry *v;
	size_t n, cap;
	uint32_t *slot; /* entry index + 1; 0: empty */
	size_t nslot;   /* a power of two, at least twice n */
};

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
	pthread_mutex_t lock;            /* cur, example, stop */
	pthread_cond_t wake;             /* monotonic clock */
	struct pending cur;              /* filled by releases */
	struct pending spare;            /* written out by the flusher */
	atomic_uint_fast64_t unknown;    /* unknown-MAC lookups since the last warning */
	char example[FILE_NAME_MAX + 1]; /* the first of them */
	struct sweep sweep;
	bool stop;
	bool running;
	pthread_t thread;
};

/* ---- pending records ------------------------------------------------------------------- */

static uint64_t hash(uint64_t mac, const char *name)
{
	uint64_t h = mac * UINT64_C(0x9e3779b97f4a7c15);

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * UINT64_C(0x100000001b3);
	return h ^ (h >> 29);
}

/* The slot of (mac, name): the one holding it, or the empty one where it belongs. */
static size_t find_slot(const struct pending *p, uint64_t mac, const char *name)
{
	size_t mask = p->nslot - 1, i = (size_t)hash(mac, name) & mask;

	while (p->slot[i] != 0) {
		const struct entry *e = &p->v[p->slot[i] - 1];

		if (e->mac == mac && strcmp(e->rec.name, name) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int grow_index(struct pending *p)
{
	size_t nslot = p->nslot ? p->nslot * 2 : INDEX_MIN;
	uint32_t *old = p->slot;

	p->slot = calloc(nslot, sizeof(*p->slot));
	if (p->slot == NULL) {
		p->slot = old;
		return -ENOMEM;
	}
	free(old);
	p->nslot = nslot;
	for (size_t i = 0; i < p->n; i++)
		p->slot[find_slot(p, p->v[i].mac, p->v[i].rec.name)] = (uint32_t)(i + 1);
	return 0;
}

static int pending_put(struct pending *p, uint64_t mac, const struct fetch_rec *r)
{
	size_t i;

	if (p->n >= UINT32_MAX - 1)
		return -ENOMEM;
	if (2 * (p->n + 1) > p->nslot && grow_index(p) < 0)
		return -ENOMEM;
	i = find_slot(p, mac, r->name);
	if (p->slot[i] != 0) {
		p->v[p->slot[i] - 1].rec = *r;
		return 0;
	}
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : INDEX_MIN / 2;
		struct entry *v = realloc(p->v, ncap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		p->v = v;
		p->cap = ncap;
	}
	p->v[p->n].mac = mac;
	p->v[p->n].rec = *r;
	p->slot[i] = (uint32_t)++p->n;
	return 0;
}

static void pending_clear(struct pending *p)
{
	p->n = 0;
	if (p->slot != NULL)
		memset(p->slot, 0, p->nslot * sizeof(*p->slot));
}

static void pending_free(struct pending *p)
{
	free(p->v);
	free(p->slot);
	memset(p, 0, sizeof(*p));
}

static int entry_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct entry *)a)->mac, y = ((const struct entry *)b)->mac;

	return (x > y) - (x < y);
}

/* Merges the records of p into their devices' files and empties p. */
static void flush(struct audit *a, struct pending *p)
{
	struct fetch_set set;
	size_t failed = 0;
	int err = 0;

	if (p->n == 0)
		return;
	qsort(p->v, p->n, sizeof(*p->v), entry_cmp); /* the index is cleared below */
	for (size_t i = 0; i < p->n;) {
		uint64_t mac = p->v[i].mac;
		int r;

		if (fetch_load(a->st, mac, &set) < 0)
			set.n = 0; /* none yet, or damaged: start afresh */
		for (; i < p->n && p->v[i].mac == mac; i++)
			fetch_merge(&set, &p->v[i].rec);
		r = fetch_store(a->st, mac, &set);
		if (r < 0) {
			failed++;
			err = r;
		}
	}
	if (failed > 0)
		log_msg(LOG_WARNING, "cannot write the fetch records of %zu device%s to %s: %s",
		        failed, failed == 1 ? "" : "s", a->st->path, strerror(-err));
	pending_clear(p);
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

/* ---- the flusher ----------------------------------------------------------------------- */

static void *flusher(void *arg)
{
	struct audit *a = arg;
	struct timespec next = { 0, 0 }; /* the next round starts no earlier */

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		struct pending tmp;
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
	pending_free(&a->cur);
	pending_free(&a->spare);
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
	int err;

	if (a == NULL)
		return;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", f->name);
	r.time = (int64_t)time(NULL);
	r.bytes = atomic_load(&f->progress->bytes);
	r.size = f->size;
	r.complete = audit_progress_complete(f->progress, f->size);
	mac_format(f->mac, false, mac);
	log_msg(LOG_INFO, "fetch %s mac=%s generation=%llu bytes=%llu size=%llu %s", f->name, mac,
	        (unsigned long long)f->generation, (unsigned long long)r.bytes,
	        (unsigned long long)f->size,
	        r.complete ? "complete"
	        : f->exact ? "partial"
	                   : "cached");
	pthread_mutex_lock(&a->lock);
	was_empty = a->cur.n == 0;
	err = pending_put(&a->cur, f->mac, &r);
	if (err == 0 && was_empty)
		pthread_cond_signal(&a->wake); /* once per round: the flusher is waiting */
	pthread_mutex_unlock(&a->lock);
	if (err < 0)
		log_msg(LOG_WARNING, "fetch of %s not recorded for provctl status: %s", f->name,
		        strerror(-err));
}

void audit_unknown(struct audit *a, const char *name)
{
	if (a == NULL || atomic_fetch_add_explicit(&a->unknown, 1, memory_order_relaxed) != 0)
		return;
	/* the first since the last warning: its name is the example, the flusher starts ticking */
	pthread_mutex_lock(&a->lock);
	snprintf(a->example, sizeof(a->example), "%s", name);
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}
