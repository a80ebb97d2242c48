/* Unit tests of fd passing and of the pty set-up: a real pty made in a
 * child, its master received here through the socket. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "terminal.h"

static void test_fd_send_recv(void **state)
{
	int sp[2], pipefd[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	hutch_error err = {0};
	assert_int_equal(fd_send(sp[0], pipefd[1], "/dev/pts/7", &err), 0);
	int got = -1;
	char payload[64];
	assert_int_equal(fd_recv(sp[1], &got, payload, sizeof(payload), &err), 0);
	assert_string_equal(payload, "/dev/pts/7");
	assert_true(got >= 0 && got != pipefd[1]);
	assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(got, "x", 1), 1);
	char c = 0;
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	close(got);

	/* An empty payload still carries the fd. */
	assert_int_equal(fd_send(sp[0], pipefd[1], NULL, &err), 0);
	assert_int_equal(fd_recv(sp[1], &got, payload, sizeof(payload), &err), 0);
	assert_string_equal(payload, "");
	close(got);

	/* The peer going away is an error, not a hang or a bogus fd. */
	close(sp[0]);
	assert_int_equal(fd_recv(sp[1], &got, payload, sizeof(payload), &err), -1);
	assert_int_equal(got, -1);
	assert_non_null(strstr(err.msg, "peer closed"));
	close(sp[1]);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void test_terminal_setup(void **state)
{
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct oci_process p = {.terminal = true,
					.has_console_size = true,
					.console_height = 33,
					.console_width = 111};
		hutch_error err = {0};
		if (terminal_setup(sp[1], &p, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			_exit(1);
		}
		struct winsize ws;
		if (!isatty(0) || !isatty(1) || !isatty(2) || ioctl(0, TIOCGWINSZ, &ws) < 0)
			_exit(2);
		/* The pty is now our controlling terminal. */
		int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty < 0)
			_exit(3);
		printf("size %u %u\n", ws.ws_row, ws.ws_col);
		fflush(stdout);
		_exit(0);
	}
	/* Only the child may hold its end, so its death ends our wait. */
	close(sp[1]);
	int master = -1;
	char name[64];
	hutch_error err = {0};
	assert_int_equal(fd_recv(sp[0], &master, name, sizeof(name), &err), 0);
	assert_non_null(strstr(name, "/dev/pts/"));
	int status = 0;
	char out[256] = {0};
	size_t len = 0;
	for (;;) {
		ssize_t n = read(master, out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "size 33 111"));
	close(master);
	close(sp[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fd_send_recv),
	    cmocka_unit_test(test_terminal_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
