/*
 * validate.c - vendor rules, checked once per value at the level that sets it.
 *
 * A level is checked against the formats of every device that inherits from it (its "use":
 * e.g. Grandstream XML, Panasonic text, Panasonic UTG XML), so a bad value in `defaults` is
 * reported once at its own position, not once per device. Each vendor says which formats a
 * model's files are in (struct vendor.model_use, up to VENDOR_USE_BITS of them) and checks a
 * level for those formats (check_level); this file only collects the uses and calls them.
 *
 * Messages name a parameter through diag_key() (a bounded excerpt) and never quote a value.
 */
#include "backend/validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/vendor.h"
#include "inventory/inventory.h"
#include "inventory/schema.h"

#define USE_MASK ((1u << VENDOR_USE_BITS) - 1)

/* A model's uses, each vendor's in its own VENDOR_USE_BITS bits. */
static uint32_t model_use(const struct model *m)
{
	const struct vendor *v = vendor_of(m);
	unsigned use = v->model_use != NULL ? v->model_use(m) & USE_MASK : 1;

	return (uint32_t)use << (VENDOR_USE_BITS * m->vendor);
}

/* XML 1.0 forbids C0 controls but TAB, LF and CR, and U+FFFE/U+FFFF. */
int validate_xml_bad_char(const struct value *v)
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

size_t validate_utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

const char *const validate_setting_label[SET__COUNT] = {
	"admin_password", "ntp_server", "timezone",       "language",
	"sip_server",     "sip_port",   "outbound_proxy", "resync_minutes",
};

const char *const validate_line_label[LF__COUNT] = {
	"user", "auth_user", "password", "display_name", "server", "voicemail",
};

static void check_level(const struct inventory *inv, struct diag *d, const struct level *lv,
                        uint32_t use, bool generic)
{
	if (generic && lv->settings[SET_ADMIN_PASSWORD].s != NULL)
		inv_error(inv, d, lv->settings[SET_ADMIN_PASSWORD].pos,
		          "'admin_password' is a secret: 'generic' files are read by phones this "
		          "inventory does not know");
	for (uint32_t i = 0; i < vendor_set.n; i++) {
		const struct vendor *v = vendor_at(i);
		unsigned u = (use >> (VENDOR_USE_BITS * i)) & USE_MASK;

		if (v->check_level != NULL)
			v->check_level(inv, d, lv, u, generic);
	}
}

/* The uses of the vendors that serve the generic section. */
static uint32_t generic_use(void)
{
	uint32_t use = 0;

	for (uint32_t i = 0; i < vendor_set.n; i++)
		if (vendor_at(i)->schema.level_keys & LK_GENERIC)
			use |= 1u << (VENDOR_USE_BITS * i);
	return use;
}

int backend_validate(const struct inventory *inv, struct diag *d)
{
	size_t errors_before = diag_count(d);
	uint32_t all = 0;
	uint32_t *group_use = calloc(inv->ngroups ? inv->ngroups : 1, sizeof(*group_use));

	if (group_use == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < inv->nmodels; i++) {
		const struct model *m = &inv->models[i];

		all |= model_use(m);
		if (vendor_of(m)->check_model != NULL)
			vendor_of(m)->check_model(inv, d, m);
		check_level(inv, d, &m->level, model_use(m), false);
	}
	for (uint32_t i = 0; i < inv->ndevices; i++) {
		const struct device *dev = &inv->devices[i];

		if (dev->model == NULL)
			continue;
		for (uint32_t g = 0; g < dev->ngroups; g++)
			if (dev->groups[g] != NULL)
				group_use[dev->groups[g] - inv->groups] |= model_use(dev->model);
		check_level(inv, d, &dev->level, model_use(dev->model), false);
	}
	for (uint32_t g = 0; g < inv->ngroups; g++)
		check_level(inv, d, &inv->groups[g].level, group_use[g], false);
	check_level(inv, d, &inv->defaults, all, false);
	if (inv->has_generic)
		check_level(inv, d, &inv->generic, generic_use(), true);
	free(group_use);
	return diag_count(d) == errors_before ? 0 : -EINVAL;
}
