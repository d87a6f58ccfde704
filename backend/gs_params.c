/*
 * gs_params.c - Grandstream parameter resolution (see gs_params.h).
 */
#include "backend/gs_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/gs_files.h"
#include "backend/gs_table.h"
#include "inventory/merge.h"

static void add_secret_p(struct resolved *r, const struct effective *e, uint32_t p,
                         const char *value, int rank, bool secret)
{
	char *name = arena_printf(&r->pool, "P%u", (unsigned)p);

	resolved_add(r, name, p, value, rank, secret, rank_level_kind(e, rank), false);
}

static void add_p(struct resolved *r, const struct effective *e, uint32_t p, const char *value,
                  int rank)
{
	add_secret_p(r, e, p, value, rank, gs_is_secret(p));
}

static void add_settings(struct resolved *r, const struct effective *e, bool secrets)
{
	for (size_t i = 0; i < gs_setting_nrows; i++) {
		const struct gs_setting_row *row = &gs_setting_rows[i];
		struct ranked s = eff_setting(e, row->setting);

		if (s.v == NULL || (!secrets && gs_is_secret(row->param)))
			continue;
		add_p(r, e, row->param, row->fixed ? row->fixed : s.v->s, rank_setting(s.rank));
	}
}

/* server[:port]: sip_port applies to registrars written without a port. */
static const char *with_port(struct resolved *r, const char *server, const struct effective *e)
{
	struct ranked port = eff_setting(e, SET_SIP_PORT);

	if (port.v == NULL || strchr(server, ':') != NULL)
		return server;
	return arena_printf(&r->pool, "%s:%s", server, port.v->s);
}

static void add_lines(struct resolved *r, const struct effective *e)
{
	int lrank;
	const struct level *lv = eff_lines(e, &lrank);
	struct ranked sip_server = eff_setting(e, SET_SIP_SERVER);
	struct ranked proxy = eff_setting(e, SET_OUTBOUND_PROXY);

	if (lv == NULL)
		return;
	for (uint32_t i = 0; i < lv->nlines && i < GS_MAX_ACCOUNTS; i++) {
		const struct line *ln = &lv->lines[i];
		unsigned acct = i + 1;
		int rank = rank_setting(lrank);

		add_p(r, e, gs_account_param(acct, GA_ACTIVE), "1", rank);
		for (int f = 0; f < LF__COUNT; f++) {
			const struct value *v = &ln->f[f];

			if (f == LF_SERVER)
				continue;
			if (f == LF_AUTH_USER && v->s == NULL)
				v = &ln->f[LF_USER]; /* auth_user defaults to user */
			if (v->s != NULL)
				add_p(r, e, gs_account_param(acct, gs_line_field[f]), v->s, rank);
		}
		if (ln->f[LF_SERVER].s != NULL)
			add_p(r, e, gs_account_param(acct, GA_SERVER),
			      with_port(r, ln->f[LF_SERVER].s, e), rank);
		else if (sip_server.v != NULL)
			add_p(r, e, gs_account_param(acct, GA_SERVER),
			      with_port(r, sip_server.v->s, e), rank_setting(sip_server.rank));
		if (proxy.v != NULL)
			add_p(r, e, gs_account_param(acct, GA_OUTBOUND), proxy.v->s,
			      rank_setting(proxy.rank));
	}
}

static void add_raw_params(struct resolved *r, const struct effective *e, bool secrets)
{
	struct ranked_param *raw;
	int n = eff_params(e, vendor_index(&vendor_grandstream), &raw);

	if (n < 0) {
		r->oom = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		struct gs_name gn;
		const char *why, *value = raw[i].p->v.s;

		/* validation rejects unknown and reserved names before a generation is served */
		if (gs_parse_name(raw[i].p->name, &gn, &why) < 0 ||
		    gs_reserved_reason(gn.param) != NULL)
			continue;
		if (gn.yes_no && (value = gs_yes_no_value(value)) == NULL)
			continue;
		if (!secrets && gn.secret)
			continue;
		add_secret_p(r, e, gn.param, value, rank_param(raw[i].rank), gn.secret);
	}
	free(raw);
}

static void add_config_names(struct resolved *r, const struct effective *e)
{
	int rank;
	const struct cfg_names *c = eff_config(e, &rank);

	if (c == NULL)
		return;
	add_p(r, e, GS_P_CONFIG_PREFIX, c->prefix.s ? c->prefix.s : "", RANK_FIXED);
	add_p(r, e, GS_P_CONFIG_POSTFIX, c->postfix.s ? c->postfix.s : "", RANK_FIXED);
}

static void add_server(struct resolved *r, const struct effective *e, const struct inventory *inv)
{
	add_p(r, e, GS_P_PROTOCOL, gs_protocol_value(inv->url_scheme), RANK_FIXED);
	add_p(r, e, GS_P_CONFIG_PATH, inv->url_path, RANK_FIXED);
}

/*
 * Managed firmware is fetched from this tree: P192 is the config path, P232/P233 the
 * block's prefix/postfix. Newer firmware (GXP16xx/21xx) takes the firmware protocol from
 * P6767 instead of P212; it gets the same value, at the block's own rank so params can
 * still override it.
 */
static void add_firmware(struct resolved *r, const struct effective *e, const struct inventory *inv)
{
	int rank;
	const struct firmware *fw = eff_firmware(e, &rank);

	if (fw == NULL)
		return;
	add_p(r, e, GS_P_FW_PATH, inv->url_path, RANK_FIXED);
	add_p(r, e, GS_P_FW_PREFIX, fw->prefix.s ? fw->prefix.s : "", RANK_FIXED);
	add_p(r, e, GS_P_FW_POSTFIX, fw->postfix.s ? fw->postfix.s : "", RANK_FIXED);
	add_p(r, e, GS_P_FW_PROTOCOL, gs_protocol_value(inv->url_scheme), rank_setting(rank));
}

int gs_resolve_device(const struct inventory *inv, const struct device *dev, struct resolved *out)
{
	struct effective e;
	struct ranked pw;

	effective_device(&e, inv, dev);
	add_settings(out, &e, true);
	add_lines(out, &e);
	add_raw_params(out, &e, true);
	add_config_names(out, &e);
	add_server(out, &e, inv);
	add_firmware(out, &e, inv);
	pw = eff_xml_password(&e);
	if (pw.v != NULL)
		add_p(out, &e, GS_P_XML_PASSWORD, pw.v->s, RANK_FIXED);
	return resolved_finish(out);
}

int gs_resolve_generic(const struct inventory *inv, const struct model *m, struct resolved *out)
{
	struct effective e;

	effective_generic(&e, inv, m);
	add_settings(out, &e, false);
	add_raw_params(out, &e, false);
	add_config_names(out, &e);
	add_server(out, &e, inv);
	add_firmware(out, &e, inv);
	return resolved_finish(out);
}
