/*
 * gs_check.c - Grandstream's checks: values an XML file can carry, raw P-value names, the
 * account count, once per level (validate.c says how levels are walked); once the tree is
 * built, the prefix/postfix pairs in use, the legacy binary's size limit and firmware names
 * that would read as configuration names.
 *
 * Messages name a parameter through diag_key() (a bounded excerpt) and never quote a value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/gs_binary.h"
#include "backend/gs_files.h"
#include "backend/gs_table.h"
#include "backend/validate.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/merge.h"
#include "inventory/schema.h"

struct checker {
	const struct inventory *inv;
	struct diag *d;
};

static const char *str_or_empty(const struct value *v)
{
	return v->s != NULL ? v->s : "";
}

static void check_value(struct checker *c, const struct value *v, const char *what)
{
	int bad;

	if (v->s != NULL && (bad = validate_xml_bad_char(v)) >= 0)
		inv_error(c->inv, c->d, v->pos,
		          "%s: control character U+%04X cannot be carried by an XML file", what,
		          (unsigned)bad);
}

void gs_check_model(const struct inventory *inv, struct diag *d, const struct model *m)
{
	if (m->max_lines > GS_MAX_ACCOUNTS) {
		char q[DIAG_KEY_SIZE];

		inv_error(inv, d, m->pos,
		          "model %s: Grandstream phones have at most %d accounts (max_lines %u)",
		          diag_key(q, m->name), GS_MAX_ACCOUNTS, (unsigned)m->max_lines);
	}
}

struct gs_seen {
	uint32_t param;
	const struct param *src;
};

static int gs_seen_cmp(const void *pa, const void *pb)
{
	const struct gs_seen *a = pa, *b = pb;

	if (a->param != b->param)
		return a->param < b->param ? -1 : 1;
	if (a->src->name_pos.line != b->src->name_pos.line)
		return a->src->name_pos.line < b->src->name_pos.line ? -1 : 1;
	return a->src->name_pos.col < b->src->name_pos.col ? -1 : 1;
}

/* Grandstream raw params of one level: names, reserved numbers, values, aliases twice. */
static void check_gs_params(struct checker *c, const struct level *lv, bool shared_unknown)
{
	const struct param_list *pl = &lv->params[vendor_index(&vendor_grandstream)];
	struct gs_seen *seen;
	uint32_t n = 0;

	if (pl->n == 0)
		return;
	seen = malloc(pl->n * sizeof(*seen));
	if (seen == NULL) {
		c->d->oom = 1;
		return;
	}
	for (uint32_t i = 0; i < pl->n; i++) {
		const struct param *p = &pl->items[i];
		struct gs_name gn;
		const char *why;
		char q[DIAG_KEY_SIZE];

		diag_key(q, p->name);
		if (gs_parse_name(p->name, &gn, &why) < 0) {
			inv_error(c->inv, c->d, p->name_pos, "'%s' %s", q, why);
			continue;
		}
		why = gs_reserved_reason(gn.param);
		if (why != NULL) {
			inv_error(c->inv, c->d, p->name_pos,
			          "'%s' (P%u) cannot be set in params: %s", q, (unsigned)gn.param,
			          why);
			continue;
		}
		if (gn.yes_no && gs_yes_no_value(p->v.s) == NULL)
			inv_error(c->inv, c->d, p->v.pos, "'%s' must be Yes or No", q);
		if (shared_unknown && gn.secret)
			inv_error(c->inv, c->d, p->name_pos,
			          "'%s' is a secret: 'generic' files are read by phones this "
			          "inventory does not know",
			          q);
		check_value(c, &p->v, q);
		seen[n].param = gn.param;
		seen[n].src = p;
		n++;
	}
	qsort(seen, n, sizeof(*seen), gs_seen_cmp);
	for (uint32_t i = 1; i < n; i++) {
		char q[DIAG_KEY_SIZE], q0[DIAG_KEY_SIZE];

		if (seen[i].param != seen[i - 1].param)
			continue;
		inv_error(c->inv, c->d, seen[i].src->name_pos,
		          "'%s' sets P%u, which '%s' at %u:%u sets already",
		          diag_key(q, seen[i].src->name), (unsigned)seen[i].param,
		          diag_key(q0, seen[i - 1].src->name),
		          (unsigned)seen[i - 1].src->name_pos.line,
		          (unsigned)seen[i - 1].src->name_pos.col);
	}
	free(seen);
}

static int wrap_cmp(const void *pa, const void *pb)
{
	const struct wrap *a = pa, *b = pb;
	int c = strcmp(a->prefix, b->prefix);

	return c != 0 ? c : strcmp(a->postfix, b->postfix);
}

/* The distinct config prefix/postfix pairs Grandstream devices use. */
static int collect_wraps(struct tree *t)
{
	const struct inventory *inv = t->inv;
	uint32_t n = 0;

	t->wraps = arena_alloc(&t->arena, (inv->ndevices ? inv->ndevices : 1) * sizeof(*t->wraps));
	if (t->wraps == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < inv->ndevices; i++) {
		const struct device *dev = &inv->devices[i];
		const struct cfg_names *c;
		struct effective e;
		int rank;

		if (dev->model == NULL || vendor_of(dev->model) != &vendor_grandstream)
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

		if (!gs_device_has(t, dev, GS_BIN))
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

void gs_check_level(const struct inventory *inv, struct diag *d, const struct level *lv,
                    unsigned use, bool generic)
{
	struct checker c = { inv, d };

	for (int s = 0; use != 0 && s < SET__COUNT; s++)
		check_value(&c, &lv->settings[s], validate_setting_label[s]);
	for (uint32_t i = 0; use != 0 && i < lv->nlines; i++)
		for (int f = 0; f < LF__COUNT; f++)
			check_value(&c, &lv->lines[i].f[f], validate_line_label[f]);
	check_gs_params(&c, lv, generic);
}

int gs_check_tree(struct tree *t, struct diag *d)
{
	int r = collect_wraps(t);

	if (r == 0)
		r = check_binary_sizes(t, d);
	if (r == 0)
		check_firmware_names(t, d);
	return r;
}
