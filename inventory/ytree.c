/*
 * ytree.c - libyaml event loop building a bounded node tree (see ytree.h for the why).
 *
 * One frame per open mapping/sequence collects its children in a growable vector; at the
 * end event the children move into the arena and the node is attached to its parent.
 * The loop stops as soon as a bound is crossed, so a hostile file costs at most a few
 * events past the limit.
 */
#include "inventory/ytree.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

struct frame {
	struct ynode *node;
	struct ynode **kids;
	uint32_t n;
	uint32_t cap;
	char *anchor; /* malloc'd, registered when the collection ends */
};

struct anchor {
	char *name;
	struct ynode *node; /* NULL while its collection is still open */
};

struct loader {
	const char *file;
	const char *data;
	size_t len;
	struct arena *a;
	struct diag *d;
	struct frame stack[YT_MAX_DEPTH + 1];
	int depth;
	struct anchor anchors[YT_MAX_ANCHORS];
	int nanchors;
	uint32_t alias_nodes;
	int documents;
	struct ynode *root;
	int failed;
	bool quiet_keys; /* YT_QUIET_KEYS: a secrets file's keys may be values written reversed */
};

static void fail(struct loader *l, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct loader *l, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(l->d, l->file, line, col, fmt, ap);
	va_end(ap);
	l->failed = 1;
}

static uint32_t sat_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static uint32_t weight_add(uint32_t a, uint32_t b)
{
	uint32_t s = sat_add(a, b);

	return s > YNODE_WEIGHT_MAX ? YNODE_WEIGHT_MAX : s;
}

/* Line and column (1-based) of a byte offset, for reader errors that carry no mark. */
static void offset_pos(const struct loader *l, size_t off, uint32_t *line, uint32_t *col)
{
	uint32_t ln = 1, c = 1;

	for (size_t i = 0; i < off && i < l->len; i++) {
		if (l->data[i] == '\n') {
			ln++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = ln;
	*col = c;
}

static void report_parser_error(struct loader *l, const yaml_parser_t *p)
{
	uint32_t line, col;
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		fail(l, 0, 0, "out of memory while parsing");
		return;
	case YAML_READER_ERROR:
		offset_pos(l, p->problem_offset, &line, &col);
		fail(l, line, col, "not valid UTF-8 text: %s", problem);
		return;
	default:
		break;
	}
	line = (uint32_t)p->problem_mark.line + 1;
	col = (uint32_t)p->problem_mark.column + 1;
	if (p->context != NULL)
		fail(l, line, col, "YAML syntax error: %s (%s that started at %u:%u)", problem,
		     p->context, (unsigned)p->context_mark.line + 1,
		     (unsigned)p->context_mark.column + 1);
	else
		fail(l, line, col, "YAML syntax error: %s", problem);
}

static struct ynode *new_node(struct loader *l, enum ynode_kind kind, const yaml_mark_t *m)
{
	struct ynode *n = arena_alloc_align(l->a, sizeof(*n), alignof(struct ynode));

	if (n == NULL) {
		fail(l, 0, 0, "out of memory");
		return NULL;
	}
	n->kind = (uint8_t)kind;
	n->line = (uint32_t)m->line + 1;
	n->col = (uint32_t)m->column + 1;
	n->weight = 1;
	return n;
}

/* Only untagged nodes and the explicit string tag are accepted. */
static int check_tag(struct loader *l, const yaml_char_t *tag, const yaml_mark_t *m)
{
	if (tag == NULL || strcmp((const char *)tag, YAML_STR_TAG) == 0 ||
	    strcmp((const char *)tag, "!") == 0)
		return 0;
	/* Not quoted: an unquoted password that starts with '!' is read as a tag. */
	fail(l, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
	     "YAML tags are not supported here (a value that starts with '!' must be quoted)");
	return -1;
}

static struct anchor *find_anchor(struct loader *l, const char *name)
{
	for (int i = l->nanchors - 1; i >= 0; i--)
		if (strcmp(l->anchors[i].name, name) == 0)
			return &l->anchors[i];
	return NULL;
}

static int add_anchor(struct loader *l, const yaml_char_t *name, struct ynode *node,
                      const yaml_mark_t *m)
{
	if (l->nanchors == YT_MAX_ANCHORS) {
		fail(l, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
		     "more than %d anchors in one file", YT_MAX_ANCHORS);
		return -1;
	}
	l->anchors[l->nanchors].name = strdup((const char *)name);
	if (l->anchors[l->nanchors].name == NULL) {
		fail(l, 0, 0, "out of memory");
		return -1;
	}
	l->anchors[l->nanchors].node = node;
	l->nanchors++;
	return 0;
}

static int attach(struct loader *l, struct ynode *child, uint32_t weight)
{
	struct frame *f;

	if (l->depth == 0) {
		l->root = child;
		return 0;
	}
	f = &l->stack[l->depth - 1];
	if (f->n == f->cap) {
		uint32_t ncap = f->cap ? f->cap * 2 : 8;
		struct ynode **k;

		if (ncap < f->cap) {
			fail(l, child->line, child->col, "collection too large");
			return -1;
		}
		k = realloc(f->kids, ncap * sizeof(*k));
		if (k == NULL) {
			fail(l, 0, 0, "out of memory");
			return -1;
		}
		f->kids = k;
		f->cap = ncap;
	}
	f->kids[f->n++] = child;
	assert(f->node != NULL); /* every open frame was pushed with its node */
	f->node->weight = weight_add(f->node->weight, weight);
	return 0;
}

static int on_scalar(struct loader *l, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	size_t len = ev->data.scalar.length;
	const char *v = (const char *)ev->data.scalar.value;
	struct ynode *n;

	if (check_tag(l, ev->data.scalar.tag, m) < 0)
		return -1;
	if (len > YT_MAX_SCALAR) {
		fail(l, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
		     "value longer than %d bytes", YT_MAX_SCALAR);
		return -1;
	}
	if (memchr(v, '\0', len) != NULL) {
		fail(l, (uint32_t)m->line + 1, (uint32_t)m->column + 1, "NUL byte in value");
		return -1;
	}
	n = new_node(l, YN_SCALAR, m);
	if (n == NULL)
		return -1;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->n = (uint32_t)len;
	n->u.str = arena_strndup(l->a, v, len);
	if (n->u.str == NULL) {
		fail(l, 0, 0, "out of memory");
		return -1;
	}
	if (ev->data.scalar.anchor != NULL && add_anchor(l, ev->data.scalar.anchor, n, m) < 0)
		return -1;
	return attach(l, n, 1);
}

static int on_alias(struct loader *l, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct anchor *an = find_anchor(l, (const char *)ev->data.alias.anchor);

	if (an == NULL) {
		/* Not quoted: an unquoted password that starts with '*' is read as an alias. */
		fail(l, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
		     "unknown alias (a value that starts with '*' must be quoted)");
		return -1;
	}
	if (an->node == NULL) {
		fail(l, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
		     "this alias refers to a node that contains it");
		return -1;
	}
	l->alias_nodes = sat_add(l->alias_nodes, an->node->weight);
	if (l->alias_nodes > YT_MAX_ALIAS_NODES) {
		fail(l, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
		     "aliases expand to more than %d nodes", YT_MAX_ALIAS_NODES);
		return -1;
	}
	return attach(l, an->node, an->node->weight);
}

static int on_start(struct loader *l, const yaml_event_t *ev, enum ynode_kind kind)
{
	const yaml_mark_t *m = &ev->start_mark;
	const yaml_char_t *tag, *anchor;
	struct frame *f;
	struct ynode *n;

	if (kind == YN_MAP) {
		tag = ev->data.mapping_start.tag;
		anchor = ev->data.mapping_start.anchor;
	} else {
		tag = ev->data.sequence_start.tag;
		anchor = ev->data.sequence_start.anchor;
	}
	if (check_tag(l, tag, m) < 0)
		return -1;
	if (l->depth == YT_MAX_DEPTH) {
		fail(l, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
		     "nesting deeper than %d levels", YT_MAX_DEPTH);
		return -1;
	}
	n = new_node(l, kind, m);
	if (n == NULL)
		return -1;
	f = &l->stack[l->depth++];
	memset(f, 0, sizeof(*f));
	f->node = n;
	if (anchor != NULL) {
		f->anchor = strdup((const char *)anchor);
		if (f->anchor == NULL || add_anchor(l, anchor, NULL, m) < 0) {
			if (f->anchor == NULL)
				fail(l, 0, 0, "out of memory");
			return -1;
		}
	}
	return 0;
}

struct keyref {
	const struct ynode *key;
	uint32_t index;
};

static int keyref_cmp(const void *pa, const void *pb)
{
	const struct keyref *a = pa, *b = pb;
	int c = strcmp(a->key->u.str, b->key->u.str);

	if (c != 0)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

static void report_duplicate(struct loader *l, const struct ynode *first, const struct ynode *dup)
{
	char key[DIAG_KEY_SIZE] = "";

	/* quiet: the position alone, the key may be a value (a secrets file written reversed) */
	diag_add(l->d, l->file, dup->line, dup->col, "duplicate key%s%s%s (first at %u:%u)",
	         l->quiet_keys ? "" : " '", l->quiet_keys ? "" : diag_key(key, dup->u.str),
	         l->quiet_keys ? "" : "'", (unsigned)first->line, (unsigned)first->col);
	l->failed = 1;
}

/* Keys must be scalars and unique. Sorting keeps a 100,000-key mapping O(n log n). */
static int check_map_keys(struct loader *l, struct ynode *map)
{
	uint32_t pairs = map->n;
	struct keyref *refs;

	for (uint32_t i = 0; i < pairs; i++) {
		const struct ynode *k = ymap_key(map, i);

		if (k->kind != YN_SCALAR) {
			fail(l, k->line, k->col, "a mapping key must be a plain value");
			return -1;
		}
	}
	if (pairs < 2)
		return 0;
	refs = malloc(pairs * sizeof(*refs));
	if (refs == NULL) {
		fail(l, 0, 0, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < pairs; i++) {
		refs[i].key = ymap_key(map, i);
		refs[i].index = i;
	}
	qsort(refs, pairs, sizeof(*refs), keyref_cmp);
	/* Equal keys sit in runs ordered by position: report every later copy against the first. */
	for (uint32_t first = 0, i = 1; i < pairs; i++) {
		if (strcmp(refs[first].key->u.str, refs[i].key->u.str) != 0)
			first = i;
		else
			report_duplicate(l, refs[first].key, refs[i].key);
	}
	free(refs);
	return 0;
}

static int on_end(struct loader *l)
{
	struct frame *f = &l->stack[--l->depth];
	struct ynode *n = f->node;
	int r = 0;

	if (n->kind == YN_MAP) {
		/* libyaml guarantees key/value pairs */
		n->n = f->n / 2;
	} else {
		n->n = f->n;
	}
	if (f->n > 0) {
		n->u.items =
		    arena_alloc_align(l->a, f->n * sizeof(*n->u.items), alignof(struct ynode *));
		if (n->u.items == NULL) {
			fail(l, 0, 0, "out of memory");
			r = -1;
		} else {
			memcpy(n->u.items, f->kids, f->n * sizeof(*n->u.items));
		}
	}
	free(f->kids);
	f->kids = NULL;
	if (r == 0 && n->kind == YN_MAP)
		r = check_map_keys(l, n);
	if (f->anchor != NULL) {
		struct anchor *an = find_anchor(l, f->anchor);

		if (an != NULL)
			an->node = n;
		free(f->anchor);
		f->anchor = NULL;
	}
	if (r < 0)
		return r;
	return attach(l, n, n->weight);
}

static int on_event(struct loader *l, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++l->documents > 1) {
			fail(l, (uint32_t)ev->start_mark.line + 1,
			     (uint32_t)ev->start_mark.column + 1,
			     "only one YAML document per file");
			return -1;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(l, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(l, ev);
	case YAML_MAPPING_START_EVENT:
		return on_start(l, ev, YN_MAP);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(l, ev, YN_SEQ);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		return on_end(l);
	default:
		return 0;
	}
}

static void loader_cleanup(struct loader *l)
{
	while (l->depth > 0) {
		struct frame *f = &l->stack[--l->depth];

		free(f->kids);
		free(f->anchor);
	}
	for (int i = 0; i < l->nanchors; i++)
		free(l->anchors[i].name);
}

int ytree_parse(const char *file, const char *data, size_t len, struct arena *a, struct diag *d,
                struct ynode **root)
{
	return ytree_parse_flags(file, data, len, a, d, root, 0);
}

int ytree_parse_flags(const char *file, const char *data, size_t len, struct arena *a,
                      struct diag *d, struct ynode **root, unsigned flags)
{
	struct loader *l;
	yaml_parser_t p;
	yaml_event_t ev;
	int done = 0, r = 0;

	*root = NULL;
	if (len > YT_MAX_FILE) {
		diag_add(d, file, 1, 1, "file larger than %zu MiB", YT_MAX_FILE >> 20);
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->file = file;
	l->data = data;
	l->len = len;
	l->a = a;
	l->d = d;
	l->quiet_keys = (flags & YT_QUIET_KEYS) != 0;
	if (!yaml_parser_initialize(&p)) {
		free(l);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done && !l->failed) {
		if (!yaml_parser_parse(&p, &ev)) {
			report_parser_error(l, &p);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		if (on_event(l, &ev) < 0)
			l->failed = 1;
		yaml_event_delete(&ev);
	}
	if (l->failed)
		r = -EINVAL;
	else
		*root = l->root;
	loader_cleanup(l);
	yaml_parser_delete(&p);
	free(l);
	return r;
}

int ytree_read_file_at(int dir_fd, const char *name, const char *path, char **data, size_t *len,
                       struct diag *d)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, err;

	*data = NULL;
	*len = 0;
	/*
	 * Only a regular file is an inventory file. Its type is known before it is opened (a
	 * FIFO would block the open until a writer comes, a device may act on open), and the
	 * open does not wait either (O_NONBLOCK does nothing to a regular file): a FIFO renamed
	 * over the file between the two is caught by the fstat below.
	 */
	if (fstatat(dir_fd, name, &st, 0) == 0 && !S_ISREG(st.st_mode)) {
		diag_add(d, path, 0, 0, "%s, not a regular file", diag_file_type(st.st_mode));
		return -EINVAL;
	}
	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		diag_add(d, path, 0, 0, "cannot open: %s", strerror(err));
		return -err;
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		diag_add(d, path, 0, 0, "cannot stat: %s", strerror(err));
		close(fd);
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(d, path, 0, 0, "%s, not a regular file", diag_file_type(st.st_mode));
		close(fd);
		return -EINVAL;
	}
	if ((unsigned long long)st.st_size > YT_MAX_FILE) {
		diag_add(d, path, 1, 1, "file larger than %zu MiB", YT_MAX_FILE >> 20);
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	/* Read to EOF, not to st_size: the file may be rewritten while we read it. */
	for (;;) {
		ssize_t n;

		if (got == (size_t)st.st_size + 1) {
			diag_add(d, path, 0, 0, "file changed size while being read");
			free(buf);
			close(fd);
			return -EAGAIN;
		}
		n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			diag_add(d, path, 0, 0, "read error: %s", strerror(err));
			free(buf);
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
}

int ytree_read_file(const char *path, char **data, size_t *len, struct diag *d)
{
	return ytree_read_file_at(AT_FDCWD, path, path, data, len, d);
}

bool ynode_is_null(const struct ynode *n)
{
	if (n == NULL)
		return true;
	if (n->kind != YN_SCALAR || !n->plain)
		return false;
	return n->n == 0 || strcmp(n->u.str, "~") == 0 || strcmp(n->u.str, "null") == 0 ||
	       strcmp(n->u.str, "Null") == 0 || strcmp(n->u.str, "NULL") == 0;
}

bool ynode_scalar_eq(const struct ynode *n, const char *s)
{
	return n != NULL && n->kind == YN_SCALAR && strcmp(n->u.str, s) == 0;
}
