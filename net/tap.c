#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "netconf.h"
#include "sandbox.h"

/* What the helper sends back: an errno and, on failure, the message. */
struct helper_reply {
	int32_t errnum;
	char msg[480];
};

struct helper_request {
	int32_t family;
	int32_t type;
};

int fd_send(int sock, int fd, const void *msg, size_t len)
{
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

ssize_t fd_recv(int sock, int *fd, void *msg, size_t len)
{
	struct iovec iov = {.iov_base = msg, .iov_len = len};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	*fd = -1;
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	}
	return n;
}

static bool same_namespace(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Join the user namespace that owns the target network namespace, then
 * the network namespace. Joining the owner (rather than the target
 * process's user namespace) is what gives us CAP_NET_ADMIN over the
 * network namespace; the kernel allows it because the user namespace was
 * created by our own uid (or we are privileged over it). When the owner is
 * our own user namespace, as under podman, which runs us inside its
 * rootless namespace, there is nothing to join. */
static int join_target(const struct net_options *o, hutch_error *err)
{
	char path[64];
	const char *netns_path = o->target;
	if (o->netns_type == NET_NETNS_PID) {
		snprintf(path, sizeof(path), "/proc/%s/ns/net", o->target);
		netns_path = path;
	}
	_cleanup_close_ int netns = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		return hutch_fail(err, errno, "open network namespace %s", netns_path);
	_cleanup_close_ int userns = -1;
	if (o->userns_path != NULL) {
		userns = open(o->userns_path, O_RDONLY | O_CLOEXEC);
		if (userns < 0)
			return hutch_fail(err, errno, "open user namespace %s", o->userns_path);
	} else {
		userns = ioctl(netns, NS_GET_USERNS);
		if (userns < 0)
			return hutch_fail(err, errno, "find the owner of network namespace %s",
					  netns_path);
	}
	_cleanup_close_ int self = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return hutch_fail(err, errno, "open /proc/self/ns/user");
	if (!same_namespace(self, userns) && setns(userns, CLONE_NEWUSER) < 0)
		return hutch_fail(err, errno, "join the user namespace of %s", netns_path);
	if (setns(netns, CLONE_NEWNET) < 0)
		return hutch_fail(err, errno, "join network namespace %s", netns_path);
	return 0;
}

static int tap_create(const char *name, hutch_error *err)
{
	_cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open /dev/net/tun");
	struct ifreq ifr = {0};
	/* A virtio-net header in front of every frame lets the loop write
	 * a burst of TCP segments as one GSO frame (gso.h). */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return hutch_fail(err, errno, "create TAP device %s", name);
	return steal_fd(&fd);
}

static int configure(const struct net_options *o, hutch_error *err)
{
	if (netconf_link_up("lo", 0, NULL, err) < 0)
		return -1;
	if (netconf_link_up(o->tapname, o->mtu, o->macaddress_set ? o->macaddress : NULL, err) < 0)
		return -1;
	if (netconf_add_address(o->tapname, AF_INET, &o->guest, o->prefix, err) < 0 ||
	    netconf_add_default_route(o->tapname, AF_INET, &o->gateway, err) < 0)
		return -1;
	if (o->enable_ipv6 &&
	    (netconf_add_address(o->tapname, AF_INET6, &o->guest6, 64, err) < 0 ||
	     netconf_add_default_route(o->tapname, AF_INET6, &o->gateway6, err) < 0))
		return -1;
	return 0;
}

/* Serve socket requests until the main process closes the channel. */
static void helper_serve(int channel)
{
	for (;;) {
		struct helper_request req;
		int unused;
		ssize_t n = fd_recv(channel, &unused, &req, sizeof(req));
		if (unused >= 0)
			close(unused);
		if (n <= 0)
			return;
		struct helper_reply reply = {0};
		int fd = -1;
		if (n != sizeof(req) || (req.family != AF_INET && req.family != AF_INET6) ||
		    (req.type != SOCK_STREAM && req.type != SOCK_DGRAM)) {
			reply.errnum = EINVAL;
		} else {
			fd = socket(req.family, req.type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0)
				reply.errnum = errno;
		}
		int rc = fd_send(channel, fd, &reply, sizeof(reply));
		if (fd >= 0)
			close(fd);
		if (rc < 0)
			return;
	}
}

static void __attribute__((noreturn))
helper_main(const struct net_options *o, int channel, pid_t parent)
{
	/* The helper holds privileges inside the container's namespaces; it
	 * must never outlive the process it serves. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* The caller's pipes are the main process's business: a copy of the
	 * ready fd held here would keep a reader waiting for EOF. */
	if (o->ready_fd >= 0)
		close(o->ready_fd);
	if (o->exit_fd >= 0)
		close(o->exit_fd);
	hutch_error err = {0};
	struct helper_reply reply = {0};
	_cleanup_close_ int tap = -1;
	if (join_target(o, &err) < 0 || (tap = tap_create(o->tapname, &err)) < 0 ||
	    (o->configure && configure(o, &err) < 0)) {
		reply.errnum = err.errnum ? err.errnum : EINVAL;
		snprintf(reply.msg, sizeof(reply.msg), "%s", err.msg);
		fd_send(channel, -1, &reply, sizeof(reply));
		_exit(1);
	}
	if (fd_send(channel, tap, &reply, sizeof(reply)) < 0)
		_exit(1);
	close(tap);
	tap = -1;
	if (sandbox_confine_helper(o->enable_sandbox, o->enable_seccomp, &err) < 0) {
		/* Too late to tell the main process: it would see the helper
		 * gone at its first socket request. Say it on stderr. */
		fprintf(stderr, "hutch-slirp: namespace helper: %s\n", err.msg);
		_exit(1);
	}
	helper_serve(channel);
	_exit(0);
}

int netns_helper_start(const struct net_options *o, struct netns_helper *h, int *tapfd,
		       hutch_error *err)
{
	h->pid = -1;
	h->channel = -1;
	if (o->netns_type == NET_NETNS_TAPFD) {
		int fd;
		if (net_parse_fd(o->target, &fd, err) < 0)
			return -1;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			return hutch_fail(err, errno, "TAP file descriptor %d", fd);
		*tapfd = fd;
		return 0;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hutch_fail(err, errno, "socketpair for the namespace helper");
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return hutch_fail(err, errno, "fork the namespace helper");
	}
	if (pid == 0) {
		close(sv[0]);
		helper_main(o, sv[1], parent);
	}
	close(sv[1]);
	h->pid = pid;
	h->channel = sv[0];
	struct helper_reply reply = {0};
	int fd = -1;
	ssize_t n = fd_recv(h->channel, &fd, &reply, sizeof(reply));
	if (n != sizeof(reply) || reply.errnum != 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		int e = n < 0 ? errno : reply.errnum ? reply.errnum : EPROTO;
		if (n == sizeof(reply) && reply.msg[0] != '\0')
			hutch_fail_plain(err, e, "%s", reply.msg);
		else
			hutch_fail(err, e, "namespace helper");
		netns_helper_stop(h);
		return -1;
	}
	*tapfd = fd;
	return 0;
}

int netns_helper_socket(struct netns_helper *h, int family, int type, hutch_error *err)
{
	if (h->channel < 0)
		return hutch_fail_plain(
		    err, ENOTSUP, "no network namespace to connect into (--netns-type=tapfd)");
	struct helper_request req = {.family = family, .type = type};
	if (fd_send(h->channel, -1, &req, sizeof(req)) < 0)
		return hutch_fail(err, errno, "ask the namespace helper for a socket");
	struct helper_reply reply;
	int fd = -1;
	ssize_t n = fd_recv(h->channel, &fd, &reply, sizeof(reply));
	if (n != sizeof(reply) || reply.errnum != 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		return hutch_fail(err,
				  n < 0		 ? errno
				  : reply.errnum ? reply.errnum
						 : EPROTO,
				  "socket in the container's network namespace");
	}
	return fd;
}

void netns_helper_stop(struct netns_helper *h)
{
	if (h->channel >= 0)
		close(h->channel);
	h->channel = -1;
	if (h->pid > 0) {
		int status;
		while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	h->pid = -1;
}
