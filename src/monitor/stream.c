/* One attach stream (an attach client, or the connection of an exec):
 * output in Docker's framing (8-byte header: stream, 0, 0, 0, size as
 * 32-bit big endian) or raw with a tty, buffered up to 1 MiB for a slow
 * client, and input handed to the owner. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "file-util.h"
#include "monitor.h"

#define READ_CHUNK (32 * 1024)

static void stream_event(struct watch *w, uint32_t events);

static uint32_t wanted_events(const struct stream *s)
{
	uint32_t ev = 0;
	if (s->want_stdin && !s->input_closed && !s->input_paused)
		ev |= EPOLLIN;
	if (s->len > 0)
		ev |= EPOLLOUT;
	return ev;
}

int stream_open(struct stream *s, int fd, hutch_error *err)
{
	s->fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return loop_watch(&s->w, fd, wanted_events(s), stream_event, s, err);
}

void stream_close(struct stream *s)
{
	if (s->fd < 0)
		return;
	loop_unwatch(&s->w);
	if (!s->peer_ends)
		shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
	if (s->on_gone != NULL)
		s->on_gone(s);
}

/* Write what is queued; false when the stream was closed. */
static bool stream_flush(struct stream *s)
{
	while (s->len > 0) {
		ssize_t n = send(s->fd, s->buf, s->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == ENOTSOCK)
			n = write(s->fd, s->buf, s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			stream_close(s);
			return false;
		}
		memmove(s->buf, s->buf + n, s->len - (size_t)n);
		s->len -= (size_t)n;
	}
	if (s->len == 0 && s->closing) {
		stream_close(s);
		return false;
	}
	loop_update(&s->w, wanted_events(s));
	return true;
}

static bool queue(struct stream *s, const void *data, size_t len)
{
	if (s->len + len > STREAM_BUFFER_MAX)
		return false;
	if (s->len + len > s->cap) {
		size_t want = s->cap > 0 ? s->cap : 16384;
		while (want < s->len + len)
			want *= 2;
		if (want > STREAM_BUFFER_MAX)
			want = STREAM_BUFFER_MAX;
		char *grown = realloc(s->buf, want);
		if (grown == NULL)
			return false;
		s->buf = grown;
		s->cap = want;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return true;
}

bool stream_send(struct stream *s, int which, const char *data, size_t len)
{
	if (s->fd < 0 || s->closing)
		return false;
	if ((which == 1 && !s->want_stdout) || (which == 2 && !s->want_stderr))
		return true;
	unsigned char header[8] = {(unsigned char)which,
				   0,
				   0,
				   0,
				   (unsigned char)(len >> 24),
				   (unsigned char)(len >> 16),
				   (unsigned char)(len >> 8),
				   (unsigned char)len};
	/* A client that cannot keep up is dropped rather than letting the
	 * container (and its log) wait for it. */
	if ((!s->tty && !queue(s, header, sizeof(header))) || !queue(s, data, len)) {
		stream_close(s);
		return false;
	}
	return stream_flush(s);
}

void stream_pause_input(struct stream *s, bool pause)
{
	if (s->fd < 0)
		return;
	s->input_paused = pause;
	loop_update(&s->w, wanted_events(s));
}

void stream_finish(struct stream *s)
{
	if (s->fd < 0)
		return;
	s->closing = true;
	stream_flush(s);
}

static void stream_read(struct stream *s)
{
	char buf[READ_CHUNK];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* A half-close ends the input; output goes on. */
		s->input_closed = true;
		loop_update(&s->w, wanted_events(s));
		if (s->on_input_end != NULL)
			s->on_input_end(s);
		return;
	}
	if (s->on_input != NULL)
		s->on_input(s, buf, (size_t)n);
}

static void stream_event(struct watch *w, uint32_t events)
{
	struct stream *s = w->ctx;
	if (events & EPOLLERR) {
		stream_close(s);
		return;
	}
	if ((events & EPOLLOUT) && !stream_flush(s))
		return;
	if (events & EPOLLIN) {
		stream_read(s);
		return;
	}
	/* Hung up while we were not reading: nobody is left to write to. */
	if (events & EPOLLHUP)
		stream_close(s);
}

void stream_write_message(int fd, bool tty, int which, const char *text)
{
	size_t len = strlen(text);
	unsigned char header[8] = {(unsigned char)which,
				   0,
				   0,
				   0,
				   (unsigned char)(len >> 24),
				   (unsigned char)(len >> 16),
				   (unsigned char)(len >> 8),
				   (unsigned char)len};
	if (!tty)
		write_all(fd, header, sizeof(header));
	write_all(fd, text, len);
}
