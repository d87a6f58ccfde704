/*
 * diff.c - `provctl diff INVENTORY [OTHER]`: which devices' files change between two
 * inventories, parameter by parameter, before an edit goes live.
 *
 * With one argument, the other side is what the running mount serves: the copy of its last
 * good inventory the daemon keeps in its state directory (state/snapshot.h), loaded with the
 * original's base directory so that firmware_dir means the same. Parameters are compared
 * under the vendor's own names (struct vendor.params); a secret's value (the vendor's own
 * marks: gs_secret_rows, pa_secret_rows, secret_name) is never printed, only that it was set,
 * changed or removed. Shared files (per model, generic, firmware) are compared by their bytes.
 * Exit status as diff(1): 0 no change, 1 changes, 2 trouble (a bad inventory: FILE:LINE:COL).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/buf.h"
#include "backend/files.h"
#include "backend/params.h"
#include "backend/vendor.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "provctl/progress.h"
#include "provctl/provctl.h"
#include "state/snapshot.h"

#define EXIT_TROUBLE 2

/* A value on one line: quoted, control bytes, quotes and backslashes as \xNN. */
static void print_value(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f || ch == '\\' || ch == '"')
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_change(void *ctx, const struct rparam *old, const struct rparam *now)
{
	const struct rparam *any = old != NULL ? old : now;
	bool secret = (old != NULL && old->secret) || (now != NULL && now->secret);

	(void)ctx;
	if (any == NULL)
		return;
	printf("    %s: ", any->name);
	if (secret) {
		printf("(secret) %s\n", old == NULL ? "set" : now == NULL ? "removed" : "changed");
		return;
	}
	if (old != NULL)
		print_value(old->value);
	else
		printf("(unset)");
	printf(" -> ");
	if (now != NULL)
		print_value(now->value);
	else
		printf("(unset)");
	printf("\n");
}

struct counts {
	unsigned changed, added, removed, files;
	int err;
};

static const char *model_name(const struct device *d)
{
	return d->model != NULL ? d->model->name : "?";
}

/* params_diff's callback for a first pass that only counts (the heading comes first). */
static void count_only(void *ctx, const struct rparam *old, const struct rparam *now)
{
	(void)ctx;
	(void)old;
	(void)now;
}

static void device_changes(const struct tree *a, const struct device *da, const struct tree *b,
                           const struct device *db, struct counts *c)
{
	struct resolved pa, pb;
	bool ea, eb;
	unsigned n;
	int r = device_params(a, da, &pa);

	if (r == 0) {
		r = device_params(b, db, &pb);
		if (r < 0)
			resolved_free(&pa);
	}
	if (r < 0) {
		c->err = r;
		return;
	}
	n = params_diff(&pa, &pb, count_only, NULL);
	ea = da->model != NULL && vendor_encrypted(da->model);
	eb = db->model != NULL && vendor_encrypted(db->model);
	if (n > 0 || ea != eb || strcmp(model_name(da), model_name(db)) != 0) {
		char mac[MAC_STRLEN + 1];

		mac_format(da->mac, false, mac);
		printf("device %s (%s): changed\n", mac, model_name(db));
		if (strcmp(model_name(da), model_name(db)) != 0)
			printf("    model: %s -> %s\n", model_name(da), model_name(db));
		if (ea != eb) /* the key flow comes or goes with the model's `encrypt` */
			printf("    per-device key: %s -> %s\n", ea ? "yes" : "no",
			       eb ? "yes" : "no");
		params_diff(&pa, &pb, print_change, NULL);
		c->changed++;
	}
	resolved_free(&pa);
	resolved_free(&pb);
}

static void device_alone(const struct device *d, const char *what)
{
	char mac[MAC_STRLEN + 1];

	mac_format(d->mac, false, mac);
	printf("device %s: %s (%s)\n", mac, what, model_name(d));
}

/* ---- shared files ------------------------------------------------------------------------ */

/* Whether name is the same file with the same bytes in both trees. */
static int same_file(const struct tree *a, const struct tree *b, const char *name)
{
	struct file_ref ra, rb;
	struct buf x, y;
	int r;

	if (file_resolve(a, name, &ra) < 0 || file_resolve(b, name, &rb) < 0)
		return 0;
	if (file_is_passthrough(&ra) || file_is_passthrough(&rb))
		return file_is_passthrough(&ra) && file_is_passthrough(&rb) &&
		       file_same_source(&ra, &rb);
	buf_init(&x);
	buf_init(&y);
	r = file_render(a, &ra, false, &x);
	if (r == 0)
		r = file_render(b, &rb, false, &y);
	if (r == 0)
		r = x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
	buf_free(&x);
	buf_free(&y);
	return r;
}

static int collect(void *ctx, const struct file_ref *ref, const char *name)
{
	struct buf *b = ctx;
	char *copy = strdup(name);

	(void)ref;
	if (copy == NULL)
		return -ENOMEM;
	buf_append(b, &copy, sizeof(copy));
	return buf_status(b);
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Shared names of t (no device files), sorted. */
static int shared_names(const struct tree *t, char ***out, size_t *n)
{
	struct buf b;
	int r;

	buf_init(&b);
	r = file_foreach(t, false, collect, &b);
	*out = (char **)(void *)b.data;
	*n = b.len / sizeof(char *);
	if (*n > 1)
		qsort(*out, *n, sizeof(char *), by_name);
	return r < 0 ? r : buf_status(&b);
}

static void free_shared(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void diff_shared(const struct tree *a, const struct tree *b, struct counts *c)
{
	char **va, **vb;
	size_t na, nb, i = 0, j = 0;
	int r = shared_names(a, &va, &na);

	if (r == 0)
		r = shared_names(b, &vb, &nb);
	else
		vb = NULL, nb = 0;
	while (r == 0 && (i < na || j < nb)) {
		int cmp = i == na ? 1 : j == nb ? -1 : strcmp(va[i], vb[j]);

		if (cmp < 0) {
			printf("file %s: removed\n", va[i++]);
			c->files++;
		} else if (cmp > 0) {
			printf("file %s: added\n", vb[j++]);
			c->files++;
		} else {
			int same = same_file(a, b, va[i]);

			if (same < 0)
				r = same;
			else if (!same) {
				printf("file %s: changed\n", va[i]);
				c->files++;
			}
			i++;
			j++;
		}
	}
	if (r < 0)
		c->err = r;
	free_shared(va, na);
	free_shared(vb, nb);
}

/* ---- the command ------------------------------------------------------------------------- */

static void diff_trees(const struct tree *a, const struct tree *b, struct counts *c)
{
	const struct inventory *ia = a->inv, *ib = b->inv;
	struct progress p;

	progress_start(&p, "diff", (size_t)ia->ndevices + ib->ndevices);
	for (uint32_t i = 0; i < ia->ndevices && c->err == 0; i++) {
		const struct device *da = &ia->devices[i];
		const struct device *db = inventory_find(ib, da->mac);

		progress_tick(&p, i);
		if (db == NULL) {
			progress_end(&p);
			device_alone(da, "removed");
			c->removed++;
		} else {
			progress_end(&p); /* its lines, if any, start on a clean line */
			device_changes(a, da, b, db, c);
		}
	}
	for (uint32_t i = 0; i < ib->ndevices && c->err == 0; i++) {
		progress_tick(&p, ia->ndevices + i);
		if (inventory_find(ia, ib->devices[i].mac) == NULL) {
			progress_end(&p);
			device_alone(&ib->devices[i], "added");
			c->added++;
		}
	}
	progress_end(&p);
	if (c->err == 0)
		diff_shared(a, b, c);
}

int cmd_diff(const struct keys *keys, const char *state, const char *path, const char *other)
{
	const struct keys nokeys = { keys->st, NULL, NULL }; /* no device file is rendered */
	struct tree *a = NULL, *b = NULL;
	struct counts c = { 0, 0, 0, 0, 0 };

	if (other == NULL) {
		char q[DIAG_QUOTE_SIZE];
		struct diag d;
		int r;

		diag_init(&d);
		r = keys->st.dirfd >= 0 ? snapshot_load(&keys->st, &a, &d) : -ENOENT;
		if (r < 0 && r != -ENOENT) {
			diag_print(&d, stderr);
			fprintf(stderr,
			        "provctl: %s/" SNAPSHOT_DIR
			        ": the mount's copy cannot be loaded: %s\n",
			        diag_quote(q, keys->st.path), strerror(-r));
		}
		diag_free(&d);
		if (r == -ENOENT) {
			fprintf(stderr,
			        "provctl: %s/" SNAPSHOT_DIR
			        " does not exist: no mount with this state "
			        "directory has loaded an inventory (pass -s STATE, or two "
			        "inventories)\n",
			        diag_quote(q, state));
			return EXIT_TROUBLE;
		}
		if (r < 0)
			return EXIT_TROUBLE;
		b = load(&nokeys, path);
	} else {
		a = load(&nokeys, path);
		b = a != NULL ? load(&nokeys, other) : NULL;
	}
	if (a == NULL || b == NULL) {
		tree_free(a);
		tree_free(b);
		return EXIT_TROUBLE;
	}
	diff_trees(a, b, &c);
	if (c.err < 0)
		fprintf(stderr, "provctl: diff: %s\n", strerror(-c.err));
	else
		printf("%u device%s changed, %u added, %u removed; %u shared file%s changed\n",
		       c.changed, c.changed == 1 ? "" : "s", c.added, c.removed, c.files,
		       c.files == 1 ? "" : "s");
	tree_free(a);
	tree_free(b);
	if (c.err < 0)
		return EXIT_TROUBLE;
	return c.changed + c.added + c.removed + c.files > 0 ? 1 : 0;
}
