/* Exec: POST /containers/{id}/exec creates a record, POST /exec/{id}/start
 * runs it in an exec monitor (hutch-monitor exec, a child of hutchd) that
 * gets the hijacked connection, /exec/{id}/resize goes to that monitor's
 * ctl socket, GET /exec/{id}/json reports it in Docker's shape.
 *
 * Records live in memory only, as in Docker. A finished one is dropped
 * EXEC_KEEP_NS after it ended, or when its container is gone (checked
 * whenever the exec routes are used). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api-containers.h"
#include "cleanup.h"
#include "ctr-log.h"
#include "events.h"
#include "file-util.h"
#include "find-program.h"
#include "hijack.h"
#include "json-util.h"
#include "log.h"
#include "streams.h"
#include "timefmt.h"

#define EXEC_KEEP_NS (5 * 60 * (int64_t)1000000000)

struct exec {
	char id[CTR_ID_LEN + 1];
	char ctr_id[CTR_ID_LEN + 1];
	char ctr_dir[4096], ctr_run_dir[4096];
	json_object *config; /* the create request, checked */
	bool tty, started, running, exited;
	int exit_code;
	pid_t pid;	  /* of the exec monitor */
	int64_t ended_ns; /* when it ended, for the expiry */
	struct exec *next;
};

static struct {
	pthread_mutex_t lock;
	struct exec *list;
} execs = {PTHREAD_MUTEX_INITIALIZER, NULL};

static void exec_free(struct exec *e)
{
	json_object_put(e->config);
	free(e);
}

/* Drop the records that ended long ago or whose container is gone. */
static void exec_sweep(struct hutchd *d)
{
	int64_t now = time_now_ns();
	pthread_mutex_lock(&execs.lock);
	for (struct exec **p = &execs.list; *p != NULL;) {
		struct exec *e = *p;
		bool drop = false;
		if (!e->running) {
			struct ctr *c = NULL;
			hutch_error err = {0};
			if (ctr_find(d, e->ctr_id, &c, &err) < 0)
				drop = err.errnum == ENOENT;
			else
				ctr_put(c);
			drop = drop || (e->exited && now - e->ended_ns > EXEC_KEEP_NS);
		}
		if (drop) {
			*p = e->next;
			exec_free(e);
		} else {
			p = &e->next;
		}
	}
	pthread_mutex_unlock(&execs.lock);
}

/* The record with this id (or unique prefix), under the lock. */
static struct exec *exec_find_locked(const char *id)
{
	struct exec *found = NULL;
	size_t n = strlen(id);
	if (n == 0)
		return NULL;
	for (struct exec *e = execs.list; e != NULL; e = e->next) {
		if (strcmp(e->id, id) == 0)
			return e;
		if (strncmp(e->id, id, n) == 0) {
			if (found != NULL)
				return NULL;
			found = e;
		}
	}
	return found;
}

static void random_id(char out[CTR_ID_LEN + 1])
{
	unsigned char raw[CTR_ID_LEN / 2];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw)) {
		/* Never reached on Linux; still unique enough within hutchd. */
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)(rand() ^ (int)time_now_ns());
	}
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static bool container_running(struct hutchd *d, struct ctr *c)
{
	ctr_lock(d);
	bool running = c->status == CTR_RUNNING;
	ctr_unlock(d);
	return running;
}

/* Event attributes: the container's name and image plus the exec id. */
static json_object *exec_event_attributes(struct hutchd *d, struct ctr *c, const char *exec_id)
{
	json_object *a = json_object_new_object();
	ctr_lock(d);
	json_object_object_add(a, "name", json_object_new_string(c->name));
	json_object *cfg = NULL, *image = NULL;
	if (json_object_object_get_ex(c->record, "Config", &cfg) &&
	    json_object_object_get_ex(cfg, "Image", &image))
		json_object_object_add(a, "image", json_object_get(image));
	ctr_unlock(d);
	json_object_object_add(a, "execID", json_object_new_string(exec_id));
	return a;
}

/* Docker's action word: "exec_create: sh -c date". */
static void exec_action(const char *verb, json_object *config, char *out, size_t size)
{
	json_object *cmd = NULL;
	json_object_object_get_ex(config, "Cmd", &cmd);
	size_t used = (size_t)snprintf(out, size, "%s:", verb);
	for (size_t i = 0; cmd != NULL && i < json_object_array_length(cmd) && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, " %s",
					 json_object_get_string(json_object_array_get_idx(cmd, i)));
}

/* ------------------------------------------------------------- create */

static int check_create(json_object *body, hutch_error *err)
{
	_cleanup_strv_ char **cmd = NULL, **env = NULL;
	size_t n = 0;
	if (json_get_strv(body, "", "Cmd", false, &cmd, &n, err) < 0 ||
	    json_get_strv(body, "", "Env", false, &env, NULL, err) < 0)
		return -1;
	if (cmd == NULL || n == 0)
		return hutch_fail_plain(err, EINVAL, "No exec command specified");
	const char *wd = NULL, *user = NULL, *keys = NULL;
	bool b = false;
	if (json_get_string(body, "", "WorkingDir", false, &wd, err) < 0 ||
	    json_get_string(body, "", "User", false, &user, err) < 0 ||
	    json_get_string(body, "", "DetachKeys", false, &keys, err) < 0)
		return -1;
	static const char *const bools[] = {"AttachStdin", "AttachStdout", "AttachStderr",
					    "Tty",	   "Privileged",   NULL};
	for (const char *const *k = bools; *k != NULL; k++)
		if (json_get_bool(body, "", *k, &b, err) < 0)
			return -1;
	if (wd != NULL && wd[0] != '\0' && wd[0] != '/')
		return hutch_fail_plain(err, EINVAL,
					"the working directory '%s' is invalid, it needs to be an "
					"absolute path",
					wd);
	return 0;
}

static bool body_bool(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

enum MHD_Result api_exec_create(struct request *r, struct ctr *c)
{
	if (strcmp(r->method, "POST") != 0)
		return reply_error(r, 405, "method %s not allowed on exec", r->method);
	hutch_error err = {0};
	_cleanup_json_ json_object *body = NULL;
	if (r->body == NULL)
		return reply_error(r, 400, "exec: a JSON body with Cmd is required");
	if (json_parse_buffer(r->body, r->body_len, "exec config", &body, &err) < 0 ||
	    !json_object_is_type(body, json_type_object) || check_create(body, &err) < 0) {
		if (err.errnum == 0)
			hutch_fail_plain(&err, EINVAL, "exec config: expected a JSON object");
		return reply_error(r, 400, "%s", err.msg);
	}
	if (!container_running(r->d, c))
		return reply_error(r, 409, "Container %s is not running", c->id);
	exec_sweep(r->d);
	struct exec *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return MHD_NO;
	random_id(e->id);
	snprintf(e->ctr_id, sizeof(e->ctr_id), "%s", c->id);
	snprintf(e->ctr_dir, sizeof(e->ctr_dir), "%s", c->dir);
	snprintf(e->ctr_run_dir, sizeof(e->ctr_run_dir), "%s", c->run_dir);
	e->config = json_object_get(body);
	e->tty = body_bool(body, "Tty");
	pthread_mutex_lock(&execs.lock);
	e->next = execs.list;
	execs.list = e;
	pthread_mutex_unlock(&execs.lock);

	char action[512];
	exec_action("exec_create", body, action, sizeof(action));
	events_emit(r->d, "container", action, c->id, exec_event_attributes(r->d, c, e->id));
	_cleanup_json_ json_object *out = json_object_new_object();
	json_object_object_add(out, "Id", json_object_new_string(e->id));
	return reply_json(r, 201, out);
}

/* ---------------------------------------------------------------- start */

struct exec_run {
	struct hutchd *d;
	char id[CTR_ID_LEN + 1];
	pid_t pid;
	int stream_fd; /* our copy of the client's connection */
};

/* The monitor's spec (containers.md, "Exec"). */
static char *exec_spec(json_object *config)
{
	_cleanup_json_ json_object *spec = json_object_new_object();
	static const char *const keys[] = {
	    "Cmd",	    "Env",	    "WorkingDir", "User",	 "Tty", "AttachStdin",
	    "AttachStdout", "AttachStderr", "Privileged", "ConsoleSize", NULL};
	for (const char *const *k = keys; *k != NULL; k++) {
		json_object *v = NULL;
		if (json_object_object_get_ex(config, *k, &v) && v != NULL)
			json_object_object_add(spec, *k, json_object_get(v));
	}
	const char *s = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN);
	return strdup(s);
}

static int high_fd(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* Start hutch-monitor exec with the spec on fd 3 and the stream on fd 4. */
static int spawn_exec_monitor(struct exec *e, int stream_fd, pid_t *pid, hutch_error *err)
{
	char bin[PATH_MAX];
	if (find_program_near_self("hutch-monitor", bin, sizeof(bin), err) < 0)
		return -1;
	_cleanup_free_ char *spec = exec_spec(e->config);
	char logpath[4200];
	snprintf(logpath, sizeof(logpath), "%s/monitor.log", e->ctr_dir);
	const char *argv[] = {"hutch-monitor", "exec", "--exec-id", e->id, "--spec-fd", "3",
			      "--stream-fd",   "4",    e->ctr_dir,  NULL};
	int sp[2];
	if (spec == NULL)
		return hutch_fail_plain(err, ENOMEM, "out of memory");
	if (pipe2(sp, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "pipe");
	_cleanup_close_ int spec_rd = high_fd(sp[0]);
	_cleanup_close_ int stream = high_fd(stream_fd);
	_cleanup_close_ int logfd =
	    open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	_cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	close(sp[0]);
	if (spec_rd < 0 || stream < 0 || null < 0) {
		close(sp[1]);
		return hutch_fail(err, errno, "prepare the exec monitor's descriptors");
	}
	pid_t child = fork();
	if (child < 0) {
		close(sp[1]);
		return hutch_fail(err, errno, "fork");
	}
	if (child == 0) {
		/* Only async-signal-safe calls from here: hutchd has threads. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		if (dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(logfd >= 0 ? logfd : null, 2) < 0 || dup2(spec_rd, 3) < 0 ||
		    dup2(stream, 4) < 0)
			_exit(127);
		execv(bin, (char **)argv);
		_exit(127);
	}
	int rc = write_all(sp[1], spec, strlen(spec));
	int saved = errno;
	close(sp[1]);
	if (rc < 0)
		log_warning("exec %.12s: write its spec: %s", e->id, strerror(saved));
	*pid = child;
	return 0;
}

static void *exec_waiter(void *arg)
{
	struct exec_run *run = arg;
	int status = 0;
	while (waitpid(run->pid, &status, 0) < 0 && errno == EINTR)
		;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	json_object *attrs = NULL;
	char ctr_id[CTR_ID_LEN + 1] = "";
	pthread_mutex_lock(&execs.lock);
	struct exec *e = exec_find_locked(run->id);
	if (e != NULL) {
		e->running = false;
		e->exited = true;
		e->exit_code = code;
		e->ended_ns = time_now_ns();
		snprintf(ctr_id, sizeof(ctr_id), "%s", e->ctr_id);
	}
	pthread_mutex_unlock(&execs.lock);
	struct ctr *c = NULL;
	hutch_error err = {0};
	if (ctr_id[0] != '\0' && ctr_find(run->d, ctr_id, &c, &err) == 0) {
		attrs = exec_event_attributes(run->d, c, run->id);
		char code_s[16];
		snprintf(code_s, sizeof(code_s), "%d", code);
		json_object_object_add(attrs, "exitCode", json_object_new_string(code_s));
		events_emit(run->d, "container", "exec_die", ctr_id, attrs);
		ctr_put(c);
	}
	log_debug("exec %.12s ended with %d", run->id, code);
	/* The monitor closed its copy without a shutdown: the client sees its
	 * stream end only now, when the exit code and exec_die are recorded. */
	close(run->stream_fd);
	free(run);
	return NULL;
}

/* Run the exec with stream_fd as its stream (taken). */
static void exec_run(struct hutchd *d, const char *id, int stream_fd)
{
	hutch_error err = {0};
	pthread_mutex_lock(&execs.lock);
	struct exec *e = exec_find_locked(id);
	pid_t pid = 0;
	int rc = e == NULL ? hutch_fail_plain(&err, ENOENT, "exec %s is gone", id)
			   : spawn_exec_monitor(e, stream_fd, &pid, &err);
	struct exec_run *run = NULL;
	if (rc == 0) {
		e->pid = pid;
		run = calloc(1, sizeof(*run));
	} else if (e != NULL) {
		e->running = false;
		e->exited = true;
		e->exit_code = 126;
		e->ended_ns = time_now_ns();
	}
	if (rc < 0 && e != NULL) {
		/* The client is told in its stream, on stderr. */
		char msg[HUTCH_ERROR_MAX + 16];
		int len = snprintf(msg, sizeof(msg), "%s\n", err.msg);
		unsigned char hdr[8];
		stream_frame_header(hdr, 2, (size_t)len);
		if (e->tty || write_all(stream_fd, hdr, sizeof(hdr)) == 0)
			write_all(stream_fd, msg, (size_t)len);
	}
	pthread_mutex_unlock(&execs.lock);
	if (rc < 0) {
		close(stream_fd);
		log_error("exec %.12s: %s", id, err.msg);
		return;
	}
	if (run == NULL) {
		close(stream_fd);
		log_error("exec %.12s: out of memory", id);
		return;
	}
	run->stream_fd = stream_fd;
	run->d = d;
	snprintf(run->id, sizeof(run->id), "%s", id);
	run->pid = pid;
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, exec_waiter, run) != 0)
		exec_waiter(run); /* no thread to spare: wait in this one */
	pthread_attr_destroy(&attr);
}

struct exec_hijack {
	struct hutchd *d;
	char id[CTR_ID_LEN + 1];
};

static void exec_hijacked(void *cls, int fd, const char *extra, size_t extra_len)
{
	struct exec_hijack *h = cls;
	if (extra_len > 0)
		log_warning("exec %.12s: %zu bytes sent before the upgrade are dropped", h->id,
			    extra_len);
	(void)extra;
	exec_run(h->d, h->id, fd);
}

/* Mark e started, or say why it cannot start (under the lock). */
static int claim_start(struct hutchd *d, struct exec *e, hutch_error *err)
{
	if (e->started)
		return hutch_fail_plain(err, EEXIST, "exec %s has already been started", e->id);
	struct ctr *c = NULL;
	if (ctr_find(d, e->ctr_id, &c, err) < 0)
		return -1;
	bool running = container_running(d, c);
	if (running) {
		char action[512];
		exec_action("exec_start", e->config, action, sizeof(action));
		events_emit(d, "container", action, c->id, exec_event_attributes(d, c, e->id));
	}
	ctr_put(c);
	if (!running)
		return hutch_fail_plain(err, EEXIST, "Container %s is not running", e->ctr_id);
	e->started = true;
	e->running = true;
	return 0;
}

static enum MHD_Result exec_start(struct request *r, const char *id)
{
	hutch_error err = {0};
	_cleanup_json_ json_object *body = NULL;
	bool detach = false;
	if (r->body != NULL && r->body_len > 0 &&
	    (json_parse_buffer(r->body, r->body_len, "exec start", &body, &err) < 0 ||
	     json_get_bool(body, "", "Detach", &detach, &err) < 0))
		return reply_error(r, 400, "%s", err.msg);
	if (!detach && !hijack_requested(r))
		return reply_error(r, 400,
				   "exec start needs a hijacked connection: send \"Connection: "
				   "Upgrade\" and \"Upgrade: tcp\" (or Detach)");
	pthread_mutex_lock(&execs.lock);
	struct exec *e = exec_find_locked(id);
	char full[CTR_ID_LEN + 1] = "";
	bool tty = false;
	int rc = e == NULL ? hutch_fail_plain(&err, ENOENT, "No such exec instance: %s", id)
			   : claim_start(r->d, e, &err);
	if (rc == 0) {
		snprintf(full, sizeof(full), "%s", e->id);
		tty = e->tty;
		/* Clients send the terminal's size with the start too (Docker's
		 * ExecStartCheck.ConsoleSize, what `hutch exec -t` sends): it
		 * wins over the create's, so the process never sees 0x0. */
		json_object *size = NULL;
		if (body != NULL && json_object_object_get_ex(body, "ConsoleSize", &size) &&
		    json_object_is_type(size, json_type_array))
			json_object_object_add(e->config, "ConsoleSize", json_object_get(size));
	}
	pthread_mutex_unlock(&execs.lock);
	if (rc < 0)
		return reply_hutch_error(r, &err);
	if (detach) {
		/* A stream nobody reads: the monitor sees its end closed and
		 * drops the output (it cannot watch /dev/null with epoll). */
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
			return reply_error(r, 500, "socketpair: %s", strerror(errno));
		close(sp[1]);
		exec_run(r->d, full, sp[0]);
		return reply_empty(r, MHD_HTTP_OK);
	}
	struct exec_hijack *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return MHD_NO;
	h->d = r->d;
	snprintf(h->id, sizeof(h->id), "%s", full);
	return reply_hijack(r, !tty, exec_hijacked, h, free);
}

/* --------------------------------------------------------------- resize */

static int parse_dim(struct request *r, const char *key, int *out)
{
	const char *v = query_arg(r, key);
	char *end = NULL;
	long n = v ? strtol(v, &end, 10) : -1;
	if (v == NULL || *end != '\0' || n < 0 || n > 65535)
		return -1;
	*out = (int)n;
	return 0;
}

static enum MHD_Result exec_resize(struct request *r, const char *id)
{
	int h = 0, w = 0;
	if (parse_dim(r, "h", &h) < 0 || parse_dim(r, "w", &w) < 0)
		return reply_error(r, 400, "resize: h and w must be numbers from 0 to 65535");
	char sock[CTR_ID_LEN + 16] = "", ctr_id[CTR_ID_LEN + 1] = "";
	pthread_mutex_lock(&execs.lock);
	struct exec *e = exec_find_locked(id);
	bool running = e != NULL && e->running;
	if (e != NULL) {
		snprintf(sock, sizeof(sock), "exec-%s.sock", e->id);
		snprintf(ctr_id, sizeof(ctr_id), "%s", e->ctr_id);
	}
	pthread_mutex_unlock(&execs.lock);
	if (e == NULL)
		return reply_error(r, 404, "No such exec instance: %s", id);
	if (!running)
		return reply_error(r, 409, "exec %s is not running", id);
	hutch_error err = {0};
	struct ctr *c = NULL;
	if (ctr_find(r->d, ctr_id, &c, &err) < 0)
		return reply_hutch_error(r, &err);
	_cleanup_json_ json_object *req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("resize"));
	json_object_object_add(req, "h", json_object_new_int(h));
	json_object_object_add(req, "w", json_object_new_int(w));
	_cleanup_json_ json_object *reply = NULL;
	/* Right after start (docker sends the size at once) the monitor may
	 * not listen yet: retry for a second. */
	int rc = -1;
	for (int i = 0; i < 20; i++) {
		memset(&err, 0, sizeof(err));
		rc = ctr_ctl_at(c, sock, req, &reply, &err);
		if (rc == 0 || (err.errnum != ENOENT && err.errnum != ECONNREFUSED))
			break;
		usleep(50 * 1000);
	}
	ctr_put(c);
	if (rc < 0)
		return reply_error(r, err.errnum == EIO ? 400 : 500, "resize exec %.12s: %s", id,
				   err.msg);
	return reply_empty(r, MHD_HTTP_OK);
}

/* ---------------------------------------------------------------- inspect */

static json_object *exec_inspect_locked(struct exec *e)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ID", json_object_new_string(e->id));
	json_object_object_add(o, "Running", json_object_new_boolean(e->running));
	json_object_object_add(o, "ExitCode", e->exited ? json_object_new_int(e->exit_code) : NULL);
	json_object *pc = json_object_new_object();
	json_object *cmd = NULL, *args = json_object_new_array();
	json_object_object_get_ex(e->config, "Cmd", &cmd);
	size_t n = cmd ? json_object_array_length(cmd) : 0;
	json_object_object_add(
	    pc, "entrypoint",
	    json_object_new_string(n ? json_object_get_string(json_object_array_get_idx(cmd, 0))
				     : ""));
	for (size_t i = 1; i < n; i++)
		json_object_array_add(args, json_object_get(json_object_array_get_idx(cmd, i)));
	json_object_object_add(pc, "arguments", args);
	json_object_object_add(pc, "privileged",
			       json_object_new_boolean(body_bool(e->config, "Privileged")));
	json_object_object_add(pc, "tty", json_object_new_boolean(e->tty));
	json_object *user = NULL;
	json_object_object_get_ex(e->config, "User", &user);
	json_object_object_add(pc, "user",
			       json_object_new_string(user ? json_object_get_string(user) : ""));
	json_object_object_add(o, "ProcessConfig", pc);
	json_object_object_add(o, "OpenStdin",
			       json_object_new_boolean(body_bool(e->config, "AttachStdin")));
	json_object_object_add(o, "OpenStderr",
			       json_object_new_boolean(body_bool(e->config, "AttachStderr")));
	json_object_object_add(o, "OpenStdout",
			       json_object_new_boolean(body_bool(e->config, "AttachStdout")));
	json_object_object_add(o, "CanRemove", json_object_new_boolean(false));
	json_object_object_add(o, "ContainerID", json_object_new_string(e->ctr_id));
	json_object *keys = NULL;
	json_object_object_get_ex(e->config, "DetachKeys", &keys);
	json_object_object_add(o, "DetachKeys",
			       json_object_new_string(keys ? json_object_get_string(keys) : ""));
	json_object_object_add(o, "Pid", json_object_new_int(e->running ? (int)e->pid : 0));
	return o;
}

static enum MHD_Result exec_json(struct request *r, const char *id)
{
	pthread_mutex_lock(&execs.lock);
	/* A client that read its stream to the end finds the exit code: the
	 * stream ends only once it is recorded (exec_waiter). */
	struct exec *e = exec_find_locked(id);
	_cleanup_json_ json_object *o = e != NULL ? exec_inspect_locked(e) : NULL;
	pthread_mutex_unlock(&execs.lock);
	if (o == NULL)
		return reply_error(r, 404, "No such exec instance: %s", id);
	return reply_json(r, 200, o);
}

enum MHD_Result api_exec(struct request *r)
{
	/* /exec/{id}/{action} */
	char id[CTR_ID_LEN + 1];
	const char *p = r->path + strlen("/exec/");
	size_t n = strcspn(p, "/");
	const char *action = p[n] == '/' ? p + n + 1 : "";
	if (n == 0 || n > CTR_ID_LEN)
		return reply_error(r, 404, "No such exec instance: %.*s", (int)n, p);
	memcpy(id, p, n);
	id[n] = '\0';
	exec_sweep(r->d);
	if (strcmp(action, "start") == 0 && strcmp(r->method, "POST") == 0)
		return exec_start(r, id);
	if (strcmp(action, "resize") == 0 && strcmp(r->method, "POST") == 0)
		return exec_resize(r, id);
	if (strcmp(action, "json") == 0 && strcmp(r->method, "GET") == 0)
		return exec_json(r, id);
	return reply_error(r, 404, "page not found");
}
