/*
 * cs_xml.c - the <flat-profile> writer and the profile rules (formats/cisco.md §1.3, §2, §4).
 */
#include "backend/cs_xml.h"

#include <errno.h>
#include <string.h>

#include "backend/cs_table.h"

bool cs_value_ok(const char *v, size_t len)
{
	if (len > CS_VALUE_MAX)
		return false;
	if (len > 0 && (v[0] == ' ' || v[len - 1] == ' '))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return false;
	return true;
}

static bool is_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool cs_param_ok(const char *name, size_t len)
{
	if (len == 0 || len > CS_PARAM_MAX || !is_letter(name[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_letter(name[i]) && !(name[i] >= '0' && name[i] <= '9') && name[i] != '_')
			return false;
	return true;
}

void cs_begin(struct buf *out)
{
	buf_puts(out, "<?xml version=\"1.0\" standalone=\"yes\"?>\n<flat-profile>\n");
}

/* The five predefined entities of XML 1.0 §4.6, which §2.1 lists as understood. */
static const char *const entity[] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['\''] = "&apos;", ['"'] = "&quot;",
};

void cs_param(struct buf *out, const char *name, const char *value, size_t vlen)
{
	size_t run = 0;

	buf_printf(out, "<%s ua=\"na\">", name);
	for (size_t i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c >= sizeof(entity) / sizeof(entity[0]) || entity[c] == NULL)
			continue;
		buf_append(out, value + run, i - run);
		buf_puts(out, entity[c]);
		run = i + 1;
	}
	buf_append(out, value + run, vlen - run);
	buf_printf(out, "</%s>\n", name);
}

void cs_end(struct buf *out)
{
	buf_puts(out, "</flat-profile>\n");
}

/* Appends s (n bytes) at *pos with each '$' doubled; false when it does not fit. */
static bool put(char *out, size_t len, size_t *pos, const char *s, size_t n, bool dollars)
{
	for (size_t i = 0; i < n; i++) {
		size_t need = dollars && s[i] == '$' ? 2 : 1;

		if (*pos + need >= len)
			return false;
		out[(*pos)++] = s[i];
		if (need == 2)
			out[(*pos)++] = '$';
	}
	out[*pos] = '\0';
	return true;
}

/* prefix, base_url (escaped), '/', name, tail: the shape of every rule provfs writes. */
static int rule(char *out, size_t len, const char *prefix, const char *base_url, const char *name,
                const char *tail)
{
	size_t blen = strlen(base_url), pos = 0;

	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	/* a rule is split at white space (§1.3: "[--key K] url", "(expr)? url1 | url2") */
	if (blen == 0 || !cs_value_ok(base_url, blen) || memchr(base_url, ' ', blen) != NULL)
		return -EINVAL;
	if (len == 0)
		return -ENAMETOOLONG;
	if (!put(out, len, &pos, prefix, strlen(prefix), false) ||
	    !put(out, len, &pos, base_url, blen, true) || !put(out, len, &pos, "/", 1, false) ||
	    !put(out, len, &pos, name, strlen(name), false) ||
	    !put(out, len, &pos, tail, strlen(tail), false))
		return -ENAMETOOLONG;
	return (int)pos;
}

int cs_key_rule(char *out, size_t len, const char *base_url, const char *mac_lower)
{
	if (mac_lower != NULL) {
		if (strlen(mac_lower) != 12 || strspn(mac_lower, "0123456789abcdef") != 12)
			return -EINVAL;
	}
	return rule(out, len, "[--key $SA]", base_url, mac_lower != NULL ? mac_lower : "$MA",
	            CS_DEVICE_ENC_TAIL);
}

int cs_plain_rule(char *out, size_t len, const char *base_url)
{
	return rule(out, len, "", base_url, "$MA", CS_DEVICE_PLAIN_TAIL);
}
