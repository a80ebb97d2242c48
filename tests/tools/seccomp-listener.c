/* seccomp-listener: an agent for linux.seccomp.listenerPath, for tests. It
 * listens on SOCKET, accepts the runtime's connection, receives the
 * seccomp notify fd with the container process state JSON (written to
 * --state-file), then answers every notification with the error --errno
 * (default ENOMEDIUM, easy to tell from anything the kernel would say).
 * It exits when no process uses the filter any more, or after --timeout.
 *
 *   seccomp-listener [--errno N] [--state-file FILE] [--timeout SEC] SOCKET */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "tool-socket.h"
#include "seccomp.h"
#include "terminal.h"

/* The message is the fd with the first bytes of the JSON; the rest of
 * the JSON follows until the runtime closes the connection. */
static char *receive_state(int conn, int *notify_fd)
{
	size_t cap = 65536, len;
	char *buf = malloc(cap + 1);
	if (buf == NULL)
		tool_die("seccomp-listener", "malloc");
	hutch_error err = {0};
	if (fd_recv(conn, notify_fd, buf, cap + 1, &err) < 0) {
		fprintf(stderr, "seccomp-listener: %s\n", err.msg);
		exit(1);
	}
	len = strlen(buf);
	for (;;) {
		ssize_t n = read(conn, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

static void answer(int fd, int error)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	if (seccomp_notify_alloc(&req, &resp) < 0)
		tool_die("seccomp-listener", "seccomp_notify_alloc");
	int r = seccomp_notify_receive(fd, req);
	if (r < 0) {
		/* The process went away between poll and receive. */
		seccomp_notify_free(req, resp);
		return;
	}
	resp->id = req->id;
	resp->val = 0;
	resp->error = -error;
	resp->flags = 0;
	r = seccomp_notify_respond(fd, resp);
	if (r < 0 && r != -ENOENT)
		fprintf(stderr, "seccomp-listener: respond: %s\n", strerror(-r));
	seccomp_notify_free(req, resp);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"errno", required_argument, NULL, 'e'},
					     {"state-file", required_argument, NULL, 's'},
					     {"timeout", required_argument, NULL, 't'},
					     {NULL, 0, NULL, 0}};
	int error = ENOMEDIUM, timeout = 60;
	const char *state_file = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "e:s:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			error = atoi(optarg);
			break;
		case 's':
			state_file = optarg;
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: seccomp-listener [--errno N] [--state-file FILE] "
				"[--timeout SEC] SOCKET\n");
		return 2;
	}
	alarm((unsigned)timeout);

	int sock = tool_listen_unix("seccomp-listener", argv[optind]);
	int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		tool_die("seccomp-listener", "accept");
	int fd;
	char *state = receive_state(conn, &fd);
	close(conn);
	close(sock);
	if (state_file != NULL) {
		FILE *f = fopen(state_file, "we");
		if (f == NULL)
			tool_die("seccomp-listener", state_file);
		fprintf(f, "%s\n", state);
		fclose(f);
	}
	free(state);

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			tool_die("seccomp-listener", "poll");
		}
		/* POLLHUP: every process using the filter has exited. */
		if (p.revents & POLLIN)
			answer(fd, error);
		else if (p.revents & (POLLHUP | POLLERR))
			break;
	}
	return 0;
}
