/*
 * mac.h - MAC addresses: parse any common notation, print the forms vendors use.
 *
 * A MAC is kept as a 48-bit integer: it is the device's identity, its hash key and
 * the low bits of its files' inode numbers.
 */
#ifndef PROVFS_MAC_H
#define PROVFS_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAC_STRLEN 12 /* hex digits, no separators */

/*
 * Parses "000b82123456", "00:0b:82:12:34:56", "00-0B-82-12-34-56", "000b.8212.3456"
 * (any letter case; one separator style throughout). Returns 0 or -EINVAL.
 * Multicast and all-zero addresses are rejected: no phone has one.
 */
int mac_parse(const char *s, size_t len, uint64_t *mac);

/* Exactly 12 hex digits of either case, nothing else (the strict form used in file names). */
bool mac_parse_hex12(const char *s, uint64_t *mac);

/* Writes 12 hex digits and a NUL into out[13]. */
void mac_format(uint64_t mac, bool upper, char out[MAC_STRLEN + 1]);

#endif
