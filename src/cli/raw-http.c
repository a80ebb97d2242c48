/* HTTP/1.1 by hand over hutchd's unix socket, for the few calls libcurl
 * serves badly: the hijacked attach/exec streams and the wait that must be
 * registered before a start and answered after it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "client.h"
#include "file-util.h"

#define HEAD_MAX (64 * 1024)

static int connect_daemon(hutch_error *err)
{
	const char *path = client_socket_path();
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return hutch_fail_plain(err, ENAMETOOLONG, "socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hutch_fail(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return hutch_fail_plain(err, e, "cannot connect to hutchd at %s: is it running?",
					path);
	}
	return fd;
}

int raw_http_send(struct raw_http *h, const char *method, const char *path, const char *body,
		  bool upgrade, hutch_error *err)
{
	*h = (struct raw_http){.fd = -1, .content_length = -1};
	h->fd = connect_daemon(err);
	if (h->fd < 0)
		return -1;
	size_t blen = body ? strlen(body) : 0;
	_cleanup_free_ char *req = NULL;
	int n =
	    asprintf(&req,
		     "%s /v1.44%s HTTP/1.1\r\n"
		     "Host: hutchd\r\n"
		     "User-Agent: hutch/" PACKAGE_VERSION "\r\n"
		     "%s"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n"
		     "\r\n",
		     method, path, upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "", blen);
	if (n < 0) {
		req = NULL;
		raw_http_close(h);
		return hutch_fail(err, ENOMEM, "request");
	}
	if (write_all(h->fd, req, (size_t)n) < 0 || (blen && write_all(h->fd, body, blen) < 0)) {
		int e = errno;
		raw_http_close(h);
		return hutch_fail(err, e, "sending %s %s to hutchd", method, path);
	}
	return 0;
}

static void parse_header(struct raw_http *h, char *line)
{
	char *colon = strchr(line, ':');
	if (colon == NULL)
		return;
	*colon = '\0';
	const char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (strcasecmp(line, "Content-Length") == 0)
		h->content_length = strtoll(v, NULL, 10);
	else if (strcasecmp(line, "Transfer-Encoding") == 0 && strstr(v, "chunked"))
		h->chunked = true;
}

int raw_http_read_head(struct raw_http *h, hutch_error *err)
{
	_cleanup_free_ char *buf = malloc(HEAD_MAX + 1);
	if (buf == NULL)
		return hutch_fail(err, ENOMEM, "reply");
	size_t len = 0;
	char *end = NULL;
	while (end == NULL) {
		if (len == HEAD_MAX)
			return hutch_fail_plain(err, EPROTO, "hutchd's reply head is too long");
		ssize_t n = read(h->fd, buf + len, HEAD_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hutch_fail(err, errno, "reading hutchd's reply");
		if (n == 0)
			return hutch_fail_plain(err, EPROTO, "hutchd closed the connection");
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*end = '\0';
	size_t head_len = (size_t)(end - buf) + 4;
	char *save = NULL;
	char *line = strtok_r(buf, "\r\n", &save);
	if (line == NULL || sscanf(line, "HTTP/%*d.%*d %ld", &h->status) != 1)
		return hutch_fail_plain(err, EPROTO, "hutchd sent a bad status line");
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL)
		parse_header(h, line);
	h->pending_len = len - head_len;
	if (h->pending_len > 0) {
		h->pending = malloc(h->pending_len);
		if (h->pending == NULL)
			return hutch_fail(err, ENOMEM, "reply");
		memcpy(h->pending, buf + head_len, h->pending_len);
	}
	return 0;
}

/* Everything the connection still sends, after what was read already. */
static int read_to_end(struct raw_http *h, char **out, size_t *out_len, hutch_error *err)
{
	size_t len = h->pending_len, cap = len + 4096;
	char *buf = malloc(cap + 1);
	if (buf == NULL)
		return hutch_fail(err, ENOMEM, "reply");
	if (len)
		memcpy(buf, h->pending, len);
	free(h->pending);
	h->pending = NULL;
	h->pending_len = 0;
	for (;;) {
		if (h->content_length >= 0 && !h->chunked && len >= (size_t)h->content_length)
			break;
		if (len == cap) {
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				free(buf);
				return hutch_fail(err, ENOMEM, "reply");
			}
			buf = nb;
		}
		ssize_t n = read(h->fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return hutch_fail(err, e, "reading hutchd's reply");
		}
		if (n == 0)
			break;
		len += (size_t)n;
		/* A chunked body ends with the zero-size chunk. */
		if (h->chunked && len >= 5 && memcmp(buf + len - 5, "0\r\n\r\n", 5) == 0)
			break;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

/* Decode chunked transfer encoding in place. */
static size_t dechunk(char *buf, size_t len)
{
	size_t in = 0, out = 0;
	while (in < len) {
		char *eol = memmem(buf + in, len - in, "\r\n", 2);
		if (eol == NULL)
			break;
		size_t size = strtoul(buf + in, NULL, 16);
		in = (size_t)(eol - buf) + 2;
		if (size == 0 || in + size > len)
			break;
		memmove(buf + out, buf + in, size);
		out += size;
		in += size + 2;
	}
	buf[out] = '\0';
	return out;
}

int raw_http_read_body(struct raw_http *h, char **body, size_t *len, hutch_error *err)
{
	if (read_to_end(h, body, len, err) < 0)
		return -1;
	if (h->chunked)
		*len = dechunk(*body, *len);
	else if (h->content_length >= 0 && *len > (size_t)h->content_length)
		(*body)[ *len = (size_t)h->content_length] = '\0';
	return 0;
}

void raw_http_close(struct raw_http *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	free(h->pending);
	h->pending = NULL;
	h->pending_len = 0;
}

int hijack_open(struct raw_http *h, const char *method, const char *path, const char *body,
		hutch_error *err)
{
	if (raw_http_send(h, method, path, body, true, err) < 0)
		return -1;
	if (raw_http_read_head(h, err) < 0) {
		raw_http_close(h);
		return -1;
	}
	if (h->status == 101 || h->status == 200)
		return 0;
	_cleanup_free_ char *reply = NULL;
	size_t len = 0;
	if (raw_http_read_body(h, &reply, &len, err) < 0) {
		raw_http_close(h);
		return -1;
	}
	client_error_message(reply, h->status, err);
	raw_http_close(h);
	return -1;
}
