/* Input for a child's stdin (a pipe, or the pty master): what the attach
 * clients send is queued here and written as the child reads it, so a
 * child that does not read its stdin never blocks the monitor. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"

/* Past this much waiting input the clients are not read any more. */
#define INPUT_QUEUE_MAX (64 * 1024)

static void input_event(struct watch *w, uint32_t events);

void input_init(struct input_queue *q, int fd, bool tty, void (*on_ready)(void *ctx), void *ctx)
{
	*q = (struct input_queue){.fd = fd, .tty = tty, .on_ready = on_ready, .ctx = ctx};
	q->closed = fd < 0;
}

static void input_end(struct input_queue *q)
{
	loop_unwatch(&q->w);
	q->len = 0;
	q->closed = true;
	/* A pty master is the output too: it stays open, input just ends. */
	if (!q->tty && q->fd >= 0) {
		close(q->fd);
		q->fd = -1;
	}
}

static void input_flush(struct input_queue *q)
{
	while (q->len > 0 && !q->closed) {
		ssize_t n = write(q->fd, q->buf, q->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* The child closed its stdin: drop what is queued. */
			input_end(q);
			break;
		}
		memmove(q->buf, q->buf + n, q->len - (size_t)n);
		q->len -= (size_t)n;
	}
	if (q->len > 0 && !q->closed) {
		hutch_error err = {0};
		if (!q->w.active && loop_watch(&q->w, q->fd, EPOLLOUT, input_event, q, &err) < 0)
			log_warning("stdin: %s", err.msg);
		return;
	}
	loop_unwatch(&q->w);
	if (q->closing && !q->closed)
		input_end(q);
	if (q->on_ready != NULL)
		q->on_ready(q->ctx);
}

static void input_event(struct watch *w, uint32_t events)
{
	(void)events;
	input_flush(w->ctx);
}

bool input_full(const struct input_queue *q)
{
	return q->len >= INPUT_QUEUE_MAX;
}

void input_write(struct input_queue *q, const char *data, size_t len)
{
	if (q->closed || q->closing)
		return;
	char *grown = realloc(q->buf, q->len + len);
	if (grown == NULL) {
		log_warning("stdin: out of memory, input dropped");
		return;
	}
	q->buf = grown;
	memcpy(q->buf + q->len, data, len);
	q->len += len;
	input_flush(q);
}

void input_close(struct input_queue *q)
{
	if (q->closed)
		return;
	q->closing = true;
	input_flush(q);
}

void input_free(struct input_queue *q)
{
	loop_unwatch(&q->w);
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->closed = true;
	free(q->buf);
	q->buf = NULL;
	q->len = 0;
}
