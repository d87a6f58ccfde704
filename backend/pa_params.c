/*
 * pa_params.c - Panasonic parameter resolution: the tables of pa_table.h applied to the
 * merged levels of merge.h, highest rank winning (see resolved.h).
 */
#include "backend/pa_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void add_line_flat(struct ctx *c, const char *base, unsigned line, const char *value,
                          int rank)
{
	char flat[64];

	snprintf(flat, sizeof(flat), "%s_%u", base, line);
	add_flat(c, flat, value, rank, true);
}

static void add_settings(struct ctx *c)
{
	for (size_t i = 0; i < pa_setting_nrows; i++) {
		const struct pa_setting_row *row = &pa_setting_rows[i];
		struct ranked s = eff_setting(c->e, row->setting);

		if (s.v != NULL)
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
	int n = eff_params(c->e, VENDOR_PANASONIC, &raw);

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
	struct ctx c = { out, &e, dev->model->dialect };

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
