/* hutch-monitor exec: one process in a running container, for Docker's
 * exec start. hutchd spawns it as its own child with the exec's JSON on
 * the spec fd and the hijacked connection on the stream fd; it joins the
 * sandbox, runs container_exec with a pty or pipes, relays the stream in
 * attach framing, serves exec-<id>.sock for resize, and exits with the
 * exec'd process's status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cap-names.h"
#include "cleanup.h"
#include "container.h"
#include "file-util.h"
#include "json-util.h"
#include "log.h"
#include "monitor.h"
#include "sandbox-join.h"

struct exec_spec {
	char **cmd, **env;
	char *workdir, *user;
	bool tty, attach_stdin, attach_stdout, attach_stderr;
	bool privileged; /* every capability, as for a Privileged container */
	int rows, cols;	 /* ConsoleSize, 0 when not given */
};

struct exec_session {
	struct monitor_config cfg;
	char dir[PATH_MAX], oci_root[PATH_MAX];
	const char *exec_id;
	char ctl_name[160], console_name[160], pid_name[160];
	struct exec_spec spec;
	struct child_stdio io;
	struct output_source sources[2];
	struct input_queue input;
	struct stream stream;
	bool stream_open;
	struct ctl_server ctl;
	int signal_fd;
	struct watch signal_watch;
	pid_t pid;
	bool exited;
	int exit_code;
};

static void spec_clear(struct exec_spec *s)
{
	strv_free(s->cmd);
	strv_free(s->env);
	free(s->workdir);
	free(s->user);
}

static int spec_read(int fd, struct exec_spec *spec, hutch_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (read_fd_all(fd, "the exec spec", 1024 * 1024, &text, &len, err) < 0)
		return -1;
	_cleanup_json_ json_object *doc = NULL;
	if (json_parse_buffer(text, len, "exec spec", &doc, err) < 0)
		return -1;
	if (!json_object_is_type(doc, json_type_object))
		return hutch_fail_plain(err, EINVAL, "exec spec: expected an object");
	const char *workdir = "", *user = "";
	if (json_get_strv(doc, "exec spec", "Cmd", true, &spec->cmd, NULL, err) < 0 ||
	    json_get_strv(doc, "exec spec", "Env", false, &spec->env, NULL, err) < 0 ||
	    json_get_string(doc, "exec spec", "WorkingDir", false, &workdir, err) < 0 ||
	    json_get_string(doc, "exec spec", "User", false, &user, err) < 0 ||
	    json_get_bool(doc, "exec spec", "Tty", &spec->tty, err) < 0 ||
	    json_get_bool(doc, "exec spec", "AttachStdin", &spec->attach_stdin, err) < 0)
		return -1;
	/* Docker's default is to attach both outputs. */
	spec->attach_stdout = spec->attach_stderr = true;
	json_object *size = NULL;
	if (json_get_bool(doc, "exec spec", "AttachStdout", &spec->attach_stdout, err) < 0 ||
	    json_get_bool(doc, "exec spec", "AttachStderr", &spec->attach_stderr, err) < 0 ||
	    json_get_bool(doc, "exec spec", "Privileged", &spec->privileged, err) < 0 ||
	    json_get_array(doc, "exec spec", "ConsoleSize", false, &size, err) < 0)
		return -1;
	if (size != NULL && json_object_array_length(size) == 2) {
		spec->rows = json_object_get_int(json_object_array_get_idx(size, 0));
		spec->cols = json_object_get_int(json_object_array_get_idx(size, 1));
	}
	if (spec->cmd[0] == NULL)
		return hutch_fail_plain(err, EINVAL, "exec spec: Cmd is empty");
	spec->workdir = workdir[0] != '\0' ? strdup(workdir) : NULL;
	spec->user = user[0] != '\0' ? strdup(user) : NULL;
	return 0;
}

/* Field i (0-based) of a colon-separated line of len bytes, or NULL. */
static const char *colon_field(const char *line, size_t len, int i, size_t *flen)
{
	const char *p = line, *end = line + len;
	for (; i > 0; i--) {
		p = memchr(p, ':', (size_t)(end - p));
		if (p == NULL)
			return NULL;
		p++;
	}
	const char *c = memchr(p, ':', (size_t)(end - p));
	*flen = (size_t)((c != NULL ? c : end) - p);
	return p;
}

/* The id (third field) of name in the container's passwd or group file,
 * and with gid the primary gid of a passwd entry (fourth field). */
static int lookup_id(const char *rootfs, const char *file, const char *name, long *id, long *gid,
		     hutch_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/etc/%s", rootfs, file);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (read_file_all(path, 4 * 1024 * 1024, &text, &len, err) < 0)
		return hutch_error_prefix(err, "unable to find user %s", name);
	for (char *line = text; line < text + len;) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		size_t n = nl != NULL ? (size_t)(nl - line) : (size_t)(text + len - line);
		size_t fl = 0, il = 0, gl = 0;
		const char *f = colon_field(line, n, 0, &fl);
		const char *i = colon_field(line, n, 2, &il);
		const char *g = gid != NULL ? colon_field(line, n, 3, &gl) : NULL;
		if (f != NULL && fl == strlen(name) && memcmp(f, name, fl) == 0 && i != NULL &&
		    (gid == NULL || g != NULL)) {
			*id = strtol(i, NULL, 10);
			if (gid != NULL)
				*gid = strtol(g, NULL, 10);
			return 0;
		}
		line += n + 1;
	}
	return hutch_fail_plain(err, ENOENT, "unable to find %s %s: no matching entries in %s file",
				gid != NULL ? "user" : "group", name, file);
}

/* Docker's User: "name", "uid", "name:group", "uid:gid", names looked up in
 * the container's /etc/passwd and /etc/group; libhutch takes "uid[:gid]". */
static int resolve_user(const char *rootfs, const char *spec, char **out, hutch_error *err)
{
	_cleanup_free_ char *copy = strdup(spec);
	if (copy == NULL)
		return hutch_fail(err, ENOMEM, "user");
	char *group = strchr(copy, ':');
	if (group != NULL)
		*group++ = '\0';
	char *end = NULL;
	long uid = strtol(copy, &end, 10), gid = -1;
	if (copy[0] == '\0' || *end != '\0') {
		if (lookup_id(rootfs, "passwd", copy, &uid, &gid, err) < 0)
			return -1;
	}
	if (group != NULL) {
		gid = strtol(group, &end, 10);
		if (group[0] == '\0' || *end != '\0') {
			if (lookup_id(rootfs, "group", group, &gid, NULL, err) < 0)
				return -1;
		}
	}
	char buf[64];
	if (gid >= 0)
		snprintf(buf, sizeof(buf), "%ld:%ld", uid, gid);
	else
		snprintf(buf, sizeof(buf), "%ld", uid);
	*out = strdup(buf);
	return *out != NULL ? 0 : hutch_fail(err, ENOMEM, "user");
}

static void exec_output(void *ctx, int which, const char *data, size_t len)
{
	struct exec_session *x = ctx;
	if (x->stream_open)
		stream_send(&x->stream, which, data, len);
}

static void exec_input(struct stream *s, const char *data, size_t len)
{
	struct exec_session *x = s->ctx;
	input_write(&x->input, data, len);
	if (input_full(&x->input))
		stream_pause_input(s, true);
}

static void exec_input_end(struct stream *s)
{
	struct exec_session *x = s->ctx;
	input_close(&x->input);
}

static void exec_input_ready(void *ctx)
{
	struct exec_session *x = ctx;
	if (x->stream_open && x->stream.input_paused)
		stream_pause_input(&x->stream, false);
}

static void exec_stream_gone(struct stream *s)
{
	struct exec_session *x = s->ctx;
	x->stream_open = false;
}

static json_object *exec_request(void *ctx, const char *op, json_object *req)
{
	struct exec_session *x = ctx;
	if (strcmp(op, "resize") == 0)
		return ctl_resize(x->spec.tty ? x->io.out : -1, req);
	char msg[256];
	snprintf(msg, sizeof(msg), "unknown op '%s' (an exec knows resize)", op);
	return ctl_error_reply(msg);
}

static void exec_signal(struct watch *w, uint32_t events)
{
	(void)events;
	struct exec_session *x = w->ctx;
	struct signalfd_siginfo si;
	while (read(x->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			if (x->pid > 0 && !x->exited)
				kill(x->pid, (int)si.ssi_signo);
			continue;
		}
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == x->pid) {
				x->exited = true;
				x->exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
								 : 128 + WTERMSIG(status);
			}
		}
	}
}

static pid_t read_pid_file(const char *name, hutch_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (read_file_all(name, 64, &text, &len, err) < 0)
		return -1;
	unlink(name);
	int pid = atoi(text);
	if (pid <= 0)
		return hutch_fail_plain(err, EINVAL, "bad pid file of the exec'd process");
	return pid;
}

static int exec_start(struct exec_session *x, hutch_error *err)
{
	const struct exec_spec *sp = &x->spec;
	_cleanup_free_ char *user = NULL;
	if (sp->user != NULL && resolve_user(x->cfg.rootfs, sp->user, &user, err) < 0)
		return -1;
	if (child_stdio_prepare(&x->io, sp->tty, sp->attach_stdin, x->console_name, err) < 0)
		return -1;
	struct exec_options o = {
	    .root = x->oci_root,
	    .id = x->cfg.id,
	    .args = sp->cmd,
	    .env = sp->env,
	    .cwd = sp->workdir,
	    .user = user,
	    .tty = sp->tty,
	    .tty_given = true,
	    .detach = true,
	    .pid_file = x->pid_name,
	    .console_socket = sp->tty ? x->console_name : NULL,
	    .console_rows = sp->rows > 0 ? (unsigned)sp->rows : 0,
	    .console_cols = sp->cols > 0 ? (unsigned)sp->cols : 0,
	};
	_cleanup_free_ char **all_caps = NULL;
	if (sp->privileged) {
		size_t n = hutch_cap_count_kernel();
		all_caps = calloc(n + 1, sizeof(char *));
		if (all_caps == NULL)
			return hutch_fail(err, ENOMEM, "capabilities");
		for (size_t i = 0; i < n; i++)
			all_caps[i] = (char *)hutch_cap_names[i];
		o.caps = all_caps;
	}
	int saved[3], status = 0;
	if (child_stdio_install(&x->io, saved, err) < 0)
		return -1;
	int r = container_exec(&o, &status, err);
	child_stdio_restore(saved);
	if (r < 0 || child_stdio_finish(&x->io, err) < 0)
		return -1;
	x->pid = read_pid_file(x->pid_name, err);
	if (x->pid < 0)
		return -1;
	if (sp->tty && sp->rows > 0 && sp->cols > 0) {
		struct winsize ws = {.ws_row = (unsigned short)sp->rows,
				     .ws_col = (unsigned short)sp->cols};
		if (ioctl(x->io.out, TIOCSWINSZ, &ws) < 0)
			log_warning("exec: ConsoleSize: %s", strerror(errno));
	}
	input_init(&x->input, x->io.in, sp->tty, exec_input_ready, x);
	x->io.in = -1;
	if (output_source_start(&x->sources[0], x->io.out, 1, exec_output, x, err) < 0 ||
	    output_source_start(&x->sources[1], x->io.err, 2, exec_output, x, err) < 0)
		return -1;
	return 0;
}

static int exec_run(struct exec_session *x, int stream_fd)
{
	hutch_error err = {0};
	x->stream.fd = -1;
	x->stream.tty = x->spec.tty;
	x->stream.want_stdout = x->spec.attach_stdout;
	x->stream.want_stderr = x->spec.attach_stderr && !x->spec.tty;
	x->stream.want_stdin = x->spec.attach_stdin;
	/* hutchd keeps the connection open until it has reaped us and recorded
	 * the exit code: the client's end of stream then means the exit code
	 * (and the exec_die event) is there, as Docker clients expect when
	 * they inspect the exec right after its stream ended. */
	x->stream.peer_ends = true;
	x->stream.on_input = exec_input;
	x->stream.on_input_end = exec_input_end;
	x->stream.on_gone = exec_stream_gone;
	x->stream.ctx = x;
	input_init(&x->input, -1, false, NULL, NULL);
	int r = 0;
	if (x->cfg.sandbox_pid != 0 && sandbox_join(x->cfg.sandbox_pid, &err) < 0)
		r = hutch_error_prefix(&err, "join the user sandbox (pid %d)",
				       (int)x->cfg.sandbox_pid);
	if (r == 0 && chdir(x->cfg.runtime_dir) < 0)
		r = hutch_fail(&err, errno, "chdir %s", x->cfg.runtime_dir);
	if (r == 0 &&
	    (loop_init(&err) < 0 || (x->signal_fd = signals_open(&err)) < 0 ||
	     loop_watch(&x->signal_watch, x->signal_fd, EPOLLIN, exec_signal, x, &err) < 0))
		r = -1;
	if (r == 0 && stream_open(&x->stream, stream_fd, &err) < 0)
		r = -1;
	if (r == 0) {
		x->stream_open = true;
		stream_fd = -1;
	}
	if (r == 0 && ctl_server_start(&x->ctl, x->ctl_name, exec_request, x, &err) < 0)
		r = -1;
	if (r == 0)
		r = exec_start(x, &err);
	if (r < 0) {
		int code = start_error_code(&err);
		hutch_log_error(&err);
		const char *msg = strstr(err.msg, "exec: \"");
		char line[HUTCH_ERROR_MAX + 8];
		snprintf(line, sizeof(line), "%s\n", msg != NULL ? msg : err.msg);
		int fd = x->stream_open ? x->stream.fd : stream_fd;
		if (fd >= 0) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			stream_write_message(fd, x->spec.tty, 2, line);
		}
		if (x->stream_open)
			stream_close(&x->stream);
		else if (stream_fd >= 0)
			close(stream_fd);
		ctl_server_stop(&x->ctl);
		child_stdio_close(&x->io);
		return code;
	}
	/* Until the process has exited and its output is all read. */
	while (!x->exited)
		loop_run_once(-1);
	output_source_drain(&x->sources[0]);
	output_source_drain(&x->sources[1]);
	ctl_server_stop(&x->ctl);
	input_free(&x->input);
	if (x->stream_open) {
		stream_finish(&x->stream);
		int64_t deadline = now_ms() + 5000;
		while (x->stream_open && now_ms() < deadline)
			loop_run_once((int)(deadline - now_ms()));
		if (x->stream_open)
			stream_close(&x->stream);
	}
	child_stdio_close(&x->io);
	return x->exit_code;
}

static void exec_usage(FILE *out)
{
	fprintf(out, "Usage: hutch-monitor exec --spec-fd N --stream-fd N --exec-id ID DIR\n");
}

int exec_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"spec-fd", required_argument, NULL, 's'},
	    {"stream-fd", required_argument, NULL, 't'},
	    {"exec-id", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int spec_fd = -1, stream_fd = -1;
	const char *exec_id = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
		case 't': {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || v < 0 || v > INT_MAX ||
			    fcntl((int)v, F_GETFD) < 0) {
				log_error("exec: --%s: '%s' is not an open file descriptor",
					  c == 's' ? "spec-fd" : "stream-fd", optarg);
				return 2;
			}
			*(c == 's' ? &spec_fd : &stream_fd) = (int)v;
			break;
		}
		case 'i':
			exec_id = optarg;
			break;
		case 'h':
			exec_usage(stdout);
			return 0;
		default:
			exec_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || spec_fd < 0 || stream_fd < 0 || exec_id == NULL) {
		log_error("exec: needs --spec-fd, --stream-fd, --exec-id and one container dir");
		exec_usage(stderr);
		return 2;
	}
	if (exec_id[0] == '\0' || strlen(exec_id) > 128 || strchr(exec_id, '/') != NULL) {
		log_error("exec: bad exec id '%s'", exec_id);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

	struct exec_session x = {.exec_id = exec_id, .signal_fd = -1, .ctl = {.listen_fd = -1}};
	child_stdio_reset(&x.io);
	snprintf(x.ctl_name, sizeof(x.ctl_name), "exec-%s.sock", exec_id);
	snprintf(x.console_name, sizeof(x.console_name), "exec-%s.console", exec_id);
	snprintf(x.pid_name, sizeof(x.pid_name), "exec-%s.pid", exec_id);
	hutch_error err = {0};
	int code;
	if (realpath(argv[optind], x.dir) == NULL) {
		hutch_fail(&err, errno, "container directory %s", argv[optind]);
		code = 128;
	} else if (spec_read(spec_fd, &x.spec, &err) < 0 ||
		   monitor_config_load(x.dir, &x.cfg, &err) < 0) {
		code = 128;
	} else {
		snprintf(x.oci_root, sizeof(x.oci_root), "%s/oci", x.cfg.runtime_dir);
		code = exec_run(&x, stream_fd);
		stream_fd = -1;
	}
	close(spec_fd);
	if (hutch_error_isset(&err)) {
		hutch_log_error(&err);
		if (stream_fd >= 0) {
			char line[HUTCH_ERROR_MAX + 8];
			snprintf(line, sizeof(line), "%s\n", err.msg);
			stream_write_message(stream_fd, false, 2, line);
			close(stream_fd);
		}
	}
	spec_clear(&x.spec);
	monitor_config_clear(&x.cfg);
	return code;
}
