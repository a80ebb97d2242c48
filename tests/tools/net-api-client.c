/* net-api-client: talk to an API socket the way the tests need to,
 * including the ways a careless or hostile client would.
 *
 *   net-api-client [--no-shutdown] [--hang-up] [--stall SECS] SOCKET [REQUEST]
 *
 * Sends REQUEST (or standard input), shuts down the write side unless
 * --no-shutdown, and prints the reply. --hang-up closes right after
 * sending without reading. --stall waits SECS before sending anything.
 * Gives up after 10 seconds without a reply (exit 3). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int usage(void)
{
	fputs("usage: net-api-client [--no-shutdown] [--hang-up] [--stall SECS] SOCKET "
	      "[REQUEST]\n",
	      stderr);
	return 2;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static char *read_stdin(size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (buf == NULL)
			return NULL;
		ssize_t r = read(0, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	int shut = 1, hang_up = 0, stall = 0, i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--no-shutdown") == 0)
			shut = 0;
		else if (strcmp(argv[i], "--hang-up") == 0)
			hang_up = 1;
		else if (strcmp(argv[i], "--stall") == 0 && i + 1 < argc)
			stall = atoi(argv[++i]);
		else
			return usage();
	}
	if (i >= argc)
		return usage();
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(argv[i]) >= sizeof(sun.sun_path))
		return usage();
	strcpy(sun.sun_path, argv[i]);
	size_t len;
	char *req = i + 1 < argc ? strdup(argv[i + 1]) : read_stdin(&len);
	if (req == NULL)
		return 1;
	if (i + 1 < argc)
		len = strlen(req);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("net-api-client: connect");
		return 1;
	}
	if (stall > 0)
		sleep((unsigned)stall);
	if (send_all(fd, req, len) < 0) {
		perror("net-api-client: send");
		return 1;
	}
	if (hang_up)
		return 0;
	if (shut)
		shutdown(fd, SHUT_WR);
	char buf[65536];
	size_t got = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, 10000);
		if (r == 0) {
			fputs("net-api-client: no reply within 10 seconds\n", stderr);
			return 3;
		}
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(buf) - 1)
			break;
	}
	fwrite(buf, 1, got, stdout);
	return got > 0 ? 0 : 4;
}
