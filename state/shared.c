/*
 * shared.c - the etcd state backend (shared.h): the record format, applying records to the
 * local view, and the one thread that syncs with etcd (first range, watch, intents).
 *
 * The thread's loop: until the first range succeeded, try it (every RETRY_MAX_MS at most);
 * then push every intent, each by a read of the device's record and a compare-and-swap on its
 * mod_revision; what cannot be pushed now (no etcd) waits with a backoff, and a new intent or
 * the watch seeing etcd again wakes the loop at once. The watch runs on its own thread
 * (etcd.h) and applies what it sees.
 */
#include "state/shared.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "inventory/mac.h"
#include "state/derive.h"
#include "state/etcd.h"

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 1000
#define AWAY_LOG_MS  2000 /* an outage shorter than this (a member restarting) is not logged */

static const char *const state_words[] = {
	[KEY_PENDING] = "pending",
	[KEY_SERVED] = "served",
	[KEY_DELIVERED] = "delivered",
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the record --------------------------------------------------------------------------- */

static bool proof_ok(const char *p)
{
	size_t n = strlen(p);

	return n > 0 && n <= KEY_PROOF_MAX && strcmp(p, "-") != 0 &&
	       strspn(p, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._-") == n;
}

int shared_rec_format(const struct dev_key *rec, char *out, size_t len)
{
	int n;

	if (rec->epoch == 0 || rec->state < KEY_PENDING || rec->state > KEY_DELIVERED ||
	    !derive_vendor_ok(rec->vendor) ||
	    (rec->bits != 128 && rec->bits != 192 && rec->bits != 256) || rec->since < 0 ||
	    (rec->state == KEY_DELIVERED && !proof_ok(rec->proof)))
		return -EINVAL;
	n = snprintf(out, len,
	             "provfs-shared 1 vendor %s bits %u epoch %lu state %s proof %s since %lld",
	             rec->vendor, rec->bits, (unsigned long)rec->epoch, state_words[rec->state],
	             rec->state == KEY_DELIVERED ? rec->proof : "-", (long long)rec->since);
	return n < 0 || (size_t)n >= len ? -EINVAL : n;
}

/* A decimal without sign or leading zero, at most max. */
static bool number(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 19)
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long long)(*s - '0');
	}
	*out = v;
	return v <= max;
}

int shared_rec_parse(const char *line, size_t len, struct dev_key *out)
{
	static const char *const labels[] = { "provfs-shared", "vendor", "bits", "epoch",
		                              "state",         "proof",  "since" };
	char text[SHARED_REC_MAX], *tok[14], *save = NULL;
	unsigned long long v;
	size_t n = 0;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(text) || memchr(line, '\0', len) != NULL)
		return -EBADMSG;
	memcpy(text, line, len);
	text[len] = '\0';
	/* single spaces only: strtok_r would take runs of them */
	if (text[0] == ' ' || text[len - 1] == ' ' || strstr(text, "  ") != NULL ||
	    strpbrk(text, "\t\r\n") != NULL)
		return -EBADMSG;
	for (char *t = strtok_r(text, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
		if (n == 14)
			return -EBADMSG;
		tok[n++] = t;
	}
	if (n != 14)
		return -EBADMSG;
	for (size_t i = 0; i < 7; i++)
		if (strcmp(tok[2 * i], labels[i]) != 0)
			return -EBADMSG;
	ok = strcmp(tok[1], "1") == 0 && strlen(tok[3]) < sizeof(out->vendor) &&
	     derive_vendor_ok(tok[3]);
	if (ok)
		memcpy(out->vendor, tok[3], strlen(tok[3]) + 1);
	ok = ok && number(tok[5], 256, &v) && (v == 128 || v == 192 || v == 256);
	if (ok)
		out->bits = (unsigned)v;
	ok = ok && number(tok[7], UINT32_MAX, &v) && v > 0;
	if (ok)
		out->epoch = (uint32_t)v;
	out->state = KEY_NONE;
	for (int s = KEY_PENDING; ok && s <= KEY_DELIVERED; s++)
		if (strcmp(tok[9], state_words[s]) == 0)
			out->state = (enum key_state)s;
	ok = ok && out->state != KEY_NONE;
	if (ok && out->state == KEY_DELIVERED) {
		ok = proof_ok(tok[11]);
		if (ok)
			memcpy(out->proof, tok[11], strlen(tok[11]) + 1);
	} else if (ok) {
		ok = strcmp(tok[11], "-") == 0;
	}
	ok = ok && number(tok[13], INT64_MAX, &v);
	if (ok)
		out->since = (int64_t)v;
	if (!ok) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

/* ---- the backend -------------------------------------------------------------------------- */

struct intent {
	uint64_t mac;
	struct dev_key rec; /* what etcd should say: served, or delivered with its proof */
	bool logged;        /* a failure other than "no etcd" was logged */
	int64_t waiting;    /* a proof: when etcd was first seen not served (monotonic ms), or 0 */
};

/* What etcd last said of a device (the watch, the first range, a compare-and-swap). */
struct seen {
	uint64_t mac;
	int64_t mod; /* its record's mod_revision */
	uint32_t epoch;
	enum key_state state;
};

struct shared {
	struct etcd_client *c;
	char *dev_prefix; /* "<prefix>/dev/" */
	const struct state *cache;
	struct keystore *ks;
	struct shared_events ev;

	pthread_mutex_t lock; /* all below */
	pthread_cond_t wake;
	struct intent *in;
	size_t nin, capin;
	struct seen *seen; /* sorted by mac: the revision a compare-and-swap compares with */
	size_t nseen, capseen;
	bool stop, kick;
	bool away;        /* etcd is unreachable now (the watch or a call says so) */
	int64_t away_at;  /* since when (monotonic ms) */
	bool away_logged; /* "etcd unreachable" was logged, "etcd back" not yet */
	bool synced;      /* the first range was applied and the watch started */
	bool running;
	pthread_t thread;
	struct etcd_watch *watch;
};

static void say(const struct shared *sh, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(const struct shared *sh, int prio, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (sh->ev.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sh->ev.log(sh->ev.ctx, prio, msg);
}

/*
 * etcd's reachability changed. A watch that moves to the next member on the way to a full
 * outage says "away" and "connected" in turns: the outage is logged once it has lasted
 * AWAY_LOG_MS (by the thread, away_due), and "back" only after it was logged.
 */
static void set_away(struct shared *sh, bool away)
{
	bool back = false;

	pthread_mutex_lock(&sh->lock);
	if (away && !sh->away) {
		sh->away = true;
		sh->away_at = mono_ms();
		sh->kick = true; /* to log it in time */
	} else if (!away) {
		back = sh->away_logged;
		sh->away = sh->away_logged = false;
		sh->kick = true; /* intents may go now */
	}
	pthread_cond_signal(&sh->wake);
	pthread_mutex_unlock(&sh->lock);
	if (back)
		say(sh, LOG_INFO, "etcd back: pending deliveries are recorded now");
}

/* The thread: logs an outage that lasted AWAY_LOG_MS; returns the ms until it is due, or -1. */
static int64_t away_due(struct shared *sh)
{
	int64_t left = -1;
	bool log = false;

	pthread_mutex_lock(&sh->lock);
	if (sh->away && !sh->away_logged) {
		left = sh->away_at + AWAY_LOG_MS - mono_ms();
		log = left <= 0;
		sh->away_logged = log;
		left = log ? -1 : left;
	}
	pthread_mutex_unlock(&sh->lock);
	if (log)
		say(sh, LOG_WARNING,
		    "etcd unreachable: serving the last known state; no delivery and no new epoch "
		    "is recorded until it is back");
	return left;
}

/*
 * etcd's record of mac is rec at revision mod: kept unless a later revision is known (the
 * watch and a compare-and-swap's reply may come in either order). Memory is 24 bytes a device.
 */
static void remember(struct shared *sh, uint64_t mac, int64_t mod, const struct dev_key *rec)
{
	size_t lo = 0, hi;

	pthread_mutex_lock(&sh->lock);
	hi = sh->nseen;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sh->seen[mid].mac < mac)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == sh->nseen || sh->seen[lo].mac != mac) {
		if (sh->nseen == sh->capseen) {
			size_t nc = sh->capseen ? sh->capseen * 2 : 64;
			struct seen *p = realloc(sh->seen, nc * sizeof(*p));

			if (p == NULL) { /* then a compare-and-swap learns it from its reply */
				pthread_mutex_unlock(&sh->lock);
				return;
			}
			sh->seen = p;
			sh->capseen = nc;
		}
		memmove(&sh->seen[lo + 1], &sh->seen[lo], (sh->nseen - lo) * sizeof(*sh->seen));
		sh->nseen++;
		sh->seen[lo] = (struct seen){ mac, 0, 0, KEY_NONE };
	}
	if (mod > sh->seen[lo].mod)
		sh->seen[lo] = (struct seen){ mac, mod, rec->epoch, rec->state };
	pthread_mutex_unlock(&sh->lock);
}

/* What etcd last said of mac: its mod_revision (0: no record known) and, in cur, its epoch
 * and state (the rest zero). */
static int64_t known(struct shared *sh, uint64_t mac, struct dev_key *cur)
{
	size_t lo = 0, hi;
	int64_t mod = 0;

	memset(cur, 0, sizeof(*cur));
	pthread_mutex_lock(&sh->lock);
	hi = sh->nseen;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sh->seen[mid].mac < mac)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sh->nseen && sh->seen[lo].mac == mac) {
		mod = sh->seen[lo].mod;
		cur->epoch = sh->seen[lo].epoch;
		cur->state = sh->seen[lo].state;
	}
	pthread_mutex_unlock(&sh->lock);
	return mod;
}

/*
 * rec (from etcd) for mac, applied to the local view if newer; tells the daemon. *epoch_moved
 * (may be NULL: then keys_changed is called here) is set when an epoch changed.
 */
static int apply_rec(struct shared *sh, uint64_t mac, const struct dev_key *rec, bool *epoch_moved)
{
	struct dev_key was;
	char m[MAC_STRLEN + 1];
	int r = keystore_apply(sh->ks, mac, rec, &was);

	mac_format(mac, true, m);
	if (r < 0) {
		say(sh, LOG_ERR, "key of %s: cannot apply etcd's record (epoch %lu, %s): %s", m,
		    (unsigned long)rec->epoch, state_words[rec->state], strerror(-r));
		return r;
	}
	if (r == 0)
		return 0;
	pthread_mutex_lock(&sh->lock);
	if (sh->nin > 0) { /* a proof here may wait for this served mark */
		sh->kick = true;
		pthread_cond_signal(&sh->wake);
	}
	pthread_mutex_unlock(&sh->lock);
	if (rec->state == KEY_DELIVERED && sh->ev.delivered != NULL)
		sh->ev.delivered(sh->ev.ctx, mac, rec->proof);
	if (was.state != KEY_NONE && was.epoch != rec->epoch) {
		say(sh, LOG_INFO, "key of %s: epoch %lu from etcd (was %lu)", m,
		    (unsigned long)rec->epoch, (unsigned long)was.epoch);
		if (epoch_moved != NULL)
			*epoch_moved = true;
		else if (sh->ev.keys_changed != NULL)
			sh->ev.keys_changed(sh->ev.ctx);
	}
	return 1;
}

/* An etcd key/value of the prefix: its MAC and record, applied. Bad ones are reported. */
static void apply_kv(struct shared *sh, const struct etcd_kv *kv, bool *epoch_moved)
{
	size_t p = strlen(sh->dev_prefix);
	struct dev_key rec;
	uint64_t mac;

	if (kv->key_len != p + MAC_STRLEN || strncmp(kv->key, sh->dev_prefix, p) != 0 ||
	    strspn(kv->key + p, "0123456789ABCDEF") != MAC_STRLEN ||
	    !mac_parse_hex12(kv->key + p, &mac)) {
		say(sh, LOG_WARNING, "etcd: %.300s is not a device's record: ignored", kv->key);
		return;
	}
	if (shared_rec_parse((const char *)kv->value, kv->value_len, &rec) < 0) {
		say(sh, LOG_ERR, "etcd: the record of %s is not a provfs-shared 1 record: ignored",
		    kv->key + p);
		return;
	}
	remember(sh, mac, kv->mod_revision, &rec);
	(void)apply_rec(sh, mac, &rec, epoch_moved);
}

static void on_event(void *ctx, const struct etcd_event *ev)
{
	if (ev->type == ETCD_PUT)
		apply_kv(ctx, &ev->kv, NULL);
}

static void apply_range(struct shared *sh, const struct etcd_range *rg)
{
	bool moved = false;

	for (size_t i = 0; i < rg->n; i++)
		apply_kv(sh, &rg->kvs[i], &moved);
	if (moved && sh->ev.keys_changed != NULL)
		sh->ev.keys_changed(sh->ev.ctx);
}

static void on_reset(void *ctx, const struct etcd_range *snap)
{
	apply_range(ctx, snap);
}

static void on_status(void *ctx, int err)
{
	set_away(ctx, err != 0);
}

/* The first range and the watch from the revision after it. 0 or -errno. */
static int first_sync(struct shared *sh)
{
	const struct etcd_watch_cb cb = { on_event, on_reset, on_status, sh };
	struct etcd_range rg;
	int r = etcd_range_prefix(sh->c, sh->dev_prefix, 0, &rg);

	if (r < 0)
		return r;
	apply_range(sh, &rg);
	r = etcd_watch_start(sh->c, sh->dev_prefix, rg.revision + 1, &cb, &sh->watch);
	if (r == 0)
		say(sh, LOG_INFO, "etcd: %zu device records applied, watching from revision %lld",
		    rg.n, (long long)rg.revision + 1);
	etcd_range_free(&rg);
	return r;
}

/* ---- intents ------------------------------------------------------------------------------ */

static void intent_name(uint64_t mac, char name[32])
{
	char m[MAC_STRLEN + 1];

	mac_format(mac, true, m);
	snprintf(name, 32, SHARED_FILE_PREFIX "%s", m);
}

static struct intent *find_intent(struct shared *sh, uint64_t mac)
{
	for (size_t i = 0; i < sh->nin; i++)
		if (sh->in[i].mac == mac)
			return &sh->in[i];
	return NULL;
}

/* Under the lock: the intent for mac becomes rec, on disk first. */
static int put_intent(struct shared *sh, uint64_t mac, const struct dev_key *rec)
{
	char name[32], line[SHARED_REC_MAX + 1];
	struct intent *it = find_intent(sh, mac);
	int n, r;

	if (it != NULL && !key_rec_newer(&it->rec, rec))
		return 1; /* a delivery intent is not taken back by a later served mark */
	n = shared_rec_format(rec, line, sizeof(line) - 1);
	if (n < 0)
		return n;
	line[n++] = '\n';
	intent_name(mac, name);
	r = state_write(sh->cache, name, line, (size_t)n);
	if (r < 0)
		return r;
	if (it == NULL) {
		if (sh->nin == sh->capin) {
			size_t nc = sh->capin ? sh->capin * 2 : 16;
			struct intent *p = realloc(sh->in, nc * sizeof(*p));

			if (p == NULL)
				return -ENOMEM; /* on disk: pushed after a restart */
			sh->in = p;
			sh->capin = nc;
		}
		it = &sh->in[sh->nin++];
	}
	memset(it, 0, sizeof(*it));
	it->mac = mac;
	it->rec = *rec;
	return 0;
}

/* An intent from the local view's key of mac, now in state `to`. */
static int intent_from_local(struct shared *sh, uint64_t mac, enum key_state to, const char *proof)
{
	struct dev_key k, rec;
	int r = keystore_lookup(sh->ks, mac, &k);

	memset(&rec, 0, sizeof(rec));
	if (r == 0 && k.epoch == 0)
		r = -EINVAL; /* a random key: nothing to share */
	if (r == 0) {
		memcpy(rec.vendor, k.vendor, sizeof(rec.vendor));
		rec.bits = k.bits;
		rec.epoch = k.epoch;
		rec.state = to;
		rec.since = (int64_t)time(NULL);
		if (proof != NULL)
			snprintf(rec.proof, sizeof(rec.proof), "%s", proof);
		pthread_mutex_lock(&sh->lock);
		r = put_intent(sh, mac, &rec);
		sh->kick = true;
		pthread_cond_signal(&sh->wake);
		pthread_mutex_unlock(&sh->lock);
	}
	explicit_bzero(&k, sizeof(k));
	return r;
}

int shared_served(struct shared *sh, uint64_t mac)
{
	return intent_from_local(sh, mac, KEY_SERVED, NULL);
}

int shared_deliver(struct shared *sh, uint64_t mac, const char *proof)
{
	if (!proof_ok(proof))
		return -EINVAL;
	return intent_from_local(sh, mac, KEY_DELIVERED, proof);
}

/* Under the lock: the intent is done unless it changed meanwhile (a newer one came). */
static void drop_intent(struct shared *sh, const struct intent *done)
{
	struct intent *it = find_intent(sh, done->mac);
	char name[32];

	if (it == NULL || key_rec_newer(&done->rec, &it->rec) || it->rec.since != done->rec.since)
		return;
	intent_name(done->mac, name);
	(void)unlinkat(sh->cache->dirfd, name, 0);
	*it = sh->in[--sh->nin];
}

static void set_logged(struct shared *sh, uint64_t mac)
{
	struct intent *it;

	pthread_mutex_lock(&sh->lock);
	it = find_intent(sh, mac);
	if (it != NULL)
		it->logged = true;
	pthread_mutex_unlock(&sh->lock);
}

/*
 * A proof that etcd does not see served yet (another replica's served mark may be on its
 * way): -EINPROGRESS while it may still come, 0 (dropped: nothing proven) after
 * SHARED_PROOF_WAIT_S of reachable etcd.
 */
static int proof_waits(struct shared *sh, const struct intent *it)
{
	int64_t now = mono_ms(), since = now;
	char m[MAC_STRLEN + 1];
	struct intent *cur;

	pthread_mutex_lock(&sh->lock);
	cur = find_intent(sh, it->mac);
	if (cur != NULL && cur->waiting == 0)
		cur->waiting = now;
	else if (cur != NULL)
		since = cur->waiting;
	pthread_mutex_unlock(&sh->lock);
	if (now - since < (int64_t)SHARED_PROOF_WAIT_S * 1000)
		return -EINPROGRESS;
	mac_format(it->mac, false, m);
	say(sh, LOG_INFO,
	    "key of %s: the request for %s came before its plain file was read to the end on any "
	    "replica: nothing proven",
	    m, it->rec.proof);
	return 0;
}

/*
 * One compare-and-swap of want over what etcd held at *mod (0: absent). 0: written, applied
 * here, *mod and *cur now the write's. -ECANCELED: someone wrote first (or no reply came and
 * the key was read back): *mod and *cur are etcd's record now, applied here. Or -errno.
 */
static int cas_rec(struct shared *sh, const char *key, uint64_t mac, int64_t *mod,
                   struct dev_key *cur, const struct dev_key *want)
{
	char line[SHARED_REC_MAX];
	int n = shared_rec_format(want, line, sizeof(line));
	struct etcd_cas op = {
		key, *mod > 0 ? ETCD_CMP_MOD_REVISION : ETCD_CMP_ABSENT, *mod, NULL, 0, line, 0
	};
	struct etcd_kv now;
	int64_t rev = 0;
	int r;

	if (n < 0)
		return n;
	op.value_len = (size_t)n;
	r = etcd_cas(sh->c, &op, &now, &rev);
	if (r == 0) {
		*mod = rev;
		*cur = *want;
		remember(sh, mac, rev, want);
		(void)apply_rec(sh, mac, want, NULL);
		return 0;
	}
	if (r == -ETIMEDOUT) { /* maybe written: what is there now decides */
		r = etcd_get(sh->c, key, &now, NULL);
		if (r == -ENOENT)
			memset(&now, 0, sizeof(now));
		if (r < 0 && r != -ENOENT)
			return r;
	} else if (r != -ECANCELED) {
		return r;
	}
	memset(cur, 0, sizeof(*cur));
	*mod = 0;
	r = -ECANCELED;
	if (now.create_revision != 0 &&
	    shared_rec_parse((const char *)now.value, now.value_len, cur) < 0) {
		r = -EBADMSG;
	} else if (now.create_revision != 0) {
		*mod = now.mod_revision;
		remember(sh, mac, *mod, cur);
		/* what others recorded comes here too, whatever the watch does */
		(void)apply_rec(sh, mac, cur, NULL);
	}
	etcd_kv_free(&now);
	return r;
}

/* This replica's view says served (its own mark, not pushed yet) in epoch. */
static bool served_here(struct shared *sh, uint64_t mac, uint32_t epoch)
{
	struct dev_key k;
	bool yes =
	    keystore_lookup(sh->ks, mac, &k) == 0 && k.epoch == epoch && k.state == KEY_SERVED;

	explicit_bzero(&k, sizeof(k));
	return yes;
}

/*
 * Pushes one intent: 0 when it is done (recorded, or obsolete), -EAGAIN when etcd is away
 * (try again later), -EINPROGRESS for a proof that waits for a served mark, or another
 * -errno. The first compare is with the revision the watch last brought: no read first.
 */
static int push(struct shared *sh, const struct intent *it)
{
	char key[ETCD_PREFIX_MAX + 32], m[MAC_STRLEN + 1];
	struct dev_key cur;
	int64_t mod = known(sh, it->mac, &cur);

	mac_format(it->mac, true, m);
	snprintf(key, sizeof(key), "%s%s", sh->dev_prefix, m);
	for (int round = 0; round < 8; round++) {
		struct dev_key want = it->rec;
		int r;

		if (mod > 0 && (cur.epoch > want.epoch ||
		                (cur.epoch == want.epoch && cur.state >= want.state)))
			return 0; /* done by someone, or obsolete: a newer epoch; never twice */
		if (mod > 0 && cur.epoch < want.epoch) {
			say(sh, LOG_ERR,
			    "key of %s: etcd has epoch %lu, this replica %lu: its %s is not "
			    "recorded",
			    m, (unsigned long)cur.epoch, (unsigned long)want.epoch,
			    state_words[want.state]);
			return 0;
		}
		/* absent or pending: served first, if served here; delivered only over served */
		if ((mod == 0 || cur.state == KEY_PENDING) && want.state == KEY_DELIVERED &&
		    !served_here(sh, it->mac, want.epoch))
			return proof_waits(sh, it);
		if (mod == 0 || cur.state == KEY_PENDING) {
			want.state = KEY_SERVED;
			want.proof[0] = '\0';
		}
		r = cas_rec(sh, key, it->mac, &mod, &cur, &want);
		if (r == 0 && want.state == it->rec.state)
			return 0;
		if (r < 0 && r != -ECANCELED)
			return r;
		/* served now (the delivery over it next), or etcd's record changed: decide again */
	}
	return -EAGAIN;
}

/* Pushes every intent once, in a copy of the list (new ones come meanwhile). Returns whether
 * some must be tried again. */
static bool push_all(struct shared *sh)
{
	struct intent *todo;
	bool again = false, away = false;
	size_t n;

	pthread_mutex_lock(&sh->lock);
	n = sh->nin;
	todo = n > 0 ? malloc(n * sizeof(*todo)) : NULL;
	if (todo != NULL)
		memcpy(todo, sh->in, n * sizeof(*todo));
	pthread_mutex_unlock(&sh->lock);
	if (todo == NULL)
		return n > 0;
	for (size_t i = 0; i < n && !away; i++) {
		int r = push(sh, &todo[i]);

		if (r == 0) {
			pthread_mutex_lock(&sh->lock);
			drop_intent(sh, &todo[i]);
			pthread_mutex_unlock(&sh->lock);
			continue;
		}
		if (r == -EINPROGRESS) {
			again = true; /* a proof waiting for a served mark: soon */
			continue;
		}
		if (r != -EAGAIN && r != -ETIMEDOUT && !todo[i].logged) {
			char m[MAC_STRLEN + 1];

			mac_format(todo[i].mac, true, m);
			say(sh, LOG_ERR, "key of %s: cannot record its %s in etcd: %s (retrying)",
			    m, state_words[todo[i].rec.state], strerror(-r));
			set_logged(sh, todo[i].mac);
		}
		again = true;
		/* no etcd: the others would wait as long, each for a whole call's deadline */
		away = r == -EAGAIN || r == -ETIMEDOUT;
	}
	free(todo);
	return again;
}

static void *sync_main(void *arg)
{
	struct shared *sh = arg;
	int backoff = RETRY_MIN_MS;

	for (;;) {
		bool again = false;
		struct timespec until;
		int64_t wait, due;

		pthread_mutex_lock(&sh->lock);
		if (sh->stop) {
			pthread_mutex_unlock(&sh->lock);
			break;
		}
		sh->kick = false;
		pthread_mutex_unlock(&sh->lock);
		if (!sh->synced) {
			int r = first_sync(sh);

			sh->synced = r == 0;
			if (r < 0)
				set_away(sh, true);
			else
				set_away(sh, false);
		}
		if (sh->synced)
			again = push_all(sh);
		again = again || !sh->synced;
		backoff = again ? (backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2)
		                : RETRY_MIN_MS;
		wait = again ? backoff : 3600 * 1000;
		due = away_due(sh);
		if (due >= 0 && due < wait)
			wait = due + 1;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait / 1000;
		until.tv_nsec += (long)(wait % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&sh->lock);
		while (!sh->stop && !sh->kick &&
		       pthread_cond_timedwait(&sh->wake, &sh->lock, &until) == 0)
			;
		pthread_mutex_unlock(&sh->lock);
	}
	return NULL;
}

/* The intents a previous run left in the cache directory. */
static int load_intents(struct shared *sh)
{
	int dfd = dup(sh->cache->dirfd), r = 0;
	struct dirent *e;
	DIR *d;

	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return -errno;
	}
	rewinddir(d);
	while (r == 0 && (e = readdir(d)) != NULL) {
		size_t p = strlen(SHARED_FILE_PREFIX);
		struct dev_key rec;
		struct buf text;
		uint64_t mac;

		if (strncmp(e->d_name, SHARED_FILE_PREFIX, p) != 0 ||
		    strlen(e->d_name) != p + MAC_STRLEN || !mac_parse_hex12(e->d_name + p, &mac))
			continue;
		buf_init(&text);
		r = state_read(sh->cache, e->d_name, &text);
		if (r == 0 && (text.len < 2 || text.data[text.len - 1] != '\n' ||
		               shared_rec_parse((const char *)text.data, text.len - 1, &rec) < 0)) {
			say(sh, LOG_ERR, "%s/%s is damaged: ignored (remove it)", sh->cache->path,
			    e->d_name);
		} else if (r == 0) {
			r = put_intent(sh, mac, &rec);
			r = r > 0 ? 0 : r;
		} else if (r == -ENOENT) {
			r = 0;
		} else if (r == -ELOOP || r == -EINVAL || r == -EISDIR || r == -EFBIG) {
			/* not a file we wrote (a symlink, a FIFO...): as damaged, not fatal */
			say(sh, LOG_ERR, "%s/%s is not an intent (%s): ignored (remove it)",
			    sh->cache->path, e->d_name, strerror(-r));
			r = 0;
		}
		buf_free(&text);
	}
	closedir(d);
	return r;
}

int shared_open(const char *url, const struct state *cache, struct keystore *ks,
                const struct shared_events *ev, struct shared **out, char *err, size_t errlen)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	int r;

	*out = NULL;
	if (sh == NULL)
		return -ENOMEM;
	pthread_mutex_init(&sh->lock, NULL);
	pthread_cond_init(&sh->wake, NULL);
	sh->cache = cache;
	sh->ks = ks;
	if (ev != NULL)
		sh->ev = *ev;
	r = etcd_client_new(url, &sh->c, err, errlen);
	if (r == 0 && asprintf(&sh->dev_prefix, "%s/dev/", etcd_client_prefix(sh->c)) < 0) {
		sh->dev_prefix = NULL;
		r = -ENOMEM;
	}
	if (r == 0) {
		r = load_intents(sh);
		if (r < 0)
			snprintf(err, errlen, "cannot read the intents in %s: %s", cache->path,
			         strerror(-r));
	} else if (r == -ENOMEM) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	}
	if (r < 0) {
		shared_free(sh);
		return r;
	}
	*out = sh;
	return 0;
}

int shared_start(struct shared *sh)
{
	int r = pthread_create(&sh->thread, NULL, sync_main, sh);

	if (r != 0)
		return -r;
	sh->running = true;
	return 0;
}

void shared_free(struct shared *sh)
{
	if (sh == NULL)
		return;
	pthread_mutex_lock(&sh->lock);
	sh->stop = true;
	pthread_cond_signal(&sh->wake);
	pthread_mutex_unlock(&sh->lock);
	/* a call to a frozen member would hold the thread for a whole deadline, or two */
	if (sh->c != NULL)
		etcd_client_cancel(sh->c);
	if (sh->running)
		pthread_join(sh->thread, NULL);
	if (sh->watch != NULL)
		etcd_watch_stop(sh->watch);
	etcd_client_free(sh->c);
	free(sh->dev_prefix);
	free(sh->in);
	free(sh->seen);
	pthread_cond_destroy(&sh->wake);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

/* ---- provctl ------------------------------------------------------------------------------ */

int shared_rekey(const char *url, uint64_t mac, const char *vendor, unsigned bits, uint32_t *epoch,
                 char *err, size_t errlen)
{
	char key[ETCD_PREFIX_MAX + 32], m[MAC_STRLEN + 1], line[SHARED_REC_MAX];
	struct etcd_client *c;
	int r = etcd_client_new(url, &c, err, errlen);

	*epoch = 0;
	if (r < 0)
		return r;
	mac_format(mac, true, m);
	snprintf(key, sizeof(key), "%s/dev/%s", etcd_client_prefix(c), m);
	r = -ECANCELED;
	for (int round = 0; round < 8 && r == -ECANCELED; round++) {
		struct dev_key cur, want;
		struct etcd_kv kv;
		struct etcd_cas op;
		int64_t mod = 0;
		int n;

		memset(&cur, 0, sizeof(cur));
		cur.epoch = 1; /* no record: every replica is at epoch 1 */
		r = etcd_get(c, key, &kv, NULL);
		if (r == 0) {
			mod = kv.mod_revision;
			r = shared_rec_parse((const char *)kv.value, kv.value_len, &cur);
			etcd_kv_free(&kv);
		} else if (r == -ENOENT) {
			r = 0;
		}
		if (r < 0)
			break;
		if (cur.epoch == UINT32_MAX) {
			r = -EOVERFLOW;
			break;
		}
		memset(&want, 0, sizeof(want));
		snprintf(want.vendor, sizeof(want.vendor), "%s", vendor);
		want.bits = bits;
		want.epoch = cur.epoch + 1;
		want.state = KEY_PENDING;
		want.since = (int64_t)time(NULL);
		n = shared_rec_format(&want, line, sizeof(line));
		if (n < 0) {
			r = n;
			break;
		}
		op = (struct etcd_cas){ key,      mod > 0 ? ETCD_CMP_MOD_REVISION : ETCD_CMP_ABSENT,
			                mod,      NULL,
			                0,        line,
			                (size_t)n };
		r = etcd_cas(c, &op, NULL, NULL);
		if (r == 0)
			*epoch = want.epoch;
	}
	etcd_client_free(c);
	return r == -ECANCELED ? -EAGAIN : r;
}

int shared_records(const char *url, shared_rec_fn fn, void *ctx, char *err, size_t errlen)
{
	struct etcd_client *c;
	struct etcd_range rg;
	char *prefix = NULL;
	int r = etcd_client_new(url, &c, err, errlen);

	if (r < 0)
		return r;
	if (asprintf(&prefix, "%s/dev/", etcd_client_prefix(c)) < 0) {
		etcd_client_free(c);
		return -ENOMEM;
	}
	r = etcd_range_prefix(c, prefix, 0, &rg);
	for (size_t i = 0; r == 0 && i < rg.n; i++) {
		const struct etcd_kv *kv = &rg.kvs[i];
		size_t p = strlen(prefix);
		struct dev_key rec;
		uint64_t mac = 0;

		if (kv->key_len == p + MAC_STRLEN &&
		    strspn(kv->key + p, "0123456789ABCDEF") == MAC_STRLEN &&
		    mac_parse_hex12(kv->key + p, &mac) &&
		    shared_rec_parse((const char *)kv->value, kv->value_len, &rec) == 0)
			fn(ctx, mac, &rec, NULL);
		else
			fn(ctx, mac, NULL, kv->key);
	}
	if (r == 0)
		etcd_range_free(&rg);
	free(prefix);
	etcd_client_free(c);
	return r;
}
