/* The default seccomp profile of a container, equivalent in effect to
 * Docker's: every syscall not allowed here fails with EPERM. The allow
 * list is everything ordinary programs need; syscalls that reach the
 * kernel's global state are allowed only with the capability that governs
 * them (so CapAdd SYS_ADMIN brings mount back, as in Docker), and a few are
 * allowed only with safe arguments:
 *
 *   clone      without namespace flags (a new user namespace would give
 *              the container capabilities over fresh namespaces)
 *   unshare    without CLONE_NEWUSER, for the same reason
 *   clone3     ENOSYS, so libc falls back to clone, whose flags BPF can
 *              see (clone3 passes them in memory)
 *   personality  only the harmless personas Docker allows
 *   socket     not AF_VSOCK (a channel to the host's hypervisor)
 *
 * Never allowed: kexec_load, kexec_file_load, module loading without
 * SYS_MODULE, keyctl/add_key/request_key (the kernel keyring is not
 * namespaced), swapon/swapoff, userfaultfd, nfsservctl, uselib, _sysctl,
 * vm86, open_by_handle_at without DAC_READ_SEARCH. Syscalls this
 * libseccomp does not know are skipped by the runtime, so names of newer
 * kernels are safe to list. */
#include <stdlib.h>
#include <string.h>

#include "ctr-build-internal.h"

static const char *const allowed[] = {
    /* files and directories */
    "access",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "close",
    "close_range",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "flock",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futimesat",
    "getcwd",
    "getdents",
    "getdents64",
    "lchown",
    "lchown32",
    "link",
    "linkat",
    "_llseek",
    "lseek",
    "lstat",
    "lstat64",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "name_to_handle_at",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pread64",
    "preadv",
    "preadv2",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "rename",
    "renameat",
    "renameat2",
    "rmdir",
    "sendfile",
    "sendfile64",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "tee",
    "truncate",
    "truncate64",
    "umask",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vmsplice",
    "write",
    "writev",
    "ioctl",
    "cachestat",
    /* extended attributes */
    "fgetxattr",
    "flistxattr",
    "fremovexattr",
    "fsetxattr",
    "getxattr",
    "lgetxattr",
    "listxattr",
    "llistxattr",
    "lremovexattr",
    "lsetxattr",
    "removexattr",
    "setxattr",
    /* waiting for files and events */
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "fanotify_mark",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "poll",
    "ppoll",
    "ppoll_time64",
    "pselect6",
    "pselect6_time64",
    "select",
    "_newselect",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "io_cancel",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "io_setup",
    "io_submit",
    "pipe",
    "pipe2",
    /* memory */
    "brk",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mremap",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "remap_file_pages",
    /* processes, threads, signals */
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "fork",
    "vfork",
    "wait4",
    "waitid",
    "waitpid",
    "kill",
    "tgkill",
    "tkill",
    "pidfd_open",
    "pidfd_send_signal",
    "process_mrelease",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sigaltstack",
    "sigprocmask",
    "sigreturn",
    "pause",
    "restart_syscall",
    "rseq",
    "set_robust_list",
    "get_robust_list",
    "set_tid_address",
    "futex",
    "futex_requeue",
    "futex_time64",
    "futex_wait",
    "futex_waitv",
    "futex_wake",
    "prctl",
    "arch_prctl",
    "modify_ldt",
    "get_thread_area",
    "set_thread_area",
    "set_tls",
    "seccomp",
    "capget",
    "capset",
    "getpid",
    "getppid",
    "gettid",
    "getpgid",
    "getpgrp",
    "getsid",
    "setpgid",
    "setsid",
    "getpriority",
    "setpriority",
    "ioprio_get",
    "ioprio_set",
    "getrlimit",
    "setrlimit",
    "ugetrlimit",
    "prlimit64",
    "getrusage",
    "times",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    /* Since Linux 4.8 seccomp runs after ptrace, so a tracer cannot use
     * ptrace to get around the filter; Docker allows these since then. */
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    /* identity */
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getuid",
    "getuid32",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setuid",
    "setuid32",
    /* time (reading it; setting it needs SYS_TIME below) */
    "adjtimex",
    "alarm",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "getitimer",
    "gettimeofday",
    "nanosleep",
    "setitimer",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    /* sockets (socket itself is below, with its argument rule) */
    "accept",
    "accept4",
    "bind",
    "connect",
    "getpeername",
    "getsockname",
    "getsockopt",
    "listen",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "send",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setsockopt",
    "shutdown",
    "socketcall",
    "socketpair",
    /* System V and POSIX IPC (namespaced) */
    "ipc",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    /* system information */
    "getcpu",
    "getrandom",
    "sysinfo",
    "uname",
    /* architecture specific */
    "arm_fadvise64_64",
    "arm_sync_file_range",
    "sync_file_range2",
    "breakpoint",
    "cacheflush",
    "riscv_flush_icache",
};

/* Allowed only when the container has the capability. */
struct cap_rule {
	const char *cap;
	const char *syscall;
};

static const struct cap_rule cap_rules[] = {
    {"CAP_SYS_ADMIN", "fanotify_init"},
    {"CAP_SYS_ADMIN", "fsconfig"},
    {"CAP_SYS_ADMIN", "fsmount"},
    {"CAP_SYS_ADMIN", "fsopen"},
    {"CAP_SYS_ADMIN", "fspick"},
    {"CAP_SYS_ADMIN", "lookup_dcookie"},
    {"CAP_SYS_ADMIN", "mount"},
    {"CAP_SYS_ADMIN", "mount_setattr"},
    {"CAP_SYS_ADMIN", "move_mount"},
    {"CAP_SYS_ADMIN", "open_tree"},
    {"CAP_SYS_ADMIN", "pivot_root"},
    {"CAP_SYS_ADMIN", "quotactl"},
    {"CAP_SYS_ADMIN", "quotactl_fd"},
    {"CAP_SYS_ADMIN", "setdomainname"},
    {"CAP_SYS_ADMIN", "sethostname"},
    {"CAP_SYS_ADMIN", "setns"},
    {"CAP_SYS_ADMIN", "umount"},
    {"CAP_SYS_ADMIN", "umount2"},
    {"CAP_SYS_ADMIN", "bpf"},
    {"CAP_SYS_ADMIN", "perf_event_open"},
    {"CAP_SYS_ADMIN", "syslog"},
    {"CAP_SYS_ADMIN", "clone3"},
    {"CAP_BPF", "bpf"},
    {"CAP_PERFMON", "perf_event_open"},
    {"CAP_SYSLOG", "syslog"},
    {"CAP_SYS_BOOT", "reboot"},
    {"CAP_SYS_CHROOT", "chroot"},
    {"CAP_SYS_MODULE", "delete_module"},
    {"CAP_SYS_MODULE", "init_module"},
    {"CAP_SYS_MODULE", "finit_module"},
    {"CAP_SYS_PACCT", "acct"},
    {"CAP_SYS_PTRACE", "pidfd_getfd"},
    {"CAP_SYS_PTRACE", "process_madvise"},
    {"CAP_SYS_RAWIO", "iopl"},
    {"CAP_SYS_RAWIO", "ioperm"},
    {"CAP_SYS_TIME", "settimeofday"},
    {"CAP_SYS_TIME", "stime"},
    {"CAP_SYS_TIME", "clock_settime"},
    {"CAP_SYS_TIME", "clock_settime64"},
    {"CAP_SYS_TIME", "clock_adjtime"},
    {"CAP_SYS_TIME", "clock_adjtime64"},
    {"CAP_SYS_TTY_CONFIG", "vhangup"},
    {"CAP_SYS_NICE", "get_mempolicy"},
    {"CAP_SYS_NICE", "mbind"},
    {"CAP_SYS_NICE", "set_mempolicy"},
    {"CAP_SYS_NICE", "set_mempolicy_home_node"},
    {"CAP_DAC_READ_SEARCH", "open_by_handle_at"},
};

/* personality(2) values Docker allows: PER_LINUX, UNAME26, PER_LINUX32,
 * UNAME26|PER_LINUX32, and the query 0xffffffff. */
static const unsigned long personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

#define CLONE_NS_FLAGS 0x7E020000UL /* NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define CLONE_NEWUSER_FLAG 0x10000000UL
#define AF_VSOCK_FAMILY 40
#define ENOSYS_ERRNO 38

static bool has_cap(char *const *caps, const char *cap)
{
	for (size_t i = 0; caps != NULL && caps[i] != NULL; i++)
		if (strcmp(caps[i], cap) == 0)
			return true;
	return false;
}

static json_object *names_of(const char *name)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(name));
	return a;
}

/* One rule: name, action, optional errno, optional single condition. */
static void add_rule(json_object *syscalls, const char *name, const char *action, int errno_ret,
		     const char *op, unsigned long value, unsigned long value_two)
{
	json_object *r = json_object_new_object();
	json_object_object_add(r, "names", names_of(name));
	json_object_object_add(r, "action", json_object_new_string(action));
	if (errno_ret > 0)
		json_object_object_add(r, "errnoRet", json_object_new_int(errno_ret));
	if (op != NULL) {
		json_object *args = json_object_new_array(), *a = json_object_new_object();
		json_object_object_add(a, "index", json_object_new_int(0));
		json_object_object_add(a, "value", json_object_new_uint64(value));
		json_object_object_add(a, "valueTwo", json_object_new_uint64(value_two));
		json_object_object_add(a, "op", json_object_new_string(op));
		json_object_array_add(args, a);
		json_object_object_add(r, "args", args);
	}
	json_object_array_add(syscalls, r);
}

static json_object *architectures(void)
{
	json_object *a = json_object_new_array();
#if defined(__x86_64__)
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_X86_64"));
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_X86"));
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_X32"));
#elif defined(__i386__)
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_X86"));
#elif defined(__aarch64__)
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_AARCH64"));
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_ARM"));
#elif defined(__arm__)
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_ARM"));
#elif defined(__riscv) && __riscv_xlen == 64
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_RISCV64"));
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_PPC64LE"));
#elif defined(__s390x__)
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_S390X"));
	json_object_array_add(a, json_object_new_string("SCMP_ARCH_S390"));
#endif
	/* Elsewhere the list stays empty: the native architecture only. */
	return a;
}

json_object *seccomp_default_profile(char *const *caps)
{
	json_object *p = json_object_new_object(), *syscalls = json_object_new_array();
	json_object_object_add(p, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(p, "defaultErrnoRet", json_object_new_int(1)); /* EPERM */
	json_object_object_add(p, "architectures", architectures());

	json_object *all = json_object_new_array();
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		json_object_array_add(all, json_object_new_string(allowed[i]));
	json_object *r = json_object_new_object();
	json_object_object_add(r, "names", all);
	json_object_object_add(r, "action", json_object_new_string("SCMP_ACT_ALLOW"));
	json_object_array_add(syscalls, r);

	/* One rule per syscall even when two capabilities grant it. */
	for (size_t i = 0; i < sizeof(cap_rules) / sizeof(cap_rules[0]); i++) {
		if (!has_cap(caps, cap_rules[i].cap))
			continue;
		bool done = false;
		for (size_t j = 0; j < i && !done; j++)
			done = strcmp(cap_rules[j].syscall, cap_rules[i].syscall) == 0 &&
			       has_cap(caps, cap_rules[j].cap);
		if (!done)
			add_rule(syscalls, cap_rules[i].syscall, "SCMP_ACT_ALLOW", 0, NULL, 0, 0);
	}

	bool sys_admin = has_cap(caps, "CAP_SYS_ADMIN");
	if (sys_admin) {
		add_rule(syscalls, "clone", "SCMP_ACT_ALLOW", 0, NULL, 0, 0);
		add_rule(syscalls, "unshare", "SCMP_ACT_ALLOW", 0, NULL, 0, 0);
	} else {
		add_rule(syscalls, "clone", "SCMP_ACT_ALLOW", 0, "SCMP_CMP_MASKED_EQ",
			 CLONE_NS_FLAGS, 0);
		add_rule(syscalls, "unshare", "SCMP_ACT_ALLOW", 0, "SCMP_CMP_MASKED_EQ",
			 CLONE_NEWUSER_FLAG, 0);
		add_rule(syscalls, "clone3", "SCMP_ACT_ERRNO", ENOSYS_ERRNO, NULL, 0, 0);
	}
	for (size_t i = 0; i < sizeof(personas) / sizeof(personas[0]); i++)
		add_rule(syscalls, "personality", "SCMP_ACT_ALLOW", 0, "SCMP_CMP_EQ", personas[i],
			 0);
	add_rule(syscalls, "socket", "SCMP_ACT_ALLOW", 0, "SCMP_CMP_NE", AF_VSOCK_FAMILY, 0);
	json_object_object_add(p, "syscalls", syscalls);
	return p;
}
