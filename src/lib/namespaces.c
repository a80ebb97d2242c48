#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"
#include "log.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

bool userns_caller_is_initial(void)
{
	char buf[256];
	_cleanup_close_ int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* no procfs view of it: a kernel without user namespaces */
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	unsigned long inside, outside, count;
	int used = 0;
	if (sscanf(buf, "%lu %lu %lu%n", &inside, &outside, &count, &used) != 3)
		return false;
	/* Identity over the whole 32-bit range and nothing else. */
	return inside == 0 && outside == 0 && count == 4294967295UL && buf[used] == '\n' &&
	       buf[used + 1] == '\0';
}

/* /proc/self/ns/ names, in oci_namespace_type order. */
static const char *const proc_ns_name[OCI_NS_COUNT] = {
    [OCI_NS_PID] = "pid",	[OCI_NS_NETWORK] = "net", [OCI_NS_MOUNT] = "mnt",
    [OCI_NS_IPC] = "ipc",	[OCI_NS_UTS] = "uts",	  [OCI_NS_USER] = "user",
    [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

/* True when fd is the namespace we are in already: joining it would be a
 * no-op at best (setns on one's own user namespace is EINVAL). */
static bool ns_fd_is_own(enum oci_namespace_type type, int fd)
{
	char path[64];
	struct stat a, b;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", proc_ns_name[type]);
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

static bool ns_path_is_own(enum oci_namespace_type type, const char *ns_path)
{
	_cleanup_close_ int fd = open(ns_path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && ns_fd_is_own(type, fd);
}

static struct oci_id_mapping *copy_maps(const struct oci_id_mapping *m, size_t n)
{
	struct oci_id_mapping *c = calloc(n ? n : 1, sizeof(*c));
	if (c != NULL && n > 0)
		memcpy(c, m, n * sizeof(*c));
	return c;
}

static bool maps_contain(const struct oci_id_mapping *m, size_t n, uint32_t container_id)
{
	for (size_t i = 0; i < n; i++)
		if (container_id >= m[i].container_id &&
		    (uint64_t)container_id < (uint64_t)m[i].container_id + m[i].size)
			return true;
	return false;
}

static uint64_t maps_total(const struct oci_id_mapping *m, size_t n)
{
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += m[i].size;
	return t;
}

/* The maps an unprivileged caller writes for one side (uids or gids).
 * cfg_maps are the config's (maybe none); want is process.user's id,
 * which must end up mapped for the identity switch to work. */
static int unprivileged_maps(bool gid, const struct oci_id_mapping *cfg_maps, size_t n_cfg,
			     uint32_t want, struct oci_id_mapping **out, size_t *n_out,
			     hutch_error *err)
{
	const char *kind = gid ? "gid" : "uid";
	uint32_t own = gid ? (uint32_t)getegid() : (uint32_t)geteuid();
	bool only_own = n_cfg == 1 && cfg_maps[0].host_id == own && cfg_maps[0].size == 1;

	/* The fast path (runc's `spec --rootless`): the config maps exactly
	 * our own id and the process user is that id. No file to read, no
	 * helper to run. */
	if (only_own && cfg_maps[0].container_id == want) {
		*out = copy_maps(cfg_maps, 1);
		*n_out = 1;
		return *out != NULL ? 0 : hutch_fail(err, ENOMEM, "id map");
	}

	_cleanup_free_ struct oci_id_mapping *def = NULL;
	size_t n_def = 0;
	bool single = true;
	if (idmap_default_for_caller(gid, &def, &n_def, &single, err) < 0)
		return -1;

	if (!single) {
		if (n_cfg == 0 || (only_own && cfg_maps[0].container_id == 0)) {
			/* No mapping asked, or runc's own-id-as-root mapping with a
			 * process user it does not cover: the whole range. */
			*out = steal_pointer(&def);
			*n_out = n_def;
			return 0;
		}
		/* A larger map: newgidmap/newuidmap check it against our
		 * ranges and say why when they refuse it. */
		*out = copy_maps(cfg_maps, n_cfg);
		*n_out = n_cfg;
		return *out != NULL ? 0 : hutch_fail(err, ENOMEM, "id map");
	}

	/* One id is all we have: map it to the id the process runs as. */
	uint32_t target = want;
	if (n_cfg > 0 && maps_total(cfg_maps, n_cfg) > 1 && !maps_contain(cfg_maps, n_cfg, want))
		target = 0;
	if (n_cfg > 0 && (maps_total(cfg_maps, n_cfg) > 1 || !only_own))
		log_warning("the config maps %llu %ss but this user has no range in /etc/sub%s: "
			    "only %s %u is mapped (as %u in the container); files owned by "
			    "other ids show as nobody and chown to them fails",
			    (unsigned long long)maps_total(cfg_maps, n_cfg), kind, kind, kind, own,
			    target);
	struct oci_id_mapping *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return hutch_fail(err, ENOMEM, "id map");
	m->container_id = target;
	m->host_id = own;
	m->size = 1;
	*out = m;
	*n_out = 1;
	return 0;
}

int userns_plan_make(const struct oci_config *cfg, struct userns_plan *plan, hutch_error *err)
{
	memset(plan, 0, sizeof(*plan));
	bool initial = userns_caller_is_initial();
	bool privileged = geteuid() == 0;
	const struct oci_namespace *ns = oci_config_namespace(cfg, OCI_NS_USER);
	const struct oci_linux *l = &cfg->linux_cfg;
	uint32_t want_uid = cfg->process != NULL ? cfg->process->user.uid : 0;
	uint32_t want_gid = cfg->process != NULL ? cfg->process->user.gid : 0;

	plan->setgroups_allowed = true;
	if (ns != NULL && ns->path != NULL && ns_path_is_own(OCI_NS_USER, ns->path))
		ns = NULL; /* "join" the user namespace we are in: nothing to do */
	if (ns != NULL && ns->path != NULL) {
		plan->join = true;
		plan->in_userns = true;
		return 0;
	}
	if (ns == NULL && privileged) {
		/* (c) and (d): run in the caller's user namespace. */
		plan->in_userns = !initial;
		return 0;
	}
	plan->create = true;
	plan->in_userns = true;
	if (privileged) {
		/* Root in a user namespace whose config maps too little for
		 * process.user (a `spec --rootless` config maps only our id 0):
		 * hand on every id we have instead, as the config cannot work
		 * otherwise. Real root gets the config as written. */
		bool covered = maps_contain(l->uid_mappings, l->n_uid_mappings, want_uid) &&
			       maps_contain(l->gid_mappings, l->n_gid_mappings, want_gid);
		if (!initial && (!covered || l->n_uid_mappings == 0 || l->n_gid_mappings == 0)) {
			if (l->n_uid_mappings > 0)
				log_debug("the config's id maps do not cover process.user: mapping "
					  "every id of the caller's user namespace");
			return idmap_own_identity(false, &plan->uid_maps, &plan->n_uid_maps, err) <
					   0 ||
				       idmap_own_identity(true, &plan->gid_maps, &plan->n_gid_maps,
							  err) < 0
				   ? -1
				   : 0;
		}
		if (l->n_uid_mappings > 0 && l->n_gid_mappings > 0) {
			plan->uid_maps = copy_maps(l->uid_mappings, l->n_uid_mappings);
			plan->n_uid_maps = l->n_uid_mappings;
			plan->gid_maps = copy_maps(l->gid_mappings, l->n_gid_mappings);
			plan->n_gid_maps = l->n_gid_mappings;
			if (plan->uid_maps == NULL || plan->gid_maps == NULL)
				return hutch_fail(err, ENOMEM, "id map");
			return 0;
		}
		bool single;
		if (idmap_default_for_caller(false, &plan->uid_maps, &plan->n_uid_maps, &single,
					     err) < 0 ||
		    idmap_default_for_caller(true, &plan->gid_maps, &plan->n_gid_maps, &single,
					     err) < 0)
			return -1;
		return 0;
	}
	/* (a) and (b): an unprivileged caller always gets a user namespace. */
	if (ns == NULL)
		log_debug("no user namespace in the config: adding one for an unprivileged caller");
	if (unprivileged_maps(false, l->uid_mappings, l->n_uid_mappings, want_uid, &plan->uid_maps,
			      &plan->n_uid_maps, err) < 0 ||
	    unprivileged_maps(true, l->gid_mappings, l->n_gid_mappings, want_gid, &plan->gid_maps,
			      &plan->n_gid_maps, err) < 0)
		return -1;
	/* A single gid written by ourselves requires setgroups "deny". */
	plan->setgroups_allowed =
	    !(plan->n_gid_maps == 1 && plan->gid_maps[0].host_id == (uint32_t)getegid() &&
	      plan->gid_maps[0].size == 1);
	return 0;
}

void userns_plan_clear(struct userns_plan *plan)
{
	free(plan->uid_maps);
	free(plan->gid_maps);
	memset(plan, 0, sizeof(*plan));
}

int ns_plan_make(const struct oci_config *cfg, const struct userns_plan *userns,
		 struct ns_plan *plan, hutch_error *err)
{
	plan->clone_flags = 0;
	plan->any_join = false;
	for (int t = 0; t < OCI_NS_COUNT; t++)
		plan->join_fd[t] = -1;
	const struct oci_linux *l = &cfg->linux_cfg;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct oci_namespace *ns = &l->namespaces[i];
		if (ns->path == NULL) {
			plan->clone_flags |= oci_namespace_clone_flag(ns->type);
			continue;
		}
		if (plan->join_fd[ns->type] >= 0)
			continue;
		int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			ns_plan_close(plan);
			return hutch_fail(err, e, "open %s namespace %s",
					  oci_namespace_type_name(ns->type), ns->path);
		}
		if (ns_fd_is_own(ns->type, fd)) {
			close(fd);
			continue;
		}
		plan->join_fd[ns->type] = fd;
		plan->any_join = true;
	}
	if (userns->create)
		plan->clone_flags |= CLONE_NEWUSER;
	return 0;
}

void ns_plan_close(struct ns_plan *plan)
{
	for (int t = 0; t < OCI_NS_COUNT; t++) {
		if (plan->join_fd[t] >= 0)
			close(plan->join_fd[t]);
		plan->join_fd[t] = -1;
	}
}

int ns_join_fds(const int fds[OCI_NS_COUNT], hutch_error *err)
{
	static const enum oci_namespace_type order[] = {
	    OCI_NS_USER, OCI_NS_IPC,	OCI_NS_UTS,  OCI_NS_NETWORK,
	    OCI_NS_PID,	 OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum oci_namespace_type t = order[i];
		if (fds[t] < 0)
			continue;
		if (setns(fds[t], oci_namespace_clone_flag(t)) < 0) {
			if (errno == EPERM && fds[OCI_NS_USER] < 0 && geteuid() != 0)
				return hutch_fail(err, errno,
						  "join the %s namespace (without privileges, join "
						  "the user namespace that owns it too)",
						  oci_namespace_type_name(t));
			return hutch_fail(err, errno, "join the %s namespace",
					  oci_namespace_type_name(t));
		}
	}
	return 0;
}

struct hutch_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
};

pid_t ns_clone(int flags, int *pidfd)
{
	int fd = -1;
	struct hutch_clone_args args = {
	    .flags = (uint64_t)(unsigned)flags | (pidfd != NULL ? CLONE_PIDFD : 0),
	    .pidfd = (uint64_t)(uintptr_t)&fd,
	    /* With CLONE_PARENT the kernel takes the exit signal from the
	     * caller and refuses any other. */
	    .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
	};
	/* A raw clone without CLONE_VM behaves like fork(): the child runs on
	 * a copy of our stack, so no stack is needed. */
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r < 0 && errno == ENOSYS) {
		r = syscall(SYS_clone,
			    (unsigned long)flags | ((flags & CLONE_PARENT) ? 0 : SIGCHLD), NULL,
			    NULL, NULL, NULL);
		fd = -1;
	}
	if (r > 0 && pidfd != NULL)
		*pidfd = fd;
	return (pid_t)r;
}
