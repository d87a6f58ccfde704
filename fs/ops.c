/*
 * ops.c - lookup, getattr, open, read, release and directory listing.
 *
 * Every handler takes a reference to the current generation, answers from it with exactly
 * one reply, and drops the reference; an open file keeps its own reference until release,
 * so it reads the bytes of the generation it was opened on even across a reload.
 *
 * Caching (FUSE.md §2): sizes are exact at lookup (rendered then), entries, attributes and
 * pages are kept long by the kernel (keep_cache, long timeouts) and unknown names are cached
 * as negative entries; a reload invalidates the names that changed explicitly. The kernel's
 * node ids carry a version of the bytes (fs/cache.h): a node id of bytes the current
 * generation no longer serves gets ESTALE, on which the kernel looks the name up again, so
 * a cached name can never open other bytes than the size it reported, and the kernel's pages
 * of a node id are always the bytes of one version: keep_cache is safe for every file.
 *
 * Device files (a MAC in the name) are kept in the kernel's page cache too (audit=cached, the
 * default): every open still comes here and is logged, the first read of each version of a
 * file comes here, and repeats are served by the kernel at the speed of a static file. What
 * each repeat delivered, and to which address, is in the file server's own log (README,
 * "Audit"). With audit=exact they are opened without keep_cache, so every open reads its
 * bytes from here and each fetch is recorded complete or partial, at the price measured by
 * make bench. The plain Panasonic key file is direct I/O in both modes (the key flow).
 *
 * Enrolment windows (backend/files.h, file_enrol_window): a file that bootstraps a phone with a
 * secret in the clear and whose device has an `enroll_until` is looked up, opened and read
 * against the wall clock of the request, never the generation's: once the window ends it is
 * not found (ENOENT), without a reload. So that no cache outlives the window, its entry and
 * attributes are cached only until the window ends and it is direct I/O (no pages, every read
 * comes here: a descriptor a server kept open gets EIO after the end).
 */
#include "fs/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/vendor.h"
#include "fs/audit.h"
#include "fs/cache.h"
#include "fs/gen.h"
#include "fs/log.h"
#include "fs/reload.h"
#include "inventory/enroll.h"
#include "inventory/mac.h"

#define TIMEOUT 86400.0 /* entries and attributes: changes are pushed by invalidation */
/*
 * Unknown names: cached for one second. A reload invalidates the names it knows, but a
 * phone may have asked for a new MAC in another letter case: a short negative TTL makes
 * every such name appear within a second, while a scan still costs one LOOKUP per name
 * per second.
 */
#define NEG_TIMEOUT 1.0

/*
 * One open file: the generation it was opened on, and its bytes or its real file. The bytes
 * are taken at the first read that the kernel's page cache did not answer, and held (a
 * reference) until release, whatever the cache does with its own.
 */
struct handle {
	struct gen *gen;
	const struct cached_file *cf;    /* what it was opened on (lives as long as gen) */
	struct file_ref ref;             /* rendered files: what to render (points into gen) */
	_Atomic(struct content *) bytes; /* rendered files: NULL until the first read */
	int fd;                          /* passthrough files (firmware), else -1 */
	uint64_t size;
	uint64_t nodeid;
	time_t mtime;
	struct audit_progress progress; /* what this reader got */
	bool audited;                   /* a device file: */
	uint64_t mac;                   /* its MAC */
	char name[FILE_NAME_MAX + 1];   /* its canonical name (firmware too: messages) */
	bool key_file;                  /* a plain file that carries the device's key: */
	atomic_bool served;             /* ... read to its end by this reader */
	atomic_bool short_logged;       /* firmware: a short read was logged for this handle */
	bool windowed;                  /* an enrolment window ends this file at: */
	int64_t window_end;             /* ... (seconds, UTC) */
};

/* A directory listing, snapshotted at opendir. */
struct dirlist {
	char *buf;
	size_t len;
};

static const struct provfs *ctx_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* A file's enrolment window as one request sees it (see the head comment). */
struct window {
	bool has;      /* the file has one: */
	int64_t until; /* ... its end (seconds, UTC) */
	bool closed;   /* ... it ended: the file is not found */
	double left;   /* ... seconds left, to the nanosecond (the kernel's caches end with it) */
};

static const struct window no_window = { false, 0, false, 0.0 };

static struct window window_of(const struct gen *g, const struct file_ref *ref)
{
	struct window w = no_window;
	struct timespec now;

	if (!file_enrol_window(g->tree, ref, &w.until))
		return w;
	clock_gettime(CLOCK_REALTIME, &now);
	w.has = true;
	w.closed = enroll_closed(w.until, (int64_t)now.tv_sec);
	w.left = (double)(w.until - (int64_t)now.tv_sec) - (double)now.tv_nsec / 1e9;
	return w;
}

/* How long the kernel may keep the name and attributes of a file with window w. */
static double window_timeout(const struct window *w)
{
	return !w->has                       ? TIMEOUT
	       : w->closed || w->left <= 0.0 ? 0.0
	       : w->left < TIMEOUT           ? w->left
	                                     : TIMEOUT;
}

static void fill_file_attr(struct stat *st, uint64_t nodeid, uint64_t size, time_t mtime)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = nodeid;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_mtime = st->st_ctime = st->st_atime = mtime;
}

static void fill_root_attr(struct stat *st, const struct gen *g)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = FILE_INO_ROOT;
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	st->st_blksize = 4096;
	st->st_mtime = st->st_ctime = st->st_atime = cache_mtime(g->cache);
}

/*
 * The file of generation g the kernel means by nodeid: -ENOENT if g has no such file,
 * -ESTALE if g serves other bytes under that inode number (the kernel then looks the name up
 * again). Returns 0 or -errno.
 */
static int file_of_node(struct gen *g, uint64_t nodeid, struct file_ref *ref,
                        const struct cached_file **cf)
{
	int r = file_from_ino(g->tree, nodeid & CACHE_INO_MASK, ref);

	*cf = NULL;
	if (r == 0)
		r = cache_get(g->cache, g->tree, ref, cf);
	if (r < 0)
		return r;
	return *cf != NULL && (*cf)->nodeid == nodeid ? 0 : -ESTALE;
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct cached_file *cf;
	struct file_ref ref;
	struct stat st;
	struct gen *g;
	int r;

	if (fi != NULL && ino != FILE_INO_ROOT) {
		/* an open file: what its reader has, whatever generation is current */
		const struct handle *h = (const struct handle *)(uintptr_t)fi->fh;

		fill_file_attr(&st, h->nodeid, h->size, h->mtime);
		fuse_reply_attr(req, &st, TIMEOUT);
		return;
	}
	g = gen_acquire();
	if (ino == FILE_INO_ROOT) {
		fill_root_attr(&st, g);
		fuse_reply_attr(req, &st, TIMEOUT);
	} else if ((r = file_of_node(g, ino, &ref, &cf)) < 0) {
		fuse_reply_err(req, -r);
	} else {
		struct window w = window_of(g, &ref);

		if (w.closed) {
			fuse_reply_err(req, ENOENT);
		} else {
			fill_file_attr(&st, ino, cf->size, cf->mtime);
			fuse_reply_attr(req, &st, window_timeout(&w));
		}
	}
	gen_put(g);
}

/* ---- the key flow (backend/keys.h) ------------------------------------------------------ */

/*
 * A reader read a plain key file to its end: its key is SERVED. That proves nothing yet (a
 * server using sendfile reads the whole file for a Range request or an aborted transfer); it
 * only lets the phone's next request for one of its encrypted names prove delivery.
 */
static void key_served(fuse_req_t req, const struct handle *h)
{
	struct provfs *fs = fuse_req_userdata(req);
	char mac[MAC_STRLEN + 1];
	struct dev_key k;
	int r;

	mac_format(h->mac, false, mac);
	/* the key this reader got is in the bytes it read: that one, if still current */
	const struct content *bytes = atomic_load(&h->bytes);

	char text[KEY_PASS_LEN + 1];
	int tl = -1;

	r = keystore_lookup(fs->keys, h->mac, &k);
	if (r == 0)
		tl = h->ref.vendor->key_text(k.pass, text, sizeof(text));
	if (r == 0 && (tl <= 0 || memmem(bytes->data, bytes->len, text, (size_t)tl) == NULL))
		r = -ESTALE;
	explicit_bzero(text, sizeof(text));
	if (r == 0 && k.state == KEY_PENDING)
		r = keystore_mark_served(fs->keys, h->mac, k.pass);
	else if (r == 0)
		r = 1; /* served or delivered already */
	explicit_bzero(&k, sizeof(k));
	/* state=etcd://: this replica's own fact, pushed to etcd in the background */
	if (r == 0 && fs->shared != NULL && shared_served(fs->shared, h->mac) < 0)
		log_msg(LOG_ERR, "key of %s: cannot keep the intent to share that %s was read", mac,
		        h->name);
	if (r == 0)
		log_msg(LOG_INFO,
		        "key of %s: %s read to its end; delivered once the phone asks for one of "
		        "its encrypted files",
		        mac, h->name);
	else if (r == -ESTALE)
		log_msg(LOG_INFO, "key of %s: %s read with a key replaced meanwhile", mac, h->name);
	else if (r < 0)
		log_msg(LOG_ERR, "key of %s: cannot record that %s was read: %s", mac, h->name,
		        strerror(-r));
}

/* Whether the device's key was delivered: its plain file is gone, even for open readers. */
static bool mac_key_delivered(fuse_req_t req, uint64_t mac)
{
	struct provfs *fs = fuse_req_userdata(req);
	struct dev_key k;
	bool gone = keystore_lookup(fs->keys, mac, &k) == 0 && k.state == KEY_DELIVERED;

	explicit_bzero(&k, sizeof(k));
	return gone;
}

/*
 * The phone asked for one of its encrypted names, which only the plain file it read tells
 * it: its key is DELIVERED, on disk before this request is answered, and the plain file is
 * gone. A request before the plain file was read to its end proves nothing.
 */
static void prove_delivery(fuse_req_t req, const struct file_ref *ref, const char *name)
{
	struct provfs *fs = fuse_req_userdata(req);
	char mac[MAC_STRLEN + 1];
	struct dev_key k;
	int r = keystore_lookup(fs->keys, ref->dev->mac, &k);
	enum key_state state = k.state;

	explicit_bzero(&k, sizeof(k));
	/*
	 * state=etcd://: another replica may have served the plain file a moment ago and this
	 * one not seen it yet; etcd tells (state/shared.h, shared_deliver)
	 */
	if (r == 0 && state == KEY_PENDING && fs->shared != NULL)
		state = KEY_SERVED;
	if (r < 0 || state != KEY_SERVED)
		return; /* the usual case: delivered long ago, or nothing to prove yet */
	mac_format(ref->dev->mac, false, mac);
	if (fs->shared != NULL) {
		/* etcd decides; the plain file stays until it has (state/shared.h) */
		r = shared_deliver(fs->shared, ref->dev->mac, name);
		if (r == 0)
			log_msg(LOG_INFO,
			        "key of %s: the phone asked for %s after reading its plain file to "
			        "the end; delivered once etcd has recorded it",
			        mac, name);
		else if (r < 0)
			log_msg(LOG_ERR,
			        "key of %s: cannot keep the intent to record its delivery: %s", mac,
			        strerror(-r));
		return;
	}
	r = keystore_deliver(fs->keys, ref->dev->mac, name);
	if (r == 0) {
		log_msg(LOG_INFO,
		        "key of %s delivered: the phone asked for %s after reading its plain file "
		        "to the end; only its encrypted files are served now",
		        mac, name);
		if (reload_key_delivered(fs, ref->dev->mac) < 0)
			log_msg(LOG_WARNING,
			        "key of %s: the kernel may list its plain file a while", mac);
	} else if (r < 0 && r != -EAGAIN) {
		log_msg(LOG_ERR, "key of %s: cannot record its delivery: %s", mac, strerror(-r));
	}
}

/*
 * A lookup of a name of the key flow: an encrypted model's plain key file or one of its .enc
 * names. A lookup of an .enc name is the phone asking for it, as an open is: it proves
 * delivery. Until the key is delivered, the kernel must ask again on every path walk (timeouts
 * 0): a server that keeps descriptors open and checks the name on each request (nginx's
 * open_file_cache as contrib/ ships it) then still shows provfs every request for these names,
 * so the proof comes with the phone's first request for an .enc name and the plain file is gone
 * (404) from the request after it. Returns whether the entry must not be cached.
 */
static bool key_flow_lookup(fuse_req_t req, const struct file_ref *ref)
{
	if (file_key_proof(ref)) {
		char name[FILE_NAME_MAX + 1];

		(void)file_name(ref, name, sizeof(name)); /* fits: names are bounded */
		prove_delivery(req, ref, name);
	} else if (!file_key_carrier(ref)) {
		return false;
	}
	return !mac_key_delivered(req, ref->dev->mac);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	const struct cached_file *cf = NULL;
	struct fuse_entry_param e;
	struct file_ref ref;
	bool ask_again = false;
	struct gen *g;
	int r;

	memset(&e, 0, sizeof(e));
	if (parent != FILE_INO_ROOT) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	g = gen_acquire();
	r = file_resolve(g->tree, name, &ref);
	if (r == 0) {
		ask_again = key_flow_lookup(req, &ref);
		/* the request proved a delivery that ends this file (a carrier under the name its
		 * encrypted form takes now): the name is the encrypted file from this request on */
		if (!file_exists(g->tree, &ref)) {
			r = file_resolve(g->tree, name, &ref);
			ask_again = r == 0 && key_flow_lookup(req, &ref);
		}
	}
	struct window w = r == 0 ? window_of(g, &ref) : no_window;

	if (w.closed)
		r = -ENOENT; /* its window ended: as if it were not there */
	if (r == 0)
		r = cache_get(g->cache, g->tree, &ref, &cf);
	if (r == -ENOENT && file_unknown_device(g->tree, name))
		audit_unknown(ctx_of(req)->audit, name);
	if (r == 0 && cf != NULL) {

		e.ino = cf->nodeid;
		e.attr_timeout = ask_again ? 0.0 : window_timeout(&w);
		e.entry_timeout = e.attr_timeout;
		fill_file_attr(&e.attr, e.ino, cf->size, cf->mtime);
		fuse_reply_entry(req, &e);
	} else if (r == -ENOENT) {
		e.ino = 0; /* cached negative entry */
		e.entry_timeout = NEG_TIMEOUT;
		fuse_reply_entry(req, &e);
	} else {
		r = r < 0 ? -r : EIO;
		log_msg(LOG_ERR, "lookup: cannot render a file of generation %llu: %s",
		        (unsigned long long)g->number, strerror(r));
		fuse_reply_err(req, r);
	}
	gen_put(g);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct cached_file *cf = NULL;
	struct file_ref ref;
	struct handle *h;
	struct gen *g;
	int r;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->fd = -1;
	g = gen_acquire();
	r = file_of_node(g, ino, &ref, &cf);
	struct window w = r == 0 ? window_of(g, &ref) : no_window;

	if (w.closed)
		r = -ENOENT;
	if (r == 0 && file_is_passthrough(&ref)) {
		h->fd = file_open_source(&ref);
		if (h->fd < 0) {
			r = h->fd == -ESTALE ? -EIO : h->fd;
			log_msg(LOG_ERR, "open: firmware %s: %s%s", ref.fw->name, strerror(-h->fd),
			        h->fd == -ESTALE ? " (the file changed on disk: send SIGHUP)" : "");
		}
	}
	if (r < 0) {
		gen_put(g);
		free(h);
		fuse_reply_err(req, -r);
		return;
	}
	h->gen = g; /* the handle keeps this reference until release */
	h->nodeid = ino;
	h->cf = cf;
	h->ref = ref;
	atomic_init(&h->bytes, NULL);
	h->size = cf->size;
	h->mtime = cf->mtime;
	audit_progress_init(&h->progress);
	atomic_init(&h->served, false);
	atomic_init(&h->short_logged, false);
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->keep_cache = 1;
	fi->noflush = 1;
	(void)file_name(&ref, h->name, sizeof(h->name)); /* fits: names are bounded */
	if (file_names_device(&ref)) {
		h->audited = true;
		h->mac = ref.dev->mac;
		if (ctx_of(req)->audit_exact)
			fi->keep_cache = 0;
	}
	if (file_key_carrier(&ref)) {
		/*
		 * Direct I/O: every read of this reader is one READ here, so "read to its end"
		 * is what it read (not kernel readahead), and nothing of the key stays cached.
		 */
		h->key_file = true;
		fi->direct_io = 1;
		fi->keep_cache = 0;
	}
	if (w.has) {
		/* every read comes here, checked against the clock; no page outlives the window */
		h->windowed = true;
		h->window_end = w.until;
		fi->direct_io = 1;
		fi->keep_cache = 0;
	}
	if (file_key_proof(&ref))
		prove_delivery(req, &ref, h->name); /* durable before the phone gets its answer */
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* the open was interrupted: release will not come */
		if (h->fd >= 0)
			close(h->fd);
		gen_put(g);
		free(h);
	}
}

/*
 * n bytes at off of a firmware file, straight from the real file. Read into a buffer, not
 * spliced: a splice cannot tell that the file ended early, and the kernel would hand the
 * reader a shorter file as a success. Fewer bytes than the size announced at lookup (the
 * file was truncated or replaced under an open handle) fail with EIO, logged once per handle.
 */
static void read_source(fuse_req_t req, struct handle *h, size_t n, off_t off)
{
	char *buf = malloc(n);
	size_t got = 0;
	int err = 0;

	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	while (got < n) {
		ssize_t r = pread(h->fd, buf + got, n - got, off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? errno : 0;
			break;
		}
		got += (size_t)r;
	}
	if (got == n) {
		fuse_reply_buf(req, buf, n);
	} else {
		if (!atomic_exchange(&h->short_logged, true))
			log_msg(LOG_ERR,
			        "read: firmware %s: %zu of %zu bytes at offset %lld (%s): the file "
			        "changed on disk under a reader; failing the read (send SIGHUP)",
			        h->name, got, n, (long long)off,
			        err != 0 ? strerror(err) : "end of file");
		fuse_reply_err(req, EIO);
	}
	free(buf);
}

/*
 * The handle's bytes: held since an earlier read, or taken now from its generation's cache
 * (retained there, or rendered again and checked against the size and digest the reader was
 * given), with a reference for this read to put once it replied: the kernel may send RELEASE
 * as soon as the reply reaches it, and its thread may free the handle before this one is
 * back from the reply. NULL, with the error replied and logged, if they cannot be had.
 */
static struct content *handle_bytes(fuse_req_t req, struct handle *h)
{
	struct content *have = atomic_load(&h->bytes), *got;
	int r;

	if (have != NULL) {
		atomic_fetch_add_explicit(&have->refs, 1, memory_order_relaxed);
		return have;
	}
	r = cache_content(h->gen->cache, h->gen->tree, &h->ref, h->cf, &got);
	if (r < 0) {
		log_msg(LOG_ERR, "read: %s of generation %llu: %s%s", h->name,
		        (unsigned long long)h->gen->number, strerror(-r),
		        r == -EIO ? " (its bytes cannot be made again as they were: a reload in "
		                    "progress replaced its key?)"
		                  : "");
		fuse_reply_err(req, -r);
		return NULL;
	}
	/* two reads of one handle may race here: one copy stays, both are the same bytes */
	if (!atomic_compare_exchange_strong(&h->bytes, &have, got)) {
		content_put(got);
		atomic_fetch_add_explicit(&have->refs, 1, memory_order_relaxed);
		return have;
	}
	atomic_fetch_add_explicit(&got->refs, 1, memory_order_relaxed); /* the handle's */
	return got;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	struct content *bytes = NULL;
	size_t n;

	(void)ino;
	if (off < 0 || (uint64_t)off >= h->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	n = h->size - (uint64_t)off < size ? (size_t)(h->size - (uint64_t)off) : size;
	if (h->fd < 0 && (bytes = handle_bytes(req, h)) == NULL)
		return;
	if (h->windowed && enroll_closed(h->window_end, (int64_t)time(NULL))) {
		/* a descriptor kept open past the window (a server's cache) gets nothing more */
		fuse_reply_err(req, EIO);
		content_put(bytes);
		return;
	}
	if (h->key_file && mac_key_delivered(req, h->mac)) {
		/* a server's cached descriptor must not hand the key out after its delivery */
		fuse_reply_err(req, EIO);
		content_put(bytes);
		return;
	}
	if (audit_progress_read(&h->progress, (uint64_t)off, n) >= h->size && h->key_file &&
	    !atomic_exchange(&h->served, true))
		key_served(req, h); /* on disk before the last bytes leave */
	if (bytes != NULL) {
		/* h may be gone once this returns (see handle_bytes): only the local reference */
		fuse_reply_buf(req, (const char *)bytes->data + off, n);
		content_put(bytes);
	} else {
		read_source(req, h, n, off);
	}
}

/* A device file's reader is done: one audit line, and its last fetch for provctl status. */
static void audit_release(fuse_req_t req, const struct handle *h)
{
	const struct audit_fetch f = {
		.name = h->name,
		.mac = h->mac,
		.generation = h->gen->number,
		.size = h->size,
		.progress = &h->progress,
		.exact = ctx_of(req)->audit_exact || h->key_file, /* direct I/O: no cache */
	};

	audit_fetch(ctx_of(req)->audit, &f);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)ino;
	if (h->audited)
		audit_release(req, h);
	if (h->fd >= 0)
		close(h->fd);
	content_put(atomic_load(&h->bytes));
	gen_put(h->gen);
	free(h);
	fuse_reply_err(req, 0);
}

/* ---- directory --------------------------------------------------------------------------- */

struct list_ctx {
	fuse_req_t req;
	struct gen *gen;
	struct dirlist *dl;
	size_t cap;
	int err;
};

static int dir_add(struct list_ctx *lc, const char *name, fuse_ino_t ino, mode_t mode)
{
	struct dirlist *dl = lc->dl;
	struct stat st;
	size_t need = fuse_add_direntry(lc->req, NULL, 0, name, NULL, 0);

	if (dl->len + need > lc->cap) {
		size_t ncap = lc->cap ? lc->cap * 2 : 4096;
		char *p;

		while (ncap < dl->len + need)
			ncap *= 2;
		p = realloc(dl->buf, ncap);
		if (p == NULL) {
			lc->err = ENOMEM;
			return -ENOMEM;
		}
		dl->buf = p;
		lc->cap = ncap;
	}
	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = mode;
	fuse_add_direntry(lc->req, dl->buf + dl->len, need, name, &st, (off_t)(dl->len + need));
	dl->len += need;
	return 0;
}

static int dir_add_file(void *ctx, const struct file_ref *ref, const char *name)
{
	struct list_ctx *lc = ctx;

	if (window_of(lc->gen, ref).closed)
		return 0;
	return dir_add(lc, name, cache_nodeid(lc->gen->cache, file_ino(lc->gen->tree, ref)),
	               S_IFREG);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct list_ctx lc = { req, NULL, NULL, 0, 0 };
	struct gen *g;

	if (ino != FILE_INO_ROOT) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	lc.dl = calloc(1, sizeof(*lc.dl));
	if (lc.dl == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	g = gen_acquire();
	lc.gen = g;
	if (dir_add(&lc, ".", FILE_INO_ROOT, S_IFDIR) == 0 &&
	    dir_add(&lc, "..", FILE_INO_ROOT, S_IFDIR) == 0)
		file_foreach(g->tree, ctx_of(req)->listing_all, dir_add_file, &lc);
	gen_put(g);
	if (lc.err != 0) {
		free(lc.dl->buf);
		free(lc.dl);
		fuse_reply_err(req, lc.err);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)lc.dl;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		free(lc.dl->buf);
		free(lc.dl);
	}
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
	const struct dirlist *dl = (const struct dirlist *)(uintptr_t)fi->fh;

	(void)ino;
	if (off < 0 || (size_t)off >= dl->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, dl->buf + off,
		               dl->len - (size_t)off < size ? dl->len - (size_t)off : size);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirlist *dl = (struct dirlist *)(uintptr_t)fi->fh;

	(void)ino;
	free(dl->buf);
	free(dl);
	fuse_reply_err(req, 0);
}

const struct fuse_lowlevel_ops provfs_ops = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
};
