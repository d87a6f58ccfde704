/*
 * pa_text.c - Panasonic text renderer. Values were checked at load time (no '"', CR, LF;
 * names <= 32, values <= 500 characters, lines <= 537 bytes), so this only writes.
 */
#include "backend/pa_text.h"

void render_pa_text(const struct rparam *const *items, size_t n, struct buf *out)
{
	/* the guides' recommended first line: the magic, then a warning */
	buf_puts(out, PA_TEXT_MAGIC " DO NOT CHANGE THIS LINE!\r\n");
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s=\"%s\"\r\n", items[i]->name, items[i]->value);
	buf_puts(out, "\r\n"); /* "Configuration files must end with an empty line." */
}
