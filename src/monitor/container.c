/* The container itself, through libhutch's lifecycle (the same code as
 * hutch-oci): create with our pipes or a pty as its stdio, start, signal,
 * delete. The state root is RUNTIME/containers/<id>/oci. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "file-util.h"
#include "log.h"
#include "monitor.h"
#include "state.h"
#include "terminal.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void child_stdio_reset(struct child_stdio *io)
{
	*io = (struct child_stdio){.in = -1,
				   .out = -1,
				   .err = -1,
				   .child_in = -1,
				   .child_out = -1,
				   .child_err = -1,
				   .console_listen = -1};
}

int child_stdio_prepare(struct child_stdio *io, bool tty, bool with_stdin, const char *name,
			hutch_error *err)
{
	child_stdio_reset(io);
	int p[2];
	if (tty) {
		/* The init connects to the console socket before it is cloned
		 * and sends the pty master over it; the connection waits in
		 * the backlog until we accept it after the create. */
		snprintf(io->console_name, sizeof(io->console_name), "%s", name);
		io->console_listen = unix_listen(name, err);
		if (io->console_listen < 0)
			return -1;
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0)
			return hutch_fail(err, errno, "open /dev/null");
		io->child_in = null;
		io->child_out = fcntl(null, F_DUPFD_CLOEXEC, 3);
		io->child_err = fcntl(null, F_DUPFD_CLOEXEC, 3);
		return 0;
	}
	if (with_stdin) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return hutch_fail(err, errno, "pipe for stdin");
		io->child_in = p[0];
		io->in = p[1];
		fcntl(io->in, F_SETFL, O_NONBLOCK);
	} else {
		io->child_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (io->child_in < 0)
			return hutch_fail(err, errno, "open /dev/null");
	}
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return hutch_fail(err, errno, "pipe for stdout");
	io->out = p[0];
	io->child_out = p[1];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return hutch_fail(err, errno, "pipe for stderr");
	io->err = p[0];
	io->child_err = p[1];
	/* The container's ends block, as a process expects of its stdio. */
	fcntl(io->child_out, F_SETFL, 0);
	fcntl(io->child_err, F_SETFL, 0);
	return 0;
}

static enum hutch_log_level saved_level = HUTCH_LOG_INFO;

int child_stdio_install(struct child_stdio *io, int saved[3], hutch_error *err)
{
	int child[3] = {io->child_in, io->child_out, io->child_err};
	for (int i = 0; i < 3; i++)
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
	/* Ignored signals stay ignored across execve: the container must not
	 * inherit our SIG_IGN of SIGPIPE and SIGHUP (a `yes | head` would
	 * never end). Nothing writes to a client meanwhile. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	for (int i = 0; i < 3; i++) {
		if (dup2(child[i], i) < 0) {
			int e = errno;
			child_stdio_restore(saved);
			return hutch_fail(err, e, "dup2 the container's stdio");
		}
	}
	/* libhutch's warnings during the create (no cgroup, ...) are ours,
	 * not the container's: keep them on our own stderr, or drop them
	 * when it cannot be reopened (a terminal of another user). */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", saved[2]);
	saved_level = hutch_log_get_level();
	if (saved[2] < 0 || hutch_log_open(path, NULL) < 0)
		hutch_log_set_level(HUTCH_LOG_ERROR);
	return 0;
}

void child_stdio_restore(int saved[3])
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	hutch_log_open(NULL, NULL);
	hutch_log_set_level(saved_level);
	for (int i = 0; i < 3; i++) {
		if (saved[i] >= 0) {
			dup2(saved[i], i);
			close(saved[i]);
		} else {
			close(i);
		}
		saved[i] = -1;
	}
}

int child_stdio_finish(struct child_stdio *io, hutch_error *err)
{
	close_fd(&io->child_in);
	close_fd(&io->child_out);
	close_fd(&io->child_err);
	if (io->console_listen < 0)
		return 0;
	_cleanup_close_ int conn = accept4(io->console_listen, NULL, NULL, SOCK_CLOEXEC);
	close_fd(&io->console_listen);
	unlink(io->console_name);
	if (conn < 0)
		return hutch_fail(err, errno, "accept the terminal of the container");
	char name[256];
	int master = -1;
	if (fd_recv(conn, &master, name, sizeof(name), err) < 0)
		return hutch_error_prefix(err, "receive the terminal of the container");
	if (master < 0)
		return hutch_fail_plain(err, EPROTO, "the container sent no terminal");
	fcntl(master, F_SETFL, O_NONBLOCK);
	io->out = master;
	/* A second descriptor for input, so output and input can be
	 * watched separately by epoll. */
	io->in = fcntl(master, F_DUPFD_CLOEXEC, 3);
	if (io->in < 0)
		return hutch_fail(err, errno, "dup the terminal");
	return 0;
}

void child_stdio_close(struct child_stdio *io)
{
	close_fd(&io->child_in);
	close_fd(&io->child_out);
	close_fd(&io->child_err);
	close_fd(&io->in);
	close_fd(&io->out);
	close_fd(&io->err);
	if (io->console_listen >= 0) {
		close_fd(&io->console_listen);
		unlink(io->console_name);
	}
}

int start_error_code(const hutch_error *err)
{
	/* libhutch finds the executable before the init reports ready and
	 * words its failure as runc does: exec: "x": ... */
	if (strstr(err->msg, "exec: \"") != NULL) {
		if (err->errnum == ENOENT)
			return 127;
		if (err->errnum == EACCES)
			return 126;
	}
	return 128;
}

int container_setup(struct monitor *m, hutch_error *err)
{
	if (mkdir_parents(m->oci_root, 0700, err) < 0)
		return -1;
	bool tty = m->cfg.tty;
	if (child_stdio_prepare(&m->io, tty, m->cfg.open_stdin, "console.sock", err) < 0)
		return -1;
	struct container_options o = {
	    .root = m->oci_root,
	    .id = m->cfg.id,
	    .bundle = m->dir,
	    .console_socket = tty ? "console.sock" : NULL,
	};
	/* A leftover of a monitor that died: its init is gone with the
	 * sandbox or was killed; its state must not block the create. */
	hutch_error stale = {0};
	container_delete(m->oci_root, m->cfg.id, true, &stale);
	int saved[3];
	if (child_stdio_install(&m->io, saved, err) < 0)
		return -1;
	int r = container_create(&o, err);
	child_stdio_restore(saved);
	if (r < 0)
		return -1;
	m->created = true;
	if (child_stdio_finish(&m->io, err) < 0)
		return -1;
	input_init(&m->input, m->io.in, tty, attach_stdin_ready, m);
	m->io.in = -1;
	struct container_state st;
	if (state_read(m->oci_root, m->cfg.id, &st, err) < 0)
		return -1;
	m->init_pid = st.pid;
	state_clear(&st);
	return 0;
}

int container_begin(struct monitor *m, hutch_error *err)
{
	if (container_start(m->oci_root, m->cfg.id, err) < 0)
		return -1;
	m->started = true;
	return 0;
}

void container_remove(struct monitor *m)
{
	if (!m->created)
		return;
	hutch_error err = {0};
	if (container_delete(m->oci_root, m->cfg.id, true, &err) < 0)
		log_warning("delete the container: %s", err.msg);
	m->created = false;
	rmdir(m->oci_root);
}

void container_reaped(struct monitor *m, int status)
{
	m->exited = true;
	m->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int container_signal_init(struct monitor *m, int signo, hutch_error *err)
{
	if (!m->created || m->exited)
		return hutch_fail_plain(err, ESRCH, "container %s is not running", m->cfg.id);
	return container_kill(m->oci_root, m->cfg.id, signo, false, err);
}
