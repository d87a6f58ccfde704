/*
 * firmware.c - which firmware files a tree serves (Grandstream P192/P232/P233).
 *
 * Every Grandstream device uses the firmware block of its highest level that has one (a
 * group can pin another version than its model: rollouts go wave by wave); the models'
 * own blocks count too when generic files carry them. Each used (version, prefix, postfix)
 * exposes every file of FIRMWARE_DIR/grandstream/<version>/ as <prefix><file><postfix>.
 * Only the directories are listed here; the files are opened when a phone reads them.
 *
 * Firmware stays in its directory. firmware_dir is the administrator's root and may itself be
 * a symlink; `grandstream` and `<version>` below it are opened without following any symlink
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or O_NOFOLLOW per component on kernels
 * without openat2), and the version directory stays open for as long as the tree lives. In
 * it, every entry is looked at with fstatat(AT_SYMLINK_NOFOLLOW) on that descriptor, never
 * through a joined path: regular files are served; a symlink (wherever it points: a link to
 * a file beside it would still be a second way in), a FIFO, a socket or a device node is an
 * error at the version's position naming the entry (odd bytes escaped as \xNN); hidden
 * entries (a leading '.': rsync's and editors' temporaries) and subdirectories are skipped,
 * as no exposed name can reach into them. At open time files.c opens the name beneath the
 * held descriptor with O_NOFOLLOW | O_NONBLOCK and checks it is still the file scanned here.
 */
#include "backend/firmware.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/files.h"
#include "backend/gs_files.h"
#include "inventory/inventory.h"
#include "inventory/merge.h"
#include "inventory/schema.h"

#define FW_NAME_MAX 255

/* A firmware block in use, with where it was written. */
struct use {
	const struct firmware *fw;
};

struct uses {
	struct use *v;
	size_t n, cap;
	int oom;
};

static const char *str_or_empty(const struct value *v)
{
	return v->s != NULL ? v->s : "";
}

static void add_use(struct uses *u, const struct firmware *fw)
{
	if (fw == NULL || fw->version.s == NULL)
		return;
	if (u->n == u->cap) {
		size_t ncap = u->cap ? u->cap * 2 : 64;
		struct use *p = realloc(u->v, ncap * sizeof(*p));

		if (p == NULL) {
			u->oom = 1;
			return;
		}
		u->v = p;
		u->cap = ncap;
	}
	u->v[u->n++].fw = fw;
}

static int pos_before(struct pos a, struct pos b)
{
	if (a.file != b.file)
		return a.file < b.file;
	if (a.line != b.line)
		return a.line < b.line;
	return a.col < b.col;
}

/* By prefix, postfix, version, then position: equal blocks and conflicts end up adjacent. */
static int use_cmp(const void *pa, const void *pb)
{
	const struct firmware *a = ((const struct use *)pa)->fw, *b = ((const struct use *)pb)->fw;
	int c = strcmp(str_or_empty(&a->prefix), str_or_empty(&b->prefix));

	if (c == 0)
		c = strcmp(str_or_empty(&a->postfix), str_or_empty(&b->postfix));
	if (c == 0)
		c = strcmp(a->version.s, b->version.s);
	if (c == 0)
		c = pos_before(a->pos, b->pos) ? -1 : pos_before(b->pos, a->pos);
	return c;
}

/* Same version under the same prefix and postfix (written in different places). */
static bool same_use(const struct firmware *a, const struct firmware *b)
{
	return strcmp(str_or_empty(&a->prefix), str_or_empty(&b->prefix)) == 0 &&
	       strcmp(str_or_empty(&a->postfix), str_or_empty(&b->postfix)) == 0 &&
	       strcmp(a->version.s, b->version.s) == 0;
}

/* The firmware blocks Grandstream devices (and, for generic files, models) use. */
static int collect_uses(const struct inventory *inv, struct uses *u)
{
	for (uint32_t i = 0; i < inv->ndevices; i++) {
		const struct device *dev = &inv->devices[i];
		struct effective e;
		int rank;

		if (dev->model == NULL || vendor_of(dev->model) != &vendor_grandstream)
			continue;
		effective_device(&e, inv, dev);
		add_use(u, eff_firmware(&e, &rank));
	}
	for (uint32_t i = 0; inv->has_generic && i < inv->nmodels; i++)
		if (vendor_of(&inv->models[i]) == &vendor_grandstream &&
		    inv->models[i].level.firmware.set)
			add_use(u, &inv->models[i].level.firmware);
	if (u->oom)
		return -ENOMEM;
	if (u->n > 0)
		qsort(u->v, u->n, sizeof(*u->v), use_cmp);
	return 0;
}

/* Two versions under one prefix/postfix: a phone could not tell which one it has. */
static void check_conflicts(const struct inventory *inv, const struct uses *u, struct diag *d)
{
	for (size_t i = 1; i < u->n; i++) {
		const struct firmware *a = u->v[i - 1].fw, *b = u->v[i].fw;
		char qb[DIAG_KEY_SIZE], qpre[DIAG_KEY_SIZE], qpost[DIAG_KEY_SIZE],
		    qa[DIAG_KEY_SIZE];

		if (strcmp(str_or_empty(&a->prefix), str_or_empty(&b->prefix)) != 0 ||
		    strcmp(str_or_empty(&a->postfix), str_or_empty(&b->postfix)) != 0 ||
		    strcmp(a->version.s, b->version.s) == 0)
			continue;
		inv_error(
		    inv, d, b->version.pos,
		    "firmware %s uses prefix '%s' and postfix '%s' like firmware %s at %s:%u:%u: "
		    "a phone could not tell the versions apart",
		    diag_key(qb, b->version.s), diag_key(qpre, str_or_empty(&b->prefix)),
		    diag_key(qpost, str_or_empty(&b->postfix)), diag_key(qa, a->version.s),
		    inventory_file(inv, a->version.pos), (unsigned)a->version.pos.line,
		    (unsigned)a->version.pos.col);
	}
}

struct fw_list {
	struct fw_file *v;
	size_t n, cap;
};

static int push_file(struct tree *t, struct fw_list *l, const struct firmware *fw, const char *dir,
                     int dirfd, const char *file, const struct stat *st)
{
	struct fw_file *f;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		struct fw_file *p = realloc(l->v, ncap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		l->v = p;
		l->cap = ncap;
	}
	f = &l->v[l->n];
	f->name = arena_printf(&t->arena, "%s%s%s", str_or_empty(&fw->prefix), file,
	                       str_or_empty(&fw->postfix));
	f->path = arena_printf(&t->arena, "%s/%s", dir, file);
	f->file = arena_strdup(&t->arena, file);
	if (f->name == NULL || f->path == NULL || f->file == NULL)
		return -ENOMEM;
	f->dirfd = dirfd;
	f->size = (uint64_t)st->st_size;
	f->vendor = &vendor_grandstream;
	f->kind = GS_FIRMWARE;
	f->ino = file_kind_slot(&vendor_grandstream, GS_FIRMWARE) |
	         tree_hash48(f->name, strlen(f->name));
	f->real_dev = st->st_dev;
	f->real_ino = st->st_ino;
	f->real_mtime = st->st_mtime;
	l->n++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Opens dirfd/rel (plain names joined by '/') as a directory without following a symlink
 * anywhere in rel and without leaving dirfd. Returns the descriptor or -errno (-ELOOP: a
 * symlink was on the way).
 */
static int open_beneath(int dirfd, const char *rel)
{
	char comp[NAME_MAX + 1];
	const char *p = rel;
	int fd = dirfd;

#if defined(SYS_openat2) && !defined(PROVFS_NO_OPENAT2)
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long r = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

	if (r >= 0)
		return (int)r;
	if (errno != ENOSYS)
		return -errno;
#endif
	/* no openat2 (Linux < 5.6): one component at a time, none of them a symlink */
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		int next;

		if (n == 0 || n > NAME_MAX || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			next = -EXDEV; /* what RESOLVE_BENEATH says for a way out */
		} else {
			memcpy(comp, p, n);
			comp[n] = '\0';
			struct stat st;

			next = openat(fd, comp,
			              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			if (next < 0)
				next = -errno;
			/* O_NOFOLLOW with O_DIRECTORY says ENOTDIR for a symlink: say ELOOP */
			if (next == -ENOTDIR && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				next = -ELOOP;
		}
		if (fd != dirfd)
			close(fd);
		if (next < 0)
			return next;
		fd = next;
		p += n;
		p += *p == '/';
	}
	return fd != dirfd ? fd : -EINVAL;
}

/* Keeps a version directory open for the tree's life. Returns 0 or -ENOMEM (fd closed). */
static int hold_dir(struct tree *t, int fd)
{
	int *p = realloc(t->fw_dirs, (t->nfw_dirs + 1) * sizeof(*p));

	if (p == NULL) {
		close(fd);
		return -ENOMEM;
	}
	t->fw_dirs = p;
	t->fw_dirs[t->nfw_dirs++] = fd;
	return 0;
}

void firmware_close(struct tree *t)
{
	for (uint32_t i = 0; i < t->nfw_dirs; i++)
		close(t->fw_dirs[i]);
	free(t->fw_dirs);
	t->fw_dirs = NULL;
	t->nfw_dirs = 0;
}

/* A file name fit for a message: printable ASCII as is, every other byte as \xNN. */
static const char *escaped(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s != '\0' && n + 5 <= len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, len - n, "\\x%02x", c);
	}
	out[n] = '\0';
	return out;
}

/* The names in directory fd, hidden ones left out, sorted. Returns 0 or -errno. */
static int list_names(int fd, char ***out, size_t *count)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *dh;
	int r = 0;

	*out = NULL;
	*count = 0;
	if (dup_fd < 0)
		return -errno;
	dh = fdopendir(dup_fd); /* owns dup_fd from here */
	if (dh == NULL) {
		r = -errno;
		close(dup_fd);
		return r;
	}
	while ((e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **p = realloc(names, ncap * sizeof(*p));

			if (p == NULL) {
				r = -ENOMEM;
				break;
			}
			names = p;
			cap = ncap;
		}
		names[n] = strdup(e->d_name);
		if (names[n] == NULL) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(dh);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	*count = n;
	return r;
}

/* Lists FIRMWARE_DIR/grandstream/<version>/ (root: FIRMWARE_DIR, or -errno) for one block. */
static int scan_version(struct tree *t, const struct inventory *inv, const struct firmware *fw,
                        int root, struct fw_list *l, struct diag *d)
{
	char *dir = arena_printf(&t->arena, "%s/grandstream/%s", inv->firmware_dir, fw->version.s);
	char *rel = arena_printf(&t->arena, "grandstream/%s", fw->version.s);
	char **names = NULL;
	size_t n = 0, files = 0;
	int vfd, r;

	if (dir == NULL || rel == NULL)
		return -ENOMEM;
	vfd = root < 0 ? root : open_beneath(root, rel);
	if (vfd == -ELOOP || vfd == -EXDEV) {
		inv_error(inv, d, fw->version.pos,
		          "firmware %s: %s is reached through a symbolic link: 'grandstream' and "
		          "the version directories must be real directories in firmware_dir",
		          fw->version.s, rel);
		return 0;
	}
	if (vfd < 0) {
		inv_error(inv, d, fw->version.pos,
		          "firmware %s: cannot open %s under firmware_dir: %s", fw->version.s, rel,
		          strerror(-vfd));
		return 0;
	}
	r = hold_dir(t, vfd);
	if (r == 0)
		r = list_names(vfd, &names, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		char esc[FW_NAME_MAX * 4 + 1];
		struct stat st;

		if (fstatat(vfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) /* ENOENT: removed since the listing */
				inv_error(inv, d, fw->version.pos,
				          "firmware %s: cannot stat '%s' in %s: %s", fw->version.s,
				          escaped(names[i], esc, sizeof(esc)), rel,
				          strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode))
			continue; /* no exposed name reaches into a subdirectory */
		if (!S_ISREG(st.st_mode)) {
			inv_error(
			    inv, d, fw->version.pos,
			    "firmware %s: '%s' in %s is %s: only regular files in the version "
			    "directory are served",
			    fw->version.s, escaped(names[i], esc, sizeof(esc)), rel,
			    diag_file_type(st.st_mode));
			continue;
		}
		if (!name_in_alphabet(names[i], strlen(names[i])) ||
		    strlen(names[i]) + strlen(str_or_empty(&fw->prefix)) +
		            strlen(str_or_empty(&fw->postfix)) >
		        FW_NAME_MAX) {
			inv_error(
			    inv, d, fw->version.pos,
			    "firmware file '%s' in %s cannot be served: names take only "
			    "A-Z a-z 0-9 . _ - and at most %d characters with prefix and postfix",
			    escaped(names[i], esc, sizeof(esc)), rel, FW_NAME_MAX);
			continue;
		}
		r = push_file(t, l, fw, dir, vfd, names[i], &st);
		files++;
	}
	if (r == 0 && files == 0)
		inv_error(inv, d, fw->version.pos, "firmware %s: %s holds no firmware file",
		          fw->version.s, rel);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int fw_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fw_file *)a)->name, ((const struct fw_file *)b)->name);
}

static int fw_ino_cmp(const void *a, const void *b, void *files)
{
	const struct fw_file *fw = files;
	uint64_t x = fw[*(const uint32_t *)a].ino, y = fw[*(const uint32_t *)b].ino;

	return x < y ? -1 : x > y;
}

/* Sorts by name, rejects two files under one exposed name, indexes by inode. */
static int index_files(struct tree *t, const struct inventory *inv, struct fw_list *l,
                       struct diag *d, struct pos where)
{
	if (l->n == 0)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), fw_name_cmp);
	for (size_t i = 1; i < l->n; i++)
		if (strcmp(l->v[i - 1].name, l->v[i].name) == 0 &&
		    strcmp(l->v[i - 1].path, l->v[i].path) != 0)
			inv_error(inv, d, where, "firmware name %s stands for both %s and %s",
			          l->v[i].name, l->v[i - 1].path, l->v[i].path);
	t->fw = arena_alloc(&t->arena, l->n * sizeof(*t->fw));
	t->fw_by_ino = arena_alloc(&t->arena, l->n * sizeof(*t->fw_by_ino));
	if (t->fw == NULL || t->fw_by_ino == NULL)
		return -ENOMEM;
	/* the same version under the same wrap is listed once per block using it: keep one */
	for (size_t i = 0; i < l->n; i++)
		if (t->nfw == 0 || strcmp(t->fw[t->nfw - 1].name, l->v[i].name) != 0)
			t->fw[t->nfw++] = l->v[i];
	for (uint32_t i = 0; i < t->nfw; i++)
		t->fw_by_ino[i] = i;
	qsort_r(t->fw_by_ino, t->nfw, sizeof(*t->fw_by_ino), fw_ino_cmp, t->fw);
	for (uint32_t i = 1; i < t->nfw; i++)
		if (t->fw[t->fw_by_ino[i - 1]].ino == t->fw[t->fw_by_ino[i]].ino)
			inv_error(inv, d, where,
			          "firmware names %s and %s hash to one inode: rename one file",
			          t->fw[t->fw_by_ino[i - 1]].name, t->fw[t->fw_by_ino[i]].name);
	return 0;
}

int firmware_scan(struct tree *t, const struct inventory *inv, struct diag *d)
{
	struct uses u = { 0 };
	struct fw_list l = { 0 };
	int r = collect_uses(inv, &u), root;

	if (r < 0)
		goto out;
	if (u.n == 0)
		goto out;
	check_conflicts(inv, &u, d);
	if (inv->firmware_dir == NULL) {
		inv_error(inv, d, u.v[0].fw->pos,
		          "firmware needs 'firmware_dir' at the top level of the inventory");
		goto out;
	}
	/* the administrator's root: followed if it is a symlink; nothing below it is */
	root = open(inv->firmware_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
	if (root < 0)
		root = -errno;
	for (size_t i = 0; i < u.n && r == 0; i++) {
		const struct firmware *fw = u.v[i].fw;

		/* blocks are sorted: an equal predecessor has been scanned already */
		if (i > 0 && same_use(u.v[i - 1].fw, fw))
			continue;
		r = scan_version(t, inv, fw, root, &l, d);
	}
	if (root >= 0)
		close(root);
	if (r == 0)
		r = index_files(t, inv, &l, d, u.v[0].fw->pos);
out:
	free(u.v);
	free(l.v);
	return r;
}
