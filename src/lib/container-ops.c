/* Operations on an existing container: kill, delete, ps, pause/resume,
 * update. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "container-internal.h"
#include "hooks.h"
#include "log.h"
#include "state.h"

/* A pidfd of the container init, or -1 with ESRCH when the recorded pid
 * is gone or now belongs to another process. Taking the pidfd first and
 * checking the start time after closes the pid-reuse race. */
static int open_init_pidfd(const struct container_state *st)
{
	int pidfd = pidfd_open(st->pid, 0);
	if (pidfd < 0)
		return -1;
	unsigned long long start;
	bool alive;
	if (proc_start_time(st->pid, &start, &alive) < 0 || !alive || start != st->start_time) {
		close(pidfd);
		errno = ESRCH;
		return -1;
	}
	return pidfd;
}

static int pid_namespace_of(pid_t pid, struct stat *st)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, st);
}

/* Without a cgroup, the container's processes are those in the init's
 * pid namespace (when it has one of its own). */
static int pids_from_pid_namespace(const struct container_state *cs, pid_t **out, size_t *n,
				   hutch_error *err)
{
	struct stat init_ns, self_ns;
	*out = NULL;
	*n = 0;
	_cleanup_free_ pid_t *list = malloc(sizeof(pid_t) * 16);
	size_t cap = 16, count = 0;
	if (list == NULL)
		return hutch_fail(err, ENOMEM, "pids");
	if (pid_namespace_of(cs->pid, &init_ns) < 0 || pid_namespace_of(getpid(), &self_ns) < 0 ||
	    (init_ns.st_ino == self_ns.st_ino && init_ns.st_dev == self_ns.st_dev)) {
		list[count++] = cs->pid;
		*out = steal_pointer(&list);
		*n = count;
		return 0;
	}
	_cleanup_closedir_ DIR *d = opendir("/proc");
	if (d == NULL)
		return hutch_fail(err, errno, "open /proc");
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		struct stat ns;
		if (pid_namespace_of(pid, &ns) < 0 || ns.st_ino != init_ns.st_ino ||
		    ns.st_dev != init_ns.st_dev)
			continue;
		if (count == cap) {
			cap *= 2;
			pid_t *nl = realloc(list, cap * sizeof(pid_t));
			if (nl == NULL)
				return hutch_fail(err, ENOMEM, "pids");
			list = nl;
		}
		list[count++] = pid;
	}
	*out = steal_pointer(&list);
	*n = count;
	return 0;
}

static int state_pids(const struct container_state *st, pid_t **pids, size_t *n, hutch_error *err)
{
	if (st->cgroup_path != NULL)
		return cgroup_pids(st->cgroup_path, pids, n, err);
	return pids_from_pid_namespace(st, pids, n, err);
}

int container_pids(const char *root, const char *id, pid_t **pids, size_t *n, hutch_error *err)
{
	struct container_state st;
	*pids = NULL;
	*n = 0;
	if (state_read(root, id, &st, err) < 0)
		return -1;
	int r = 0;
	if (state_status(root, &st) != CONTAINER_STOPPED)
		r = state_pids(&st, pids, n, err);
	state_clear(&st);
	return r;
}

int container_signal(const char *root, const struct container_state *st, int signo, bool all,
		     hutch_error *err)
{
	_cleanup_close_ int pidfd = open_init_pidfd(st);
	if (pidfd < 0)
		return hutch_fail_plain(err, ESRCH, "container %s is not running", st->id);
	if (all && st->cgroup_path != NULL) {
		/* The cgroup module freezes the group while signalling, so a
		 * forking process cannot slip a child past us. */
		if (cgroup_kill(st->cgroup_path, signo, err) < 0)
			return -1;
	} else if (all) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		if (state_pids(st, &pids, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (pids[i] != st->pid && kill(pids[i], signo) < 0 && errno != ESRCH)
				log_warning("kill %d: %s", (int)pids[i], strerror(errno));
	}
	if (pidfd_send_signal(pidfd, signo, NULL, 0) < 0 && errno != ESRCH)
		return hutch_fail(err, errno, "send signal %d to %s", signo, st->id);
	return 0;
}

int container_kill(const char *root, const char *id, int signo, bool all, hutch_error *err)
{
	struct container_state st;
	if (state_read(root, id, &st, err) < 0)
		return -1;
	int r;
	if (state_status(root, &st) == CONTAINER_STOPPED)
		r = hutch_fail_plain(err, ESRCH, "container %s is not running", id);
	else
		r = container_signal(root, &st, signo, all, err);
	state_clear(&st);
	return r;
}

static void run_poststop(const struct container_state *st, const struct oci_config *cfg)
{
	if (cfg->hooks.count[OCI_HOOK_POSTSTOP] == 0)
		return;
	_cleanup_free_ char *state =
	    state_hook_json(st->id, 0, "stopped", st->bundle, st->annotations);
	hutch_error e = {0};
	/* runtime-spec: a failing poststop hook is a warning. */
	if (state != NULL && hooks_run(cfg, OCI_HOOK_POSTSTOP, state, &e) < 0)
		log_warning("%s", e.msg);
}

int container_cleanup(const char *root, struct container_state *st, const struct oci_config *cfg,
		      hutch_error *err)
{
	hutch_error e = {0};
	if (cfg != NULL) {
		run_poststop(st, cfg);
	} else {
		struct oci_config *loaded = NULL;
		if (st->bundle != NULL && oci_config_load(st->bundle, &loaded, &e) == 0) {
			run_poststop(st, loaded);
			oci_config_free(loaded);
		} else {
			log_warning("container %s: no poststop hooks run: %s", st->id, e.msg);
			hutch_error_clear(&e);
		}
	}
	if (st->cgroup_path != NULL && cgroup_destroy(st->cgroup_path, &e) < 0)
		log_warning("%s", e.msg);
	return state_dir_remove(root, st->id, err);
}

int container_delete(const char *root, const char *id, bool force, hutch_error *err)
{
	_cleanup_close_ int dir_fd = state_dir_lock(root, id, err);
	if (dir_fd < 0)
		return -1;
	struct container_state st;
	if (state_read(root, id, &st, err) < 0) {
		/* A directory left without a state by a crashed create is
		 * removed; anything else (unreadable state) is reported. */
		if (err->errnum == ENOENT)
			state_dir_remove(root, id, NULL);
		return -1;
	}
	int r = 0;
	enum container_status status = state_status(root, &st);
	if ((status == CONTAINER_RUNNING || status == CONTAINER_PAUSED) && !force) {
		r = hutch_fail_plain(err, EBUSY,
				     "container %s is %s: stop it first or use delete --force", id,
				     container_status_name(status));
	} else if (status != CONTAINER_STOPPED) {
		/* A created container is deleted without --force, as runc does:
		 * its process never ran. */
		int pidfd = open_init_pidfd(&st);
		if (pidfd >= 0) {
			if (status == CONTAINER_PAUSED && st.cgroup_path != NULL)
				cgroup_freeze(st.cgroup_path, false, NULL);
			hutch_error e = {0};
			container_signal(root, &st, SIGKILL, true, &e);
			if (wait_pidfd_exit(pidfd, 10000) < 0)
				r = hutch_fail(err, errno, "wait for container %s to die", id);
			close(pidfd);
		}
	}
	if (r == 0)
		r = container_cleanup(root, &st, NULL, err);
	state_clear(&st);
	return r;
}

int container_pause(const char *root, const char *id, bool pause, hutch_error *err)
{
	_cleanup_close_ int dir_fd = state_dir_lock(root, id, err);
	if (dir_fd < 0)
		return -1;
	struct container_state st;
	if (state_read(root, id, &st, err) < 0)
		return -1;
	int r = 0;
	enum container_status status = state_status(root, &st);
	if (status == CONTAINER_STOPPED)
		r = hutch_fail_plain(err, ESRCH, "container %s is not running", id);
	else if (pause && status == CONTAINER_PAUSED)
		r = hutch_fail_plain(err, EINVAL, "container %s is already paused", id);
	else if (!pause && status != CONTAINER_PAUSED)
		r = hutch_fail_plain(err, EINVAL, "container %s is not paused", id);
	else if (cgroup_freeze(st.cgroup_path, pause, err) < 0)
		r = -1;
	if (r == 0) {
		st.paused = pause;
		r = state_write(root, &st, err);
	}
	state_clear(&st);
	return r;
}

int container_update(const char *root, const char *id, json_object *resources, hutch_error *err)
{
	_cleanup_close_ int dir_fd = state_dir_lock(root, id, err);
	if (dir_fd < 0)
		return -1;
	struct container_state st;
	if (state_read(root, id, &st, err) < 0)
		return -1;
	int r;
	if (state_status(root, &st) == CONTAINER_STOPPED)
		r = hutch_fail_plain(err, ESRCH, "container %s is not running", id);
	else
		r = cgroup_update(st.cgroup_path, resources, err);
	state_clear(&st);
	return r;
}
