#include "tool-socket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void tool_die(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

int tool_listen_unix(const char *prog, const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "%s: %s: path too long\n", prog, path);
		exit(2);
	}
	strcpy(addr.sun_path, path);
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		tool_die(prog, "socket");
	unlink(path);
	if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		tool_die(prog, path);
	if (listen(sock, 1) < 0)
		tool_die(prog, "listen");
	return sock;
}
