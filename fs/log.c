/*
 * log.c - one logger for provfs and for libfuse's own messages.
 *
 * One call is one line, whatever its arguments held: the formatted message is escaped
 * (diag_escape: control and non-ASCII bytes as \n, \xNN, ...) before it is written. The
 * inventory's messages are escaped already; this is the defence for every other caller
 * (an inventory path with a line break in it would otherwise forge a line of its own).
 */
#include "fs/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "fs/fuse_api.h"
#include "inventory/diag.h"

/* A longer message is cut: syslog keeps about this much of a line anyway. */
#define LOG_LINE_MAX 4096

static int use_stderr = 1;

static void vlog(int priority, const char *fmt, va_list ap)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	diag_escape(line, sizeof(line), raw);
	if (use_stderr) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		flockfile(stderr);
		fprintf(stderr, "%s provfs: %s\n", stamp, line);
		funlockfile(stderr);
	} else {
		syslog(priority, "%s", line);
	}
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(priority, fmt, ap);
	va_end(ap);
}

/* libfuse's levels are syslog's. Its messages end in a newline already; ours add one. */
static void fuse_log_to_ours(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = 0;
	while (msg[n] != '\0')
		n++;
	if (n > 0 && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	log_msg((int)level, "%s", msg);
}

void log_init(int foreground)
{
	use_stderr = foreground;
	if (!foreground)
		openlog("provfs", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	fuse_set_log_func(fuse_log_to_ours);
}
