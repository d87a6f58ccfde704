/*
 * gs_files.c - Grandstream files from resolved parameters: XML v1 (gs_xml.c) encrypted with
 * the device's P1359 (crypto.c), the legacy binary (gs_binary.c), generic XML.
 */
#include "backend/gs_files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/crypto.h"
#include "backend/gs_binary.h"
#include "backend/gs_params.h"
#include "backend/gs_table.h"
#include "backend/gs_xml.h"
#include "inventory/mac.h"
#include "inventory/merge.h"

/* Wipes a buffer that held secrets in clear before giving it back. */
static void buf_free_wiped(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

int render_gs_device_xml(const struct tree *t, const struct file_ref *ref, bool plain,
                         struct buf *out)
{
	struct resolved params;
	const struct rparam *pw;
	char mac[MAC_STRLEN + 1];
	struct buf xml;
	uint8_t salt[CRYPTO_SALT_LEN];
	int r;

	resolved_init(&params);
	r = gs_resolve_device(t->inv, ref->dev, &params);
	if (r < 0)
		goto out;
	mac_format(ref->dev->mac, false, mac);
	pw = resolved_get(&params, "P1359");
	if (plain || pw == NULL) {
		render_gs_xml(mac, &params, out);
		r = buf_status(out);
		goto out;
	}
	buf_init(&xml);
	render_gs_xml(mac, &params, &xml);
	r = buf_status(&xml);
	if (r == 0)
		r = crypto_derive_salt(pw->value, strlen(pw->value), xml.data, xml.len, salt);
	if (r == 0)
		r = crypto_openssl_enc(256, CRYPTO_MD_MD5, salt, pw->value, strlen(pw->value),
		                       xml.data, xml.len, out);
	buf_free_wiped(&xml);
out:
	resolved_free(&params);
	return r;
}

/* bootstrap: only what moves the phone onto this tree and unlocks its XML. */
static bool in_bootstrap(uint32_t p)
{
	return p == GS_P_CONFIG_PATH || p == GS_P_PROTOCOL || p == GS_P_CONFIG_PREFIX ||
	       p == GS_P_CONFIG_POSTFIX || p == GS_P_XML_PASSWORD || p == GS_P_ADMIN_PASSWORD;
}

/* Whether the device's binary option (or, with `layout`, binary_layout) is `want`. */
static bool binary_option_is(const struct tree *t, const struct device *dev, bool layout,
                             const char *want)
{
	struct effective e;
	struct ranked o;

	effective_device(&e, t->inv, dev);
	o = layout ? eff_binary_layout(&e) : eff_binary(&e);
	return o.v != NULL && strcmp(o.v->s, want) == 0;
}

int gs_binary_body_of(const struct tree *t, const struct device *dev, struct buf *out)
{
	struct resolved params;
	struct gs_pair *pairs;
	bool full = binary_option_is(t, dev, false, "full");
	int r;

	resolved_init(&params);
	r = gs_resolve_device(t->inv, dev, &params);
	pairs = r == 0 ? calloc(params.n ? params.n : 1, sizeof(*pairs)) : NULL;
	if (r == 0 && pairs == NULL)
		r = -ENOMEM;
	if (r == 0) {
		size_t n = 0;

		for (size_t i = 0; i < params.n; i++)
			if (full || in_bootstrap(params.items[i].key)) {
				pairs[n].name = params.items[i].name;
				pairs[n].value = params.items[i].value;
				n++;
			}
		gs_binary_body(pairs, n, out);
		r = buf_status(out);
	}
	free(pairs);
	resolved_free(&params);
	return r;
}

int render_gs_binary(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out)
{
	struct buf body;
	int r;

	if (plain)
		return gs_binary_body_of(t, ref->dev, out);
	buf_init(&body);
	r = gs_binary_body_of(t, ref->dev, &body);
	if (r == 0 && binary_option_is(t, ref->dev, true, "plain"))
		r = gs_binary_plain(ref->dev->mac, body.data, body.len, out);
	else if (r == 0)
		r = gs_binary_gapslite(ref->dev->mac, body.data, body.len,
		                       gs_binary_derive_r(ref->dev->mac, body.data, body.len), out);
	buf_free_wiped(&body);
	return r;
}

/* cfg.xml (model NULL) or cfg<model>.xml: no <mac>, no secret, never encrypted. */
int render_gs_generic_xml(const struct tree *t, const struct file_ref *ref, bool plain,
                          struct buf *out)
{
	struct resolved params;
	int r;

	(void)plain;
	resolved_init(&params);
	r = gs_resolve_generic(t->inv, ref->kind == FK_GS_MODEL ? ref->model : NULL, &params);
	if (r == 0) {
		render_gs_xml(NULL, &params, out);
		r = buf_status(out);
	}
	resolved_free(&params);
	return r;
}
