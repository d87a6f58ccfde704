/*
 * gs_xml.h - Grandstream XML provisioning file, version 1 (formats/grandstream.md §2.1).
 */
#ifndef PROVFS_GS_XML_H
#define PROVFS_GS_XML_H

#include "backend/buf.h"
#include "backend/resolved.h"

/*
 * Appends `<gs_provision version="1">` with `<mac>` (lower-case, only when mac != NULL) and a
 * `<config version="1">` of one `<Pnnn>` element per parameter, in the list's order, text
 * escaped for XML. The layout (declaration, two-space indent, LF) is that of Grandstream's
 * own examples.
 */
void render_gs_xml(const char *mac, const struct resolved *params, struct buf *out);

/* Appends s with & < > escaped. */
void xml_escape(const char *s, struct buf *out);

#endif
