/* GET /containers/{id}/logs: ctr.log as Docker clients read it, streamed
 * (with follow, until the container stops, the client goes away or
 * `until` passes). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctr-log.h"
#include "log.h"
#include "streams.h"
#include "timefmt.h"

struct logs_stream {
	struct hutchd *d;
	struct ctr *c;
	struct log_reader lr;
	bool follow, last_read;
	int inotify_fd, conn_fd;
	char *out;
	size_t out_len, out_off, out_cap;
};

static void logs_stream_free(void *cls)
{
	struct logs_stream *s = cls;
	log_reader_close(&s->lr);
	if (s->inotify_fd >= 0)
		close(s->inotify_fd);
	free(s->out);
	ctr_put(s->c);
	free(s);
}

static bool container_running(struct logs_stream *s)
{
	ctr_lock(s->d);
	bool running = s->c->status == CTR_RUNNING || s->c->starting;
	ctr_unlock(s->d);
	return running;
}

/* Sleep until ctr.log (or anything in its directory) changes, the client
 * goes away (-1) or half a second passes. */
static int wait_for_output(struct logs_stream *s)
{
	struct pollfd p[2] = {{.fd = s->inotify_fd, .events = POLLIN},
			      {.fd = s->conn_fd, .events = POLLRDHUP}};
	int n = poll(p, 2, 500);
	if (n > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)))
		return -1;
	if (n > 0 && (p[0].revents & POLLIN)) {
		char drain[4096];
		while (read(s->inotify_fd, drain, sizeof(drain)) > 0)
			;
	}
	return 0;
}

static ssize_t logs_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct logs_stream *s = cls;
	for (;;) {
		if (s->out_off < s->out_len) {
			size_t n = s->out_len - s->out_off;
			if (n > max)
				n = max;
			memcpy(buf, s->out + s->out_off, n);
			s->out_off += n;
			return (ssize_t)n;
		}
		s->out_len = s->out_off = 0;
		hutch_error err = {0};
		int r = log_reader_next(&s->lr, &s->out, &s->out_len, &s->out_cap, &err);
		if (r < 0) {
			log_error("logs of %.12s: %s", s->c->id, err.msg);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (r > 0)
			continue;
		if (!s->follow || s->last_read || s->lr.past_until || s->d->stopping)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (s->lr.opt.until_ns != 0 && time_now_ns() >= s->lr.opt.until_ns)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (!container_running(s)) {
			/* The monitor writes the last output before it reports the
			 * exit: one more read gets everything. */
			s->last_read = true;
			continue;
		}
		if (wait_for_output(s) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
}

static int parse_tail(const char *v, long *out)
{
	*out = -1;
	if (v == NULL || v[0] == '\0' || strcmp(v, "all") == 0)
		return 0;
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v)
		return -1;
	/* Docker reads a negative tail as "all". */
	*out = n < 0 ? -1 : n;
	return 0;
}

enum MHD_Result api_logs(struct request *r, struct ctr *c)
{
	if (strcmp(r->method, "GET") != 0)
		return reply_error(r, 405, "method %s not allowed on logs", r->method);
	struct log_options opt = {.out = query_bool(r, "stdout"),
				  .errs = query_bool(r, "stderr"),
				  .tty = c->tty,
				  .timestamps = query_bool(r, "timestamps")};
	if (!opt.out && !opt.errs)
		return reply_error(r, 400, "You must choose at least one stream");
	hutch_error err = {0};
	if (parse_tail(query_arg(r, "tail"), &opt.tail) < 0)
		return reply_error(r, 400,
				   "tail: expected a number of lines or \"all\", got \"%s\"",
				   query_arg(r, "tail"));
	if (parse_unix_timestamp(query_arg(r, "since"), "since", &opt.since_ns, &err) < 0 ||
	    parse_unix_timestamp(query_arg(r, "until"), "until", &opt.until_ns, &err) < 0)
		return reply_hutch_error(r, &err);

	struct logs_stream *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return MHD_NO;
	s->d = r->d;
	s->inotify_fd = -1;
	s->c = ctr_ref(r->d, c);
	if (s->c == NULL) {
		free(s);
		return reply_error(r, 404, "No such container: %s", c->id);
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/ctr.log", c->dir);
	if (log_reader_open(&s->lr, path, &opt, &err) < 0) {
		logs_stream_free(s);
		return reply_hutch_error(r, &err);
	}
	s->follow = query_bool(r, "follow") && container_running(s);
	if (s->follow) {
		s->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (s->inotify_fd < 0 ||
		    inotify_add_watch(s->inotify_fd, c->dir, IN_MODIFY | IN_CREATE) < 0) {
			int e = errno;
			logs_stream_free(s);
			return reply_error(r, 500, "inotify on %s: %s", c->dir, strerror(e));
		}
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		s->conn_fd = ci != NULL ? ci->connect_fd : -1;
	}
	return reply_callback(r,
			      c->tty ? "application/vnd.docker.raw-stream"
				     : "application/vnd.docker.multiplexed-stream",
			      logs_read, s, logs_stream_free, NULL, NULL);
}
