/*
 * fuzz_inventory.c - libFuzzer target: any bytes as one inventory file.
 *
 * The bytes go through tree_load_buffer, the same checks as `provctl check` and every mount
 * and reload. A load that fails must say why (at least one diagnostic). A tree that loads
 * must be fit to serve: every name file_foreach lists resolves to the file it was listed
 * for, with a consistent inode, and the first MAX_FILES distinct files render, both as the
 * phone reads them (encrypted where asked) and plain. Keys come from memory (fuzz.h), so
 * Panasonic encrypted files render too; firmware_dir is relative to a temporary directory
 * with a small firmware tree.
 *
 * Built by `make fuzz-build` into build-fuzz/; run by `make check` (briefly) and `make fuzz`.
 */
#include "fuzz.h"

#include "inventory/diag.h"

#define MAX_FILES 32 /* distinct files rendered per input: bounds the time of one run */

struct listing {
	const struct tree *t;
	uint64_t ino[MAX_FILES];
	struct file_ref ref[MAX_FILES];
	size_t n;
};

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_artifacts_here(argc, argv);
	devnull = fopen("/dev/null", "w");
	if (devnull == NULL) {
		perror("/dev/null");
		exit(1);
	}
	fuzz_workdir();
	return 0;
}

/* Every listed name: resolves to this very file. The first MAX_FILES files are kept. */
static int visit(void *ctx, const struct file_ref *ref, const char *name)
{
	struct listing *l = ctx;
	struct file_ref got;
	uint64_t ino = file_ino(l->t, ref);

	FUZZ_ASSERT(file_resolve(l->t, name, &got) == 0);
	FUZZ_ASSERT(fuzz_same_file(&got, ref));
	fuzz_check_ref(l->t, name, &got);
	for (size_t i = 0; i < l->n; i++)
		if (l->ino[i] == ino)
			return 0;
	if (l->n < MAX_FILES) {
		l->ino[l->n] = ino;
		l->ref[l->n] = *ref;
		l->n++;
	}
	return 0;
}

static void render(const struct tree *t, const struct file_ref *ref, bool plain)
{
	struct buf out;
	int r;

	buf_init(&out);
	r = file_render(t, ref, plain, &out);
	FUZZ_ASSERT(r == 0 || r == -ENOMEM);
	FUZZ_ASSERT(r != 0 || buf_status(&out) == 0);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* tree_load_buffer reads the file `name` when the buffer is NULL: never let it */
	const char *yaml = data != NULL ? (const char *)data : "";
	struct listing l = { .n = 0 };
	struct tree *t = NULL;
	struct diag d;
	int r;

	diag_init(&d);
	fuzz_enter();
	r = tree_load_buffer("fuzz.yaml", yaml, size, &fuzz_keys, &t, &d);
	diag_print(&d, devnull);
	if (r < 0) {
		FUZZ_ASSERT(t == NULL);
		FUZZ_ASSERT(r == -ENOMEM || diag_count(&d) > 0);
		diag_free(&d);
		fuzz_leave();
		return 0;
	}
	FUZZ_ASSERT(t != NULL);
	l.t = t;
	FUZZ_ASSERT(file_foreach(t, true, visit, &l) == 0);
	for (size_t i = 0; i < l.n; i++) {
		if (file_is_passthrough(&l.ref[i])) {
			int fd = file_open_source(&l.ref[i]);

			if (fd >= 0)
				close(fd);
			continue;
		}
		render(t, &l.ref[i], false);
		render(t, &l.ref[i], true);
	}
	tree_free(t);
	diag_free(&d);
	fuzz_leave();
	return 0;
}
