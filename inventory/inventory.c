/*
 * inventory.c - read every file, then finalize: required sections, server.url, sorted and
 * de-duplicated models/groups/devices, names linked to records, flat params assigned to
 * their vendor, lines checked against max_lines, and the MAC index built.
 */
#include "inventory/inventory.h"

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "inventory/mac.h"
#include "inventory/schema.h"
#include "inventory/secret_file.h"
#include "inventory/ytree.h"

#define MAX_FILES 10000

static int add_file_name(struct inventory *inv, const char *name, uint32_t *cap)
{
	if (inv->nfiles == *cap) {
		uint32_t ncap = *cap ? *cap * 2 : 8;
		const char **f = realloc(inv->files, ncap * sizeof(*f));

		if (f == NULL)
			return -ENOMEM;
		inv->files = f;
		*cap = ncap;
	}
	inv->files[inv->nfiles] = arena_strdup(&inv->arena, name);
	if (inv->files[inv->nfiles] == NULL)
		return -ENOMEM;
	inv->nfiles++;
	return 0;
}

/*
 * Parses one file's text and feeds it to the builder. An `owned` text (malloc'd) is freed as
 * soon as it is parsed: the tree holds copies of its scalars, and a large file's text need not
 * stay while the schema builds the model (the peak of a load).
 */
static int read_text(struct builder *b, const char *text, size_t len, const char *dir, char *owned)
{
	struct arena tmp;
	struct ynode *root;
	int r;

	arena_init(&tmp);
	r = ytree_parse(b->inv->files[b->file], text, len, &tmp, b->d, &root);
	free(owned);
	if (r == 0) {
		b->dir = dir;
		schema_read(b, root);
	} else {
		b->unreadable = 1;
	}
	arena_free(&tmp);
	return r == -ENOMEM ? r : 0;
}

static char *dir_of(struct inventory *inv, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return arena_strdup(&inv->arena, ".");
	if (slash == path)
		return arena_strdup(&inv->arena, "/");
	return arena_strndup(&inv->arena, path, (size_t)(slash - path));
}

/* Reads `name` relative to dirfd (AT_FDCWD: the working directory), known as `path`. */
static int read_one_file(struct builder *b, int dir_fd, const char *name, const char *path,
                         uint32_t *cap)
{
	struct inventory *inv = b->inv;
	struct stat st;
	char *text;
	size_t len;
	int r;

	r = add_file_name(inv, path, cap);
	if (r < 0)
		return r;
	b->file = inv->nfiles - 1;
	if (fstatat(dir_fd, name, &st, 0) == 0 && st.st_mtime > inv->mtime)
		inv->mtime = st.st_mtime;
	if (ytree_read_file_at(dir_fd, name, path, &text, &len, b->d) < 0) {
		b->unreadable = 1;
		return 0; /* reported */
	}
	return read_text(b, text, len,
	                 b->base != NULL ? arena_strdup(&inv->arena, b->base) : dir_of(inv, path),
	                 text);
}

bool inventory_is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_directory(struct builder *b, const char *path, uint32_t *cap)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, ncap = 0;
	int r = 0;

	if (dir == NULL) {
		diag_add(b->d, path, 0, 0, "cannot open directory: %s", strerror(errno));
		return 0;
	}
	while ((e = readdir(dir)) != NULL) {
		if (!inventory_is_yaml_name(e->d_name))
			continue;
		if (n == MAX_FILES) {
			diag_add(b->d, path, 0, 0, "more than %d inventory files", MAX_FILES);
			break;
		}
		if (n == ncap) {
			size_t c = ncap ? ncap * 2 : 16;
			char **nn = realloc(names, c * sizeof(*nn));

			if (nn == NULL) {
				r = -ENOMEM;
				break;
			}
			names = nn;
			ncap = c;
		}
		if (asprintf(&names[n], "%s/%s", path, e->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (r == 0 && n == 0)
		diag_add(b->d, path, 0, 0, "directory holds no *.yaml file");
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	/*
	 * Every *.yaml entry is an inventory file: a directory, FIFO or device named so is an
	 * error (ytree_read_file finds it without blocking), not skipped: the administrator
	 * meant something by the name, and skipping would serve devices without that file.
	 * Each is opened relative to the directory opened above (ytree_read_file_at says why).
	 */
	for (size_t i = 0; i < n && r == 0; i++)
		r = read_one_file(b, dirfd(dir), names[i] + strlen(path) + 1, names[i], cap);
	closedir(dir);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

/* ---- finalize ---------------------------------------------------------------------------- */

static void check_url(struct inventory *inv, struct diag *d)
{
	static const struct {
		const char *prefix;
		enum url_scheme scheme;
	} schemes[] = {
		{ "tftp://", URL_TFTP }, { "http://", URL_HTTP }, { "https://", URL_HTTPS },
		{ "ftp://", URL_FTP },   { "ftps://", URL_FTPS },
	};
	const struct value *u = &inv->server_url;
	const char *rest = NULL;
	size_t len;

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t pl = strlen(schemes[i].prefix);

		if (strncasecmp(u->s, schemes[i].prefix, pl) == 0) {
			inv->url_scheme = schemes[i].scheme;
			rest = u->s + pl;
			break;
		}
	}
	if (rest == NULL) {
		inv_error(
		    inv, d, u->pos,
		    "server.url must start with tftp://, http://, https://, ftp:// or ftps://");
		return;
	}
	len = strlen(rest);
	while (len > 0 && rest[len - 1] == '/')
		len--;
	if (len == 0 || rest[0] == '/' || rest[0] == ':') {
		inv_error(inv, d, u->pos, "server.url has no host");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rest[i];

		if (c == '@') {
			inv_error(inv, d, u->pos,
			          "server.url must not carry a user or password: phones keep "
			          "those in their own parameters");
			return;
		}
		if (c <= ' ' || c >= 127 || strchr("\"'<>\\?#&", c) != NULL) {
			inv_error(inv, d, u->pos,
			          "server.url has a character phones cannot use in a path: '%c'",
			          c >= ' ' && c < 127 ? c : '?');
			return;
		}
	}
	inv->url_path = arena_strndup(&inv->arena, rest, len);
}

static int model_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct model *)a)->name, ((const struct model *)b)->name);
}

static int group_cmp(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->name, ((const struct group *)b)->name);
}

static int pos_cmp(struct pos a, struct pos b)
{
	if (a.file != b.file)
		return a.file < b.file ? -1 : 1;
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	return a.col < b.col ? -1 : a.col > b.col;
}

static int device_cmp(const void *pa, const void *pb)
{
	const struct device *a = pa, *b = pb;

	if (a->mac != b->mac)
		return a->mac < b->mac ? -1 : 1;
	return pos_cmp(a->pos, b->pos);
}

/* Copies a builder vector into the arena (NULL for an empty one). */
static void *to_arena(struct inventory *inv, const void *vec, uint32_t n, size_t elem)
{
	void *p;

	if (n == 0)
		return NULL;
	p = arena_alloc(&inv->arena, (size_t)n * elem);
	if (p != NULL)
		memcpy(p, vec, (size_t)n * elem);
	return p;
}

static void assign_model_flats(struct builder *b)
{
	for (uint32_t i = 0; i < b->nflat; i++) {
		struct flat_params *f = &b->flat[i];

		if (f->owner_kind != FLAT_MODEL)
			continue;
		struct model *m = &b->models[f->owner];
		struct param_list *dst = &m->level.params[m->vendor];

		if (dst->n > 0)
			inv_error(b->inv, b->d, f->pos, "params given twice for this model");
		else
			*dst = f->list;
	}
}

static int sort_models_groups(struct builder *b)
{
	struct inventory *inv = b->inv;

	inv->nmodels = b->nmodels;
	inv->models = to_arena(inv, b->models, b->nmodels, sizeof(*inv->models));
	inv->ngroups = b->ngroups;
	inv->groups = to_arena(inv, b->groups, b->ngroups, sizeof(*inv->groups));
	if ((b->nmodels && inv->models == NULL) || (b->ngroups && inv->groups == NULL))
		return -ENOMEM;
	if (inv->nmodels > 1) /* qsort's base must not be NULL, even for 0 elements */
		qsort(inv->models, inv->nmodels, sizeof(*inv->models), model_cmp);
	if (inv->ngroups > 1)
		qsort(inv->groups, inv->ngroups, sizeof(*inv->groups), group_cmp);
	for (uint32_t i = 1; i < inv->nmodels; i++) {
		const struct model *a = &inv->models[i - 1], *m = &inv->models[i];

		if (strcasecmp(a->name, m->name) == 0) {
			const struct model *first = pos_cmp(a->pos, m->pos) < 0 ? a : m;
			const struct model *later = first == a ? m : a;
			char q[DIAG_KEY_SIZE];

			inv_error(inv, b->d, later->pos,
			          "model '%s' is already defined at %s:%u:%u",
			          diag_key(q, later->name), inventory_file(inv, first->pos),
			          (unsigned)first->pos.line, (unsigned)first->pos.col);
		}
	}
	for (uint32_t i = 1; i < inv->ngroups; i++) {
		const struct group *a = &inv->groups[i - 1], *g = &inv->groups[i];

		if (strcmp(a->name, g->name) == 0) {
			const struct group *first = pos_cmp(a->pos, g->pos) < 0 ? a : g;
			const struct group *later = first == a ? g : a;
			char q[DIAG_KEY_SIZE];

			inv_error(inv, b->d, later->pos,
			          "group '%s' is already defined at %s:%u:%u",
			          diag_key(q, later->name), inventory_file(inv, first->pos),
			          (unsigned)first->pos.line, (unsigned)first->pos.col);
		}
	}
	return 0;
}

static const struct group *find_group(const struct inventory *inv, const char *name)
{
	struct group key = { .name = name };

	if (inv->ngroups == 0) /* groups is NULL then: bsearch's base must not be */
		return NULL;
	return bsearch(&key, inv->groups, inv->ngroups, sizeof(*inv->groups), group_cmp);
}

/* The vendor whose phones a model is for: its schema (the loader checked the index). */
static const struct vendor_schema *schema_of(const struct inventory *inv, const struct model *m)
{
	return inv->vendors->v[m->vendor];
}

/* Level keys that configure another vendor's files, set on a model or device of this one. */
static void check_level_keys(struct inventory *inv, struct diag *d, const struct level *lv,
                             const struct vendor_schema *vs, const char *what)
{
	static const struct {
		unsigned flag;
		const char *key;
		size_t off;
	} keys[] = {
		{ LK_XML_PASSWORD, "xml_password", offsetof(struct level, xml_password) },
		{ LK_BINARY, "binary", offsetof(struct level, binary) },
		{ LK_BINARY, "binary_layout", offsetof(struct level, binary_layout) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct value *v = (const struct value *)((const char *)lv + keys[i].off);

		if (v->s != NULL && !(vs->level_keys & keys[i].flag))
			inv_error(inv, d, v->pos, "'%s' does not apply to %s", keys[i].key, what);
	}
	if (lv->config.set && !(vs->level_keys & LK_CONFIG))
		inv_error(inv, d, lv->config.pos, "'config' (prefix/postfix) does not apply to %s",
		          what);
	if (lv->firmware.set && !(vs->level_keys & LK_FIRMWARE))
		inv_error(inv, d, lv->firmware.pos, "'firmware' does not apply to %s", what);
}

static void check_other_vendor_params(struct inventory *inv, struct diag *d, const struct level *lv,
                                      uint32_t vendor, const char *what)
{
	for (uint32_t v = 0; v < inv->vendors->n; v++)
		if (v != vendor && lv->params[v].n > 0)
			inv_error(inv, d, lv->params[v].items[0].name_pos,
			          "%s params on %s: they would never be used",
			          inv->vendors->v[v]->name, what);
}

static void link_device(struct builder *b, uint32_t idx)
{
	struct inventory *inv = b->inv;
	struct device *dev = &b->devices[idx];

	if (dev->model_name.s == NULL)
		return;
	dev->model = inventory_find_model(inv, dev->model_name.s, dev->model_name.len);
	if (dev->model == NULL) {
		/* a reference is a value: the position points at it, the text is not repeated */
		inv_error(inv, b->d, dev->model_name.pos,
		          "unknown model (no model of that name under 'models')");
		return;
	}
	if (dev->ngroups > 0) {
		dev->groups = arena_alloc(&inv->arena, dev->ngroups * sizeof(*dev->groups));
		if (dev->groups == NULL) {
			dev->ngroups = 0;
			return;
		}
	}
	for (uint32_t g = 0; g < dev->ngroups; g++) {
		dev->groups[g] = find_group(inv, dev->group_names[g].s);
		if (dev->groups[g] == NULL)
			inv_error(inv, b->d, dev->group_names[g].pos,
			          "unknown group (no group of that name under 'groups')");
	}
}

static void assign_device_flats(struct builder *b)
{
	for (uint32_t i = 0; i < b->nflat; i++) {
		struct flat_params *f = &b->flat[i];

		if (f->owner_kind != FLAT_DEVICE)
			continue;
		struct device *dev = &b->devices[f->owner];

		if (dev->model == NULL)
			continue;
		struct param_list *dst = &dev->level.params[dev->model->vendor];

		if (dst->n > 0)
			inv_error(b->inv, b->d, f->pos, "params given twice for this device");
		else
			*dst = f->list;
	}
}

/* The highest level that lists lines defines them all; they must fit the model. */
static void check_lines(struct inventory *inv, struct diag *d, const struct device *dev)
{
	const struct level *lv = NULL;
	char mac[13], q[DIAG_KEY_SIZE];

	if (dev->level.has_lines)
		lv = &dev->level;
	for (uint32_t g = dev->ngroups; lv == NULL && g-- > 0;)
		if (dev->groups[g] != NULL && dev->groups[g]->level.has_lines)
			lv = &dev->groups[g]->level;
	if (lv == NULL && dev->model->level.has_lines)
		lv = &dev->model->level;
	if (lv == NULL && inv->defaults.has_lines)
		lv = &inv->defaults;
	if (lv == NULL || lv->nlines <= dev->model->max_lines)
		return;
	mac_format(dev->mac, false, mac);
	inv_error(inv, d, lv->lines[dev->model->max_lines].pos,
	          "line %u is more than model %s has (max_lines %u) for device %s",
	          (unsigned)dev->model->max_lines + 1, diag_key(q, dev->model->name),
	          (unsigned)dev->model->max_lines, mac);
}

static void check_vendor_keys(struct inventory *inv, struct diag *d)
{
	for (uint32_t i = 0; i < inv->nmodels; i++) {
		const struct model *m = &inv->models[i];
		char what[96], q[DIAG_KEY_SIZE];

		snprintf(what, sizeof(what), "the %s model %s", schema_of(inv, m)->name,
		         diag_key(q, m->name));
		check_level_keys(inv, d, &m->level, schema_of(inv, m), what);
		check_other_vendor_params(inv, d, &m->level, m->vendor, what);
	}
	for (uint32_t i = 0; i < inv->ndevices; i++) {
		const struct device *dev = &inv->devices[i];
		char what[96], mac[13];

		if (dev->model == NULL)
			continue;
		mac_format(dev->mac, false, mac);
		snprintf(what, sizeof(what), "the %s device %s", schema_of(inv, dev->model)->name,
		         mac);
		check_level_keys(inv, d, &dev->level, schema_of(inv, dev->model), what);
		check_other_vendor_params(inv, d, &dev->level, dev->model->vendor, what);
		check_lines(inv, d, dev);
	}
	for (uint32_t v = 0; v < inv->vendors->n; v++)
		if (!(inv->vendors->v[v]->level_keys & LK_GENERIC) && inv->generic.params[v].n > 0)
			inv_error(
			    inv, d, inv->generic.params[v].items[0].name_pos,
			    "'generic' serves only the files of phones the inventory does not "
			    "know, and %s phones ask for none",
			    inv->vendors->v[v]->name);
}

static uint32_t mac_hash(uint64_t mac, uint32_t mask)
{
	return (uint32_t)((mac * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

static int build_index(struct builder *b)
{
	struct inventory *inv = b->inv;
	uint32_t size = 16;

	/*
	 * The builder's vector becomes the inventory's (sized to the devices sections, so
	 * nothing to trim mostly): no copy, which at 100,000 devices would be 57 MB more at the
	 * peak of every load.
	 */
	inv->ndevices = b->ndevices;
	if (b->ndevices > 0 && b->cap_devices > b->ndevices) {
		struct device *fit = realloc(b->devices, (size_t)b->ndevices * sizeof(*fit));

		if (fit != NULL)
			b->devices = fit;
	}
	inv->devices = b->ndevices > 0 ? b->devices : NULL;
	if (inv->devices != NULL) {
		b->devices = NULL;
		b->cap_devices = 0;
	}
	if (inv->ndevices > 1)
		qsort(inv->devices, inv->ndevices, sizeof(*inv->devices), device_cmp);
	while (size < 2 * (uint64_t)inv->ndevices)
		size *= 2;
	inv->mac_mask = size - 1;
	inv->mac_slots = arena_alloc(&inv->arena, size * sizeof(*inv->mac_slots));
	if (inv->mac_slots == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < inv->ndevices; i++) {
		const struct device *dev = &inv->devices[i];
		uint32_t h;

		if (i > 0 && inv->devices[i - 1].mac == dev->mac) {
			const struct pos *first = &inv->devices[i - 1].pos;

			inv_error(inv, b->d, dev->pos, "device already defined at %s:%u:%u",
			          inventory_file(inv, *first), (unsigned)first->line,
			          (unsigned)first->col);
			continue;
		}
		for (h = mac_hash(dev->mac, inv->mac_mask); inv->mac_slots[h] != 0;
		     h = (h + 1) & inv->mac_mask)
			;
		inv->mac_slots[h] = i + 1;
	}
	return 0;
}

static int finalize(struct builder *b)
{
	struct inventory *inv = b->inv;
	struct pos top = { 0, 1, 1 };
	int r;

	r = secrets_resolve(b); /* first: every later check sees the values */
	if (r < 0)
		return r;
	if (b->seen_version.line == 0)
		inv_error(inv, b->d, top, "missing 'version: 1'");
	if (b->seen_server.line == 0 || inv->server_url.s == NULL)
		inv_error(inv, b->d, b->seen_server.line ? b->seen_server : top,
		          "missing 'server: {url: ...}' (how phones reach this tree)");
	else
		check_url(inv, b->d);
	assign_model_flats(b);
	r = sort_models_groups(b);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < b->ndevices; i++)
		link_device(b, i);
	assign_device_flats(b);
	r = build_index(b);
	if (r < 0)
		return r;
	check_vendor_keys(inv, b->d);
	return 0;
}

/* ---- entry points ------------------------------------------------------------------------- */

int inventory_load_checked(const char *source, const char *text, size_t len,
                           const struct vendor_set *vendors, inventory_check_fn check, void *ctx,
                           struct inventory **out, struct diag *d)
{
	return inventory_load_based(source, NULL, vendors, check, ctx, out, d, text, len);
}

int inventory_load_based(const char *source, const char *base, const struct vendor_set *vendors,
                         inventory_check_fn check, void *ctx, struct inventory **out,
                         struct diag *d, const char *text, size_t len)
{
	struct inventory *inv = calloc(1, sizeof(*inv));
	struct builder b;
	size_t errors_before = diag_count(d);
	uint32_t cap = 0;
	struct stat st;
	int r;

	*out = NULL;
	if (inv == NULL)
		return -ENOMEM;
	arena_init(&inv->arena);
	inv->source = arena_strdup(&inv->arena, source);
	inv->vendors = vendors;
	builder_init(&b, inv, d);
	b.base = base;
	if (text != NULL) {
		r = add_file_name(inv, source, &cap);
		if (r == 0)
			r = read_text(&b, text, len, NULL, NULL);
	} else if (stat(source, &st) == 0 && S_ISDIR(st.st_mode)) {
		r = read_directory(&b, source, &cap);
	} else {
		r = read_one_file(&b, AT_FDCWD, source, source, &cap);
	}
	if (r == 0 && inv->nfiles > 0 && !b.unreadable) {
		r = finalize(&b);
		if (r == 0 && check != NULL && check(inv, d, ctx) == -ENOMEM)
			r = -ENOMEM;
	}
	builder_release(&b);
	if (r == 0 && diag_count(d) != errors_before)
		r = -EINVAL;
	/* best effort (NULL without memory): only the reloader's watch uses it */
	free(d->secrets_path);
	d->secrets_path = inv->secrets_path != NULL ? strdup(inv->secrets_path) : NULL;
	if (r < 0) {
		if (r == -ENOMEM)
			diag_add(d, source, 0, 0, "out of memory");
		inventory_free(inv);
		return r;
	}
	*out = inv;
	return 0;
}

int inventory_load(const char *path, const struct vendor_set *vendors, struct inventory **out,
                   struct diag *d)
{
	return inventory_load_checked(path, NULL, 0, vendors, NULL, NULL, out, d);
}

int inventory_load_buffer(const char *name, const char *yaml, size_t len,
                          const struct vendor_set *vendors, struct inventory **out, struct diag *d)
{
	return inventory_load_checked(name, yaml, len, vendors, NULL, NULL, out, d);
}

void inventory_free(struct inventory *inv)
{
	if (inv == NULL)
		return;
	free(inv->files);
	free(inv->devices);
	arena_free(&inv->arena);
	free(inv);
}

const struct device *inventory_find(const struct inventory *inv, uint64_t mac)
{
	if (inv->mac_slots == NULL)
		return NULL;
	for (uint32_t h = mac_hash(mac, inv->mac_mask);; h = (h + 1) & inv->mac_mask) {
		uint32_t slot = inv->mac_slots[h];

		if (slot == 0)
			return NULL;
		if (inv->devices[slot - 1].mac == mac)
			return &inv->devices[slot - 1];
	}
}

const struct model *inventory_find_model(const struct inventory *inv, const char *name, size_t len)
{
	uint32_t lo = 0, hi = inv->nmodels;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *mn = inv->models[mid].name;
		int c = strncasecmp(mn, name, len);

		if (c == 0)
			c = mn[len] == '\0' ? 0 : 1;
		if (c == 0)
			return &inv->models[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *inventory_file(const struct inventory *inv, struct pos p)
{
	return p.file < inv->nfiles ? inv->files[p.file] : inv->source;
}
