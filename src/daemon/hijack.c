/* Hijacking a connection from libmicrohttpd.
 *
 * libmicrohttpd hands an upgraded socket to the application but keeps
 * owning it: when the application says it is done, libmicrohttpd calls
 * shutdown(SHUT_WR) on it and closes it. A shutdown acts on the socket,
 * not on one descriptor, so a dup() of it would lose its write side too.
 * hutchd passes the connection on to a monitor process and must not have
 * it cut under the monitor, so the handler takes the socket away: it
 * duplicates the real connection to a new descriptor and then puts a
 * dummy socket in place of the number libmicrohttpd knows (dup3 replaces
 * it atomically). libmicrohttpd then shuts down and closes the dummy. */
#include "hijack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

struct hijack {
	hijack_fn fn;
	void *cls;
	void (*free_cls)(void *cls);
};

static void hijack_free(void *p)
{
	struct hijack *h = p;
	if (h->free_cls != NULL)
		h->free_cls(h->cls);
	free(h);
}

/* Take the connection out of libmicrohttpd's hands (see the top). */
static int take_socket(MHD_socket sock)
{
	int fd = fcntl(sock, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -1;
	int dummy[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, dummy) < 0 ||
	    dup3(dummy[0], sock, O_CLOEXEC) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(dummy[0]);
	close(dummy[1]);
	/* libmicrohttpd made the socket non-blocking; the file description is
	 * shared, and everyone after us (our writers, the monitor) expects a
	 * blocking socket unless they ask otherwise. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

static void on_upgrade(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra_in,
		       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct hijack *h = cls;
	int fd = take_socket(sock);
	if (fd < 0)
		log_error("hijacked connection: cannot take the socket: %s", strerror(errno));
	/* The request (with h) is freed only after this thread returns: in
	 * thread-per-connection mode libmicrohttpd joins it first. */
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
	if (fd >= 0)
		h->fn(h->cls, fd, extra_in, extra_in_size);
}

static bool header_has_token(struct request *r, const char *header, const char *token)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, header);
	if (v == NULL)
		return false;
	size_t tl = strlen(token);
	for (const char *p = v; *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, ",");
		size_t end = n;
		while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (end == tl && strncasecmp(p, token, tl) == 0)
			return true;
		p += n;
	}
	return false;
}

bool hijack_requested(struct request *r)
{
	return header_has_token(r, MHD_HTTP_HEADER_CONNECTION, "upgrade") &&
	       header_has_token(r, MHD_HTTP_HEADER_UPGRADE, "tcp");
}

enum MHD_Result reply_hijack(struct request *r, bool multiplexed, hijack_fn fn, void *cls,
			     void (*free_cls)(void *cls))
{
	struct hijack *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		if (free_cls != NULL)
			free_cls(cls);
		return MHD_NO;
	}
	h->fn = fn;
	h->cls = cls;
	h->free_cls = free_cls;
	/* Freed with the request, whether or not the upgrade happened. */
	r->cleanup = hijack_free;
	r->cleanup_cls = h;
	struct MHD_Response *resp = MHD_create_response_for_upgrade(on_upgrade, h);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "tcp");
	MHD_add_response_header(resp, "Content-Type",
				multiplexed ? "application/vnd.docker.multiplexed-stream"
					    : "application/vnd.docker.raw-stream");
	response_common_headers(resp);
	enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	return ret;
}
