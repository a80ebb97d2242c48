/* attach.sock: a client sends one JSON line ({"stdin":..,"stdout":..,
 * "stderr":..}), optionally with a file descriptor (SCM_RIGHTS) that is
 * then the stream (hutchd passes the hijacked HTTP connection, so the
 * bytes never go through hutchd); else the connection is the stream. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json-util.h"
#include "log.h"
#include "monitor.h"

#define ATTACH_SOCKET "attach.sock"
#define HEADER_MAX 4096

/* A connection whose header line has not fully arrived yet. */
struct pending_attach {
	struct watch w;
	struct monitor *m;
	int fd;
	char line[HEADER_MAX];
	size_t len;
	int passed_fd;
	struct pending_attach *next;
};

static void pending_free(struct monitor *m, struct pending_attach *p)
{
	for (struct pending_attach **pp = &m->pending; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	loop_unwatch(&p->w);
	if (p->fd >= 0)
		close(p->fd);
	if (p->passed_fd >= 0)
		close(p->passed_fd);
	free(p);
}

static void client_gone(struct stream *s)
{
	struct monitor *m = s->ctx;
	for (struct stream **pp = &m->clients; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	free(s);
}

static void client_input(struct stream *s, const char *data, size_t len)
{
	struct monitor *m = s->ctx;
	input_write(&m->input, data, len);
	if (input_full(&m->input))
		for (struct stream *c = m->clients; c != NULL; c = c->next)
			stream_pause_input(c, true);
}

static void client_input_end(struct stream *s)
{
	struct monitor *m = s->ctx;
	if (m->cfg.stdin_once)
		input_close(&m->input);
}

void attach_stdin_ready(void *monitor)
{
	struct monitor *m = monitor;
	for (struct stream *c = m->clients; c != NULL; c = c->next)
		if (c->input_paused)
			stream_pause_input(c, false);
}

static int parse_header(const char *line, size_t len, bool *in, bool *out, bool *errs,
			hutch_error *err)
{
	_cleanup_json_ json_object *doc = NULL;
	if (json_parse_buffer(line, len, "attach request", &doc, err) < 0)
		return -1;
	if (!json_object_is_type(doc, json_type_object))
		return hutch_fail_plain(err, EINVAL, "attach request: expected an object");
	if (json_get_bool(doc, "attach request", "stdin", in, err) < 0 ||
	    json_get_bool(doc, "attach request", "stdout", out, err) < 0 ||
	    json_get_bool(doc, "attach request", "stderr", errs, err) < 0)
		return -1;
	return 0;
}

static void pending_complete(struct pending_attach *p)
{
	struct monitor *m = p->m;
	hutch_error err = {0};
	bool in = false, out = false, errs = false;
	if (parse_header(p->line, p->len, &in, &out, &errs, &err) < 0) {
		log_warning("%s", err.msg);
		pending_free(m, p);
		return;
	}
	struct stream *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		pending_free(m, p);
		return;
	}
	/* With a descriptor passed, our unix connection has done its job. */
	int fd = p->passed_fd >= 0 ? p->passed_fd : p->fd;
	if (p->passed_fd >= 0)
		p->passed_fd = -1;
	else
		p->fd = -1;
	pending_free(m, p);
	s->fd = -1;
	s->tty = m->cfg.tty;
	s->want_stdout = out;
	s->want_stderr = errs && !m->cfg.tty;
	s->want_stdin = in && m->cfg.open_stdin && !m->input.closed && !m->input.closing;
	s->input_paused = input_full(&m->input);
	s->on_input = client_input;
	s->on_input_end = client_input_end;
	s->on_gone = client_gone;
	s->ctx = m;
	if (stream_open(s, fd, &err) < 0) {
		log_warning("attach: %s", err.msg);
		close(fd);
		free(s);
		return;
	}
	s->next = m->clients;
	m->clients = s;
	/* A client that comes after the end gets the end at once. */
	if (m->finishing)
		stream_finish(s);
}

static void pending_read(struct pending_attach *p)
{
	int r = sock_read_line(p->fd, p->line, sizeof(p->line), &p->len,
			       p->passed_fd < 0 ? &p->passed_fd : NULL);
	if (r < 0)
		pending_free(p->m, p);
	else if (r > 0)
		pending_complete(p);
}

static void pending_event(struct watch *w, uint32_t events)
{
	(void)events;
	pending_read(w->ctx);
}

/* Accept every queued connection and read the headers that are there:
 * hutchd hands its attach sessions over before it says `start`, and they
 * must be in place before the container writes its first byte. */
static void accept_all(struct monitor *m)
{
	for (;;) {
		int fd = accept4(m->attach_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		struct pending_attach *p = calloc(1, sizeof(*p));
		if (p == NULL) {
			close(fd);
			continue;
		}
		p->m = m;
		p->fd = fd;
		p->passed_fd = -1;
		hutch_error err = {0};
		if (loop_watch(&p->w, fd, EPOLLIN, pending_event, p, &err) < 0) {
			log_warning("attach: %s", err.msg);
			close(fd);
			free(p);
			continue;
		}
		p->next = m->pending;
		m->pending = p;
		pending_read(p);
	}
}

static void listen_event(struct watch *w, uint32_t events)
{
	(void)events;
	accept_all(w->ctx);
}

int attach_listen_start(struct monitor *m, hutch_error *err)
{
	m->attach_listen = unix_listen(ATTACH_SOCKET, err);
	if (m->attach_listen < 0)
		return -1;
	return loop_watch(&m->attach_watch, m->attach_listen, EPOLLIN, listen_event, m, err);
}

void attach_take_pending(struct monitor *m)
{
	if (m->attach_listen >= 0)
		accept_all(m);
}

void attach_broadcast(struct monitor *m, int which, const char *data, size_t len)
{
	struct stream *next;
	for (struct stream *s = m->clients; s != NULL; s = next) {
		next = s->next;
		if (!stream_send(s, which, data, len))
			log_info("attach: a client was dropped (closed, or over %d bytes behind)",
				 STREAM_BUFFER_MAX);
	}
}

void attach_finish_all(struct monitor *m)
{
	struct stream *next;
	for (struct stream *s = m->clients; s != NULL; s = next) {
		next = s->next;
		stream_finish(s);
	}
	/* New clients are refused from now on. */
	if (m->attach_listen >= 0) {
		loop_unwatch(&m->attach_watch);
		close(m->attach_listen);
		m->attach_listen = -1;
		unlink(ATTACH_SOCKET);
	}
	while (m->pending != NULL)
		pending_free(m, m->pending);
}

bool attach_idle(const struct monitor *m)
{
	return m->clients == NULL;
}

void attach_close_all(struct monitor *m)
{
	while (m->clients != NULL)
		stream_close(m->clients);
	attach_finish_all(m);
}
