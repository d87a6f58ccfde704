/*
 * fetch.c - the fetch records of the state directory: format, strict parser, merge, files.
 */
#include "fs/fetch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "inventory/mac.h"
#include "inventory/schema.h"

#define HEADER     "provfs-fetch 1\n"
#define U64_DIGITS 20

void fetch_file_name(uint64_t mac, char name[FETCH_NAME_LEN])
{
	char m[MAC_STRLEN + 1];

	mac_format(mac, true, m);
	snprintf(name, FETCH_NAME_LEN, "fetch-%s", m);
}

static bool name_ok(const char *name, size_t len)
{
	return len > 0 && len <= FILE_NAME_MAX && name_in_alphabet(name, len);
}

int fetch_format(const struct fetch_set *s, struct buf *out)
{
	if (s->n > FETCH_MAX_FILES)
		return -EINVAL;
	for (size_t i = 0; i < s->n; i++) {
		const struct fetch_rec *r = &s->rec[i];

		if (!name_ok(r->name, strnlen(r->name, sizeof(r->name))) || r->time < 0 ||
		    (i > 0 && strcmp(s->rec[i - 1].name, r->name) >= 0))
			return -EINVAL;
	}
	buf_puts(out, HEADER);
	for (size_t i = 0; i < s->n; i++) {
		const struct fetch_rec *r = &s->rec[i];

		buf_printf(out, "%s %" PRId64 " %" PRIu64 " %" PRIu64 " %s\n", r->name, r->time,
		           r->bytes, r->size, r->complete ? "complete" : "partial");
	}
	return buf_status(out);
}

/* The field of [p, end) up to the next space (or the end): its length. */
static size_t field_len(const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));

	return (size_t)((sp != NULL ? sp : end) - p);
}

/* A number of the format (decimal, no sign, no leading zero, fits in uint64). */
static bool parse_u64(const char *p, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > U64_DIGITS || (p[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (p[i] < '0' || p[i] > '9' || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/* One record line [p, end), without its '\n'. */
static bool parse_line(const char *p, const char *end, struct fetch_rec *r)
{
	uint64_t num[3]; /* time, bytes, size */
	size_t n = field_len(p, end);

	memset(r, 0, sizeof(*r));
	if (!name_ok(p, n))
		return false;
	memcpy(r->name, p, n);
	p += n;
	for (int i = 0; i < 3; i++) {
		if (p == end || *p != ' ')
			return false;
		p++;
		n = field_len(p, end);
		if (!parse_u64(p, n, &num[i]))
			return false;
		p += n;
	}
	if (p == end || *p != ' ' || num[0] > INT64_MAX)
		return false;
	p++;
	n = (size_t)(end - p);
	if (n == 8 && memcmp(p, "complete", 8) == 0)
		r->complete = true;
	else if (n != 7 || memcmp(p, "partial", 7) != 0)
		return false;
	r->time = (int64_t)num[0];
	r->bytes = num[1];
	r->size = num[2];
	return true;
}

int fetch_parse(const char *text, size_t len, struct fetch_set *s)
{
	const char *p = text, *end = text + len;
	const size_t hl = sizeof(HEADER) - 1;

	s->n = 0;
	if (len > FETCH_FILE_MAX || len < hl || memcmp(text, HEADER, hl) != 0)
		return -EINVAL;
	for (p += hl; p < end; s->n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL || s->n == FETCH_MAX_FILES || !parse_line(p, nl, &s->rec[s->n]) ||
		    (s->n > 0 && strcmp(s->rec[s->n - 1].name, s->rec[s->n].name) >= 0)) {
			s->n = 0;
			return -EINVAL;
		}
		p = nl + 1;
	}
	return 0;
}

void fetch_merge(struct fetch_set *s, const struct fetch_rec *r)
{
	size_t at = 0, oldest = 0;

	for (size_t i = 0; i < s->n; i++) {
		int c = strcmp(s->rec[i].name, r->name);

		if (c == 0) {
			s->rec[i] = *r;
			return;
		}
		if (c < 0)
			at = i + 1;
		if (s->rec[i].time < s->rec[oldest].time)
			oldest = i;
	}
	if (s->n == FETCH_MAX_FILES) {
		memmove(&s->rec[oldest], &s->rec[oldest + 1],
		        (s->n - oldest - 1) * sizeof(s->rec[0]));
		s->n--;
		if (oldest < at)
			at--;
	}
	memmove(&s->rec[at + 1], &s->rec[at], (s->n - at) * sizeof(s->rec[0]));
	s->rec[at] = *r;
	s->n++;
}

int fetch_load(const struct state *st, uint64_t mac, struct fetch_set *s)
{
	char name[FETCH_NAME_LEN];
	struct buf text;
	int r;

	s->n = 0;
	fetch_file_name(mac, name);
	buf_init(&text);
	r = state_read(st, name, &text);
	if (r == 0)
		r = fetch_parse((const char *)text.data, text.len, s);
	buf_free(&text);
	return r;
}

int fetch_store(const struct state *st, uint64_t mac, const struct fetch_set *s)
{
	char name[FETCH_NAME_LEN];
	struct buf text;
	int r;

	fetch_file_name(mac, name);
	buf_init(&text);
	r = fetch_format(s, &text);
	if (r == 0)
		r = replace_file(st->dirfd, name, text.data, text.len, 0600, false);
	buf_free(&text);
	return r;
}
