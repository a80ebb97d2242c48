/* ctl.sock: one JSON request line per connection, one reply line.
 *   {"op":"resize","h":24,"w":80}   {"ok":true}
 *   {"op":"kill","signal":15}       {"ok":true} or {"error":"..."}
 *   {"op":"status"}                 the current state.json document
 * Also the unix socket helpers the monitor's listeners share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "json-util.h"
#include "log.h"
#include "monitor.h"

#define CTL_LINE_MAX 4096

int unix_listen(const char *name, hutch_error *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(name) >= sizeof(sun.sun_path))
		return hutch_fail_plain(err, ENAMETOOLONG, "socket name %s is too long", name);
	strcpy(sun.sun_path, name);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return hutch_fail(err, errno, "socket for %s", name);
	/* A socket left by a monitor that died is replaced. */
	struct stat st;
	if (lstat(name, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(name);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return hutch_fail(err, errno, "bind %s", name);
	/* Only the user: the runtime dir is 0700 already, this is belt and
	 * braces for a dir made by someone else. */
	chmod(name, 0600);
	if (listen(fd, 64) < 0)
		return hutch_fail(err, errno, "listen on %s", name);
	return steal_fd(&fd);
}

int sock_read_line(int fd, char *buf, size_t size, size_t *len, int *passed_fd)
{
	/* Peek first, so bytes after the newline (an attach client's first
	 * stdin) stay in the socket for the stream. */
	char peek[CTL_LINE_MAX];
	ssize_t n;
	do
		n = recv(fd, peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	char *nl = memchr(peek, '\n', (size_t)n);
	size_t want = nl != NULL ? (size_t)(nl - peek) + 1 : (size_t)n;
	if (*len + want > size - 1)
		return -1;
	struct iovec iov = {.iov_base = buf + *len, .iov_len = want};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (passed_fd != NULL) {
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
	}
	do
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	if (passed_fd != NULL) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			/* Take the first one; close any others sent along. */
			size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < count; i++) {
				int got;
				memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (*passed_fd < 0)
					*passed_fd = got;
				else
					close(got);
			}
		}
	}
	*len += (size_t)n;
	buf[*len] = '\0';
	if (*len > 0 && buf[*len - 1] == '\n') {
		buf[--*len] = '\0';
		return 1;
	}
	return 0;
}

struct ctl_conn {
	struct watch w;
	struct ctl_server *server;
	int fd;
	char line[CTL_LINE_MAX];
	size_t len;
	struct ctl_conn *next;
};

static void conn_free(struct ctl_conn *c)
{
	for (struct ctl_conn **pp = &c->server->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	loop_unwatch(&c->w);
	close(c->fd);
	free(c);
}

json_object *ctl_error_reply(const char *msg)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

json_object *ctl_ok_reply(void)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	return r;
}

json_object *ctl_resize(int master, json_object *req)
{
	hutch_error err = {0};
	int64_t h = 0, w = 0;
	if (json_get_int64(req, "ctl request", "h", true, &h, &err) < 0 ||
	    json_get_int64(req, "ctl request", "w", true, &w, &err) < 0)
		return ctl_error_reply(err.msg);
	if (h < 1 || h > 65535 || w < 1 || w > 65535)
		return ctl_error_reply("resize: h and w must be 1 to 65535");
	if (master < 0)
		return ctl_error_reply("resize: there is no terminal");
	struct winsize ws = {.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
	if (ioctl(master, TIOCSWINSZ, &ws) < 0) {
		hutch_fail(&err, errno, "resize the terminal");
		return ctl_error_reply(err.msg);
	}
	return ctl_ok_reply();
}

static json_object *answer(struct ctl_server *s, const char *line, size_t len)
{
	hutch_error err = {0};
	_cleanup_json_ json_object *req = NULL;
	const char *op = NULL;
	if (json_parse_buffer(line, len, "ctl request", &req, &err) < 0 ||
	    (!json_object_is_type(req, json_type_object) &&
	     hutch_fail_plain(&err, EINVAL, "ctl request: expected an object") < 0) ||
	    json_get_string(req, "ctl request", "op", true, &op, &err) < 0)
		return ctl_error_reply(err.msg);
	return s->handle(s->ctx, op, req);
}

static void conn_event(struct watch *w, uint32_t events)
{
	(void)events;
	struct ctl_conn *c = w->ctx;
	int r = sock_read_line(c->fd, c->line, sizeof(c->line), &c->len, NULL);
	if (r == 0)
		return;
	if (r > 0) {
		_cleanup_json_ json_object *reply = answer(c->server, c->line, c->len);
		size_t n = 0;
		const char *text = json_object_to_json_string_length(
		    reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
		/* The reply is small: a blocking write for it is fine. */
		fcntl(c->fd, F_SETFL, 0);
		if (write_all(c->fd, text, n) < 0 || write_all(c->fd, "\n", 1) < 0)
			log_info("ctl: the client left before the reply");
	}
	conn_free(c);
}

static void listen_event(struct watch *w, uint32_t events)
{
	(void)events;
	struct ctl_server *s = w->ctx;
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct ctl_conn *c = calloc(1, sizeof(*c));
		hutch_error err = {0};
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->server = s;
		c->fd = fd;
		if (loop_watch(&c->w, fd, EPOLLIN, conn_event, c, &err) < 0) {
			log_warning("ctl: %s", err.msg);
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		s->conns = c;
	}
}

int ctl_server_start(struct ctl_server *s, const char *name, ctl_handler handle, void *ctx,
		     hutch_error *err)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->handle = handle;
	s->ctx = ctx;
	s->conns = NULL;
	s->listen_fd = unix_listen(name, err);
	if (s->listen_fd < 0)
		return -1;
	return loop_watch(&s->w, s->listen_fd, EPOLLIN, listen_event, s, err);
}

void ctl_server_stop(struct ctl_server *s)
{
	while (s->conns != NULL)
		conn_free(s->conns);
	if (s->listen_fd >= 0) {
		loop_unwatch(&s->w);
		close(s->listen_fd);
		s->listen_fd = -1;
		unlink(s->name);
	}
}

/* The run monitor's requests. */
static json_object *monitor_request(void *ctx, const char *op, json_object *req)
{
	struct monitor *m = ctx;
	hutch_error err = {0};
	if (strcmp(op, "status") == 0)
		return state_document(m);
	if (strcmp(op, "kill") == 0) {
		int64_t sig = m->cfg.stop_signal;
		if (json_get_int64(req, "ctl request", "signal", false, &sig, &err) < 0)
			return ctl_error_reply(err.msg);
		if (sig < 1 || sig > 64)
			return ctl_error_reply("kill: signal must be 1 to 64");
		if (container_signal_init(m, (int)sig, &err) < 0)
			return ctl_error_reply(err.msg);
		return ctl_ok_reply();
	}
	if (strcmp(op, "resize") == 0)
		return ctl_resize(m->cfg.tty ? m->io.out : -1, req);
	snprintf(err.msg, sizeof(err.msg), "unknown op '%s' (expected resize, kill or status)", op);
	return ctl_error_reply(err.msg);
}

int ctl_listen_start(struct monitor *m, hutch_error *err)
{
	return ctl_server_start(&m->ctl, "ctl.sock", monitor_request, m, err);
}
