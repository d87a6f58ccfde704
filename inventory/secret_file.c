/*
 * secret_file.c - the `secrets:` file and {secret: NAME} references (secret_file.h).
 *
 * References are recorded while the files are read and resolved once all of them are: in a
 * directory inventory the `secrets:` key may sit in another file than the references, or
 * after them. A reference's value holds its NAME (an arena string) until then; the builder
 * knows each reference by that pointer, and one walk over every level's secret slots finds
 * them (records move while the builder's vectors grow, arena strings do not).
 */
#include "inventory/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_LEN 64

static struct pos here(const struct builder *b, const struct ynode *n)
{
	struct pos p = { b->file, n->line, n->col };

	return p;
}

void secrets_declare(struct builder *b, const struct ynode *v)
{
	struct inventory *inv = b->inv;

	if (v->kind != YN_SCALAR || ynode_is_null(v) || v->n == 0) {
		inv_error(inv, b->d, here(b, v), "'secrets' must name a file (a path)");
		return;
	}
	inv->secrets_pos = here(b, v);
	if (v->u.str[0] == '/' || b->dir == NULL)
		inv->secrets_path = arena_strndup(&inv->arena, v->u.str, v->n);
	else
		inv->secrets_path = arena_printf(&inv->arena, "%s/%s", b->dir, v->u.str);
	if (inv->secrets_path == NULL)
		inv_error(inv, b->d, here(b, v), "out of memory");
}

bool secret_ref_read(struct builder *b, const struct ynode *n, const char *what, bool printable,
                     struct value *out)
{
	const struct ynode *name;

	if (n->kind != YN_MAP)
		return false;
	name = n->n == 1 && strcmp(ymap_key(n, 0)->u.str, "secret") == 0 ? ymap_val(n, 0) : NULL;
	if (name == NULL || name->kind != YN_SCALAR || name->n < 1 || name->n > NAME_MAX_LEN ||
	    !name_in_alphabet(name->u.str, name->n)) {
		inv_error(b->inv, b->d, here(b, n),
		          "'%s' must be a value or {secret: NAME}, NAME 1 to %d characters from "
		          "A-Z a-z 0-9 . _ -",
		          what, NAME_MAX_LEN);
		return true;
	}
	if (b->nsrefs == b->cap_srefs) {
		uint32_t ncap = b->cap_srefs ? b->cap_srefs * 2 : 64;
		struct secret_ref *r = realloc(b->srefs, ncap * sizeof(*r));

		if (r == NULL) {
			inv_error(b->inv, b->d, here(b, n), "out of memory");
			return true;
		}
		b->srefs = r;
		b->cap_srefs = ncap;
	}
	out->s = arena_strndup(&b->inv->arena, name->u.str, name->n);
	if (out->s == NULL) {
		inv_error(b->inv, b->d, here(b, n), "out of memory");
		return true;
	}
	out->len = name->n;
	out->pos = here(b, n);
	b->srefs[b->nsrefs].name = out->s;
	b->srefs[b->nsrefs].printable = printable;
	b->nsrefs++;
	return true;
}

int secrets_open(const char *path, char *why, size_t len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		snprintf(why, len, "%s",
		         e == ELOOP ? "is a symbolic link (name the file itself)" : strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;

		snprintf(why, len, "%s", strerror(e));
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode))
		snprintf(why, len, "is %s, not a regular file", diag_file_type(st.st_mode));
	/*
	 * Group read is allowed, as for /etc/shadow (0640 root:shadow): root's provctl and a
	 * run_as daemon in the file's group can then both read a root-owned file. No group
	 * write (a member could swap passwords), no bit for others.
	 */
	else if (st.st_mode & 027)
		snprintf(why, len,
		         "is open to other users (mode %04o): it must be mode 0640 or stricter "
		         "(group read at most)",
		         (unsigned)(st.st_mode & 07777));
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		snprintf(why, len,
		         "belongs to uid %u: it must belong to root or to the user loading it "
		         "(uid %u)",
		         (unsigned)st.st_uid, (unsigned)geteuid());
	else if (st.st_size > SECRETS_MAX_BYTES)
		snprintf(why, len, "is larger than %lld KiB", (long long)(SECRETS_MAX_BYTES >> 10));
	else
		return fd;
	close(fd);
	return -EACCES;
}

/* One entry of the secrets file. */
struct entry {
	const char *name;
	const char *value;
	uint32_t len;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int ref_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct secret_ref *)a)->name;
	uintptr_t y = (uintptr_t)((const struct secret_ref *)b)->name;

	return x < y ? -1 : x > y;
}

/*
 * Wipes the parsed tree's scalars (values are secrets) before its arena goes. Depth-first with
 * a stack of its own: the reader bounds the depth (YT_MAX_DEPTH).
 */
static void wipe_tree(const struct ynode *root)
{
	struct {
		const struct ynode *n;
		uint32_t next;
	} stack[YT_MAX_DEPTH + 2];
	int top = 0;

	if (root == NULL)
		return;
	stack[0].n = root;
	stack[0].next = 0;
	while (top >= 0) {
		const struct ynode *n = stack[top].n;
		uint32_t count = n->kind == YN_MAP ? 2 * n->n : n->kind == YN_SEQ ? n->n : 0;

		if (n->kind == YN_SCALAR)
			explicit_bzero((char *)(uintptr_t)n->u.str, n->n);
		if (stack[top].next >= count ||
		    top + 1 >= (int)(sizeof(stack) / sizeof(stack[0]))) {
			top--;
			continue;
		}
		stack[top + 1].n = n->u.items[stack[top].next++];
		stack[top + 1].next = 0;
		top++;
	}
}

struct loaded {
	struct entry *e;
	size_t n;
};

/* Reads the file into l (values in the inventory's arena). Problems go to b->d. */
static int load_file(struct builder *b, struct loaded *l)
{
	struct inventory *inv = b->inv;
	const char *path = inv->secrets_path;
	struct ynode *root = NULL;
	struct arena tmp;
	char why[160], *text;
	struct stat st;
	ssize_t got = 0, r = 0;
	int fd = secrets_open(path, why, sizeof(why)), ret = 0;

	if (fd < 0) {
		inv_error(inv, b->d, inv->secrets_pos, "secrets file %s %s", path, why);
		return 0;
	}
	if (fstat(fd, &st) < 0 || (text = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		inv_error(inv, b->d, inv->secrets_pos, "secrets file %s cannot be read", path);
		return 0;
	}
	while (got < st.st_size && ((r = read(fd, text + got, (size_t)(st.st_size - got))) > 0 ||
	                            (r < 0 && errno == EINTR)))
		got += r > 0 ? r : 0;
	close(fd);
	if (got != st.st_size) {
		inv_error(inv, b->d, inv->secrets_pos, "secrets file %s changed while read", path);
		explicit_bzero(text, (size_t)st.st_size);
		free(text);
		return 0;
	}
	arena_init(&tmp);
	/*
	 * Syntax errors are at the secrets file's own positions; libyaml quotes no content and
	 * YT_QUIET_KEYS keeps a duplicate key (a value, in a file written reversed) unquoted.
	 */
	if (ytree_parse_flags(path, text, (size_t)got, &tmp, b->d, &root, YT_QUIET_KEYS) == -ENOMEM)
		ret = -ENOMEM;
	explicit_bzero(text, (size_t)st.st_size);
	free(text);
	if (root != NULL && root->kind != YN_MAP) {
		diag_add(b->d, path, root->line, root->col,
		         "a secrets file must be a mapping NAME: value");
	} else if (root != NULL && (l->e = calloc(root->n ? root->n : 1, sizeof(*l->e))) == NULL) {
		ret = -ENOMEM;
	} else if (root != NULL) {
		for (uint32_t i = 0; i < root->n; i++) {
			const struct ynode *k = ymap_key(root, i), *v = ymap_val(root, i);

			if (k->n < 1 || k->n > NAME_MAX_LEN || !name_in_alphabet(k->u.str, k->n)) {
				diag_add(b->d, path, k->line, k->col,
				         "a secret's name must be 1 to %d characters from A-Z a-z "
				         "0-9 . _ -",
				         NAME_MAX_LEN);
				continue;
			}
			if (v->kind != YN_SCALAR || ynode_is_null(v)) {
				diag_add(b->d, path, v->line, v->col,
				         "a secret must be a value (write \"\" for an empty one)");
				continue;
			}
			l->e[l->n].name = arena_strndup(&inv->arena, k->u.str, k->n);
			l->e[l->n].value = arena_strndup(&inv->arena, v->u.str, v->n);
			l->e[l->n].len = v->n;
			if (l->e[l->n].name == NULL || l->e[l->n].value == NULL) {
				ret = -ENOMEM;
				break;
			}
			l->n++;
		}
		qsort(l->e, l->n, sizeof(*l->e), entry_cmp);
	}
	wipe_tree(root);
	arena_free(&tmp);
	return ret;
}

struct resolver {
	struct builder *b;
	struct loaded file;
	bool have_file; /* the file was read; otherwise its problem is the only message */
};

static bool printable_ok(const char *s, uint32_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (uint32_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return false;
	return true;
}

/* One slot that accepts a secret: replaces a reference by its value. */
static void resolve_value(struct resolver *rs, struct value *v)
{
	struct builder *b = rs->b;
	struct secret_ref key = { v->s, false }, *ref;
	struct entry want = { v->s, NULL, 0 }, *e;

	if (v->s == NULL)
		return;
	ref = b->nsrefs > 0 ? bsearch(&key, b->srefs, b->nsrefs, sizeof(key), ref_cmp) : NULL;
	if (ref == NULL) { /* an inline value: provctl check may warn about it */
		if (b->inv->inline_secrets++ == 0)
			b->inv->inline_secret_pos = v->pos;
		return;
	}
	if (b->inv->secrets_path == NULL) {
		inv_error(b->inv, b->d, v->pos,
		          "this refers to a secret but the inventory names no 'secrets' file");
	} else if (rs->have_file) {
		e = rs->file.n > 0 ? bsearch(&want, rs->file.e, rs->file.n, sizeof(want), entry_cmp)
		                   : NULL;
		if (e == NULL)
			/* not the NAME: an admin may have written the password itself there */
			inv_error(b->inv, b->d, v->pos, "this secret is not in the secrets file %s",
			          b->inv->secrets_path);
		else if (ref->printable && !printable_ok(e->value, e->len))
			inv_error(
			    b->inv, b->d, v->pos,
			    "this secret must be 1 to 64 characters of printable ASCII without "
			    "spaces here ('xml_password')");
		else {
			v->s = e->value;
			v->len = e->len;
			return;
		}
	}
	v->s = NULL; /* a name is never used as a password */
}

static void resolve_level(struct resolver *rs, struct level *lv)
{
	resolve_value(rs, &lv->settings[SET_ADMIN_PASSWORD]);
	resolve_value(rs, &lv->xml_password);
	for (uint32_t i = 0; i < lv->nlines; i++)
		resolve_value(rs, &lv->lines[i].f[LF_PASSWORD]);
}

int secrets_resolve(struct builder *b)
{
	struct resolver rs = { b, { NULL, 0 }, false };
	size_t before = diag_count(b->d);
	int r = 0;

	if (b->inv->secrets_path != NULL) {
		r = load_file(b, &rs.file);
		rs.have_file = r == 0 && diag_count(b->d) == before;
	}
	if (r == 0) {
		if (b->nsrefs > 0) /* qsort and bsearch take no NULL, even for no element */
			qsort(b->srefs, b->nsrefs, sizeof(*b->srefs), ref_cmp);
		resolve_level(&rs, &b->inv->defaults);
		resolve_level(&rs, &b->inv->generic);
		for (uint32_t i = 0; i < b->nmodels; i++)
			resolve_level(&rs, &b->models[i].level);
		for (uint32_t i = 0; i < b->ngroups; i++)
			resolve_level(&rs, &b->groups[i].level);
		for (uint32_t i = 0; i < b->ndevices; i++)
			resolve_level(&rs, &b->devices[i].level);
	}
	free(rs.file.e);
	return r;
}
