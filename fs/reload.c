/*
 * reload.c - SIGHUP or an inventory edit -> reloader thread -> new generation + invalidation.
 *
 * Edits are seen through inotify (watch.c) and debounced: a reload starts once the
 * inventory's files have been quiet for DEBOUNCE_QUIET_MS, or DEBOUNCE_MAX_MS after the
 * first event of a burst (git checkout, an editor's save dance), so an edit is served
 * within a second and a burst makes one reload.
 *
 * The pipe carries fixed 9-byte records (a type byte, then a MAC for delivery records);
 * writes that small are atomic and reads ask for a multiple of 9 bytes, so records never
 * split. Notify calls run on this thread only, never inside a request handler, as libfuse
 * requires; an -ENOENT from the kernel only means it had nothing cached for that name.
 */
#include "fs/reload.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/files.h"
#include "backend/params.h"
#include "backend/tree.h"
#include "fs/audit.h"
#include "fs/cache.h"
#include "fs/gen.h"
#include "state/keys.h"
#include "fs/log.h"
#include "state/snapshot.h"
#include "state/state.h"
#include "fs/watch.h"
#include "inventory/inventory.h"

enum {
	WAKE_RELOAD = 'r',
	WAKE_QUIT = 'q',
	WAKE_DELIVERED = 'd', /* a device's plain key file is gone: forget its name */
};

#define RECORD 9

#define DEBOUNCE_QUIET_MS 150
#define DEBOUNCE_MAX_MS   500

/* How long an unmount waits for the reloader (a 100,000-device load takes about a second). */
#define RELOAD_STOP_WAIT_S 3

/* The write end for the signal handler: a handler can reach nothing else. */
static volatile sig_atomic_t wake_fd = -1;

static void record(unsigned char rec[RECORD], char type, uint64_t mac)
{
	rec[0] = (unsigned char)type;
	for (int i = 0; i < 8; i++)
		rec[1 + i] = (unsigned char)(mac >> (56 - 8 * i));
}

static void on_sighup(int sig)
{
	unsigned char rec[RECORD];
	int saved = errno;

	(void)sig;
	record(rec, WAKE_RELOAD, 0);
	if (wake_fd >= 0 && write(wake_fd, rec, RECORD) < 0) {
		/* the pipe is full: a reload is already pending */
	}
	errno = saved;
}

/* What a reload changed, name by name, as the kernel may have cached it. */
struct diff {
	struct fuse_session *se;
	struct gen *old, *cur;
	unsigned added, removed; /* files */
};

static void forget_name(const struct diff *d, const char *name)
{
	if (d->se != NULL)
		fuse_lowlevel_notify_inval_entry(d->se, FILE_INO_ROOT, name, strlen(name));
}

/* Whether name is ref's canonical name: counts each file once, not once per alias. */
static bool canonical(const struct file_ref *ref, const char *name)
{
	char buf[FILE_NAME_MAX + 1];

	return file_name(ref, buf, sizeof(buf)) > 0 && strcmp(buf, name) == 0;
}

/*
 * A name of the old generation: the kernel forgets it unless it now names the same file
 * under the same node id (same bytes). Files the old generation never rendered were never
 * looked up, so the kernel cannot hold their names.
 */
static int diff_old_name(void *ctx, const struct file_ref *ref, const char *name)
{
	struct diff *d = ctx;
	uint64_t ino = file_ino(d->old->tree, ref);
	const struct cached_file *was, *is;
	struct file_ref now;
	int64_t until;

	if (file_resolve(d->cur->tree, name, &now) < 0) {
		if (canonical(ref, name) && file_from_ino(d->cur->tree, ino, &now) < 0)
			d->removed++;
		forget_name(d, name);
	} else if (file_ino(d->cur->tree, &now) != ino ||
	           file_enrol_window(d->cur->tree, &now, &until)) {
		/* another file now, or one with an enrolment window: the kernel may hold the name
		 * for longer than the window lasts now */
		forget_name(d, name);
	} else if ((was = cache_peek(d->old->cache, ino)) != NULL) {
		is = cache_peek(d->cur->cache, ino);
		if (is == NULL || is->nodeid != was->nodeid)
			forget_name(d, name);
	}
	return 0;
}

/* A name new in this generation: the kernel may hold it as "no such file". */
static int diff_new_name(void *ctx, const struct file_ref *ref, const char *name)
{
	struct diff *d = ctx;
	struct file_ref was;

	if (file_resolve(d->old->tree, name, &was) == 0)
		return 0; /* seen from the old side */
	forget_name(d, name);
	if (canonical(ref, name) &&
	    file_from_ino(d->old->tree, file_ino(d->cur->tree, ref), &was) < 0)
		d->added++;
	return 0;
}

static void invalidate(struct diff *d)
{
	file_foreach(d->old->tree, true, diff_old_name, d);
	file_foreach(d->cur->tree, true, diff_new_name, d);
	/* the directory's attributes (mtime) and listing */
	if (d->se != NULL)
		fuse_lowlevel_notify_inval_inode(d->se, FILE_INO_ROOT, 0, 0);
}

/*
 * The current generation lets go of its retained bytes for the time of a reload (retain
 * false), or retains again after a reload that failed (true): the old bytes are not held while
 * the new inventory is parsed and its files rendered. Readers keep the bytes they hold; a reader of
 * the old generation meanwhile gets its bytes rendered again (fs/cache.h, "Memory").
 */
static void current_retains(bool retain)
{
	struct gen *cur = gen_acquire();

	if (cur == NULL)
		return;
	if (retain) {
		cache_keep(cur->cache);
	} else if (cache_drop(cur->cache) > 0) {
		malloc_trim(0);
	}
	gen_put(cur);
}

/* One share of the digests: devices [from, to) of t into v. */
struct digest_job {
	const struct tree *t;
	uint64_t *v;
	uint32_t from, to;
};

static void *digest_range(void *arg)
{
	const struct digest_job *j = arg;

	for (uint32_t i = j->from; i < j->to; i++)
		if (device_digest(j->t, &j->t->inv->devices[i], &j->v[i]) < 0)
			j->v[i] = 0; /* cannot say: counted as changed */
	return NULL;
}

/*
 * What decides each device's files (params.h), in the order of t's devices; NULL: no memory.
 * On two threads, as the reload renders: 100,000 devices take about 0.35 s of one core.
 */
static uint64_t *digest_devices(const struct tree *t)
{
	uint32_t n = t->inv->ndevices;
	uint64_t *v = calloc(n ? n : 1, sizeof(*v));
	struct digest_job half[2] = { { t, v, 0, n / 2 }, { t, v, n / 2, n } };
	pthread_t other;
	bool two;

	if (v == NULL)
		return NULL;
	two = n >= 1000 && pthread_create(&other, NULL, digest_range, &half[1]) == 0;
	digest_range(&half[0]);
	if (two)
		pthread_join(other, NULL);
	else
		digest_range(&half[1]);
	return v;
}

/* Devices whose files changed, came or went between two generations' trees. */
struct dev_count {
	unsigned changed, added, removed;
};

static void count_devices(struct provfs *fs, const struct tree *old, const struct tree *cur,
                          struct dev_count *c)
{
	uint64_t *now = digest_devices(cur), *was = fs->digests;

	if (was == NULL)
		was = digest_devices(old); /* the first reload: the mount digested nothing */
	memset(c, 0, sizeof(*c));
	for (uint32_t i = 0; i < cur->inv->ndevices; i++) {
		const struct device *d = inventory_find(old->inv, cur->inv->devices[i].mac);

		if (d == NULL)
			c->added++;
		else if (now == NULL || was == NULL || now[i] == 0 ||
		         now[i] != was[d - old->inv->devices])
			c->changed++;
	}
	for (uint32_t i = 0; i < old->inv->ndevices; i++)
		if (inventory_find(cur->inv, old->inv->devices[i].mac) == NULL)
			c->removed++;
	free(was);
	fs->digests = now;
}

/* Keeps the copy provctl diff compares an edit with (state/snapshot.h). */
void reload_keep_copy(struct provfs *fs)
{
	int r = snapshot_save(&fs->state, fs->inventory);

	if (r < 0)
		log_msg(LOG_WARNING,
		        "cannot keep a copy of %s in %s/" SNAPSHOT_DIR
		        ": %s: provctl diff with one "
		        "inventory cannot see what this generation serves",
		        fs->inventory, fs->state.path, strerror(-r));
}

/*
 * Makes tree t the next generation: the files the current one rendered are rendered again
 * (before the swap, so that versions are known, and the first fetch after a reload finds the
 * bytes the budget retained), the new generation goes live, and the kernel forgets the names
 * that changed. keep_copy: the inventory on disk is t's (a reload, not a keys-only install), so
 * STATE/live is refreshed, before the log line says so.
 */
static int install(struct provfs *fs, struct tree *t, const char *why, bool keep_copy)
{
	struct gen *g = gen_new(t, fs->generation + 1, fs->retain), *old;
	struct diff d = { fs->se, NULL, NULL, 0, 0 };
	struct dev_count dc;
	int changed;

	if (g == NULL) {
		tree_free(t);
		log_msg(LOG_ERR, "reload: out of memory: still serving generation %llu",
		        (unsigned long long)fs->generation);
		current_retains(true);
		return -ENOMEM;
	}
	old = gen_acquire(); /* only this thread swaps: it stays current until the swap */
	changed = cache_carry(g->cache, g->tree, old->cache, old->tree);
	if (changed < 0) {
		log_msg(LOG_ERR, "reload: cannot render generation %llu: %s: still serving %llu",
		        (unsigned long long)fs->generation + 1, strerror(-changed),
		        (unsigned long long)fs->generation);
		gen_put(g);
		gen_put(old);
		current_retains(true);
		return changed;
	}
	count_devices(fs, old->tree, g->tree, &dc);
	fs->generation++;
	gen_put(gen_swap(g));
	d.old = old;
	d.cur = g;
	invalidate(&d);
	/* before the log line: whoever waits for "reloaded" finds the copy diff -s compares with */
	if (keep_copy)
		reload_keep_copy(fs);
	log_msg(LOG_INFO,
	        "%s %s: generation %llu, %u devices; devices: %u changed, %u added, %u removed; "
	        "files: %d re-rendered, %u added, %u removed",
	        why, fs->inventory, (unsigned long long)g->number, (unsigned)t->inv->ndevices,
	        dc.changed, dc.added, dc.removed, changed, d.added, d.removed);
	gen_put(old);
	/*
	 * The old generation's rendered bytes are free now (unless readers still hold it):
	 * give the memory back, or glibc keeps every reload's peak resident (bench/scale.sh).
	 */
	malloc_trim(0);
	return 0;
}

int reload_now(struct provfs *fs)
{
	bool keys_changed = false;
	struct tree *t;
	struct diag d;
	int r;

	current_retains(false);
	if (fs->keys != NULL && keystore_reload(fs->keys, &keys_changed) < 0)
		log_msg(LOG_ERR, "reload: cannot read the keys in %s", fs->state.path);
	diag_init(&d);
	r = tree_load(fs->inventory, fs->keys ? keystore_source(fs->keys) : NULL, &t, &d);
	malloc_trim(0); /* the parse tree is gone: its pages must not add to the carry's */
	free(fs->secrets_tried);
	fs->secrets_tried = r < 0 ? d.secrets_path : NULL; /* a good load's is the generation's */
	if (r < 0)
		d.secrets_path = NULL;
	if (r == 0) {
		diag_free(&d);
		return install(fs, t, "reloaded", true);
	}
	for (size_t i = 0; i < d.n; i++)
		log_msg(LOG_ERR, "%s", d.msgs[i]);
	diag_free(&d);
	if (!keys_changed) {
		log_msg(LOG_ERR, "reload of %s failed: still serving generation %llu",
		        fs->inventory, (unsigned long long)fs->generation);
		current_retains(true);
		return r;
	}
	/* keys changed (provctl rekey): they must take effect even while the edit is broken */
	{
		struct gen *cur = gen_acquire();

		t = tree_ref(cur->tree);
		gen_put(cur);
	}
	log_msg(LOG_ERR, "reload of %s failed: keeping its last good inventory with the new keys",
	        fs->inventory);
	return install(fs, t, "keys reloaded for", false);
}

/*
 * The key of a device was delivered: the kernel must drop what it holds of its carrier files.
 * Their names need no invalidation: until delivery a carrier's entry is cached for 0 s
 * (fs/ops.c, key_flow_lookup), so the next path walk asks again. None is sent on purpose:
 * fuse_lowlevel_notify_inval_entry takes the directory's lock in the kernel, uninterruptibly,
 * and a lookup in that directory holds it while it waits for our answer. Should the daemon
 * be killed in between, this thread never returns, /dev/fuse stays open, and every reader of
 * the mount hangs until the connection is aborted (README, "Troubleshooting"). A delivery
 * happens under phone traffic, so the window would be hit; a reload is rarer and keeps it.
 * Invalidating the inode takes no directory lock (a carrier is direct I/O: no pages).
 */
static void forget_key_file(struct provfs *fs, uint64_t mac)
{
	struct gen *g = gen_acquire();
	const struct device *dev = inventory_find(g->tree->inv, mac);
	const struct vendor *v = dev != NULL && dev->model != NULL ? vendor_of(dev->model) : NULL;

	for (unsigned k = 1; v != NULL && fs->se != NULL && k < v->nkinds; k++) {
		struct file_ref ref = { v, k, dev, dev->model, NULL };

		if (!(v->kinds[k] & KF_KEY_CARRIER))
			continue;
		fuse_lowlevel_notify_inval_inode(
		    fs->se, cache_nodeid(g->cache, file_ino(g->tree, &ref)), 0, 0);
	}
	gen_put(g);
}

/* Reads the self-pipe: what it asks for (reload, quit), after forgetting delivered names. */
static void read_wake(struct provfs *fs, int *reload, int *quit)
{
	unsigned char buf[RECORD * 16];
	ssize_t n;

	/* several SIGHUPs in a row make one reload */
	while ((n = read(fs->wake[0], buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i + RECORD <= n; i += RECORD) {
			uint64_t mac = 0;

			for (int k = 0; k < 8; k++)
				mac = mac << 8 | buf[i + 1 + k];
			*quit |= buf[i] == WAKE_QUIT;
			*reload |= buf[i] == WAKE_RELOAD;
			if (buf[i] == WAKE_DELIVERED)
				forget_key_file(fs, mac);
		}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An edit burst: when its first and its latest event came (0: none pending). */
struct burst {
	int64_t first, last;
};

static int poll_timeout(const struct burst *b)
{
	int64_t due, left;

	if (b->first == 0)
		return -1;
	due = b->last + DEBOUNCE_QUIET_MS;
	if (due > b->first + DEBOUNCE_MAX_MS)
		due = b->first + DEBOUNCE_MAX_MS;
	left = due - now_ms();
	return left > 0 ? (int)left : 0;
}

/*
 * The current generation's secrets file counts as the inventory: an edit, a chmod or a
 * replacement of it reloads (a bad one then keeps the last good generation). So does the one
 * the last failed reload named: the fix its message asks for (a chmod) must reload too.
 * Re-arms.
 */
static int rearm_watch(struct provfs *fs, struct watch *w)
{
	struct gen *g = gen_acquire();
	int r = watch_also(w, g != NULL ? g->tree->inv->secrets_path : NULL, fs->secrets_tried);

	if (g != NULL)
		gen_put(g);
	return r < 0 ? r : watch_rearm(w);
}

static void *reload_main(void *arg)
{
	struct provfs *fs = arg;
	struct pollfd pfd[2] = { { .fd = fs->wake[0], .events = POLLIN }, { .fd = -1 } };
	struct burst burst = { 0, 0 };
	struct watch *w = NULL;
	int r = fs->watch ? watch_open(fs->inventory, &w) : 0;

	if (r < 0)
		log_msg(LOG_WARNING, "cannot watch %s (%s): reload with SIGHUP", fs->inventory,
		        strerror(-r));
	else if (w != NULL)
		pfd[1] = (struct pollfd){ .fd = watch_fd(w), .events = POLLIN };
	if (w != NULL && rearm_watch(fs, w) < 0)
		log_msg(LOG_WARNING, "cannot watch the secrets file of %s: reload with SIGHUP",
		        fs->inventory);
	{
		/* the mount's generation, digested now (off the request path), not at the first
		 * reload */
		struct gen *cur = gen_acquire();

		fs->digests = digest_devices(cur->tree);
		gen_put(cur);
	}
	for (;;) {
		int quit = 0, reload = 0, n = poll(pfd, 2, poll_timeout(&burst));

		if (n < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "reloader: poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && (pfd[0].revents & POLLIN))
			read_wake(fs, &reload, &quit);
		if (quit)
			break;
		if (n > 0 && (pfd[1].revents & POLLIN) && watch_drain(w) > 0) {
			burst.last = now_ms();
			if (burst.first == 0)
				burst.first = burst.last;
		}
		if (burst.first != 0 && poll_timeout(&burst) == 0)
			reload = 1;
		if (!reload)
			continue;
		burst.first = 0;
		reload_now(fs);
		/* symlinks may point elsewhere now, files may have come or gone */
		if (w != NULL && rearm_watch(fs, w) < 0)
			log_msg(LOG_WARNING, "cannot watch all of %s again: reload with SIGHUP",
			        fs->inventory);
	}
	watch_close(w);
	return NULL;
}

int reload_key_delivered(struct provfs *fs, uint64_t mac)
{
	unsigned char rec[RECORD];

	record(rec, WAKE_DELIVERED, mac);
	return write(fs->wake[1], rec, RECORD) == RECORD ? 0 : -errno;
}

int reload_request(struct provfs *fs)
{
	unsigned char rec[RECORD];

	record(rec, WAKE_RELOAD, 0);
	return write(fs->wake[1], rec, RECORD) == RECORD ? 0 : -errno;
}

int reload_start(struct provfs *fs)
{
	struct sigaction sa;
	int r;

	if (pipe2(fs->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	wake_fd = fs->wake[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	/* replaces libfuse's handler, which would end the session on SIGHUP */
	if (sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	r = pthread_create(&fs->reloader, NULL, reload_main, fs);
	if (r != 0) {
		signal(SIGHUP, SIG_IGN);
		return -r;
	}
	fs->reloader_running = 1;
	return 0;
}

/*
 * The reloader did not stop in time: it is blocked or busy in a load (an inventory or firmware
 * directory on a hung network or FUSE file system). It owns the session's notifications, the
 * generations and the keys, so nothing it may still touch is torn down under it: what must
 * survive is written (the audit's last fetch records, the pid file removed), the mount is
 * undone if a signal rather than an unmount ended the loop, and the process ends at once.
 */
static _Noreturn void abandon_reloader(struct provfs *fs)
{
	log_msg(LOG_ERR,
	        "reloader still busy %d s after the unmount (a reload is blocked reading the "
	        "inventory or firmware): exiting without it",
	        RELOAD_STOP_WAIT_S);
	unlinkat(fs->state.dirfd, PID_FILE, 0);
	if (fs->se != NULL)
		fuse_session_unmount(fs->se);
	audit_free(fs->audit);
	_exit(0);
}

void reload_stop(struct provfs *fs)
{
	unsigned char rec[RECORD];
	struct timespec until;

	if (!fs->reloader_running)
		return;
	signal(SIGHUP, SIG_IGN);
	wake_fd = -1;
	record(rec, WAKE_QUIT, 0);
	if (write(fs->wake[1], rec, RECORD) < 0) {
		/* cannot happen with an empty pipe; the join would time out, so say why */
		log_msg(LOG_ERR, "reloader: cannot wake: %s", strerror(errno));
	}
	/* an unmount must end the daemon within seconds, whatever the reloader is doing */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RELOAD_STOP_WAIT_S;
	if (pthread_timedjoin_np(fs->reloader, NULL, &until) != 0)
		abandon_reloader(fs);
	fs->reloader_running = 0;
	free(fs->digests);
	fs->digests = NULL;
	free(fs->secrets_tried);
	fs->secrets_tried = NULL;
	close(fs->wake[0]);
	close(fs->wake[1]);
}
