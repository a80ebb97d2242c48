/* The last steps before execve, shared by a container's init and by
 * processes exec'd into it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "container-internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

char **process_build_env(char *const *env, size_t n_env, int listen_fds)
{
	char **out = calloc(n_env + 3, sizeof(char *));
	if (out == NULL)
		return NULL;
	size_t k = 0;
	bool has_listen = false;
	for (size_t i = 0; i < n_env; i++) {
		if (strncmp(env[i], "LISTEN_PID=", 11) == 0)
			continue; /* rewritten below for the process itself */
		if (strncmp(env[i], "LISTEN_FDS=", 11) == 0) {
			if (listen_fds > 0)
				continue;
			has_listen = true;
		}
		out[k++] = strdup(env[i]);
	}
	if (listen_fds > 0) {
		if (asprintf(&out[k], "LISTEN_FDS=%d", listen_fds) >= 0)
			k++;
		has_listen = true;
	}
	/* sd_listen_fds() checks LISTEN_PID against getpid(): in a new pid
	 * namespace the process sees itself as 1, not as the pid we know. */
	if (has_listen && asprintf(&out[k], "LISTEN_PID=%d", (int)getpid()) >= 0)
		k++;
	out[k] = NULL;
	return out;
}

static const char *env_get(char *const *envp, const char *name)
{
	size_t len = strlen(name);
	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/* 0 when path is a regular file we may execute; else the errno. */
static int check_executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EACCES;
	if (access(path, X_OK) < 0)
		return errno;
	return 0;
}

int process_find_executable(const char *name, char *const *envp, char **out, hutch_error *err)
{
	/* The messages spell errno the way runc does ("no such file or
	 * directory"), because podman turns exactly those words into its
	 * exit codes 127 and 126. */
	if (strchr(name, '/') != NULL) {
		int e = check_executable(name);
		if (e == ENOENT || e == ENOTDIR)
			return hutch_fail_plain(err, ENOENT,
						"exec: \"%s\": no such file or directory", name);
		if (e != 0)
			return hutch_fail_plain(err, e, "exec: \"%s\": %s", name,
						e == EACCES ? "permission denied" : strerror(e));
		*out = strdup(name);
		return *out != NULL ? 0 : hutch_fail(err, ENOMEM, "exec");
	}
	const char *path = env_get(envp, "PATH");
	if (path == NULL)
		path = DEFAULT_PATH;
	int seen = ENOENT;
	const char *p = path;
	while (*p != '\0') {
		const char *colon = strchr(p, ':');
		size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);
		char full[PATH_MAX];
		if (len == 0)
			snprintf(full, sizeof(full), "./%s", name);
		else
			snprintf(full, sizeof(full), "%.*s/%s", (int)len, p, name);
		int e = check_executable(full);
		if (e == 0) {
			*out = strdup(full);
			return *out != NULL ? 0 : hutch_fail(err, ENOMEM, "exec");
		}
		if (e == EACCES)
			seen = EACCES;
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	if (seen == EACCES)
		return hutch_fail_plain(err, EACCES, "exec: \"%s\": permission denied", name);
	return hutch_fail_plain(err, ENOENT,
				"exec: \"%s\": executable file not found in $PATH: no such file or "
				"directory",
				name);
}

int process_pass_fds(int count, hutch_error *err)
{
	for (int fd = 3; fd < 3 + count; fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags < 0)
			return hutch_fail(err, errno, "preserved fd %d", fd);
		if ((flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
			return hutch_fail(err, errno, "preserved fd %d", fd);
	}
	if (close_range(3 + (unsigned)count, ~0U, CLOSE_RANGE_CLOEXEC) < 0 && errno != ENOSYS &&
	    errno != EINVAL)
		return hutch_fail(err, errno, "close-on-exec for inherited fds");
	return 0;
}

int wait_pidfd_exit(int pidfd, int timeout_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	for (;;) {
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		return 0;
	}
}

/* Signals a foreground `run` passes on to the container, like a shell
 * passes them to its foreground job. */
void forwarded_signals(sigset_t *set)
{
	static const int sigs[] = {SIGINT,  SIGTERM,  SIGHUP,  SIGQUIT, SIGUSR1,
				   SIGUSR2, SIGWINCH, SIGCONT, SIGCHLD};
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(set, sigs[i]);
}

int wait_foreground(pid_t pid, const sigset_t *set, int *exit_status, hutch_error *err)
{
	_cleanup_close_ int sfd = signalfd(-1, set, SFD_CLOEXEC);
	if (sfd < 0)
		return hutch_fail(err, errno, "signalfd");
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			*exit_status =
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return hutch_fail(err, errno, "wait for the container");
		struct signalfd_siginfo si;
		ssize_t n = read(sfd, &si, sizeof(si));
		if (n < 0 && errno != EINTR)
			return hutch_fail(err, errno, "read signalfd");
		if (n == sizeof(si) && si.ssi_signo != SIGCHLD)
			kill(pid, (int)si.ssi_signo);
	}
}
