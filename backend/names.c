/*
 * names.c - requested name -> file: the strict parser every lookup goes through.
 *
 * The names Grandstream phones ask for are one table: "cfg" + MAC (12 hex digits, any
 * letter case) + a tail. A phone with a config prefix/postfix (P234/P235) asks for
 * <prefix><name><postfix>, and after an inventory change it still asks once with the old
 * pair, so any prefix and postfix of up to 64 characters from [A-Za-z0-9._-] around a
 * known name resolve to that name's current file; the generic names cfg.xml and
 * cfg<model>.xml too. Firmware names are exact. Everything else is -ENOENT.
 *
 * Where a name could be read two ways, the shortest prefix wins, then a device name over
 * a generic one, then the longest tail (".xml" before the binary's empty tail); the tree's
 * checks reject inventories whose own names would resolve to another file.
 */
#include "backend/names.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "backend/pa_files.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "inventory/merge.h"
#include "inventory/schema.h"

#define WRAP_MAX 64 /* characters of a prefix or a postfix */

/* Names of one Grandstream device: "cfg" + mac + tail, longest tail first. */
const struct gs_name_rule gs_device_names[] = {
	{ ".xml", FK_GS_XML },
	{ ".bin", FK_GS_BIN },
	{ "", FK_GS_BIN },
};
const size_t gs_device_nnames = sizeof(gs_device_names) / sizeof(gs_device_names[0]);

static const char generic_name[] = "cfg.xml";

bool gs_device_has(const struct tree *t, const struct device *dev, enum file_kind kind)
{
	struct effective e;
	struct ranked b;

	if (dev->model == NULL || dev->model->vendor != VENDOR_GRANDSTREAM)
		return false;
	if (kind == FK_GS_XML)
		return true;
	if (kind != FK_GS_BIN)
		return false;
	effective_device(&e, t->inv, dev);
	b = eff_binary(&e);
	return b.v != NULL && strcmp(b.v->s, "off") != 0;
}

/* rule's tail at name[head], followed by a postfix of at most WRAP_MAX characters. */
static bool gs_tail_fits(const char *name, size_t len, size_t head, const struct gs_name_rule *rule)
{
	size_t tl = strlen(rule->tail);

	return head + tl <= len && memcmp(name + head, rule->tail, tl) == 0 &&
	       len - head - tl <= WRAP_MAX;
}

/* "cfg" at name[at]: a device name with a postfix of at most WRAP_MAX characters. */
static bool match_device(const struct tree *t, const char *name, size_t len, size_t at,
                         struct file_ref *out)
{
	const char *hex = name + at + 3;
	const struct device *dev;
	uint64_t mac;

	if (at + 3 + MAC_STRLEN > len || !mac_parse_hex12(hex, &mac))
		return false;
	dev = inventory_find(t->inv, mac);
	if (dev == NULL)
		return false;
	for (size_t i = 0; i < gs_device_nnames; i++) {
		const struct gs_name_rule *rule = &gs_device_names[i];

		if (!gs_tail_fits(name, len, at + 3 + MAC_STRLEN, rule) ||
		    !gs_device_has(t, dev, rule->kind))
			continue;
		out->kind = rule->kind;
		out->dev = dev;
		out->model = dev->model;
		return true;
	}
	return false;
}

/* The model whose lower-cased name is exactly s[0..n), if it is a Grandstream model. */
static const struct model *gs_model_lower(const struct tree *t, const char *s, size_t n)
{
	const struct model *m = inventory_find_model(t->inv, s, n);

	if (m == NULL || m->vendor != VENDOR_GRANDSTREAM)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return NULL; /* phones ask for cfggxp2170.xml, lower case */
	return m;
}

/* "cfg" at name[at]: cfg.xml or cfg<model>.xml with a short enough postfix. */
static bool match_generic(const struct tree *t, const char *name, size_t len, size_t at,
                          struct file_ref *out)
{
	const size_t gl = sizeof(generic_name) - 1;

	if (!t->inv->has_generic)
		return false;
	if (at + gl <= len && memcmp(name + at, generic_name, gl) == 0 &&
	    len - at - gl <= WRAP_MAX) {
		out->kind = FK_GS_GENERIC;
		return true;
	}
	for (size_t j = at + 4; j + 4 <= len; j++) {
		const struct model *m;

		if (memcmp(name + j, ".xml", 4) != 0 || len - j - 4 > WRAP_MAX)
			continue;
		m = gs_model_lower(t, name + at + 3, j - at - 3);
		if (m != NULL) {
			out->kind = FK_GS_MODEL;
			out->model = m;
			return true;
		}
	}
	return false;
}

int gs_resolve_config(const struct tree *t, const char *name, size_t len, struct file_ref *out)
{
	for (size_t at = 0; at <= WRAP_MAX && at + 3 <= len; at++) {
		if (memcmp(name + at, "cfg", 3) != 0)
			continue;
		memset(out, 0, sizeof(*out));
		if (match_device(t, name, len, at, out) || match_generic(t, name, len, at, out))
			return 0;
	}
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

/* ---- Panasonic: exact names, the MAC in any letter case ------------------------------------ */

static bool ends_with(const char *name, size_t len, const char *tail)
{
	size_t tl = strlen(tail);

	return len >= tl && memcmp(name + len - tl, tail, tl) == 0;
}

/* "Config" + MAC + ".cfg" / ".enc", "ConfigCom-" + MAC + ".enc". */
static const struct {
	const char *head;
	const char *tail;
	enum file_kind kind;
} pa_device_rules[] = {
	{ "Config", ".cfg", FK_PA_STD },
	{ "Config", ".enc", FK_PA_STD_ENC },
	{ "ConfigCom-", ".enc", FK_PA_MASTER_ENC },
};
#define PA_DEVICE_NRULES (sizeof(pa_device_rules) / sizeof(pa_device_rules[0]))

/* The name has the shape of rule i: its MAC in *mac. */
static bool pa_device_shape(const char *name, size_t len, size_t i, uint64_t *mac)
{
	size_t hl = strlen(pa_device_rules[i].head), tl = strlen(pa_device_rules[i].tail);

	return len == hl + MAC_STRLEN + tl && memcmp(name, pa_device_rules[i].head, hl) == 0 &&
	       ends_with(name, len, pa_device_rules[i].tail) && mac_parse_hex12(name + hl, mac);
}

static bool pa_device_name(const struct tree *t, const char *name, size_t len, struct file_ref *out)
{
	for (size_t i = 0; i < PA_DEVICE_NRULES; i++) {
		uint64_t mac;

		if (!pa_device_shape(name, len, i, &mac))
			continue;
		out->kind = pa_device_rules[i].kind;
		out->dev = inventory_find(t->inv, mac);
		if (out->dev != NULL) {
			out->model = out->dev->model;
			if (file_exists(t, out))
				return true;
		}
	}
	return false;
}

/* A Panasonic model named exactly s[0..n). */
static const struct model *pa_model(const struct tree *t, const char *s, size_t n)
{
	const struct model *m = inventory_find_model(t->inv, s, n);

	if (m == NULL || m->vendor != VENDOR_PANASONIC || strncmp(m->name, s, n) != 0)
		return NULL;
	return m;
}

static const char pa_head[] = "Config"; /* of the product layer's names */

/* The name has the shape Config<MODEL>-<MAC>.enc (any MODEL): its MAC in *mac. */
static bool pa_product_enc_shape(const char *name, size_t len, uint64_t *mac)
{
	const size_t hl = sizeof(pa_head) - 1;

	return len > hl + 1 + MAC_STRLEN + 4 && memcmp(name, pa_head, hl) == 0 &&
	       ends_with(name, len, ".enc") && name[len - 4 - MAC_STRLEN - 1] == '-' &&
	       mac_parse_hex12(name + len - 4 - MAC_STRLEN, mac);
}

/* ConfigCom.cfg, Config<MODEL>.cfg, Config<MODEL>-<MAC>.enc, <MODEL>.cfg. */
static bool pa_shared_name(const struct tree *t, const char *name, size_t len, struct file_ref *out)
{
	const size_t hl = sizeof(pa_head) - 1;
	uint64_t mac;

	memset(out, 0, sizeof(*out));
	if (strcmp(name, PA_MASTER_NAME) == 0 || strcmp(name, PA_MASTER_UTG_NAME) == 0) {
		out->kind = strcmp(name, PA_MASTER_NAME) == 0 ? FK_PA_MASTER : FK_PA_MASTER_UTG;
		return file_exists(t, out);
	}
	/* Config<MODEL>-<MAC>.enc: the device's own copy of its model's layer */
	if (pa_product_enc_shape(name, len, &mac)) {
		out->kind = FK_PA_PRODUCT_ENC;
		out->dev = inventory_find(t->inv, mac);
		out->model = pa_model(t, name + hl, len - hl - 4 - MAC_STRLEN - 1);
		if (out->dev != NULL && out->model != NULL && out->dev->model == out->model &&
		    file_exists(t, out))
			return true;
		memset(out, 0, sizeof(*out));
	}
	if (!ends_with(name, len, ".cfg"))
		return false;
	if (len > hl + 4 && memcmp(name, pa_head, hl) == 0) {
		out->kind = FK_PA_PRODUCT;
		out->model = pa_model(t, name + hl, len - hl - 4);
		if (out->model != NULL && file_exists(t, out))
			return true;
	}
	out->kind = FK_PA_ENTRY;
	out->model = pa_model(t, name, len - 4);
	return out->model != NULL && file_exists(t, out);
}

int file_resolve(const struct tree *t, const char *name, struct file_ref *out)
{
	size_t len = strnlen(name, FILE_NAME_MAX + 1);
	const struct fw_file *fw;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > FILE_NAME_MAX || !name_in_alphabet(name, len))
		return -ENOENT;
	fw = tree_firmware(t, name, len);
	if (fw != NULL) {
		out->kind = FK_GS_FIRMWARE;
		out->fw = fw;
		return 0;
	}
	if (pa_device_name(t, name, len, out) || pa_shared_name(t, name, len, out))
		return 0;
	return gs_resolve_config(t, name, len, out);
}

bool file_unknown_device(const struct tree *t, const char *name)
{
	size_t len = strnlen(name, FILE_NAME_MAX + 1);
	uint64_t mac;

	if (len == 0 || len > FILE_NAME_MAX || !name_in_alphabet(name, len))
		return false;
	for (size_t i = 0; i < PA_DEVICE_NRULES; i++)
		if (pa_device_shape(name, len, i, &mac))
			return inventory_find(t->inv, mac) == NULL;
	if (pa_product_enc_shape(name, len, &mac))
		return inventory_find(t->inv, mac) == NULL;
	for (size_t at = 0; at <= WRAP_MAX && at + 3 + MAC_STRLEN <= len; at++) {
		if (memcmp(name + at, "cfg", 3) != 0 || !mac_parse_hex12(name + at + 3, &mac))
			continue;
		for (size_t i = 0; i < gs_device_nnames; i++)
			if (gs_tail_fits(name, len, at + 3 + MAC_STRLEN, &gs_device_names[i]))
				return inventory_find(t->inv, mac) == NULL;
	}
	return false;
}
