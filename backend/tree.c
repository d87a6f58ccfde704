/*
 * tree.c - load an inventory into a tree and run every check a generation must pass.
 *
 * The checks run as the loader's check callback, so a single run reports schema problems
 * and the rest together: vendor rules (validate.c), firmware directories (firmware.c), each
 * vendor's checks of its rendered files, and names that would resolve to another file than
 * their own.
 */
#include "backend/tree.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/files.h"
#include "backend/firmware.h"
#include "backend/gs_binary.h"
#include "backend/gs_files.h"
#include "backend/names.h"
#include "backend/pa_files.h"
#include "backend/pa_params.h"
#include "backend/pa_table.h"
#include "backend/validate.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/merge.h"
#include "inventory/schema.h"

uint64_t tree_hash48(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h & ((UINT64_C(1) << 48) - 1);
}

/* Low bits of per-model inodes: a hash of the lower-cased name, unique per tree. */
static int model_hashes(struct tree *t, const struct inventory *inv, struct diag *d)
{
	t->model_hash =
	    arena_alloc(&t->arena, (inv->nmodels ? inv->nmodels : 1) * sizeof(uint64_t));
	if (t->model_hash == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < inv->nmodels; i++) {
		char lower[80];
		size_t n = strlen(inv->models[i].name);

		for (size_t k = 0; k < n && k < sizeof(lower); k++)
			lower[k] =
			    (char)(inv->models[i].name[k] >= 'A' && inv->models[i].name[k] <= 'Z'
			               ? inv->models[i].name[k] + 32
			               : inv->models[i].name[k]);
		t->model_hash[i] = tree_hash48(lower, n);
		for (uint32_t j = 0; j < i; j++)
			if (t->model_hash[j] == t->model_hash[i])
				inv_error(inv, d, inv->models[i].pos,
				          "models %s and %s hash to one inode: rename one",
				          inv->models[j].name, inv->models[i].name);
	}
	return 0;
}

/* ---- names that must resolve to their own file --------------------------------------------- */

struct clash_ctx {
	const struct tree *t;
	struct diag *d;
};

static struct pos clash_pos(const struct tree *t, const struct file_ref *ref)
{
	struct effective e;
	int rank;
	const struct cfg_names *c;

	if (ref->dev == NULL)
		return ref->model != NULL ? ref->model->pos : (struct pos){ 0, 1, 1 };
	effective_device(&e, t->inv, ref->dev);
	c = eff_config(&e, &rank);
	return c != NULL ? c->pos : ref->dev->pos;
}

static int check_name(void *ctx, const struct file_ref *ref, const char *name)
{
	struct clash_ctx *cc = ctx;
	struct file_ref got;

	if (file_resolve(cc->t, name, &got) == 0 && got.vendor == ref->vendor &&
	    got.kind == ref->kind && got.dev == ref->dev && got.model == ref->model &&
	    got.fw == ref->fw)
		return 0;
	inv_error(cc->t->inv, cc->d, clash_pos(cc->t, ref),
	          "with this prefix/postfix, %s would be read as another file", name);
	return 0;
}

static int tree_check(const struct inventory *inv, struct diag *d, void *ctx)
{
	struct tree *t = ctx;
	struct clash_ctx cc = { t, d };
	int r;

	t->inv = (struct inventory *)inv; /* the tree owns it once loading succeeds */
	r = backend_validate(inv, d);
	if (r == -ENOMEM)
		return r;
	r = firmware_scan(t, inv, d);
	if (r == 0)
		r = model_hashes(t, inv, d);
	for (uint32_t i = 0; i < vendor_set.n && r == 0; i++)
		if (vendor_at(i)->check_tree != NULL)
			r = vendor_at(i)->check_tree(t, d);
	if (r == 0)
		file_foreach(t, true, check_name, &cc);
	return r;
}

static int load(const char *path, const char *base, const char *yaml, size_t len,
                const struct key_source *keys, struct tree **out, struct diag *d)
{
	struct tree *t = calloc(1, sizeof(*t));
	struct inventory *inv = NULL;
	int r;

	*out = NULL;
	if (t == NULL)
		return -ENOMEM;
	atomic_init(&t->refs, 1);
	t->keys = keys;
	arena_init(&t->arena);
	r = inventory_load_based(path, base, &vendor_set, tree_check, t, &inv, d, yaml, len);
	if (r < 0) {
		firmware_close(t);
		arena_free(&t->arena);
		free(t);
		return r;
	}
	t->inv = inv;
	*out = t;
	return 0;
}

int tree_load(const char *path, const struct key_source *keys, struct tree **out, struct diag *d)
{
	return load(path, NULL, NULL, 0, keys, out, d);
}

int tree_load_based(const char *path, const char *base, const struct key_source *keys,
                    struct tree **out, struct diag *d)
{
	return load(path, base, NULL, 0, keys, out, d);
}

int tree_load_buffer(const char *name, const char *yaml, size_t len, const struct key_source *keys,
                     struct tree **out, struct diag *d)
{
	return load(name, NULL, yaml, len, keys, out, d);
}

struct tree *tree_ref(struct tree *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void tree_free(struct tree *t)
{
	if (t == NULL || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	firmware_close(t);
	inventory_free(t->inv);
	arena_free(&t->arena);
	free(t);
}

const struct fw_file *tree_firmware(const struct tree *t, const char *name, size_t len)
{
	uint32_t lo = 0, hi = t->nfw;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strncmp(t->fw[mid].name, name, len);

		if (c == 0)
			c = t->fw[mid].name[len] == '\0' ? 0 : 1;
		if (c == 0)
			return &t->fw[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct fw_file *tree_firmware_by_ino(const struct tree *t, uint64_t ino)
{
	uint32_t lo = 0, hi = t->nfw;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct fw_file *f = &t->fw[t->fw_by_ino[mid]];

		if (f->ino == ino)
			return f;
		if (f->ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
