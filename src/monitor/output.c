/* The container's output: read from its pipes (or its pty), appended to
 * ctr.log in Docker's json-file format and passed to the attach clients.
 * Logging never waits for a client. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-util.h"
#include "json-util.h"
#include "log.h"
#include "monitor.h"

#define READ_CHUNK (64 * 1024)

int output_open_log(struct monitor *m, hutch_error *err)
{
	m->log_fd = open(m->cfg.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (m->log_fd < 0)
		return hutch_fail(err, errno, "open %s", m->cfg.log_path);
	struct stat st;
	m->log_bytes = fstat(m->log_fd, &st) == 0 ? st.st_size : 0;
	return 0;
}

/* log_max_bytes: the full file becomes ctr.log.1 (replacing an older
 * one) and a new ctr.log begins, Docker's max-size with max-file 2. */
static void rotate_log(struct monitor *m)
{
	char old[PATH_MAX];
	snprintf(old, sizeof(old), "%s.1", m->cfg.log_path);
	if (rename(m->cfg.log_path, old) < 0) {
		log_warning("rotate %s: %s", m->cfg.log_path, strerror(errno));
		return;
	}
	hutch_error err = {0};
	close(m->log_fd);
	if (output_open_log(m, &err) < 0)
		log_warning("%s", err.msg);
}

static void append_line(json_object *entry, const char *data, size_t len, char **buf, size_t *used,
			size_t *cap)
{
	json_object_object_add(entry, "log", json_object_new_string_len(data, (int)len));
	size_t n = 0;
	const char *text = json_object_to_json_string_length(
	    entry, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (*used + n + 1 > *cap) {
		size_t want = (*used + n + 1) * 2;
		char *grown = realloc(*buf, want);
		if (grown == NULL)
			return;
		*buf = grown;
		*cap = want;
	}
	memcpy(*buf + *used, text, n);
	(*buf)[*used + n] = '\n';
	*used += n + 1;
}

static void log_chunk(struct monitor *m, int which, const char *data, size_t len)
{
	if (m->log_fd < 0 || len == 0)
		return;
	char now[64];
	rfc3339_now(now, sizeof(now));
	_cleanup_json_ json_object *entry = json_object_new_object();
	json_object_object_add(entry, "log", NULL);
	json_object_object_add(entry, "stream",
			       json_object_new_string(which == 2 ? "stderr" : "stdout"));
	json_object_object_add(entry, "time", json_object_new_string(now));
	char *buf = NULL;
	size_t used = 0, cap = 0;
	/* One entry per line, each ending in its newline; a last piece
	 * without one is an entry as it is (Docker's partial line). */
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - data) + 1 : len;
		append_line(entry, data, n, &buf, &used, &cap);
		data += n;
		len -= n;
	}
	if (m->cfg.log_max_bytes > 0 && m->log_bytes > 0 &&
	    m->log_bytes + (int64_t)used > m->cfg.log_max_bytes)
		rotate_log(m);
	/* One write for the whole chunk: a reader following the file never
	 * sees half a line from us. */
	if (used > 0 && write_all(m->log_fd, buf, used) < 0) {
		/* A full disk can take part of the chunk: cut the file back to
		 * its last whole entry, or that half line would join the next
		 * entry and neither could be read (`logs` stops there). The
		 * chunk is lost; the container goes on. */
		int saved = errno;
		if (ftruncate(m->log_fd, m->log_bytes) < 0)
			log_warning("truncate %s: %s", m->cfg.log_path, strerror(errno));
		log_warning("write %s: %s (output dropped)", m->cfg.log_path, strerror(saved));
	} else
		m->log_bytes += (int64_t)used;
	free(buf);
}

static void source_done(struct output_source *s)
{
	loop_unwatch(&s->w);
	s->done = true;
}

/* Read once; false when nothing more is to be had now. */
static bool source_read(struct output_source *s)
{
	static char buf[READ_CHUNK];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return errno == EINTR;
	if (n <= 0) {
		/* EOF of a pipe, or EIO of a pty whose last slave closed. */
		source_done(s);
		return false;
	}
	s->on_data(s->ctx, s->which, buf, (size_t)n);
	return true;
}

static void source_event(struct watch *w, uint32_t events)
{
	struct output_source *s = w->ctx;
	if (!source_read(s) && !s->done && (events & (EPOLLHUP | EPOLLERR)))
		source_done(s);
}

int output_source_start(struct output_source *s, int fd, int which, output_fn on_data, void *ctx,
			hutch_error *err)
{
	s->fd = fd;
	s->which = which;
	s->on_data = on_data;
	s->ctx = ctx;
	s->done = fd < 0;
	if (s->done)
		return 0;
	return loop_watch(&s->w, fd, EPOLLIN, source_event, s, err);
}

void output_source_drain(struct output_source *s)
{
	while (!s->done && source_read(s))
		;
	if (!s->done)
		source_done(s);
}

static void container_output(void *ctx, int which, const char *data, size_t len)
{
	struct monitor *m = ctx;
	log_chunk(m, which, data, len);
	attach_broadcast(m, which, data, len);
}

int output_start(struct monitor *m, hutch_error *err)
{
	if (output_source_start(&m->sources[0], m->io.out, 1, container_output, m, err) < 0 ||
	    output_source_start(&m->sources[1], m->io.err, 2, container_output, m, err) < 0)
		return -1;
	return 0;
}

void output_drain(struct monitor *m)
{
	/* Everything the container wrote before its processes died is in
	 * the pipe (or the pty) now. */
	output_source_drain(&m->sources[0]);
	output_source_drain(&m->sources[1]);
}
