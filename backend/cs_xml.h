/*
 * cs_xml.h - the Cisco <flat-profile> writer and the profile rules provfs hands a phone
 * (formats/cisco.md §2, §4, §7 item 2).
 *
 * One element per parameter, `<Name ua="na">value</Name>`, in the order the caller gives:
 * within a file the last duplicate wins and across profiles the last processed wins (§2.3),
 * so order is the caller's precedence. The writer never emits `<Name/>`, whose meaning the
 * SPA and MPP guides give differently (§2.2): an empty value is written open+close, which
 * both read as "set to empty".
 */
#ifndef PROVFS_CS_XML_H
#define PROVFS_CS_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/buf.h"

/*
 * Longest value, in bytes: provfs's own bound. No Cisco document gives a per-parameter or
 * file-size limit (§2.1 [U]); a value longer than this is more likely a mistake than a
 * parameter.
 */
#define CS_VALUE_MAX 2048

/* Longest parameter name provfs writes (its own bound; Cisco names are web-UI labels). */
#define CS_PARAM_MAX 64

/*
 * Whether the phone would read back exactly v[0..len) (§2.1, §7.2): printable ASCII only
 * (0x20..0x7e: "The phone firmware only supports ASCII characters"), so no CR, LF, tab or
 * NUL (a newline becomes a space), no leading or trailing space (stripped), at most
 * CS_VALUE_MAX bytes. The empty value is fine: it clears the parameter.
 */
bool cs_value_ok(const char *v, size_t len);

/* Whether name[0..len) can be an element name: a letter, then [A-Za-z0-9_], <= CS_PARAM_MAX. */
bool cs_param_ok(const char *name, size_t len);

/* `<?xml version="1.0" standalone="yes"?>` and `<flat-profile>`, each with LF. */
void cs_begin(struct buf *out);

/*
 * `<Name ua="na">value</Name>` and LF, the value with & < > ' " escaped as &amp; &lt; &gt;
 * &apos; &quot;. The caller has checked name with cs_param_ok and value with cs_value_ok.
 */
void cs_param(struct buf *out, const char *name, const char *value, size_t vlen);

/* `</flat-profile>` and LF. */
void cs_end(struct buf *out);

/*
 * The per-device Profile_Rule once a key exists (§4 step 2):
 * `[--key $SA]<base_url>/<mac>.cfg`, $SA being GPP_SA (expanded only inside --key, §1.3).
 * mac_lower is 12 lower-case hex digits, or NULL for the macro $MA (the same name on the
 * device the file is for, as vectors/cisco/C1 writes it). base_url is scheme://host[/path];
 * a trailing '/' is dropped and every '$' in it doubled ("$$" is a literal '$', §1.3).
 * Returns the length written (NUL excluded), -EINVAL for a bad MAC or a base_url the
 * phone could not read back (cs_value_ok) or that holds a space (rules are split at white
 * space), or -ENAMETOOLONG.
 */
int cs_key_rule(char *out, size_t len, const char *base_url, const char *mac_lower);

/*
 * The bootstrap's Profile_Rule_B (§4 step 1): `<base_url>/$MA.xml`, the macro left for each
 * phone to expand. Same base_url handling and returns as cs_key_rule.
 */
int cs_plain_rule(char *out, size_t len, const char *base_url);

#endif
