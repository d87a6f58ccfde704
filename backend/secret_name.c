/*
 * secret_name.c - the token rule of secret_name.h. Both vendor tables use it: Grandstream for
 * its v2 names, Panasonic for every name (formats/panasonic.md names are '_'-separated words).
 */
#include "backend/secret_name.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static const char *const secret_words[] = {
	"PASS", "PASSWORD", "PASSWD", "PWD", "PASSPHRASE", "PIN", "SECRET", "KEY",
};

/* Only the password words: a word ending in "KEY" or "PIN" is too often something else. */
static const char *const fused_tails[] = { "PASS", "PASSWORD", "PASSWD", "PWD" };

static bool word_is_secret(const char *w, size_t len, bool fused)
{
	while (len > 0 && isdigit((unsigned char)w[len - 1]))
		len--;
	for (size_t i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
		if (strlen(secret_words[i]) == len && strncasecmp(w, secret_words[i], len) == 0)
			return true;
	if (!fused)
		return false;
	for (size_t i = 0; i < sizeof(fused_tails) / sizeof(fused_tails[0]); i++) {
		size_t t = strlen(fused_tails[i]);

		if (len > t && strncasecmp(w + len - t, fused_tails[i], t) == 0)
			return true;
	}
	return false;
}

bool secret_name(const char *name, bool fused)
{
	size_t start = 0, i = 0;

	for (;; i++) {
		unsigned char ch = (unsigned char)name[i];
		bool end = ch == '\0' || !isalnum(ch);
		bool camel =
		    !end && i > start && islower((unsigned char)name[i - 1]) && isupper(ch);

		if ((end || camel) && i > start && word_is_secret(name + start, i - start, fused))
			return true;
		if (ch == '\0')
			return false;
		if (end)
			start = i + 1;
		else if (camel)
			start = i;
	}
}
