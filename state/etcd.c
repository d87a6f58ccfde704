/*
 * etcd.c - the etcd v3 client of etcd.h: the URL parser, the JSON of the gRPC-JSON gateway
 * (built and parsed with cJSON, keys and values base64 with OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock), the requests with failover (libcurl) and the watch thread.
 *
 * Shapes of the gateway's JSON, as etcd 3.4 writes them (proto3 JSON mapping): 64-bit integers
 * are strings ("revision":"5"), fields at their zero value are left out (a failed txn has no
 * "succeeded", an empty value no "value", a put event no "type"), bytes are base64.
 */
#include "state/etcd.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/buf.h"

/* --- small helpers ---------------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* base64 of len bytes, NUL-terminated, malloc'd; NULL if out of memory. */
static char *b64_encode(const void *p, size_t len)
{
	size_t n = 4 * ((len + 2) / 3) + 1;
	char *out;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(n);
	if (out == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

/*
 * Decodes base64 text into a malloc'd, NUL-terminated buffer. EVP_DecodeBlock counts the bytes
 * that the '=' padding stands for as zeros: they are taken off again. -EBADMSG if s is not
 * base64 of whole groups.
 */
static int b64_decode(const char *s, uint8_t **out, size_t *outlen)
{
	size_t len = strlen(s), pad = 0;
	uint8_t *p;
	int n;

	if (len % 4 != 0 || len > (size_t)INT32_MAX / 2)
		return -EBADMSG;
	p = malloc(len / 4 * 3 + 1);
	if (p == NULL)
		return -ENOMEM;
	n = len == 0 ? 0 : EVP_DecodeBlock(p, (const unsigned char *)s, (int)len);
	if (n < 0) {
		free(p);
		return -EBADMSG;
	}
	if (len > 0 && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	*outlen = (size_t)n - pad;
	p[*outlen] = '\0';
	*out = p;
	return 0;
}

/* The key one past every key that starts with prefix (etcd's range_end for a prefix). */
static int prefix_end(const char *prefix, uint8_t **out, size_t *outlen)
{
	size_t len = strlen(prefix);
	uint8_t *p = malloc(len + 1);

	if (p == NULL)
		return -ENOMEM;
	memcpy(p, prefix, len);
	while (len > 0) {
		if (p[len - 1] < 0xff) {
			p[len - 1]++;
			*out = p;
			*outlen = len;
			return 0;
		}
		len--;
	}
	/* All 0xff (or empty): the range to the end of the keyspace is "\0". */
	p[0] = 0;
	*out = p;
	*outlen = 1;
	return 0;
}

/* --- URL ------------------------------------------------------------------------------------ */

static bool host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-';
}

static bool name_char(char ch)
{
	return host_char(ch) || ch == '_';
}

/* One "host:port" of n bytes at s; endpoint number i (from 1) for messages. */
static int parse_endpoint(const char *s, size_t n, size_t i, char **out, char *err, size_t errlen)
{
	size_t h = 0, colon, k;
	unsigned long port = 0;

	if (n == 0) {
		set_err(err, errlen, "etcd URL: endpoint %zu is empty", i);
		return -EINVAL;
	}
	if (s[0] == '[') {
		while (h < n && s[h] != ']')
			h++;
		if (h == n) {
			set_err(err, errlen, "etcd URL: endpoint %zu: '[' without ']'", i);
			return -EINVAL;
		}
		if (h == 1) {
			set_err(err, errlen, "etcd URL: endpoint %zu: empty host", i);
			return -EINVAL;
		}
		for (k = 1; k < h; k++) {
			char ch = s[k];

			if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
			      (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.')) {
				set_err(err, errlen,
				        "etcd URL: endpoint %zu: not an IPv6 address in brackets",
				        i);
				return -EINVAL;
			}
		}
		colon = h + 1;
	} else {
		while (h < n && s[h] != ':') {
			if (!host_char(s[h])) {
				set_err(
				    err, errlen,
				    "etcd URL: endpoint %zu: host may hold only letters, digits, "
				    "'.' and '-' (found byte 0x%02x)",
				    i, (unsigned char)s[h]);
				return -EINVAL;
			}
			h++;
		}
		if (h == 0) {
			set_err(err, errlen, "etcd URL: endpoint %zu: empty host", i);
			return -EINVAL;
		}
		colon = h;
	}
	if (colon >= n || s[colon] != ':') {
		set_err(err, errlen, "etcd URL: endpoint %zu: no ':PORT' after the host", i);
		return -EINVAL;
	}
	if (colon + 1 == n) {
		set_err(err, errlen, "etcd URL: endpoint %zu: empty port", i);
		return -EINVAL;
	}
	for (k = colon + 1; k < n; k++) {
		if (s[k] < '0' || s[k] > '9' || k - colon > 5) {
			set_err(err, errlen, "etcd URL: endpoint %zu: port is not a number 1-65535",
			        i);
			return -EINVAL;
		}
		port = port * 10 + (unsigned long)(s[k] - '0');
	}
	if (port == 0 || port > 65535 || s[colon + 1] == '0') {
		set_err(err, errlen, "etcd URL: endpoint %zu: port is not a number 1-65535", i);
		return -EINVAL;
	}
	*out = strndup(s, n);
	return *out != NULL ? 0 : -ENOMEM;
}

/* "/name[/name...]": names of [A-Za-z0-9._-], single slashes, none at the end. */
static int check_prefix(const char *p, char *err, size_t errlen)
{
	size_t i, seg = 0;

	if (p[0] != '/' || p[1] == '\0') {
		set_err(err, errlen, "etcd URL: missing '/PREFIX' after the endpoints");
		return -EINVAL;
	}
	if (strlen(p) > ETCD_PREFIX_MAX) {
		set_err(err, errlen, "etcd URL: prefix longer than %d bytes", ETCD_PREFIX_MAX);
		return -EINVAL;
	}
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] == '/') {
			if (seg == 0)
				break;
			seg = 0;
		} else if (!name_char(p[i])) {
			set_err(err, errlen,
			        "etcd URL: prefix may hold only letters, digits, '.', '_', '-' and "
			        "'/' (found byte 0x%02x)",
			        (unsigned char)p[i]);
			return -EINVAL;
		} else {
			seg++;
		}
	}
	if (seg == 0) {
		set_err(err, errlen, "etcd URL: empty name in the prefix (a '/' too many)");
		return -EINVAL;
	}
	return 0;
}

int etcd_url_parse(const char *url, struct etcd_url *out, char *err, size_t errlen)
{
	static const char scheme[] = "etcd://";
	const char *p, *slash, *end;
	int rc;

	memset(out, 0, sizeof(*out));
	if (url == NULL || strlen(url) > ETCD_URL_MAX) {
		set_err(err, errlen, "etcd URL: missing or longer than %d bytes", ETCD_URL_MAX);
		return -EINVAL;
	}
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
		set_err(err, errlen, "etcd URL: must start with etcd://");
		return -EINVAL;
	}
	p = url + sizeof(scheme) - 1;
	slash = strchr(p, '/');
	if (slash == NULL) {
		set_err(err, errlen, "etcd URL: missing '/PREFIX' after the endpoints");
		return -EINVAL;
	}
	while (p <= slash) {
		end = memchr(p, ',', (size_t)(slash - p));
		if (end == NULL)
			end = slash;
		if (out->n == ETCD_ENDPOINTS_MAX) {
			set_err(err, errlen, "etcd URL: more than %d endpoints",
			        ETCD_ENDPOINTS_MAX);
			rc = -EINVAL;
			goto fail;
		}
		rc = parse_endpoint(p, (size_t)(end - p), out->n + 1, &out->endpoints[out->n], err,
		                    errlen);
		if (rc < 0)
			goto fail;
		out->n++;
		p = end + 1;
	}
	rc = check_prefix(slash, err, errlen);
	if (rc < 0)
		goto fail;
	out->prefix = strdup(slash);
	if (out->prefix == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	etcd_url_free(out);
	return rc;
}

void etcd_url_free(struct etcd_url *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		free(u->endpoints[i]);
	free(u->prefix);
	memset(u, 0, sizeof(*u));
}

/* --- reply parsing ---------------------------------------------------------------------------- */

/*
 * An int64 field: proto3 JSON writes them as decimal strings; a number is accepted too. A
 * missing field is 0 (the zero value is left out). -EBADMSG for anything else.
 */
static int get_i64(const cJSON *obj, const char *name, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	const char *s;
	int64_t x = 0;
	bool neg = false;

	*out = 0;
	if (v == NULL)
		return 0;
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < -9.0e15 || v->valuedouble > 9.0e15)
			return -EBADMSG;
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v))
		return -EBADMSG;
	s = v->valuestring;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (*s == '\0')
		return -EBADMSG;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || x > (INT64_MAX - 9) / 10)
			return -EBADMSG;
		x = x * 10 + (*s - '0');
	}
	*out = neg ? -x : x;
	return 0;
}

static bool get_bool(const cJSON *obj, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

/* A base64 bytes field; missing is empty. */
static int get_bytes(const cJSON *obj, const char *name, uint8_t **out, size_t *len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (v == NULL)
		return b64_decode("", out, len);
	if (!cJSON_IsString(v))
		return -EBADMSG;
	return b64_decode(v->valuestring, out, len);
}

void etcd_kv_free(struct etcd_kv *kv)
{
	if (kv == NULL)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void etcd_range_free(struct etcd_range *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		etcd_kv_free(&r->kvs[i]);
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

static int parse_kv(const cJSON *o, struct etcd_kv *kv)
{
	uint8_t *key = NULL;
	int rc;

	memset(kv, 0, sizeof(*kv));
	if (!cJSON_IsObject(o))
		return -EBADMSG;
	rc = get_bytes(o, "key", &key, &kv->key_len);
	if (rc < 0)
		return rc;
	kv->key = (char *)key;
	if (kv->key_len == 0) {
		rc = -EBADMSG; /* every key etcd returns has one */
		goto fail;
	}
	rc = get_bytes(o, "value", &kv->value, &kv->value_len);
	if (rc == 0)
		rc = get_i64(o, "create_revision", &kv->create_revision);
	if (rc == 0)
		rc = get_i64(o, "mod_revision", &kv->mod_revision);
	if (rc == 0)
		rc = get_i64(o, "version", &kv->version);
	if (rc == 0)
		return 0;
fail:
	etcd_kv_free(kv);
	return rc;
}

/* Parses a whole reply as one JSON object; it must be an object. */
static int parse_object(const char *json, size_t len, cJSON **out)
{
	*out = NULL;
	if (len > ETCD_REPLY_MAX)
		return -EMSGSIZE;
	*out = cJSON_ParseWithLength(json, len);
	if (*out == NULL)
		return -EBADMSG;
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return -EBADMSG;
	}
	return 0;
}

static int header_revision(const cJSON *o, int64_t *rev)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "header");

	if (!cJSON_IsObject(h))
		return -EBADMSG;
	return get_i64(h, "revision", rev);
}

static int grpc_errno(int64_t code)
{
	switch (code) {
	case ETCD_GRPC_UNAVAILABLE:
		return -EAGAIN;
	case ETCD_GRPC_DEADLINE_EXCEEDED:
		return -ETIMEDOUT;
	case ETCD_GRPC_OUT_OF_RANGE:
		return -ESTALE;
	case ETCD_GRPC_INVALID_ARGUMENT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int etcd_parse_error(long http_status, const char *json, size_t len)
{
	const cJSON *e;
	cJSON *o = NULL;
	int64_t code = 0;
	int rc;

	if (http_status == 200)
		return 0;
	rc = parse_object(json, len, &o);
	e = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (rc == 0 && e != NULL && get_i64(o, "code", &code) == 0 && code != 0) {
		rc = grpc_errno(code);
		/*
		 * A member without a leader lets a write wait for etcd's own request timeout and
		 * then says {"error":"context deadline exceeded","code":2} (Unknown, HTTP 500):
		 * the write's fate is unknown, as with our own timeout.
		 */
		if (code == ETCD_GRPC_UNKNOWN && cJSON_IsString(e) &&
		    strstr(e->valuestring, "deadline exceeded") != NULL)
			rc = -ETIMEDOUT;
	} else if (http_status == 503)
		rc = -EAGAIN; /* a gateway that could not reach its member */
	else
		rc = -EIO;
	cJSON_Delete(o);
	return rc;
}

static int parse_kvs(const cJSON *arr, struct etcd_kv **out, size_t *n)
{
	const cJSON *it;
	size_t i = 0, cnt;

	*out = NULL;
	*n = 0;
	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return -EBADMSG;
	cnt = (size_t)cJSON_GetArraySize(arr);
	if (cnt == 0)
		return 0;
	*out = calloc(cnt, sizeof(**out));
	if (*out == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr)
	{
		int rc = parse_kv(it, &(*out)[i]);

		if (rc < 0) {
			while (i > 0)
				etcd_kv_free(&(*out)[--i]);
			free(*out);
			*out = NULL;
			return rc;
		}
		i++;
	}
	*n = i;
	return 0;
}

static int range_from(const cJSON *o, struct etcd_range *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = header_revision(o, &out->revision);
	if (rc < 0)
		return rc;
	out->more = get_bool(o, "more");
	return parse_kvs(cJSON_GetObjectItemCaseSensitive(o, "kvs"), &out->kvs, &out->n);
}

int etcd_parse_range(const char *json, size_t len, struct etcd_range *out)
{
	cJSON *o;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_object(json, len, &o);
	if (rc < 0)
		return rc;
	rc = range_from(o, out);
	cJSON_Delete(o);
	return rc;
}

int etcd_parse_write(const char *json, size_t len, int64_t *revision, int64_t *deleted)
{
	cJSON *o;
	int64_t rev = 0, del = 0;
	int rc;

	rc = parse_object(json, len, &o);
	if (rc < 0)
		return rc;
	rc = header_revision(o, &rev);
	if (rc == 0)
		rc = get_i64(o, "deleted", &del);
	cJSON_Delete(o);
	if (rc == 0 && revision != NULL)
		*revision = rev;
	if (rc == 0 && deleted != NULL)
		*deleted = del;
	return rc;
}

/*
 * etcd_cas's txn: success = [request_put], failure = [request_range of the key]. On failure
 * the one response is a response_range with the key, or no kvs if it does not exist.
 */
int etcd_parse_txn(const char *json, size_t len, struct etcd_kv *current, int64_t *revision)
{
	const cJSON *resp, *first, *rr;
	struct etcd_range r;
	cJSON *o;
	int64_t rev = 0;
	int rc;

	rc = parse_object(json, len, &o);
	if (rc < 0)
		return rc;
	rc = header_revision(o, &rev);
	if (rc < 0)
		goto out;
	if (get_bool(o, "succeeded")) {
		if (revision != NULL)
			*revision = rev;
		goto out;
	}
	resp = cJSON_GetObjectItemCaseSensitive(o, "responses");
	first = cJSON_IsArray(resp) ? cJSON_GetArrayItem(resp, 0) : NULL;
	rr = cJSON_GetObjectItemCaseSensitive(first, "response_range");
	if (!cJSON_IsObject(rr) || cJSON_GetArraySize(resp) != 1) {
		rc = -EBADMSG;
		goto out;
	}
	memset(&r, 0, sizeof(r));
	rc = parse_kvs(cJSON_GetObjectItemCaseSensitive(rr, "kvs"), &r.kvs, &r.n);
	if (rc < 0)
		goto out;
	if (r.n > 1) {
		etcd_range_free(&r);
		rc = -EBADMSG;
		goto out;
	}
	if (current != NULL) {
		memset(current, 0, sizeof(*current));
		if (r.n == 1) {
			*current = r.kvs[0];
			memset(&r.kvs[0], 0, sizeof(r.kvs[0]));
		}
	}
	etcd_range_free(&r);
	rc = -ECANCELED;
out:
	cJSON_Delete(o);
	return rc;
}

void etcd_watch_msg_free(struct etcd_watch_msg *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		etcd_kv_free(&m->events[i].kv);
	free(m->events);
	memset(m, 0, sizeof(*m));
}

static int parse_events(const cJSON *arr, struct etcd_watch_msg *m)
{
	const cJSON *it;
	size_t cnt;

	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return -EBADMSG;
	cnt = (size_t)cJSON_GetArraySize(arr);
	if (cnt == 0)
		return 0;
	m->events = calloc(cnt, sizeof(*m->events));
	if (m->events == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(it, arr)
	{
		struct etcd_event *ev = &m->events[m->n];
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
		int rc;

		if (type == NULL || (cJSON_IsString(type) && strcmp(type->valuestring, "PUT") == 0))
			ev->type = ETCD_PUT;
		else if (cJSON_IsString(type) && strcmp(type->valuestring, "DELETE") == 0)
			ev->type = ETCD_DELETE;
		else
			return -EBADMSG;
		rc = parse_kv(cJSON_GetObjectItemCaseSensitive(it, "kv"), &ev->kv);
		if (rc < 0)
			return rc;
		m->n++;
	}
	return 0;
}

int etcd_parse_watch(const char *json, size_t len, struct etcd_watch_msg *out)
{
	const cJSON *res, *e;
	cJSON *o;
	int64_t code = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > ETCD_WATCH_LINE_MAX)
		return -EMSGSIZE;
	rc = parse_object(json, len, &o);
	if (rc < 0)
		return rc;
	e = cJSON_GetObjectItemCaseSensitive(o, "error");
	res = cJSON_GetObjectItemCaseSensitive(o, "result");
	if (e != NULL) {
		/* The gateway's stream error: {"error":{"grpc_code":14,"message":...}}. */
		if (cJSON_IsObject(e) && get_i64(e, "grpc_code", &code) == 0 && code != 0)
			rc = grpc_errno(code);
		else
			rc = -EIO;
		goto out;
	}
	if (!cJSON_IsObject(res)) {
		rc = -EBADMSG;
		goto out;
	}
	rc = header_revision(res, &out->revision);
	if (rc < 0)
		goto out;
	rc = get_i64(res, "compact_revision", &out->compact_revision);
	if (rc < 0)
		goto out;
	if (get_bool(res, "canceled"))
		out->kind = out->compact_revision > 0 ? ETCD_WATCH_COMPACTED : ETCD_WATCH_CANCELED;
	else if (get_bool(res, "created"))
		out->kind = ETCD_WATCH_CREATED;
	else
		out->kind = ETCD_WATCH_EVENTS;
	rc = parse_events(cJSON_GetObjectItemCaseSensitive(res, "events"), out);
out:
	cJSON_Delete(o);
	if (rc < 0)
		etcd_watch_msg_free(out);
	return rc;
}

/* --- requests ------------------------------------------------------------------------------- */

struct etcd_client {
	struct etcd_url url;
	atomic_size_t cur;  /* the endpoint that answered last: the next call starts there */
	atomic_bool cancel; /* etcd_client_cancel: every call ends now */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

int etcd_client_new(const char *url, struct etcd_client **out, char *err, size_t errlen)
{
	struct etcd_client *c;
	int rc;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc < 0)
		return curl_init_rc;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	rc = etcd_url_parse(url, &c->url, err, errlen);
	if (rc < 0) {
		free(c);
		return rc;
	}
	atomic_init(&c->cur, 0);
	atomic_init(&c->cancel, false);
	*out = c;
	return 0;
}

void etcd_client_free(struct etcd_client *c)
{
	if (c == NULL)
		return;
	etcd_url_free(&c->url);
	free(c);
}

const char *etcd_client_prefix(const struct etcd_client *c)
{
	return c->url.prefix;
}

void etcd_client_cancel(struct etcd_client *c)
{
	atomic_store(&c->cancel, true);
}

/* libcurl calls this often, and about once a second on a quiet connection: the way out. */
static int call_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
	struct etcd_client *c = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return atomic_load(&c->cancel) ? 1 : 0;
}

/* A reply body, bounded: more than max bytes aborts the transfer. */
struct sink {
	struct buf b;
	size_t max;
	bool too_big;
};

static size_t sink_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;

	if (s->b.len + n > s->max) {
		s->too_big = true;
		return 0;
	}
	buf_append(&s->b, p, n);
	return buf_status(&s->b) == 0 ? n : 0;
}

/* The options every request and the watch share. */
static CURL *easy_new(const char *endpoint, const char *path, const char *body,
                      struct curl_slist *hdr, char *urlbuf, size_t urllen)
{
	CURL *h = curl_easy_init();

	if (h == NULL)
		return NULL;
	snprintf(urlbuf, urllen, "http://%s%s", endpoint, path);
	curl_easy_setopt(h, CURLOPT_URL, urlbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* never an http_proxy of the environment */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM: we are threaded */
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)ETCD_CONNECT_MS);
	return h;
}

enum attempt {
	ATTEMPT_DONE,    /* an answer: the call ends with it */
	ATTEMPT_REFUSED, /* nothing was sent, or nothing done: try the next endpoint */
	ATTEMPT_UNKNOWN, /* sent, no answer: it may have been applied; try the next endpoint */
	ATTEMPT_BUSY,    /* the member has no leader now: try the next, and again later */
};

/*
 * POSTs body to path at endpoint idx. ATTEMPT_DONE with *rc 0 and the reply in s, or *rc the
 * error that ends the call.
 */
static enum attempt try_endpoint(struct etcd_client *c, size_t idx, const char *path,
                                 const char *body, long timeout_ms, struct sink *s, int *rc)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	char url[512];
	long status = 0;
	CURLcode cc;
	CURL *h;

	*rc = 0;
	buf_reset(&s->b);
	s->too_big = false;
	h = hdr == NULL ? NULL : easy_new(c->url.endpoints[idx], path, body, hdr, url, sizeof(url));
	if (h == NULL) {
		curl_slist_free_all(hdr);
		*rc = -ENOMEM;
		return ATTEMPT_DONE;
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, call_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return ATTEMPT_REFUSED;
	case CURLE_WRITE_ERROR:
		*rc = s->too_big ? -EMSGSIZE : -ENOMEM;
		return ATTEMPT_DONE;
	default: /* timeout, reset, nothing received: the request may have gone through */
		return ATTEMPT_UNKNOWN;
	}
	*rc = etcd_parse_error(status, (const char *)s->b.data, s->b.len);
	if (*rc == -EAGAIN)
		return ATTEMPT_BUSY; /* "no leader", "leader changed", "request timed out" */
	if (*rc == -ETIMEDOUT)
		return ATTEMPT_UNKNOWN;
	return ATTEMPT_DONE;
}

/*
 * One call: the request to each endpoint in turn, from the one that answered last, until one
 * answers or ETCD_CALL_MS pass. Members without a leader are asked again (an election takes
 * about a second) until the deadline; when every endpoint refuses the connection the call ends
 * at once. *unknown (may be NULL) is set when some attempt was sent without an answer.
 * Returns 0 (reply in s), -EAGAIN, -ETIMEDOUT (a write's fate unknown) or the error etcd said.
 */
static int call(struct etcd_client *c, const char *path, const char *body, bool write,
                struct sink *s, bool *unknown)
{
	int64_t deadline = now_ms() + ETCD_CALL_MS;
	size_t start = atomic_load(&c->cur) % c->url.n, i = 0;
	struct timespec pause = { 0, 50L * 1000 * 1000 };
	bool busy = false, sent = false;
	int rc = 0;

	for (;;) {
		int64_t left = deadline - now_ms();
		size_t idx = (start + i) % c->url.n;
		enum attempt a;

		if (left <= 0 || atomic_load(&c->cancel))
			break;
		a = try_endpoint(c, idx, path, body,
		                 left < ETCD_ATTEMPT_MS ? (long)left : ETCD_ATTEMPT_MS, s, &rc);
		if (a == ATTEMPT_DONE) {
			if (rc == 0 || rc == -ECANCELED || rc == -ESTALE || rc == -EINVAL)
				atomic_store(&c->cur, idx);
			if (unknown != NULL)
				*unknown = sent;
			return rc;
		}
		/*
		 * A member's "request timed out" or "leader changed" may come after the write
		 * was proposed: for a write, a busy member leaves its fate unknown too.
		 */
		if (a == ATTEMPT_UNKNOWN || (a == ATTEMPT_BUSY && write))
			sent = true;
		if (a == ATTEMPT_BUSY || a == ATTEMPT_UNKNOWN)
			busy = true;
		i++;
		if (i % c->url.n == 0) {
			if (!busy)
				break; /* every endpoint refused: no etcd now */
			busy = false;
			/* A short pause before the next round: an election is under way. */
			nanosleep(&pause, NULL);
		}
	}
	if (unknown != NULL)
		*unknown = sent;
	return write && sent ? -ETIMEDOUT : -EAGAIN;
}

/* Adds name: base64 of len bytes at p to o. */
static int add_b64(cJSON *o, const char *name, const void *p, size_t len)
{
	char *s = b64_encode(p, len);
	cJSON *v;

	if (s == NULL)
		return -ENOMEM;
	v = cJSON_AddStringToObject(o, name, s);
	free(s);
	return v != NULL ? 0 : -ENOMEM;
}

static int add_i64(cJSON *o, const char *name, int64_t x)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)x);
	return cJSON_AddStringToObject(o, name, s) != NULL ? 0 : -ENOMEM;
}

/* Sends o (consumed) to path; the reply in s (free with buf_free). */
static int send_json(struct etcd_client *c, const char *path, cJSON *o, bool write, struct sink *s,
                     bool *unknown)
{
	char *body = cJSON_PrintUnformatted(o);
	int rc;

	cJSON_Delete(o);
	buf_init(&s->b);
	s->max = ETCD_REPLY_MAX;
	if (body == NULL)
		return -ENOMEM;
	rc = call(c, path, body, write, s, unknown);
	cJSON_free(body);
	return rc;
}

static cJSON *key_object(const char *key, int *rc)
{
	cJSON *o = cJSON_CreateObject();

	*rc = -ENOMEM;
	if (o == NULL)
		return NULL;
	*rc = add_b64(o, "key", key, strlen(key));
	if (*rc < 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int etcd_get(struct etcd_client *c, const char *key, struct etcd_kv *out, int64_t *revision)
{
	struct etcd_range r;
	struct sink s;
	cJSON *o;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	o = key_object(key, &rc);
	if (o == NULL)
		return rc;
	rc = send_json(c, "/v3/kv/range", o, false, &s, NULL);
	if (rc == 0)
		rc = etcd_parse_range((const char *)s.b.data, s.b.len, &r);
	buf_free(&s.b);
	if (rc < 0)
		return rc;
	if (revision != NULL)
		*revision = r.revision;
	if (r.n == 1 && r.kvs[0].key_len == strlen(key) &&
	    memcmp(r.kvs[0].key, key, r.kvs[0].key_len) == 0) {
		*out = r.kvs[0];
		memset(&r.kvs[0], 0, sizeof(r.kvs[0]));
	} else {
		rc = r.n == 0 ? -ENOENT : -EBADMSG;
	}
	etcd_range_free(&r);
	return rc;
}

/*
 * One page of a range: keys from [from, from + fromlen) to end, at most limit of them, as of
 * revision (0: the latest).
 */
static int range_page(struct etcd_client *c, const void *from, size_t fromlen, const uint8_t *end,
                      size_t endlen, int64_t revision, int64_t limit, struct etcd_range *out)
{
	struct sink s;
	cJSON *o = cJSON_CreateObject();
	int rc = o == NULL ? -ENOMEM : add_b64(o, "key", from, fromlen);

	memset(out, 0, sizeof(*out));
	if (rc == 0)
		rc = add_b64(o, "range_end", end, endlen);
	if (rc == 0 && revision > 0)
		rc = add_i64(o, "revision", revision);
	if (rc == 0)
		rc = add_i64(o, "limit", limit);
	if (rc < 0) {
		cJSON_Delete(o);
		return rc;
	}
	rc = send_json(c, "/v3/kv/range", o, false, &s, NULL);
	if (rc == 0)
		rc = etcd_parse_range((const char *)s.b.data, s.b.len, out);
	buf_free(&s.b);
	return rc;
}

/* The kvs of page moved to the end of all (page is left empty). */
static int range_take(struct etcd_range *all, struct etcd_range *page)
{
	struct etcd_kv *p;

	if (page->n == 0)
		return 0;
	p = realloc(all->kvs, (all->n + page->n) * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	memcpy(&p[all->n], page->kvs, page->n * sizeof(*p));
	all->kvs = p;
	all->n += page->n;
	free(page->kvs);
	page->kvs = NULL;
	page->n = 0;
	return 0;
}

/*
 * In pages of ETCD_RANGE_PAGE keys, all at the revision of the first page, so that a prefix of
 * many devices (or a few huge values) never needs one reply over ETCD_REPLY_MAX: a page that
 * would be too large is asked again with fewer keys, down to one.
 */
int etcd_range_prefix(struct etcd_client *c, const char *prefix, int64_t revision,
                      struct etcd_range *out)
{
	struct etcd_range page;
	int64_t limit = ETCD_RANGE_PAGE;
	uint8_t *end = NULL, *from = NULL;
	size_t endlen = 0, fromlen = strlen(prefix);
	int rc;

	memset(out, 0, sizeof(*out));
	rc = prefix_end(prefix, &end, &endlen);
	from = rc == 0 ? malloc(fromlen + 1) : NULL;
	if (rc == 0 && from == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		memcpy(from, prefix, fromlen);
	while (rc == 0) {
		const struct etcd_kv *last;
		uint8_t *next;

		rc = range_page(c, from, fromlen, end, endlen, revision, limit, &page);
		if (rc == -EMSGSIZE && limit > 1) {
			limit = limit / 8 > 0 ? limit / 8 : 1;
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		if (revision == 0)
			revision = page.revision; /* every later page as of the first one */
		if (limit < ETCD_RANGE_PAGE)
			limit = limit * 2 < ETCD_RANGE_PAGE ? limit * 2 : ETCD_RANGE_PAGE;
		out->revision = revision;
		if (!page.more || page.n == 0) {
			rc = range_take(out, &page);
			etcd_range_free(&page);
			break;
		}
		/* the next page starts just after the last key: that key and a NUL byte */
		last = &page.kvs[page.n - 1];
		next = malloc(last->key_len + 1);
		if (next == NULL) {
			etcd_range_free(&page);
			rc = -ENOMEM;
			break;
		}
		memcpy(next, last->key, last->key_len);
		next[last->key_len] = 0;
		free(from);
		from = next;
		fromlen = last->key_len + 1;
		rc = range_take(out, &page);
		etcd_range_free(&page);
	}
	free(end);
	free(from);
	if (rc < 0)
		etcd_range_free(out);
	return rc;
}

/* A put or deleterange o (consumed) to path: its revision and "deleted". */
static int write_call(struct etcd_client *c, const char *path, cJSON *o, int64_t *revision,
                      int64_t *deleted)
{
	struct sink s;
	int rc = send_json(c, path, o, true, &s, NULL);

	if (rc == 0)
		rc = etcd_parse_write((const char *)s.b.data, s.b.len, revision, deleted);
	buf_free(&s.b);
	return rc;
}

int etcd_put(struct etcd_client *c, const char *key, const void *value, size_t len,
             int64_t *revision)
{
	cJSON *o;
	int rc;

	o = key_object(key, &rc);
	if (o == NULL)
		return rc;
	rc = add_b64(o, "value", value, len);
	if (rc < 0) {
		cJSON_Delete(o);
		return rc;
	}
	return write_call(c, "/v3/kv/put", o, revision, NULL);
}

int etcd_delete(struct etcd_client *c, const char *key, int64_t *deleted, int64_t *revision)
{
	cJSON *o;
	int rc;

	o = key_object(key, &rc);
	if (o == NULL)
		return rc;
	return write_call(c, "/v3/kv/deleterange", o, revision, deleted);
}

/*
 * {"compare":[{"key":K,"target":T,"result":"EQUAL",<T's field>}],
 *  "success":[{"request_put":{"key":K,"value":V}}],
 *  "failure":[{"request_range":{"key":K}}]}
 */
static cJSON *cas_request(const struct etcd_cas *op)
{
	cJSON *o = cJSON_CreateObject(), *cmp, *arr, *put, *rr;
	int rc = -ENOMEM;

	if (o == NULL)
		return NULL;
	arr = cJSON_AddArrayToObject(o, "compare");
	cmp = cJSON_CreateObject();
	if (arr == NULL || cmp == NULL || !cJSON_AddItemToArray(arr, cmp))
		goto fail;
	rc = add_b64(cmp, "key", op->key, strlen(op->key));
	if (rc == 0 && cJSON_AddStringToObject(cmp, "result", "EQUAL") == NULL)
		rc = -ENOMEM;
	if (rc < 0)
		goto fail;
	switch (op->cmp) {
	case ETCD_CMP_MOD_REVISION:
		rc = cJSON_AddStringToObject(cmp, "target", "MOD") != NULL ? 0 : -ENOMEM;
		if (rc == 0)
			rc = add_i64(cmp, "mod_revision", op->mod_revision);
		break;
	case ETCD_CMP_VALUE:
		rc = cJSON_AddStringToObject(cmp, "target", "VALUE") != NULL ? 0 : -ENOMEM;
		if (rc == 0)
			rc = add_b64(cmp, "value", op->expect, op->expect_len);
		break;
	case ETCD_CMP_ABSENT:
		rc = cJSON_AddStringToObject(cmp, "target", "CREATE") != NULL ? 0 : -ENOMEM;
		if (rc == 0)
			rc = add_i64(cmp, "create_revision", 0);
		break;
	default:
		rc = -EINVAL;
	}
	if (rc < 0)
		goto fail;
	arr = cJSON_AddArrayToObject(o, "success");
	put = cJSON_CreateObject();
	if (arr == NULL || put == NULL || !cJSON_AddItemToArray(arr, put))
		goto fail;
	put = cJSON_AddObjectToObject(put, "request_put");
	if (put == NULL || add_b64(put, "key", op->key, strlen(op->key)) < 0 ||
	    add_b64(put, "value", op->value, op->value_len) < 0)
		goto fail;
	arr = cJSON_AddArrayToObject(o, "failure");
	rr = cJSON_CreateObject();
	if (arr == NULL || rr == NULL || !cJSON_AddItemToArray(arr, rr))
		goto fail;
	rr = cJSON_AddObjectToObject(rr, "request_range");
	if (rr == NULL || add_b64(rr, "key", op->key, strlen(op->key)) < 0)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int etcd_cas(struct etcd_client *c, const struct etcd_cas *op, struct etcd_kv *current,
             int64_t *revision)
{
	struct etcd_kv cur;
	bool unknown = false;
	struct sink s;
	cJSON *o;
	int rc;

	memset(&cur, 0, sizeof(cur));
	if (current != NULL)
		memset(current, 0, sizeof(*current));
	if (op->cmp != ETCD_CMP_MOD_REVISION && op->cmp != ETCD_CMP_VALUE &&
	    op->cmp != ETCD_CMP_ABSENT)
		return -EINVAL;
	o = cas_request(op);
	if (o == NULL)
		return -ENOMEM;
	rc = send_json(c, "/v3/kv/txn", o, true, &s, &unknown);
	if (rc == 0)
		rc = etcd_parse_txn((const char *)s.b.data, s.b.len, &cur, revision);
	buf_free(&s.b);
	if (rc != -ECANCELED)
		return rc;
	/* An earlier attempt without an answer may have been ours: then the key holds our value. */
	if (unknown && cur.create_revision != 0 && cur.value_len == op->value_len &&
	    memcmp(cur.value, op->value, op->value_len) == 0) {
		if (revision != NULL)
			*revision = cur.mod_revision;
		etcd_kv_free(&cur);
		return 0;
	}
	if (current != NULL)
		*current = cur;
	else
		etcd_kv_free(&cur);
	return -ECANCELED;
}

/* --- watch ---------------------------------------------------------------------------------- */

struct etcd_watch {
	struct etcd_client *c;
	char *prefix;
	struct etcd_watch_cb cb;
	pthread_t thread;
	atomic_bool stop;
	atomic_llong last;      /* the last revision delivered */
	int status;             /* the last status reported: 0 connected, -EAGAIN not, 1 none yet */
	bool from_now;          /* no start revision yet: the first stream's creation gives it */
	bool created;           /* this stream was set up: its member works */
	int failure;            /* why the last stream ended, for the loop */
	int64_t compacted;      /* the compact_revision of a canceled stream */
	struct etcd_lines line; /* the incomplete message the stream has sent so far */
	size_t idx;             /* the endpoint of the stream */
	int64_t heard;          /* when its member last showed it is alive (ms, monotonic) */
};

static void report_status(struct etcd_watch *w, int err)
{
	if (w->status == err)
		return;
	w->status = err;
	if (w->cb.status != NULL)
		w->cb.status(w->cb.ctx, err);
}

/* One whole message of the stream. Returns 0 to go on, or -errno to end the stream. */
static int watch_message(struct etcd_watch *w, const char *json, size_t len)
{
	struct etcd_watch_msg m;
	int64_t last = atomic_load(&w->last), top = last;
	size_t i;
	int rc;

	rc = etcd_parse_watch(json, len, &m);
	if (rc < 0)
		return rc;
	switch (m.kind) {
	case ETCD_WATCH_CREATED:
		/*
		 * A watch without start_revision sends every event after the header's revision:
		 * that is where a later stream must resume if no event comes before.
		 */
		if (w->from_now) {
			atomic_store(&w->last, m.revision);
			w->from_now = false;
		}
		w->created = true;
		report_status(w, 0);
		break;
	case ETCD_WATCH_EVENTS:
		/*
		 * etcd never splits one revision across messages, and a resumed stream starts at
		 * last + 1: whatever is at or below last was delivered before.
		 */
		for (i = 0; i < m.n; i++) {
			if (m.events[i].kv.mod_revision <= last)
				continue;
			w->cb.event(w->cb.ctx, &m.events[i]);
			if (m.events[i].kv.mod_revision > top)
				top = m.events[i].kv.mod_revision;
		}
		atomic_store(&w->last, top);
		break;
	case ETCD_WATCH_COMPACTED:
		w->compacted = m.compact_revision;
		rc = -ESTALE;
		break;
	case ETCD_WATCH_CANCELED:
		rc = -EAGAIN;
		break;
	}
	etcd_watch_msg_free(&m);
	return rc;
}

int etcd_lines_feed(struct etcd_lines *l, const char *p, size_t n,
                    int (*fn)(void *ctx, const char *line, size_t len), void *ctx)
{
	size_t i, from = 0;
	int rc;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (l->b.len + (i - from) > l->max)
			return -EMSGSIZE;
		buf_append(&l->b, p + from, i - from);
		if (buf_status(&l->b) < 0)
			return -ENOMEM;
		rc = l->b.len == 0 ? 0 : fn(ctx, (const char *)l->b.data, l->b.len);
		buf_reset(&l->b);
		if (rc < 0)
			return rc;
		from = i + 1;
	}
	if (l->b.len + (n - from) > l->max)
		return -EMSGSIZE;
	buf_append(&l->b, p + from, n - from);
	return buf_status(&l->b);
}

static int watch_line(void *ctx, const char *line, size_t len)
{
	return watch_message(ctx, line, len);
}

static size_t watch_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct etcd_watch *w = ud;
	int rc = etcd_lines_feed(&w->line, p, size * nmemb, watch_line, w);

	w->heard = now_ms();
	if (rc < 0) {
		w->failure = rc;
		return 0;
	}
	return size * nmemb;
}

/*
 * libcurl calls this about once a second even on a quiet stream: the way out for stop, and the
 * moment to ask a member that has been silent for ETCD_WATCH_IDLE_MS whether it is still there.
 * A frozen or wedged member keeps its connections open and its kernel answers TCP keepalives,
 * so only a request shows it: its status (answered without a leader, and cheap). No answer
 * within an attempt's timeout ends the stream, which then resumes on the next endpoint.
 */
static int watch_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct etcd_watch *w = ud;
	struct sink s;
	enum attempt at;
	int rc;

	(void)a;
	(void)b;
	(void)c;
	(void)d;
	if (atomic_load(&w->stop))
		return 1;
	if (now_ms() - w->heard < ETCD_WATCH_IDLE_MS)
		return 0;
	buf_init(&s.b);
	s.max = ETCD_REPLY_MAX;
	at = try_endpoint(w->c, w->idx, "/v3/maintenance/status", "{}", ETCD_ATTEMPT_MS, &s, &rc);
	buf_free(&s.b);
	if (at == ATTEMPT_DONE && rc == 0) {
		w->heard = now_ms();
		return 0;
	}
	w->failure = -EAGAIN;
	return 1;
}

/* One stream from endpoint idx, until it ends. Returns why (-errno), 0 if stopped. */
static int watch_stream(struct etcd_watch *w, size_t idx)
{
	struct curl_slist *hdr = NULL;
	uint8_t *end = NULL;
	size_t endlen = 0;
	char url[512], *body = NULL;
	cJSON *o = NULL, *cr;
	CURLcode cc;
	CURL *h = NULL;
	int rc;

	/* {"create_request":{"key":P,"range_end":E,"start_revision":last+1}} */
	o = cJSON_CreateObject();
	cr = o != NULL ? cJSON_AddObjectToObject(o, "create_request") : NULL;
	rc = cr != NULL ? add_b64(cr, "key", w->prefix, strlen(w->prefix)) : -ENOMEM;
	if (rc == 0)
		rc = prefix_end(w->prefix, &end, &endlen);
	if (rc == 0)
		rc = add_b64(cr, "range_end", end, endlen);
	if (rc == 0 && !w->from_now)
		rc = add_i64(cr, "start_revision", atomic_load(&w->last) + 1);
	free(end);
	if (rc == 0) {
		body = cJSON_PrintUnformatted(o);
		rc = body != NULL ? 0 : -ENOMEM;
	}
	cJSON_Delete(o);
	if (rc < 0)
		return rc;
	hdr = curl_slist_append(NULL, "Content-Type: application/json");
	/*
	 * gRPC metadata through the gateway: etcd ends a watch whose member loses its leader
	 * instead of keeping it silent (the Go client's WithRequireLeader); we then move on.
	 */
	if (hdr != NULL)
		hdr = curl_slist_append(hdr, "Grpc-Metadata-hasleader: true");
	h = hdr != NULL
	        ? easy_new(w->c->url.endpoints[idx], "/v3/watch", body, hdr, url, sizeof(url))
	        : NULL;
	if (h == NULL) {
		curl_slist_free_all(hdr);
		cJSON_free(body);
		return -ENOMEM;
	}
	buf_reset(&w->line.b);
	w->idx = idx;
	w->heard = now_ms();
	w->failure = 0;
	w->created = false;
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, watch_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, w);
	/* A peer that vanishes without a reset (power, network) shows up within seconds. */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 1L);
	cc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	cJSON_free(body);
	if (atomic_load(&w->stop))
		return 0;
	if (w->failure < 0)
		return w->failure;
	if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
		return -ECONNREFUSED;
	return -EAGAIN; /* the stream ended: a member that went away */
}

/* Sleeps ms unless stop is set first (checked every 50 ms). */
static void watch_pause(struct etcd_watch *w, int ms)
{
	struct timespec ts = { 0, 50L * 1000 * 1000 };

	for (; ms > 0 && !atomic_load(&w->stop); ms -= 50)
		nanosleep(&ts, NULL);
}

/* After a compaction: the prefix as it is now, then events from its revision + 1. */
static int watch_resync(struct etcd_watch *w)
{
	struct etcd_range snap;
	int rc;

	if (w->cb.reset == NULL) {
		atomic_store(&w->last, w->compacted - 1);
		return 0;
	}
	rc = etcd_range_prefix(w->c, w->prefix, 0, &snap);
	if (rc < 0)
		return rc;
	w->cb.reset(w->cb.ctx, &snap);
	atomic_store(&w->last, snap.revision);
	etcd_range_free(&snap);
	return 0;
}

static void *watch_main(void *arg)
{
	struct etcd_watch *w = arg;
	size_t idx = atomic_load(&w->c->cur) % w->c->url.n, fails = 0;

	while (!atomic_load(&w->stop)) {
		int rc = watch_stream(w, idx);

		if (atomic_load(&w->stop))
			break;
		if (rc == -ESTALE) {
			if (watch_resync(w) == 0)
				continue;
		}
		/*
		 * The next endpoint at once after a stream that worked; after a round of
		 * endpoints where none could set one up, say so and wait a little.
		 */
		idx = (idx + 1) % w->c->url.n;
		fails = w->created ? 0 : fails + 1;
		if (fails >= w->c->url.n) {
			report_status(w, -EAGAIN);
			watch_pause(w, 200);
			fails = 0;
		}
	}
	return NULL;
}

int etcd_watch_start(struct etcd_client *c, const char *prefix, int64_t start_revision,
                     const struct etcd_watch_cb *cb, struct etcd_watch **out)
{
	struct etcd_watch *w;
	int rc;

	*out = NULL;
	if (cb == NULL || cb->event == NULL || prefix == NULL || prefix[0] == '\0')
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->prefix = strdup(prefix);
	if (w->prefix == NULL) {
		free(w);
		return -ENOMEM;
	}
	w->c = c;
	w->cb = *cb;
	w->status = 1;
	buf_init(&w->line.b);
	w->line.max = ETCD_WATCH_LINE_MAX;
	atomic_init(&w->stop, false);
	w->from_now = start_revision <= 0;
	atomic_init(&w->last, start_revision > 0 ? start_revision - 1 : 0);
	rc = -pthread_create(&w->thread, NULL, watch_main, w);
	if (rc < 0) {
		buf_free(&w->line.b);
		free(w->prefix);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void etcd_watch_stop(struct etcd_watch *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	buf_free(&w->line.b);
	free(w->prefix);
	free(w);
}

int64_t etcd_watch_revision(struct etcd_watch *w)
{
	return atomic_load(&w->last);
}
