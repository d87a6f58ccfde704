/*
 * gs_xml.c - the XML v1 renderer.
 */
#include "backend/gs_xml.h"

#include <string.h>

void xml_escape(const char *s, struct buf *out)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;

		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		default:
			continue;
		}
		buf_append(out, run, (size_t)(s - run));
		buf_puts(out, rep);
		run = s + 1;
	}
	buf_append(out, run, (size_t)(s - run));
}

void render_gs_xml(const char *mac, const struct resolved *params, struct buf *out)
{
	buf_puts(out,
	         "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<gs_provision version=\"1\">\n");
	if (mac != NULL)
		buf_printf(out, "  <mac>%s</mac>\n", mac);
	buf_puts(out, "  <config version=\"1\">\n");
	for (size_t i = 0; i < params->n; i++) {
		const struct rparam *p = &params->items[i];

		buf_printf(out, "    <%s>", p->name);
		xml_escape(p->value, out);
		buf_printf(out, "</%s>\n", p->name);
	}
	buf_puts(out, "  </config>\n</gs_provision>\n");
}
