/*
 * provctl.c - the administrator's command line over the same library as the mount:
 * check, ls, cat and export show exactly what phones would read (SPEC §1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/buf.h"
#include "backend/files.h"
#include "backend/validate.h"
#include "fs/state.h"
#include "inventory/inventory.h"

#define EXIT_PROBLEM 1
#define EXIT_USAGE   2

static void usage(FILE *out)
{
	fprintf(out, "usage: provctl check INVENTORY\n"
	             "       provctl ls INVENTORY\n"
	             "       provctl cat INVENTORY NAME [--plain] [-s STATE]\n"
	             "       provctl export INVENTORY DIR [-s STATE]\n"
	             "\n"
	             "INVENTORY is a YAML file or a directory of *.yaml files.\n"
	             "check   validate; every problem as FILE:LINE:COL: message (exit 1)\n"
	             "ls      every name the mount serves, sorted\n"
	             "cat     the exact bytes a phone reading NAME gets (--plain: unencrypted)\n"
	             "export  write every file into DIR (a static copy of the tree)\n");
}

/* Loads and validates, printing every problem. */
static struct inventory *load(const char *path)
{
	struct inventory *inv = NULL;
	struct diag d;

	diag_init(&d);
	if (backend_load(path, &inv, &d) < 0) {
		diag_print(&d, stderr);
		if (diag_count(&d) == 0)
			fprintf(stderr, "provctl: %s: cannot load\n", path);
	}
	diag_free(&d);
	return inv;
}

static int cmd_check(const char *path)
{
	struct inventory *inv = load(path);

	if (inv == NULL)
		return EXIT_PROBLEM;
	printf("%s: ok: %u devices, %u models, %u groups\n", path, (unsigned)inv->ndevices,
	       (unsigned)inv->nmodels, (unsigned)inv->ngroups);
	inventory_free(inv);
	return 0;
}

struct name_list {
	char **names;
	size_t n, cap;
	int oom;
};

static int collect_name(void *ctx, const struct file_ref *ref)
{
	struct name_list *l = ctx;
	char name[FILE_NAME_MAX + 1];

	if (file_name(ref, name, sizeof(name)) < 0)
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		char **nn = realloc(l->names, ncap * sizeof(*nn));

		if (nn == NULL) {
			l->oom = 1;
			return -ENOMEM;
		}
		l->names = nn;
		l->cap = ncap;
	}
	l->names[l->n] = strdup(name);
	if (l->names[l->n] == NULL) {
		l->oom = 1;
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_names(const struct inventory *inv, struct name_list *l)
{
	memset(l, 0, sizeof(*l));
	file_foreach(inv, true, collect_name, l);
	if (l->oom)
		return -ENOMEM;
	qsort(l->names, l->n, sizeof(*l->names), str_cmp);
	return 0;
}

static void free_names(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

static int cmd_ls(const char *path)
{
	struct inventory *inv = load(path);
	struct name_list l;

	if (inv == NULL)
		return EXIT_PROBLEM;
	if (list_names(inv, &l) < 0) {
		fprintf(stderr, "provctl: out of memory\n");
		inventory_free(inv);
		return EXIT_PROBLEM;
	}
	for (size_t i = 0; i < l.n; i++)
		printf("%s\n", l.names[i]);
	free_names(&l);
	inventory_free(inv);
	return 0;
}

static int render_name(const struct inventory *inv, const char *name, bool plain, struct buf *out)
{
	struct file_ref ref;
	int r = file_resolve(inv, name, &ref);

	if (r < 0)
		return r;
	return file_render(inv, &ref, plain, out);
}

static int cmd_cat(const char *path, const char *name, bool plain)
{
	struct inventory *inv = load(path);
	struct buf out;
	int r;

	if (inv == NULL)
		return EXIT_PROBLEM;
	buf_init(&out);
	r = render_name(inv, name, plain, &out);
	if (r == 0)
		r = write_full(STDOUT_FILENO, out.data, out.len);
	if (r == -ENOENT)
		fprintf(stderr, "provctl: %s: no such file in this inventory\n", name);
	else if (r < 0)
		fprintf(stderr, "provctl: %s: %s\n", name, strerror(-r));
	buf_free(&out);
	inventory_free(inv);
	return r < 0 ? EXIT_PROBLEM : 0;
}

static int cmd_export(const char *path, const char *dir)
{
	struct inventory *inv = load(path);
	struct name_list l;
	struct buf out;
	int dirfd, r = 0;

	if (inv == NULL)
		return EXIT_PROBLEM;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "provctl: %s: %s\n", dir, strerror(errno));
		inventory_free(inv);
		return EXIT_PROBLEM;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || list_names(inv, &l) < 0) {
		fprintf(stderr, "provctl: %s: %s\n", dir, strerror(errno));
		if (dirfd >= 0)
			close(dirfd);
		inventory_free(inv);
		return EXIT_PROBLEM;
	}
	buf_init(&out);
	for (size_t i = 0; i < l.n && r == 0; i++) {
		buf_reset(&out);
		r = render_name(inv, l.names[i], false, &out);
		if (r == 0)
			r = replace_file(dirfd, l.names[i], out.data, out.len, 0444, false);
		if (r < 0)
			fprintf(stderr, "provctl: %s/%s: %s\n", dir, l.names[i], strerror(-r));
	}
	if (r == 0)
		printf("%zu files written to %s\n", l.n, dir);
	buf_free(&out);
	free_names(&l);
	close(dirfd);
	inventory_free(inv);
	return r < 0 ? EXIT_PROBLEM : 0;
}

/* Splits the arguments after the command into positionals and the shared flags. */
struct args {
	const char *pos[3];
	int npos;
	bool plain;
	const char *state;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--plain") == 0) {
			a->plain = true;
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			a->state = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "provctl: unknown option '%s'\n", argv[i]);
			return -1;
		} else if (a->npos < 3) {
			a->pos[a->npos++] = argv[i];
		} else {
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (argc < 3 || parse_args(argc, argv, &a) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "check") == 0 && a.npos == 1 && !a.plain)
		return cmd_check(a.pos[0]);
	if (strcmp(cmd, "ls") == 0 && a.npos == 1 && !a.plain)
		return cmd_ls(a.pos[0]);
	if (strcmp(cmd, "cat") == 0 && a.npos == 2)
		return cmd_cat(a.pos[0], a.pos[1], a.plain);
	if (strcmp(cmd, "export") == 0 && a.npos == 2 && !a.plain)
		return cmd_export(a.pos[0], a.pos[1]);
	usage(stderr);
	return EXIT_USAGE;
}
