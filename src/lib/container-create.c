/* create, run and start: the parent side of a container's birth. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "container-internal.h"
#include "container-sync.h"
#include "file-util.h"
#include "hooks.h"
#include "idmap.h"
#include "log.h"
#include "seccomp.h"
#include "state.h"
#include "terminal.h"

/* Everything a create holds; released by create_session_clear (and the
 * container killed and its traces removed when it failed). */
struct create_session {
	const struct container_options *o;
	struct oci_config *cfg;
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	struct userns_plan userns;
	struct ns_plan ns;
	int dir_fd; /* the locked state directory */
	int sync_fd;
	int console_fd;
	int fifo_fd;
	int relay_fd; /* our end of the terminal a foreground run keeps */
	int master_fd;
	pid_t pid;
	int pidfd;
	char *cgroup_path;
	bool succeeded;
	bool relay_terminal; /* foreground run: we hold the pty ourselves */
};

static void create_session_clear(struct create_session *s)
{
	if (!s->succeeded) {
		if (s->pid > 0) {
			kill(s->pid, SIGKILL);
			while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		if (s->cgroup_path != NULL)
			cgroup_destroy(s->cgroup_path, NULL);
		if (s->dir_fd >= 0)
			state_dir_remove(s->o->root, s->o->id, NULL);
	}
	free(s->cgroup_path);
	s->cgroup_path = NULL;
	userns_plan_clear(&s->userns);
	ns_plan_close(&s->ns);
	int *fds[] = {&s->dir_fd,   &s->sync_fd,   &s->console_fd, &s->fifo_fd,
		      &s->relay_fd, &s->master_fd, &s->pidfd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	if (s->cfg != NULL)
		oci_config_free(s->cfg);
}

/* Socket-activation fds handed to us (LISTEN_PID is ours) go on to the
 * container process, ahead of --preserve-fds. */
static int inherited_listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID");
	const char *fds = getenv("LISTEN_FDS");
	if (pid == NULL || fds == NULL || atoi(pid) != (int)getpid())
		return 0;
	int n = atoi(fds);
	return n > 0 ? n : 0;
}

static int load_bundle(struct create_session *s, hutch_error *err)
{
	const struct container_options *o = s->o;
	if (state_validate_id(o->id, err) < 0)
		return -1;
	if (realpath(o->bundle != NULL ? o->bundle : ".", s->bundle) == NULL)
		return hutch_fail(err, errno, "bundle %s", o->bundle != NULL ? o->bundle : ".");
	if (oci_config_load(s->bundle, &s->cfg, err) < 0)
		return -1;
	if (s->cfg->process == NULL)
		return hutch_fail_plain(err, EINVAL, "config.json has no process to run");
	const char *root = s->cfg->root_path != NULL ? s->cfg->root_path : "rootfs";
	char joined[PATH_MAX * 2];
	if (root[0] == '/')
		snprintf(joined, sizeof(joined), "%s", root);
	else
		snprintf(joined, sizeof(joined), "%s/%s", s->bundle, root);
	if (realpath(joined, s->rootfs) == NULL)
		return hutch_fail(err, errno, "rootfs %s", joined);
	bool terminal = s->cfg->process->terminal;
	if (terminal && o->console_socket == NULL && !s->relay_terminal)
		return hutch_fail_plain(
		    err, EINVAL, "process.terminal is true but no --console-socket was given");
	if (!terminal && o->console_socket != NULL)
		return hutch_fail_plain(err, EINVAL,
					"--console-socket needs process.terminal set to true");
	return 0;
}

/* The container init is born here: straight into its new namespaces with
 * one clone3() when nothing is joined by path, else through an
 * intermediate process that joins (user namespace first), unshares the
 * new ones and forks the init as our child (CLONE_PARENT), because a pid
 * namespace only applies to children of whoever entered it. */
static int spawn_init(struct create_session *s, struct init_context *ctx, int child_fd,
		      hutch_error *err)
{
	ctx->sync_fd = child_fd;
	if (!s->ns.any_join) {
		pid_t pid = ns_clone(s->ns.clone_flags, &s->pidfd);
		if (pid < 0)
			return hutch_fail(err, errno, "clone the container init");
		if (pid == 0) {
			/* Our copy of the state directory's fd would hold its
			 * lock (flock belongs to the open file) until execve. */
			close(s->dir_fd);
			close(s->sync_fd);
			container_init_main(ctx);
		}
		s->pid = pid;
		return 0;
	}
	pid_t mid = ns_clone(0, NULL);
	if (mid < 0)
		return hutch_fail(err, errno, "fork");
	if (mid == 0) {
		hutch_error e = {0};
		close(s->dir_fd);
		close(s->sync_fd);
		if (ns_join_fds(s->ns.join_fd, &e) < 0 ||
		    (s->ns.clone_flags != 0 && unshare(s->ns.clone_flags) < 0 &&
		     hutch_fail(&e, errno, "unshare the new namespaces") < 0)) {
			sync_send_error(child_fd, &e);
			_exit(1);
		}
		pid_t pid = ns_clone(CLONE_PARENT, NULL);
		if (pid == 0)
			container_init_main(ctx);
		if (pid < 0) {
			hutch_fail(&e, errno, "clone the container init");
			sync_send_error(child_fd, &e);
			_exit(1);
		}
		sync_send(child_fd, SYNC_INIT_PID, pid, NULL);
		_exit(0);
	}
	struct sync_msg m;
	int r = sync_expect(s->sync_fd, SYNC_INIT_PID, &m, "the namespace joiner", err);
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	s->pid = m.value;
	s->pidfd = pidfd_open(s->pid, 0);
	return 0;
}

static int run_parent_hooks(struct create_session *s, hutch_error *err)
{
	_cleanup_free_ char *state =
	    state_hook_json(s->o->id, s->pid, "creating", s->bundle, s->cfg->annotations);
	if (state == NULL)
		return hutch_fail(err, ENOMEM, "hook state");
	if (hooks_run(s->cfg, OCI_HOOK_PRESTART, state, err) < 0 ||
	    hooks_run(s->cfg, OCI_HOOK_CREATE_RUNTIME, state, err) < 0)
		return -1;
	return 0;
}

static int pass_seccomp_listener(struct create_session *s, hutch_error *err)
{
	int fd = -1;
	char payload[64];
	if (fd_recv(s->sync_fd, &fd, payload, sizeof(payload), err) < 0)
		return -1;
	const struct oci_seccomp *sec = s->cfg->linux_cfg.seccomp;
	_cleanup_free_ char *text =
	    state_hook_json(s->o->id, s->pid, "creating", s->bundle, s->cfg->annotations);
	json_object *state = text != NULL ? json_tokener_parse(text) : NULL;
	int r =
	    seccomp_send_to_listener(sec->listener_path, fd, state, sec->listener_metadata, err);
	if (state != NULL)
		json_object_put(state);
	close(fd);
	return r;
}

/* Everything up to a ready init and a written state. */
static int create_container(struct create_session *s, bool run_mode, hutch_error *err)
{
	const struct container_options *o = s->o;
	if (load_bundle(s, err) < 0)
		return -1;
	if (userns_plan_make(s->cfg, &s->userns, err) < 0 ||
	    ns_plan_make(s->cfg, &s->userns, &s->ns, err) < 0)
		return -1;
	s->dir_fd = state_dir_create(o->root, o->id, err);
	if (s->dir_fd < 0)
		return -1;
	if (!run_mode) {
		char fifo[PATH_MAX];
		if (state_path(fifo, sizeof(fifo), o->root, o->id, STATE_EXEC_FIFO) < 0)
			return hutch_fail(err, errno, "exec fifo");
		/* 0622: the container process may run as any user. */
		if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0)
			return hutch_fail(err, errno, "mkfifo %s", fifo);
		s->fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
		if (s->fifo_fd < 0)
			return hutch_fail(err, errno, "open %s", fifo);
	}
	if (o->console_socket != NULL) {
		s->console_fd = terminal_connect_console_socket(o->console_socket, err);
		if (s->console_fd < 0)
			return -1;
	} else if (s->relay_terminal && s->cfg->process->terminal) {
		/* A socketpair stands in for the console socket: the init sends
		 * the master to our end like to any caller's socket. */
		int tv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tv) < 0)
			return hutch_fail(err, errno, "socketpair for the terminal");
		s->relay_fd = tv[0];
		s->console_fd = tv[1];
		terminal_size_from_stdin(s->cfg->process);
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hutch_fail(err, errno, "socketpair");
	s->sync_fd = sv[0];
	struct init_context ctx = {
	    .o = o,
	    .cfg = s->cfg,
	    .userns = &s->userns,
	    .ns = &s->ns,
	    .bundle = s->bundle,
	    .rootfs = s->rootfs,
	    .console_fd = s->console_fd,
	    .fifo_fd = s->fifo_fd,
	    .listen_fds = inherited_listen_fds(),
	    .run_mode = run_mode,
	};
	int r = spawn_init(s, &ctx, sv[1], err);
	close(sv[1]);
	if (r < 0)
		return -1;
	if (s->relay_fd >= 0) {
		close(s->console_fd);
		s->console_fd = -1;
	}

	if (cgroup_create(s->cfg, o->id, s->pid, o->cgroup_manager, &s->cgroup_path, err) < 0)
		return -1;
	if (s->userns.create &&
	    (idmap_write(s->pid, false, s->userns.uid_maps, s->userns.n_uid_maps, err) < 0 ||
	     idmap_write(s->pid, true, s->userns.gid_maps, s->userns.n_gid_maps, err) < 0))
		return hutch_error_prefix(err, "set up the user namespace");
	if (sync_send(s->sync_fd, SYNC_MAPS_DONE, s->pid, NULL) < 0)
		return hutch_fail(err, errno, "sync with the container init");

	struct sync_msg m;
	for (;;) {
		if (sync_recv(s->sync_fd, &m, "the container init", err) < 0)
			return -1;
		if (m.type == SYNC_READY)
			break;
		if (m.type == SYNC_ERROR)
			return hutch_fail_plain(err, m.value, "%s", m.text);
		if (m.type == SYNC_PREPARED) {
			if (run_parent_hooks(s, err) < 0)
				return -1;
			if (sync_send(s->sync_fd, SYNC_HOOKS_DONE, 0, NULL) < 0)
				return hutch_fail(err, errno, "sync with the container init");
		} else if (m.type == SYNC_SECCOMP_FD) {
			if (pass_seccomp_listener(s, err) < 0)
				return -1;
		} else {
			return hutch_fail_plain(err, EPROTO, "unexpected message %u from the init",
						m.type);
		}
	}

	struct container_state st = {
	    .id = (char *)o->id,
	    .pid = s->pid,
	    .bundle = s->bundle,
	    .rootfs = s->rootfs,
	    .annotations = s->cfg->annotations,
	    .owner = geteuid(),
	    .cgroup_path = s->cgroup_path,
	    .no_pivot = o->no_pivot,
	};
	bool alive;
	if (proc_start_time(s->pid, &st.start_time, &alive) < 0 || !alive)
		return hutch_fail_plain(err, ESRCH, "the container init exited");
	char created[64] = "";
	struct container_state tmp = {0};
	if (state_set_created_now(&tmp, err) < 0)
		return -1;
	snprintf(created, sizeof(created), "%s", tmp.created);
	free(tmp.created);
	st.created = created;
	if (state_write(o->root, &st, err) < 0)
		return -1;
	if (o->pid_file != NULL && state_write_pid_file(o->pid_file, s->pid, err) < 0)
		return -1;
	/* The init sent the master before READY. */
	if (s->relay_fd >= 0 && fd_recv(s->relay_fd, &s->master_fd, NULL, 0, err) < 0)
		return hutch_error_prefix(err, "receive the container's terminal");
	return 0;
}

int container_create(const struct container_options *o, hutch_error *err)
{
	struct create_session s = {.o = o,
				   .dir_fd = -1,
				   .sync_fd = -1,
				   .console_fd = -1,
				   .fifo_fd = -1,
				   .relay_fd = -1,
				   .master_fd = -1,
				   .pidfd = -1};
	int r = create_container(&s, false, err);
	if (r == 0)
		s.succeeded = true;
	create_session_clear(&s);
	return r;
}

static void run_poststart(const char *root, const char *id, const char *bundle, pid_t pid,
			  const struct oci_config *cfg)
{
	if (cfg->hooks.count[OCI_HOOK_POSTSTART] == 0)
		return;
	_cleanup_free_ char *state = state_hook_json(id, pid, "running", bundle, cfg->annotations);
	hutch_error e = {0};
	/* runtime-spec: a failing poststart hook is a warning, the container
	 * keeps running. */
	if (state != NULL && hooks_run(cfg, OCI_HOOK_POSTSTART, state, &e) < 0)
		log_warning("%s", e.msg);
}

int container_run(const struct container_options *o, int *exit_status, hutch_error *err)
{
	*exit_status = 0;
	sigset_t fwd, old;
	forwarded_signals(&fwd);
	/* Blocked before the clone so no signal is lost between start and
	 * the wait; the init unblocks everything for itself. */
	if (!o->detach)
		sigprocmask(SIG_BLOCK, &fwd, &old);
	struct create_session s = {.o = o,
				   .dir_fd = -1,
				   .sync_fd = -1,
				   .console_fd = -1,
				   .fifo_fd = -1,
				   .relay_fd = -1,
				   .master_fd = -1,
				   .pidfd = -1,
				   .relay_terminal = !o->detach};
	int r = create_container(&s, true, err);
	if (r == 0) {
		struct sync_msg m;
		/* START, then wait for the init's end of the socket to close on
		 * execve (or for its error). */
		if (sync_send(s.sync_fd, SYNC_START, 0, NULL) < 0) {
			r = hutch_fail(err, errno, "start the container");
		} else if (sync_recv(s.sync_fd, &m, "the container init", err) == 0) {
			r = m.type == SYNC_ERROR
				? hutch_fail_plain(err, m.value, "%s", m.text)
				: hutch_fail_plain(err, EPROTO, "unexpected message");
		} else if (err->errnum == ECONNRESET) {
			hutch_error_clear(err);
		} else {
			r = -1;
		}
	}
	if (r == 0) {
		s.succeeded = true;
		run_poststart(o->root, o->id, s.bundle, s.pid, s.cfg);
	}
	pid_t pid = s.pid;
	int master = steal_fd(&s.master_fd);
	/* Keep what the cleanup needs, so it need not read the state and the
	 * config again. */
	struct container_state st = {.id = (char *)o->id, .pid = pid};
	struct oci_config *cfg = NULL;
	char bundle[PATH_MAX];
	if (r == 0 && !o->detach) {
		cfg = steal_pointer(&s.cfg);
		st.cgroup_path = steal_pointer(&s.cgroup_path);
		snprintf(bundle, sizeof(bundle), "%s", s.bundle);
		st.bundle = bundle;
		st.annotations = cfg->annotations;
	}
	/* Unlock before waiting so `state`, `kill`, `delete` work meanwhile. */
	create_session_clear(&s);
	if (r < 0 || o->detach) {
		if (master >= 0)
			close(master);
		return r;
	}

	if (master >= 0) {
		r = wait_foreground_tty(pid, master, &fwd, exit_status, err);
		close(master);
	} else {
		r = wait_foreground(pid, &fwd, exit_status, err);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* Gone already when someone ran `delete` meanwhile. */
	hutch_error e2 = {0};
	int dir_fd = state_dir_lock(o->root, o->id, &e2);
	if (dir_fd >= 0) {
		if (container_cleanup(o->root, &st, cfg, &e2) < 0)
			log_warning("%s", e2.msg);
		close(dir_fd);
	}
	free(st.cgroup_path);
	oci_config_free(cfg);
	return r;
}

/* Release a created init: opening the exec fifo for reading unblocks its
 * open for writing; it then writes one byte. The pidfd tells us if it
 * died instead, so start never hangs on a dead container. */
static int release_init(const char *root, const struct container_state *st, hutch_error *err)
{
	char fifo[PATH_MAX];
	if (state_path(fifo, sizeof(fifo), root, st->id, STATE_EXEC_FIFO) < 0)
		return hutch_fail(err, errno, "exec fifo of %s", st->id);
	_cleanup_close_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open the exec fifo of %s", st->id);
	_cleanup_close_ int pidfd = pidfd_open(st->pid, 0);
	struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
	for (;;) {
		int n = poll(pfd, pidfd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hutch_fail(err, errno, "wait for the container init");
		char c;
		if ((pfd[0].revents & POLLIN) && read(fd, &c, 1) == 1)
			break;
		if ((pfd[0].revents & POLLHUP) || (pfd[1].revents & POLLIN))
			return hutch_fail_plain(
			    err, ESRCH, "the init of container %s exited before start", st->id);
	}
	unlink(fifo);
	return 0;
}

int container_start(const char *root, const char *id, hutch_error *err)
{
	_cleanup_close_ int dir_fd = state_dir_lock(root, id, err);
	if (dir_fd < 0)
		return -1;
	struct container_state st;
	if (state_read(root, id, &st, err) < 0)
		return -1;
	int r = -1;
	enum container_status status = state_status(root, &st);
	if (status != CONTAINER_CREATED)
		hutch_fail_plain(err, EINVAL, "container %s is %s, not created", id,
				 container_status_name(status));
	else
		r = release_init(root, &st, err);
	if (r == 0) {
		struct oci_config *cfg = NULL;
		hutch_error e2 = {0};
		if (oci_config_load(st.bundle, &cfg, &e2) == 0) {
			run_poststart(root, id, st.bundle, st.pid, cfg);
			oci_config_free(cfg);
		}
	}
	state_clear(&st);
	return r;
}
