/*
 * pa_check.c - Panasonic's checks: values and parameter names per dialect, once per level
 * (validate.c says how levels are walked), and the rendered text files' documented limits
 * once the tree is built.
 *
 * Messages name a parameter through diag_key() (a bounded excerpt) and never quote a value.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/pa_files.h"
#include "backend/pa_params.h"
#include "backend/pa_table.h"
#include "backend/resolved.h"
#include "backend/validate.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/schema.h"

enum {
	USE_PA_TEXT = 1 << 0,
	USE_PA_UTG = 1 << 1,
};

#define PA_TEXT_VALUE_MAX 500 /* characters, quotes not counted */

struct checker {
	const struct inventory *inv;
	struct diag *d;
};

unsigned pa_model_use(const struct model *m)
{
	return pa_dialect(m) == DIALECT_UTG_XML ? USE_PA_UTG : USE_PA_TEXT;
}

void pa_check_model(const struct inventory *inv, struct diag *d, const struct model *m)
{
	if (m->encrypt && pa_dialect(m) != DIALECT_UTG_XML)
		inv_error(
		    inv, d, m->encrypt_value.pos,
		    "'encrypt' needs the utg-xml dialect: text-dialect phones cannot read .enc "
		    "files");
}

static void check_value(struct checker *c, const struct value *v, const char *what, unsigned use)
{
	int bad;

	if (v->s == NULL)
		return;
	if ((use & USE_PA_UTG) && (bad = validate_xml_bad_char(v)) >= 0)
		inv_error(c->inv, c->d, v->pos,
		          "%s: control character U+%04X cannot be carried by an XML file", what,
		          (unsigned)bad);
	if (!(use & USE_PA_TEXT))
		return;
	for (uint32_t i = 0; i < v->len; i++) {
		unsigned char ch = (unsigned char)v->s[i];

		if (ch == '"' || ch == '\r' || ch == '\n' || (ch < 0x20 && ch != '\t')) {
			inv_error(c->inv, c->d, v->pos,
			          "%s: a Panasonic text file cannot carry %s in a value", what,
			          ch == '"'    ? "a double quote"
			          : ch == '\n' ? "a line break"
			                       : "a control character");
			break;
		}
	}
	if (validate_utf8_chars(v->s, v->len) > PA_TEXT_VALUE_MAX)
		inv_error(c->inv, c->d, v->pos,
		          "%s: a Panasonic text value holds at most %d characters", what,
		          PA_TEXT_VALUE_MAX);
}

/* A Panasonic param's name in one dialect; the text line it makes must fit 537 bytes. */
static void check_pa_name(struct checker *c, const struct param *p, enum dialect d)
{
	char name[256], q[DIAG_KEY_SIZE];
	const char *why;

	diag_key(q, p->name);
	if (pa_dialect_name(p->name, d, name, sizeof(name), &why) < 0) {
		inv_error(c->inv, c->d, p->name_pos, "'%s' %s", q, why);
		return;
	}
	if (d == DIALECT_TEXT && strlen(name) + p->v.len + 5 > PA_LINE_MAX)
		inv_error(c->inv, c->d, p->v.pos,
		          "%s: a Panasonic text line holds at most %d bytes with its name", q,
		          PA_LINE_MAX);
}

static void check_pa_params(struct checker *c, const struct level *lv, unsigned use)
{
	const struct param_list *pl = &lv->params[vendor_index(&vendor_panasonic)];
	unsigned pa = use & (USE_PA_TEXT | USE_PA_UTG);

	for (uint32_t i = 0; i < pl->n; i++) {
		const struct param *p = &pl->items[i];
		bool path = strchr(p->name, '/') != NULL;
		const char *why = pa_reserved_reason(p->name);
		char q[DIAG_KEY_SIZE];

		diag_key(q, p->name);
		if (why != NULL) {
			inv_error(c->inv, c->d, p->name_pos, "'%s' cannot be set in params: %s", q,
			          why);
			continue;
		}
		/* params no Panasonic device inherits yet: checked in the form they are written */
		if ((pa & USE_PA_TEXT) || (pa == 0 && !path))
			check_pa_name(c, p, DIALECT_TEXT);
		if ((pa & USE_PA_UTG) || (pa == 0 && path))
			check_pa_name(c, p, DIALECT_UTG_XML);
		check_value(c, &p->v, q, pa != 0 ? pa : USE_PA_TEXT);
	}
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
	struct file_ref ref = { &vendor_panasonic, PA_STD, dev, dev->model, NULL };
	char level[32 + MAC_STRLEN];
	struct resolved params;
	int r;

	resolved_init(&params);
	r = pa_resolve_device(t->inv, dev, NULL, 0, &params);
	if (r == 0 && pa_dialect(dev->model) == DIALECT_UTG_XML)
		check_utg_paths(t, dev, &params, d);
	resolved_free(&params);
	/* encrypted models are UTG XML: no size limit is documented for them */
	if (r < 0 || !text || pa_dialect(dev->model) != DIALECT_TEXT)
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
		struct file_ref ref = { &vendor_panasonic, PA_PRODUCT, NULL, m, NULL };
		char level[16 + NAME_MAX];

		if (vendor_of(m) != &vendor_panasonic || pa_dialect(m) != DIALECT_TEXT)
			continue;
		text = m;
		snprintf(level, sizeof(level), "model %s", m->name);
		r = check_pa_text_file(t, &ref, m->pos, level, out, d);
	}
	if (r == 0 && text != NULL) {
		struct file_ref ref = { &vendor_panasonic, PA_MASTER, NULL, NULL, NULL };

		r = check_pa_text_file(t, &ref, inv->defaults.pos, "defaults", out, d);
	}
	return r;
}

/*
 * Rendered text files are checked only when every other check passed: a parameter too long
 * for its line has been reported where it is written already.
 */
int pa_check_tree(struct tree *t, struct diag *d)
{
	bool text = diag_count(d) == 0;
	struct buf out;
	int r = 0;

	buf_init(&out);
	for (uint32_t i = 0; i < t->inv->ndevices && r == 0; i++) {
		const struct device *dev = &t->inv->devices[i];

		if (dev->model != NULL && vendor_of(dev->model) == &vendor_panasonic)
			r = check_pa_device(t, dev, text, &out, d);
	}
	if (r == 0 && text)
		r = check_pa_shared(t, &out, d);
	if (out.data != NULL)
		explicit_bzero(out.data, out.cap);
	buf_free(&out);
	return r;
}

void pa_check_level(const struct inventory *inv, struct diag *d, const struct level *lv,
                    unsigned use, bool generic)
{
	struct checker c = { inv, d };

	(void)generic;
	for (int s = 0; use != 0 && s < SET__COUNT; s++)
		check_value(&c, &lv->settings[s], validate_setting_label[s], use);
	for (uint32_t i = 0; use != 0 && i < lv->nlines; i++)
		for (int f = 0; f < LF__COUNT; f++)
			check_value(&c, &lv->lines[i].f[f], validate_line_label[f], use);
	check_pa_params(&c, lv, use);
}
