/*
 * enroll.h - `enroll_until:` on a device or a group: when its enrolment window ends.
 *
 * Files that hand a phone a secret in the clear to bootstrap it (a key carrier, a plain file
 * with a password: backend/ decides which) are served only while the window is open. This
 * layer parses and keeps the time; backend/ says which files it closes and fs/ enforces it.
 *
 * Accepted forms, strictly (anything else is an error at the value's FILE:LINE:COL):
 *   2026-12-31                    that day at 00:00:00 UTC: "until the day begins", the
 *                                 earlier of the two readings of a date
 *   2026-12-31T18:00:00Z          UTC
 *   2026-12-31T18:00Z             UTC, seconds 0
 *   2026-12-31T19:00:00+01:00     an explicit offset (-HH:MM too; +00:00 is UTC)
 * A time without a zone is refused: the daemon's TZ must not move a security deadline.
 * Years 1970 to 9999; no leap second, no fraction, no lower-case 't' or 'z', no space for 'T'.
 */
#ifndef PROVFS_ENROLL_H
#define PROVFS_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory/model.h"

/* s[0..len) -> seconds since the epoch (UTC). Returns 0 or -EINVAL. */
int enroll_parse(const char *s, size_t len, int64_t *out);

/*
 * The device's window: the `enroll_until` of its highest level that sets one (device, then
 * its groups, the last listed first). Returns the value (NULL: no window, served always) and
 * *until.
 */
const struct value *enroll_device_until(const struct inventory *inv, const struct device *dev,
                                        int64_t *until);

/* Whether the window ending at `until` is closed at `now` (the window is [.., until)). */
static inline bool enroll_closed(int64_t until, int64_t now)
{
	return now >= until;
}

/* "2026-12-31T18:00:00Z" (21 bytes with the NUL). */
#define ENROLL_TIME_SIZE 32
const char *enroll_format(int64_t t, char out[ENROLL_TIME_SIZE]);

#endif
