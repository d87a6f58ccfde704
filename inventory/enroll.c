/*
 * enroll.c - parsing `enroll_until` and finding a device's window (enroll.h has the forms).
 *
 * The calendar arithmetic is done here instead of through timegm(): the parse must refuse
 * what timegm would normalise (a 31st of April, hour 24), and it must not depend on TZ.
 */
#include "inventory/enroll.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "inventory/merge.h"

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = m <= 2 ? y - 1 : y;
	int64_t era = yy / 400; /* yy >= 1969: no negative division */
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

int enroll_parse(const char *s, size_t len, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;

	if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -EINVAL;
	if (len > 10) {
		if (len < 17 || s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
		    !digits(s + 14, 2, &mi))
			return -EINVAL;
		size_t at = 16;

		if (s[at] == ':') {
			if (len < at + 3 || !digits(s + at + 1, 2, &sec))
				return -EINVAL;
			at += 3;
		}
		if (len == at + 1 && s[at] == 'Z') {
			sign = 0;
		} else if (len == at + 6 && (s[at] == '+' || s[at] == '-') &&
		           digits(s + at + 1, 2, &oh) && s[at + 3] == ':' &&
		           digits(s + at + 4, 2, &om)) {
			sign = s[at] == '+' ? 1 : -1;
		} else {
			return -EINVAL;
		}
		if (h > 23 || mi > 59 || sec > 59 || oh > 23 || om > 59)
			return -EINVAL;
	}
	*out = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + sec -
	       (int64_t)sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
	return 0;
}

const struct value *enroll_device_until(const struct inventory *inv, const struct device *dev,
                                        int64_t *until)
{
	struct effective e;
	struct ranked r;

	effective_device(&e, inv, dev);
	r = eff_enroll_until(&e);
	*until = r.v != NULL ? e.levels[r.rank]->enroll_until_at : 0;
	return r.v;
}

const char *enroll_format(int64_t t, char out[ENROLL_TIME_SIZE])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, ENROLL_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, ENROLL_TIME_SIZE, "%lld", (long long)t);
	return out;
}
