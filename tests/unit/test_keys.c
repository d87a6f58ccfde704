/*
 * test_keys.c - the key store in the state directory (SPEC §2, encrypted provisioning;
 * state/keys.h): a new 32-character key per device from the CSPRNG, stored durably before anyone
 * sees it; pending -> served -> delivered, each step on disk, delivery only after the plain
 * file was served and only for the key on disk; rekey; another process's change seen on
 * reload; one key per device whoever creates it (processes racing); a key file that cannot be
 * read never treated as "no key" and never written over; keys derived from a site secret
 * (epoch, fingerprint, rekey, another secret, no secret) and random keys kept under one.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state/derive.h"
#include "state/keys.h"
#include "state/site_secret.h"
#include "state/state.h"

#define MAC_A 0x0080f0c8c383ULL
#define MAC_B 0x0080f0c8c384ULL

#define GOOD_KEY_FILE                                                                              \
	"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdef\n"

static char dir[64];

/* What the store reported through its events. */
static int reports, last_err;
static uint64_t last_mac;

static void on_unreadable(void *ctx, uint64_t mac, int err)
{
	(void)ctx;
	reports++;
	last_mac = mac;
	last_err = err;
}

static const struct keystore_events events = { on_unreadable, NULL };

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/provfs-keys-%ld", (long)getpid());
	reports = 0;
	last_err = 0;
	last_mac = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return remove_tree(dir);
}

/* The whole content of dir/name (at most len - 1 bytes). */
static void slurp(const char *name, char *out, size_t len)
{
	read_text_file(dir, name, out, len);
}

static void test_keys_new_key_is_stored_before_use(void **state)
{
	struct state st;
	struct keystore *ks;
	const struct key_source *src;
	struct dev_key a, b;
	struct stat sb;
	char text[256], want[256], path[256];

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(keystore_open(&st, &events, &ks), 0);
	src = keystore_source(ks);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, false, &a), -ENOENT);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &a), 0);
	assert_int_equal(strlen(a.pass), 32);
	assert_int_equal(strspn(a.pass, "0123456789abcdef"), 32);
	assert_int_equal(a.bits, 256);
	assert_int_equal(a.state, KEY_PENDING);
	/* on disk, private, in the documented format */
	snprintf(path, sizeof(path), "%s/key-0080F0C8C383", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	slurp("key-0080F0C8C383", text, sizeof(text));
	snprintf(want, sizeof(want), "provfs-key 1\nstate pending\nbits 256\nkey %s\nsince %lld\n",
	         a.pass, (long long)a.since);
	assert_string_equal(text, want);
	assert_true(a.since > 1600000000);
	/* the same key on every later call; another device gets its own */
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &b), 0);
	assert_string_equal(a.pass, b.pass);
	assert_int_equal(src->get(src->ctx, MAC_B, "panasonic", 128, true, &b), 0);
	assert_string_not_equal(a.pass, b.pass);
	assert_int_equal(b.bits, 128);
	/* the two key files and the lock file, no temporary file left behind */
	assert_int_equal(count_entries(dir, false), 3);
	assert_int_equal(count_entries(dir, true), 0);
	assert_int_equal(reports, 0);
	keystore_free(ks);
	state_close(&st);
}

/* pending -> (request for an .enc name: nothing) -> served -> delivered, each on disk. */
static void test_keys_delivery_needs_the_plain_file_served_first(void **state)
{
	struct state st;
	struct keystore *ks, *again;
	const struct key_source *src;
	struct dev_key a, seen;
	char text[512];

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(keystore_open(&st, &events, &ks), 0);
	src = keystore_source(ks);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 128, true, &a), 0);
	/* an .enc request before anyone read the plain file proves nothing */
	assert_int_equal(keystore_deliver(ks, MAC_A, "Config0080F0C8C383.enc"), -EAGAIN);
	slurp("key-0080F0C8C383", text, sizeof(text));
	assert_non_null(strstr(text, "state pending\n"));
	/* a reader of another key (replaced meanwhile) serves nothing */
	assert_int_equal(keystore_mark_served(ks, MAC_A, "00000000000000000000000000000000"),
	                 -ESTALE);
	assert_int_equal(keystore_mark_served(ks, MAC_A, a.pass), 0);
	slurp("key-0080F0C8C383", text, sizeof(text));
	assert_non_null(strstr(text, "state served\n"));
	assert_int_equal(keystore_lookup(ks, MAC_A, &seen), 0);
	assert_int_equal(seen.state, KEY_SERVED);
	/* served again: no change */
	assert_int_equal(keystore_mark_served(ks, MAC_A, a.pass), 0);
	/* the phone asks for one of its .enc names: delivered, with the proof */
	assert_int_equal(keystore_deliver(ks, MAC_A, "ConfigKX-UTG300-0080F0C8C383.enc"), 0);
	slurp("key-0080F0C8C383", text, sizeof(text));
	assert_non_null(strstr(text, "state delivered\n"));
	assert_non_null(strstr(text, a.pass));
	assert_non_null(strstr(text, "\nproof ConfigKX-UTG300-0080F0C8C383.enc\n"));
	assert_int_equal(keystore_deliver(ks, MAC_A, "Config0080F0C8C383.enc"), 1); /* again */
	/* a restarted daemon (kill -9, reboot) finds it delivered, with the same key */
	assert_int_equal(keystore_open(&st, &events, &again), 0);
	assert_int_equal(keystore_lookup(again, MAC_A, &seen), 0);
	assert_int_equal(seen.state, KEY_DELIVERED);
	assert_string_equal(seen.pass, a.pass);
	assert_string_equal(seen.proof, "ConfigKX-UTG300-0080F0C8C383.enc");
	assert_true(seen.since >= a.since);
	assert_int_equal(keystore_deliver(again, 0x0080f0000099ULL, "x.enc"), -ENOENT);
	assert_int_equal(keystore_mark_served(again, 0x0080f0000099ULL, a.pass), -ENOENT);
	keystore_free(again);
	keystore_free(ks);
	assert_int_equal(reports, 0);
	state_close(&st);
}

static void test_keys_rekey_from_another_process_is_seen_on_reload(void **state)
{
	struct state st;
	struct keystore *daemon, *ctl;
	const struct key_source *src;
	struct dev_key before, after;
	bool changed = true;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(keystore_open(&st, &events, &daemon), 0);
	assert_int_equal(keystore_open(&st, &events, &ctl), 0);
	src = keystore_source(daemon);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &before), 0);
	assert_int_equal(keystore_reload(ctl, &changed), 0);
	assert_true(changed);
	assert_int_equal(keystore_reload(daemon, &changed), 0);
	assert_false(changed);
	assert_int_equal(keystore_rekey(ctl, MAC_A, "panasonic", 192), 0);
	/* a reader of the old key finishing now must not serve or deliver the new key */
	assert_int_equal(keystore_mark_served(daemon, MAC_A, before.pass), -ESTALE);
	assert_int_equal(keystore_deliver(daemon, MAC_A, "Config0080F0C8C383.enc"), -EAGAIN);
	/* those two read the file: the daemon's memory follows it even before its reload */
	assert_int_equal(keystore_reload(daemon, &changed), 0);
	assert_int_equal(keystore_lookup(daemon, MAC_A, &after), 0);
	assert_string_not_equal(after.pass, before.pass);
	assert_int_equal(after.state, KEY_PENDING);
	assert_int_equal(after.bits, 192);
	assert_int_equal(keystore_mark_served(daemon, MAC_A, after.pass), 0);
	assert_int_equal(keystore_deliver(daemon, MAC_A, "Config0080F0C8C383.enc"), 0);
	/* a rekey after delivery starts over */
	assert_int_equal(keystore_rekey(ctl, MAC_A, "panasonic", 192), 0);
	assert_int_equal(keystore_deliver(daemon, MAC_A, "Config0080F0C8C383.enc"), -EAGAIN);
	keystore_free(ctl);
	keystore_free(daemon);
	state_close(&st);
}

/*
 * One key per device whoever asks: processes that each open the store and create keys for the
 * same devices at the same moment (a mount and provctl cat/export) all get the key on disk.
 */
static void test_keys_one_key_per_device_across_processes(void **state)
{
	enum { PROCS = 6, DEVICES = 40 };
	char got[PROCS][DEVICES][KEY_PASS_LEN + 1];
	int fds[PROCS][2];
	pid_t pids[PROCS];
	struct state st;
	struct keystore *ks;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	for (int p = 0; p < PROCS; p++) {
		assert_int_equal(pipe(fds[p]), 0);
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			struct keystore *mine;
			const struct key_source *src;
			char all[DEVICES][KEY_PASS_LEN + 1];

			memset(all, 0, sizeof(all));
			close(fds[p][0]);
			if (keystore_open(&st, NULL, &mine) < 0)
				_exit(2);
			src = keystore_source(mine);
			for (int d = 0; d < DEVICES; d++) {
				struct dev_key k;

				if (src->get(src->ctx, 0x0080f0000100ULL + (uint64_t)d, "panasonic",
				             256, true, &k) < 0)
					_exit(3);
				memcpy(all[d], k.pass, sizeof(all[d]));
			}
			if (write(fds[p][1], all, sizeof(all)) != (ssize_t)sizeof(all))
				_exit(4);
			_exit(0);
		}
		close(fds[p][1]);
	}
	for (int p = 0; p < PROCS; p++) {
		int status;

		assert_int_equal(read(fds[p][0], got[p], sizeof(got[p])), (ssize_t)sizeof(got[p]));
		close(fds[p][0]);
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(keystore_open(&st, &events, &ks), 0);
	for (int d = 0; d < DEVICES; d++) {
		struct dev_key disk;

		assert_int_equal(keystore_lookup(ks, 0x0080f0000100ULL + (uint64_t)d, &disk), 0);
		for (int p = 0; p < PROCS; p++)
			if (strcmp(got[p][d], disk.pass) != 0)
				fail_msg(
				    "device %d: process %d was handed another key than the one "
				    "on disk",
				    d, p);
	}
	keystore_free(ks);
	state_close(&st);
}

/* A key file that cannot be read: reported once, EIO, never replaced, until restored. */
static void check_unreadable(struct state *st, const char *what)
{
	struct keystore *ks;
	const struct key_source *src;
	struct dev_key k;
	char before[600], after[600];
	int r;

	reports = 0;
	slurp("key-0080F0000001", before, sizeof(before));
	assert_int_equal(keystore_open(st, &events, &ks), 0);
	if (reports != 1 || last_mac != 0x0080f0000001ULL || last_err == 0)
		fail_msg("%s: not reported once (%d reports)", what, reports);
	r = keystore_lookup(ks, 0x0080f0000001ULL, &k);
	if (r == 0 || r == -ENOENT)
		fail_msg("%s: taken for %s", what, r == 0 ? "a key" : "no key");
	src = keystore_source(ks);
	assert_int_equal(src->get(src->ctx, 0x0080f0000001ULL, "panasonic", 256, false, &k), -EIO);
	assert_int_equal(src->get(src->ctx, 0x0080f0000001ULL, "panasonic", 256, true, &k), -EIO);
	assert_int_equal(src->get(src->ctx, 0x0080f0000001ULL, "panasonic", 256, true, &k), -EIO);
	assert_true(keystore_rekey(ks, 0x0080f0000001ULL, "panasonic", 256) < 0);
	assert_true(keystore_deliver(ks, 0x0080f0000001ULL, "x.enc") < 0);
	assert_true(
	    keystore_mark_served(ks, 0x0080f0000001ULL, "0123456789abcdef0123456789abcdef") < 0);
	if (reports != 1)
		fail_msg("%s: reported %d times", what, reports);
	slurp("key-0080F0000001", after, sizeof(after));
	if (strcmp(before, after) != 0)
		fail_msg("%s: the file was written over", what);
	keystore_free(ks);
}

static void test_keys_unreadable_file_is_never_replaced(void **state)
{
	static const char *const bad[] = {
		"garbage",
		"",
		"provfs-key 2\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdef\n",
		"provfs-key 1\nstate lost\nbits 256\nkey 0123456789abcdef0123456789abcdef\n",
		"provfs-key 1\nstate pending\nbits 100\nkey 0123456789abcdef0123456789abcdef\n",
		"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcde\n",
		"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdeG\n",
		"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdef\nx",
		"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123456789abcdef",
		"provfs-key 1\nstate pending\nbits 256\nkey 0123456789abcdef0123", /* truncated */
		"provfs-key 1\nstate delivered\nbits 256\nkey 0123456789abcdef0123456789abcdef\n"
		"since 1\nproof a/b\n",
		/* derived keys (provfs-key 2): every field as strict */
		"provfs-key 2\nstate pending\nbits 256\nvendor panasonic\nepoch 0\n"
		"fingerprint 1ffaeab9b5a46d66\n",
		"provfs-key 2\nstate pending\nbits 256\nvendor panasonic\nepoch 4294967296\n"
		"fingerprint 1ffaeab9b5a46d66\n",
		"provfs-key 2\nstate pending\nbits 256\nvendor panasonic\nepoch 1x\n"
		"fingerprint 1ffaeab9b5a46d66\n",
		"provfs-key 2\nstate pending\nbits 256\nvendor Panasonic\nepoch 1\n"
		"fingerprint 1ffaeab9b5a46d66\n",
		"provfs-key 2\nstate pending\nbits 256\nvendor panasonic\nepoch 1\n"
		"fingerprint 1FFAEAB9B5A46D66\n",
		"provfs-key 2\nstate pending\nbits 256\nvendor panasonic\nepoch 1\n"
		"fingerprint 1ffaeab9b5a46d6\n",
		"provfs-key 2\nstate pending\nbits 256\nvendor panasonic\nepoch 1\n",
		"provfs-key 2\nstate pending\nbits 256\nvendor panasonic\nepoch 1\n"
		"fingerprint 1ffaeab9b5a46d66\nkey 0123456789abcdef0123456789abcdef\n",
		"provfs-key 1\nstate pending\nbits 256\nvendor panasonic\nepoch 1\n"
		"fingerprint 1ffaeab9b5a46d66\n",
	};
	struct state st;
	struct keystore *ks;
	struct dev_key k;
	char path[128];

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "damaged file %zu", i);
		write_file(dir, "key-0080F0000001", bad[i]);
		check_unreadable(&st, what);
	}
	/* a FIFO is refused without blocking; a directory cannot be read */
	snprintf(path, sizeof(path), "%s/key-0080F0000001", dir);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	reports = 0;
	assert_int_equal(keystore_open(&st, &events, &ks), 0);
	assert_int_equal(reports, 1);
	assert_int_equal(
	    keystore_source(ks)->get(ks, 0x0080f0000001ULL, "panasonic", 256, true, &k), -EIO);
	keystore_free(ks);
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	reports = 0;
	assert_int_equal(keystore_open(&st, &events, &ks), 0);
	assert_int_equal(reports, 1);
	assert_int_equal(
	    keystore_source(ks)->get(ks, 0x0080f0000001ULL, "panasonic", 256, true, &k), -EIO);
	/* restored by the administrator: the restored key is served, and that is said once */
	rmdir(path);
	write_file(dir, "key-0080F0000001", GOOD_KEY_FILE);
	assert_int_equal(
	    keystore_source(ks)->get(ks, 0x0080f0000001ULL, "panasonic", 256, true, &k), 0);
	assert_string_equal(k.pass, "0123456789abcdef0123456789abcdef");
	assert_int_equal(reports, 2);
	assert_int_equal(last_err, 0);
	keystore_free(ks);
	/* the well-formed file is read, which shows the cases above fail for their flaw */
	write_file(dir, "key-nonsense", "provfs-key 1\n");
	reports = 0;
	assert_int_equal(keystore_open(&st, &events, &ks), 0);
	assert_int_equal(keystore_lookup(ks, 0x0080f0000001ULL, &k), 0);
	assert_string_equal(k.pass, "0123456789abcdef0123456789abcdef");
	assert_int_equal(reports, 0);
	keystore_free(ks);
	state_close(&st);
}

/*
 * A reload that cannot read a key file (here: out of file descriptors, EMFILE; then damaged)
 * keeps the key provfs last knew, refuses to serve with it (EIO), never writes the file, and
 * says so once; the next good reload serves it again.
 */
static void test_keys_reload_error_keeps_the_last_key(void **state)
{
	struct state st;
	struct keystore *ks;
	const struct key_source *src;
	struct dev_key k, kept;
	struct rlimit old, low;
	char before[600], after[600];
	bool changed;
	int fds[64], nfds = 0, spare;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(keystore_open(&st, &events, &ks), 0);
	src = keystore_source(ks);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &k), 0);
	slurp("key-0080F0C8C383", before, sizeof(before));
	/* exactly one descriptor left: the directory listing gets it, the key file cannot */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	spare = dup(0);
	assert_true(spare >= 0);
	low = old;
	low.rlim_cur = (rlim_t)spare + 2;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (nfds < 64 && (fds[nfds] = dup(0)) >= 0)
		nfds++;
	close(spare);
	reports = 0;
	assert_int_equal(keystore_reload(ks, &changed), 0);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_true(changed);
	assert_int_equal(reports, 1);
	assert_int_equal(last_err, -EMFILE);
	assert_int_equal(keystore_lookup(ks, MAC_A, &kept), -EMFILE);
	assert_string_equal(kept.pass, k.pass); /* kept, not forgotten */
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, false, &kept), -EIO);
	/* damaged on disk now: still the old key in memory, EIO, the file untouched */
	write_file(dir, "key-0080F0C8C383", "provfs-key 1\nstate pen");
	assert_int_equal(keystore_reload(ks, &changed), 0);
	assert_int_equal(reports, 2);
	assert_int_equal(last_err, -EBADMSG);
	assert_int_equal(keystore_lookup(ks, MAC_A, &kept), -EBADMSG);
	assert_string_equal(kept.pass, k.pass);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &kept), -EIO);
	slurp("key-0080F0C8C383", after, sizeof(after));
	assert_string_equal(after, "provfs-key 1\nstate pen");
	/* restored from a backup: the same key again */
	write_file(dir, "key-0080F0C8C383", before);
	assert_int_equal(keystore_reload(ks, &changed), 0);
	assert_int_equal(reports, 3);
	assert_int_equal(last_err, 0);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &kept), 0);
	assert_string_equal(kept.pass, k.pass);
	keystore_free(ks);
	state_close(&st);
}

/*
 * Derived keys. The secret is bytes 00..1f, whose keys and fingerprint test_derive.c takes
 * from OpenSSL's command line (not from our code): for panasonic 0080F0C8C383,
 * epoch 1 gives KEY_E1 and epoch 2 KEY_E2.
 */
#define KEY_E1   "482b682bdc1b3581714b3538356e892d"
#define KEY_E2   "03427cf73585c677011ed4d726a7f590"
#define FPR_TEST "1ffaeab9b5a46d66"

static uint8_t secret_bytes[32], other_bytes[32];

/* The site secret 00..1f (or, other, 01..20) as site_secret_load would give it. */
static struct site_secret test_secret(bool other)
{
	struct site_secret s;
	uint8_t *b = other ? other_bytes : secret_bytes;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(i + (other ? 1 : 0));
	s.path = (char *)(other ? "/etc/provfs/other" : "/etc/provfs/key_secret");
	s.bytes = b;
	s.len = 32;
	assert_int_equal(derive_fingerprint(b, 32, s.fingerprint), 0);
	return s;
}

/* A new device's key: derived (epoch 1), the file without the key; the same on a replica. */
static void test_keys_derived_new_key(void **state)
{
	struct site_secret sec = test_secret(false);
	struct state st, st2;
	struct keystore *ks, *replica;
	const struct key_source *src;
	struct dev_key a, b;
	char text[512], want[512], dir2[80];

	(void)state;
	assert_string_equal(sec.fingerprint, FPR_TEST);
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(keystore_open_derived(&st, &events, &sec, &ks), 0);
	src = keystore_source(ks);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, false, &a), -ENOENT);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &a), 0);
	assert_string_equal(a.pass, KEY_E1);
	assert_int_equal(a.epoch, 1);
	assert_int_equal(a.state, KEY_PENDING);
	slurp("key-0080F0C8C383", text, sizeof(text));
	snprintf(want, sizeof(want),
	         "provfs-key 2\nstate pending\nbits 256\nvendor panasonic\nepoch 1\nfingerprint "
	         "%s\nsince %lld\n",
	         FPR_TEST, (long long)a.since);
	assert_string_equal(text, want);
	/* served and delivered: still derived, on disk and after a reopen */
	assert_int_equal(keystore_mark_served(ks, MAC_A, KEY_E1), 0);
	assert_int_equal(keystore_deliver(ks, MAC_A, "Config0080F0C8C383.enc"), 0);
	keystore_free(ks);
	slurp("key-0080F0C8C383", text, sizeof(text));
	assert_null(strstr(text, KEY_E1));
	assert_non_null(strstr(text, "provfs-key 2\nstate delivered\n"));
	assert_int_equal(keystore_open_derived(&st, &events, &sec, &ks), 0);
	assert_int_equal(keystore_lookup(ks, MAC_A, &b), 0);
	assert_string_equal(b.pass, KEY_E1);
	assert_int_equal(b.state, KEY_DELIVERED);
	assert_string_equal(b.proof, "Config0080F0C8C383.enc");
	/* another state directory with the same secret: the same key, made there on its own */
	snprintf(dir2, sizeof(dir2), "%s-replica", dir);
	assert_int_equal(state_open(dir2, &st2), 0);
	assert_int_equal(keystore_open_derived(&st2, &events, &sec, &replica), 0);
	src = keystore_source(replica);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &b), 0);
	assert_string_equal(b.pass, KEY_E1);
	assert_int_equal(b.state, KEY_PENDING);
	/* another vendor of the same MAC would get another key */
	assert_int_equal(src->get(src->ctx, MAC_B, "yealink", 128, true, &b), 0);
	assert_string_not_equal(b.pass, KEY_E1);
	assert_string_equal(b.vendor, "yealink");
	keystore_free(replica);
	state_close(&st2);
	assert_int_equal(remove_tree(dir2), 0);
	assert_int_equal(reports, 0);
	keystore_free(ks);
	state_close(&st);
}

/* A store with the secret in which MAC_A's key (epoch 1) is made and served. */
static struct keystore *served_derived(const struct state *st, const struct site_secret *sec)
{
	struct keystore *ks;
	const struct key_source *src;
	struct dev_key k;

	assert_int_equal(keystore_open_derived(st, &events, sec, &ks), 0);
	src = keystore_source(ks);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &k), 0);
	assert_int_equal(keystore_mark_served(ks, MAC_A, KEY_E1), 0);
	return ks;
}

/* rekey moves the epoch on: epoch 2's key, pending, on disk; seen by another store on reload. */
static void test_keys_derived_rekey(void **state)
{
	struct site_secret sec = test_secret(false);
	struct state st;
	struct keystore *ks, *daemon;
	const struct key_source *src;
	struct dev_key k;
	char text[512];
	bool changed;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	daemon = served_derived(&st, &sec);
	src = keystore_source(daemon);
	assert_int_equal(keystore_open_derived(&st, &events, &sec, &ks), 0);
	assert_int_equal(keystore_rekey(ks, MAC_A, "panasonic", 256), 0);
	assert_int_equal(keystore_lookup(ks, MAC_A, &k), 0);
	assert_string_equal(k.pass, KEY_E2);
	assert_int_equal(k.epoch, 2);
	assert_int_equal(k.state, KEY_PENDING);
	slurp("key-0080F0C8C383", text, sizeof(text));
	assert_non_null(strstr(text, "state pending\nbits 256\nvendor panasonic\nepoch 2\n"));
	assert_null(strstr(text, KEY_E2));
	assert_int_equal(keystore_reload(daemon, &changed), 0);
	assert_true(changed);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, false, &k), 0);
	assert_string_equal(k.pass, KEY_E2);
	/* the reader of the old plain file proves nothing for the new key */
	assert_int_equal(keystore_mark_served(daemon, MAC_A, KEY_E1), -ESTALE);
	keystore_free(ks);
	keystore_free(daemon);
	state_close(&st);
}

/*
 * The secret file changed: a key derived under the old one is never derived under the new
 * one (another key): EIO, reported once, the file left; rekey moves it to the new secret.
 * Without any secret, the same (-ENOKEY).
 */
static void test_keys_derived_under_another_secret(void **state)
{
	struct site_secret sec = test_secret(false), other = test_secret(true);
	struct state st;
	struct keystore *ks;
	struct dev_key k;
	char before[512], after[512];

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	keystore_free(served_derived(&st, &sec));
	slurp("key-0080F0C8C383", before, sizeof(before));

	for (int pass = 0; pass < 2; pass++) {
		const struct site_secret *which = pass == 0 ? &other : NULL;
		int want = pass == 0 ? -EKEYREJECTED : -ENOKEY;
		const struct key_source *src;

		reports = 0;
		assert_int_equal(keystore_open_derived(&st, &events, which, &ks), 0);
		assert_int_equal(reports, 1);
		assert_int_equal(last_mac, MAC_A);
		assert_int_equal(last_err, want);
		/* its state and epoch are known (status), its key is not */
		assert_int_equal(keystore_lookup(ks, MAC_A, &k), want);
		assert_int_equal(k.state, KEY_SERVED);
		assert_int_equal(k.epoch, 1);
		assert_string_equal(k.pass, "");
		src = keystore_source(ks);
		assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, false, &k), -EIO);
		assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &k), -EIO);
		assert_true(keystore_deliver(ks, MAC_A, "Config0080F0C8C383.enc") < 0);
		assert_true(keystore_mark_served(ks, MAC_A, KEY_E1) < 0);
		if (pass == 1)
			assert_int_equal(keystore_rekey(ks, MAC_A, "panasonic", 256), -ENOKEY);
		assert_int_equal(reports, 1);
		slurp("key-0080F0C8C383", after, sizeof(after));
		assert_string_equal(after, before);
		keystore_free(ks);
	}
	/* rekey under the new secret: the next epoch, its fingerprint, readable again */
	reports = 0;
	assert_int_equal(keystore_open_derived(&st, &events, &other, &ks), 0);
	assert_int_equal(keystore_rekey(ks, MAC_A, "panasonic", 256), 0);
	assert_int_equal(reports, 2);
	assert_int_equal(last_err, 0);
	assert_int_equal(keystore_lookup(ks, MAC_A, &k), 0);
	assert_int_equal(k.epoch, 2);
	assert_string_not_equal(k.pass, KEY_E2); /* epoch 2 under the other secret */
	slurp("key-0080F0C8C383", after, sizeof(after));
	assert_non_null(strstr(after, other.fingerprint));
	keystore_free(ks);
	/* and the old secret now refuses it in turn */
	reports = 0;
	assert_int_equal(keystore_open_derived(&st, &events, &sec, &ks), 0);
	assert_int_equal(reports, 1);
	assert_int_equal(last_err, -EKEYREJECTED);
	keystore_free(ks);
	state_close(&st);
}

/*
 * Migration: a random key (provfs-key 1) keeps its key and its file when a secret is added;
 * its rekey is derived (epoch 1).
 */
static void test_keys_random_key_kept_under_a_secret(void **state)
{
	struct site_secret sec = test_secret(false);
	struct state st;
	struct keystore *ks;
	const struct key_source *src;
	struct dev_key k;
	char text[512];

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	write_file(dir, "key-0080F0C8C383", GOOD_KEY_FILE);
	reports = 0;
	assert_int_equal(keystore_open_derived(&st, &events, &sec, &ks), 0);
	src = keystore_source(ks);
	assert_int_equal(src->get(src->ctx, MAC_A, "panasonic", 256, true, &k), 0);
	assert_string_equal(k.pass, "0123456789abcdef0123456789abcdef");
	assert_int_equal(k.epoch, 0);
	slurp("key-0080F0C8C383", text, sizeof(text));
	assert_string_equal(text, GOOD_KEY_FILE);
	/* its delivery is recorded in the same format, with the same key */
	assert_int_equal(keystore_mark_served(ks, MAC_A, "0123456789abcdef0123456789abcdef"), 0);
	slurp("key-0080F0C8C383", text, sizeof(text));
	assert_non_null(strstr(text, "provfs-key 1\nstate served\nbits 256\nkey "
	                             "0123456789abcdef0123456789abcdef\n"));
	/* a rekey moves it to a derived key of epoch 1 */
	assert_int_equal(keystore_rekey(ks, MAC_A, "panasonic", 256), 0);
	assert_int_equal(keystore_lookup(ks, MAC_A, &k), 0);
	assert_string_equal(k.pass, KEY_E1);
	assert_int_equal(k.epoch, 1);
	slurp("key-0080F0C8C383", text, sizeof(text));
	assert_non_null(strstr(text, "provfs-key 2\nstate pending\n"));
	assert_int_equal(reports, 0);
	keystore_free(ks);
	state_close(&st);
}

/*
 * A state directory that holds derived keys gets no random key from a store without the
 * secret (provctl cat or rekey without -k, a mount without key_secret: EIO, reported once):
 * the mount with the secret and every replica would derive another key for that device. Also
 * when the derived key appeared after the store was opened (seen on reload).
 */
static void test_keys_no_random_key_beside_derived_ones(void **state)
{
	struct site_secret sec = test_secret(false);
	struct state st;
	struct keystore *ks, *plain;
	const struct key_source *src;
	struct dev_key k;
	char path[128];
	bool changed;

	(void)state;
	assert_int_equal(state_open(dir, &st), 0);
	assert_int_equal(keystore_open(&st, &events, &plain), 0); /* before any derived key */
	keystore_free(served_derived(&st, &sec));
	snprintf(path, sizeof(path), "%s/key-0080F0C8C384", dir);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0) {
			assert_int_equal(keystore_reload(plain, &changed), 0);
			ks = plain;
		} else {
			assert_int_equal(keystore_open(&st, &events, &ks), 0);
		}
		src = keystore_source(ks);
		reports = 0;
		assert_int_equal(src->get(src->ctx, MAC_B, "panasonic", 256, true, &k), -EIO);
		assert_string_equal(k.pass, "");
		assert_int_equal(src->get(src->ctx, MAC_B, "panasonic", 256, true, &k), -EIO);
		assert_int_equal(reports, 1); /* once, naming the device */
		assert_int_equal(last_mac, MAC_B);
		assert_int_equal(last_err, -ENOKEY);
		assert_int_equal(keystore_rekey(ks, MAC_B, "panasonic", 256), -ENOKEY);
		assert_int_equal(access(path, F_OK), -1);
		keystore_free(ks);
	}
	/* with the secret, MAC_B gets its derived key */
	assert_int_equal(keystore_open_derived(&st, &events, &sec, &ks), 0);
	src = keystore_source(ks);
	assert_int_equal(src->get(src->ctx, MAC_B, "panasonic", 256, true, &k), 0);
	assert_int_equal(k.epoch, 1);
	keystore_free(ks);
	state_close(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys_new_key_is_stored_before_use, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(
		    test_keys_delivery_needs_the_plain_file_served_first, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_keys_rekey_from_another_process_is_seen_on_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_one_key_per_device_across_processes,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_unreadable_file_is_never_replaced, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_keys_reload_error_keeps_the_last_key, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_keys_derived_new_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_derived_rekey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_derived_under_another_secret, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_keys_no_random_key_beside_derived_ones, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_keys_random_key_kept_under_a_secret, setup,
		                                teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
