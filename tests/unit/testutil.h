/*
 * testutil.h - helpers shared by the cmocka unit tests (header-only: each test is one
 * program). Vectors are read from $PROVFS_VECTORS (default ../shared/vectors, relative to
 * the repository root, where `make check` runs).
 */
#ifndef PROVFS_TESTUTIL_H
#define PROVFS_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/tree.h"
#include "inventory/diag.h"
#include "inventory/inventory.h"

static inline const char *vectors_dir(void)
{
	const char *v = getenv("PROVFS_VECTORS");

	return v != NULL ? v : "../shared/vectors";
}

/* Reads a whole file (vector) into malloc'd memory; fails the test if it cannot. */
static inline uint8_t *read_vector(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	uint8_t *p;
	long n;

	snprintf(path, sizeof(path), "%s/%s", vectors_dir(), rel);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open vector %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Writes text to dir/name (a file a test needs on disk); fails the test if it cannot. */
static inline void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Reads dir/name as text into out (at most len - 1 bytes); fails the test if it cannot. */
static inline void read_text_file(const char *dir, const char *name, char *out, size_t len)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* Entries of a directory: visible ones, or hidden ones (temporary files). */
static inline int count_entries(const char *path, bool hidden_ones)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n += (e->d_name[0] == '.') == hidden_ones;
	}
	closedir(d);
	return n;
}

/* Removes a test's directory and everything in it (a teardown). Returns 0 or -1. */
static inline int remove_tree(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Decodes a hex string (whitespace ignored) into out; returns the byte count. */
static inline size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

/* Loads and checks YAML text as file "inv.yaml"; NULL (and messages in d) on error. */
static inline struct tree *load_yaml(const char *yaml, struct diag *d)
{
	struct tree *loaded = NULL;

	diag_init(d);
	if (tree_load_buffer("inv.yaml", yaml, strlen(yaml), NULL, &loaded, d) < 0)
		return NULL;
	return loaded;
}

/* Loads YAML that must be valid; prints the errors and fails otherwise. */
static inline struct tree *load_ok(const char *yaml)
{
	struct diag d;
	struct tree *loaded = load_yaml(yaml, &d);

	if (loaded == NULL) {
		diag_print(&d, stderr);
		diag_free(&d);
		fail_msg("inventory expected to be valid");
	}
	diag_free(&d);
	return loaded;
}

/* True when some message of d equals `want` exactly. */
static inline int diag_has(const struct diag *d, const char *want)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->msgs[i], want) == 0)
			return 1;
	return 0;
}

#endif
