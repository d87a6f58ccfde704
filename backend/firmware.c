/*
 * firmware.c - which firmware files a tree serves (Grandstream P192/P232/P233).
 *
 * Every Grandstream device uses the firmware block of its highest level that has one (a
 * group can pin another version than its model: rollouts go wave by wave); the models'
 * own blocks count too when generic files carry them. Each used (version, prefix, postfix)
 * exposes every file of FIRMWARE_DIR/grandstream/<version>/ as <prefix><file><postfix>.
 * Only the directories are listed here; the files are opened when a phone reads them.
 */
#include "backend/firmware.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/files.h"
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

		if (dev->model == NULL || dev->model->vendor != VENDOR_GRANDSTREAM)
			continue;
		effective_device(&e, inv, dev);
		add_use(u, eff_firmware(&e, &rank));
	}
	for (uint32_t i = 0; inv->has_generic && i < inv->nmodels; i++)
		if (inv->models[i].vendor == VENDOR_GRANDSTREAM &&
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
                     const char *file, const struct stat *st)
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
	if (f->name == NULL || f->path == NULL)
		return -ENOMEM;
	f->size = (uint64_t)st->st_size;
	f->ino = ((uint64_t)FK_GS_FIRMWARE << 48) | tree_hash48(f->name, strlen(f->name));
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

/* Lists FIRMWARE_DIR/grandstream/<version>/ for one block. */
static int scan_version(struct tree *t, const struct inventory *inv, const struct firmware *fw,
                        struct fw_list *l, struct diag *d)
{
	char *dir = arena_printf(&t->arena, "%s/grandstream/%s", inv->firmware_dir, fw->version.s);
	char **names = NULL;
	size_t n = 0, cap = 0, files = 0;
	struct dirent *e;
	DIR *dh;
	int r = 0;
	char ver[DIAG_KEY_SIZE];

	if (dir == NULL)
		return -ENOMEM;
	/* Messages name the directory below firmware_dir: firmware_dir is a value. */
	diag_key(ver, fw->version.s);
	dh = opendir(dir);
	if (dh == NULL) {
		inv_error(inv, d, fw->version.pos,
		          "firmware %s: cannot open grandstream/%s under firmware_dir: %s", ver,
		          ver, strerror(errno));
		return 0;
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
	for (size_t i = 0; i < n && r == 0; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue; /* subdirectories and dangling links are not firmware */
		if (!name_in_alphabet(names[i], strlen(names[i])) ||
		    strlen(names[i]) + strlen(str_or_empty(&fw->prefix)) +
		            strlen(str_or_empty(&fw->postfix)) >
		        FW_NAME_MAX) {
			char file[DIAG_KEY_SIZE];

			/* a name from a directory listing may hold anything: an excerpt */
			inv_error(
			    inv, d, fw->version.pos,
			    "firmware file '%s' in grandstream/%s cannot be served: names take "
			    "only A-Z a-z 0-9 . _ - and at most %d characters with prefix and "
			    "postfix",
			    diag_key(file, names[i]), ver, FW_NAME_MAX);
			continue;
		}
		r = push_file(t, l, fw, dir, names[i], &st);
		files++;
	}
	if (r == 0 && files == 0)
		inv_error(inv, d, fw->version.pos,
		          "firmware %s: grandstream/%s under firmware_dir holds no firmware file",
		          ver, ver);
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
			/* names and paths of files that passed name_in_alphabet, below firmware_dir
			 */
			inv_error(inv, d, where, "firmware name %s stands for both %s and %s",
			          l->v[i].name, l->v[i - 1].path + strlen(inv->firmware_dir) + 1,
			          l->v[i].path + strlen(inv->firmware_dir) + 1);
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
	int r = collect_uses(inv, &u);

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
	for (size_t i = 0; i < u.n && r == 0; i++) {
		const struct firmware *fw = u.v[i].fw;

		/* blocks are sorted: an equal predecessor has been scanned already */
		if (i > 0 && same_use(u.v[i - 1].fw, fw))
			continue;
		r = scan_version(t, inv, fw, &l, d);
	}
	if (r == 0)
		r = index_files(t, inv, &l, d, u.v[0].fw->pos);
out:
	free(u.v);
	free(l.v);
	return r;
}
