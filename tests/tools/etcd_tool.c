/*
 * etcd_tool.c - drives the etcd client (state/etcd.h) from tests/integration/t_etcd.sh, one
 * operation per run, so that a test can run several at once as separate processes.
 *
 *   etcd_tool URL get KEY                      "VALUE mod=N create=N" or "ENOENT" (status 2)
 *   etcd_tool URL put KEY VALUE                "rev=N"
 *   etcd_tool URL del KEY                      "deleted=N rev=N"
 *   etcd_tool URL range PREFIX                 "KEY=VALUE mod=N" a line, then "rev=N"
 *   etcd_tool URL cas KEY absent|mod=N|value=V NEW
 *                                              "ok rev=N", or "canceled VALUE mod=N" (status 3)
 *   etcd_tool URL incr KEY ID COUNT [PAUSE_MS]  COUNT increments of a shared counter (below)
 *   etcd_tool URL watch PREFIX FROM_REV OUT    every event a line in OUT until SIGTERM
 *
 * KEY and PREFIX are relative to the URL's prefix. An error prints "error E" (E the errno's
 * name, e.g. EAGAIN) and gives status 1. Values are text. With ETCD_TOOL_TIMING set, the time
 * the operation took inside the client (without this process's start) goes to stderr as
 * "took_ms=N".
 *
 * The counter of incr: its value is "N ID:S ID:S ...", N the count and S the last increment of
 * writer ID that made it in. Each increment reads the key and writes N+1 with its own S+1 by
 * compare-and-swap on the mod_revision it read; when the compare fails it reads again. After an
 * error whose outcome is unknown (etcd gone mid-request: -ETIMEDOUT, -EAGAIN) the next read
 * shows whether the increment made it (S already there): so each increment counts exactly once,
 * and a counter that ends above or below the sum of all writers' COUNTs means the client lost
 * or doubled a write. Each increment gives up after 30 s of errors (status 1).
 */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state/etcd.h"

static const char *errname(int e)
{
	switch (-e) {
	case EAGAIN:
		return "EAGAIN";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ECANCELED:
		return "ECANCELED";
	case ENOENT:
		return "ENOENT";
	case ESTALE:
		return "ESTALE";
	case EBADMSG:
		return "EBADMSG";
	case EMSGSIZE:
		return "EMSGSIZE";
	case EINVAL:
		return "EINVAL";
	case EIO:
		return "EIO";
	case ENOMEM:
		return "ENOMEM";
	default:
		return "E?";
	}
}

static int fail(int rc)
{
	printf("error %s\n", errname(rc));
	return 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The count and ID's last increment in a counter value "N ID:S ..."; 0 for what is missing. */
static void counter_parse(const char *v, const char *id, long *n, long *seq)
{
	size_t idlen = strlen(id);
	const char *p;

	*n = strtol(v, NULL, 10);
	*seq = 0;
	for (p = strchr(v, ' '); p != NULL; p = strchr(p + 1, ' ')) {
		if (strncmp(p + 1, id, idlen) == 0 && p[1 + idlen] == ':')
			*seq = strtol(p + 2 + idlen, NULL, 10);
	}
}

/* "N+1" and every writer's S as in v, ID's set to seq (appended if it is new). */
static void counter_next(const char *v, const char *id, long n, long seq, char *out, size_t len)
{
	size_t idlen = strlen(id), used;
	const char *p, *end;
	int found = 0;

	used = (size_t)snprintf(out, len, "%ld", n + 1);
	for (p = strchr(v, ' '); p != NULL && used < len; p = end) {
		end = strchr(p + 1, ' ');
		if (strncmp(p + 1, id, idlen) == 0 && p[1 + idlen] == ':') {
			used += (size_t)snprintf(out + used, len - used, " %s:%ld", id, seq);
			found = 1;
		} else {
			used +=
			    (size_t)snprintf(out + used, len - used, "%.*s",
			                     (int)(end != NULL ? (size_t)(end - p) : strlen(p)), p);
		}
	}
	if (!found && used < len)
		snprintf(out + used, len - used, " %s:%ld", id, seq);
}

static int incr(struct etcd_client *c, const char *key, const char *id, long count, long pause)
{
	long s, n, seq, errors = 0, conflicts = 0, worst = 0;
	char next[4096];

	for (s = 1; s <= count; s++) {
		int64_t start = now_ms(), took;

		for (;;) {
			struct etcd_kv kv;
			struct etcd_cas op = { .key = key };
			int rc = etcd_get(c, key, &kv, NULL);

			if (rc == -ENOENT) {
				op.cmp = ETCD_CMP_ABSENT;
				n = 0;
				seq = 0;
				counter_next("0", id, 0, s, next, sizeof(next));
			} else if (rc == 0) {
				op.cmp = ETCD_CMP_MOD_REVISION;
				op.mod_revision = kv.mod_revision;
				counter_parse((const char *)kv.value, id, &n, &seq);
				counter_next((const char *)kv.value, id, n, s, next, sizeof(next));
				etcd_kv_free(&kv);
			}
			if (rc == 0 || rc == -ENOENT) {
				if (seq >= s)
					break; /* an earlier attempt of this increment made it */
				op.value = next;
				op.value_len = strlen(next);
				rc = etcd_cas(c, &op, NULL, NULL);
				if (rc == 0)
					break;
				if (rc == -ECANCELED) {
					conflicts++;
					continue;
				}
			}
			errors++;
			if (rc != -EAGAIN && rc != -ETIMEDOUT)
				return fail(rc);
			if (now_ms() - start > 30000)
				return fail(rc);
			sleep_ms(50);
		}
		took = now_ms() - start;
		if (took > worst)
			worst = (long)took;
		if (pause > 0)
			sleep_ms(pause);
	}
	printf("incr %s done %ld conflicts=%ld errors=%ld slowest_ms=%ld\n", id, count, conflicts,
	       errors, worst);
	return 0;
}

struct watch_out {
	FILE *f;
};

static void on_event(void *ctx, const struct etcd_event *ev)
{
	struct watch_out *o = ctx;

	fprintf(o->f, "%" PRId64 " %s %s %.*s\n", ev->kv.mod_revision,
	        ev->type == ETCD_PUT ? "PUT" : "DELETE", ev->kv.key, (int)ev->kv.value_len,
	        (const char *)ev->kv.value);
	fflush(o->f);
}

static void on_reset(void *ctx, const struct etcd_range *snap)
{
	struct watch_out *o = ctx;

	fprintf(o->f, "# reset %" PRId64 " %zu\n", snap->revision, snap->n);
	fflush(o->f);
}

static void on_status(void *ctx, int err)
{
	struct watch_out *o = ctx;

	fprintf(o->f, "# status %s\n", err == 0 ? "connected" : errname(err));
	fflush(o->f);
}

static int watch(struct etcd_client *c, const char *prefix, int64_t from, const char *path)
{
	struct watch_out o;
	struct etcd_watch_cb cb = { on_event, on_reset, on_status, &o };
	struct etcd_watch *w;
	sigset_t set;
	int sig, rc;

	/* Blocked before the watch thread starts, so that only sigwait sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	o.f = fopen(path, "a");
	if (o.f == NULL)
		return fail(-errno);
	rc = etcd_watch_start(c, prefix, from, &cb, &w);
	if (rc < 0) {
		fclose(o.f);
		return fail(rc);
	}
	sigwait(&set, &sig);
	fprintf(o.f, "# stopping at %" PRId64 "\n", etcd_watch_revision(w));
	etcd_watch_stop(w);
	fclose(o.f);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: etcd_tool URL get|put|del|range|cas|incr|watch ARGS...\n");
	return 64;
}

int main(int argc, char **argv)
{
	struct etcd_client *c;
	char err[256], key[512];
	int64_t rev = 0, n = 0, t0;
	struct etcd_kv kv;
	int rc;

	if (argc < 4)
		return usage();
	rc = etcd_client_new(argv[1], &c, err, sizeof(err));
	if (rc < 0) {
		printf("error %s: %s\n", errname(rc), err);
		return 1;
	}
	snprintf(key, sizeof(key), "%s/%s", etcd_client_prefix(c), argv[3]);
	t0 = now_ms();
	if (strcmp(argv[2], "get") == 0) {
		rc = etcd_get(c, key, &kv, NULL);
		if (rc == 0) {
			printf("%s mod=%" PRId64 " create=%" PRId64 "\n", (const char *)kv.value,
			       kv.mod_revision, kv.create_revision);
			etcd_kv_free(&kv);
		} else if (rc == -ENOENT) {
			printf("ENOENT\n");
			rc = 2;
		}
	} else if (strcmp(argv[2], "put") == 0 && argc == 5) {
		rc = etcd_put(c, key, argv[4], strlen(argv[4]), &rev);
		if (rc == 0)
			printf("rev=%" PRId64 "\n", rev);
	} else if (strcmp(argv[2], "del") == 0) {
		rc = etcd_delete(c, key, &n, &rev);
		if (rc == 0)
			printf("deleted=%" PRId64 " rev=%" PRId64 "\n", n, rev);
	} else if (strcmp(argv[2], "range") == 0) {
		struct etcd_range r;
		size_t i;

		rc = etcd_range_prefix(c, key, 0, &r);
		for (i = 0; rc == 0 && i < r.n; i++)
			printf("%s=%s mod=%" PRId64 "\n", r.kvs[i].key,
			       (const char *)r.kvs[i].value, r.kvs[i].mod_revision);
		if (rc == 0) {
			printf("rev=%" PRId64 "\n", r.revision);
			etcd_range_free(&r);
		}
	} else if (strcmp(argv[2], "cas") == 0 && argc == 6) {
		struct etcd_cas op = { .key = key, .value = argv[5], .value_len = strlen(argv[5]) };

		if (strcmp(argv[4], "absent") == 0) {
			op.cmp = ETCD_CMP_ABSENT;
		} else if (strncmp(argv[4], "mod=", 4) == 0) {
			op.cmp = ETCD_CMP_MOD_REVISION;
			op.mod_revision = strtoll(argv[4] + 4, NULL, 10);
		} else if (strncmp(argv[4], "value=", 6) == 0) {
			op.cmp = ETCD_CMP_VALUE;
			op.expect = argv[4] + 6;
			op.expect_len = strlen(argv[4] + 6);
		} else {
			etcd_client_free(c);
			return usage();
		}
		rc = etcd_cas(c, &op, &kv, &rev);
		if (rc == 0) {
			printf("ok rev=%" PRId64 "\n", rev);
		} else if (rc == -ECANCELED) {
			printf("canceled %s mod=%" PRId64 "\n",
			       kv.create_revision != 0 ? (const char *)kv.value : "(absent)",
			       kv.mod_revision);
			etcd_kv_free(&kv);
			rc = 3;
		}
	} else if (strcmp(argv[2], "incr") == 0 && argc >= 6) {
		rc = incr(c, key, argv[4], strtol(argv[5], NULL, 10),
		          argc > 6 ? strtol(argv[6], NULL, 10) : 0);
	} else if (strcmp(argv[2], "watch") == 0 && argc == 6) {
		rc = watch(c, key, strtoll(argv[4], NULL, 10), argv[5]);
	} else {
		etcd_client_free(c);
		return usage();
	}
	etcd_client_free(c);
	if (getenv("ETCD_TOOL_TIMING") != NULL)
		fprintf(stderr, "took_ms=%lld\n", (long long)(now_ms() - t0));
	if (rc < 0)
		return fail(rc);
	return rc;
}
