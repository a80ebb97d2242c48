/* hutch-monitor: the process that owns one running container (conmon's
 * and containerd-shim's role). hutchd spawns it at `start`; it joins the
 * user sandbox, mounts the rootfs, creates the container, starts its
 * network, tells hutchd on the ready fd, starts it on `start` from the go
 * fd, logs its output, serves attach and control requests, and when the
 * container has exited cleans everything up and writes the final
 * state.json. The protocol: docs/architecture/containers.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "file-util.h"
#include "log.h"
#include "monitor.h"
#include "sandbox-join.h"
#include "self-exe.h"

/* How long the end waits for attach clients to take the last output, and
 * for hutch-overlay and hutch-slirp to exit. */
#define CLIENT_DRAIN_MS 5000
#define CHILDREN_EXIT_MS 10000

static void usage(FILE *out)
{
	fprintf(out, "Usage: hutch-monitor [--ready-fd N] [--go-fd N] DIR\n"
		     "       hutch-monitor exec --spec-fd N --stream-fd N --exec-id ID DIR\n"
		     "\n"
		     "Run the container of DIR (ROOT/containers/<id>, holding config.json and\n"
		     "monitor.json) until it exits. Started by hutchd; see hutch-monitor(8).\n"
		     "\n"
		     "  --ready-fd N   report created/running/error on fd N\n"
		     "  --go-fd N      wait for \"start\" on fd N before starting (without it,\n"
		     "                 start at once)\n"
		     "  -h, --help     show this help\n"
		     "  -V, --version  show the version\n");
}

static int parse_fd(const char *opt, const char *value, int *out)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < 0 || v > INT_MAX) {
		log_error("%s: expected a file descriptor number, got '%s'", opt, value);
		return -1;
	}
	if (fcntl((int)v, F_GETFD) < 0) {
		log_error("%s: fd %ld is not open", opt, v);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* ---- talking to hutchd on the ready fd ---------------------------------- */

static void report(struct monitor *m, const char *line)
{
	if (m->ready_fd < 0)
		return;
	/* hutchd may be gone: EPIPE is ignored (SIGPIPE is). */
	if (write_all(m->ready_fd, line, strlen(line)) < 0)
		log_info("ready fd: %s (hutchd gone?)", strerror(errno));
}

static void report_error(struct monitor *m, int code, const char *msg)
{
	char line[HUTCH_ERROR_MAX + 32];
	snprintf(line, sizeof(line), "error %d %s\n", code, msg);
	/* One line: a message with newlines would end it early. */
	for (char *p = line; p[1] != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	report(m, line);
}

/* Docker shows only the part from `exec: "x": ...` on. */
static const char *user_message(const hutch_error *err)
{
	const char *exec = strstr(err->msg, "exec: \"");
	return exec != NULL ? exec : err->msg;
}

/* ---- the end ---------------------------------------------------------- */

static void reap_children(struct monitor *m)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == m->init_pid && !m->exited) {
			container_reaped(m, status);
		} else if (pid == m->slirp_pid) {
			m->slirp_pid = 0;
			if (m->started && !m->exited)
				log_warning("hutch-slirp exited (status %d): the container has no "
					    "network any more",
					    status);
		}
	}
}

/* A zombie (not yet reaped) has exited too. */
static bool process_exited(pid_t pid)
{
	siginfo_t si = {0};
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* After the init exited (or a failed set-up): wait until hutch-overlay's
 * daemon and hutch-slirp are gone, so no process of ours outlives us. */
static void wait_all_children(struct monitor *m)
{
	int64_t deadline = now_ms() + CHILDREN_EXIT_MS;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0)
			continue;
		if (pid < 0 && errno == ECHILD)
			return;
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			log_warning("helper processes did not exit within %d s",
				    CHILDREN_EXIT_MS / 1000);
			return;
		}
		struct pollfd p = {.fd = m->signal_fd, .events = POLLIN};
		if (poll(&p, 1, left > 100 ? 100 : (int)left) > 0) {
			struct signalfd_siginfo si;
			while (read(m->signal_fd, &si, sizeof(si)) > 0)
				;
		}
	}
}

static void remove_volatile(struct monitor *m)
{
	unlink("monitor.pid");
	unlink("console.sock");
	rmdir(m->cfg.rootfs);
	rmdir(m->oci_root);
	if (chdir("/") == 0)
		rmdir(m->cfg.runtime_dir);
}

/* Everything undone in reverse order; the final state.json is the last
 * write. */
static void teardown(struct monitor *m, bool write_state)
{
	attach_close_all(m);
	ctl_server_stop(&m->ctl);
	if (m->created && !m->exited) {
		/* Set-up failed or hutchd went away before start: the init
		 * still waits on its exec fifo. */
		hutch_error err = {0};
		container_kill(m->oci_root, m->cfg.id, SIGKILL, false, &err);
	}
	container_remove(m);
	input_free(&m->input);
	child_stdio_close(&m->io);
	network_stop(m);
	overlay_unmount(m);
	wait_all_children(m);
	remove_volatile(m);
	if (m->log_fd >= 0)
		close(m->log_fd);
	hutch_error err = {0};
	if (write_state && state_file_write(m, &err) < 0)
		log_error("%s", err.msg);
	state_reserve_remove(m);
}

/* Test hook: HUTCH_MONITOR_FAULT=slow-teardown (in hutchd's environment)
 * waits a second between reporting a failed set-up and tearing down, so
 * that a hutchd answering the start before the final state shows it
 * (tests/bats/containers/missing-helper.bats). */
static void slow_teardown_fault(void)
{
	const char *f = getenv("HUTCH_MONITOR_FAULT");
	if (f != NULL && strcmp(f, "slow-teardown") == 0)
		sleep(1);
}

static int fail_setup(struct monitor *m, hutch_error *err)
{
	int code = start_error_code(err);
	hutch_log_error(err);
	snprintf(m->error, sizeof(m->error), "%s", user_message(err));
	m->exit_code = code;
	rfc3339_now(m->finished_at, sizeof(m->finished_at));
	report_error(m, code, m->error);
	slow_teardown_fault();
	teardown(m, true);
	return code;
}

/* ---- the loop ----------------------------------------------------------- */

enum go_state { GO_WAITING, GO_START, GO_ABORT };
static enum go_state go_state = GO_WAITING;

static void go_event(struct watch *w, uint32_t events)
{
	(void)events;
	struct monitor *m = w->ctx;
	char buf[64];
	ssize_t n = read(m->go_fd, buf, sizeof(buf) - 1);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	loop_unwatch(w);
	close(m->go_fd);
	m->go_fd = -1;
	if (n > 0) {
		buf[n] = '\0';
		if (strncmp(buf, "start", 5) == 0) {
			go_state = GO_START;
			return;
		}
		log_error("go fd: expected \"start\", got \"%.*s\"", (int)strcspn(buf, "\n"), buf);
	}
	go_state = GO_ABORT;
}

static void signal_event(struct watch *w, uint32_t events)
{
	(void)events;
	struct monitor *m = w->ctx;
	struct signalfd_siginfo si;
	while (read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap_children(m);
			continue;
		}
		/* SIGTERM/SIGINT: before the start we give up; after it the
		 * signal is the container's. */
		if (!m->started) {
			go_state = GO_ABORT;
			continue;
		}
		hutch_error err = {0};
		if (!m->exited && container_signal_init(m, (int)si.ssi_signo, &err) < 0)
			log_warning("%s", err.msg);
	}
}

static int write_pid_file(struct monitor *m, hutch_error *err)
{
	char path[PATH_MAX], buf[32];
	snprintf(path, sizeof(path), "%s/monitor.pid", m->cfg.runtime_dir);
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	return write_file_atomic(path, buf, (size_t)n, 0600, err);
}

static char **saved_argv;

#define SANDBOX_ENV "HUTCH_MONITOR_SANDBOX"

static bool same_user_namespace(pid_t pid)
{
	char path[64];
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	return stat(path, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

/* Join the sandbox, then execute ourselves again inside it: a process
 * keeps the user namespace it was exec'd in as the one that rules
 * ptrace access to its memory, and the container init (cloned from us,
 * not dumpable until its execve) inherits that. Exec'd in the sandbox,
 * hutch-slirp (root there) can then open the init's namespaces. */
static int enter_sandbox(struct monitor *m, hutch_error *err)
{
	pid_t pid = m->cfg.sandbox_pid;
	const char *joined = getenv(SANDBOX_ENV);
	if (joined != NULL && atoi(joined) == (int)pid) {
		unsetenv(SANDBOX_ENV);
		if (!same_user_namespace(pid))
			return hutch_fail_plain(err, EPROTO, "re-executed outside the sandbox");
		return 0;
	}
	if (sandbox_join(pid, err) < 0)
		return hutch_error_prefix(err, "join the user sandbox (pid %d)", (int)pid);
	char value[32];
	snprintf(value, sizeof(value), "%d", (int)pid);
	setenv(SANDBOX_ENV, value, 1);
	int fds[] = {m->ready_fd, m->go_fd};
	for (size_t i = 0; i < 2; i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, 0);
	execv("/proc/self/exe", saved_argv);
	return hutch_fail(err, errno, "re-execute hutch-monitor in the sandbox");
}

/* Everything up to `created`: any failure here is the container's start
 * failure. */
static int set_up(struct monitor *m, hutch_error *err)
{
	if (m->cfg.sandbox_pid != 0 && enter_sandbox(m, err) < 0)
		return -1;
	if (mkdir_parents(m->cfg.runtime_dir, 0700, err) < 0)
		return -1;
	/* Sockets are bound by name relative to the runtime dir: its full
	 * path can be longer than a socket address holds. */
	if (chdir(m->cfg.runtime_dir) < 0)
		return hutch_fail(err, errno, "chdir %s", m->cfg.runtime_dir);
	snprintf(m->oci_root, sizeof(m->oci_root), "%s/oci", m->cfg.runtime_dir);
	if (output_open_log(m, err) < 0 || overlay_mount(m, err) < 0 ||
	    container_setup(m, err) < 0 || output_start(m, err) < 0 ||
	    (m->cfg.sandbox_pid != 0 && network_start(m, err) < 0) ||
	    attach_listen_start(m, err) < 0 || ctl_listen_start(m, err) < 0 ||
	    write_pid_file(m, err) < 0)
		return -1;
	return 0;
}

static int run(struct monitor *m)
{
	hutch_error err = {0};
	state_reserve_create(m);
	if (loop_init(&err) < 0 || (m->signal_fd = signals_open(&err)) < 0 ||
	    loop_watch(&m->signal_watch, m->signal_fd, EPOLLIN, signal_event, m, &err) < 0)
		return fail_setup(m, &err);
	if (set_up(m, &err) < 0)
		return fail_setup(m, &err);
	report(m, "created\n");

	if (m->go_fd >= 0) {
		if (loop_watch(&m->go_watch, m->go_fd, EPOLLIN, go_event, m, &err) < 0)
			return fail_setup(m, &err);
		while (go_state == GO_WAITING && !m->exited)
			loop_run_once(-1);
		if (go_state != GO_START || m->exited) {
			/* hutchd died (or said something else) before start: leave
			 * state.json as it was, so a later start works again. */
			log_info("no start from hutchd: cleaning up");
			teardown(m, false);
			return 0;
		}
		/* Attach sessions hutchd handed over before `start`. */
		attach_take_pending(m);
	}
	if (container_begin(m, &err) < 0) {
		output_drain(m);
		return fail_setup(m, &err);
	}
	/* Without a sandbox the network can only come now (network.c); a
	 * container that is already gone does not need one. */
	if (m->cfg.sandbox_pid == 0 && network_start(m, &err) < 0) {
		if (kill(m->init_pid, 0) == 0 && !process_exited(m->init_pid)) {
			container_signal_init(m, SIGKILL, NULL);
			output_drain(m);
			return fail_setup(m, &err);
		}
		log_info("%s (the container exited already)", err.msg);
	}
	rfc3339_now(m->started_at, sizeof(m->started_at));
	if (state_file_write(m, &err) < 0)
		log_error("%s", err.msg);
	report(m, "running\n");
	if (m->ready_fd >= 0) {
		close(m->ready_fd);
		m->ready_fd = -1;
	}

	while (!m->exited)
		loop_run_once(-1);
	rfc3339_now(m->finished_at, sizeof(m->finished_at));
	output_drain(m);
	m->finishing = true;
	attach_finish_all(m);
	int64_t deadline = now_ms() + CLIENT_DRAIN_MS;
	while (!attach_idle(m) && now_ms() < deadline)
		loop_run_once((int)(deadline - now_ms()));
	teardown(m, true);
	return m->exit_code;
}

/* The monitor must not die with hutchd or its session, nor from a closed
 * client, and the container's orphans must come to it. */
static void detach_process(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (getsid(0) != getpid())
		setsid();
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* Descriptors inherited by accident must not reach the container,
	 * hutch-overlay or hutch-slirp. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
}

int main(int argc, char **argv)
{
	hutch_log_set_program("hutch-monitor");
	hutch_log_set_level(HUTCH_LOG_INFO);
	if (argc > 1 && strcmp(argv[1], "exec") == 0)
		return exec_main(argc - 1, argv + 1);

	static const struct option longopts[] = {
	    {"ready-fd", required_argument, NULL, 'r'},
	    {"go-fd", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct monitor m = {.ready_fd = -1,
			    .go_fd = -1,
			    .signal_fd = -1,
			    .slirp_exit_fd = -1,
			    .log_fd = -1,
			    .attach_listen = -1,
			    .ctl = {.listen_fd = -1}};
	input_init(&m.input, -1, false, NULL, NULL);
	child_stdio_reset(&m.io);
	int c;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_fd("--ready-fd", optarg, &m.ready_fd) < 0)
				return 2;
			break;
		case 'g':
			if (parse_fd("--go-fd", optarg, &m.go_fd) < 0)
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hutch-monitor %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		log_error("expected one container directory (ROOT/containers/<id>)");
		usage(stderr);
		return 2;
	}
	saved_argv = argv;
	hutch_error err = {0};
	if (self_exe_protect(argv, &err) < 0) {
		hutch_log_error(&err);
		return 1;
	}
	detach_process();
	if (realpath(argv[optind], m.dir) == NULL) {
		hutch_fail(&err, errno, "container directory %s", argv[optind]);
		report_error(&m, 128, err.msg);
		hutch_log_error(&err);
		return 128;
	}
	if (monitor_config_load(m.dir, &m.cfg, &err) < 0) {
		/* Without monitor.json we know nothing to clean up; state.json
		 * still gets the reason. */
		snprintf(m.error, sizeof(m.error), "%s", err.msg);
		m.exit_code = 128;
		rfc3339_now(m.finished_at, sizeof(m.finished_at));
		report_error(&m, 128, err.msg);
		hutch_log_error(&err);
		hutch_error e2 = {0};
		state_file_write(&m, &e2);
		return 128;
	}
	int r = run(&m);
	monitor_config_clear(&m.cfg);
	return r;
}
