/* A foreground `run` of a process.terminal container without
 * --console-socket, as runc does it: the runtime keeps the pty master
 * itself and relays it to its own stdio (in raw mode when that is a
 * terminal), passing window size changes on. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "container-internal.h"
#include "file-util.h"

static void copy_window_size(int master)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Move what is readable from one fd to another; false at EOF or error
 * (EIO on the master once the container's side is closed). */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	return write_all(to, buf, (size_t)n) == 0;
}

int wait_foreground_tty(pid_t pid, int master, const sigset_t *set, int *exit_status,
			hutch_error *err)
{
	_cleanup_close_ int sfd = signalfd(-1, set, SFD_CLOEXEC);
	if (sfd < 0)
		return hutch_fail(err, errno, "signalfd");
	struct termios saved;
	bool raw = tcgetattr(STDIN_FILENO, &saved) == 0;
	if (raw) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
		copy_window_size(master);
	}
	bool stdin_open = true, master_open = true;
	int r = 0;
	for (;;) {
		int status;
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			/* Drain what the container wrote before it exited. */
			while (master_open && pump(master, STDOUT_FILENO)) {
				struct pollfd p = {.fd = master, .events = POLLIN};
				if (poll(&p, 1, 0) <= 0)
					break;
			}
			*exit_status =
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
		if (w < 0 && errno != EINTR) {
			r = hutch_fail(err, errno, "wait for the container");
			break;
		}
		struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
				      {.fd = master_open ? master : -1, .events = POLLIN},
				      {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN}};
		if (poll(p, 3, -1) < 0 && errno != EINTR) {
			r = hutch_fail(err, errno, "poll");
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					copy_window_size(master);
				else if (si.ssi_signo != SIGCHLD)
					kill(pid, (int)si.ssi_signo);
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			master_open = pump(master, STDOUT_FILENO);
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			stdin_open = pump(STDIN_FILENO, master);
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return r;
}
