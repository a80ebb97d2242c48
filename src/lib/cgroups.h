/* Optional cgroups. A rootless container gets a cgroup only where one can
 * be had: a delegated cgroup v2 subtree (systemd user scope) or real root.
 * Elsewhere (hybrid/v1 hosts, no delegation) it runs without limits and a
 * warning, unless the config demands a specific cgroupsPath. */
#ifndef HUTCH_CGROUPS_H
#define HUTCH_CGROUPS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
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

/* Put another process of the container (hutch-oci exec) into its cgroup;
 * nothing to do when path is NULL. */
int cgroup_enter(const char *path, pid_t pid, hutch_error *err);

/* Send sig to every process of the cgroup (kill --all). SIGKILL on cgroup
 * v2 uses cgroup.kill; otherwise the cgroup is frozen while the signals go
 * out, so a forking process cannot slip a child past us. */
int cgroup_kill(const char *path, int sig, hutch_error *err);

/* How the host mounts cgroups under /sys/fs/cgroup. */
enum cgroup_layout {
	CGROUP_LAYOUT_NONE = 0, /* nothing mounted */
	CGROUP_LAYOUT_UNIFIED,	/* cgroup2 at /sys/fs/cgroup */
	CGROUP_LAYOUT_HYBRID,	/* v1 controllers and a cgroup2 "unified" mount */
	CGROUP_LAYOUT_LEGACY,	/* v1 controllers only */
};
enum cgroup_layout cgroup_detect_layout(void);
const char *cgroup_layout_name(enum cgroup_layout layout);

/* systemd's spelling "slice:prefix:name" as the cgroup path systemd would
 * give the unit: "system.slice:docker:abc" -> "system.slice/docker-abc.scope",
 * "machine-a.slice:x:y" -> "machine.slice/machine-a.slice/x-y.scope". An
 * empty slice is "system.slice" for root and "user.slice" otherwise. */
int cgroup_systemd_path(const char *spec, bool root, char **out, hutch_error *err);

/* ---- Shared by the cgroups*.c files; not for other callers. ---- */

/* linux.resources as the cgroup writers need it. Strings and the unified
 * map are borrowed from the JSON. */
struct cgroup_resources {
	bool has_memory_limit, has_memory_reservation, has_memory_swap, has_swappiness;
	int64_t memory_limit, memory_reservation, memory_swap;
	uint64_t swappiness;
	bool disable_oom_killer;
	bool has_cpu_shares, has_cpu_quota, has_cpu_period;
	uint64_t cpu_shares, cpu_period;
	int64_t cpu_quota;
	const char *cpus, *mems;
	bool has_pids_limit;
	int64_t pids_limit;
	bool has_blkio_weight;
	uint32_t blkio_weight;
	json_object *devices; /* linux.resources.devices, or NULL */
	json_object *unified; /* linux.resources.unified, or NULL */
};
int cgroup_resources_parse(json_object *resources, struct cgroup_resources *out, hutch_error *err);
/* cgroup v1 cpu.shares (2-262144) to v2 cpu.weight (1-10000). */
uint64_t cgroup_shares_to_weight(uint64_t shares);
/* v1 blkio.weight (10-1000) to v2 io.weight (1-10000). */
uint64_t cgroup_blkio_to_io_weight(uint64_t weight);

int cgroup_write(const char *dir, const char *file, const char *value, hutch_error *err);
bool cgroup_has_file(const char *dir, const char *file);
int cgroup_rmdir_tree(const char *dir, hutch_error *err);
int cgroup_read_pids_tree(const char *dir, pid_t **pids, size_t *n, hutch_error *err);

/* Create dir (and its parents below the hierarchy's mount point) in a
 * cgroup v2 tree, enabling the available controllers on the way. */
int cgroup_v2_create(const char *dir, hutch_error *err);
int cgroup_v2_apply(const char *dir, const struct cgroup_resources *r, hutch_error *err);
int cgroup_v2_freeze(const char *dir, bool freeze, hutch_error *err);

/* The v1 directories of one container: one per hierarchy. */
int cgroup_v1_create(char **dirs, size_t n, hutch_error *err);
int cgroup_v1_apply(char **dirs, size_t n, const struct cgroup_resources *r,
		    const struct oci_config *cfg, hutch_error *err);
int cgroup_v1_freeze(char **dirs, size_t n, bool freeze, hutch_error *err);

#endif
