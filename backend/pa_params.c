/*
 * pa_params.c - Panasonic parameter resolution: the tables of pa_table.h applied to the
 * merged levels of merge.h, highest rank winning (see resolved.h).
 */
#include "backend/pa_params.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/pa_files.h"
#include "backend/pa_table.h"
#include "inventory/merge.h"

struct ctx {
	struct resolved *r;
	const struct effective *e;
	enum dialect dialect;
};

/* Adds a parameter given by its flat name, in the dialect's form. */
static void add_flat(struct ctx *c, const char *flat, const char *value, int rank, bool from_line)
{
	char path[256];
	const char *name = flat;

	if (c->dialect == DIALECT_UTG_XML) {
		if (pa_utg_path(flat, path, sizeof(path)) < 0) {
			c->r->oom = 1; /* every table name has a path: cannot happen */
			return;
		}
		name = path;
	}
	resolved_add(c->r, arena_strdup(&c->r->pool, name), 0, value, rank, pa_is_secret(name),
	             rank_level_kind(c->e, rank), from_line);
}

/*
 * The names the tables give (settings, and each per-line name for lines 1 to PA_LINES_MAX) in
 * both dialects, with their secret flags: made once, because every device's files and checks
 * need them (at 100,000 devices, making them each time was a quarter of a load). NULL where a
 * dialect has no form for the name: add_flat then says so as before.
 */
struct table_name {
	char *name[2]; /* [0] text: the flat name; [1] UTG XML: its path */
	bool secret[2];
};

static const char *const line_extra[] = { PA_REGISTRAR, PA_PROXY, PA_REGISTRAR_PORT, PA_PROXY_PORT,
	                                  PA_OUTBOUND };
#define LINE_EXTRA (sizeof(line_extra) / sizeof(line_extra[0]))

static pthread_once_t names_once = PTHREAD_ONCE_INIT;
static struct table_name *setting_names; /* [row of pa_setting_rows] */
static struct table_name *line_names;    /* [(base * PA_LINES_MAX) + line - 1] */
static size_t line_bases;                /* pa_line_rows, then line_extra */

static const char *line_base(size_t i)
{
	return i < pa_line_nrows ? pa_line_rows[i].name : line_extra[i - pa_line_nrows];
}

static bool make_name(struct table_name *n, const char *flat)
{
	char path[256];

	n->name[0] = strdup(flat);
	n->secret[0] = pa_is_secret(flat);
	if (pa_utg_path(flat, path, sizeof(path)) == 0) {
		n->name[1] = strdup(path);
		n->secret[1] = pa_is_secret(path);
		if (n->name[1] == NULL)
			return false;
	}
	return n->name[0] != NULL;
}

static void free_names(struct table_name *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].name[0]);
		free(v[i].name[1]);
	}
	free(v);
}

static void make_names(void)
{
	struct table_name *s = calloc(pa_setting_nrows, sizeof(*s));
	size_t bases = pa_line_nrows + LINE_EXTRA;
	struct table_name *l = calloc(bases * PA_LINES_MAX, sizeof(*l));
	bool ok = s != NULL && l != NULL;

	for (size_t i = 0; ok && i < pa_setting_nrows; i++)
		ok = make_name(&s[i], pa_setting_rows[i].name);
	for (size_t b = 0; ok && b < bases; b++)
		for (unsigned line = 1; ok && line <= PA_LINES_MAX; line++) {
			char flat[64];

			snprintf(flat, sizeof(flat), "%s_%u", line_base(b), line);
			ok = make_name(&l[b * PA_LINES_MAX + line - 1], flat);
		}
	if (!ok) { /* without memory: every name is made each time, as before */
		free_names(s, s != NULL ? pa_setting_nrows : 0);
		free_names(l, l != NULL ? bases * PA_LINES_MAX : 0);
		return;
	}
	setting_names = s;
	line_names = l;
	line_bases = bases;
}

/* The made name of n in c's dialect, or NULL (then add_flat, the slow way). */
static const struct table_name *table_name(const struct table_name *n, const struct ctx *c)
{
	return n != NULL && n->name[c->dialect == DIALECT_UTG_XML] != NULL ? n : NULL;
}

static void add_named(struct ctx *c, const struct table_name *n, const char *value, int rank,
                      bool from_line)
{
	int d = c->dialect == DIALECT_UTG_XML;

	/* the made names live as long as the process: no copy into the pool */
	resolved_add(c->r, n->name[d], 0, value, rank, n->secret[d], rank_level_kind(c->e, rank),
	             from_line);
}

static void add_line_flat(struct ctx *c, const char *base, unsigned line, const char *value,
                          int rank)
{
	const struct table_name *n = NULL;
	char flat[64];

	pthread_once(&names_once, make_names);
	for (size_t b = 0;
	     line_names != NULL && line >= 1 && line <= PA_LINES_MAX && b < line_bases; b++)
		if (line_base(b) == base || strcmp(line_base(b), base) == 0) {
			n = table_name(&line_names[b * PA_LINES_MAX + line - 1], c);
			break;
		}
	if (n != NULL) {
		add_named(c, n, value, rank, true);
		return;
	}
	snprintf(flat, sizeof(flat), "%s_%u", base, line);
	add_flat(c, flat, value, rank, true);
}

static void add_settings(struct ctx *c)
{
	pthread_once(&names_once, make_names);
	for (size_t i = 0; i < pa_setting_nrows; i++) {
		const struct pa_setting_row *row = &pa_setting_rows[i];
		struct ranked s = eff_setting(c->e, row->setting);
		const struct table_name *n =
		    setting_names != NULL ? table_name(&setting_names[i], c) : NULL;

		if (s.v == NULL)
			continue;
		if (n != NULL)
			add_named(c, n, row->fixed ? row->fixed : s.v->s, rank_setting(s.rank),
			          false);
		else
			add_flat(c, row->name, row->fixed ? row->fixed : s.v->s,
			         rank_setting(s.rank), false);
	}
}

/* One account: its fields, its registrar (also the proxy) and outbound proxy. */
static void add_line(struct ctx *c, const struct line *ln, unsigned n, int rank)
{
	struct ranked sip_server = eff_setting(c->e, SET_SIP_SERVER);
	struct ranked port = eff_setting(c->e, SET_SIP_PORT);
	struct ranked proxy = eff_setting(c->e, SET_OUTBOUND_PROXY);

	for (size_t i = 0; i < pa_line_nrows; i++) {
		const struct value *v = &ln->f[pa_line_rows[i].field];

		if (pa_line_rows[i].field == LF_AUTH_USER && v->s == NULL)
			v = &ln->f[LF_USER]; /* auth_user defaults to user */
		if (v->s != NULL)
			add_line_flat(c, pa_line_rows[i].name, n, v->s, rank);
	}
	if (ln->f[LF_SERVER].s != NULL) {
		add_line_flat(c, PA_REGISTRAR, n, ln->f[LF_SERVER].s, rank);
		add_line_flat(c, PA_PROXY, n, ln->f[LF_SERVER].s, rank);
	} else if (sip_server.v != NULL) {
		add_line_flat(c, PA_REGISTRAR, n, sip_server.v->s, rank_setting(sip_server.rank));
		add_line_flat(c, PA_PROXY, n, sip_server.v->s, rank_setting(sip_server.rank));
	}
	if (port.v != NULL) {
		add_line_flat(c, PA_REGISTRAR_PORT, n, port.v->s, rank_setting(port.rank));
		add_line_flat(c, PA_PROXY_PORT, n, port.v->s, rank_setting(port.rank));
	}
	if (proxy.v != NULL)
		add_line_flat(c, PA_OUTBOUND, n, proxy.v->s, rank_setting(proxy.rank));
}

static void add_lines(struct ctx *c)
{
	int lrank;
	const struct level *lv = eff_lines(c->e, &lrank);

	for (uint32_t i = 0; lv != NULL && i < lv->nlines && i < PA_LINES_MAX; i++)
		add_line(c, &lv->lines[i], i + 1, rank_setting(lrank));
}

static void add_raw_params(struct ctx *c)
{
	struct ranked_param *raw;
	int n = eff_params(c->e, vendor_index(&vendor_panasonic), &raw);

	if (n < 0) {
		c->r->oom = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		char name[256];
		const char *why;

		/* validation rejects names the dialect cannot take before a tree is served */
		if (pa_dialect_name(raw[i].p->name, c->dialect, name, sizeof(name), &why) < 0 ||
		    pa_reserved_reason(name) != NULL)
			continue;
		resolved_add(c->r, arena_strdup(&c->r->pool, name), 0, raw[i].p->v.s,
		             rank_param(raw[i].rank), pa_is_secret(name),
		             rank_level_kind(c->e, rank_param(raw[i].rank)), false);
	}
	free(raw);
}

int pa_resolve_device(const struct inventory *inv, const struct device *dev,
                      const struct pa_fixed *fixed, size_t nfixed, struct resolved *out)
{
	struct effective e;
	struct ctx c = { out, &e, pa_dialect(dev->model) };

	effective_device(&e, inv, dev);
	add_settings(&c);
	add_lines(&c);
	add_raw_params(&c);
	for (size_t i = 0; i < nfixed; i++)
		add_flat(&c, fixed[i].name, fixed[i].value, RANK_FIXED, false);
	return resolved_finish(out);
}

int pa_resolve_shared(const struct inventory *inv, const struct model *model, enum dialect dialect,
                      struct resolved *out)
{
	struct effective e;
	struct ctx c = { out, &e, dialect };

	effective_shared(&e, inv, model);
	add_settings(&c);
	add_raw_params(&c);
	return resolved_finish(out);
}
