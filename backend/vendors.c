/*
 * vendors.c - the vendor array: every vendor provfs serves, in the order names are resolved
 * (a name no earlier vendor takes goes to the next). Adding a vendor is one file that defines
 * its struct vendor (vendor.h) and one row here.
 */
#include <errno.h>
#include <string.h>

#include "backend/keys.h"
#include "backend/vendor.h"

extern const struct vendor vendor_grandstream;
extern const struct vendor vendor_panasonic;
extern const struct vendor vendor_yealink;
extern const struct vendor vendor_cisco;

static const struct vendor_schema *const schemas[] = {
	&vendor_grandstream.schema,
	&vendor_panasonic.schema,
	&vendor_yealink.schema,
	&vendor_cisco.schema,
};

_Static_assert(sizeof(schemas) / sizeof(schemas[0]) <= VENDOR_MAX, "too many vendors");

const struct vendor_set vendor_set = { schemas, sizeof(schemas) / sizeof(schemas[0]) };

uint32_t vendor_index(const struct vendor *v)
{
	for (uint32_t i = 0; i < vendor_set.n; i++)
		if (vendor_at(i) == v)
			return i;
	return 0;
}

unsigned vendor_option(const struct model *m, const char *key)
{
	const struct vendor_schema *vs = &vendor_of(m)->schema;

	for (uint32_t i = 0; i < vs->noptions; i++)
		if (strcmp(vs->options[i].key, key) == 0)
			return m->choice[i];
	return 0;
}

bool vendor_encrypted(const struct model *m)
{
	const struct vendor *v = vendor_of(m);

	return v->encrypted != NULL && v->encrypted(m);
}

unsigned vendor_key_bits(const struct model *m)
{
	const struct vendor *v = vendor_of(m);

	return v->key_bits != NULL ? v->key_bits(m) : 128;
}

int vendor_device_key(const struct tree *t, const struct device *dev, bool create,
                      struct dev_key *k)
{
	memset(k, 0, sizeof(*k));
	if (t->keys == NULL)
		return -ENOKEY;
	return t->keys->get(t->keys->ctx, dev->mac, vendor_of(dev->model)->schema.name,
	                    vendor_key_bits(dev->model), create, k);
}
