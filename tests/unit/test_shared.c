/*
 * test_shared.c - the shared backend's record (state/shared.h): the printer writes exactly the
 * documented line, the parser takes it back and refuses every other shape (a bad record is
 * reported, never applied); and the apply rule (state/keys.h, keystore_apply): a newer epoch,
 * or the same epoch further along (pending < served < delivered), changes the key file;
 * nothing older or equal ever does, and the key itself is never in a record or a file.
 */
#include "testutil.h"

#include <unistd.h>

#include "state/derive.h"
#include "state/keys.h"
#include "state/shared.h"
#include "state/site_secret.h"
#include "state/state.h"

#define MAC_A 0x0080f0c8c383ULL

static struct dev_key rec_of(uint32_t epoch, enum key_state st, const char *proof)
{
	struct dev_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.vendor, sizeof(k.vendor), "panasonic");
	k.bits = 256;
	k.epoch = epoch;
	k.state = st;
	k.since = 1796000000;
	if (proof != NULL)
		snprintf(k.proof, sizeof(k.proof), "%s", proof);
	return k;
}

static void test_shared_record_round_trip(void **state)
{
	struct dev_key k = rec_of(3, KEY_DELIVERED, "Config0080F0C8C383.enc"), back;
	char line[SHARED_REC_MAX];
	int n;

	(void)state;
	n = shared_rec_format(&k, line, sizeof(line));
	assert_string_equal(line,
	                    "provfs-shared 1 vendor panasonic bits 256 epoch 3 state delivered "
	                    "proof Config0080F0C8C383.enc since 1796000000");
	assert_int_equal(n, (int)strlen(line));
	assert_int_equal(shared_rec_parse(line, (size_t)n, &back), 0);
	assert_string_equal(back.vendor, "panasonic");
	assert_int_equal(back.bits, 256);
	assert_int_equal(back.epoch, 3);
	assert_int_equal(back.state, KEY_DELIVERED);
	assert_string_equal(back.proof, "Config0080F0C8C383.enc");
	assert_int_equal(back.since, 1796000000);
	assert_string_equal(back.pass, "");
	/* pending and served carry no proof: "-" */
	k = rec_of(1, KEY_SERVED, "ignored.enc");
	n = shared_rec_format(&k, line, sizeof(line));
	assert_string_equal(line, "provfs-shared 1 vendor panasonic bits 256 epoch 1 state served "
	                          "proof - since 1796000000");
	assert_int_equal(shared_rec_parse(line, (size_t)n, &back), 0);
	assert_int_equal(back.state, KEY_SERVED);
	assert_string_equal(back.proof, "");
	/* what is not a record is not printed */
	k = rec_of(0, KEY_PENDING, NULL);
	assert_int_equal(shared_rec_format(&k, line, sizeof(line)), -EINVAL);
	k = rec_of(1, KEY_DELIVERED, NULL);
	assert_int_equal(shared_rec_format(&k, line, sizeof(line)), -EINVAL);
	k = rec_of(1, KEY_NONE, NULL);
	assert_int_equal(shared_rec_format(&k, line, sizeof(line)), -EINVAL);
	k = rec_of(1, KEY_PENDING, NULL);
	k.bits = 100;
	assert_int_equal(shared_rec_format(&k, line, sizeof(line)), -EINVAL);
	k = rec_of(1, KEY_PENDING, NULL);
	assert_int_equal(shared_rec_format(&k, line, 20), -EINVAL);
}

static void test_shared_record_parser_is_strict(void **state)
{
	static const char *const bad[] = {
		"",
		"provfs-shared 2 vendor panasonic bits 256 epoch 1 state pending proof - since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since 5\n",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since 5 ",
		" provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since 5",
		"provfs-shared 1 vendor panasonic  bits 256 epoch 1 state pending proof - since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since 5 x "
		"1",
		"provfs-shared 1 bits 256 vendor panasonic epoch 1 state pending proof - since 5",
		"provfs-shared 1 vendor Panasonic bits 256 epoch 1 state pending proof - since 5",
		"provfs-shared 1 vendor panasonic bits 255 epoch 1 state pending proof - since 5",
		"provfs-shared 1 vendor panasonic bits 0256 epoch 1 state pending proof - since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 0 state pending proof - since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 01 state pending proof - since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch -1 state pending proof - since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 4294967296 state pending proof - "
		"since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state done proof - since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state none proof - since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof x.enc since "
		"5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state delivered proof - since 5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state delivered proof a/b since "
		"5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since -5",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since 05",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since 5x",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since "
		"99999999999999999999",
		"provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending\tproof - since 5",
		"provfs-key 2 vendor panasonic bits 256 epoch 1 state pending proof - since 5",
	};
	const char good[] = "provfs-shared 1 vendor panasonic bits 256 epoch 4294967295 state "
	                    "pending proof - since 0";
	const char nul[] =
	    "provfs-shared 1 vendor panasonic bits 256 epoch 1 state pending proof - since 5\0";
	struct dev_key k;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k.epoch = 7;
		assert_int_equal(shared_rec_parse(bad[i], strlen(bad[i]), &k), -EBADMSG);
		assert_int_equal(k.epoch, 0); /* nothing of a bad record is kept */
	}
	assert_int_equal(shared_rec_parse(nul, sizeof(nul), &k), -EBADMSG);
	assert_int_equal(shared_rec_parse(good, strlen(good), &k), 0);
	assert_int_equal(k.epoch, UINT32_MAX);
	assert_int_equal(k.since, 0);
}

static void test_shared_newer_rule(void **state)
{
	struct dev_key none, p1 = rec_of(1, KEY_PENDING, NULL), s1 = rec_of(1, KEY_SERVED, NULL),
	                     d1 = rec_of(1, KEY_DELIVERED, "x.enc"),
	                     p2 = rec_of(2, KEY_PENDING, NULL);

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_true(key_rec_newer(&none, &p1));
	assert_true(key_rec_newer(&p1, &s1));
	assert_true(key_rec_newer(&s1, &d1));
	assert_true(key_rec_newer(&p1, &d1));
	assert_true(key_rec_newer(&d1, &p2)); /* a rekey after delivery */
	assert_false(key_rec_newer(&p1, &p1));
	assert_false(key_rec_newer(&d1, &d1));
	assert_false(key_rec_newer(&s1, &p1)); /* never backwards */
	assert_false(key_rec_newer(&d1, &s1));
	assert_false(key_rec_newer(&p2, &d1)); /* an older epoch, however far along */
}

static char dir[64];
static uint8_t secret_bytes[32];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/provfs-shared-%ld", (long)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir);
}

static void test_shared_apply(void **state)
{
	struct dev_key got, was, p1 = rec_of(1, KEY_PENDING, NULL),
	                         s1 = rec_of(1, KEY_SERVED, NULL),
	                         d1 = rec_of(1, KEY_DELIVERED, "Config0080F0C8C383.enc"),
	                         p2 = rec_of(2, KEY_PENDING, NULL), bad = p1;
	char text[512], key1[KEY_PASS_LEN + 1], key2[KEY_PASS_LEN + 1];
	struct site_secret sec;
	struct keystore *ks, *plain;
	struct state st;

	(void)state;
	memset(&sec, 0, sizeof(sec));
	for (int i = 0; i < 32; i++)
		secret_bytes[i] = (uint8_t)i;
	sec.path = (char *)"/etc/provfs/key_secret";
	sec.bytes = secret_bytes;
	sec.len = 32;
	assert_int_equal(derive_fingerprint(secret_bytes, 32, sec.fingerprint), 0);
	assert_int_equal(derive_key(secret_bytes, 32, "panasonic", MAC_A, 1, key1), 0);
	assert_int_equal(derive_key(secret_bytes, 32, "panasonic", MAC_A, 2, key2), 0);
	assert_int_equal(state_open(dir, &st), 0);
	/* without a secret nothing is applied: the key could not be derived */
	assert_int_equal(keystore_open(&st, NULL, &plain), 0);
	assert_int_equal(keystore_apply(plain, MAC_A, &s1, NULL), -ENOKEY);
	keystore_free(plain);
	assert_int_equal(keystore_open_derived(&st, NULL, &sec, &ks), 0);
	/* not a derived record */
	bad.epoch = 0;
	assert_int_equal(keystore_apply(ks, MAC_A, &bad, NULL), -EINVAL);
	assert_int_equal(keystore_lookup(ks, MAC_A, &got), -ENOENT);
	/* served in epoch 1: a device without a file gets one, the key derived */
	assert_int_equal(keystore_apply(ks, MAC_A, &s1, &was), 1);
	assert_int_equal(was.state, KEY_NONE);
	assert_int_equal(keystore_lookup(ks, MAC_A, &got), 0);
	assert_int_equal(got.state, KEY_SERVED);
	assert_string_equal(got.pass, key1);
	read_text_file(dir, "key-0080F0C8C383", text, sizeof(text));
	assert_null(strstr(text, key1)); /* the file holds no key */
	assert_non_null(strstr(text, "state served\n"));
	/* older or equal: nothing changes */
	assert_int_equal(keystore_apply(ks, MAC_A, &p1, NULL), 0);
	assert_int_equal(keystore_apply(ks, MAC_A, &s1, NULL), 0);
	assert_int_equal(keystore_lookup(ks, MAC_A, &got), 0);
	assert_int_equal(got.state, KEY_SERVED);
	/* delivered, with its proof, on disk */
	assert_int_equal(keystore_apply(ks, MAC_A, &d1, &was), 1);
	assert_int_equal(was.state, KEY_SERVED);
	read_text_file(dir, "key-0080F0C8C383", text, sizeof(text));
	assert_non_null(strstr(text, "state delivered\n"));
	assert_non_null(strstr(text, "proof Config0080F0C8C383.enc\n"));
	assert_int_equal(keystore_apply(ks, MAC_A, &s1, NULL), 0);
	assert_int_equal(keystore_apply(ks, MAC_A, &d1, NULL), 0); /* never delivered twice */
	/* the next epoch: the next key, pending again */
	assert_int_equal(keystore_apply(ks, MAC_A, &p2, &was), 1);
	assert_int_equal(was.epoch, 1);
	assert_int_equal(was.state, KEY_DELIVERED);
	assert_string_equal(was.pass, ""); /* the old key is not handed out */
	assert_int_equal(keystore_lookup(ks, MAC_A, &got), 0);
	assert_int_equal(got.epoch, 2);
	assert_int_equal(got.state, KEY_PENDING);
	assert_string_equal(got.pass, key2);
	assert_int_equal(keystore_apply(ks, MAC_A, &d1, NULL), 0); /* the old epoch's delivery */
	keystore_free(ks);
	/* another store on the directory (a restart) reads what was applied */
	assert_int_equal(keystore_open_derived(&st, NULL, &sec, &ks), 0);
	assert_int_equal(keystore_lookup(ks, MAC_A, &got), 0);
	assert_int_equal(got.epoch, 2);
	assert_string_equal(got.pass, key2);
	keystore_free(ks);
	state_close(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_record_round_trip),
		cmocka_unit_test(test_shared_record_parser_is_strict),
		cmocka_unit_test(test_shared_newer_rule),
		cmocka_unit_test_setup_teardown(test_shared_apply, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
