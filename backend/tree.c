/*
 * tree.c - load an inventory into a tree and run every check a generation must pass.
 *
 * The checks run as the loader's check callback, so a single run reports schema problems
 * and the rest together: vendor rules (validate.c), firmware directories (firmware.c), the
 * legacy binary's size limit, and names that would resolve to another file than their own.
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

static const char *str_or_empty(const struct value *v)
{
	return v->s != NULL ? v->s : "";
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

static int wrap_cmp(const void *pa, const void *pb)
{
	const struct wrap *a = pa, *b = pb;
	int c = strcmp(a->prefix, b->prefix);

	return c != 0 ? c : strcmp(a->postfix, b->postfix);
}

/* The distinct config prefix/postfix pairs Grandstream devices use. */
static int collect_wraps(struct tree *t, const struct inventory *inv)
{
	uint32_t n = 0;

	t->wraps = arena_alloc(&t->arena, (inv->ndevices ? inv->ndevices : 1) * sizeof(*t->wraps));
	if (t->wraps == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < inv->ndevices; i++) {
		const struct device *dev = &inv->devices[i];
		const struct cfg_names *c;
		struct effective e;
		int rank;

		if (dev->model == NULL || dev->model->vendor != VENDOR_GRANDSTREAM)
			continue;
		effective_device(&e, inv, dev);
		c = eff_config(&e, &rank);
		if (c == NULL || (c->prefix.s == NULL && c->postfix.s == NULL) ||
		    (str_or_empty(&c->prefix)[0] == '\0' && str_or_empty(&c->postfix)[0] == '\0'))
			continue;
		t->wraps[n].prefix = str_or_empty(&c->prefix);
		t->wraps[n].postfix = str_or_empty(&c->postfix);
		n++;
	}
	if (n > 0)
		qsort(t->wraps, n, sizeof(*t->wraps), wrap_cmp);
	t->nwraps = 0;
	for (uint32_t i = 0; i < n; i++)
		if (t->nwraps == 0 || wrap_cmp(&t->wraps[t->nwraps - 1], &t->wraps[i]) != 0)
			t->wraps[t->nwraps++] = t->wraps[i];
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

	if (file_resolve(cc->t, name, &got) == 0 && got.kind == ref->kind && got.dev == ref->dev &&
	    got.model == ref->model && got.fw == ref->fw)
		return 0;
	inv_error(cc->t->inv, cc->d, clash_pos(cc->t, ref),
	          "with this prefix/postfix, %s would be read as another file", name);
	return 0;
}

/* Firmware names must not look like configuration names (with any prefix/postfix). */
static void check_firmware_names(const struct tree *t, struct diag *d)
{
	for (uint32_t i = 0; i < t->nfw; i++) {
		struct file_ref ref;

		if (gs_resolve_config(t, t->fw[i].name, strlen(t->fw[i].name), &ref) == 0)
			inv_error(t->inv, d, (struct pos){ 0, 1, 1 },
			          "firmware name %s is also read as a configuration file name: "
			          "rename the file or change its prefix/postfix",
			          t->fw[i].name);
	}
}

/* The vendor tool writes only 16 bits of length: 131,070 bytes at most. */
static int check_binary_sizes(const struct tree *t, struct diag *d)
{
	struct buf body;
	int r = 0;

	buf_init(&body);
	for (uint32_t i = 0; i < t->inv->ndevices && r == 0; i++) {
		const struct device *dev = &t->inv->devices[i];
		struct effective e;
		struct ranked layout;
		size_t size;
		char mac[MAC_STRLEN + 1];

		if (!gs_device_has(t, dev, FK_GS_BIN))
			continue;
		buf_reset(&body);
		r = gs_binary_body_of(t, dev, &body);
		if (r < 0)
			break;
		effective_device(&e, t->inv, dev);
		layout = eff_binary_layout(&e);
		size = layout.v != NULL && strcmp(layout.v->s, "plain") == 0
		           ? gs_binary_plain_size(body.len)
		           : gs_binary_gapslite_size(body.len);
		if (size <= GS_BINARY_MAX)
			continue;
		mac_format(dev->mac, false, mac);
		inv_error(
		    t->inv, d, eff_binary(&e).v->pos,
		    "device %s: its legacy binary file would be %zu bytes, more than the %d a "
		    "phone reads (binary: bootstrap carries only what the XML needs)",
		    mac, size, GS_BINARY_MAX);
	}
	if (body.data != NULL)
		explicit_bzero(body.data, body.cap);
	buf_free(&body);
	return r;
}

/* A UTG path that is both a parameter and a section could not be written as one element. */
static void check_utg_paths(const struct tree *t, const struct device *dev,
                            const struct resolved *r, struct diag *d)
{
	char mac[MAC_STRLEN + 1];

	for (size_t i = 1; i < r->n; i++) {
		size_t n = strlen(r->items[i - 1].name);

		if (strncmp(r->items[i - 1].name, r->items[i].name, n) != 0 ||
		    r->items[i].name[n] != '/')
			continue;
		mac_format(dev->mac, false, mac);
		inv_error(t->inv, d, dev->pos,
		          "device %s: %s is a parameter and also holds %s: it cannot be both", mac,
		          r->items[i - 1].name, r->items[i].name);
	}
}

/*
 * A rendered text file: at most 120 KB, and every line at most 537 bytes with its CR LF
 * (names and values are limited in characters, so multi-byte values can still overflow a
 * line). `what` names the level and the file, e.g. "device 0080F0C8C381: Config...cfg".
 */
static void check_pa_text(const struct tree *t, struct pos pos, const char *what,
                          const struct buf *out, struct diag *d)
{
	const char *p = (const char *)out->data, *end = p + out->len;

	if (out->len > PA_FILE_MAX)
		inv_error(t->inv, d, pos,
		          "%s would be %zu bytes; Panasonic phones read at most %zu", what,
		          out->len, PA_FILE_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl + 1 : end) - p);
		const char *eq = memchr(p, '=', n);

		if (n > PA_LINE_MAX)
			inv_error(
			    t->inv, d, pos,
			    "%s: the line of %.*s would be %zu bytes; Panasonic text lines hold "
			    "at most %d",
			    what, eq != NULL ? (int)(eq - p) : 0, p, n, PA_LINE_MAX);
		p += n;
	}
}

/* Renders one text file of ref's kind and checks it. */
static int check_pa_text_file(const struct tree *t, const struct file_ref *ref, struct pos pos,
                              const char *level, struct buf *out, struct diag *d)
{
	char name[NAME_MAX + 1];
	int r;

	buf_reset(out);
	r = file_render(t, ref, false, out);
	if (r == 0 && file_name(ref, name, sizeof(name)) >= 0) {
		char what[2 * NAME_MAX];

		snprintf(what, sizeof(what), "%s: %s", level, name);
		check_pa_text(t, pos, what, out, d);
	}
	return r;
}

/* UTG paths must nest; a text-dialect device's own file must fit (checked when `text`). */
static int check_pa_device(const struct tree *t, const struct device *dev, bool text,
                           struct buf *out, struct diag *d)
{
	struct file_ref ref = { FK_PA_STD, dev, dev->model, NULL };
	char level[32 + MAC_STRLEN];
	struct resolved params;
	int r;

	resolved_init(&params);
	r = pa_resolve_device(t->inv, dev, NULL, 0, &params);
	if (r == 0 && dev->model->dialect == DIALECT_UTG_XML)
		check_utg_paths(t, dev, &params, d);
	resolved_free(&params);
	/* encrypted models are UTG XML: no size limit is documented for them */
	if (r < 0 || !text || dev->model->dialect != DIALECT_TEXT)
		return r;
	snprintf(level, sizeof(level), "device ");
	mac_format(dev->mac, true, level + strlen(level));
	return check_pa_text_file(t, &ref, dev->pos, level, out, d);
}

/* The shared text files: a product file per text model, the master file. */
static int check_pa_shared(const struct tree *t, struct buf *out, struct diag *d)
{
	const struct inventory *inv = t->inv;
	const struct model *text = NULL;
	int r = 0;

	for (uint32_t i = 0; i < inv->nmodels && r == 0; i++) {
		const struct model *m = &inv->models[i];
		struct file_ref ref = { FK_PA_PRODUCT, NULL, m, NULL };
		char level[16 + NAME_MAX];

		if (m->vendor != VENDOR_PANASONIC || m->dialect != DIALECT_TEXT)
			continue;
		text = m;
		snprintf(level, sizeof(level), "model %s", m->name);
		r = check_pa_text_file(t, &ref, m->pos, level, out, d);
	}
	if (r == 0 && text != NULL) {
		struct file_ref ref = { FK_PA_MASTER, NULL, NULL, NULL };

		r = check_pa_text_file(t, &ref, inv->defaults.pos, "defaults", out, d);
	}
	return r;
}

/*
 * Rendered text files are checked only when every other check passed: a parameter too long
 * for its line has been reported where it is written already.
 */
static int check_pa_files(const struct tree *t, struct diag *d)
{
	bool text = diag_count(d) == 0;
	struct buf out;
	int r = 0;

	buf_init(&out);
	for (uint32_t i = 0; i < t->inv->ndevices && r == 0; i++) {
		const struct device *dev = &t->inv->devices[i];

		if (dev->model != NULL && dev->model->vendor == VENDOR_PANASONIC)
			r = check_pa_device(t, dev, text, &out, d);
	}
	if (r == 0 && text)
		r = check_pa_shared(t, &out, d);
	if (out.data != NULL)
		explicit_bzero(out.data, out.cap);
	buf_free(&out);
	return r;
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
	if (r == 0)
		r = collect_wraps(t, inv);
	if (r == 0)
		r = check_binary_sizes(t, d);
	if (r == 0)
		r = check_pa_files(t, d);
	if (r == 0) {
		check_firmware_names(t, d);
		file_foreach(t, true, check_name, &cc);
	}
	return r;
}

static int load(const char *path, const char *yaml, size_t len, const struct key_source *keys,
                struct tree **out, struct diag *d)
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
	r = inventory_load_checked(path, yaml, len, tree_check, t, &inv, d);
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
	return load(path, NULL, 0, keys, out, d);
}

int tree_load_buffer(const char *name, const char *yaml, size_t len, const struct key_source *keys,
                     struct tree **out, struct diag *d)
{
	return load(name, yaml, len, keys, out, d);
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
