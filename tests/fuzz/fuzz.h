/*
 * fuzz.h - what the libFuzzer targets (tests/fuzz/fuzz_*.c) share; header-only, like
 * tests/unit/testutil.h, since each target is one program.
 *
 *   FUZZ_ASSERT      a property that must hold: abort(), so libFuzzer saves the input
 *   fuzz_keys        Panasonic keys in memory, the state chosen by the MAC, so that every
 *                    encrypted file renders and both key-file states occur
 *   fuzz_workdir()   a temporary directory with a small firmware tree, removed at exit;
 *                    between fuzz_enter() and fuzz_leave() it is the working directory, so
 *                    that an inventory's relative firmware_dir finds these files (and nothing
 *                    else of the machine's), while the paths libFuzzer is given stay relative
 *                    to where it was started
 *   fuzz_artifacts_here()  crash files go to the starting directory unless -artifact_prefix
 *                    says otherwise (not to the temporary one the crash happened in)
 *   fuzz_check_ref() the promises of files.h about one name that resolves
 */
#ifndef PROVFS_FUZZ_H
#define PROVFS_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/files.h"
#include "backend/keys.h"
#include "backend/tree.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                                             \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* ---- keys: MAC % 3 gives none (made on demand), pending or delivered ---------------------- */

static inline int fuzz_key_get(void *ctx, uint64_t mac, const char *vendor, unsigned bits,
                               bool create, struct dev_key *out)
{
	enum key_state st = (enum key_state)(mac % 3);

	(void)ctx;
	(void)vendor;
	if (st == KEY_NONE && !create)
		return -ENOENT;
	snprintf(out->pass, sizeof(out->pass), "%016llx%016llx", (unsigned long long)mac,
	         (unsigned long long)~mac);
	out->bits = bits;
	out->state = st == KEY_NONE ? KEY_PENDING : st;
	return 0;
}

static const struct key_source fuzz_keys = { fuzz_key_get, NULL };

/* ---- a working directory with firmware/grandstream/<version>/<file> ------------------------ */

/* Versions the seed inventories use (tests/data, tests/fuzz/corpus/inventory). */
static const char *const fuzz_fw_files[] = {
	"firmware/grandstream/1.0/gxp2170fw.bin",
	"firmware/grandstream/2.0/gxp2170fw.bin",
	"firmware/grandstream/1.0.7.3/gxp1600fw.bin",
	"firmware/grandstream/1.0.11.3/gxp2170fw.bin",
	"firmware/grandstream/1.0.11.5/gxp2170fw.bin",
	"firmware/grandstream/1.0.11.5/gxp1600fw.bin",
};
#define FUZZ_NFW (sizeof(fuzz_fw_files) / sizeof(fuzz_fw_files[0]))

static char fuzz_dir[256];
static int fuzz_home = -1; /* the starting working directory */

/* Removes what fuzz_workdir made: the files, then each directory (deepest first). */
static inline void fuzz_workdir_remove(void)
{
	char path[512];

	if (fuzz_dir[0] == '\0')
		return;
	for (size_t i = 0; i < FUZZ_NFW; i++) {
		char *slash;

		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, fuzz_fw_files[i]);
		unlink(path);
		while ((slash = strrchr(path, '/')) != NULL &&
		       (size_t)(slash - path) > strlen(fuzz_dir)) {
			*slash = '\0';
			rmdir(path); /* fails while another version still holds files: fine */
		}
	}
	rmdir(fuzz_dir);
	fuzz_dir[0] = '\0';
}

/* mkdir -p of the directories above path. */
static inline int fuzz_mkdirs(const char *path)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = strchr(dir + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* Makes the directory and its firmware tree. Exits the program if it cannot. */
static inline void fuzz_workdir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/provfs-fuzz.XXXXXX",
	         tmp != NULL && strlen(tmp) < 200 ? tmp : "/tmp");
	fuzz_home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fuzz_home < 0 || mkdtemp(fuzz_dir) == NULL) {
		perror("fuzz: temporary directory");
		exit(1);
	}
	atexit(fuzz_workdir_remove);
	for (size_t i = 0; i < FUZZ_NFW; i++) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, fuzz_fw_files[i]);
		if (fuzz_mkdirs(path) < 0 || (f = fopen(path, "w")) == NULL) {
			perror(path);
			exit(1);
		}
		fprintf(f, "firmware %zu\n", i);
		fclose(f);
	}
}

static inline void fuzz_enter(void)
{
	FUZZ_ASSERT(chdir(fuzz_dir) == 0);
}

static inline void fuzz_leave(void)
{
	FUZZ_ASSERT(fchdir(fuzz_home) == 0);
}

/* From LLVMFuzzerInitialize, which may change the arguments libFuzzer parses after it. */
static inline void fuzz_artifacts_here(int *argc, char ***argv)
{
	static const char opt[] = "-artifact_prefix=";
	static char arg[PATH_MAX + sizeof(opt) + 1];
	static char *args[64];
	char cwd[PATH_MAX];

	for (int i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], opt, sizeof(opt) - 1) == 0)
			return;
	if (*argc + 2 > (int)(sizeof(args) / sizeof(args[0])) || getcwd(cwd, sizeof(cwd)) == NULL)
		return;
	snprintf(arg, sizeof(arg), "%s%s/", opt, cwd);
	memcpy(args, *argv, (size_t)*argc * sizeof(args[0]));
	args[*argc] = arg;
	args[*argc + 1] = NULL;
	*argc += 1;
	*argv = args;
}

/* ---- the promises of files.h about a name that resolves ------------------------------------ */

static inline bool fuzz_same_file(const struct file_ref *a, const struct file_ref *b)
{
	return a->vendor == b->vendor && a->kind == b->kind && a->dev == b->dev &&
	       a->model == b->model && a->fw == b->fw;
}

/*
 * ref is what `name` resolved to (0). It exists, its inode leads back to it, and its
 * canonical name resolves to the same file.
 */
static inline void fuzz_check_ref(const struct tree *t, const char *name,
                                  const struct file_ref *ref)
{
	char canon[FILE_NAME_MAX + 1];
	struct file_ref back;
	uint64_t ino = file_ino(t, ref);
	int n;

	FUZZ_ASSERT(strlen(name) <= FILE_NAME_MAX);
	FUZZ_ASSERT(strchr(name, '/') == NULL);
	FUZZ_ASSERT(ref->vendor != NULL && ref->kind > 0 && ref->kind < ref->vendor->nkinds);
	FUZZ_ASSERT(file_exists(t, ref));
	FUZZ_ASSERT(ino != FILE_INO_ROOT && ino != 0);
	FUZZ_ASSERT(file_from_ino(t, ino, &back) == 0);
	FUZZ_ASSERT(fuzz_same_file(&back, ref));
	FUZZ_ASSERT(file_ino(t, &back) == ino);
	n = file_name(ref, canon, sizeof(canon));
	FUZZ_ASSERT(n > 0 && (size_t)n == strlen(canon));
	FUZZ_ASSERT(file_resolve(t, canon, &back) == 0);
	FUZZ_ASSERT(fuzz_same_file(&back, ref));
}

#endif
