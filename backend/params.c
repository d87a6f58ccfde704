/*
 * params.c - a device's parameters, their difference and their digest (params.h).
 *
 * The digest is FNV-1a over the inputs rather than a hash of the rendered files: rendering
 * encrypts, and 100,000 devices' parameters digest in a fraction of a reload's time.
 */
#include "backend/params.h"

#include <errno.h>
#include <string.h>

#include "backend/vendor.h"

int device_params(const struct tree *t, const struct device *dev, struct resolved *out)
{
	const struct vendor *v = dev->model != NULL ? vendor_of(dev->model) : NULL;
	int r;

	resolved_init(out);
	if (v == NULL || v->params == NULL)
		return 0;
	r = v->params(t, dev, out);
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
