/*
 * fuzz_names.c - libFuzzer target: any bytes as the name a phone asks for.
 *
 * One fixed tree, loaded once from tests/fuzz/corpus/inventory/both-vendors.yaml (both vendors,
 * prefix/postfix pairs, binary files, firmware in waves, Panasonic keys in every state). The
 * input, NUL-terminated (a name stops at its first NUL, as a path component does), goes to
 * file_resolve, which must answer 0 or -ENOENT and nothing else: -ENOENT for the empty name,
 * a name longer than FILE_NAME_MAX bytes or one with a '/'. A name that resolves names a file
 * that exists, whose inode leads back to it (file_from_ino) and whose canonical name
 * (file_name) resolves to it again (fuzz_check_ref in fuzz.h). file_unknown_device (the
 * audit's test for an unknown MAC, asked after -ENOENT) sees every input too, and is false for
 * a name file_resolve refuses by its length or alphabet. (It may be true for a name that
 * resolves: "xcfgaaaaaaaaaaaa...cfggxp2170.xml" is a generic file under a prefix that has the
 * shape of a device name; the mount asks it only after -ENOENT.) Every name the tree lists is
 * checked like a resolved one once at start-up.
 *
 * Built by `make fuzz-build` into build-fuzz/; run by `make check` (briefly) and `make fuzz`.
 */
#include "fuzz.h"

#include "inventory/diag.h"

#ifndef FUZZ_SOURCE_DIR /* set by the Makefile: the absolute path of tests/fuzz */
#define FUZZ_SOURCE_DIR "tests/fuzz"
#endif
#define NAMES_INVENTORY FUZZ_SOURCE_DIR "/corpus/inventory/both-vendors.yaml"
#define MAX_YAML        (64 * 1024)

static struct tree *tree;
static size_t listed;

static int check_listed(void *ctx, const struct file_ref *ref, const char *name)
{
	struct file_ref got;

	(void)ctx;
	FUZZ_ASSERT(file_resolve(tree, name, &got) == 0);
	FUZZ_ASSERT(fuzz_same_file(&got, ref));
	fuzz_check_ref(tree, name, &got);
	listed++;
	return 0;
}

static void fuzz_tree_free(void)
{
	tree_free(tree);
	tree = NULL;
}

/* Loads the tree once, its firmware_dir relative to the temporary directory. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char yaml[MAX_YAML];
	struct diag d;
	size_t len;
	FILE *f;

	fuzz_artifacts_here(argc, argv);
	f = fopen(NAMES_INVENTORY, "rb");
	if (f == NULL) {
		perror(NAMES_INVENTORY);
		exit(1);
	}
	len = fread(yaml, 1, sizeof(yaml), f);
	fclose(f);
	fuzz_workdir();
	diag_init(&d);
	fuzz_enter();
	if (tree_load_buffer(NAMES_INVENTORY, yaml, len, &fuzz_keys, &tree, &d) < 0) {
		diag_print(&d, stderr);
		exit(1);
	}
	fuzz_leave();
	diag_free(&d);
	FUZZ_ASSERT(file_foreach(tree, true, check_listed, NULL) == 0);
	FUZZ_ASSERT(listed > 40); /* the tree is the one this target was written for */
	atexit(fuzz_tree_free);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct file_ref ref;
	char *name = malloc(size + 1); /* exactly the input and its NUL: ASan sees any overread */
	bool unknown;
	size_t len;
	int r;

	if (name == NULL)
		return 0;
	if (size > 0)
		memcpy(name, data, size);
	name[size] = '\0';
	len = strlen(name);
	r = file_resolve(tree, name, &ref);
	unknown = file_unknown_device(tree, name);
	FUZZ_ASSERT(r == 0 || r == -ENOENT);
	if (len == 0 || len > FILE_NAME_MAX || strchr(name, '/') != NULL)
		FUZZ_ASSERT(r == -ENOENT && !unknown);
	if (r == 0)
		fuzz_check_ref(tree, name, &ref);
	else
		FUZZ_ASSERT(ref.vendor == NULL && ref.kind == 0);
	free(name);
	return 0;
}
