/*
 * ops.c - lookup, getattr, open, read, release and directory listing.
 *
 * Every handler takes a reference to the current generation, answers from it with exactly
 * one reply, and drops the reference; an open file keeps its own reference until release,
 * so it reads the bytes of the generation it was opened on even across a reload.
 *
 * Caching (FUSE.md §2): sizes are exact at lookup (rendered then), entries, attributes and
 * pages are kept long by the kernel (keep_cache, long timeouts) and unknown names are cached
 * as negative entries; a reload invalidates what changed explicitly.
 */
#include "fs/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/cache.h"
#include "fs/gen.h"
#include "fs/log.h"

#define TIMEOUT 86400.0 /* entries and attributes: changes are pushed by invalidation */
/*
 * Unknown names: cached for one second. A reload invalidates the names it knows, but a
 * phone may have asked for a new MAC in another letter case: a short negative TTL makes
 * every such name appear within a second, while a scan still costs one LOOKUP per name
 * per second.
 */
#define NEG_TIMEOUT 1.0

/* One open file: the generation and bytes it was opened on. */
struct handle {
	struct gen *gen;
	const struct content *content;
	uint64_t ino;
	atomic_size_t bytes; /* bytes delivered */
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

static void fill_file_attr(struct stat *st, uint64_t ino, size_t size, const struct gen *g)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_mtime = st->st_ctime = st->st_atime = g->inv->mtime;
}

static void fill_root_attr(struct stat *st, const struct gen *g)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = FILE_INO_ROOT;
	st->st_mode = S_IFDIR | 0555;
	st->st_nlink = 2;
	st->st_blksize = 4096;
	st->st_mtime = st->st_ctime = st->st_atime = g->inv->mtime;
}

/* The bytes of ref in generation g, or NULL with a negative errno in *err. */
static const struct content *content_of(struct gen *g, const struct file_ref *ref, int *err)
{
	const struct content *c = NULL;

	*err = cache_get(g->cache, g->inv, ref, &c);
	return *err == 0 ? c : NULL;
}

/* The file behind an inode in generation g, with its bytes; NULL and *err if none. */
static const struct content *content_of_ino(struct gen *g, uint64_t ino, struct file_ref *ref,
                                            int *err)
{
	*err = file_from_ino(g->inv, ino, ref);
	return *err == 0 ? content_of(g, ref, err) : NULL;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct file_ref ref;
	const struct content *c = NULL;
	struct gen *g;
	int r;

	memset(&e, 0, sizeof(e));
	if (parent != FILE_INO_ROOT) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	g = gen_acquire();
	r = file_resolve(g->inv, name, &ref);
	if (r == 0)
		c = content_of(g, &ref, &r);
	if (r == -ENOENT) {
		e.ino = 0; /* cached negative entry */
		e.entry_timeout = NEG_TIMEOUT;
		fuse_reply_entry(req, &e);
	} else if (c == NULL) {
		log_msg(LOG_ERR, "lookup: cannot render a file of generation %llu: %s",
		        (unsigned long long)g->number, strerror(-r));
		fuse_reply_err(req, -r);
	} else {
		e.ino = file_ino(&ref);
		e.attr_timeout = TIMEOUT;
		e.entry_timeout = TIMEOUT;
		fill_file_attr(&e.attr, e.ino, c->len, g);
		fuse_reply_entry(req, &e);
	}
	gen_put(g);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct file_ref ref;
	const struct content *c = NULL;
	struct stat st;
	struct gen *g;
	int r;

	(void)fi;
	g = gen_acquire();
	if (ino == FILE_INO_ROOT) {
		fill_root_attr(&st, g);
		fuse_reply_attr(req, &st, TIMEOUT);
	} else if ((c = content_of_ino(g, ino, &ref, &r)) == NULL) {
		fuse_reply_err(req, -r);
	} else {
		fill_file_attr(&st, ino, c->len, g);
		fuse_reply_attr(req, &st, TIMEOUT);
	}
	gen_put(g);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct file_ref ref;
	const struct content *c = NULL;
	struct handle *h;
	struct gen *g;
	int r;

	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	g = gen_acquire();
	c = content_of_ino(g, ino, &ref, &r);
	if (c == NULL) {
		gen_put(g);
		fuse_reply_err(req, -r);
		return;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		gen_put(g);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->gen = g; /* the handle keeps this reference until release */
	h->content = c;
	h->ino = ino;
	atomic_init(&h->bytes, 0);
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->keep_cache = 1;
	fi->noflush = 1;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* the open was interrupted: release will not come */
		gen_put(g);
		free(h);
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	size_t len = h->content->len, n;

	(void)ino;
	if (off < 0 || (size_t)off >= len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	n = len - (size_t)off < size ? len - (size_t)off : size;
	atomic_fetch_add_explicit(&h->bytes, n, memory_order_relaxed);
	fuse_reply_buf(req, (const char *)h->content->data + off, n);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)ino;
	gen_put(h->gen);
	free(h);
	fuse_reply_err(req, 0);
}

/* ---- directory --------------------------------------------------------------------------- */

struct list_ctx {
	fuse_req_t req;
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

static int dir_add_file(void *ctx, const struct file_ref *ref)
{
	char name[FILE_NAME_MAX + 1];

	if (file_name(ref, name, sizeof(name)) < 0)
		return 0;
	return dir_add(ctx, name, file_ino(ref), S_IFREG);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct list_ctx lc = { req, NULL, 0, 0 };
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
	if (dir_add(&lc, ".", FILE_INO_ROOT, S_IFDIR) == 0 &&
	    dir_add(&lc, "..", FILE_INO_ROOT, S_IFDIR) == 0)
		file_foreach(g->inv, ctx_of(req)->listing_all, dir_add_file, &lc);
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
