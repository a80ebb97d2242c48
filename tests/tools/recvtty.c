/* recvtty: the receiving end of an OCI runtime's --console-socket, for
 * tests. It listens on SOCKET, accepts one connection, receives the pty
 * master (SCM_RIGHTS) and relays it: the container's output to stdout,
 * stdin to the container (unless --no-stdin). It exits when the container
 * side of the pty closes, or after --timeout seconds.
 *
 *   recvtty [--no-stdin] [--timeout SEC] [--name-file FILE] SOCKET */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "tool-socket.h"
#include "terminal.h"

/* Copy what is there from in to out; returns 0 at end of input. */
static int pump(int in, int out)
{
	char buf[4096];
	ssize_t n = read(in, buf, sizeof(buf));
	if (n <= 0)
		return 0; /* EIO from a master whose slave closed is the end too */
	for (ssize_t done = 0; done < n;) {
		ssize_t w = write(out, buf + done, (size_t)(n - done));
		if (w < 0)
			return 0;
		done += w;
	}
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"no-stdin", no_argument, NULL, 'n'},
					     {"timeout", required_argument, NULL, 't'},
					     {"name-file", required_argument, NULL, 'f'},
					     {NULL, 0, NULL, 0}};
	bool use_stdin = true;
	int timeout = 60;
	const char *name_file = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "nt:f:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			use_stdin = false;
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		case 'f':
			name_file = optarg;
			break;
		default:
			fprintf(stderr, "usage: recvtty [--no-stdin] [--timeout SEC] "
					"[--name-file FILE] SOCKET\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: recvtty [--no-stdin] [--timeout SEC] [--name-file FILE] "
				"SOCKET\n");
		return 2;
	}
	alarm((unsigned)timeout);

	int sock = tool_listen_unix("recvtty", argv[optind]);
	int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		tool_die("recvtty", "accept");
	int master;
	char name[256];
	hutch_error err = {0};
	if (fd_recv(conn, &master, name, sizeof(name), &err) < 0) {
		fprintf(stderr, "recvtty: %s\n", err.msg);
		return 1;
	}
	close(conn);
	close(sock);
	if (name_file != NULL) {
		FILE *f = fopen(name_file, "we");
		if (f == NULL)
			tool_die("recvtty", name_file);
		fprintf(f, "%s\n", name);
		fclose(f);
	}

	struct pollfd fds[2] = {{.fd = master, .events = POLLIN},
				{.fd = use_stdin ? STDIN_FILENO : -1, .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			tool_die("recvtty", "poll");
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!pump(master, STDOUT_FILENO))
				break;
		}
		if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			/* End of our stdin is not the end of the container:
			 * keep relaying its output. */
			if (!pump(STDIN_FILENO, master))
				fds[1].fd = -1;
		}
	}
	return 0;
}
