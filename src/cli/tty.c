/* Raw terminal mode, terminal size and resize requests, and the signal
 * self-pipe of the attach commands. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"
#include "tty.h"

static struct termios saved;
static int saved_fd = -1;

void tty_restore(void)
{
	if (saved_fd < 0)
		return;
	tcsetattr(saved_fd, TCSADRAIN, &saved);
	saved_fd = -1;
}

int tty_raw_enter(int fd, hutch_error *err)
{
	struct termios t;
	if (tcgetattr(fd, &t) < 0)
		return hutch_fail(err, errno, "tcgetattr");
	static bool registered;
	saved = t;
	saved_fd = fd;
	if (!registered) {
		atexit(tty_restore);
		registered = true;
	}
	/* Keystrokes go to the container unprocessed (its own tty does the
	 * line editing and signals), and output is not translated again:
	 * the container's tty already turns \n into \r\n. */
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSADRAIN, &t) < 0) {
		saved_fd = -1;
		return hutch_fail(err, errno, "tcsetattr");
	}
	return 0;
}

bool tty_size(int fd, unsigned *rows, unsigned *cols)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return false;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return true;
}

bool tty_terminal_size(unsigned *rows, unsigned *cols)
{
	return tty_size(STDOUT_FILENO, rows, cols) || tty_size(STDIN_FILENO, rows, cols);
}

void tty_send_size(const char *base)
{
	unsigned rows, cols;
	if (!tty_terminal_size(&rows, &cols))
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/resize?h=%u&w=%u", base, rows, cols);
	hutch_error err = {0};
	client_json("POST", path, NULL, &err);
}

static int relay_write = -1;

static void on_signal(int signo)
{
	int saved_errno = errno;
	unsigned char b = (unsigned char)signo;
	if (write(relay_write, &b, 1) < 0) {
		/* A full pipe loses a signal; the next one gets through. */
	}
	errno = saved_errno;
}

const int sigrelay_proxied[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGALRM};
const size_t sigrelay_proxied_count = sizeof(sigrelay_proxied) / sizeof(sigrelay_proxied[0]);

int sigrelay_open(const int *sigs, size_t n, hutch_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return hutch_fail(err, errno, "pipe");
	relay_write = p[1];
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
	return p[0];
}

void sigrelay_die(int signo)
{
	tty_restore();
	signal(signo, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, signo);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(signo);
	_exit(128 + signo);
}
