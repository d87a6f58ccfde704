/*
 * keys.c - the key store: a sorted array in memory, one durable file per device on disk, and
 * a lock file that makes every change atomic across processes.
 *
 * File format (text, strict; the last two lines are optional), a random key:
 *     provfs-key 1
 *     state pending|served|delivered
 *     bits 128|192|256
 *     key <32 lower-case hex digits>
 *     since <Unix time the state began>
 *     proof <the name whose request proved delivery>
 * and a key derived from the site secret (keys.h), which the file does not hold:
 *     provfs-key 2
 *     state pending|served|delivered
 *     bits 128|192|256
 *     vendor <the vendor it is derived for, [a-z0-9_-]>
 *     epoch <1 to 4294967295>
 *     fingerprint <16 lower-case hex digits: the site secret's (derive.h)>
 *     since ...
 *     proof ...
 * A file that does not parse is damaged: the device's encrypted files fail (EIO) and the file
 * is left for the administrator, never replaced by a new key (keys.h).
 */
#include "state/keys.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "inventory/mac.h"
#include "state/derive.h"
#include "state/site_secret.h"

#define FILE_PREFIX  "key-"
#define KEY_FILE_MAX 512

struct entry {
	uint64_t mac;
	struct dev_key key; /* the key last known (state KEY_NONE: none known) */
	int err;            /* 0, or why the file cannot be read now */
};

struct keystore {
	const struct state *st;
	struct keystore_events ev;
	pthread_mutex_t lock; /* threads of this process; keys.lock serializes processes */
	struct entry *v;      /* sorted by mac */
	size_t n, cap;
	struct key_source src;
	const struct site_secret *secret; /* NULL: new keys are random */
	bool derived_seen;                /* a derived key file was read here (sticky) */
};

static const char *const state_names[] = {
	[KEY_NONE] = "none",
	[KEY_PENDING] = "pending",
	[KEY_SERVED] = "served",
	[KEY_DELIVERED] = "delivered",
};

const char *key_state_name(enum key_state s)
{
	return s == KEY_NONE ? "no key yet" : state_names[s];
}

static size_t find(const struct keystore *ks, uint64_t mac, bool *found)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->v[mid].mac < mac)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < ks->n && ks->v[lo].mac == mac;
	return lo;
}

/* The entry of mac, inserted (no key, no error) if missing; NULL on ENOMEM. */
static struct entry *slot(struct keystore *ks, uint64_t mac)
{
	bool found;
	size_t at = find(ks, mac, &found);

	if (!found) {
		if (ks->n == ks->cap) {
			size_t ncap = ks->cap ? ks->cap * 2 : 64;
			struct entry *p = realloc(ks->v, ncap * sizeof(*p));

			if (p == NULL)
				return NULL;
			ks->v = p;
			ks->cap = ncap;
		}
		memmove(&ks->v[at + 1], &ks->v[at], (ks->n - at) * sizeof(*ks->v));
		ks->n++;
		memset(&ks->v[at], 0, sizeof(ks->v[at]));
		ks->v[at].mac = mac;
	}
	assert(ks->v != NULL); /* found, or room was made above */
	return &ks->v[at];
}

/*
 * Records what the file said (r: 0 with key, or its error), telling the user of a change. A
 * derived key that cannot be derived here (-ENOKEY, -EKEYREJECTED) still tells its state and
 * epoch (for provctl status) when no key is known.
 */
static void note(struct keystore *ks, struct entry *e, int r, const struct dev_key *key)
{
	if (r == 0 || ((r == -ENOKEY || r == -EKEYREJECTED) && e->key.state == KEY_NONE))
		e->key = *key;
	if (r != e->err && ks->ev.unreadable != NULL)
		ks->ev.unreadable(ks->ev.ctx, e->mac, r);
	e->err = r;
}

static void file_name(uint64_t mac, char name[32])
{
	char m[MAC_STRLEN + 1];

	mac_format(mac, true, m);
	snprintf(name, 32, FILE_PREFIX "%s", m);
}

static int store(const struct keystore *ks, uint64_t mac, const struct dev_key *key)
{
	char name[32], text[KEY_FILE_MAX];
	int n;

	file_name(mac, name);
	if (key->epoch == 0)
		n = snprintf(text, sizeof(text),
		             "provfs-key 1\nstate %s\nbits %u\nkey %s\nsince %lld\n",
		             state_names[key->state], key->bits, key->pass, (long long)key->since);
	else if (ks->secret != NULL) /* an entry is derived only under the current secret */
		n = snprintf(text, sizeof(text),
		             "provfs-key 2\nstate %s\nbits %u\nvendor %s\nepoch %lu\nfingerprint "
		             "%s\nsince %lld\n",
		             state_names[key->state], key->bits, key->vendor,
		             (unsigned long)key->epoch, ks->secret->fingerprint,
		             (long long)key->since);
	else
		return -ENOKEY;
	if (key->state == KEY_DELIVERED && key->proof[0] != '\0')
		n += snprintf(text + n, sizeof(text) - (size_t)n, "proof %s\n", key->proof);
	n = state_write(ks->st, name, text, (size_t)n);
	OPENSSL_cleanse(text, sizeof(text));
	return n;
}

/* "label value\n" at *p: copies value (at most len - 1 bytes) and advances *p. */
static bool field(const char **p, const char *label, char *out, size_t len)
{
	size_t ll = strlen(label), n;
	const char *nl;

	if (strncmp(*p, label, ll) != 0 || (*p)[ll] != ' ')
		return false;
	nl = strchr(*p + ll + 1, '\n');
	n = nl != NULL ? (size_t)(nl - (*p + ll + 1)) : 0;
	if (nl == NULL || n == 0 || n >= len)
		return false;
	memcpy(out, *p + ll + 1, n);
	out[n] = '\0';
	*p = nl + 1;
	return true;
}

static bool parse_state(const char *s, enum key_state *out)
{
	for (int i = KEY_PENDING; i <= KEY_DELIVERED; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum key_state)i;
			return true;
		}
	return false;
}

/* The optional "since" and "proof" lines. */
static bool parse_tail(const char *p, struct dev_key *key)
{
	char since[24] = "", proof[KEY_PROOF_MAX + 2] = "";
	char *end;

	if (*p != '\0' && field(&p, "since", since, sizeof(since))) {
		key->since = strtoll(since, &end, 10);
		if (*end != '\0' || since[0] < '0' || since[0] > '9')
			return false;
	}
	if (*p != '\0' && field(&p, "proof", proof, sizeof(proof))) {
		if (strlen(proof) > KEY_PROOF_MAX ||
		    strspn(proof, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                  "abcdefghijklmnopqrstuvwxyz._-") != strlen(proof))
			return false;
		memcpy(key->proof, proof, strlen(proof) + 1);
	}
	return *p == '\0';
}

/* Version 2's lines after bits: vendor, epoch, fingerprint (into fpr). */
static bool parse_derived(const char **p, struct dev_key *key, char fpr[DERIVE_FINGERPRINT_LEN + 1])
{
	char epoch[16] = "", *end;
	unsigned long v;

	if (!field(p, "vendor", key->vendor, sizeof(key->vendor)) ||
	    !derive_vendor_ok(key->vendor) || !field(p, "epoch", epoch, sizeof(epoch)) ||
	    epoch[0] < '1' || epoch[0] > '9' ||
	    !field(p, "fingerprint", fpr, DERIVE_FINGERPRINT_LEN + 1) ||
	    strlen(fpr) != DERIVE_FINGERPRINT_LEN ||
	    strspn(fpr, "0123456789abcdef") != DERIVE_FINGERPRINT_LEN)
		return false;
	errno = 0;
	v = strtoul(epoch, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return false;
	key->epoch = (uint32_t)v;
	return true;
}

/* A key file's text into key; a derived key's fingerprint into fpr (its pass is left empty). */
static bool parse(const char *text, struct dev_key *key, char fpr[DERIVE_FINGERPRINT_LEN + 1])
{
	char version[8] = "", state[16] = "", bits[8] = "", pass[64] = "";
	const char *p = text;
	bool ok, derived;

	memset(key, 0, sizeof(*key));
	fpr[0] = '\0';
	ok = field(&p, "provfs-key", version, sizeof(version)) &&
	     (strcmp(version, "1") == 0 || strcmp(version, "2") == 0);
	derived = ok && version[0] == '2';
	ok = ok && field(&p, "state", state, sizeof(state)) &&
	     field(&p, "bits", bits, sizeof(bits)) &&
	     (derived ? parse_derived(&p, key, fpr)
	              : field(&p, "key", pass, sizeof(pass)) && strlen(pass) == KEY_PASS_LEN &&
	                    strspn(pass, "0123456789abcdef") == KEY_PASS_LEN) &&
	     parse_state(state, &key->state) && parse_tail(p, key);
	if (ok &&
	    (strcmp(bits, "128") == 0 || strcmp(bits, "192") == 0 || strcmp(bits, "256") == 0))
		key->bits = (unsigned)strtoul(bits, NULL, 10);
	else
		ok = false;
	if (ok && !derived)
		memcpy(key->pass, pass, KEY_PASS_LEN + 1);
	else if (!ok)
		OPENSSL_cleanse(key, sizeof(*key));
	OPENSSL_cleanse(pass, sizeof(pass));
	return ok;
}

/*
 * A derived key's pass from the secret, when the file's fingerprint is the secret's. Returns
 * 0, -ENOKEY (no secret given), -EKEYREJECTED (derived under another secret: deriving it
 * under this one would give another key) or -EIO.
 */
static int derive_pass(const struct site_secret *secret, uint64_t mac, const char *fpr,
                       struct dev_key *key)
{
	if (secret == NULL)
		return -ENOKEY;
	if (strcmp(fpr, secret->fingerprint) != 0)
		return -EKEYREJECTED;
	return derive_key(secret->bytes, secret->len, key->vendor, mac, key->epoch, key->pass) < 0
	           ? -EIO
	           : 0;
}

/*
 * One key file. Returns 0, -ENOENT (missing: the only "no key"), -EBADMSG, derive_pass's
 * -ENOKEY or -EKEYREJECTED (key then holds the file's state and epoch, no pass) or -errno.
 */
static int load_one(const struct state *st, const struct site_secret *secret, uint64_t mac,
                    const char *name, struct dev_key *key)
{
	char fpr[DERIVE_FINGERPRINT_LEN + 1];
	struct buf text;
	int r;

	memset(key, 0, sizeof(*key));
	buf_init(&text);
	r = state_read(st, name, &text);
	if (r == -EFBIG || (r == 0 && text.len >= KEY_FILE_MAX))
		r = -EBADMSG;
	if (r == 0) {
		buf_append(&text, "", 1);
		r = buf_status(&text);
	}
	if (r == 0 && (strlen((const char *)text.data) + 1 != text.len ||
	               !parse((const char *)text.data, key, fpr)))
		r = -EBADMSG;
	if (r == 0 && key->epoch > 0)
		r = derive_pass(secret, mac, fpr, key);
	if (r < 0 && r != -ENOKEY && r != -EKEYREJECTED)
		OPENSSL_cleanse(key, sizeof(*key));
	if (text.data != NULL)
		OPENSSL_cleanse(text.data, text.cap);
	buf_free(&text);
	return r;
}

/* The device's file now. */
static int load_mac(const struct keystore *ks, uint64_t mac, struct dev_key *key)
{
	char name[32];

	file_name(mac, name);
	return load_one(ks->st, ks->secret, mac, name, key);
}

/* Reads every key-<MAC> file into `into` (errors kept per entry). */
static int load_all(const struct state *st, struct keystore *into)
{
	DIR *d;
	struct dirent *e;
	int dfd = dup(st->dirfd), r = 0;

	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return -errno;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL && r == 0) {
		struct dev_key key;
		struct entry *en;
		uint64_t mac;
		int lr;

		if (strncmp(e->d_name, FILE_PREFIX, strlen(FILE_PREFIX)) != 0 ||
		    strlen(e->d_name) != strlen(FILE_PREFIX) + MAC_STRLEN ||
		    !mac_parse_hex12(e->d_name + strlen(FILE_PREFIX), &mac))
			continue;
		lr = load_one(st, into->secret, mac, e->d_name, &key);
		if (lr == -ENOENT)
			continue;  /* removed since readdir */
		if (key.epoch > 0) /* a derived key, readable here or not */
			into->derived_seen = true;
		en = slot(into, mac);
		if (en == NULL)
			r = -ENOMEM;
		else if (lr == 0 || lr == -ENOKEY || lr == -EKEYREJECTED)
			en->key = key; /* the latter two: state and epoch only, for status */
		if (en != NULL)
			en->err = lr;
		OPENSSL_cleanse(&key, sizeof(key));
	}
	closedir(d);
	return r;
}

/*
 * A new pending key of bits for mac: derived in `epoch` for vendor under the site secret,
 * random (from the CSPRNG, epoch 0) without one. Returns 0, -EINVAL (a vendor name a key file
 * cannot record) or -EIO.
 */
static int new_key(const struct keystore *ks, uint64_t mac, const char *vendor, unsigned bits,
                   uint32_t epoch, struct dev_key *key)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[KEY_PASS_LEN / 2];

	memset(key, 0, sizeof(*key));
	if (ks->secret != NULL) {
		int r = derive_key(ks->secret->bytes, ks->secret->len, vendor != NULL ? vendor : "",
		                   mac, epoch, key->pass);

		if (r < 0)
			return r;
		snprintf(key->vendor, sizeof(key->vendor), "%s", vendor);
		key->epoch = epoch;
	} else if (ks->derived_seen) {
		/*
		 * The directory's keys are derived: the mount with the secret, and every replica,
		 * would derive another key for this device than a random one made here.
		 */
		return -ENOKEY;
	} else {
		if (RAND_bytes(raw, sizeof(raw)) != 1)
			return -EIO;
		for (size_t i = 0; i < sizeof(raw); i++) {
			key->pass[2 * i] = hex[raw[i] >> 4];
			key->pass[2 * i + 1] = hex[raw[i] & 15];
		}
		key->pass[KEY_PASS_LEN] = '\0';
	}
	key->bits = bits;
	key->state = KEY_PENDING;
	key->since = (int64_t)time(NULL);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* The mutex, then the cross-process lock. Returns the lock's fd or -errno (mutex released). */
static int lock(struct keystore *ks)
{
	int fd, r;

	pthread_mutex_lock(&ks->lock);
	r = state_lock(ks->st, KEYS_LOCK_FILE, true, &fd);
	if (r < 0) {
		pthread_mutex_unlock(&ks->lock);
		return r;
	}
	return fd;
}

static void unlock(struct keystore *ks, int fd)
{
	close(fd); /* releases the flock */
	pthread_mutex_unlock(&ks->lock);
}

/*
 * The device's key from its file, under the lock, made if the file is missing and `create`.
 * Memory follows the file. Returns 0, -ENOENT or the file's error.
 */
static int sync_locked(struct keystore *ks, struct entry *e, const char *vendor, unsigned bits,
                       bool create)
{
	struct dev_key disk;
	int r = load_mac(ks, e->mac, &disk);

	if (r == -ENOENT && create) {
		r = new_key(ks, e->mac, vendor, bits, 1, &disk);
		if (r == 0)
			r = store(ks, e->mac, &disk); /* on disk before anyone sees the key */
		if (r == -ENOKEY) { /* no random key among derived ones: EIO, reported once */
			memset(&disk, 0, sizeof(disk));
			note(ks, e, r, &disk);
			return r;
		}
		if (r < 0) {
			OPENSSL_cleanse(&disk, sizeof(disk));
			return r; /* nothing was read: not the file's error */
		}
	}
	if (r == -ENOENT)
		memset(&disk, 0, sizeof(disk)); /* removed by hand: a new key on next use */
	note(ks, e, r == -ENOENT ? 0 : r, &disk);
	OPENSSL_cleanse(&disk, sizeof(disk));
	return r;
}

static int source_get(void *ctx, uint64_t mac, const char *vendor, unsigned bits, bool create,
                      struct dev_key *out)
{
	struct keystore *ks = ctx;
	struct entry *e;
	bool found;
	size_t at;
	int r, fd;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ks->lock);
	at = find(ks, mac, &found);
	if (found && ks->v[at].err == 0 && ks->v[at].key.state != KEY_NONE) {
		*out = ks->v[at].key;
		pthread_mutex_unlock(&ks->lock);
		return 0;
	}
	r = found && ks->v[at].err != 0 ? -EIO : -ENOENT;
	pthread_mutex_unlock(&ks->lock);
	if (!create)
		return r;
	/*
	 * Another process may have made one meanwhile, or the administrator restored an
	 * unreadable file: the file decides, under the lock.
	 */
	fd = lock(ks);
	if (fd < 0)
		return fd;
	e = slot(ks, mac);
	r = e == NULL ? -ENOMEM : sync_locked(ks, e, vendor, bits, true);
	if (r == 0)
		*out = e->key;
	else if (e != NULL && e->err != 0)
		r = -EIO;
	unlock(ks, fd);
	return r;
}

int keystore_open(const struct state *st, const struct keystore_events *ev, struct keystore **out)
{
	return keystore_open_derived(st, ev, NULL, out);
}

int keystore_open_derived(const struct state *st, const struct keystore_events *ev,
                          const struct site_secret *secret, struct keystore **out)
{
	struct keystore *ks = calloc(1, sizeof(*ks));
	int r;

	*out = NULL;
	if (ks == NULL)
		return -ENOMEM;
	ks->st = st;
	ks->secret = secret;
	if (ev != NULL)
		ks->ev = *ev;
	pthread_mutex_init(&ks->lock, NULL);
	ks->src.get = source_get;
	ks->src.ctx = ks;
	r = load_all(st, ks);
	if (r < 0) {
		keystore_free(ks);
		return r;
	}
	for (size_t i = 0; i < ks->n; i++)
		if (ks->v[i].err != 0 && ks->ev.unreadable != NULL)
			ks->ev.unreadable(ks->ev.ctx, ks->v[i].mac, ks->v[i].err);
	*out = ks;
	return 0;
}

void keystore_free(struct keystore *ks)
{
	if (ks == NULL)
		return;
	if (ks->v != NULL)
		OPENSSL_cleanse(ks->v, ks->cap * sizeof(*ks->v));
	free(ks->v);
	pthread_mutex_destroy(&ks->lock);
	free(ks);
}

const struct key_source *keystore_source(struct keystore *ks)
{
	return &ks->src;
}

static bool same_entry(const struct entry *a, const struct entry *b)
{
	return a->mac == b->mac && a->err == b->err && a->key.bits == b->key.bits &&
	       a->key.state == b->key.state && a->key.epoch == b->key.epoch &&
	       strcmp(a->key.pass, b->key.pass) == 0;
}

int keystore_reload(struct keystore *ks, bool *changed)
{
	struct keystore fresh;
	int r;

	memset(&fresh, 0, sizeof(fresh));
	fresh.secret = ks->secret;
	fresh.derived_seen = ks->derived_seen;
	*changed = false;
	r = load_all(ks->st, &fresh);
	if (r < 0) {
		free(fresh.v);
		return r; /* the directory itself: keep everything as it was */
	}
	pthread_mutex_lock(&ks->lock);
	for (size_t i = 0; i < fresh.n; i++) {
		struct entry *now = &fresh.v[i];
		bool found;
		size_t at = find(ks, now->mac, &found);
		const struct entry *was = found ? &ks->v[at] : NULL;

		/* an unreadable file keeps the key provfs last knew */
		if (now->err != 0 && was != NULL && was->key.state != KEY_NONE)
			now->key = was->key;
		if (now->err != (was != NULL ? was->err : 0) && ks->ev.unreadable != NULL)
			ks->ev.unreadable(ks->ev.ctx, now->mac, now->err);
	}
	*changed = fresh.n != ks->n;
	for (size_t i = 0; i < fresh.n && !*changed && ks->v != NULL; i++)
		*changed = !same_entry(&fresh.v[i], &ks->v[i]);
	if (ks->v != NULL)
		OPENSSL_cleanse(ks->v, ks->cap * sizeof(*ks->v));
	free(ks->v);
	ks->v = fresh.v;
	ks->n = fresh.n;
	ks->cap = fresh.cap;
	ks->derived_seen = fresh.derived_seen;
	pthread_mutex_unlock(&ks->lock);
	return 0;
}

int keystore_lookup(struct keystore *ks, uint64_t mac, struct dev_key *out)
{
	bool found;
	size_t at;
	int r = -ENOENT;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ks->lock);
	at = find(ks, mac, &found);
	if (found) {
		*out = ks->v[at].key;
		r = ks->v[at].err != 0 ? ks->v[at].err : out->state == KEY_NONE ? -ENOENT : 0;
	}
	pthread_mutex_unlock(&ks->lock);
	return r;
}

/* Under the lock: the entry of mac synced from its file. Returns 0, -ENOENT or -errno. */
static int locked_entry(struct keystore *ks, uint64_t mac, struct entry **out)
{
	struct entry *e = slot(ks, mac);

	*out = e;
	return e == NULL ? -ENOMEM : sync_locked(ks, e, NULL, 0, false);
}

/* Under the lock: the entry's key moves on to `to` (with its proof), on disk, then in memory. */
static int advance(struct keystore *ks, struct entry *e, enum key_state to, const char *proof)
{
	struct dev_key key = e->key;
	int r;

	key.state = to;
	key.since = (int64_t)time(NULL);
	if (proof != NULL)
		snprintf(key.proof, sizeof(key.proof), "%s", proof);
	r = store(ks, e->mac, &key);
	if (r == 0)
		e->key = key;
	OPENSSL_cleanse(&key, sizeof(key));
	return r;
}

int keystore_mark_served(struct keystore *ks, uint64_t mac, const char *served)
{
	struct entry *e;
	int fd = lock(ks), r;

	if (fd < 0)
		return fd;
	r = locked_entry(ks, mac, &e);
	if (r == 0 && strcmp(e->key.pass, served) != 0)
		r = -ESTALE; /* provctl rekey replaced it since this reader's file was made */
	if (r == 0 && e->key.state == KEY_PENDING)
		r = advance(ks, e, KEY_SERVED, NULL);
	unlock(ks, fd);
	return r;
}

int keystore_deliver(struct keystore *ks, uint64_t mac, const char *proof)
{
	struct entry *e;
	int fd, r;

	if (strlen(proof) > KEY_PROOF_MAX)
		return -EINVAL;
	fd = lock(ks);
	if (fd < 0)
		return fd;
	r = locked_entry(ks, mac, &e);
	if (r == 0 && e->key.state == KEY_DELIVERED)
		r = 1;
	else if (r == 0 && e->key.state != KEY_SERVED)
		r = -EAGAIN;
	if (r == 0)
		r = advance(ks, e, KEY_DELIVERED, proof);
	unlock(ks, fd);
	return r;
}

int keystore_rekey(struct keystore *ks, uint64_t mac, const char *vendor, unsigned bits)
{
	struct dev_key key, disk;
	struct entry *e;
	uint32_t epoch = 1;
	int fd = lock(ks), r;

	memset(&key, 0, sizeof(key));
	memset(&disk, 0, sizeof(disk));
	if (fd < 0)
		return fd;
	e = slot(ks, mac);
	r = e == NULL ? -ENOMEM : load_mac(ks, mac, &disk);
	if (e != NULL)
		note(ks, e, r == -ENOENT ? 0 : r, &disk);
	/* derived under another secret: readable, and a rekey moves it to this one */
	if (r == -EKEYREJECTED && ks->secret != NULL)
		r = 0;
	/* the next epoch: a key once derived is never derived again (a random one: epoch 1) */
	if (r == 0 && disk.epoch == UINT32_MAX)
		r = -EOVERFLOW;
	else if (r == 0)
		epoch = disk.epoch + 1;
	if (r == 0 || r == -ENOENT)
		r = new_key(ks, mac, vendor, bits, epoch, &key);
	if (r == 0)
		r = store(ks, mac, &key);
	if (r == 0)
		note(ks, e, 0, &key);
	OPENSSL_cleanse(&key, sizeof(key));
	OPENSSL_cleanse(&disk, sizeof(disk));
	unlock(ks, fd);
	return r;
}

/* pending < served < delivered; none below them all */
static int rank(enum key_state s)
{
	return s == KEY_DELIVERED ? 3 : s == KEY_SERVED ? 2 : s == KEY_PENDING ? 1 : 0;
}

bool key_rec_newer(const struct dev_key *cur, const struct dev_key *rec)
{
	if (rec->epoch != cur->epoch)
		return rec->epoch > cur->epoch;
	return rank(rec->state) > rank(cur->state);
}

int keystore_apply(struct keystore *ks, uint64_t mac, const struct dev_key *rec,
                   struct dev_key *was)
{
	struct dev_key key, disk;
	struct entry *e;
	int fd, r;

	if (was != NULL)
		memset(was, 0, sizeof(*was));
	if (rec->epoch == 0 || rec->state == KEY_NONE || !derive_vendor_ok(rec->vendor) ||
	    (rec->bits != 128 && rec->bits != 192 && rec->bits != 256))
		return -EINVAL;
	if (ks->secret == NULL)
		return -ENOKEY;
	fd = lock(ks);
	if (fd < 0)
		return fd;
	memset(&key, 0, sizeof(key));
	e = slot(ks, mac);
	r = e == NULL ? -ENOMEM : load_mac(ks, mac, &disk);
	if (r == -ENOENT)
		memset(&disk, 0, sizeof(disk)); /* nothing yet: any record is newer */
	else if (e != NULL)
		note(ks, e, r, &disk);
	if (r == 0 || r == -ENOENT)
		r = key_rec_newer(&disk, rec) ? 1 : 0;
	if (r == 1) {
		key = *rec;
		r = derive_key(ks->secret->bytes, ks->secret->len, key.vendor, mac, key.epoch,
		               key.pass) < 0
		        ? -EIO
		        : 1;
	}
	if (r == 1 && key.state != KEY_DELIVERED)
		key.proof[0] = '\0';
	if (r == 1 && (r = store(ks, mac, &key)) == 0) {
		note(ks, e, 0, &key);
		if (was != NULL)
			*was = disk;
		r = 1;
	}
	if (was != NULL)
		memset(was->pass, 0, sizeof(was->pass));
	OPENSSL_cleanse(&key, sizeof(key));
	OPENSSL_cleanse(&disk, sizeof(disk));
	unlock(ks, fd);
	return r;
}
