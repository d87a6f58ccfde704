/*
 * mac.c - MAC address notations.
 */
#include "inventory/mac.h"

#include <errno.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool mac_parse_hex12(const char *s, uint64_t *mac)
{
	uint64_t v = 0;

	for (int i = 0; i < MAC_STRLEN; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return false;
		v = (v << 4) | (uint64_t)h;
	}
	*mac = v;
	return true;
}

/* Reads groups of `width` hex digits separated by `sep` (0 = none). */
static int parse_groups(const char *s, size_t len, int width, char sep, uint64_t *mac)
{
	int groups = MAC_STRLEN / width;
	size_t want = (size_t)(MAC_STRLEN + (sep ? groups - 1 : 0));
	uint64_t v = 0;
	size_t p = 0;

	if (len != want)
		return -EINVAL;
	for (int g = 0; g < groups; g++) {
		if (g > 0 && sep) {
			if (s[p] != sep)
				return -EINVAL;
			p++;
		}
		for (int i = 0; i < width; i++, p++) {
			int h = hexval(s[p]);

			if (h < 0)
				return -EINVAL;
			v = (v << 4) | (uint64_t)h;
		}
	}
	*mac = v;
	return 0;
}

int mac_parse(const char *s, size_t len, uint64_t *mac)
{
	uint64_t v;
	int r;

	if (len == MAC_STRLEN)
		r = parse_groups(s, len, 12, 0, &v);
	else if (len == 17 && (s[2] == ':' || s[2] == '-'))
		r = parse_groups(s, len, 2, s[2], &v);
	else if (len == 14)
		r = parse_groups(s, len, 4, '.', &v);
	else
		r = -EINVAL;
	if (r < 0)
		return r;
	if (v == 0 || (v >> 40) & 1)
		return -EINVAL; /* all-zero or multicast (group bit of the first octet) */
	*mac = v;
	return 0;
}

void mac_format(uint64_t mac, bool upper, char out[MAC_STRLEN + 1])
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (int i = MAC_STRLEN - 1; i >= 0; i--) {
		out[i] = digits[mac & 0xf];
		mac >>= 4;
	}
	out[MAC_STRLEN] = '\0';
}
