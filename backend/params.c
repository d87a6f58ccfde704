/*
 * params.c - a device's parameters, their difference and their digest (params.h).
 *
 * The digest is FNV-1a over the inputs rather than a hash of the rendered files: rendering
 * encrypts, and 100,000 devices' parameters digest in a fraction of a reload's time.
 */
#include "backend/params.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend/vendor.h"
#include "inventory/merge.h"

/*
 * A level value as text ("" when no level sets it; value strings are not NUL-terminated),
 * copied into the list's arena as resolved_add keeps pointers.
 */
static void add_value(struct resolved *out, const char *name, const struct ranked *r)
{
	const char *text =
	    r->v != NULL && r->v->s != NULL ? arena_strndup(&out->pool, r->v->s, r->v->len) : "";

	resolved_add(out, name, 0, text, RANK_FIXED, false, LEVEL_DEVICE, false);
}

/*
 * What decides the device's files besides its parameters, as pseudo-parameters with names no
 * vendor uses (they hold a space): the model's vendor options (digest, gzip, padding, dialect,
 * ...) and the level options (binary, binary_layout, config and firmware names). Without them a
 * change of `binary_layout` or of a Cisco model's `digest` changes the bytes a phone gets but
 * neither `provctl diff` nor the reload's count would see it.
 */
static void add_inputs(const struct tree *t, const struct device *dev, struct resolved *out)
{
	const struct vendor_schema *vs = &vendor_of(dev->model)->schema;
	const struct cfg_names *cfg;
	const struct firmware *fw;
	struct effective e;
	struct ranked r;
	int rank;

	for (uint32_t i = 0; i < vs->noptions; i++) {
		const char *name = arena_printf(&out->pool, "model option %s", vs->options[i].key);

		resolved_add(out, name, 0, vs->options[i].choices[dev->model->choice[i]],
		             RANK_FIXED, false, LEVEL_DEVICE, false);
	}
	effective_device(&e, t->inv, dev);
	r = eff_binary(&e);
	add_value(out, "option binary", &r);
	r = eff_binary_layout(&e);
	add_value(out, "option binary_layout", &r);
	cfg = eff_config(&e, &rank);
	r = (struct ranked){ cfg != NULL ? &cfg->prefix : NULL, rank };
	add_value(out, "option config prefix", &r);
	r = (struct ranked){ cfg != NULL ? &cfg->postfix : NULL, rank };
	add_value(out, "option config postfix", &r);
	fw = eff_firmware(&e, &rank);
	r = (struct ranked){ fw != NULL ? &fw->version : NULL, rank };
	add_value(out, "option firmware version", &r);
}

int device_params(const struct tree *t, const struct device *dev, struct resolved *out)
{
	const struct vendor *v = dev->model != NULL ? vendor_of(dev->model) : NULL;
	int r;

	resolved_init(out);
	if (v == NULL)
		return 0;
	r = v->params != NULL ? v->params(t, dev, out) : 0;
	if (r == 0) {
		add_inputs(t, dev, out);
		r = resolved_finish(out);
	}
	if (r < 0)
		resolved_free(out);
	return r;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1); /* with its NUL: "ab","c" differs from "a","bc" */
}

int device_digest(const struct tree *t, const struct device *dev, uint64_t *out)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	struct resolved p;
	int r = device_params(t, dev, &p);

	if (r < 0)
		return r;
	if (dev->model != NULL) {
		uint64_t shape =
		    (uint64_t)vendor_encrypted(dev->model) << 32 | vendor_key_bits(dev->model);

		h = fnv_str(h, dev->model->name);
		h = fnv(h, &shape, sizeof(shape));
	}
	for (size_t i = 0; i < p.n; i++) {
		h = fnv_str(h, p.items[i].name);
		h = fnv_str(h, p.items[i].value);
	}
	resolved_free(&p);
	*out = h;
	return 0;
}

static int order(const struct rparam *a, const struct rparam *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return strcmp(a->name, b->name);
}

unsigned params_diff(const struct resolved *a, const struct resolved *b, param_change_fn fn,
                     void *ctx)
{
	size_t i = 0, j = 0;
	unsigned n = 0;

	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : order(&a->items[i], &b->items[j]);

		if (c < 0) {
			fn(ctx, &a->items[i++], NULL);
			n++;
		} else if (c > 0) {
			fn(ctx, NULL, &b->items[j++]);
			n++;
		} else {
			if (strcmp(a->items[i].value, b->items[j].value) != 0) {
				fn(ctx, &a->items[i], &b->items[j]);
				n++;
			}
			i++;
			j++;
		}
	}
	return n;
}
