/*
 * pa_utg.c - UTG XML renderer. Sorted paths keep each section's parameters together ('/'
 * sorts before every other path character), so one pass opens and closes sections.
 */
#include "backend/pa_utg.h"

#include <string.h>

#include "backend/gs_xml.h"

#define MAX_DEPTH 16

struct seg {
	const char *s;
	size_t n;
};

static int split(const char *path, struct seg *segs)
{
	int n = 0;

	while (n < MAX_DEPTH) {
		const char *slash = strchr(path, '/');

		segs[n].s = path;
		segs[n].n = slash != NULL ? (size_t)(slash - path) : strlen(path);
		n++;
		if (slash == NULL)
			break;
		path = slash + 1;
	}
	return n;
}

static bool same(const struct seg *a, const struct seg *b)
{
	return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

/* "Line[3]" -> <Line idx="3">, anything else -> <Name>. */
static void open_tag(const struct seg *g, struct buf *out)
{
	const char *br = memchr(g->s, '[', g->n);

	if (br == NULL) {
		buf_printf(out, "<%.*s>\n", (int)g->n, g->s);
		return;
	}
	buf_printf(out, "<%.*s idx=\"%.*s\">\n", (int)(br - g->s), g->s,
	           (int)(g->n - (size_t)(br - g->s) - 2), br + 1);
}

static void close_tag(const struct seg *g, struct buf *out)
{
	const char *br = memchr(g->s, '[', g->n);
	size_t n = br != NULL ? (size_t)(br - g->s) : g->n;

	buf_printf(out, "</%.*s>\n", (int)n, g->s);
}

void render_pa_utg(const struct rparam *const *items, size_t n, struct buf *out)
{
	struct seg open[MAX_DEPTH], segs[MAX_DEPTH];
	int depth = 0;

	buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<PANASIPPhoneConfig>\n");
	for (size_t i = 0; i < n; i++) {
		int k = split(items[i]->name, segs), common = 0;

		/* close sections this path leaves, open the ones it enters */
		while (common < depth && common < k - 1 && same(&open[common], &segs[common]))
			common++;
		while (depth > common)
			close_tag(&open[--depth], out);
		while (depth < k - 1) {
			open[depth] = segs[depth];
			open_tag(&segs[depth], out);
			depth++;
		}
		buf_printf(out, "<%.*s>", (int)segs[k - 1].n, segs[k - 1].s);
		xml_escape(items[i]->value, out);
		buf_printf(out, "</%.*s>\n", (int)segs[k - 1].n, segs[k - 1].s);
	}
	while (depth > 0)
		close_tag(&open[--depth], out);
	buf_puts(out, "</PANASIPPhoneConfig>\n");
}
