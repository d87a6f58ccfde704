/*
 * progress.h - "what: N/TOTAL" on a terminal for long work (export, diff, check of 100,000
 * devices). Only when standard error is a terminal: scripts and tests see clean output.
 */
#ifndef PROVFS_PROGRESS_H
#define PROVFS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress {
	const char *what;
	size_t total;
	int64_t next_ms; /* no line before this time: redrawing costs more than the work */
	bool on;         /* standard error is a terminal */
	bool shown;      /* a line is on screen (cleared at the end) */
};

void progress_start(struct progress *p, const char *what, size_t total);

/* Work done so far; draws at most every 100 ms. */
void progress_tick(struct progress *p, size_t done);

/* One line for work that cannot count its steps (loading): shown at once, cleared by end. */
void progress_note(struct progress *p, const char *what, const char *object);

/* Clears the line, so that what follows starts on a clean one. */
void progress_end(struct progress *p);

#endif
