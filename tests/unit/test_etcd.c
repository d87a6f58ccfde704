/*
 * test_etcd.c - the etcd client's parts that need no etcd (state/etcd.h): the etcd:// URL
 * parser (good URLs, and each kind of bad one with its message), and the parsers of the
 * gRPC-JSON gateway's replies, fed canned replies. Their shapes are etcd's documented ones
 * (etcd.io dev-guide "gRPC gateway": base64 keys and values, 64-bit numbers as strings) and
 * replies captured from etcd 3.4.23 (Debian's etcd-server): range, put, txn, deleterange,
 * the watch stream with its created, event, DELETE and compaction messages, and the error
 * replies of a member without a leader. tests/integration/t_etcd.sh runs the client against a
 * real cluster.
 */
#include "testutil.h"

#include "state/etcd.h"

#define HDR(rev)                                                                                   \
	"\"header\":{\"cluster_id\":\"324952591200643719\",\"member_id\":\"3319814642761637952\"," \
	"\"revision\":\"" rev "\",\"raft_term\":\"2\"}"

/* --- URL ------------------------------------------------------------------------------------ */

static void test_url_one_endpoint(void **state)
{
	struct etcd_url u;
	char err[200] = "";

	(void)state;
	assert_int_equal(etcd_url_parse("etcd://127.0.0.1:2379/provfs", &u, err, sizeof(err)), 0);
	assert_int_equal(u.n, 1);
	assert_string_equal(u.endpoints[0], "127.0.0.1:2379");
	assert_string_equal(u.prefix, "/provfs");
	etcd_url_free(&u);
}

static void test_url_several_endpoints(void **state)
{
	struct etcd_url u;
	char err[200] = "";

	(void)state;
	assert_int_equal(
	    etcd_url_parse("etcd://a:1,etcd-2.example.org:65535,[::1]:2379/site/a_b.c-d", &u, err,
	                   sizeof(err)),
	    0);
	assert_int_equal(u.n, 3);
	assert_string_equal(u.endpoints[0], "a:1");
	assert_string_equal(u.endpoints[1], "etcd-2.example.org:65535");
	assert_string_equal(u.endpoints[2], "[::1]:2379");
	assert_string_equal(u.prefix, "/site/a_b.c-d");
	etcd_url_free(&u);
}

static void expect_bad_url(const char *url, const char *why)
{
	struct etcd_url u;
	char err[200] = "";

	if (etcd_url_parse(url, &u, err, sizeof(err)) != -EINVAL)
		fail_msg("accepted: '%s'", url);
	if (strstr(err, why) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", url, err, why);
	assert_int_equal(u.n, 0);
	assert_null(u.prefix);
}

static void test_url_bad(void **state)
{
	static const char port[] = "port is not a number 1-65535";
	char many[400];
	int i, n = 0;

	(void)state;
	expect_bad_url(NULL, "missing");
	expect_bad_url("", "must start with etcd://");
	expect_bad_url("http://h:1/p", "must start with etcd://");
	expect_bad_url("ETCD://h:1/p", "must start with etcd://");
	expect_bad_url("etcd://h:1", "missing '/PREFIX'");
	expect_bad_url("etcd://h:1/", "missing '/PREFIX'");
	expect_bad_url("etcd:///p", "endpoint 1 is empty");
	expect_bad_url("etcd://:1/p", "endpoint 1: empty host");
	expect_bad_url("etcd://h/p", "endpoint 1: no ':PORT'");
	expect_bad_url("etcd://h:/p", "endpoint 1: empty port");
	expect_bad_url("etcd://h:0/p", port);
	expect_bad_url("etcd://h:65536/p", port);
	expect_bad_url("etcd://h:99999/p", port);
	expect_bad_url("etcd://h:123456/p", port);
	expect_bad_url("etcd://h:18446744073709551617/p", port); /* 2^64 + 1: no wrap to 1 */
	expect_bad_url("etcd://h:4294967297/p", port);           /* 2^32 + 1 */
	expect_bad_url("etcd://h:02379/p", port);
	expect_bad_url("etcd://h:+1/p", port);
	expect_bad_url("etcd://h:-1/p", port);
	expect_bad_url("etcd://h:1x/p", port);
	expect_bad_url("etcd://h:1:2/p", port);
	expect_bad_url("etcd://h:1,/p", "endpoint 2 is empty");
	expect_bad_url("etcd://,h:1/p", "endpoint 1 is empty");
	expect_bad_url("etcd://h:1,,h:2/p", "endpoint 2 is empty");
	expect_bad_url("etcd://h:1,:2/p", "endpoint 2: empty host");
	expect_bad_url("etcd:// h:1/p", "host may hold only");
	expect_bad_url("etcd://h :1/p", "host may hold only");
	expect_bad_url("etcd://h: 1/p", port);
	expect_bad_url("etcd://h:1 /p", port);
	expect_bad_url("etcd://h:1/p q", "prefix may hold only");
	expect_bad_url("etcd://h:1/p\n", "prefix may hold only");
	expect_bad_url("etcd://h:1/p?x=1", "prefix may hold only");
	expect_bad_url("etcd://user@h:1/p", "host may hold only");
	expect_bad_url("etcd://h_1:1/p", "host may hold only");
	expect_bad_url("etcd://h:1/p//q", "empty name in the prefix");
	expect_bad_url("etcd://h:1/p/", "empty name in the prefix");
	expect_bad_url("etcd://h:1//p", "empty name in the prefix");
	expect_bad_url("etcd://[::1/p", "'[' without ']'");
	expect_bad_url("etcd://[]:1/p", "endpoint 1: empty host");
	expect_bad_url("etcd://[zz]:1/p", "not an IPv6 address");
	expect_bad_url("etcd://[::1]/p", "no ':PORT'");
	expect_bad_url("etcd://[::1]x:1/p", "no ':PORT'");
	n += snprintf(many + n, sizeof(many) - (size_t)n, "etcd://");
	for (i = 0; i <= ETCD_ENDPOINTS_MAX; i++)
		n += snprintf(many + n, sizeof(many) - (size_t)n, "%sh%d:1", i ? "," : "", i);
	snprintf(many + n, sizeof(many) - (size_t)n, "/p");
	expect_bad_url(many, "more than 16 endpoints");
}

static void test_url_limits(void **state)
{
	char url[ETCD_URL_MAX + 64], err[200];
	struct etcd_url u;
	size_t n;

	(void)state;
	/* A prefix of exactly ETCD_PREFIX_MAX bytes is fine, one more is not. */
	n = (size_t)snprintf(url, sizeof(url), "etcd://h:1/");
	memset(url + n, 'a', ETCD_PREFIX_MAX - 1);
	url[n + ETCD_PREFIX_MAX - 1] = '\0';
	assert_int_equal(etcd_url_parse(url, &u, err, sizeof(err)), 0);
	assert_int_equal(strlen(u.prefix), ETCD_PREFIX_MAX);
	etcd_url_free(&u);
	strcat(url, "a");
	expect_bad_url(url, "prefix longer than 256 bytes");
	memset(url + n, 'a', ETCD_URL_MAX);
	url[n + ETCD_URL_MAX] = '\0';
	expect_bad_url(url, "longer than 1024 bytes");
	/* A message never overruns a short buffer. */
	err[0] = 'x';
	assert_int_equal(etcd_url_parse("etcd://h:0/p", &u, err, 5), -EINVAL);
	assert_int_equal(strlen(err), 4);
}

/* --- replies -------------------------------------------------------------------------------- */

static int parse_range(const char *json, struct etcd_range *r)
{
	return etcd_parse_range(json, strlen(json), r);
}

static void test_range_reply(void **state)
{
	/* etcd 3.4: range of "foo" after put foo=bar (the dev-guide's example). */
	static const char reply[] =
	    "{" HDR("2") ",\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":"
	                 "\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":"
	                 "\"YmFy\"}],\"count\":\"1\"}";
	struct etcd_range r;

	(void)state;
	assert_int_equal(parse_range(reply, &r), 0);
	assert_int_equal(r.revision, 2);
	assert_int_equal(r.n, 1);
	assert_false(r.more);
	assert_int_equal(r.kvs[0].key_len, 3);
	assert_string_equal(r.kvs[0].key, "foo");
	assert_int_equal(r.kvs[0].value_len, 3);
	assert_memory_equal(r.kvs[0].value, "bar", 3);
	assert_int_equal(r.kvs[0].create_revision, 2);
	assert_int_equal(r.kvs[0].mod_revision, 2);
	assert_int_equal(r.kvs[0].version, 1);
	etcd_range_free(&r);
	assert_int_equal(r.n, 0);
	assert_null(r.kvs);
}

static void test_range_empty_and_zero_values(void **state)
{
	/* No kvs and no count: proto3 JSON leaves out what is empty (a miss, etcd 3.4). */
	static const char miss[] = "{" HDR("5") "}";
	/* A key put with an empty value has no "value"; "Zm8=" is "fo" (padding), "AP8K" 00 ff 0a.
	 */
	static const char two[] =
	    "{" HDR("7") ",\"kvs\":[{\"key\":\"Zm8=\",\"create_revision\":\"4\","
	                 "\"mod_revision\":\"4\",\"version\":\"1\"},{\"key\":\"Zm9vMQ==\","
	                 "\"create_revision\":\"6\",\"mod_revision\":\"7\",\"version\":\"2\","
	                 "\"value\":\"AP8K\"}],\"more\":true,\"count\":\"3\"}";
	struct etcd_range r;

	(void)state;
	assert_int_equal(parse_range(miss, &r), 0);
	assert_int_equal(r.revision, 5);
	assert_int_equal(r.n, 0);
	etcd_range_free(&r);
	assert_int_equal(parse_range(two, &r), 0);
	assert_int_equal(r.n, 2);
	assert_true(r.more);
	assert_string_equal(r.kvs[0].key, "fo");
	assert_int_equal(r.kvs[0].key_len, 2); /* the padding stands for no byte */
	assert_int_equal(r.kvs[0].value_len, 0);
	assert_non_null(r.kvs[0].value);
	assert_string_equal(r.kvs[1].key, "foo1");
	assert_int_equal(r.kvs[1].key_len, 4);
	assert_int_equal(r.kvs[1].value_len, 3);
	assert_memory_equal(r.kvs[1].value, "\x00\xff\x0a", 3);
	assert_int_equal(r.kvs[1].mod_revision, 7);
	etcd_range_free(&r);
}

static void test_range_bad_replies(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"\"header\"",
		"{}",                                                   /* no header */
		"{\"header\":1}",                                       /* header not an object */
		"{\"header\":{\"revision\":\"x\"}}",                    /* not a number */
		"{\"header\":{\"revision\":\"\"}}",                     /* empty */
		"{\"header\":{\"revision\":true}}",                     /* not a string or number */
		"{\"header\":{\"revision\":\"99999999999999999999\"}}", /* beyond int64 */
		"{" HDR("2") ",\"kvs\":{}}",                            /* kvs not an array */
		"{" HDR("2") ",\"kvs\":[1]}",                           /* a kv not an object */
		"{" HDR("2") ",\"kvs\":[{\"value\":\"YmFy\"}]}",        /* a kv without key */
		"{" HDR("2") ",\"kvs\":[{\"key\":\"Zm9\"}]}", /* not base64 of whole groups */
		"{" HDR("2") ",\"kvs\":[{\"key\":\"Zm9v\",\"value\":\"Y*Fy\"}]}", /* not base64 */
		"{" HDR("2") ",\"kvs\":[{\"key\":\"Zm9v\",\"value\":1}]}",        /* not a string */
		"{" HDR("2") ",\"kvs\":[{\"key\":\"Zm9v\"},{\"key\":7}]}", /* the second is bad */
		"{" HDR("2") "",                                           /* truncated */
	};
	struct etcd_range r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_range(bad[i], &r) != -EBADMSG)
			fail_msg("accepted or wrong error: %s", bad[i]);
		assert_int_equal(r.n, 0);
		assert_null(r.kvs);
	}
}

static void test_reply_size_bound(void **state)
{
	char *big = malloc(ETCD_REPLY_MAX + 1);
	struct etcd_range r;
	int64_t rev;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', ETCD_REPLY_MAX + 1);
	memcpy(big, "{" HDR("2") "}", strlen("{" HDR("2") "}"));
	assert_int_equal(etcd_parse_range(big, ETCD_REPLY_MAX + 1, &r), -EMSGSIZE);
	assert_int_equal(etcd_parse_write(big, ETCD_REPLY_MAX + 1, &rev, NULL), -EMSGSIZE);
	/* At the bound it parses (trailing white space is JSON's). */
	assert_int_equal(etcd_parse_range(big, ETCD_REPLY_MAX, &r), 0);
	assert_int_equal(r.revision, 2);
	etcd_range_free(&r);
	free(big);
}

static void test_write_replies(void **state)
{
	static const char put[] = "{" HDR("2") "}";
	static const char del[] = "{" HDR("5") ",\"deleted\":\"1\"}";
	static const char del0[] = "{" HDR("5") "}";
	int64_t rev = -1, n = -1;

	(void)state;
	assert_int_equal(etcd_parse_write(put, strlen(put), &rev, NULL), 0);
	assert_int_equal(rev, 2);
	assert_int_equal(etcd_parse_write(del, strlen(del), &rev, &n), 0);
	assert_int_equal(rev, 5);
	assert_int_equal(n, 1);
	assert_int_equal(etcd_parse_write(del0, strlen(del0), &rev, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(etcd_parse_write("{}", 2, &rev, &n), -EBADMSG);
}

static void test_txn_replies(void **state)
{
	/* etcd 3.4: compare mod_revision 2 of foo, put baz; then the same txn again. */
	static const char won[] =
	    "{" HDR("3") ",\"succeeded\":true,\"responses\":[{\"response_put\":"
	                 "{\"header\":{\"revision\":\"3\"}}}]}";
	static const char lost[] =
	    "{" HDR("3") ",\"responses\":[{\"response_range\":{\"header\":"
	                 "{\"revision\":\"3\"},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":"
	                 "\"2\",\"mod_revision\":\"3\",\"version\":\"2\",\"value\":\"YmF6\"}],"
	                 "\"count\":\"1\"}}]}";
	/* The compare failed and the key does not exist (deleted meanwhile). */
	static const char gone[] = "{" HDR("6") ",\"responses\":[{\"response_range\":{\"header\":"
	                                        "{\"revision\":\"6\"}}}]}";
	static const char *const bad[] = {
		"{" HDR("3") "}",                  /* failed, but no responses */
		"{" HDR("3") ",\"responses\":[]}", /* an empty list */
		"{" HDR("3") ",\"responses\":[{\"response_put\":{}}]}", /* not a range */
		"{" HDR("3") ",\"responses\":[{\"response_range\":{}},{\"response_range\":{}}]}",
		"{\"succeeded\":true}", /* no header */
	};
	struct etcd_kv cur;
	int64_t rev = 0;
	size_t i;

	(void)state;
	assert_int_equal(etcd_parse_txn(won, strlen(won), &cur, &rev), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(etcd_parse_txn(lost, strlen(lost), &cur, &rev), -ECANCELED);
	assert_string_equal(cur.key, "foo");
	assert_int_equal(cur.value_len, 3);
	assert_memory_equal(cur.value, "baz", 3);
	assert_int_equal(cur.mod_revision, 3);
	assert_int_equal(cur.create_revision, 2);
	etcd_kv_free(&cur);
	assert_int_equal(etcd_parse_txn(gone, strlen(gone), &cur, &rev), -ECANCELED);
	assert_int_equal(cur.create_revision, 0);
	assert_null(cur.key);
	assert_int_equal(etcd_parse_txn(lost, strlen(lost), NULL, NULL), -ECANCELED);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (etcd_parse_txn(bad[i], strlen(bad[i]), &cur, &rev) != -EBADMSG)
			fail_msg("accepted or wrong error: %s", bad[i]);
	}
}

static int parse_error(long status, const char *json)
{
	return etcd_parse_error(status, json, strlen(json));
}

static void test_error_replies(void **state)
{
	(void)state;
	assert_int_equal(parse_error(200, "{" HDR("2") "}"), 0);
	/* Captured from etcd 3.4.23 members without a leader (a lost quorum). */
	assert_int_equal(parse_error(503,
	                             "{\"error\":\"etcdserver: request timed out\",\"message\":"
	                             "\"etcdserver: request timed out\",\"code\":14}"),
	                 -EAGAIN);
	assert_int_equal(parse_error(500, "{\"error\":\"context deadline exceeded\",\"message\":"
	                                  "\"context deadline exceeded\",\"code\":2}"),
	                 -ETIMEDOUT);
	/* A body that is not JSON, and a revision that was compacted (captured too). */
	assert_int_equal(parse_error(400,
	                             "{\"error\":\"invalid character 'x' looking for beginning "
	                             "of value\",\"message\":\"invalid character 'x' looking "
	                             "for beginning of value\",\"code\":3}"),
	                 -EINVAL);
	assert_int_equal(parse_error(400,
	                             "{\"error\":\"etcdserver: mvcc: required revision has been "
	                             "compacted\",\"message\":\"etcdserver: mvcc: required "
	                             "revision has been compacted\",\"code\":11}"),
	                 -ESTALE);
	assert_int_equal(parse_error(500, "{\"error\":\"x\",\"code\":2}"), -EIO);
	assert_int_equal(parse_error(503, "Service Unavailable"), -EAGAIN);
	assert_int_equal(parse_error(502, "<html>Bad Gateway</html>"), -EIO);
	assert_int_equal(parse_error(404, ""), -EIO);
}

/* --- watch ---------------------------------------------------------------------------------- */

/* The stream of etcd 3.4 for a watch of prefix "foo" from revision 2 (one message a line). */
static const char stream[] = "{\"result\":{" HDR(
    "3") ",\"created\":true}}\n"
         "{\"result\":{" HDR(
             "3") ",\"events\":[{\"kv\":{\"key\":\"Zm9v\",\"create_revision\":\"2\","
                  "\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"YmFy\"}},{\"kv\":{\"key\":"
                  "\"Zm9v\","
                  "\"create_revision\":\"2\",\"mod_revision\":\"3\",\"version\":\"2\",\"value\":"
                  "\"YmF6\"}}]}}\n"
                  "{\"result\":{" HDR(
                      "4") ",\"events\":[{\"kv\":{\"key\":\"Zm9vMQ==\",\"create_revision\":"
                           "\"4\",\"mod_revision\":\"4\",\"version\":\"1\"}}]}}\n"
                           "{\"result\":{" HDR(
                               "5") ",\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"Zm9v\","
                                    "\"mod_revision\":\"5\"}}]}}\n";

static void test_watch_messages(void **state)
{
	const char *l1 = stream, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1,
	           *l4 = strchr(l3, '\n') + 1;
	struct etcd_watch_msg m;

	(void)state;
	assert_int_equal(etcd_parse_watch(l1, (size_t)(l2 - l1), &m), 0);
	assert_int_equal(m.kind, ETCD_WATCH_CREATED);
	assert_int_equal(m.revision, 3);
	assert_int_equal(m.n, 0);
	etcd_watch_msg_free(&m);
	assert_int_equal(etcd_parse_watch(l2, (size_t)(l3 - l2), &m), 0);
	assert_int_equal(m.kind, ETCD_WATCH_EVENTS);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.events[0].type, ETCD_PUT);
	assert_string_equal(m.events[0].kv.key, "foo");
	assert_memory_equal(m.events[0].kv.value, "bar", 3);
	assert_int_equal(m.events[0].kv.mod_revision, 2);
	assert_int_equal(m.events[1].kv.mod_revision, 3);
	assert_memory_equal(m.events[1].kv.value, "baz", 3);
	etcd_watch_msg_free(&m);
	assert_int_equal(etcd_parse_watch(l3, (size_t)(l4 - l3), &m), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.events[0].kv.key, "foo1");
	assert_int_equal(m.events[0].kv.value_len, 0);
	etcd_watch_msg_free(&m);
	assert_int_equal(etcd_parse_watch(l4, strlen(l4), &m), 0);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.events[0].type, ETCD_DELETE);
	assert_int_equal(m.events[0].kv.mod_revision, 5);
	assert_int_equal(m.events[0].kv.create_revision, 0);
	etcd_watch_msg_free(&m);
}

static int parse_watch(const char *json, struct etcd_watch_msg *m)
{
	return etcd_parse_watch(json, strlen(json), m);
}

static void test_watch_cancel_and_errors(void **state)
{
	/* etcd 3.4 after `compaction 4`, to a watch from revision 2: no header revision. */
	static const char compacted[] =
	    "{\"result\":{\"header\":{\"cluster_id\":\"32495259120064371"
	    "9\",\"member_id\":\"3319814642761637952\",\"raft_term\":"
	    "\"2\"},\"canceled\":true,\"compact_revision\":\"4\"}}";
	static const char canceled[] =
	    "{\"result\":{" HDR("9") ",\"canceled\":true,"
	                             "\"cancel_reason\":\"etcdserver: no leader\"}}";
	/* etcd 3.4.23, a watch with hasleader on a member without a leader (captured). */
	static const char noleader[] = "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":"
	                               "\"etcdserver: no leader\",\"http_status\":\"Service "
	                               "Unavailable\"}}";
	static const char progress[] = "{\"result\":{" HDR("12") "}}";
	static const char *const bad[] = {
		"{}",
		"{\"result\":1}",
		"{\"result\":{}}",
		"{\"result\":{" HDR(
		    "3") ",\"events\":[{\"type\":\"PATCH\",\"kv\":{\"key\":\"Zm9v\"}}]}}",
		"{\"result\":{" HDR("3") ",\"events\":[{\"type\":\"PUT\"}]}}",
		"{\"result\":{" HDR("3") ",\"events\":{}}}",
		"{\"result\":{" HDR("3") ",\"compact_revision\":\"x\"}}",
	};
	struct etcd_watch_msg m;
	size_t i;

	(void)state;
	assert_int_equal(parse_watch(compacted, &m), 0);
	assert_int_equal(m.kind, ETCD_WATCH_COMPACTED);
	assert_int_equal(m.compact_revision, 4);
	etcd_watch_msg_free(&m);
	assert_int_equal(parse_watch(canceled, &m), 0);
	assert_int_equal(m.kind, ETCD_WATCH_CANCELED);
	etcd_watch_msg_free(&m);
	assert_int_equal(parse_watch(progress, &m), 0);
	assert_int_equal(m.kind, ETCD_WATCH_EVENTS);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.revision, 12);
	etcd_watch_msg_free(&m);
	assert_int_equal(parse_watch(noleader, &m), -EAGAIN);
	assert_int_equal(parse_watch("{\"error\":{\"message\":\"?\"}}", &m), -EIO);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_watch(bad[i], &m) != -EBADMSG)
			fail_msg("accepted or wrong error: %s", bad[i]);
		assert_int_equal(m.n, 0);
		assert_null(m.events);
	}
}

struct lines {
	char got[4][2048];
	size_t n;
	int fail_at; /* return -EIO for this line (1-based), 0 never */
};

static int collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;

	if (l->n >= 4 || len >= sizeof(l->got[0]))
		return -E2BIG;
	memcpy(l->got[l->n], line, len);
	l->got[l->n][len] = '\0';
	l->n++;
	return (int)l->n == l->fail_at ? -EIO : 0;
}

/* The stream cut into pieces of every size from 1 to all of it gives the same four lines. */
static void test_watch_framing(void **state)
{
	size_t len = strlen(stream), step, off, i;
	const char *p;

	(void)state;
	for (step = 1; step <= len; step++) {
		struct etcd_lines fr = { .max = ETCD_WATCH_LINE_MAX };
		struct lines l = { .n = 0 };

		buf_init(&fr.b);
		for (off = 0; off < len; off += step) {
			size_t n = len - off < step ? len - off : step;

			assert_int_equal(etcd_lines_feed(&fr, stream + off, n, collect, &l), 0);
		}
		assert_int_equal(l.n, 4);
		assert_int_equal(fr.b.len, 0);
		for (i = 0, p = stream; i < 4; i++) {
			const char *nl = strchr(p, '\n');

			assert_int_equal(strlen(l.got[i]), (size_t)(nl - p));
			assert_memory_equal(l.got[i], p, (size_t)(nl - p));
			p = nl + 1;
		}
		buf_free(&fr.b);
	}
}

static void test_watch_framing_limits(void **state)
{
	struct etcd_lines fr = { .max = 10 };
	struct lines l = { .n = 0 };

	(void)state;
	buf_init(&fr.b);
	/* Empty lines (keep-alive newlines) are no messages; a line of max bytes is fine. */
	assert_int_equal(etcd_lines_feed(&fr, "\n\n0123456789\n", 13, collect, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.got[0], "0123456789");
	/* A partial line is kept; past max, whole or in pieces, it is refused. */
	assert_int_equal(etcd_lines_feed(&fr, "01234", 5, collect, &l), 0);
	assert_int_equal(etcd_lines_feed(&fr, "56789", 5, collect, &l), 0);
	assert_int_equal(etcd_lines_feed(&fr, "a", 1, collect, &l), -EMSGSIZE);
	buf_reset(&fr.b);
	assert_int_equal(etcd_lines_feed(&fr, "0123456789a\n", 12, collect, &l), -EMSGSIZE);
	assert_int_equal(l.n, 1);
	/* The callback's error ends the feed at that line. */
	buf_reset(&fr.b);
	l.fail_at = 2;
	assert_int_equal(etcd_lines_feed(&fr, "x\ny\nz\n", 6, collect, &l), -EIO);
	assert_int_equal(l.n, 2);
	buf_free(&fr.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_one_endpoint),
		cmocka_unit_test(test_url_several_endpoints),
		cmocka_unit_test(test_url_bad),
		cmocka_unit_test(test_url_limits),
		cmocka_unit_test(test_range_reply),
		cmocka_unit_test(test_range_empty_and_zero_values),
		cmocka_unit_test(test_range_bad_replies),
		cmocka_unit_test(test_reply_size_bound),
		cmocka_unit_test(test_write_replies),
		cmocka_unit_test(test_txn_replies),
		cmocka_unit_test(test_error_replies),
		cmocka_unit_test(test_watch_messages),
		cmocka_unit_test(test_watch_cancel_and_errors),
		cmocka_unit_test(test_watch_framing),
		cmocka_unit_test(test_watch_framing_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
