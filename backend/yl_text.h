/*
 * yl_text.h - the Yealink CFG and boot file bytes (formats/yealink.md §2): the
 * "#!version:1.0.0.1" line at byte 0, then one "key = value" per LF line; boot files list
 * include:config lines and overwrite_mode. Also the checks a key or value must pass before it
 * is written, and the extra LF that keeps space padding of an encrypted file unambiguous
 * (§5.1). Only bytes: which keys a phone gets is the renderer's business (yl_table.h).
 */
#ifndef PROVFS_YL_TEXT_H
#define PROVFS_YL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/buf.h"

/*
 * Longest value provfs writes, in bytes. provfs's own bound: the format notes found no
 * per-key or per-line limit (formats/yealink.md §2.1 "Not found in any source"); 512 holds
 * any URL, name or password an inventory should carry.
 */
#define YL_VALUE_MAX 512
#define YL_KEY_MAX   128 /* also provfs's own bound (keys seen are under 64 characters) */
#define YL_NAME_MAX  128 /* a file name in an include:config line */

/*
 * A value a line can carry: at most YL_VALUE_MAX bytes, no byte below 0x20 (CR, LF, NUL, tab,
 * ...) or 0x7f, no leading or trailing space (the phone trims them, §2.1). Empty is fine.
 */
bool yl_value_ok(const char *v, size_t len);

/* A key: 1 to YL_KEY_MAX of [A-Za-z0-9._-], starting with a letter. */
bool yl_key_ok(const char *k, size_t len);

/* Writes the first line "#!version:1.0.0.1\n"; call on an empty buffer (byte 0, no BOM). */
void yl_begin(struct buf *out);

/*
 * Writes "key = value\n" (value[0..vlen)); an empty value gives "key =\n". key must pass
 * yl_key_ok() and the value yl_value_ok(): the caller checked them when loading.
 */
void yl_line(struct buf *out, const char *key, const char *value, size_t vlen);

/*
 * A whole boot file (§2.3): the first line, include:config "NAME" per name in order (later
 * files override earlier ones), then "overwrite_mode = 1" or "= 0". A name is 1 to
 * YL_NAME_MAX of [A-Za-z0-9._-] ending in ".cfg" (the guides: an include must name a CFG
 * file). Returns 0, -EINVAL for a bad name (nothing written) or -ENOMEM.
 */
int yl_boot(struct buf *out, const char *const *includes, size_t n, bool overwrite_mode);

/*
 * Before space padding for AES-ECB (§5.1 "Avoid the question"): when text->len is a multiple
 * of 16, appends one "\n", so that padding to 16 always adds at least one space. 0 or -ENOMEM.
 */
int yl_pad_for_space(struct buf *text);

#endif
