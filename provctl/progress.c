/*
 * progress.c - a progress line on standard error when it is a terminal (progress.h).
 *
 * The first line waits PROGRESS_DELAY_MS: work that ends sooner shows nothing, so a small
 * inventory's output looks the same on a terminal as in a pipe.
 */
#include "provctl/progress.h"

#include "inventory/diag.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_DELAY_MS    300
#define PROGRESS_INTERVAL_MS 100

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void progress_start(struct progress *p, const char *what, size_t total)
{
	p->what = what;
	p->total = total;
	p->on = isatty(STDERR_FILENO) == 1;
	p->shown = false;
	p->next_ms = p->on ? now_ms() + PROGRESS_DELAY_MS : 0;
}

void progress_tick(struct progress *p, size_t done)
{
	int64_t now;

	if (!p->on || (done & 255) != 0) /* the clock is read once per 256 steps */
		return;
	now = now_ms();
	if (now < p->next_ms)
		return;
	p->next_ms = now + PROGRESS_INTERVAL_MS;
	fprintf(stderr, "\r%s: %zu/%zu (%zu%%)", p->what, done, p->total,
	        p->total > 0 ? done * 100 / p->total : 100);
	fflush(stderr);
	p->shown = true;
}

void progress_note(struct progress *p, const char *what, const char *object)
{
	char q[DIAG_QUOTE_SIZE];

	progress_start(p, what, 0);
	if (!p->on)
		return;
	/* object is a path typed on the command line: no escape sequence of it reaches the tty */
	fprintf(stderr, "\r%s %s ...", what, diag_quote(q, object));
	fflush(stderr);
	p->shown = true;
}

void progress_end(struct progress *p)
{
	if (p->shown)
		fprintf(stderr, "\r\033[K");
	p->shown = false;
}
