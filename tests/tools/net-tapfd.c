/* net-tapfd: create a TAP device in another process's network namespace
 * and run a command with it open as fd 3, the way a caller of
 * `hutch-slirp --netns-type=tapfd 3` would.
 *
 *   net-tapfd PID TAPNAME COMMAND [ARGS...]
 *
 * A child joins the user namespace owning PID's network namespace and the
 * network namespace, creates the TAP and sends it back over a socketpair;
 * the parent never leaves its own namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int die(const char *what)
{
	perror(what);
	_exit(1);
}

static void child(const char *pid, const char *name, int sock)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	int netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		die("net-tapfd: open netns");
	int userns = ioctl(netns, NS_GET_USERNS);
	int self = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	struct stat a, b;
	if (userns < 0 || self < 0 || fstat(userns, &a) < 0 || fstat(self, &b) < 0)
		die("net-tapfd: user namespace");
	if ((a.st_ino != b.st_ino || a.st_dev != b.st_dev) && setns(userns, CLONE_NEWUSER) < 0)
		die("net-tapfd: setns user");
	if (setns(netns, CLONE_NEWNET) < 0)
		die("net-tapfd: setns net");
	int tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct ifreq ifr = {0};
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (tap < 0 || ioctl(tap, TUNSETIFF, &ifr) < 0)
		die("net-tapfd: create TAP");
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control = {0};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &tap, sizeof(int));
	if (sendmsg(sock, &mh, 0) < 0)
		die("net-tapfd: sendmsg");
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fputs("usage: net-tapfd PID TAPNAME COMMAND [ARGS...]\n", stderr);
		return 2;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return die("net-tapfd: socketpair");
	pid_t pid = fork();
	if (pid < 0)
		return die("net-tapfd: fork");
	if (pid == 0)
		child(argv[1], argv[2], sv[1]);
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	int status;
	ssize_t n = recvmsg(sv[0], &mh, 0);
	waitpid(pid, &status, 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (n != 1 || c == NULL || c->cmsg_type != SCM_RIGHTS) {
		fputs("net-tapfd: no TAP received\n", stderr);
		return 1;
	}
	int tap;
	memcpy(&tap, CMSG_DATA(c), sizeof(int));
	/* fd 3, inherited by the command. */
	if (dup2(tap, 3) < 0)
		return die("net-tapfd: dup2");
	execvp(argv[3], argv + 3);
	return die("net-tapfd: exec");
}
