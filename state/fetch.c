/*
 * fetch.c - the fetch records of the state directory: the line format and its strict parser,
 * fetch.log (append, rotate, read past damage), the table of records by (MAC, name), and the
 * read-only parser of the per-device files of older versions.
 */
#include "state/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory/mac.h"
#include "inventory/schema.h"

#define U64_DIGITS 20
#define INDEX_MIN  64

static const char *const status_words[] = {
	[FETCH_COMPLETE] = "complete",
	[FETCH_PARTIAL] = "partial",
	[FETCH_CACHED] = "cached",
};

const char *fetch_status_word(enum fetch_status s)
{
	return (unsigned)s < sizeof(status_words) / sizeof(status_words[0]) ? status_words[s] : "?";
}

/* A name provfs could serve: in the alphabet, and not "." or "..". */
static bool name_ok(const char *name, size_t len)
{
	return len > 0 && len <= FILE_NAME_MAX && name_in_alphabet(name, len) &&
	       !(name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')));
}

int fetch_format(const struct fetch_rec *r, struct buf *out)
{
	char mac[MAC_STRLEN + 1];

	if (!name_ok(r->name, strnlen(r->name, sizeof(r->name))) || r->time < 0 ||
	    r->mac >> 48 != 0 || (unsigned)r->status > FETCH_CACHED)
		return -EINVAL;
	mac_format(r->mac, true, mac);
	buf_printf(out, "%" PRId64 " %s %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", r->time, mac,
	           r->name, r->generation, r->bytes, r->size, fetch_status_word(r->status));
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

/* The next field of *p: a separating space unless it is the first, then the field. */
static bool next_field(const char **p, const char *end, bool first, const char **f, size_t *n)
{
	if (!first) {
		if (*p == end || **p != ' ')
			return false;
		(*p)++;
	}
	*f = *p;
	*n = field_len(*p, end);
	*p += *n;
	return *n > 0;
}

static bool parse_status(const char *p, size_t n, enum fetch_status *s)
{
	for (size_t i = 0; i < sizeof(status_words) / sizeof(status_words[0]); i++)
		if (n == strlen(status_words[i]) && memcmp(p, status_words[i], n) == 0) {
			*s = (enum fetch_status)i;
			return true;
		}
	return false;
}

/* 12 upper-case hex digits. */
static bool parse_mac(const char *p, size_t n, uint64_t *mac)
{
	char back[MAC_STRLEN + 1];

	if (n != MAC_STRLEN || !mac_parse_hex12(p, mac))
		return false;
	mac_format(*mac, true, back);
	return memcmp(back, p, MAC_STRLEN) == 0;
}

int fetch_parse(const char *line, size_t len, struct fetch_rec *r)
{
	const char *p = line, *end = line + len, *f;
	uint64_t time, num[3]; /* generation, bytes, size */
	size_t n;

	memset(r, 0, sizeof(*r));
	if (len > FETCH_LINE_MAX || !next_field(&p, end, true, &f, &n) || !parse_u64(f, n, &time) ||
	    time > INT64_MAX || !next_field(&p, end, false, &f, &n) || !parse_mac(f, n, &r->mac) ||
	    !next_field(&p, end, false, &f, &n) || !name_ok(f, n))
		goto bad;
	memcpy(r->name, f, n);
	for (int i = 0; i < 3; i++)
		if (!next_field(&p, end, false, &f, &n) || !parse_u64(f, n, &num[i]))
			goto bad;
	if (!next_field(&p, end, false, &f, &n) || p != end || !parse_status(f, n, &r->status))
		goto bad;
	r->time = (int64_t)time;
	r->generation = num[0];
	r->bytes = num[1];
	r->size = num[2];
	return 0;
bad:
	memset(r, 0, sizeof(*r));
	return -EINVAL;
}

/* ---- fetch.log ------------------------------------------------------------------------- */

static int open_log(const struct state *st)
{
	/* read too: the last byte tells whether a crash left half a line; and a FIFO opens at
	 * once for reading and writing, to be refused by its type rather than by ENXIO */
	int fd = open_regular(st->dirfd, FETCH_LOG, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW, 0600);

	if (fd >= 0 && state_own(st, fd) < 0) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int fetch_append(const struct state *st, const void *text, size_t len, uint64_t cap)
{
	struct stat sb;
	char last = '\n';
	struct buf out;
	int fd = open_log(st), r;

	if (fd < 0)
		return fd;
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (sb.st_size > 0 && (uint64_t)sb.st_size + len > cap) {
		/* rotate: the old history stays in fetch.log.1 until the next rotation */
		close(fd);
		if (renameat(st->dirfd, FETCH_LOG, st->dirfd, FETCH_LOG_OLD) < 0)
			return -errno;
		fd = open_log(st);
		if (fd < 0)
			return fd;
		sb.st_size = 0;
	}
	/* a crash in the middle of an append left half a line: ours start on a new one */
	if (sb.st_size > 0 && pread(fd, &last, 1, sb.st_size - 1) != 1)
		last = '\n';
	buf_init(&out);
	if (last != '\n')
		buf_append(&out, "\n", 1);
	buf_append(&out, text, len);
	r = buf_status(&out);
	if (r == 0)
		r = write_full(fd, out.data, out.len); /* one write(2) unless the disk is full */
	buf_free(&out);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

struct read_ctx {
	fetch_visit_fn fn;
	void *ctx;
	size_t *damaged;
};

static int read_line(void *ctx, const char *line, size_t len)
{
	struct read_ctx *c = ctx;
	struct fetch_rec r;

	if (fetch_parse(line, len, &r) == 0)
		c->fn(c->ctx, &r);
	else
		(*c->damaged)++;
	return 0;
}

int fetch_read(const struct state *st, const char *name, fetch_visit_fn fn, void *ctx,
               size_t *damaged)
{
	struct read_ctx c = { fn, ctx, damaged };
	int fd, r;

	if (strchr(name, '/') != NULL)
		return -EINVAL;
	fd = open_regular(st->dirfd, name, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	r = read_lines(fd, FETCH_LINE_MAX, read_line, &c, damaged);
	close(fd);
	return r;
}

/* ---- the table ------------------------------------------------------------------------- */

static uint64_t hash(uint64_t mac, const char *name)
{
	uint64_t h = mac * UINT64_C(0x9e3779b97f4a7c15);

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * UINT64_C(0x100000001b3);
	return h ^ (h >> 29);
}

/* The slot of (mac, name): the one holding it, or the empty one where it belongs. */
static size_t find_slot(const struct fetch_table *t, uint64_t mac, const char *name)
{
	size_t mask = t->nslot - 1, i = (size_t)hash(mac, name) & mask;

	while (t->slot[i] != 0) {
		const struct fetch_rec *e = &t->v[t->slot[i] - 1];

		if (e->mac == mac && strcmp(e->name, name) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int grow_index(struct fetch_table *t)
{
	size_t nslot = t->nslot ? t->nslot * 2 : INDEX_MIN;
	uint32_t *old = t->slot;

	t->slot = calloc(nslot, sizeof(*t->slot));
	if (t->slot == NULL) {
		t->slot = old;
		return -ENOMEM;
	}
	free(old);
	t->nslot = nslot;
	for (size_t i = 0; i < t->n; i++)
		t->slot[find_slot(t, t->v[i].mac, t->v[i].name)] = (uint32_t)(i + 1);
	return 0;
}

long fetch_table_at(struct fetch_table *t, uint64_t mac, const char *name)
{
	size_t i;

	if (t->n >= UINT32_MAX - 1 || strlen(name) > FILE_NAME_MAX)
		return -ENOMEM;
	if (2 * (t->n + 1) > t->nslot && grow_index(t) < 0)
		return -ENOMEM;
	i = find_slot(t, mac, name);
	if (t->slot[i] != 0)
		return (long)t->slot[i] - 1;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : INDEX_MIN / 2;
		struct fetch_rec *v = realloc(t->v, ncap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		t->v = v;
		t->cap = ncap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].mac = mac;
	snprintf(t->v[t->n].name, sizeof(t->v[0].name), "%s", name);
	t->slot[i] = (uint32_t)++t->n;
	return (long)t->n - 1;
}

void fetch_table_clear(struct fetch_table *t)
{
	t->n = 0;
	if (t->slot != NULL)
		memset(t->slot, 0, t->nslot * sizeof(*t->slot));
}

void fetch_table_free(struct fetch_table *t)
{
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* ---- fetch-<MAC> of older versions ----------------------------------------------------- */

#define LEGACY_HEADER "provfs-fetch 1\n"

/* "<name> <time> <bytes> <size> complete|partial", without its '\n'. */
static bool legacy_line(const char *p, const char *end, struct fetch_rec *r)
{
	uint64_t num[3]; /* time, bytes, size */
	const char *f;
	size_t n;

	if (!next_field(&p, end, true, &f, &n) || !name_ok(f, n))
		return false;
	memcpy(r->name, f, n);
	r->name[n] = '\0';
	for (int i = 0; i < 3; i++)
		if (!next_field(&p, end, false, &f, &n) || !parse_u64(f, n, &num[i]))
			return false;
	if (!next_field(&p, end, false, &f, &n) || p != end || num[0] > INT64_MAX ||
	    !parse_status(f, n, &r->status) || r->status == FETCH_CACHED)
		return false;
	r->time = (int64_t)num[0];
	r->bytes = num[1];
	r->size = num[2];
	return true;
}

int fetch_legacy_parse(const char *text, size_t len, uint64_t mac, struct fetch_set *s)
{
	const char *p = text, *end = text + len;
	const size_t hl = sizeof(LEGACY_HEADER) - 1;

	memset(s, 0, sizeof(*s));
	if (len > FETCH_LEGACY_FILE_MAX || len < hl || memcmp(text, LEGACY_HEADER, hl) != 0)
		return -EINVAL;
	for (p += hl; p < end; s->n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL || s->n == FETCH_LEGACY_MAX_FILES) {
			s->n = 0;
			return -EINVAL;
		}
		s->rec[s->n].mac = mac;
		if (!legacy_line(p, nl, &s->rec[s->n]) ||
		    (s->n > 0 && strcmp(s->rec[s->n - 1].name, s->rec[s->n].name) >= 0)) {
			s->n = 0;
			return -EINVAL;
		}
		p = nl + 1;
	}
	return 0;
}

int fetch_legacy_load(const struct state *st, uint64_t mac, struct fetch_set *s)
{
	char name[32], m[MAC_STRLEN + 1];
	struct buf text;
	int r;

	s->n = 0;
	mac_format(mac, true, m);
	snprintf(name, sizeof(name), "fetch-%s", m);
	buf_init(&text);
	r = state_read(st, name, &text);
	if (r == 0)
		r = fetch_legacy_parse((const char *)text.data, text.len, mac, s);
	buf_free(&text);
	return r;
}

int unknown_format(const struct unknown_count *u, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%llu %lld %lld\n", (unsigned long long)u->count,
	                 (long long)u->since, (long long)u->last);

	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

int unknown_parse(const char *text, size_t len, struct unknown_count *u)
{
	char line[80], *p = line;
	unsigned long long v[3];

	if (len == 0 || len >= sizeof(line) || text[len - 1] != '\n')
		return -EBADMSG;
	memcpy(line, text, len);
	line[len] = '\0';
	for (int i = 0; i < 3; i++) {
		char *end;

		if (*p < '0' || *p > '9') /* digits only: no sign, no space */
			return -EBADMSG;
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (errno != 0 || *end != (i < 2 ? ' ' : '\n') || (i > 0 && v[i] > INT64_MAX))
			return -EBADMSG;
		p = end + 1;
	}
	if (*p != '\0')
		return -EBADMSG;
	u->count = v[0];
	u->since = (int64_t)v[1];
	u->last = (int64_t)v[2];
	return 0;
}
