/* The container's init process: runs in its new namespaces, sets up the
 * filesystem and the process attributes, waits for `start`, then execs
 * the container process. See container-sync.h for the protocol with the
 * parent. Every failure goes back to the parent as an ERROR message, so
 * the parent logs exactly one line with the real reason. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "container-internal.h"
#include "container-sync.h"
#include "hooks.h"
#include "log.h"
#include "path-util.h"
#include "process-attrs.h"
#include "rootfs.h"
#include "state.h"
#include "terminal.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

static bool setgroups_denied(void)
{
	char buf[16] = "";
	_cleanup_close_ int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	return n > 0 && strncmp(buf, "deny", 4) == 0;
}

/* In a user namespace we created, the init starts as whatever our host
 * ids map to (the overflow id for real root, whose id 0 is not mapped).
 * Become the namespace's root when it has one; when only process.user's
 * id is mapped we stay that id, with full capabilities in the namespace
 * until the identity switch. */
static int become_namespace_root(const struct userns_plan *u, hutch_error *err)
{
	bool gid0 = false, uid0 = false;
	for (size_t i = 0; i < u->n_gid_maps; i++)
		gid0 |= u->gid_maps[i].container_id == 0;
	for (size_t i = 0; i < u->n_uid_maps; i++)
		uid0 |= u->uid_maps[i].container_id == 0;
	if (gid0 && getegid() != 0 && setresgid(0, 0, 0) < 0)
		return hutch_fail(err, errno, "setresgid(0) in the new user namespace");
	if (uid0 && geteuid() != 0 && setresuid(0, 0, 0) < 0)
		return hutch_fail(err, errno, "setresuid(0) in the new user namespace");
	return 0;
}

static bool has_hooks(const struct oci_config *cfg, enum oci_hook_kind k)
{
	return cfg->hooks.count[k] > 0;
}

static int run_hooks_in_init(const struct init_context *ctx, enum oci_hook_kind kind,
			     pid_t host_pid, const char *status, hutch_error *err)
{
	if (!has_hooks(ctx->cfg, kind))
		return 0;
	_cleanup_free_ char *state =
	    state_hook_json(ctx->o->id, host_pid, status, ctx->bundle, ctx->cfg->annotations);
	if (state == NULL)
		return hutch_fail(err, ENOMEM, "hook state");
	return hooks_run(ctx->cfg, kind, state, err);
}

/* Block until `start` opens the exec fifo for reading. The fifo lives in
 * the state directory on the host; the O_PATH fd taken before pivot_root
 * is reopened through /proc/self/fd, which needs no path on the host. */
static int wait_for_start(int fifo_fd, hutch_error *err)
{
	char path[32];
	path_of_fd(fifo_fd, path);
	int fd;
	do
		fd = open(path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return hutch_fail(err, errno, "open the exec fifo (is /proc mounted?)");
	ssize_t n = write(fd, "0", 1);
	int e = errno;
	close(fd);
	if (n != 1)
		return hutch_fail(err, e, "write the exec fifo");
	close(fifo_fd);
	return 0;
}

/* A missing process.cwd is created, as Docker users expect of
 * `run -w /new/dir` and as runc and crun do: with its parents (mode 0755),
 * resolved inside the container's root so that a symlink in the image can
 * only lead somewhere else inside it, never to the host. The directory
 * itself, when it is new, belongs to the process's user so that the
 * process can write where it starts. Called after rootfs_enter (so "/" is
 * the container's root and every mount is in place) and before
 * rootfs_finalize (which may make the root read-only). */
static int ensure_cwd(const struct oci_process *p, hutch_error *err)
{
	if (p->cwd == NULL)
		return 0;
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return hutch_fail(err, errno, "open the container's root");
	hutch_error probe = {0};
	_cleanup_close_ int existing =
	    path_open_in_root(root, p->cwd, O_PATH | O_DIRECTORY, 0, &probe);
	int probe_errno = probe.errnum;
	hutch_error_clear(&probe);
	if (existing >= 0 || probe_errno != ENOENT)
		return 0; /* chdir reports any other problem with its own words */
	_cleanup_close_ int created = path_mkdir_in_root(root, p->cwd, 0755, err);
	if (created < 0)
		return hutch_error_prefix(err, "create process.cwd");
	if ((p->user.uid != 0 || p->user.gid != 0) &&
	    fchownat(created, "", p->user.uid, p->user.gid, AT_EMPTY_PATH) < 0)
		return hutch_fail(err, errno, "chown the new process.cwd %s to %u:%u", p->cwd,
				  p->user.uid, p->user.gid);
	return 0;
}

static int init_run(const struct init_context *ctx, hutch_error *err, bool *reported)
{
	const struct oci_config *cfg = ctx->cfg;
	const struct oci_process *p = cfg->process;
	int sync_fd = ctx->sync_fd;
	struct sync_msg m;

	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* The parent put us in the cgroup and wrote our id maps. */
	if (sync_expect(sync_fd, SYNC_MAPS_DONE, &m, "hutch-oci", err) < 0)
		return -1;
	pid_t host_pid = m.value;
	if (ctx->userns->create && become_namespace_root(ctx->userns, err) < 0)
		return -1;
	bool setgroups_allowed = !setgroups_denied();

	struct rootfs_context rc = {
	    .cfg = cfg,
	    .bundle = ctx->bundle,
	    .rootfs = ctx->rootfs,
	    .in_userns = ctx->userns->in_userns,
	    .no_pivot = ctx->o->no_pivot,
	};
	if (rootfs_prepare(&rc, err) < 0)
		return -1;
	if (has_hooks(cfg, OCI_HOOK_PRESTART) || has_hooks(cfg, OCI_HOOK_CREATE_RUNTIME)) {
		if (sync_send(sync_fd, SYNC_PREPARED, 0, NULL) < 0)
			return hutch_fail(err, errno, "sync with hutch-oci");
		if (sync_expect(sync_fd, SYNC_HOOKS_DONE, &m, "hutch-oci", err) < 0)
			return -1;
	}
	/* From here on nobody may open /proc/<init>/exe or ptrace us: a process
	 * exec'd into the container later must not reach the runtime binary
	 * through us (CVE-2019-5736). Writing our id maps (above) needed us
	 * dumpable; execve makes the container process dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return hutch_fail(err, errno, "prctl(PR_SET_DUMPABLE)");
	if (run_hooks_in_init(ctx, OCI_HOOK_CREATE_CONTAINER, host_pid, "creating", err) < 0)
		return -1;
	/* A fresh session keyring, so the container cannot see or use the
	 * caller's keys. Kernels or user namespaces without keyrings (or
	 * over their key quota) simply keep none. */
	if (!ctx->o->no_new_keyring &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0)
		log_debug("no new session keyring: %s", strerror(errno));

	if (rootfs_enter(&rc, err) < 0 || ensure_cwd(p, err) < 0)
		return -1;
	if (ctx->console_fd >= 0) {
		if (terminal_setup(ctx->console_fd, p, err) < 0)
			return -1;
		close(ctx->console_fd);
	}
	if (rootfs_finalize(&rc, err) < 0)
		return -1;
	if (p->cwd != NULL && chdir(p->cwd) < 0)
		return hutch_fail(err, errno, "chdir to process.cwd %s", p->cwd);
	if (process_apply_rlimits(p, err) < 0 || process_apply_oom_score_adj(p, err) < 0)
		return -1;

	_cleanup_strv_ char **env = process_build_env(p->env, p->n_env, ctx->listen_fds);
	if (env == NULL)
		return hutch_fail(err, ENOMEM, "environment");
	int notify_fd = -1;
	if (process_finalize_identity(p, cfg->linux_cfg.seccomp, setgroups_allowed, &notify_fd,
				      err) < 0)
		return -1;
	if (notify_fd >= 0) {
		/* The listener lives on the host side: the parent hands the fd
		 * over, with the state it needs. */
		if (sync_send(sync_fd, SYNC_SECCOMP_FD, 0, NULL) < 0 ||
		    fd_send(sync_fd, notify_fd, "seccomp", err) < 0)
			return hutch_error_isset(err) ? -1
						      : hutch_fail(err, errno, "send seccomp fd");
		close(notify_fd);
	}
	_cleanup_free_ char *exe = NULL;
	if (process_find_executable(p->args[0], env, &exe, err) < 0)
		return -1;
	if (sync_send(sync_fd, SYNC_READY, 0, NULL) < 0)
		return hutch_fail(err, errno, "sync with hutch-oci");

	if (ctx->run_mode) {
		if (sync_expect(sync_fd, SYNC_START, &m, "hutch-oci", err) < 0)
			return -1;
	} else {
		/* create has returned: from now on errors go to the log. */
		*reported = true;
		if (wait_for_start(ctx->fifo_fd, err) < 0)
			return -1;
	}
	if (run_hooks_in_init(ctx, OCI_HOOK_START_CONTAINER, host_pid, "created", err) < 0)
		return -1;
	if (process_pass_fds(ctx->o->preserve_fds + ctx->listen_fds, err) < 0)
		return -1;
	execve(exe, p->args, env);
	return hutch_fail(err, errno, "exec %s", exe);
}

_Noreturn void container_init_main(const struct init_context *ctx)
{
	hutch_error err = {0};
	bool reported_elsewhere = false;
	init_run(ctx, &err, &reported_elsewhere);
	if (reported_elsewhere)
		hutch_log_error(&err);
	else
		sync_send_error(ctx->sync_fd, &err);
	_exit(err.errnum == ENOENT ? 127 : err.errnum == EACCES ? 126 : 1);
}
