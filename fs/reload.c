/*
 * reload.c - SIGHUP -> self-pipe -> reloader thread -> new generation + invalidation.
 *
 * Invalidation runs on this thread, never inside a request handler, as libfuse requires
 * for the notify calls. It covers every file name of the old and the new generation; an
 * -ENOENT from the kernel only means it had nothing cached for that name.
 */
#include "fs/reload.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "backend/files.h"
#include "backend/tree.h"

#include "fs/gen.h"
#include "fs/log.h"
#include "inventory/inventory.h"

enum {
	WAKE_RELOAD = 'r',
	WAKE_QUIT = 'q',
};

/* The write end for the signal handler: a handler can reach nothing else. */
static volatile sig_atomic_t wake_fd = -1;

static void on_sighup(int sig)
{
	char c = WAKE_RELOAD;
	int saved = errno;

	(void)sig;
	if (wake_fd >= 0 && write(wake_fd, &c, 1) < 0) {
		/* the pipe is full: a reload is already pending */
	}
	errno = saved;
}

struct inval_ctx {
	struct fuse_session *se;
	const struct tree *tree;
};

static int invalidate_file(void *ctx, const struct file_ref *ref, const char *name)
{
	struct inval_ctx *ic = ctx;

	fuse_lowlevel_notify_inval_entry(ic->se, FILE_INO_ROOT, name, strlen(name));
	fuse_lowlevel_notify_inval_inode(ic->se, file_ino(ic->tree, ref), 0, 0);
	return 0;
}

static void invalidate(struct fuse_session *se, const struct gen *old, const struct gen *cur)
{
	struct inval_ctx ctx = { se, NULL };

	if (se == NULL)
		return;
	if (old != NULL) {
		ctx.tree = old->tree;
		file_foreach(old->tree, true, invalidate_file, &ctx);
	}
	ctx.tree = cur->tree;
	file_foreach(cur->tree, true, invalidate_file, &ctx);
	/* the directory's attributes (mtime) and listing */
	fuse_lowlevel_notify_inval_inode(se, FILE_INO_ROOT, 0, 0);
}

int reload_now(struct provfs *fs)
{
	struct tree *t;
	struct gen *g, *old;
	struct diag d;
	int r;

	diag_init(&d);
	r = tree_load(fs->inventory, &t, &d);
	if (r < 0) {
		for (size_t i = 0; i < d.n; i++)
			log_msg(LOG_ERR, "%s", d.msgs[i]);
		log_msg(LOG_ERR, "reload of %s failed: still serving generation %llu",
		        fs->inventory, (unsigned long long)fs->generation);
		diag_free(&d);
		return r;
	}
	diag_free(&d);
	g = gen_new(t, fs->generation + 1);
	if (g == NULL) {
		tree_free(t);
		log_msg(LOG_ERR, "reload: out of memory: still serving generation %llu",
		        (unsigned long long)fs->generation);
		return -ENOMEM;
	}
	fs->generation++;
	old = gen_swap(g);
	invalidate(fs->se, old, g);
	log_msg(LOG_INFO, "reloaded %s: generation %llu, %u devices", fs->inventory,
	        (unsigned long long)g->number, (unsigned)t->inv->ndevices);
	gen_put(old);
	return 0;
}

static void *reload_main(void *arg)
{
	struct provfs *fs = arg;
	struct pollfd pfd = { .fd = fs->wake[0], .events = POLLIN };

	for (;;) {
		char buf[64];
		ssize_t n;
		int quit = 0, reload = 0;

		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "reloader: poll: %s", strerror(errno));
			return NULL;
		}
		/* several SIGHUPs in a row make one reload */
		while ((n = read(fs->wake[0], buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < n; i++) {
				quit |= buf[i] == WAKE_QUIT;
				reload |= buf[i] == WAKE_RELOAD;
			}
		if (quit)
			return NULL;
		if (reload)
			reload_now(fs);
	}
}

int reload_start(struct provfs *fs)
{
	struct sigaction sa;
	int r;

	if (pipe2(fs->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	wake_fd = fs->wake[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	/* replaces libfuse's handler, which would end the session on SIGHUP */
	if (sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	r = pthread_create(&fs->reloader, NULL, reload_main, fs);
	if (r != 0) {
		signal(SIGHUP, SIG_IGN);
		return -r;
	}
	fs->reloader_running = 1;
	return 0;
}

void reload_stop(struct provfs *fs)
{
	char c = WAKE_QUIT;

	if (!fs->reloader_running)
		return;
	signal(SIGHUP, SIG_IGN);
	wake_fd = -1;
	if (write(fs->wake[1], &c, 1) < 0) {
		/* cannot happen with an empty pipe; the join would hang, so say why */
		log_msg(LOG_ERR, "reloader: cannot wake: %s", strerror(errno));
	}
	pthread_join(fs->reloader, NULL);
	fs->reloader_running = 0;
	close(fs->wake[0]);
	close(fs->wake[1]);
}
