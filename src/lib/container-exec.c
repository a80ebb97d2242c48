/* exec: a new process in a running container. It joins every namespace
 * of the container init that differs from ours (user first), enters its
 * root, and takes the container's process attributes (user,
 * capabilities, seccomp, env, cwd) unless the caller overrides them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "container-internal.h"
#include "container-sync.h"
#include "file-util.h"
#include "json-util.h"
#include "log.h"
#include "process-attrs.h"
#include "seccomp.h"
#include "state.h"
#include "terminal.h"

/* /proc/PID/ns/ file names, in oci_namespace_type order. */
static const char *const proc_ns_names[OCI_NS_COUNT] = {
    [OCI_NS_PID] = "pid",	[OCI_NS_NETWORK] = "net", [OCI_NS_MOUNT] = "mnt",
    [OCI_NS_IPC] = "ipc",	[OCI_NS_UTS] = "uts",	  [OCI_NS_USER] = "user",
    [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

/* Open the init's namespaces that are not already ours. */
static int open_container_namespaces(pid_t pid, int fds[OCI_NS_COUNT], hutch_error *err)
{
	for (int t = 0; t < OCI_NS_COUNT; t++) {
		fds[t] = -1;
		char theirs[64], ours[64];
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, proc_ns_names[t]);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", proc_ns_names[t]);
		struct stat a, b;
		if (stat(theirs, &a) < 0) {
			if (errno == ENOENT)
				continue; /* a kernel without this namespace type */
			return hutch_fail(err, errno, "stat %s", theirs);
		}
		if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		fds[t] = open(theirs, O_RDONLY | O_CLOEXEC);
		if (fds[t] < 0)
			return hutch_fail(err, errno, "open %s", theirs);
	}
	return 0;
}

/* The process to run, owned pieces kept here so they can be freed. */
struct exec_process {
	struct oci_process p;
	struct oci_process *parsed; /* from --process */
	char **env;
	uint32_t *gids;
	struct oci_capabilities caps;
	char **cap_lists[5];
};

static void exec_process_clear(struct exec_process *ep)
{
	if (ep->parsed != NULL)
		oci_process_free(ep->parsed);
	free(ep->env);
	free(ep->gids);
	for (int i = 0; i < 5; i++)
		free(ep->cap_lists[i]);
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* A capability set with extra names appended (borrowed strings). */
static char **caps_with(char **set, size_t n, char **extra, size_t *n_out)
{
	size_t n_extra = strv_len(extra);
	char **out = calloc(n + n_extra + 1, sizeof(char *));
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[i] = set[i];
	for (size_t i = 0; i < n_extra; i++)
		out[n + i] = extra[i];
	*n_out = n + n_extra;
	return out;
}

static int parse_user(const char *spec, struct oci_user *u, hutch_error *err)
{
	char *end = NULL;
	errno = 0;
	unsigned long uid = strtoul(spec, &end, 10);
	if (errno != 0 || end == spec || uid > UINT32_MAX || (*end != '\0' && *end != ':'))
		return hutch_fail_plain(err, EINVAL, "--user: expected UID[:GID], got '%s'", spec);
	u->uid = (uint32_t)uid;
	if (*end == ':') {
		const char *g = end + 1;
		unsigned long gid = strtoul(g, &end, 10);
		if (end == g || *end != '\0' || gid > UINT32_MAX)
			return hutch_fail_plain(err, EINVAL, "--user: expected UID[:GID], got '%s'",
						spec);
		u->gid = (uint32_t)gid;
	}
	return 0;
}

static int build_process(const struct exec_options *o, const struct oci_config *cfg,
			 struct exec_process *ep, hutch_error *err)
{
	if (o->process_file != NULL) {
		_cleanup_json_ json_object *doc = NULL;
		if (json_read_file(o->process_file, &doc, err) < 0 ||
		    oci_process_parse(doc, o->process_file, &ep->parsed, err) < 0)
			return -1;
		ep->p = *ep->parsed;
		if (ep->p.terminal && o->console_socket == NULL)
			terminal_size_from_stdin(&ep->p);
		return 0;
	}
	if (cfg->process == NULL)
		return hutch_fail_plain(err, EINVAL, "the container config has no process");
	if (o->args == NULL || o->args[0] == NULL)
		return hutch_fail_plain(err, EINVAL,
					"no command given (exec ID COMMAND [ARGS...])");
	ep->p = *cfg->process;
	ep->p.args = o->args;
	ep->p.n_args = strv_len(o->args);
	ep->p.terminal = o->tty_given ? o->tty : false;
	ep->p.has_console_size = o->tty && o->console_rows > 0 && o->console_cols > 0;
	ep->p.console_height = o->console_rows;
	ep->p.console_width = o->console_cols;
	if (ep->p.terminal && o->console_socket == NULL)
		terminal_size_from_stdin(&ep->p);
	if (o->cwd != NULL)
		ep->p.cwd = (char *)o->cwd;
	if (o->no_new_privs)
		ep->p.no_new_privileges = true;
	size_t n_extra = strv_len(o->env);
	if (n_extra > 0) {
		ep->env = calloc(ep->p.n_env + n_extra + 1, sizeof(char *));
		if (ep->env == NULL)
			return hutch_fail(err, ENOMEM, "environment");
		memcpy(ep->env, ep->p.env, ep->p.n_env * sizeof(char *));
		memcpy(ep->env + ep->p.n_env, o->env, n_extra * sizeof(char *));
		ep->p.env = ep->env;
		ep->p.n_env += n_extra;
	}
	if (o->user != NULL) {
		if (parse_user(o->user, &ep->p.user, err) < 0)
			return -1;
		ep->p.user.n_additional_gids = 0;
		ep->p.user.additional_gids = NULL;
	}
	size_t n_gids = strv_len(o->additional_gids);
	if (n_gids > 0) {
		ep->gids = calloc(n_gids, sizeof(uint32_t));
		if (ep->gids == NULL)
			return hutch_fail(err, ENOMEM, "gids");
		for (size_t i = 0; i < n_gids; i++) {
			char *end = NULL;
			unsigned long g = strtoul(o->additional_gids[i], &end, 10);
			if (*end != '\0' || end == o->additional_gids[i] || g > UINT32_MAX)
				return hutch_fail_plain(err, EINVAL,
							"--additional-gids: bad gid '%s'",
							o->additional_gids[i]);
			ep->gids[i] = (uint32_t)g;
		}
		ep->p.user.additional_gids = ep->gids;
		ep->p.user.n_additional_gids = n_gids;
	}
	if (o->caps != NULL && o->caps[0] != NULL) {
		static const struct oci_capabilities none;
		const struct oci_capabilities *base =
		    cfg->process->capabilities != NULL ? cfg->process->capabilities : &none;
		ep->caps = *base;
		char ***sets[5] = {&ep->caps.bounding, &ep->caps.effective, &ep->caps.inheritable,
				   &ep->caps.permitted, &ep->caps.ambient};
		size_t *counts[5] = {&ep->caps.n_bounding, &ep->caps.n_effective,
				     &ep->caps.n_inheritable, &ep->caps.n_permitted,
				     &ep->caps.n_ambient};
		for (int i = 0; i < 5; i++) {
			ep->cap_lists[i] = caps_with(*sets[i], *counts[i], o->caps, counts[i]);
			if (ep->cap_lists[i] == NULL)
				return hutch_fail(err, ENOMEM, "capabilities");
			*sets[i] = ep->cap_lists[i];
		}
		ep->p.capabilities = &ep->caps;
	}
	return 0;
}

struct exec_child {
	const struct exec_options *o;
	const struct oci_config *cfg;
	const struct oci_process *p;
	int root_fd; /* the init's root, opened before joining */
	int console_fd;
	int sync_fd;
	bool wait_for_cgroup; /* the parent moves us into the cgroup first */
};

static int exec_child_run(const struct exec_child *c, hutch_error *err)
{
	const struct oci_process *p = c->p;
	struct sync_msg m;
	if (c->wait_for_cgroup && sync_expect(c->sync_fd, SYNC_MAPS_DONE, &m, "hutch-oci", err) < 0)
		return -1;
	/* Non-dumpable until execve: the container's processes, which can
	 * see us in its pid namespace, must not open our /proc/PID/exe. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return hutch_fail(err, errno, "prctl(PR_SET_DUMPABLE)");
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The init's root (its pivot_root or, with --no-pivot, chroot). */
	if (fchdir(c->root_fd) < 0 || chroot(".") < 0)
		return hutch_fail(err, errno, "enter the container's root");
	close(c->root_fd);
	if (chdir(p->cwd != NULL ? p->cwd : "/") < 0)
		return hutch_fail(err, errno, "chdir to %s", p->cwd != NULL ? p->cwd : "/");
	if (c->console_fd >= 0) {
		if (terminal_setup(c->console_fd, p, err) < 0)
			return -1;
		close(c->console_fd);
	}
	if (process_apply_rlimits(p, err) < 0 || process_apply_oom_score_adj(p, err) < 0)
		return -1;
	char buf[16] = "";
	_cleanup_close_ int sg = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	bool setgroups_allowed =
	    !(sg >= 0 && read(sg, buf, sizeof(buf) - 1) > 0 && strncmp(buf, "deny", 4) == 0);
	_cleanup_strv_ char **env = process_build_env(p->env, p->n_env, 0);
	if (env == NULL)
		return hutch_fail(err, ENOMEM, "environment");
	int notify_fd = -1;
	if (process_finalize_identity(p, c->cfg->linux_cfg.seccomp, setgroups_allowed, &notify_fd,
				      err) < 0)
		return -1;
	if (notify_fd >= 0) {
		if (sync_send(c->sync_fd, SYNC_SECCOMP_FD, 0, NULL) < 0 ||
		    fd_send(c->sync_fd, notify_fd, "seccomp", err) < 0)
			return hutch_error_isset(err) ? -1
						      : hutch_fail(err, errno, "send seccomp fd");
		close(notify_fd);
	}
	_cleanup_free_ char *exe = NULL;
	if (process_find_executable(p->args[0], env, &exe, err) < 0)
		return -1;
	if (process_pass_fds(c->o->preserve_fds, err) < 0)
		return -1;
	execve(exe, p->args, env);
	return hutch_fail(err, errno, "exec %s", exe);
}

/* Fork a process that joins the namespaces and forks the exec'd process
 * as our child (CLONE_PARENT): a joined pid namespace applies only to
 * children of whoever joined it. */
static pid_t spawn_exec(const struct exec_child *c, const int ns_fds[OCI_NS_COUNT], int parent_fd,
			hutch_error *err)
{
	pid_t mid = ns_clone(0, NULL);
	if (mid < 0)
		return hutch_fail(err, errno, "fork");
	if (mid == 0) {
		hutch_error e = {0};
		close(parent_fd);
		if (ns_join_fds(ns_fds, &e) < 0) {
			sync_send_error(c->sync_fd, &e);
			_exit(1);
		}
		pid_t pid = ns_clone(CLONE_PARENT, NULL);
		if (pid == 0) {
			exec_child_run(c, &e);
			sync_send_error(c->sync_fd, &e);
			_exit(e.errnum == ENOENT ? 127 : e.errnum == EACCES ? 126 : 1);
		}
		if (pid < 0) {
			hutch_fail(&e, errno, "fork into the container");
			sync_send_error(c->sync_fd, &e);
			_exit(1);
		}
		sync_send(c->sync_fd, SYNC_INIT_PID, pid, NULL);
		_exit(0);
	}
	struct sync_msg m;
	int r = sync_expect(parent_fd, SYNC_INIT_PID, &m, "the namespace joiner", err);
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
		;
	return r < 0 ? -1 : (pid_t)m.value;
}

static int exec_in_container(const struct exec_options *o, const struct container_state *st,
			     const struct oci_config *cfg, const struct exec_process *ep,
			     const sigset_t *fwd, int *exit_status, hutch_error *err)
{
	const struct oci_process *p = &ep->p;
	/* A foreground exec may keep the terminal itself and relay it, as a
	 * foreground run does; a detached one has nobody to relay to. */
	bool relay = p->terminal && o->console_socket == NULL;
	if (relay && o->detach)
		return hutch_fail_plain(err, EINVAL, "--tty with --detach needs --console-socket");
	int ns_fds[OCI_NS_COUNT];
	int r = open_container_namespaces(st->pid, ns_fds, err);
	char root_path[64];
	snprintf(root_path, sizeof(root_path), "/proc/%d/root", (int)st->pid);
	_cleanup_close_ int root_fd =
	    r < 0 ? -1 : open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r == 0 && root_fd < 0)
		r = hutch_fail(err, errno, "open %s", root_path);
	_cleanup_close_ int console_fd = -1;
	_cleanup_close_ int relay_fd = -1;
	if (r == 0 && relay) {
		int tv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tv) < 0) {
			r = hutch_fail(err, errno, "socketpair for the terminal");
		} else {
			relay_fd = tv[0];
			console_fd = tv[1];
		}
	} else if (r == 0 && p->terminal) {
		console_fd = terminal_connect_console_socket(o->console_socket, err);
		if (console_fd < 0)
			r = -1;
	}
	int sv[2] = {-1, -1};
	if (r == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		r = hutch_fail(err, errno, "socketpair");
	pid_t pid = -1;
	if (r == 0) {
		struct exec_child c = {.o = o,
				       .cfg = cfg,
				       .p = p,
				       .root_fd = root_fd,
				       .console_fd = p->terminal ? console_fd : -1,
				       .sync_fd = sv[1],
				       .wait_for_cgroup = st->cgroup_path != NULL};
		pid = spawn_exec(&c, ns_fds, sv[0], err);
		close(sv[1]);
		if (pid < 0)
			r = -1;
	}
	/* Into the container's cgroup before it runs anything of its own. */
	if (r == 0 && st->cgroup_path != NULL) {
		if (cgroup_enter(st->cgroup_path, pid, err) < 0) {
			kill(pid, SIGKILL);
			r = -1;
		} else if (sync_send(sv[0], SYNC_MAPS_DONE, pid, NULL) < 0) {
			r = hutch_fail(err, errno, "sync with the exec'd process");
		}
	}
	for (int t = 0; t < OCI_NS_COUNT; t++)
		if (ns_fds[t] >= 0)
			close(ns_fds[t]);
	/* EOF on the socket: the process reached execve (its end is
	 * close-on-exec). Anything else is its error. */
	struct sync_msg m;
	while (r == 0) {
		if (sync_recv(sv[0], &m, "the exec'd process", err) < 0) {
			if (err->errnum == ECONNRESET) {
				hutch_error_clear(err);
				break;
			}
			r = -1;
		} else if (m.type == SYNC_ERROR) {
			r = hutch_fail_plain(err, m.value, "%s", m.text);
		} else if (m.type == SYNC_SECCOMP_FD) {
			int fd = -1;
			char payload[64];
			const struct oci_seccomp *sec = cfg->linux_cfg.seccomp;
			if (fd_recv(sv[0], &fd, payload, sizeof(payload), err) < 0) {
				r = -1;
				break;
			}
			_cleanup_free_ char *text =
			    state_hook_json(st->id, pid, "running", st->bundle, st->annotations);
			json_object *state = text != NULL ? json_tokener_parse(text) : NULL;
			r = seccomp_send_to_listener(sec->listener_path, fd, state,
						     sec->listener_metadata, err);
			if (state != NULL)
				json_object_put(state);
			close(fd);
		}
	}
	if (sv[0] >= 0)
		close(sv[0]);
	if (r < 0) {
		if (pid > 0)
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		return -1;
	}
	if (o->pid_file != NULL) {
		if (state_write_pid_file(o->pid_file, pid, err) < 0)
			return -1;
	}
	if (o->detach)
		return 0;
	if (relay_fd >= 0) {
		/* The process sent the master before its execve. */
		_cleanup_close_ int master = -1;
		if (fd_recv(relay_fd, &master, NULL, 0, err) < 0)
			return hutch_error_prefix(err, "receive the terminal");
		return wait_foreground_tty(pid, master, fwd, exit_status, err);
	}
	return wait_foreground(pid, fwd, exit_status, err);
}

int container_exec(const struct exec_options *o, int *exit_status, hutch_error *err)
{
	*exit_status = 0;
	struct container_state st;
	if (state_read(o->root, o->id, &st, err) < 0)
		return -1;
	struct oci_config *cfg = NULL;
	struct exec_process ep = {0};
	int r = 0;
	enum container_status status = state_status(o->root, &st);
	if (status == CONTAINER_STOPPED || status == CONTAINER_PAUSED)
		r = hutch_fail_plain(err, EINVAL, "container %s is %s: cannot exec into it", o->id,
				     container_status_name(status));
	if (r == 0)
		r = oci_config_load(st.bundle, &cfg, err);
	if (r == 0)
		r = build_process(o, cfg, &ep, err);
	if (r == 0) {
		sigset_t fwd, old;
		forwarded_signals(&fwd);
		if (!o->detach)
			sigprocmask(SIG_BLOCK, &fwd, &old);
		r = exec_in_container(o, &st, cfg, &ep, &fwd, exit_status, err);
		if (!o->detach)
			sigprocmask(SIG_SETMASK, &old, NULL);
	}
	exec_process_clear(&ep);
	if (cfg != NULL)
		oci_config_free(cfg);
	state_clear(&st);
	return r;
}
