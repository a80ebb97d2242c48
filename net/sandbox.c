#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "log.h"

#define RESOLV_CONF_MAX (64 * 1024)

static int write_proc_file(const char *path, const char *text, hutch_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s", path);
	if (write_all(fd, text, strlen(text)) < 0)
		return hutch_fail(err, errno, "write %s", path);
	return 0;
}

/* A mount namespace of our own. An unprivileged process may not create
 * one directly; it may create a user namespace, where it maps only its
 * own uid and gid to themselves (the one mapping the kernel allows
 * without help) and so gains nothing on the host, and a mount namespace
 * owned by it. The namespace helper has already been forked, so leaving
 * the host's user namespace costs the main process nothing it needs. */
static int unshare_mount_namespace(hutch_error *err)
{
	if (unshare(CLONE_NEWNS) == 0)
		return 0;
	if (errno != EPERM)
		return hutch_fail(err, errno, "unshare a mount namespace");
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return hutch_fail(err, errno, "unshare a user and mount namespace");
	char map[64];
	if (write_proc_file("/proc/self/setgroups", "deny", err) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_proc_file("/proc/self/uid_map", map, err) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if (write_proc_file("/proc/self/gid_map", map, err) < 0)
		return -1;
	return 0;
}

static int make_mounts_private(hutch_error *err)
{
	/* Nothing we mount may propagate back to the host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return hutch_fail(err, errno, "make / private");
	return 0;
}

int sandbox_private_resolv_conf(const char *path, hutch_error *err)
{
	if (access(path, R_OK) < 0)
		return hutch_fail(err, errno, "%s", path);
	if (unshare_mount_namespace(err) < 0 || make_mounts_private(err) < 0)
		return -1;
	/* By path, not through an fd opened earlier: a bind mount's source
	 * must belong to the caller's (new) mount namespace. */
	if (mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
		return hutch_fail(err, errno, "bind %s over /etc/resolv.conf", path);
	return 0;
}

static int drop_capabilities(bool keep_bind, hutch_error *err)
{
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (keep_bind && cap == CAP_NET_BIND_SERVICE)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return hutch_fail(err, errno, "drop capability %d from the bounding set",
					  cap);
	}
	cap_t caps = cap_init();
	if (caps == NULL)
		return hutch_fail(err, errno, "cap_init");
	if (keep_bind) {
		cap_value_t v = CAP_NET_BIND_SERVICE;
		cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
		cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
	}
	int rc = cap_set_proc(caps);
	cap_free(caps);
	if (rc < 0)
		return hutch_fail(err, errno, "drop capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hutch_fail(err, errno, "set no_new_privs");
	return 0;
}

int sandbox_enter(const char *resolv_conf, hutch_error *err)
{
	/* Read resolv.conf now: after the pivot the host's file is gone.
	 * Its contents are frozen at this point; a sandboxed slirp4netns
	 * behaves the same. */
	const char *src = resolv_conf ? resolv_conf : "/etc/resolv.conf";
	_cleanup_free_ char *conf = NULL;
	size_t conf_len = 0;
	if (read_file_all(src, RESOLV_CONF_MAX, &conf, &conf_len, err) < 0) {
		if (resolv_conf != NULL || err->errnum != ENOENT)
			return -1;
		hutch_error_clear(err); /* no resolver on the host: DNS fails */
	}

	if (unshare_mount_namespace(err) < 0 || make_mounts_private(err) < 0)
		return -1;
	/* /tmp is only the mount point: the tmpfs hides it in our
	 * namespace, and it becomes the root. */
	const char *root = "/tmp";
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=0755") <
	    0)
		return hutch_fail(err, errno, "mount a tmpfs for the sandbox");
	if (mkdir("/tmp/etc", 0755) < 0 || mkdir("/tmp/old-root", 0700) < 0)
		return hutch_fail(err, errno, "populate the sandbox root");
	if (conf != NULL) {
		_cleanup_close_ int fd =
		    open("/tmp/etc/resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write_all(fd, conf, conf_len) < 0)
			return hutch_fail(err, errno, "write the sandbox's resolv.conf");
	}
	if (syscall(SYS_pivot_root, root, "/tmp/old-root") < 0)
		return hutch_fail(err, errno, "pivot_root into the sandbox");
	if (chdir("/") < 0)
		return hutch_fail(err, errno, "chdir / in the sandbox");
	if (umount2("/old-root", MNT_DETACH) < 0)
		return hutch_fail(err, errno, "detach the old root");
	if (rmdir("/old-root") < 0)
		return hutch_fail(err, errno, "remove the old root's mount point");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return hutch_fail(err, errno, "make the sandbox root read-only");
	/* Real root keeps the right to bind ports below 1024 for port
	 * forwards, as slirp4netns does; everything else goes. */
	return drop_capabilities(geteuid() == 0, err);
}

/* What the event loop, libslirp, glib's allocator and the forwarder call.
 * Everything else (execve, mount, ptrace, open for writing anything, ...)
 * fails with EPERM. */
static const int allowed_syscalls[] = {
    SCMP_SYS(read),	     SCMP_SYS(write),	     SCMP_SYS(readv),
    SCMP_SYS(writev),	     SCMP_SYS(close),	     SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),    SCMP_SYS(statx),	     SCMP_SYS(lseek),
    SCMP_SYS(openat),	     SCMP_SYS(mmap),	     SCMP_SYS(munmap),
    SCMP_SYS(mremap),	     SCMP_SYS(mprotect),     SCMP_SYS(brk),
    SCMP_SYS(madvise),	     SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),  SCMP_SYS(ioctl),	     SCMP_SYS(poll),
    SCMP_SYS(ppoll),	     SCMP_SYS(epoll_wait),   SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_pwait2),  SCMP_SYS(epoll_ctl),    SCMP_SYS(socket),
    SCMP_SYS(connect),	     SCMP_SYS(accept),	     SCMP_SYS(accept4),
    SCMP_SYS(bind),	     SCMP_SYS(listen),	     SCMP_SYS(shutdown),
    SCMP_SYS(sendto),	     SCMP_SYS(recvfrom),     SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),	     SCMP_SYS(sendmmsg),     SCMP_SYS(recvmmsg),
    SCMP_SYS(getsockname),   SCMP_SYS(getpeername),  SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt),    SCMP_SYS(fcntl),	     SCMP_SYS(pipe2),
    SCMP_SYS(splice),	     SCMP_SYS(dup),	     SCMP_SYS(getrandom),
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),     SCMP_SYS(futex),	     SCMP_SYS(getpid),
    SCMP_SYS(gettid),	     SCMP_SYS(getuid),	     SCMP_SYS(geteuid),
    SCMP_SYS(getgid),	     SCMP_SYS(getegid),	     SCMP_SYS(uname),
    SCMP_SYS(unlinkat),	     SCMP_SYS(wait4),	     SCMP_SYS(restart_syscall),
    SCMP_SYS(exit),	     SCMP_SYS(exit_group),   SCMP_SYS(tgkill),
    SCMP_SYS(sched_yield),   SCMP_SYS(prlimit64),
};

/* The namespace helper only receives requests, creates sockets and sends
 * them back. */
static const int helper_syscalls[] = {
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendmsg),
    SCMP_SYS(socket),
    SCMP_SYS(close),
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(brk),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

static int install_filter(const int *syscalls, size_t n, hutch_error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hutch_fail(err, errno, "set no_new_privs");
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL)
		return hutch_fail(err, ENOMEM, "seccomp_init");
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		/* A negative number is a call this architecture lacks. */
		if (syscalls[i] < 0)
			continue;
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, syscalls[i], 0);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return hutch_fail(err, -rc, "install the seccomp filter");
	return 0;
}

int sandbox_seccomp(hutch_error *err)
{
	return install_filter(allowed_syscalls,
			      sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]), err);
}

int sandbox_confine_helper(bool sandbox, bool seccomp, hutch_error *err)
{
	if (sandbox) {
		/* The bounding set can only shrink with CAP_SETPCAP, which a
		 * helper that joined no user namespace may lack; clearing
		 * its own sets is always allowed and is what matters. */
		cap_t caps = cap_init();
		if (caps == NULL)
			return hutch_fail(err, errno, "cap_init");
		int rc = cap_set_proc(caps);
		cap_free(caps);
		if (rc < 0)
			return hutch_fail(err, errno, "drop the helper's capabilities");
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return hutch_fail(err, errno, "set no_new_privs");
	}
	if (seccomp)
		return install_filter(helper_syscalls,
				      sizeof(helper_syscalls) / sizeof(helper_syscalls[0]), err);
	return 0;
}
