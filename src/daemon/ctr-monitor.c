/* hutchd's side of a container's monitor: spawning hutch-monitor and the
 * start handshake, finding a live monitor again after a restart, and the
 * two sockets it serves (ctl.sock for signals and resizes, attach.sock
 * for attach sessions, which get the client's connection itself over
 * SCM_RIGHTS). The protocol is in docs/architecture/containers.md. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "containers.h"
#include "ctr-internal.h"
#include "events.h"
#include "file-util.h"
#include "find-program.h"
#include "json-util.h"
#include "log.h"
#include "signals.h"
#include "terminal.h"
#include "volume-users.h"

/* Seconds the monitor may take to have the container created (overlay,
 * network, runtime) and then running. */
#define MONITOR_CREATE_TIMEOUT_MS 60000
#define MONITOR_RUN_TIMEOUT_MS 30000
#define CTL_TIMEOUT_MS 10000
/* How long a failed start waits for the monitor's tear-down (it waits up
 * to CHILDREN_EXIT_MS for hutch-overlay and hutch-slirp). */
#define MONITOR_TEARDOWN_TIMEOUT_MS 15000

struct ctr_attach {
	int fd;
	bool in, out, errs;
	struct ctr_attach *next;
};

static int pidfd_open_pid(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* ------------------------------------------------------------- sockets */

int ctr_connect(struct ctr *c, const char *sock, hutch_error *err)
{
	/* RUNTIME/containers/<64 hex>/ctl.sock easily exceeds sun_path's 108
	 * bytes; /proc/self/fd/N/ctl.sock never does. */
	_cleanup_close_ int dir = open(c->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return hutch_fail(err, errno, "open %s", c->run_dir);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dir, sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return hutch_fail(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(fd);
		return hutch_fail(err, e, "connect to %s/%s", c->run_dir, sock);
	}
	return fd;
}

/* One line (without its newline) within timeout_ms; 0 at EOF before any
 * byte, -1 with errno on failure or ETIMEDOUT. */
static int read_line(int fd, char *buf, size_t size, int timeout_ms)
{
	size_t len = 0;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long spent =
		    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (spent >= timeout_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, (int)(timeout_ms - spent));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -1;
		if (pr == 0)
			continue;
		char ch;
		ssize_t n = read(fd, &ch, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		if (n == 0 || ch == '\n') {
			buf[len] = '\0';
			return n == 0 && len == 0 ? 0 : 1;
		}
		if (len + 1 < size)
			buf[len++] = ch;
	}
}

int ctr_ctl_at(struct ctr *c, const char *sock, json_object *request, json_object **reply,
	       hutch_error *err)
{
	_cleanup_close_ int fd = ctr_connect(c, sock, err);
	if (fd < 0)
		return -1;
	const char *s = json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN);
	if (write_all(fd, s, strlen(s)) < 0 || write_all(fd, "\n", 1) < 0)
		return hutch_fail(err, errno, "write to %s/%s", c->run_dir, sock);
	char line[65536];
	int r = read_line(fd, line, sizeof(line), CTL_TIMEOUT_MS);
	if (r < 0)
		return hutch_fail(err, errno, "read the reply of %s/%s", c->run_dir, sock);
	if (r == 0)
		return hutch_fail_plain(err, EPIPE, "the monitor of %.12s closed %s", c->id, sock);
	json_object *o = NULL;
	if (json_parse_buffer(line, strlen(line), sock, &o, err) < 0)
		return -1;
	json_object *e;
	if (json_object_object_get_ex(o, "error", &e)) {
		hutch_fail_plain(err, EIO, "%s", json_object_get_string(e));
		json_object_put(o);
		return -1;
	}
	*reply = o;
	return 0;
}

int ctr_ctl(struct ctr *c, json_object *request, json_object **reply, hutch_error *err)
{
	return ctr_ctl_at(c, "ctl.sock", request, reply, err);
}

/* -------------------------------------------------------------- attach */

static int send_attach(struct ctr *c, int fd, bool in, bool out, bool errs, hutch_error *err)
{
	_cleanup_close_ int sock = ctr_connect(c, "attach.sock", err);
	if (sock < 0)
		return -1;
	char line[128];
	snprintf(line, sizeof(line), "{\"stdin\":%s,\"stdout\":%s,\"stderr\":%s}\n",
		 in ? "true" : "false", out ? "true" : "false", errs ? "true" : "false");
	if (fd_send(sock, fd, line, err) < 0)
		return hutch_error_prefix(err, "hand the attach session to %.12s's monitor", c->id);
	return 0;
}

int ctr_attach(struct hutchd *d, struct ctr *c, int fd, bool in, bool out, bool errs,
	       hutch_error *err)
{
	ctr_lock(d);
	if (c->removed || c->status == CTR_REMOVING) {
		ctr_unlock(d);
		close(fd);
		return hutch_fail_plain(err, ENOENT, "No such container: %s", c->id);
	}
	if (!c->attach_ready) {
		/* Not running yet (docker run and start -a attach first): the
		 * start hands it over before the container runs. */
		struct ctr_attach *a = calloc(1, sizeof(*a));
		if (a == NULL) {
			ctr_unlock(d);
			close(fd);
			return hutch_fail(err, ENOMEM, "attach");
		}
		*a = (struct ctr_attach){fd, in, out, errs, NULL};
		struct ctr_attach **tail = &c->attach;
		while (*tail)
			tail = &(*tail)->next;
		*tail = a;
		ctr_unlock(d);
		return 0;
	}
	ctr_unlock(d);
	int rc = send_attach(c, fd, in, out, errs, err);
	close(fd);
	return rc;
}

void ctr_attach_drop_all(struct ctr *c)
{
	while (c->attach) {
		struct ctr_attach *a = c->attach;
		c->attach = a->next;
		close(a->fd);
		free(a);
	}
}

/* Hand over every queued session (the monitor's attach.sock is up). */
static void hand_over_attaches(struct hutchd *d, struct ctr *c)
{
	ctr_lock(d);
	struct ctr_attach *list = c->attach;
	c->attach = NULL;
	c->attach_ready = true;
	ctr_unlock(d);
	while (list) {
		struct ctr_attach *a = list;
		list = a->next;
		hutch_error err = {0};
		if (send_attach(c, a->fd, a->in, a->out, a->errs, &err) < 0)
			log_warning("%s", err.msg);
		close(a->fd);
		free(a);
	}
}

/* ------------------------------------------------------------- monitor */

/* /proc/PID/cmdline names hutch-monitor and this container's id: a pid
 * from monitor.pid may have been reused since. */
static bool is_monitor_of(pid_t pid, const char *id)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (read_file_all(path, 65536, &buf, &len, NULL) < 0 || len == 0)
		return false;
	bool named = false, ours = false;
	for (size_t off = 0; off < len; off += strlen(buf + off) + 1) {
		const char *arg = buf + off;
		const char *base = strrchr(arg, '/');
		if (off == 0)
			named = strcmp(base ? base + 1 : arg, "hutch-monitor") == 0;
		else if (strstr(arg, id) != NULL)
			ours = true;
	}
	return named && ours;
}

int ctr_monitor_open(struct ctr *c, pid_t *pid)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/monitor.pid", c->run_dir);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	if (read_file_all(path, 64, &buf, &len, NULL) < 0)
		return -1;
	pid_t p = (pid_t)atoi(buf);
	if (p <= 0 || !is_monitor_of(p, c->id))
		return -1;
	int fd = pidfd_open_pid(p);
	/* Checked again once the pidfd pins the process. */
	if (fd >= 0 && !is_monitor_of(p, c->id)) {
		close(fd);
		return -1;
	}
	*pid = p;
	return fd;
}

static int set_sandbox_pid(struct hutchd *d, struct ctr *c, hutch_error *err)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/monitor.json", c->dir);
	_cleanup_json_ json_object *o = NULL;
	if (json_read_file(path, &o, err) < 0)
		return -1;
	json_object_object_add(o, "sandbox_pid", json_object_new_int((int)hutchd_sandbox(d)));
	return json_write_file_atomic(path, o, 0600, err);
}

/* A copy at 10 or above, so the dup2 calls that place the monitor's fds
 * 0..4 cannot clobber one another. */
static int high_fd(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* Double fork: the monitor is not hutchd's child (it outlives hutchd and
 * is reaped by the system), and runs in its own session. Between fork and
 * exec only async-signal-safe calls. Returns the monitor's pid. */
static pid_t spawn_monitor(const char *exe, const char *dir, int null_fd, int log_fd, int ready_w,
			   int go_r, hutch_error *err)
{
	int pidpipe[2];
	if (pipe2(pidpipe, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "pipe");
	const char *argv[] = {"hutch-monitor", "--ready-fd", "3", "--go-fd", "4", dir, NULL};
	int fds[4] = {high_fd(null_fd), high_fd(log_fd), high_fd(ready_w), high_fd(go_r)};
	pid_t child = fork();
	if (child < 0) {
		close(pidpipe[0]);
		close(pidpipe[1]);
		return hutch_fail(err, errno, "fork");
	}
	if (child == 0) {
		setsid();
		pid_t grandchild = fork();
		if (grandchild == 0) {
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGPIPE, SIG_DFL);
			if (dup2(fds[0], 0) < 0 || dup2(fds[0], 1) < 0 || dup2(fds[1], 2) < 0 ||
			    dup2(fds[2], 3) < 0 || dup2(fds[3], 4) < 0)
				_exit(126);
			/* No client connection or other hutchd fd may reach it. */
			syscall(SYS_close_range, 5, ~0U, 0);
			execv(exe, (char **)argv);
			_exit(127);
		}
		ssize_t w = write(pidpipe[1], &grandchild, sizeof(grandchild));
		_exit(w == (ssize_t)sizeof(grandchild) && grandchild > 0 ? 0 : 1);
	}
	close(pidpipe[1]);
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	int status = 0;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	pid_t pid = 0;
	ssize_t r = read(pidpipe[0], &pid, sizeof(pid));
	close(pidpipe[0]);
	if (r != (ssize_t)sizeof(pid) || pid <= 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return hutch_fail_plain(err, EIO, "could not spawn %s", exe);
	return pid;
}

/* The last line of monitor.log, to explain a monitor that died. */
static void monitor_log_tail(struct ctr *c, char *out, size_t size)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/monitor.log", c->dir);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	out[0] = '\0';
	if (read_file_all(path, 1 << 20, &buf, &len, NULL) < 0)
		return;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	char *nl = strrchr(buf, '\n');
	snprintf(out, size, "%s", nl ? nl + 1 : buf);
}

static const char *record_path(struct ctr *c)
{
	json_object *v;
	if (json_object_object_get_ex(c->record, "Path", &v) && json_object_get_string(v))
		return json_object_get_string(v);
	return "";
}

/* "error <code> <message>" from the ready fd, as Docker reports it. */
static int monitor_error(struct ctr *c, const char *line, hutch_error *err)
{
	int code = 0, off = 0;
	if (sscanf(line, "error %d %n", &code, &off) < 1)
		return hutch_fail_plain(err, EIO, "hutch-monitor: unexpected reply \"%s\"", line);
	const char *msg = line + off;
	/* The monitor words these as Docker does (exec: "x": ...); Docker's
	 * reply puts its runtime's context in front. */
	if ((code == 127 || code == 126) && strncmp(msg, "exec: \"", 7) == 0)
		return hutch_fail_plain(err, EINVAL, "failed to create task for container: %s",
					msg);
	if (code == 127)
		return hutch_fail_plain(err, EINVAL,
					"failed to create task for container: exec: \"%s\": "
					"executable file not found in $PATH: %s",
					record_path(c), msg);
	if (code == 126)
		return hutch_fail_plain(err, EINVAL,
					"failed to create task for container: exec: \"%s\": "
					"permission denied: %s",
					record_path(c), msg);
	return hutch_fail_plain(err, EIO, "failed to start container %.12s: %s", c->id, msg);
}

static int expect(struct ctr *c, int fd, const char *want, int timeout_ms, hutch_error *err)
{
	char line[4096];
	int r = read_line(fd, line, sizeof(line), timeout_ms);
	if (r < 0)
		return hutch_fail(err, errno, "wait for hutch-monitor of %.12s", c->id);
	if (r == 0) {
		char tail[1024];
		monitor_log_tail(c, tail, sizeof(tail));
		return hutch_fail_plain(err, EIO,
					"hutch-monitor of %.12s exited during the start%s%s (see "
					"%s/monitor.log)",
					c->id, tail[0] ? ": " : "", tail, c->dir);
	}
	if (strcmp(line, want) == 0)
		return 0;
	return monitor_error(c, line, err);
}

static void clean_run_dir(struct ctr *c)
{
	static const char *const stale[] = {"monitor.pid", "attach.sock", "ctl.sock", NULL};
	for (const char *const *s = stale; *s; s++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", c->run_dir, *s);
		unlink(path);
	}
}

static bool no_attach_in_flight(struct ctr *c, void *arg)
{
	(void)arg;
	return c->attaching == 0;
}

static int run_handshake(struct hutchd *d, struct ctr *c, hutch_error *err)
{
	char exe[PATH_MAX];
	if (find_program_near_self("hutch-monitor", exe, sizeof(exe), err) < 0)
		return -1;
	if (set_sandbox_pid(d, c, err) < 0 || mkdir_parents(c->run_dir, 0700, err) < 0)
		return -1;
	clean_run_dir(c);
	char logpath[4200];
	snprintf(logpath, sizeof(logpath), "%s/monitor.log", c->dir);
	_cleanup_close_ int log_fd =
	    open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	_cleanup_close_ int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (log_fd < 0 || null_fd < 0)
		return hutch_fail(err, errno, "open %s", log_fd < 0 ? logpath : "/dev/null");
	int ready[2], go[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "pipe");
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return hutch_fail(err, errno, "pipe");
	}
	_cleanup_close_ int ready_r = ready[0], go_w = go[1];
	pid_t pid = spawn_monitor(exe, c->dir, null_fd, log_fd, ready[1], go[0], err);
	close(ready[1]);
	close(go[0]);
	if (pid < 0)
		return -1;
	int pidfd = pidfd_open_pid(pid);
	if (pidfd >= 0)
		ctr_watch_monitor(d, c, pid, pidfd);
	if (expect(c, ready_r, "created", MONITOR_CREATE_TIMEOUT_MS, err) < 0)
		goto fail;
	/* docker run starts once its attach got the 101: the session may not
	 * be queued yet. (A client that never gets that far is not waited for
	 * long.) */
	ctr_wait_until(d, c, no_attach_in_flight, NULL, 5000, NULL, NULL);
	hand_over_attaches(d, c);
	if (write_all(go_w, "start\n", 6) < 0) {
		hutch_fail(err, errno, "tell hutch-monitor of %.12s to start", c->id);
		goto fail;
	}
	close(steal_fd(&go_w));
	if (expect(c, ready_r, "running", MONITOR_RUN_TIMEOUT_MS, err) < 0)
		goto fail;
	return 0;
fail:
	/* A monitor that hangs is ended: the start has failed either way. */
	if (err->errnum == ETIMEDOUT)
		kill(pid, SIGKILL);
	return -1;
}

static bool monitor_gone_pred(struct ctr *c, void *arg)
{
	(void)arg;
	return c->monitor_pidfd < 0;
}

int ctr_start(struct hutchd *d, struct ctr *c, hutch_error *err)
{
	ctr_lock(d);
	if (c->removed || c->status == CTR_REMOVING) {
		ctr_unlock(d);
		return hutch_fail_plain(err, EBUSY,
					"container %s is marked for removal and cannot "
					"be started",
					c->id);
	}
	if (c->status == CTR_RUNNING) {
		ctr_unlock(d);
		return hutch_fail_plain(err, EALREADY, "container %s is already running", c->id);
	}
	if (c->starting) {
		ctr_unlock(d);
		return hutch_fail_plain(err, EBUSY, "container %s is already being started", c->id);
	}
	c->starting = true;
	ctr_unlock(d);
	/* The previous run's monitor may still be on its way out. */
	ctr_wait_until(d, c, monitor_gone_pred, NULL, 10000, NULL, NULL);
	int rc = run_handshake(d, c, err);
	/* A failed set-up reports its error before it has torn down and
	 * written the final state: the reply waits for that state, so that
	 * whoever got the error sees the container exited, with its error,
	 * and nothing of it mounted or running. */
	if (rc < 0)
		ctr_wait_until(d, c, monitor_gone_pred, NULL, MONITOR_TEARDOWN_TIMEOUT_MS, NULL,
			       NULL);
	ctr_lock(d);
	/* Under the lock, so that no "die" can come in between. */
	if (rc == 0) {
		volume_mount_events(d, c, "mount");
		events_emit(d, "container", "start", c->id, ctr_event_attributes(c));
	}
	c->starting = false;
	if (c->die_deferred)
		ctr_announce_die_locked(d, c);
	if (rc < 0)
		ctr_attach_drop_all(c);
	ctr_refresh(d, c);
	bool remove = c->auto_remove && c->status == CTR_EXITED && c->monitor_pidfd < 0;
	ctr_unlock(d);
	if (remove) {
		hutch_error rerr = {0};
		if (ctr_remove_with_volumes(d, c, &rerr) < 0)
			log_error("auto-remove %.12s: %s", c->id, rerr.msg);
	}
	return rc;
}

/* --------------------------------------------------------- kill, stop */

int ctr_kill(struct hutchd *d, struct ctr *c, int signo, hutch_error *err)
{
	ctr_lock(d);
	bool running = c->status == CTR_RUNNING && c->monitor_pidfd >= 0;
	ctr_unlock(d);
	if (!running)
		return hutch_fail_plain(err, ENOTCONN, "Container %s is not running", c->id);
	_cleanup_json_ json_object *req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("kill"));
	json_object_object_add(req, "signal", json_object_new_int(signo));
	_cleanup_json_ json_object *reply = NULL;
	if (ctr_ctl(c, req, &reply, err) < 0)
		return hutch_error_prefix(err, "kill %.12s", c->id);
	json_object *a = ctr_event_attributes(c);
	char sig[16];
	snprintf(sig, sizeof(sig), "%d", signo);
	json_object_object_add(a, "signal", json_object_new_string(sig));
	events_emit(d, "container", "kill", c->id, a);
	return 0;
}

int ctr_stop_signal(struct ctr *c)
{
	json_object *cfg, *v;
	if (json_object_object_get_ex(c->record, "Config", &cfg) &&
	    json_object_object_get_ex(cfg, "StopSignal", &v) && json_object_get_string(v) &&
	    json_object_get_string(v)[0]) {
		int s = signal_from_name(json_object_get_string(v));
		if (s > 0)
			return s;
	}
	return SIGTERM;
}

static bool stopped_pred(struct ctr *c, void *arg)
{
	(void)arg;
	return c->removed || (c->monitor_pidfd < 0 && c->status != CTR_RUNNING && !c->starting);
}

int ctr_stop(struct hutchd *d, struct ctr *c, int signo, int timeout_s, hutch_error *err)
{
	ctr_lock(d);
	bool running = c->status == CTR_RUNNING;
	ctr_unlock(d);
	if (!running)
		return hutch_fail_plain(err, EALREADY, "container %s is not running", c->id);
	if (signo == 0)
		signo = ctr_stop_signal(c);
	hutch_error kerr = {0};
	/* A container that exits meanwhile is stopped all the same. */
	if (ctr_kill(d, c, signo, &kerr) < 0)
		log_info("stop %.12s: %s", c->id, kerr.msg);
	int waited = ctr_wait_until(d, c, stopped_pred, NULL, timeout_s < 0 ? -1 : timeout_s * 1000,
				    NULL, NULL);
	if (waited == -ETIMEDOUT) {
		log_info("container %.12s did not stop within %d s: SIGKILL", c->id, timeout_s);
		if (ctr_kill(d, c, SIGKILL, &kerr) < 0)
			log_info("stop %.12s: %s", c->id, kerr.msg);
		waited = ctr_wait_until(d, c, stopped_pred, NULL, 30000, NULL, NULL);
	}
	if (waited < 0)
		return hutch_fail_plain(err, waited == -ETIMEDOUT ? ETIMEDOUT : ECANCELED,
					"container %s did not stop", c->id);
	events_emit(d, "container", "stop", c->id, ctr_event_attributes(c));
	return 0;
}
