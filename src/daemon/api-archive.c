/* GET, HEAD and PUT /containers/{id}/archive?path=P (docker cp): a
 * `hutchd __helper archive-*` (helper-archive.c) does the work inside the
 * user sandbox; hutchd passes the tar through and speaks HTTP. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api-containers.h"
#include "cleanup.h"
#include "helper-archive.h"
#include "helper.h"
#include "log.h"
#include "streams.h"

/* Docker's status and message for a failed helper. */
static enum MHD_Result reply_helper_error(struct request *r, struct ctr *c, const char *path,
					  int status, const hutch_error *err)
{
	char name[256];
	ctr_lock(r->d);
	snprintf(name, sizeof(name), "%s", c->name);
	ctr_unlock(r->d);
	switch (status) {
	case ARCHIVE_EXIT_NOT_FOUND:
		return reply_error(r, 404, "Could not find the file %s in container %s", path,
				   name);
	case ARCHIVE_EXIT_NOT_DIR:
		return reply_error(r, 400, "%s",
				   strcmp(r->method, "PUT") == 0
				       ? "extraction point is not a directory"
				       : err->msg);
	case ARCHIVE_EXIT_BAD_INPUT:
		return reply_error(r, 400, "%s", err->msg);
	default:
		return reply_error(r, 500, "%s", err->msg);
	}
}

/* The stat line, base64 for the X-Docker-Container-Path-Stat header. */
static char *stat_header(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)line, (int)len);
	return out;
}

/* HEAD: the stat header and no body. */
static enum MHD_Result reply_stat(struct request *r, const char *stat_b64)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	response_common_headers(resp);
	if (stat_b64 != NULL)
		MHD_add_response_header(resp, "X-Docker-Container-Path-Stat", stat_b64);
	enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ------------------------------------------------------------------ GET */

struct tar_stream {
	struct hutchd *d;
	pid_t pid;
	int out_fd, err_fd;
	char *pending; /* what came after the stat line */
	size_t plen, poff;
};

static void tar_stream_free(void *cls)
{
	struct tar_stream *s = cls;
	if (s->out_fd >= 0)
		close(s->out_fd);
	if (s->pid > 0) {
		/* The client went away: the helper dies of SIGPIPE, its
		 * hutch-overlay of its parent's death; reap it. */
		hutch_error err = {0};
		kill(s->pid, SIGTERM);
		helper_finish(s->pid, s->err_fd, NULL, &err);
	}
	free(s->pending);
	free(s);
}

static ssize_t tar_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct tar_stream *s = cls;
	if (s->poff < s->plen) {
		size_t n = s->plen - s->poff < max ? s->plen - s->poff : max;
		memcpy(buf, s->pending + s->poff, n);
		s->poff += n;
		return (ssize_t)n;
	}
	for (;;) {
		struct pollfd p = {.fd = s->out_fd, .events = POLLIN};
		int pr = poll(&p, 1, 500);
		if (s->d->stopping)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (pr == 0 || (pr < 0 && errno == EINTR))
			continue;
		ssize_t n = read(s->out_fd, buf, max);
		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		close(s->out_fd);
		s->out_fd = -1;
		hutch_error err = {0};
		int rc = helper_finish(s->pid, s->err_fd, NULL, &err);
		s->pid = 0;
		if (rc < 0) {
			/* The tar stays unterminated: no client takes it whole. */
			log_error("archive: %s", err.msg);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
}

/* Read the helper's first line (the stat) before anything is replied,
 * so a missing path is still a plain 404. */
static int read_stat_line(int fd, char **buf, size_t *len, size_t *line_len)
{
	size_t cap = 0;
	*buf = NULL;
	*len = 0;
	for (;;) {
		if (*len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > 1024 * 1024)
				return -1;
			char *n = realloc(*buf, cap);
			if (n == NULL)
				return -1;
			*buf = n;
		}
		ssize_t n = read(fd, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		*len += (size_t)n;
		char *nl = memchr(*buf, '\n', *len);
		if (nl != NULL) {
			*line_len = (size_t)(nl - *buf) + 1;
			return 0;
		}
	}
}

static enum MHD_Result archive_get(struct request *r, struct ctr *c, const char *path,
				   const char *const *args)
{
	hutch_error err = {0};
	struct tar_stream *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return MHD_NO;
	s->d = r->d;
	if (helper_spawn(args, -1, &s->pid, &s->out_fd, &s->err_fd, &err) < 0) {
		free(s);
		return reply_hutch_error(r, &err);
	}
	size_t len = 0, line_len = 0;
	if (read_stat_line(s->out_fd, &s->pending, &len, &line_len) < 0) {
		int status = 0;
		close(s->out_fd);
		helper_finish(s->pid, s->err_fd, &status, &err);
		free(s->pending);
		free(s);
		if (err.errnum == 0)
			hutch_fail_plain(&err, EIO, "the archive helper sent no stat");
		return reply_helper_error(r, c, path, status, &err);
	}
	_cleanup_free_ char *stat = stat_header(s->pending, line_len);
	s->plen = len;
	s->poff = line_len;
	return reply_callback(r, "application/x-tar", tar_read, s, tar_stream_free,
			      stat != NULL ? "X-Docker-Container-Path-Stat" : NULL, stat);
}

/* ----------------------------------------------------------------- route */

enum MHD_Result api_archive(struct request *r, struct ctr *c)
{
	const char *path = query_arg(r, "path");
	bool get = strcmp(r->method, "GET") == 0, head = strcmp(r->method, "HEAD") == 0,
	     put = strcmp(r->method, "PUT") == 0;
	if (!get && !head && !put)
		return reply_error(r, 405, "method %s not allowed on archive", r->method);
	if (path == NULL || path[0] == '\0')
		return reply_error(r, 400, "path: a path in the container is required");
	ctr_lock(r->d);
	json_object *jpid = NULL;
	int pid = c->status == CTR_RUNNING && json_object_object_get_ex(c->state, "Pid", &jpid)
		      ? json_object_get_int(jpid)
		      : 0;
	bool removing = c->status == CTR_REMOVING;
	ctr_unlock(r->d);
	if (removing)
		return reply_error(r, 409, "container %s is being removed", c->id);
	char holder[16], ctr_pid[16];
	snprintf(holder, sizeof(holder), "%d", (int)hutchd_sandbox(r->d));
	snprintf(ctr_pid, sizeof(ctr_pid), "%d", pid);
	const char *op = get ? "archive-get" : head ? "archive-stat" : "archive-put";
	const char *args[] = {op,
			      holder,
			      c->dir,
			      ctr_pid,
			      path,
			      query_bool(r, "noOverwriteDirNonDir") ? "1" : "0",
			      query_bool(r, "copyUIDGID") ? "1" : "0",
			      NULL};
	if (get)
		return archive_get(r, c, path, args);
	hutch_error err = {0};
	int status = 0;
	_cleanup_free_ char *out = NULL;
	if (head) {
		if (helper_run_status(args, -1, &out, &status, &err) < 0)
			return reply_helper_error(r, c, path, status, &err);
		_cleanup_free_ char *stat = out ? stat_header(out, strlen(out)) : NULL;
		return reply_stat(r, stat);
	}
	_cleanup_close_ int body = r->upload_fd >= 0 ? fcntl(r->upload_fd, F_DUPFD_CLOEXEC, 0)
						     : open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (body < 0 || lseek(body, 0, SEEK_SET) < 0)
		return reply_error(r, 500, "read the uploaded archive: %s", strerror(errno));
	if (helper_run_status(args, body, NULL, &status, &err) < 0)
		return reply_helper_error(r, c, path, status, &err);
	return reply_empty(r, MHD_HTTP_OK);
}
