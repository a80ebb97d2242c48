/* The HTTP side of hutchd: libmicrohttpd with a thread per connection on
 * the unix socket, the peer-uid check, routing with Docker's optional
 * /v1.N prefix, bodies and replies. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "daemon.h"
#include "events.h"
#include "streams.h"
#include "json-util.h"
#include "log.h"

struct conn_state {
	bool refused;
};

void response_common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Api-Version", HUTCH_API_VERSION);
	MHD_add_response_header(resp, "Server", "hutchd/" PACKAGE_VERSION);
}

enum MHD_Result reply_json(struct request *r, unsigned int status, json_object *o)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *copy = malloc(len + 2);
	if (copy == NULL)
		return MHD_NO;
	memcpy(copy, s, len);
	copy[len++] = '\n';
	copy[len] = '\0';
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	response_common_headers(resp);
	enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result reply_error(struct request *r, unsigned int status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (status >= 500)
		log_error("%s %s: %s", r->method, r->path, msg);
	else
		log_info("%s %s: %u %s", r->method, r->path, status, msg);
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(msg));
	return reply_json(r, status, o);
}

unsigned int status_for_error(const hutch_error *err)
{
	switch (err->errnum) {
	case ENOENT:
		return 404;
	case EINVAL:
	case EBADMSG:
	case ENOTSUP:
	case E2BIG:
		return 400;
	case EEXIST:
	case EBUSY:
		return 409;
	case EACCES:
		return 403;
	default:
		return 500;
	}
}

enum MHD_Result reply_hutch_error(struct request *r, const hutch_error *err)
{
	return reply_error(r, status_for_error(err), "%s", err->msg);
}

struct stream {
	int fd;
	struct hutchd *d;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	for (;;) {
		/* Wake up now and then so a shutdown never waits on a stream. */
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		int pr = poll(&p, 1, 500);
		if (s->d->stopping)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (pr == 0 || (pr < 0 && errno == EINTR))
			continue;
		ssize_t n = read(s->fd, buf, max);
		if (n > 0)
			return n;
		if (n == 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (errno != EINTR && errno != EAGAIN)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	close(s->fd);
	free(s);
}

enum MHD_Result reply_callback(struct request *r, const char *content_type,
			       MHD_ContentReaderCallback reader, void *cls,
			       MHD_ContentReaderFreeCallback free_cls, const char *header,
			       const char *value)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, reader, cls, free_cls);
	if (resp == NULL) {
		free_cls(cls);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", content_type);
	response_common_headers(resp);
	if (header != NULL)
		MHD_add_response_header(resp, header, value);
	enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result reply_stream(struct request *r, int fd, const char *content_type)
{
	struct stream *s = malloc(sizeof(*s));
	if (s == NULL) {
		close(fd);
		return MHD_NO;
	}
	s->fd = fd;
	s->d = r->d;
	return reply_callback(r, content_type, stream_read, s, stream_free, NULL, NULL);
}

const char *query_arg(struct request *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool query_bool(struct request *r, const char *key)
{
	const char *v = query_arg(r, key);
	return v != NULL && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0);
}

/* Only the user who runs hutchd may talk to it. The socket's mode already
 * says so; the check makes it hold even when the socket was passed by
 * socket activation or its directory is shared. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct hutchd *d = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
		return;
	}
	struct conn_state *cs = calloc(1, sizeof(*cs));
	*socket_context = cs;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (ci == NULL || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warning("connection refused: cannot read the peer's credentials");
		if (cs)
			cs->refused = true;
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	if (cred.uid != d->uid) {
		log_warning("connection refused: peer pid %d runs as uid %u, hutchd serves uid %u",
			    (int)cred.pid, (unsigned)cred.uid, (unsigned)d->uid);
		if (cs)
			cs->refused = true;
		shutdown(ci->connect_fd, SHUT_RDWR);
	}
}

/* "/v1.44/images/json" -> "/images/json"; any version is accepted. */
/* The path without its /vMAJOR.MINOR prefix; *minor gets MINOR of a
 * 1.x prefix (0 without one: the current version). */
static void strip_version(const char *url, char *out, size_t size, int *minor)
{
	const char *p = url;
	*minor = 0;
	if (p[0] == '/' && p[1] == 'v' && p[2] >= '0' && p[2] <= '9') {
		const char *q = p + 2;
		long major = strtol(q, NULL, 10), m = 0;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == '.') {
			q++;
			m = strtol(q, NULL, 10);
			while (*q >= '0' && *q <= '9')
				q++;
			if (*q == '/' || *q == '\0') {
				p = q;
				*minor = major == 1 && m > 0 && m < 1000 ? (int)m : 0;
			}
		}
	}
	snprintf(out, size, "%s", *p ? p : "/");
}

static void request_free(struct request *r)
{
	if (r == NULL)
		return;
	if (r->cleanup != NULL)
		r->cleanup(r->cleanup_cls);
	free(r->body);
	if (r->upload_fd >= 0) {
		close(r->upload_fd);
		unlink(r->upload_path);
	}
	free(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	request_free(*req_cls);
	*req_cls = NULL;
}

static bool wants_spool(const char *method, const char *path)
{
	size_t n = strlen(path);
	/* docker cp uploads (PUT /containers/{id}/archive) are tars too. */
	if (strcmp(method, "PUT") == 0 && strncmp(path, "/containers/", 12) == 0 && n > 8 &&
	    strcmp(path + n - 8, "/archive") == 0)
		return true;
	return strcmp(method, "POST") == 0 && strcmp(path, "/images/load") == 0;
}

static int body_append(struct request *r, const char *data, size_t len)
{
	if (r->spool) {
		if (r->upload_fd < 0) {
			hutch_error err = {0};
			if (store_blob_tmp(r->d->store, &r->upload_fd, r->upload_path, &err) < 0) {
				log_error("%s", err.msg);
				return -1;
			}
		}
		size_t off = 0;
		while (off < len) {
			ssize_t w = write(r->upload_fd, data + off, len - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			off += (size_t)w;
		}
		return 0;
	}
	if (r->body_len + len > HUTCH_MAX_BODY) {
		r->body_too_large = true;
		return 0;
	}
	char *n = realloc(r->body, r->body_len + len + 1);
	if (n == NULL)
		return -1;
	r->body = n;
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct hutchd *d = cls;
	struct request *r = *req_cls;
	if (r == NULL) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct conn_state *cs = ci ? ci->socket_context : NULL;
		if (cs != NULL && cs->refused)
			return MHD_NO;
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		r->d = d;
		r->conn = conn;
		r->method = method;
		r->upload_fd = -1;
		strip_version(url, r->path, sizeof(r->path), &r->api_minor);
		r->spool = wants_spool(method, r->path);
		*req_cls = r;
		log_debug("%s %s", method, url);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (body_append(r, upload_data, *upload_data_size) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->body_too_large)
		return reply_error(r, 413, "request body larger than %d bytes", HUTCH_MAX_BODY);
	if (strncmp(r->path, "/images", 7) == 0)
		return api_images(r);
	if (strncmp(r->path, "/containers/", 12) == 0)
		return api_containers(r);
	if (strcmp(r->path, "/system/df") == 0 && strcmp(r->method, "GET") == 0)
		return api_system_df(r);
	if (strcmp(r->path, "/events") == 0)
		return api_events(r);
	if (strncmp(r->path, "/exec/", 6) == 0)
		return api_exec(r);
	if (strcmp(r->path, "/volumes") == 0 || strncmp(r->path, "/volumes/", 9) == 0)
		return api_volumes(r);
	return api_system(r);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("http: %s", buf);
}

struct MHD_Daemon *server_start(struct hutchd *d, int listen_fd, hutch_error *err)
{
	struct MHD_Daemon *mhd = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
		MHD_USE_ITC | MHD_ALLOW_UPGRADE,
	    0, NULL, NULL, on_request, d, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_NOTIFY_CONNECTION, on_connection, d,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	    /* Headers beyond 64 KiB get "431/413", not unbounded memory. */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    /* Idle keep-alive connections do not pin a thread forever. */
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)300, MHD_OPTION_END);
	if (mhd == NULL)
		return hutch_fail_plain(err, EIO, "start the HTTP server"), NULL;
	return mhd;
}

void server_stop(struct MHD_Daemon *mhd)
{
	MHD_stop_daemon(mhd);
}
