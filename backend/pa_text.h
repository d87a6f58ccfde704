/*
 * pa_text.h - the Panasonic text format (KX-UT/TGP/HDV, formats/panasonic.md §1.1): the
 * 44-byte magic at byte 0, one NAME="value" per CRLF line, an empty last line.
 */
#ifndef PROVFS_PA_TEXT_H
#define PROVFS_PA_TEXT_H

#include <stddef.h>

#include "backend/buf.h"
#include "backend/resolved.h"

#define PA_TEXT_MAGIC "# Panasonic SIP Phone Standard Format File #"

/* Appends a file holding items[0..n) in order. */
void render_pa_text(const struct rparam *const *items, size_t n, struct buf *out);

#endif
