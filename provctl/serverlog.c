/*
 * serverlog.c - strict parsers of the servers' log lines (serverlog.h): a table of formats,
 * each a function that claims a line or leaves it to the next; a small cursor over the line
 * so that no parser reads past its end; dates checked field by field.
 */
#include "provctl/serverlog.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define U64_DIGITS 20
#define DAY        86400

enum claim {
	CLAIMED, /* the line is of this format: *kind says what it is */
	NOT_MINE,
};

/* The unread rest of a line. */
struct cur {
	const char *p, *end;
};

static const char *const kind_names[] = { "nginx", "tftpd", "vsftpd" };
static const char *const result_words[] = { "complete", "partial", "requested", "not-modified",
	                                    "failed" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char weekdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

const char *srv_kind_name(enum srv_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

const char *srv_result_word(enum srv_result r)
{
	return (unsigned)r < sizeof(result_words) / sizeof(result_words[0]) ? result_words[r] : "?";
}

/* ---- the cursor ------------------------------------------------------------------------ */

static bool lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Exactly n decimal digits (n <= 9). */
static bool fixed(struct cur *c, size_t n, int *v)
{
	int x = 0;

	if ((size_t)(c->end - c->p) < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (c->p[i] < '0' || c->p[i] > '9')
			return false;
		x = x * 10 + (c->p[i] - '0');
	}
	c->p += n;
	*v = x;
	return true;
}

/* Up to the next space or the end; never empty. */
static bool token(struct cur *c, const char **s, size_t *n)
{
	const char *sp = memchr(c->p, ' ', (size_t)(c->end - c->p));

	*s = c->p;
	*n = (size_t)((sp != NULL ? sp : c->end) - c->p);
	c->p += *n;
	return *n > 0;
}

/* "..." without a '"' inside (nginx escapes it as \x22). */
static bool quoted(struct cur *c, const char **s, size_t *n)
{
	const char *q;

	if (!lit(c, "\""))
		return false;
	q = memchr(c->p, '"', (size_t)(c->end - c->p));
	if (q == NULL)
		return false;
	*s = c->p;
	*n = (size_t)(q - c->p);
	c->p = q + 1;
	return true;
}

/* Decimal, no sign, no leading zero, fits in uint64. */
static bool u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > U64_DIGITS || (s[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

static bool u64_token(struct cur *c, uint64_t *v)
{
	const char *s;
	size_t n;

	return token(c, &s, &n) && u64(s, n, v);
}

/* A numeric IPv4 or IPv6 address, as inet_pton reads it. */
static bool addr(const char *s, size_t n, char out[SRV_ADDR_MAX])
{
	unsigned char bin[16];

	if (n == 0 || n >= SRV_ADDR_MAX)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return inet_pton(AF_INET, out, bin) == 1 || inet_pton(AF_INET6, out, bin) == 1;
}

static bool addr_token(struct cur *c, char out[SRV_ADDR_MAX])
{
	const char *s;
	size_t n;

	return token(c, &s, &n) && addr(s, n, out);
}

/*
 * The name a request asked for: the last path component, without a query string when
 * `query`. Empty when there is none or it is too long to be a name.
 */
static void last_component(const char *s, size_t n, bool query, char out[FILE_NAME_MAX + 1])
{
	const char *q = query ? memchr(s, '?', n) : NULL;
	const char *slash;

	if (q != NULL)
		n = (size_t)(q - s);
	slash = memrchr(s, '/', n);
	if (slash != NULL) {
		n -= (size_t)(slash + 1 - s);
		s = slash + 1;
	}
	out[0] = '\0';
	if (n > 0 && n <= FILE_NAME_MAX) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
}

/* No control byte, no NUL, no DEL: what a server's escaping leaves. */
static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* ---- dates ----------------------------------------------------------------------------- */

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool date_ok(int y, int m, int d)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
	       d <= mdays[m - 1] + (m == 2 && leap(y));
}

static bool clock_ok(int h, int mi, int s)
{
	return h < 24 && mi < 60 && s <= 60; /* 60: a leap second */
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* A wall-clock time of the local time zone (TZ) as UTC seconds. */
static bool local(int y, int m, int d, int h, int mi, int s, int64_t *t)
{
	struct tm tm;
	time_t v;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	v = mktime(&tm);
	if (v == (time_t)-1)
		return false;
	*t = (int64_t)v;
	return true;
}

static bool month(struct cur *c, int *m)
{
	for (int i = 0; i < 12; i++)
		if (lit(c, months[i])) {
			*m = i + 1;
			return true;
		}
	return false;
}

/* "HH:MM:SS" */
static bool hms(struct cur *c, int *h, int *mi, int *s)
{
	return fixed(c, 2, h) && lit(c, ":") && fixed(c, 2, mi) && lit(c, ":") && fixed(c, 2, s) &&
	       clock_ok(*h, *mi, *s);
}

/* A day of the month in two places, space-padded ("%e") or zero-padded ("%d"). */
static bool mday(struct cur *c, int *d)
{
	if (lit(c, " "))
		return fixed(c, 1, d);
	return fixed(c, 2, d);
}

/* "2026-11-29T20:51:42[.frac](Z|+01:00|+0100)": $time_iso8601, RFC 3339, short-iso. */
static bool iso(struct cur *c, int64_t *t)
{
	int y, m, d, h, mi, s, oh = 0, om = 0, sign = 1, frac;

	if (!fixed(c, 4, &y) || !lit(c, "-") || !fixed(c, 2, &m) || !lit(c, "-") ||
	    !fixed(c, 2, &d) || !lit(c, "T") || !hms(c, &h, &mi, &s) || !date_ok(y, m, d))
		return false;
	if (lit(c, ".")) {
		size_t n = 0;

		while (n < 9 && fixed(c, 1, &frac))
			n++;
		if (n == 0)
			return false;
	}
	if (!lit(c, "Z")) {
		if (lit(c, "-"))
			sign = -1;
		else if (!lit(c, "+"))
			return false;
		if (!fixed(c, 2, &oh))
			return false;
		lit(c, ":"); /* +01:00 (RFC 3339) or +0100 (journalctl -o short-iso) */
		if (!fixed(c, 2, &om) || oh > 23 || om > 59)
			return false;
	}
	*t = days(y, m, d) * DAY + (int64_t)h * 3600 + (int64_t)mi * 60 + s -
	     (int64_t)sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
	return true;
}

/* "Nov 29 20:51:42": local time; the year is now's, or the one before for a date ahead. */
static bool traditional(struct cur *c, int64_t now, int64_t *t)
{
	time_t nt = (time_t)now;
	int y, m, d, h, mi, s;
	struct tm tm;

	if (!month(c, &m) || !lit(c, " ") || !mday(c, &d) || !lit(c, " ") || !hms(c, &h, &mi, &s) ||
	    localtime_r(&nt, &tm) == NULL)
		return false;
	y = tm.tm_year + 1900;
	if (!date_ok(y, m, d) || !local(y, m, d, h, mi, s, t) || *t > now + DAY) {
		y--; /* December's lines read in January */
		if (!date_ok(y, m, d) || !local(y, m, d, h, mi, s, t))
			return false;
	}
	return true;
}

/* ---- nginx ----------------------------------------------------------------------------- */

/* "bytes 0-99/1378": the size after the '/'. */
static bool content_range_size(const char *s, size_t n, uint64_t *size)
{
	const char *slash = memchr(s, '/', n);

	return n > 6 && memcmp(s, "bytes ", 6) == 0 && slash != NULL &&
	       u64(slash + 1, (size_t)(s + n - slash - 1), size);
}

static enum claim nginx(struct cur *c, int64_t now, struct srv_fetch *f, enum srv_line *kind)
{
	const char *method, *uri, *cl, *cr, *done;
	size_t nm, nu, ncl, ncr, ndone;
	int status;

	(void)now;
	if (!lit(c, "provfs1 "))
		return NOT_MINE;
	*kind = SRV_LINE_BAD;
	f->server = SRV_NGINX;
	if (!printable(c->p, (size_t)(c->end - c->p)) || !iso(c, &f->time) || !lit(c, " ") ||
	    !addr_token(c, f->addr) || !lit(c, " ") || !quoted(c, &method, &nm) || !lit(c, " ") ||
	    !quoted(c, &uri, &nu) || !lit(c, " ") || !fixed(c, 3, &status) || status < 100 ||
	    !lit(c, " ") || !u64_token(c, &f->bytes) || !lit(c, " ") || !quoted(c, &cl, &ncl) ||
	    !lit(c, " ") || !quoted(c, &cr, &ncr) || !lit(c, " ") || !quoted(c, &done, &ndone) ||
	    c->p != c->end)
		return CLAIMED;
	f->has_bytes = true;
	f->status = (unsigned)status;
	if ((status == 200 && u64(cl, ncl, &f->size)) ||
	    (status == 206 && content_range_size(cr, ncr, &f->size)))
		f->has_size = true;
	else if ((ncl != 1 || cl[0] != '-') && status == 200)
		return CLAIMED; /* a Content-Length that is no number */
	if (nm != 3 || memcmp(method, "GET", 3) != 0) {
		*kind = SRV_LINE_OTHER; /* HEAD and the like fetch nothing */
		return CLAIMED;
	}
	last_component(uri, nu, true, f->name);
	if (status == 200)
		f->result =
		    ndone == 2 && memcmp(done, "OK", 2) == 0 && f->has_size && f->bytes == f->size
		        ? SRV_COMPLETE
		        : SRV_PARTIAL;
	else if (status == 206)
		f->result = SRV_PARTIAL;
	else if (status == 304)
		f->result = SRV_NOT_MODIFIED;
	else
		f->result = SRV_FAILED;
	*kind = SRV_LINE_FETCH;
	return CLAIMED;
}

/* ---- vsftpd's xferlog ------------------------------------------------------------------ */

static bool weekday(struct cur *c)
{
	for (int i = 0; i < 7; i++)
		if (lit(c, weekdays[i]))
			return true;
	return false;
}

/* The rest, split at single spaces; false past max fields or on an empty one. */
static bool split(struct cur *c, const char *field[], size_t len[], size_t max, size_t *n)
{
	for (*n = 0; c->p < c->end; (*n)++) {
		if (*n == max || (*n > 0 && !lit(c, " ")) || !token(c, &field[*n], &len[*n]))
			return false;
	}
	return true;
}

#define XFER_FIELDS 13 /* after the date; more when the file name has spaces */

static enum claim xferlog(struct cur *c, int64_t now, struct srv_fetch *f, enum srv_line *kind)
{
	const char *field[64];
	size_t len[64], n, last;
	int m, d, h, mi, s, y;
	uint64_t secs;

	(void)now;
	if (!weekday(c) || !lit(c, " ") || !month(c, &m))
		return NOT_MINE;
	*kind = SRV_LINE_BAD;
	f->server = SRV_VSFTPD;
	if (!printable(c->p, (size_t)(c->end - c->p)) || !lit(c, " ") || !mday(c, &d) ||
	    !lit(c, " ") || !hms(c, &h, &mi, &s) || !lit(c, " ") || !fixed(c, 4, &y) ||
	    !date_ok(y, m, d) || !lit(c, " ") || !split(c, field, len, 64, &n) || n < XFER_FIELDS ||
	    !local(y, m, d, h, mi, s, &f->time))
		return CLAIMED;
	last = n - 1; /* completion c|i; direction is 7 before it */
	if (!u64(field[0], len[0], &secs) || !addr(field[1], len[1], f->addr) ||
	    !u64(field[2], len[2], &f->bytes) || len[last] != 1 ||
	    (field[last][0] != 'c' && field[last][0] != 'i') || len[last - 6] != 1)
		return CLAIMED;
	if (field[last - 6][0] != 'o') {
		*kind = SRV_LINE_OTHER; /* an upload or a delete */
		return CLAIMED;
	}
	if (n == XFER_FIELDS) /* otherwise the name had spaces: never one of ours */
		last_component(field[3], len[3], false, f->name);
	f->has_bytes = true;
	f->result = field[last][0] == 'c' ? SRV_COMPLETE : SRV_PARTIAL;
	*kind = SRV_LINE_FETCH;
	return CLAIMED;
}

/* ---- tftpd-hpa through syslog ---------------------------------------------------------- */

/* "in.tftpd[PID]: MESSAGE", after the envelope. */
static void tftpd(struct cur *c, struct srv_fetch *f, enum srv_line *kind)
{
	const char *s, *remap;
	uint64_t pid;
	size_t n;

	*kind = SRV_LINE_OTHER;
	if (!lit(c, "in.tftpd["))
		return; /* another program */
	*kind = SRV_LINE_BAD;
	f->server = SRV_TFTPD;
	s = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	if (!u64(s, (size_t)(c->p - s), &pid) || pid > INT32_MAX || !lit(c, "]: "))
		return;
	f->pid = (long)pid;
	if (lit(c, "sending NAK (")) {
		const char *to = memmem(c->p, (size_t)(c->end - c->p), ") to ", 5);

		if (to == NULL)
			return;
		c->p = to + 5;
		if (addr_token(c, f->addr) && c->p == c->end)
			*kind = SRV_LINE_NAK;
		return;
	}
	if (!lit(c, "RRQ from ")) {
		*kind = SRV_LINE_OTHER; /* WRQ, option and error messages */
		return;
	}
	if (!addr_token(c, f->addr) || !lit(c, " filename ") || c->p == c->end)
		return;
	n = (size_t)(c->end - c->p);
	/* rsyslog may keep tftpd's trailing newline as "#012" */
	if (n > 4 && memcmp(c->end - 4, "#012", 4) == 0)
		n -= 4;
	remap = memmem(c->p, n, " remapped to ", 13);
	if (remap != NULL) {
		n -= (size_t)(remap + 13 - c->p);
		c->p = remap + 13;
	}
	last_component(c->p, n, false, f->name);
	f->result = SRV_REQUESTED;
	*kind = SRV_LINE_FETCH;
}

/* The envelope: a timestamp, one space, the host, one space; then the program's tag. */
static enum claim syslog_line(struct cur *c, int64_t now, struct srv_fetch *f, enum srv_line *kind)
{
	struct cur at = *c;
	const char *host;
	size_t n;

	if (!iso(c, &f->time)) {
		*c = at;
		if (!traditional(c, now, &f->time))
			return NOT_MINE;
	}
	if (!lit(c, " "))
		return NOT_MINE;
	/* the host, unless the line has none (what a program hands to /dev/log) */
	at = *c;
	if (!lit(&at, "in.tftpd[") && (!token(c, &host, &n) || !lit(c, " ")))
		return NOT_MINE;
	tftpd(c, f, kind);
	if (*kind != SRV_LINE_OTHER && !printable(c->p, (size_t)(c->end - c->p)))
		*kind = SRV_LINE_BAD;
	return CLAIMED;
}

/* journalctl's own lines ("-- Boot ...", "-- No entries --"). */
static enum claim journal_marker(struct cur *c, int64_t now, struct srv_fetch *f,
                                 enum srv_line *kind)
{
	(void)now;
	(void)f;
	if (!lit(c, "-- "))
		return NOT_MINE;
	*kind = SRV_LINE_OTHER;
	return CLAIMED;
}

/* The formats, in the order they are tried: each claims a line by its first bytes. */
static const struct {
	enum claim (*parse)(struct cur *c, int64_t now, struct srv_fetch *f, enum srv_line *kind);
} formats[] = {
	{ nginx },          /* "provfs1 " */
	{ xferlog },        /* a weekday, a month */
	{ syslog_line },    /* a date, a host, a tag */
	{ journal_marker }, /* "-- " */
};

enum srv_line srv_parse_line(const char *line, size_t len, int64_t now, struct srv_fetch *out)
{
	if (len > SRV_LINE_MAX || memchr(line, '\0', len) != NULL)
		return SRV_LINE_BAD;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		enum srv_line kind = SRV_LINE_BAD;
		/* line + len is the end of the caller's line, whatever its length */
		// cppcheck-suppress pointerOutOfBoundsCond
		struct cur c = { line, line + len };

		memset(out, 0, sizeof(*out));
		if (formats[i].parse(&c, now, out, &kind) != CLAIMED)
			continue;
		if (kind == SRV_LINE_BAD)
			memset(out, 0, sizeof(*out)); /* nothing half-read */
		return kind;
	}
	memset(out, 0, sizeof(*out));
	return SRV_LINE_BAD;
}
