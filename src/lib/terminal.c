/* process.terminal: the pty is made inside the container, from the
 * container's own devpts instance, so the slave's name and ownership make
 * sense there; only the master fd leaves, over the --console-socket. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "terminal.h"

void terminal_size_from_stdin(struct oci_process *p)
{
	struct winsize ws;
	if (p->has_console_size || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 ||
	    ws.ws_col == 0)
		return;
	p->has_console_size = true;
	p->console_height = ws.ws_row;
	p->console_width = ws.ws_col;
}

int terminal_connect_console_socket(const char *path, hutch_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		return hutch_fail_plain(err, ENAMETOOLONG, "console socket %s: path too long",
					path);
	strcpy(addr.sun_path, path);
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return hutch_fail(err, errno, "console socket: socket");
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return hutch_fail(err, errno, "connect to console socket %s", path);
	return steal_fd(&sock);
}

int fd_send(int sock, int fd, const char *payload, hutch_error *err)
{
	/* A stream socket delivers ancillary data only with at least one
	 * byte of data, so an empty payload becomes a single NUL. */
	const char *data = payload != NULL && payload[0] != '\0' ? payload : "";
	size_t len = data[0] != '\0' ? strlen(data) : 1;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));

	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return hutch_fail(err, errno, "send fd over socket");
	/* The fd went with the first byte; the rest of a long payload
	 * follows as plain data. */
	if ((size_t)n < len) {
		const char *rest = data + n;
		size_t left = len - (size_t)n;
		while (left > 0) {
			ssize_t w = send(sock, rest, left, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return hutch_fail(err, errno, "send fd payload over socket");
			rest += w;
			left -= (size_t)w;
		}
	}
	return 0;
}

int fd_recv(int sock, int *fd, char *payload, size_t payload_size, hutch_error *err)
{
	char scratch[1];
	char *buf = payload != NULL && payload_size > 1 ? payload : scratch;
	size_t cap = payload != NULL && payload_size > 1 ? payload_size - 1 : sizeof(scratch);
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	*fd = -1;
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return hutch_fail(err, errno, "receive fd from socket");
	if (n == 0)
		return hutch_fail_plain(err, ECONNRESET,
					"receive fd from socket: peer closed without sending one");

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(fd, CMSG_DATA(c), sizeof(int));
			break;
		}
	}
	if (*fd < 0)
		return hutch_fail_plain(err, EBADMSG,
					"receive fd from socket: message holds no fd");
	if (msg.msg_flags & MSG_CTRUNC) {
		close(*fd);
		*fd = -1;
		return hutch_fail_plain(err, EBADMSG, "receive fd from socket: control data cut");
	}
	if (payload != NULL && payload_size > 0)
		payload[payload_size > 1 ? (size_t)n : 0] = '\0';
	return 0;
}

/* The container's /dev/ptmx is normally a symlink to pts/ptmx; opening the
 * latter directly also works when the bundle made /dev/ptmx a device node
 * of the host's devpts. */
static int open_pty_master(hutch_error *err)
{
	int fd = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open /dev/ptmx in the container");
	return fd;
}

/* TIOCGPTPEER opens the slave through the master (no path lookup that
 * a container could redirect); older kernels fall back to the name. */
static int open_pty_slave(int master, const char *name, hutch_error *err)
{
	int fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open pty slave %s", name);
	return fd;
}

static int become_session_leader(hutch_error *err)
{
	if (setsid() >= 0)
		return 0;
	/* Already the leader of a session (and so of a process group). */
	if (errno == EPERM && getsid(0) == getpid())
		return 0;
	return hutch_fail(err, errno, "setsid");
}

int terminal_setup(int console_fd, const struct oci_process *p, hutch_error *err)
{
	_cleanup_close_ int master = open_pty_master(err);
	if (master < 0)
		return -1;
	if (unlockpt(master) < 0)
		return hutch_fail(err, errno, "unlockpt");
	char name[64];
	int r = ptsname_r(master, name, sizeof(name));
	if (r != 0)
		return hutch_fail(err, r, "ptsname");
	_cleanup_close_ int slave = open_pty_slave(master, name, err);
	if (slave < 0)
		return -1;

	if (p != NULL && p->has_console_size) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_height,
				     .ws_col = (unsigned short)p->console_width};
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return hutch_fail(err, errno, "set the size of %s", name);
	}
	/* The process may switch to a non-root user later: give it its
	 * terminal, as a login would. A uid unmapped here cannot own it,
	 * which only matters for programs that check ownership. */
	if (p != NULL && p->user.uid != 0 &&
	    fchown(slave, (uid_t)p->user.uid, (gid_t)p->user.gid) < 0)
		log_debug("chown %s to %u:%u: %s", name, p->user.uid, p->user.gid, strerror(errno));

	if (fd_send(console_fd, master, name, err) < 0)
		return hutch_error_prefix(err, "send the pty master to the console socket");

	if (become_session_leader(err) < 0)
		return -1;
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return hutch_fail(err, errno, "make %s the controlling terminal", name);

	/* dup2 onto itself would keep O_CLOEXEC on a slave that landed on
	 * 0-2, and the process would lose that stdio at execve. */
	if (slave <= STDERR_FILENO) {
		int high = fcntl(slave, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		if (high < 0)
			return hutch_fail(err, errno, "dup %s", name);
		close(slave);
		slave = high;
	}
	for (int target = STDIN_FILENO; target <= STDERR_FILENO; target++)
		if (dup2(slave, target) < 0)
			return hutch_fail(err, errno, "dup %s onto fd %d", name, target);
	return 0;
}
