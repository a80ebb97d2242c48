/* The monitor's one epoll loop. One thread, because the monitor joins the
 * sandbox with setns (refused to threaded callers) and because a single
 * loop needs no locks around the container's state. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

static int epoll_fd = -1;

int loop_init(hutch_error *err)
{
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0)
		return hutch_fail(err, errno, "epoll_create1");
	return 0;
}

int loop_watch(struct watch *w, int fd, uint32_t events, watch_fn fn, void *ctx, hutch_error *err)
{
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->ctx = ctx;
	struct epoll_event ev = {.events = events, .data.ptr = w};
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return hutch_fail(err, errno, "epoll_ctl add fd %d", fd);
	w->active = true;
	return 0;
}

void loop_update(struct watch *w, uint32_t events)
{
	if (!w->active || w->events == events)
		return;
	w->events = events;
	struct epoll_event ev = {.events = events, .data.ptr = w};
	epoll_ctl(epoll_fd, EPOLL_CTL_MOD, w->fd, &ev);
}

void loop_unwatch(struct watch *w)
{
	if (!w->active)
		return;
	epoll_ctl(epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
	w->active = false;
}

int loop_run_once(int timeout_ms)
{
	/* One event per wait: a handler may free other watches, and a stale
	 * pointer from the same batch would then be used. */
	struct epoll_event ev;
	int n = epoll_wait(epoll_fd, &ev, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 1) {
		struct watch *w = ev.data.ptr;
		if (w->active)
			w->fn(w, ev.events);
	}
	return n;
}

int signals_open(hutch_error *err)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return hutch_fail(err, errno, "sigprocmask");
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return hutch_fail(err, errno, "signalfd");
	return fd;
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rfc3339_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}
