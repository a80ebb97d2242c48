/* Optional cgroups. A rootless container gets a cgroup only where one can
 * be had: a delegated cgroup v2 subtree (systemd user scope) or real root.
 * Elsewhere (hybrid/v1 hosts, no delegation) it runs without limits and a
 * warning, unless the config demands a specific cgroupsPath. */
#ifndef HUTCH_CGROUPS_H
#define HUTCH_CGROUPS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci-config.h"

enum cgroup_manager {
	CGROUP_MANAGER_CGROUPFS = 0,
	CGROUP_MANAGER_SYSTEMD,
	CGROUP_MANAGER_DISABLED,
};

/* Create the container's cgroup, move pid into it and apply
 * linux.resources. *path_out gets the cgroup path recorded in the state
 * (NULL when the container runs without a cgroup). */
int cgroup_create(const struct oci_config *cfg, const char *id, pid_t pid,
		  enum cgroup_manager manager, char **path_out, hutch_error *err);

/* Operations on a recorded cgroup path; each fails with a clear message
 * ("container has no cgroup: ...") when path is NULL. */
int cgroup_freeze(const char *path, bool freeze, hutch_error *err);
int cgroup_update(const char *path, json_object *resources, hutch_error *err);
int cgroup_destroy(const char *path, hutch_error *err);
/* Pids in the cgroup (for kill --all and ps); caller frees *pids. */
int cgroup_pids(const char *path, pid_t **pids, size_t *n, hutch_error *err);

#endif
