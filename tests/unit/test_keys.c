/*
 * test_keys.c - the Panasonic key store in the state directory (SPEC §2, encrypted
 * provisioning): a new 32-character key per device from the CSPRNG, stored durably before
 * anyone sees it; delivery recorded on disk; rekey; another process's change seen on reload;
 * a damaged file ignored; a delivery of a key that was replaced meanwhile refused.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "fs/keys.h"
#include "fs/state.h"

#define MAC_A 0x0080f0c8c383ULL
#define MAC_B 0x0080f0c8c384ULL

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/provfs-keys-%ld", (long)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir);
}

static void test_keys_new_key_is_stored_before_use(void **state)
{
	struct state st;
	struct keystore *ks;
	const struct key_source *src;
	struct pa_key a, b;
	struct stat sb;
	char text[256], want[256], path[256];

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(keystore_open(&st, &ks), 0);
	src = keystore_source(ks);
	assert_int_equal(src->get(src->ctx, MAC_A, 256, false, &a), -ENOENT);
	assert_int_equal(src->get(src->ctx, MAC_A, 256, true, &a), 0);
	assert_int_equal(strlen(a.pass), 32);
	assert_int_equal(strspn(a.pass, "0123456789abcdef"), 32);
	assert_int_equal(a.bits, 256);
	assert_int_equal(a.state, KEY_PENDING);
	/* on disk, private, in the documented format */
	snprintf(path, sizeof(path), "%s/key-0080F0C8C383", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	read_text_file(dir, "key-0080F0C8C383", text, sizeof(text));
	snprintf(want, sizeof(want), "provfs-key 1\nstate pending\nbits 256\nkey %s\n", a.pass);
	assert_string_equal(text, want);
	/* the same key on every later call; another device gets its own */
	assert_int_equal(src->get(src->ctx, MAC_A, 256, true, &b), 0);
	assert_string_equal(a.pass, b.pass);
	assert_int_equal(src->get(src->ctx, MAC_B, 128, true, &b), 0);
	assert_string_not_equal(a.pass, b.pass);
	assert_int_equal(b.bits, 128);
	/* nothing but the two key files, no temporary file left behind */
	assert_int_equal(count_entries(dir, false), 2);
	assert_int_equal(count_entries(dir, true), 0);
	keystore_free(ks);
	state_close(&st);
}

static void test_keys_delivery_is_durable_and_seen_by_a_new_store(void **state)
{
	struct state st;
	struct keystore *ks, *again;
	struct pa_key a, seen;
	char text[256];

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(keystore_open(&st, &ks), 0);
	assert_int_equal(keystore_lookup(ks, MAC_A, &a), 0);
	assert_int_equal(keystore_deliver(ks, MAC_A, a.pass), 0);
	read_text_file(dir, "key-0080F0C8C383", text, sizeof(text));
	assert_non_null(strstr(text, "state delivered\n"));
	assert_non_null(strstr(text, a.pass));
	/* a restarted daemon (kill -9, reboot) finds it delivered, with the same key */
	assert_int_equal(keystore_open(&st, &again), 0);
	assert_int_equal(keystore_lookup(again, MAC_A, &seen), 0);
	assert_int_equal(seen.state, KEY_DELIVERED);
	assert_string_equal(seen.pass, a.pass);
	assert_int_equal(keystore_deliver(again, MAC_A, a.pass), 0); /* twice: no change */
	assert_int_equal(keystore_deliver(again, 0x0080f0000099ULL, a.pass), -ENOENT);
	keystore_free(again);
	keystore_free(ks);
	state_close(&st);
}

static void test_keys_rekey_from_another_process_is_seen_on_reload(void **state)
{
	struct state st;
	struct keystore *daemon, *ctl;
	struct pa_key before, after;
	bool changed = true;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(keystore_open(&st, &daemon), 0);
	assert_int_equal(keystore_open(&st, &ctl), 0);
	assert_int_equal(keystore_reload(daemon, &changed), 0);
	assert_false(changed);
	assert_int_equal(keystore_lookup(daemon, MAC_A, &before), 0);
	assert_int_equal(keystore_rekey(ctl, MAC_A, 192), 0);
	/* a reader of the old key finishing now must not mark the new key delivered */
	assert_int_equal(keystore_deliver(daemon, MAC_A, before.pass), -ESTALE);
	assert_int_equal(keystore_reload(daemon, &changed), 0);
	assert_true(changed);
	assert_int_equal(keystore_lookup(daemon, MAC_A, &after), 0);
	assert_string_not_equal(after.pass, before.pass);
	assert_int_equal(after.state, KEY_PENDING);
	assert_int_equal(after.bits, 192);
	assert_int_equal(keystore_deliver(daemon, MAC_A, before.pass), -ESTALE);
	assert_int_equal(keystore_deliver(daemon, MAC_A, after.pass), 0);
	keystore_free(ctl);
	keystore_free(daemon);
	state_close(&st);
}

static void test_keys_damaged_file_is_ignored(void **state)
{
	static const char *const bad[] = {
		"garbage",
		"provfs-key 2\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdef\n",
		"provfs-key 1\nstate lost\nbits 256\nkey 0123456789abcdef0123456789abcdef\n",
		"provfs-key 1\nstate pending\nbits 100\nkey 0123456789abcdef0123456789abcdef\n",
		"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcde\n",
		"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdeG\n",
		"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdef\nx",
		"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdef",
	};
	struct state st;
	struct keystore *ks;
	struct pa_key k;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(dir, "key-0080F0000001", bad[i]);
		assert_int_equal(keystore_open(&st, &ks), 0);
		if (keystore_lookup(ks, 0x0080f0000001ULL, &k) != -ENOENT)
			fail_msg("damaged key file %zu was accepted", i);
		keystore_free(ks);
	}
	/* the well-formed one is read, which shows the cases above fail for their flaw */
	write_file(dir, "key-0080F0000001",
	           "provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdef\n");
	write_file(dir, "key-nonsense", "provfs-key 1\n");
	assert_int_equal(keystore_open(&st, &ks), 0);
	assert_int_equal(keystore_lookup(ks, 0x0080f0000001ULL, &k), 0);
	assert_string_equal(k.pass, "0123456789abcdef0123456789abcdef");
	keystore_free(ks);
	state_close(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_new_key_is_stored_before_use),
		cmocka_unit_test(test_keys_delivery_is_durable_and_seen_by_a_new_store),
		cmocka_unit_test(test_keys_rekey_from_another_process_is_seen_on_reload),
		cmocka_unit_test(test_keys_damaged_file_is_ignored),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
