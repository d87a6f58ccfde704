/*
 * test_derive.c - keys derived from a site secret (state/derive.h) and the key_secret file
 * (state/site_secret.h).
 *
 * The expected keys are not our code's output: each comes from OpenSSL's own command line,
 * run by hand with the inputs derive.h documents (secret = bytes 00..1f, salt = "provfs
 * per-device key v1", info = vendor NUL MAC NUL epoch), its output written in lower case
 * without colons:
 *
 *   S=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 *   SALT=$(printf 'provfs per-device key v1' | xxd -p | tr -d '\n')
 *   INFO=$(printf '%s\0%s\0%s' panasonic 0080F0C8C383 1 | xxd -p | tr -d '\n')
 *   openssl kdf -keylen 16 -kdfopt digest:SHA256 -kdfopt hexkey:$S -kdfopt hexsalt:$SALT \
 *       -kdfopt hexinfo:$INFO HKDF
 *   -> 48:2B:68:2B:DC:1B:35:81:71:4B:35:38:35:6E:89:2D
 *
 * and likewise for the other rows (printf '%s\0%s\0%s' VENDOR MAC EPOCH). The
 * fingerprint is
 *
 *   printf 'provfs site secret fingerprint v1' | openssl dgst -sha256 -mac HMAC \
 *       -macopt hexkey:$S
 *   -> 1ffaeab9b5a46d66b5560f2b95da91121c340e7a73996bca69abdc861136d937 (first 16 digits)
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/derive.h"
#include "state/site_secret.h"

#define SECRET_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static const struct {
	const char *vendor;
	uint64_t mac;
	uint32_t epoch;
	const char *key;
} vectors[] = {
	{ "panasonic", 0x0080f0c8c383ULL, 1, "482b682bdc1b3581714b3538356e892d" },
	{ "panasonic", 0x0080f0c8c383ULL, 2, "03427cf73585c677011ed4d726a7f590" },
	{ "yealink", 0x001565a1b2c4ULL, 1, "e11ecd295a48c20d73e369512784cebe" },
	{ "cisco", 0x000e08aabbc2ULL, 7, "22ce7b721630f17dc9202bbe7d02fe6f" },
};

static void test_derive_matches_openssl_kdf(void **state)
{
	uint8_t secret[32];
	char key[KEY_PASS_LEN + 1];

	(void)state;
	assert_int_equal(unhex(SECRET_HEX, secret, sizeof(secret)), 32);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		assert_int_equal(derive_key(secret, sizeof(secret), vectors[i].vendor,
		                            vectors[i].mac, vectors[i].epoch, key),
		                 0);
		assert_string_equal(key, vectors[i].key);
	}
}

static void test_derive_fingerprint_matches_openssl_hmac(void **state)
{
	uint8_t secret[32];
	char fpr[DERIVE_FINGERPRINT_LEN + 1];

	(void)state;
	assert_int_equal(unhex(SECRET_HEX, secret, sizeof(secret)), 32);
	assert_int_equal(derive_fingerprint(secret, sizeof(secret), fpr), 0);
	assert_string_equal(fpr, "1ffaeab9b5a46d66");
}

/* Every input counts; what a key file could not record is refused. */
static void test_derive_inputs(void **state)
{
	uint8_t secret[32];
	char a[KEY_PASS_LEN + 1], b[KEY_PASS_LEN + 1];

	(void)state;
	assert_int_equal(unhex(SECRET_HEX, secret, sizeof(secret)), 32);
	assert_int_equal(derive_key(secret, 32, "panasonic", 0x0080f0c8c383ULL, 1, a), 0);
	/* another MAC, vendor or secret: another key */
	assert_int_equal(derive_key(secret, 32, "panasonic", 0x0080f0c8c384ULL, 1, b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(derive_key(secret, 32, "yealink", 0x0080f0c8c383ULL, 1, b), 0);
	assert_string_not_equal(a, b);
	secret[31] ^= 1;
	assert_int_equal(derive_key(secret, 32, "panasonic", 0x0080f0c8c383ULL, 1, b), 0);
	assert_string_not_equal(a, b);
	secret[31] ^= 1;
	/* the same inputs: the same key */
	assert_int_equal(derive_key(secret, 32, "panasonic", 0x0080f0c8c383ULL, 1, b), 0);
	assert_string_equal(a, b);
	assert_int_equal(derive_key(secret, 32, "panasonic", 0x0080f0c8c383ULL, 0, b), -EINVAL);
	assert_int_equal(derive_key(secret, 32, "", 0x0080f0c8c383ULL, 1, b), -EINVAL);
	assert_int_equal(derive_key(secret, 32, "Panasonic", 0x0080f0c8c383ULL, 1, b), -EINVAL);
	assert_int_equal(derive_key(secret, 32, "a\nb", 0x0080f0c8c383ULL, 1, b), -EINVAL);
	assert_int_equal(derive_key(secret, 32, "sixteen-letters!", 0x0080f0c8c383ULL, 1, b),
	                 -EINVAL);
	assert_int_equal(derive_key(NULL, 0, "panasonic", 0x0080f0c8c383ULL, 1, b), -EINVAL);
	assert_int_equal(derive_key(secret, 32, "abcdefghijklmno", 0x0080f0c8c383ULL, 1, b), 0);
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/provfs-derive-%ld", (long)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir);
}

/* dir/name with text and mode; its path in path[256]. */
static void secret_file(const char *name, const char *text, mode_t mode, char *path)
{
	snprintf(path, 256, "%s/%s", dir, name);
	unlink(path);
	write_file(dir, name, text);
	assert_int_equal(chmod(path, mode), 0);
}

#define GOOD "a site secret of forty-one bytes, not 32!"

/* Refused with a reason that holds want and never a byte of the secret's text. */
static void refused(const char *path, uid_t owner, const char *want)
{
	struct site_secret *s = (struct site_secret *)1;
	char why[256];

	if (site_secret_load(path, owner, &s, why, sizeof(why)) == 0)
		fail_msg("%s: accepted", path);
	assert_null(s);
	if (strstr(why, want) == NULL)
		fail_msg("%s: '%s' does not say '%s'", path, why, want);
	if (strstr(why, "site secret of") != NULL || strstr(why, "forty") != NULL ||
	    strchr(why, '\n') != NULL)
		fail_msg("%s: '%s' quotes the file or is not one line", path, why);
}

static void test_site_secret_file(void **state)
{
	struct site_secret *s;
	char path[256], other[256], why[256], fpr[DERIVE_FINGERPRINT_LEN + 1];

	(void)state;
	secret_file("good", GOOD, 0600, path);
	assert_int_equal(site_secret_load(path, (uid_t)-1, &s, why, sizeof(why)), 0);
	assert_int_equal(s->len, strlen(GOOD));
	assert_memory_equal(s->bytes, GOOD, strlen(GOOD)); /* every byte, as it is */
	assert_int_equal(derive_fingerprint((const uint8_t *)GOOD, strlen(GOOD), fpr), 0);
	assert_string_equal(s->fingerprint, fpr);
	assert_string_equal(s->path, path);
	site_secret_free(s);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(site_secret_load(path, (uid_t)-1, &s, why, sizeof(why)), 0);
	site_secret_free(s);
	/* a trailing newline is part of the secret: another fingerprint */
	secret_file("newline", GOOD "\n", 0600, other);
	assert_int_equal(site_secret_load(other, (uid_t)-1, &s, why, sizeof(why)), 0);
	assert_string_not_equal(s->fingerprint, fpr);
	site_secret_free(s);

	secret_file("open", GOOD, 0644, path);
	refused(path, (uid_t)-1, "mode 0644");
	secret_file("group", GOOD, 0640, path);
	refused(path, (uid_t)-1, "mode 0640");
	secret_file("gw", GOOD, 0620, path);
	refused(path, (uid_t)-1, "must be mode 0600 or 0400");
	secret_file("empty", "", 0600, path);
	refused(path, (uid_t)-1, "is empty");
	refused(path, (uid_t)-1, "head -c 32 /dev/urandom");
	secret_file("short", "0123456789012345678901234567890", 0600, path); /* 31 bytes */
	refused(path, (uid_t)-1, "holds 31 bytes");
	secret_file("exact", "01234567890123456789012345678901", 0600, path); /* 32 */
	assert_int_equal(site_secret_load(path, (uid_t)-1, &s, why, sizeof(why)), 0);
	site_secret_free(s);
	{
		char big[SITE_SECRET_MAX + 2];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		secret_file("big", big, 0600, path);
		refused(path, (uid_t)-1, "larger than");
	}
	snprintf(path, sizeof(path), "%s/missing", dir);
	refused(path, (uid_t)-1, "does not exist");
	/* a FIFO is refused at once, never waited on; a symlink is not followed */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	refused(path, (uid_t)-1, "not a regular file");
	snprintf(path, sizeof(path), "%s/link", dir);
	secret_file("good", GOOD, 0600, other);
	assert_int_equal(symlink(other, path), 0);
	refused(path, (uid_t)-1, "symbolic link");
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	refused(path, (uid_t)-1, "not a regular file");
	/* another user's file: only when that user owns the state directory */
	if (geteuid() == 0) {
		secret_file("theirs", GOOD, 0600, path);
		assert_int_equal(chown(path, 4321, 4321), 0);
		refused(path, (uid_t)-1, "belongs to uid 4321");
		refused(path, 1234, "belongs to uid 4321");
		assert_int_equal(site_secret_load(path, 4321, &s, why, sizeof(why)), 0);
		site_secret_free(s);
	}
	site_secret_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_matches_openssl_kdf),
		cmocka_unit_test(test_derive_fingerprint_matches_openssl_hmac),
		cmocka_unit_test(test_derive_inputs),
		cmocka_unit_test_setup_teardown(test_site_secret_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
