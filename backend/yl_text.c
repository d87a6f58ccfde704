/*
 * yl_text.c - Yealink CFG and boot file writer (formats/yealink.md §2, §5.1, §6 items 2-3).
 * LF line ends only, like wazo, and never mixed (§2.1).
 */
#include "backend/yl_text.h"

#include <errno.h>
#include <string.h>

#include "backend/yl_table.h"

bool yl_value_ok(const char *v, size_t len)
{
	if (len > YL_VALUE_MAX)
		return false;
	if (len > 0 && (v[0] == ' ' || v[len - 1] == ' '))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch < 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

static bool name_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

static bool name_ok(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

bool yl_key_ok(const char *k, size_t len)
{
	return name_ok(k, len, YL_KEY_MAX) &&
	       ((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z'));
}

void yl_begin(struct buf *out)
{
	buf_puts(out, YL_VERSION_LINE "\n");
}

/*
 * An empty value is written "key =", with no trailing space: §2.1/§2.2 show empty values as
 * "key =" and "key=" in real generators, and the phone trims what follows the '=', so a
 * trailing space would carry nothing; no line provfs writes then ends in a space.
 */
void yl_line(struct buf *out, const char *key, const char *value, size_t vlen)
{
	buf_puts(out, key);
	if (vlen == 0) {
		buf_puts(out, " =\n");
		return;
	}
	buf_puts(out, " = ");
	buf_append(out, value, vlen);
	buf_puts(out, "\n");
}

static bool include_ok(const char *name)
{
	size_t len = strlen(name);

	return name_ok(name, len, YL_NAME_MAX) && len > 4 && strcmp(name + len - 4, ".cfg") == 0;
}

int yl_boot(struct buf *out, const char *const *includes, size_t n, bool overwrite_mode)
{
	for (size_t i = 0; i < n; i++)
		if (includes[i] == NULL || !include_ok(includes[i]))
			return -EINVAL;
	yl_begin(out);
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, "include:config \"");
		buf_puts(out, includes[i]);
		buf_puts(out, "\"\n");
	}
	yl_line(out, YL_KEY_OVERWRITE, overwrite_mode ? "1" : "0", 1);
	return buf_status(out);
}

int yl_pad_for_space(struct buf *text)
{
	if (text->len % 16 == 0)
		buf_puts(text, "\n");
	return buf_status(text);
}
