/* Starting hutch-overlay and hutch-slirp (found by find_program_near_self):
 * without our blocked signals, with only the fds they are given. */
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
