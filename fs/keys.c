/*
 * keys.c - the key store: a sorted array in memory, one durable file per device on disk.
 *
 * File format (text, strict):
 *     provfs-key 1
 *     state pending|delivered
 *     bits 128|192|256
 *     key <32 lower-case hex digits>
 * A file that does not parse is ignored (and so reported by `provctl status` as no key):
 * the device gets a new key, which it receives through the plain file again.
 */
#include "fs/keys.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "inventory/mac.h"

#define FILE_PREFIX "key-"

struct entry {
	uint64_t mac;
	struct pa_key key;
};

struct keystore {
	const struct state *st;
	pthread_mutex_t lock;
	struct entry *v; /* sorted by mac */
	size_t n, cap;
	struct key_source src;
};

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

static int put(struct keystore *ks, uint64_t mac, const struct pa_key *key)
{
	bool found;
	size_t at = find(ks, mac, &found);

	if (!found) {
		if (ks->n == ks->cap) {
			size_t ncap = ks->cap ? ks->cap * 2 : 64;
			struct entry *p = realloc(ks->v, ncap * sizeof(*p));

			if (p == NULL)
				return -ENOMEM;
			ks->v = p;
			ks->cap = ncap;
		}
		memmove(&ks->v[at + 1], &ks->v[at], (ks->n - at) * sizeof(*ks->v));
		ks->n++;
	}
	assert(ks->v != NULL); /* found, or room was made above */
	ks->v[at].mac = mac;
	ks->v[at].key = *key;
	return 0;
}

static void file_name(uint64_t mac, char name[32])
{
	char m[MAC_STRLEN + 1];

	mac_format(mac, true, m);
	snprintf(name, 32, FILE_PREFIX "%s", m);
}

static int store(const struct keystore *ks, uint64_t mac, const struct pa_key *key)
{
	char name[32], text[128];
	int n;

	file_name(mac, name);
	n = snprintf(text, sizeof(text), "provfs-key 1\nstate %s\nbits %u\nkey %s\n",
	             key->state == KEY_DELIVERED ? "delivered" : "pending", key->bits, key->pass);
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

static bool parse(const char *text, struct pa_key *key)
{
	char version[8] = "", state[16] = "", bits[8] = "", pass[64] = "";
	const char *p = text;
	bool ok;

	memset(key, 0, sizeof(*key));
	ok = field(&p, "provfs-key", version, sizeof(version)) && strcmp(version, "1") == 0 &&
	     field(&p, "state", state, sizeof(state)) && field(&p, "bits", bits, sizeof(bits)) &&
	     field(&p, "key", pass, sizeof(pass)) && *p == '\0' && strlen(pass) == PA_KEY_LEN &&
	     strspn(pass, "0123456789abcdef") == PA_KEY_LEN;
	if (ok && strcmp(state, "pending") == 0)
		key->state = KEY_PENDING;
	else if (ok && strcmp(state, "delivered") == 0)
		key->state = KEY_DELIVERED;
	else
		ok = false;
	key->bits = strcmp(bits, "128") == 0 ? 128 : strcmp(bits, "192") == 0 ? 192 : 256;
	if (ok && strcmp(bits, "128") != 0 && strcmp(bits, "192") != 0 && strcmp(bits, "256") != 0)
		ok = false;
	if (ok)
		memcpy(key->pass, pass, PA_KEY_LEN + 1);
	OPENSSL_cleanse(pass, sizeof(pass));
	return ok;
}

/* One key file; -ENOENT when it is missing or does not parse. */
static int load_one(const struct state *st, const char *name, struct pa_key *key)
{
	struct buf text;
	int r;

	buf_init(&text);
	r = state_read(st, name, &text);
	if (r == 0 && text.len >= 256)
		r = -ENOENT;
	if (r == 0) {
		buf_append(&text, "", 1);
		r = buf_status(&text);
	}
	if (r == 0 && !parse((const char *)text.data, key))
		r = -ENOENT;
	if (text.data != NULL)
		OPENSSL_cleanse(text.data, text.cap);
	buf_free(&text);
	return r;
}

/* Reads every key-<MAC> file into a fresh array. */
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
		struct pa_key key;
		uint64_t mac;

		if (strncmp(e->d_name, FILE_PREFIX, strlen(FILE_PREFIX)) != 0 ||
		    strlen(e->d_name) != strlen(FILE_PREFIX) + MAC_STRLEN ||
		    !mac_parse_hex12(e->d_name + strlen(FILE_PREFIX), &mac))
			continue;
		if (load_one(st, e->d_name, &key) == 0)
			r = put(into, mac, &key);
		OPENSSL_cleanse(&key, sizeof(key));
	}
	closedir(d);
	return r;
}

static int new_key(unsigned bits, struct pa_key *key)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[PA_KEY_LEN / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++) {
		key->pass[2 * i] = hex[raw[i] >> 4];
		key->pass[2 * i + 1] = hex[raw[i] & 15];
	}
	key->pass[PA_KEY_LEN] = '\0';
	key->bits = bits;
	key->state = KEY_PENDING;
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

static int source_get(void *ctx, uint64_t mac, unsigned bits, bool create, struct pa_key *out)
{
	struct keystore *ks = ctx;
	bool found;
	size_t at;
	int r = 0;

	pthread_mutex_lock(&ks->lock);
	at = find(ks, mac, &found);
	if (found) {
		*out = ks->v[at].key;
	} else if (!create) {
		r = -ENOENT;
	} else {
		r = new_key(bits, out);
		if (r == 0)
			r = store(ks, mac, out); /* on disk before anyone sees the key */
		if (r == 0)
			r = put(ks, mac, out);
	}
	pthread_mutex_unlock(&ks->lock);
	return r;
}

int keystore_open(const struct state *st, struct keystore **out)
{
	struct keystore *ks = calloc(1, sizeof(*ks));
	int r;

	*out = NULL;
	if (ks == NULL)
		return -ENOMEM;
	ks->st = st;
	pthread_mutex_init(&ks->lock, NULL);
	ks->src.get = source_get;
	ks->src.ctx = ks;
	r = load_all(st, ks);
	if (r < 0) {
		keystore_free(ks);
		return r;
	}
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

static bool same_key(const struct entry *a, const struct entry *b)
{
	return a->mac == b->mac && a->key.bits == b->key.bits && a->key.state == b->key.state &&
	       strcmp(a->key.pass, b->key.pass) == 0;
}

int keystore_reload(struct keystore *ks, bool *changed)
{
	struct keystore fresh;
	int r;

	memset(&fresh, 0, sizeof(fresh));
	r = load_all(ks->st, &fresh);
	if (r < 0) {
		free(fresh.v);
		return r;
	}
	pthread_mutex_lock(&ks->lock);
	*changed = fresh.n != ks->n;
	for (size_t i = 0; i < fresh.n && !*changed; i++)
		*changed = !same_key(&fresh.v[i], &ks->v[i]);
	if (ks->v != NULL)
		OPENSSL_cleanse(ks->v, ks->cap * sizeof(*ks->v));
	free(ks->v);
	ks->v = fresh.v;
	ks->n = fresh.n;
	ks->cap = fresh.cap;
	pthread_mutex_unlock(&ks->lock);
	return 0;
}

int keystore_lookup(struct keystore *ks, uint64_t mac, struct pa_key *out)
{
	return source_get(ks, mac, 0, false, out);
}

int keystore_deliver(struct keystore *ks, uint64_t mac, const char *served)
{
	struct pa_key disk;
	char name[32];
	bool found;
	size_t at;
	int r;

	memset(&disk, 0, sizeof(disk));
	file_name(mac, name);
	pthread_mutex_lock(&ks->lock);
	at = find(ks, mac, &found);
	/* the file, not memory, is the truth: provctl rekey may have replaced it just now (the
	 * reload it asked for brings the new key); a missing file was removed by hand */
	r = found ? load_one(ks->st, name, &disk) : -ENOENT;
	if (found && (r == -ENOENT || (r == 0 && (strcmp(disk.pass, served) != 0 ||
	                                          strcmp(ks->v[at].key.pass, served) != 0))))
		r = -ESTALE;
	if (r == 0 && ks->v[at].key.state != KEY_DELIVERED) {
		struct pa_key key = ks->v[at].key;

		key.state = KEY_DELIVERED;
		r = store(ks, mac, &key);
		if (r == 0)
			ks->v[at].key.state = KEY_DELIVERED;
		OPENSSL_cleanse(&key, sizeof(key));
	}
	pthread_mutex_unlock(&ks->lock);
	OPENSSL_cleanse(&disk, sizeof(disk));
	return r;
}

int keystore_rekey(struct keystore *ks, uint64_t mac, unsigned bits)
{
	struct pa_key key;
	int r;

	pthread_mutex_lock(&ks->lock);
	r = new_key(bits, &key);
	if (r == 0)
		r = store(ks, mac, &key);
	if (r == 0)
		r = put(ks, mac, &key);
	pthread_mutex_unlock(&ks->lock);
	OPENSSL_cleanse(&key, sizeof(key));
	return r;
}
