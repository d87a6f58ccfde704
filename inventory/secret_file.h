/*
 * secret_file.h - secrets kept outside the inventory, so the inventory can live in git.
 *
 * One top-level key names a YAML file of secrets, resolved against the directory of the
 * inventory file that declares it (as firmware_dir is):
 *
 *     secrets: secrets.yaml            # alice-sip: "Secr3t!"  (a mapping NAME: value)
 *
 * and wherever a secret is accepted (a line's `password`, `admin_password` in settings,
 * `xml_password`) the value may be a reference to one of its entries:
 *
 *     lines: [{user: "1001", password: {secret: alice-sip}}]
 *
 * The file must be a regular file (opened with O_NOFOLLOW | O_NONBLOCK: never a symlink, never
 * a FIFO a load would wait on), of mode 0640 or stricter (group read at most: root:provfs 0640
 * serves both root's provctl and a run_as=provfs daemon), owned by root or by the user the
 * loading process runs as, and at most SECRETS_MAX_BYTES. Any of
 * those problems fails the load at the `secrets:` value's FILE:LINE:COL with a one-line
 * reason; a name the file lacks fails it at the reference's position. A resolved value is
 * put where an inline one would be, at the reference's position: from then on nothing can
 * tell the two apart (never logged, masked, wiped like any other).
 */
#ifndef PROVFS_SECRET_FILE_H
#define PROVFS_SECRET_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "inventory/schema.h"

#define SECRETS_MAX_BYTES ((int64_t)1 << 20)

struct secret_ref {
	const char *name; /* the value's s while unresolved: the reference is found by pointer */
	bool printable;   /* xml_password: printable ASCII without spaces, 1 to 64 characters */
};

/* The top-level `secrets: PATH`. */
void secrets_declare(struct builder *b, const struct ynode *v);

/*
 * A value where a secret is accepted: when n is a mapping, reads it as {secret: NAME} into
 * *out (to be resolved) and returns true; otherwise returns false and the caller reads the
 * scalar as usual.
 */
bool secret_ref_read(struct builder *b, const struct ynode *n, const char *what, bool printable,
                     struct value *out);

/*
 * Reads the secrets file and puts each referenced value in place; counts the secrets written
 * inline (inventory.inline_secrets). 0 or -ENOMEM.
 */
int secrets_resolve(struct builder *b);

/*
 * Opens a secrets file as the loader accepts it. Returns the descriptor, or a negative errno
 * with *why set to a one-line reason ("is a symbolic link", "is readable by others (mode
 * 0644)...") written into why_buf.
 */
int secrets_open(const char *path, char *why_buf, size_t why_len);

#endif
