/* net-echo: a TCP/UDP echo server and client for the network tests, with
 * a deadline on everything so a broken network fails a test instead of
 * hanging it.
 *
 *   net-echo listen tcp|udp ADDR PORT [--ready-file F] [--timeout SECS] [--peer]
 *       Echo every connection (TCP, upper-cased so a reply is never the
 *       request reflected by something else) or datagram (UDP, same) back.
 *       With --peer, answer with the client's address instead.
 *       Exits after SECS seconds (default 60).
 *   net-echo send tcp|udp ADDR PORT MESSAGE [--timeout SECS]
 *       Send MESSAGE, print the reply. Exit 0 when a reply came.
 *   net-echo send tcp ADDR PORT --bytes N [--timeout SECS]
 *       Send N bytes of a pattern and check the echo byte for byte.
 *   net-echo rr tcp ADDR PORT SECONDS
 *       Request/response rate: one byte out, its echo back, over one
 *       connection for SECONDS; prints transactions per second. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int timeout_s = 60;
static int tell_peer;

/* "127.0.0.1" or "::1" of a peer. */
static void peer_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf,
			  (socklen_t)len);
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf,
			  (socklen_t)len);
}

static int usage(void)
{
	fputs("usage: net-echo listen tcp|udp ADDR PORT [--ready-file F] [--timeout S]\n"
	      "       net-echo send tcp|udp ADDR PORT MESSAGE|--bytes N [--timeout S]\n",
	      stderr);
	return 2;
}

static socklen_t make_addr(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(port));
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)atoi(port));
		return sizeof(*sin6);
	}
	fprintf(stderr, "net-echo: bad address %s\n", addr);
	exit(2);
}

static void upper(char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
}

static void serve_tcp_client(int c)
{
	/* One child per connection keeps the server simple and lets a
	 * bulk transfer and a short request run side by side. */
	if (fork() != 0) {
		close(c);
		return;
	}
	char buf[65536];
	if (tell_peer) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		getpeername(c, (struct sockaddr *)&peer, &plen);
		peer_text(&peer, buf, sizeof(buf));
		if (write(c, buf, strlen(buf)) < 0)
			_exit(1);
		_exit(0);
	}
	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf));
		if (n <= 0)
			break;
		upper(buf, (size_t)n);
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(c, buf + off, (size_t)(n - off));
			if (w <= 0)
				_exit(1);
			off += w;
		}
	}
	_exit(0);
}

static int do_listen(int argc, char **argv)
{
	const char *ready = NULL;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--ready-file") == 0 && i + 1 < argc)
			ready = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout_s = atoi(argv[++i]);
		else if (strcmp(argv[i], "--peer") == 0)
			tell_peer = 1;
	}
	int udp = strcmp(argv[0], "udp") == 0;
	struct sockaddr_storage ss;
	socklen_t len = make_addr(argv[1], argv[2], &ss);
	int fd = socket(ss.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || (!udp && listen(fd, 64) < 0)) {
		perror("net-echo: listen");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	alarm((unsigned)timeout_s);
	if (ready != NULL) {
		FILE *f = fopen(ready, "w");
		if (f != NULL)
			fclose(f);
	}
	for (;;) {
		if (udp) {
			char buf[65536];
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t n =
			    recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			if (n < 0)
				continue;
			if (tell_peer) {
				peer_text(&from, buf, sizeof(buf));
				n = (ssize_t)strlen(buf);
			}
			upper(buf, (size_t)n);
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
		} else {
			int c = accept(fd, NULL, NULL);
			if (c >= 0)
				serve_tcp_client(c);
		}
	}
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)('a' + (i * 7 + i / 251) % 26);
}

/* Write and read at once, so a large echo never deadlocks on full
 * buffers. */
static int bulk(int fd, size_t total)
{
	fcntl(fd, F_SETFL, O_NONBLOCK);
	size_t sent = 0, got = 0;
	char buf[65536];
	while (got < total) {
		struct pollfd p = {.fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0)};
		if (poll(&p, 1, timeout_s * 1000) <= 0) {
			fprintf(stderr, "net-echo: timed out after %zu of %zu bytes\n", got, total);
			return 1;
		}
		if ((p.revents & POLLOUT) && sent < total) {
			size_t n = total - sent < sizeof(buf) ? total - sent : sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = (char)pattern(sent + i);
			ssize_t w = write(fd, buf, n);
			if (w > 0)
				sent += (size_t)w;
			if (sent == total)
				shutdown(fd, SHUT_WR);
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				fprintf(stderr,
					"net-echo: connection ended after %zu of %zu bytes\n", got,
					total);
				return 1;
			}
			for (ssize_t i = 0; i < n; i++) {
				if ((unsigned char)buf[i] != toupper(pattern(got + (size_t)i))) {
					fprintf(stderr, "net-echo: byte %zu differs\n",
						got + (size_t)i);
					return 1;
				}
			}
			if (n > 0)
				got += (size_t)n;
		}
	}
	printf("%zu bytes echoed\n", got);
	return 0;
}

static int do_send(int argc, char **argv)
{
	const char *msg = argv[3];
	size_t bytes = 0;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout_s = atoi(argv[++i]);
		else if (strcmp(argv[i], "--bytes") == 0 && i + 1 < argc)
			bytes = strtoull(argv[++i], NULL, 10);
	}
	int udp = strcmp(argv[0], "udp") == 0;
	struct sockaddr_storage ss;
	socklen_t len = make_addr(argv[1], argv[2], &ss);
	int fd = socket(ss.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	alarm((unsigned)timeout_s + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		perror("net-echo: connect");
		return 1;
	}
	if (bytes > 0)
		return bulk(fd, bytes);
	if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0) {
		perror("net-echo: send");
		return 1;
	}
	if (!udp)
		shutdown(fd, SHUT_WR);
	char buf[65536];
	size_t got = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout_s * 1000) <= 0)
			break;
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (udp || got == sizeof(buf) - 1)
			break;
	}
	if (got == 0) {
		fputs("net-echo: no reply\n", stderr);
		return 1;
	}
	buf[got] = '\0';
	printf("%s\n", buf);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_rr(int argc, char **argv)
{
	double seconds = atof(argv[3]);
	struct sockaddr_storage ss;
	socklen_t len = make_addr(argv[1], argv[2], &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	alarm((unsigned)seconds + 10);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		perror("net-echo: connect");
		return 1;
	}
	unsigned long n = 0;
	double start = now_s(), end = start + seconds, t = start;
	while (t < end) {
		char c = 'a';
		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
			fputs("net-echo: connection lost\n", stderr);
			return 1;
		}
		n++;
		if ((n & 63) == 0)
			t = now_s();
	}
	t = now_s();
	printf("%.0f\n", (double)n / (t - start));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return usage();
	if (strcmp(argv[1], "listen") == 0)
		return do_listen(argc - 2, argv + 2);
	if (strcmp(argv[1], "send") == 0 && argc >= 6)
		return do_send(argc - 2, argv + 2);
	if (strcmp(argv[1], "rr") == 0 && argc >= 6)
		return do_rr(argc - 2, argv + 2);
	return usage();
}
