/* OCI hooks: fork and exec each one with the state JSON on its stdin.
 *
 * The runtime waits on a pidfd together with the stdin pipe, so a hook
 * that never reads its stdin cannot block us past its timeout, and a hook
 * that exits without reading (EPIPE) is fine: the state is an offer, not a
 * requirement. Output of a hook goes to the runtime's stderr, where the
 * caller's log (and a person debugging a hook) sees it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "hooks.h"
#include "log.h"

extern char **environ;

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* In the child between fork and execve: async-signal-safe calls only. */
static void __attribute__((noreturn)) exec_hook(const struct oci_hook *h, int stdin_fd, int errpipe)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	if (stdin_fd == STDIN_FILENO)
		fcntl(stdin_fd, F_SETFD, 0);
	else if (dup2(stdin_fd, STDIN_FILENO) < 0)
		goto fail;
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		goto fail;

	char *default_argv[] = {h->path, NULL};
	char **argv = h->args != NULL && h->n_args > 0 ? h->args : default_argv;
	/* As runc: a hook without env inherits the runtime's environment. */
	char **envp = h->env != NULL ? h->env : environ;
	execve(h->path, argv, envp);
fail:;
	int e = errno;
	(void)!write(errpipe, &e, sizeof(e));
	_exit(127);
}

/* Feed state to the hook and wait for it to exit or for the deadline
 * (deadline_ms < 0: none). Returns 0 when it exited, 1 on timeout; *reaped
 * tells whether *status already holds its wait status. */
static int feed_and_wait(pid_t pid, int wfd, const char *state, int64_t deadline_ms, int *status,
			 bool *reaped, hutch_error *err)
{
	_cleanup_close_ int pidfd = open_pidfd(pid);
	size_t len = state != NULL ? strlen(state) : 0, done = 0;
	_cleanup_close_ int in = wfd;
	if (len == 0) {
		close(in);
		in = -1;
	}

	for (;;) {
		int timeout = -1;
		if (deadline_ms >= 0) {
			int64_t left = deadline_ms - monotonic_ms();
			if (left <= 0)
				return 1;
			timeout = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		/* Without pidfds (kernel < 5.3) look for the exit every 10 ms. */
		if (pidfd < 0 && (timeout < 0 || timeout > 10))
			timeout = 10;

		struct pollfd fds[2] = {{.fd = pidfd, .events = POLLIN},
					{.fd = in, .events = POLLOUT}};
		int r = poll(fds, 2, timeout);
		if (r < 0 && errno != EINTR)
			return hutch_fail(err, errno, "poll");
		if (in >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(in, state + done, len - done);
			if (n > 0)
				done += (size_t)n;
			/* EPIPE: the hook does not read its stdin. */
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || done == len) {
				close(in);
				in = -1;
			}
		}
		if (pidfd >= 0 && (fds[0].revents & POLLIN))
			return 0;
		if (pidfd < 0 && waitpid(pid, status, WNOHANG) == pid) {
			*reaped = true;
			return 0;
		}
	}
}

static int run_hook(const struct oci_hook *h, const char *kind, size_t index, const char *state,
		    hutch_error *err)
{
	log_debug("running %s hook %zu: %s", kind, index, h->path);
	int in[2], errpipe[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "%s hook %s: pipe", kind, h->path);
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return hutch_fail(err, errno, "%s hook %s: pipe", kind, h->path);
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		close(errpipe[0]);
		close(errpipe[1]);
		return hutch_fail(err, e, "%s hook %s: fork", kind, h->path);
	}
	if (pid == 0)
		exec_hook(h, in[0], errpipe[1]);
	close(in[0]);
	close(errpipe[1]);
	_cleanup_close_ int errfd = errpipe[0];
	fcntl(in[1], F_SETFL, O_NONBLOCK);

	/* A write to a hook that closed its stdin must give EPIPE here, not
	 * kill the runtime. */
	struct sigaction ignore = {.sa_handler = SIG_IGN}, saved;
	sigaction(SIGPIPE, &ignore, &saved);
	int64_t deadline = h->has_timeout ? monotonic_ms() + (int64_t)h->timeout * 1000 : -1;
	int status = 0;
	bool reaped = false;
	int r = feed_and_wait(pid, in[1], state, deadline, &status, &reaped, err);
	sigaction(SIGPIPE, &saved, NULL);

	if (r != 0 && !reaped) {
		/* Timed out, or we cannot watch it any more: never leave a
		 * hook running behind the runtime's back. */
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (r < 0)
			return hutch_error_prefix(err, "%s hook %s", kind, h->path);
		return hutch_fail_plain(err, ETIMEDOUT, "%s hook %s timed out after %d s", kind,
					h->path, h->timeout);
	}
	if (!reaped) {
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return hutch_fail(err, errno, "%s hook %s: wait", kind, h->path);
	}

	int exec_errno = 0;
	if (read(errfd, &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno))
		return hutch_fail(err, exec_errno, "%s hook %s: exec", kind, h->path);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return hutch_fail_plain(err, ECANCELED, "%s hook %s exited with status %d", kind,
					h->path, WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return hutch_fail_plain(err, ECANCELED, "%s hook %s was killed by signal %d (%s)",
					kind, h->path, WTERMSIG(status),
					strsignal(WTERMSIG(status)));
	return 0;
}

int hooks_run(const struct oci_config *cfg, enum oci_hook_kind kind, const char *state_json,
	      hutch_error *err)
{
	if (kind < 0 || kind >= OCI_HOOK_KIND_COUNT)
		return hutch_fail_plain(err, EINVAL, "unknown hook kind %d", (int)kind);
	const char *kind_name = oci_hook_kind_name(kind);
	for (size_t i = 0; i < cfg->hooks.count[kind]; i++)
		if (run_hook(&cfg->hooks.list[kind][i], kind_name, i, state_json, err) < 0)
			return -1;
	return 0;
}
