/*
 * pa_utg.h - the Panasonic UTG XML format (KX-UTG200/300): <PANASIPPhoneConfig> with one
 * element per path segment; a segment "Line[n]" is written <Line idx="n">.
 */
#ifndef PROVFS_PA_UTG_H
#define PROVFS_PA_UTG_H

#include <stddef.h>

#include "backend/buf.h"
#include "backend/resolved.h"

/* Appends a file holding items[0..n), which must be sorted by path. */
void render_pa_utg(const struct rparam *const *items, size_t n, struct buf *out);

#endif
