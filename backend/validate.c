/*
 * validate.c - vendor rules, checked once per value at the level that sets it.
 *
 * A level is checked against the formats of every device that inherits from it (its "use":
 * Grandstream XML, Panasonic text, Panasonic UTG XML), so a bad value in `defaults` is
 * reported once at its own position, not once per device.
 *
 * Messages name a parameter through diag_key() (a bounded excerpt) and never quote a value.
 */
#include "backend/validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/gs_table.h"
#include "backend/pa_table.h"
#include "inventory/inventory.h"
#include "inventory/schema.h"

enum {
	USE_GS = 1 << 0,
	USE_PA_TEXT = 1 << 1,
	USE_PA_UTG = 1 << 2,
};

#define PA_TEXT_VALUE_MAX 500 /* characters, quotes not counted */

struct checker {
	const struct inventory *inv;
	struct diag *d;
	size_t errors_before;
};

static unsigned model_use(const struct model *m)
{
	if (m->vendor == VENDOR_GRANDSTREAM)
		return USE_GS;
	return m->dialect == DIALECT_UTG_XML ? USE_PA_UTG : USE_PA_TEXT;
}

/* XML 1.0 forbids C0 controls but TAB, LF and CR, and U+FFFE/U+FFFF. */
static int xml_bad_char(const struct value *v)
{
	for (uint32_t i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->s[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return c;
		if (c == 0xEF && i + 2 < v->len && (unsigned char)v->s[i + 1] == 0xBF &&
		    ((unsigned char)v->s[i + 2] == 0xBE || (unsigned char)v->s[i + 2] == 0xBF))
			return 0xFFFE + ((unsigned char)v->s[i + 2] - 0xBE);
	}
	return -1;
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static void check_value(struct checker *c, const struct value *v, const char *what, unsigned use)
{
	int bad;

	if (v->s == NULL)
		return;
	if ((use & (USE_GS | USE_PA_UTG)) && (bad = xml_bad_char(v)) >= 0)
		inv_error(c->inv, c->d, v->pos,
		          "%s: control character U+%04X cannot be carried by an XML file", what,
		          (unsigned)bad);
	if (use & USE_PA_TEXT) {
		for (uint32_t i = 0; i < v->len; i++) {
			unsigned char ch = (unsigned char)v->s[i];

			if (ch == '"' || ch == '\r' || ch == '\n' || (ch < 0x20 && ch != '\t')) {
				inv_error(c->inv, c->d, v->pos,
				          "%s: a Panasonic text file cannot carry %s in a value",
				          what,
				          ch == '"'    ? "a double quote"
				          : ch == '\n' ? "a line break"
				                       : "a control character");
				break;
			}
		}
		if (utf8_chars(v->s, v->len) > PA_TEXT_VALUE_MAX)
			inv_error(c->inv, c->d, v->pos,
			          "%s: a Panasonic text value holds at most %d characters", what,
			          PA_TEXT_VALUE_MAX);
	}
}

static const char *const setting_label[SET__COUNT] = {
	"admin_password", "ntp_server", "timezone",       "language",
	"sip_server",     "sip_port",   "outbound_proxy", "resync_minutes",
};

static const char *const line_label[LF__COUNT] = {
	"user", "auth_user", "password", "display_name", "server", "voicemail",
};

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
	const struct param_list *pl = &lv->params[VENDOR_GRANDSTREAM];
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
		check_value(c, &p->v, q, USE_GS);
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
	const struct param_list *pl = &lv->params[VENDOR_PANASONIC];
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

static void check_level(struct checker *c, const struct level *lv, unsigned use, bool generic)
{
	for (int s = 0; s < SET__COUNT; s++) {
		check_value(c, &lv->settings[s], setting_label[s], use);
		if (generic && s == SET_ADMIN_PASSWORD && lv->settings[s].s != NULL)
			inv_error(c->inv, c->d, lv->settings[s].pos,
			          "'admin_password' is a secret: 'generic' files are read by "
			          "phones this inventory does not know");
	}
	for (uint32_t i = 0; i < lv->nlines; i++)
		for (int f = 0; f < LF__COUNT; f++)
			check_value(c, &lv->lines[i].f[f], line_label[f], use);
	check_gs_params(c, lv, generic);
	check_pa_params(c, lv, use);
}

int backend_validate(const struct inventory *inv, struct diag *d)
{
	struct checker c = { inv, d, diag_count(d) };
	unsigned all = 0;
	unsigned char *group_use = calloc(inv->ngroups ? inv->ngroups : 1, 1);

	if (group_use == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < inv->nmodels; i++) {
		const struct model *m = &inv->models[i];

		all |= model_use(m);
		if (m->vendor == VENDOR_GRANDSTREAM && m->max_lines > GS_MAX_ACCOUNTS) {
			char q[DIAG_KEY_SIZE];

			inv_error(inv, d, m->pos,
			          "model %s: Grandstream phones have at most %d accounts "
			          "(max_lines %u)",
			          diag_key(q, m->name), GS_MAX_ACCOUNTS, (unsigned)m->max_lines);
		}
		check_level(&c, &m->level, model_use(m), false);
	}
	for (uint32_t i = 0; i < inv->ndevices; i++) {
		const struct device *dev = &inv->devices[i];

		if (dev->model == NULL)
			continue;
		for (uint32_t g = 0; g < dev->ngroups; g++)
			if (dev->groups[g] != NULL)
				group_use[dev->groups[g] - inv->groups] |= model_use(dev->model);
		check_level(&c, &dev->level, model_use(dev->model), false);
	}
	for (uint32_t g = 0; g < inv->ngroups; g++)
		check_level(&c, &inv->groups[g].level, group_use[g], false);
	check_level(&c, &inv->defaults, all, false);
	if (inv->has_generic)
		check_level(&c, &inv->generic, USE_GS, true);
	free(group_use);
	return diag_count(d) == c.errors_before ? 0 : -EINVAL;
}
