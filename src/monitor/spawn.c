/* Starting hutch-overlay and hutch-slirp: found next to our own binary
 * first, so a build tree and an installed tree each use their own. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor.h"

static bool executable(const char *path)
{
	return access(path, X_OK) == 0;
}

int find_program(const char *name, char *out, size_t size, hutch_error *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0 && self[0] == '/') {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		*slash = '\0';
		if ((size_t)snprintf(out, size, "%s/%s", self, name) < size && executable(out))
			return 0;
	}
	const char *path = getenv("PATH");
	while (path != NULL && *path != '\0') {
		const char *colon = strchr(path, ':');
		size_t len = colon != NULL ? (size_t)(colon - path) : strlen(path);
		if (len > 0 &&
		    (size_t)snprintf(out, size, "%.*s/%s", (int)len, path, name) < size &&
		    executable(out))
			return 0;
		if (colon == NULL)
			break;
		path = colon + 1;
	}
	/* No fallback to the configured bindir: a program missing from this
	 * install must be reported, not replaced by another install's
	 * (possibly older) copy. */
	return hutch_fail_plain(err, ENOENT,
				"%s not found next to hutch-monitor (%s) nor on $PATH: install it "
				"there or put its directory on hutchd's $PATH",
				name, n > 0 ? self : "?");
}

pid_t spawn_program(char *const argv[], const int *keep_fds, hutch_error *err)
{
	pid_t pid = fork();
	if (pid < 0)
		return hutch_fail(err, errno, "fork for %s", argv[0]);
	if (pid > 0)
		return pid;
	/* The child must not keep the monitor's blocked signals or its
	 * ignored SIGPIPE: both survive execve. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	for (const int *fd = keep_fds; fd != NULL && *fd >= 0; fd++) {
		int flags = fcntl(*fd, F_GETFD);
		if (flags >= 0)
			fcntl(*fd, F_SETFD, flags & ~FD_CLOEXEC);
	}
	execv(argv[0], argv);
	fprintf(stderr, "hutch-monitor: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int wait_child(pid_t pid, int *status)
{
	pid_t r;
	do
		r = waitpid(pid, status, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}
