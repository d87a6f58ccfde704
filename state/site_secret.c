/*
 * site_secret.c - reading the key_secret file (site_secret.h). Opened as the secrets file
 * of the inventory is (inventory/secret_file.c): O_NOFOLLOW, so never through a symlink, and
 * O_NONBLOCK, so a FIFO is refused instead of waited on; checked on the descriptor.
 */
#include "state/site_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory/diag.h"
#include "state/nodump.h"

#define MAKE_ONE "make one with: head -c 32 /dev/urandom > FILE && chmod 600 FILE"

/* The reason the file at fd (stat st) is refused into why; false if it is not. */
static bool refused(const struct stat *st, uid_t state_owner, char *why, size_t len)
{
	mode_t mode = st->st_mode & 07777;

	if (!S_ISREG(st->st_mode))
		snprintf(why, len, "is %s, not a regular file", diag_file_type(st->st_mode));
	/* the owner's read, at most its write: nobody else reads or replaces the secret */
	else if (mode != 0600 && mode != 0400)
		snprintf(why, len, "has mode %04o: it must be mode 0600 or 0400 (chmod 600 FILE)",
		         (unsigned)mode);
	else if (st->st_uid != 0 && st->st_uid != geteuid() && st->st_uid != state_owner)
		snprintf(why, len,
		         "belongs to uid %u: it must belong to root, to the user reading it (uid "
		         "%u) or to the state directory's owner",
		         (unsigned)st->st_uid, (unsigned)geteuid());
	else if (st->st_size == 0)
		snprintf(why, len, "is empty: a site secret is at least %d bytes; " MAKE_ONE,
		         SITE_SECRET_MIN);
	else if (st->st_size < SITE_SECRET_MIN)
		snprintf(why, len,
		         "holds %lld bytes: a site secret is at least %d bytes; " MAKE_ONE,
		         (long long)st->st_size, SITE_SECRET_MIN);
	else if (st->st_size > SITE_SECRET_MAX)
		snprintf(why, len, "is larger than %d bytes: a site secret is %d to %d bytes",
		         SITE_SECRET_MAX, SITE_SECRET_MIN, SITE_SECRET_MAX);
	else
		return false;
	return true;
}

/* The whole file into s->bytes (nodump memory). 0 or -errno. */
static int read_all(int fd, struct site_secret *s)
{
	s->bytes = nodump_alloc(SITE_SECRET_MAX + 1);
	if (s->bytes == NULL)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, s->bytes + s->len, SITE_SECRET_MAX + 1 - s->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		s->len += (size_t)n;
		if (s->len > SITE_SECRET_MAX)
			return -EFBIG;
	}
}

int site_secret_load(const char *path, uid_t state_owner, struct site_secret **out, char *why,
                     size_t whylen)
{
	struct site_secret *s;
	struct stat st;
	int fd, r;

	*out = NULL;
	why[0] = '\0';
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			snprintf(why, whylen, "is a symbolic link (name the file itself)");
		else if (r == -ENOENT)
			snprintf(why, whylen, "does not exist; " MAKE_ONE);
		else
			snprintf(why, whylen, "cannot be opened: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(why, whylen, "%s", strerror(-r));
		close(fd);
		return r;
	}
	if (refused(&st, state_owner, why, whylen)) {
		close(fd);
		return -EACCES;
	}
	s = calloc(1, sizeof(*s));
	r = s == NULL ? -ENOMEM : 0;
	if (r == 0 && (s->path = strdup(path)) == NULL)
		r = -ENOMEM;
	if (r == 0)
		r = read_all(fd, s);
	close(fd);
	/* what was read, not what fstat said: the file may have changed in between */
	if (r == -EFBIG || (r == 0 && s->len > SITE_SECRET_MAX))
		snprintf(why, whylen, "is larger than %d bytes: a site secret is %d to %d bytes",
		         SITE_SECRET_MAX, SITE_SECRET_MIN, SITE_SECRET_MAX);
	else if (r == 0 && s->len < SITE_SECRET_MIN)
		snprintf(why, whylen,
		         "holds %zu bytes: a site secret is at least %d bytes; " MAKE_ONE, s->len,
		         SITE_SECRET_MIN);
	else if (r == 0)
		r = derive_fingerprint(s->bytes, s->len, s->fingerprint);
	if (r == 0 && why[0] != '\0')
		r = -EINVAL;
	if (r < 0 && why[0] == '\0')
		snprintf(why, whylen, "cannot be read: %s", strerror(-r));
	if (r < 0) {
		site_secret_free(s);
		return r;
	}
	*out = s;
	return 0;
}

void site_secret_free(struct site_secret *s)
{
	if (s == NULL)
		return;
	nodump_free(s->bytes, SITE_SECRET_MAX + 1);
	free(s->path);
	free(s);
}
