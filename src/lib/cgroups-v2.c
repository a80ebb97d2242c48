/* cgroup v2: create the container's cgroup inside a delegated subtree,
 * enable what controllers the subtree offers, write linux.resources into
 * the v2 interface files, and freeze through cgroup.freeze. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <linux/magic.h>

#include "cgroups.h"
#include "cleanup.h"
#include "file-util.h"
#include "log.h"

/* Enable in dir's subtree_control every controller dir offers that is not
 * enabled yet. A controller we may not enable (not delegated, or the
 * cgroup holds processes: the "no internal processes" rule) just stays
 * off; the resource that needs it then reports its missing file. */
static void enable_controllers(const char *dir)
{
	_cleanup_free_ char *path = NULL, *available = NULL, *enabled = NULL;
	if (asprintf(&path, "%s/cgroup.controllers", dir) < 0 ||
	    read_file_all(path, 4096, &available, NULL, NULL) < 0)
		return;
	free(path);
	path = NULL;
	if (asprintf(&path, "%s/cgroup.subtree_control", dir) < 0 ||
	    read_file_all(path, 4096, &enabled, NULL, NULL) < 0)
		return;

	char *save = NULL;
	for (char *c = strtok_r(available, " \n", &save); c != NULL;
	     c = strtok_r(NULL, " \n", &save)) {
		size_t len = strlen(c);
		const char *hit = strstr(enabled, c);
		if (hit != NULL && (hit == enabled || hit[-1] == ' ') &&
		    (hit[len] == ' ' || hit[len] == '\n' || hit[len] == '\0'))
			continue;
		char value[64];
		snprintf(value, sizeof(value), "+%s", c);
		hutch_error err = {0};
		if (write_file_string(path, value, &err) < 0)
			log_debug("cgroup: cannot enable %s in %s: %s", c, dir, err.msg);
	}
}

static bool is_cgroup2(const char *path)
{
	struct statfs sfs;
	return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroup_v2_create(const char *dir, hutch_error *err)
{
	_cleanup_free_ char *p = strdup(dir);
	if (p == NULL)
		return hutch_fail(err, ENOMEM, "cgroup %s", dir);
	bool inside = false;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (!inside && is_cgroup2(p))
			inside = true;
		else if (inside && mkdir(p, 0755) < 0 && errno != EEXIST)
			return hutch_fail(err, errno, "create cgroup %s", p);
		/* Each level we pass hands its controllers down. */
		if (inside && saved != '\0')
			enable_controllers(p);
		*s = saved;
		if (saved == '\0')
			break;
	}
	if (!inside)
		return hutch_fail_plain(err, ENOTSUP,
					"create cgroup %s: not on a cgroup2 file system", dir);
	return 0;
}

static void format_limit(char *buf, size_t size, int64_t v)
{
	if (v < 0)
		snprintf(buf, size, "max");
	else
		snprintf(buf, size, "%" PRId64, v);
}

static int apply_memory(const char *dir, const struct cgroup_resources *r, hutch_error *err)
{
	char v[32];
	if (r->has_memory_limit) {
		format_limit(v, sizeof(v), r->memory_limit);
		if (cgroup_write(dir, "memory.max", v, err) < 0)
			return -1;
	}
	if (r->has_memory_reservation) {
		format_limit(v, sizeof(v), r->memory_reservation);
		if (cgroup_write(dir, "memory.low", v, err) < 0)
			return -1;
	}
	if (r->has_memory_swap) {
		/* The spec's swap is memory plus swap (v1's memsw); v2 counts
		 * swap alone. */
		if (r->memory_swap == -1 || (r->has_memory_limit && r->memory_limit == -1))
			snprintf(v, sizeof(v), "max");
		else if (r->has_memory_limit)
			snprintf(v, sizeof(v), "%" PRId64, r->memory_swap - r->memory_limit);
		else
			return hutch_fail_plain(err, EINVAL,
						"linux.resources.memory.swap needs "
						"memory.limit on cgroup v2");
		if (cgroup_write(dir, "memory.swap.max", v, err) < 0)
			return -1;
	}
	if (r->has_swappiness || r->disable_oom_killer)
		log_warning("cgroup v2 has no memory swappiness nor OOM killer switch: "
			    "linux.resources.memory.swappiness and disableOOMKiller are not "
			    "applied");
	return 0;
}

static int apply_cpu(const char *dir, const struct cgroup_resources *r, hutch_error *err)
{
	char v[64];
	if (r->has_cpu_shares && r->cpu_shares != 0) {
		snprintf(v, sizeof(v), "%" PRIu64, cgroup_shares_to_weight(r->cpu_shares));
		if (cgroup_write(dir, "cpu.weight", v, err) < 0)
			return -1;
	}
	if (r->has_cpu_quota || r->has_cpu_period) {
		uint64_t period = r->has_cpu_period && r->cpu_period != 0 ? r->cpu_period : 100000;
		if (r->has_cpu_quota && r->cpu_quota > 0)
			snprintf(v, sizeof(v), "%" PRId64 " %" PRIu64, r->cpu_quota, period);
		else
			snprintf(v, sizeof(v), "max %" PRIu64, period);
		if (cgroup_write(dir, "cpu.max", v, err) < 0)
			return -1;
	}
	if (r->cpus != NULL && r->cpus[0] != '\0' &&
	    cgroup_write(dir, "cpuset.cpus", r->cpus, err) < 0)
		return -1;
	if (r->mems != NULL && r->mems[0] != '\0' &&
	    cgroup_write(dir, "cpuset.mems", r->mems, err) < 0)
		return -1;
	return 0;
}

static int apply_unified(const char *dir, json_object *unified, hutch_error *err)
{
	json_object_object_foreach(unified, key, val)
	{
		/* Keys name interface files of this cgroup, nothing else. */
		if (strchr(key, '/') != NULL || strcmp(key, "..") == 0 || strcmp(key, ".") == 0)
			return hutch_fail_plain(err, EINVAL,
						"linux.resources.unified: '%s' is not a cgroup "
						"file name",
						key);
		if (!json_object_is_type(val, json_type_string))
			return hutch_fail_plain(
			    err, EINVAL, "linux.resources.unified.%s: expected a string", key);
		if (cgroup_write(dir, key, json_object_get_string(val), err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_v2_apply(const char *dir, const struct cgroup_resources *r, hutch_error *err)
{
	if (apply_memory(dir, r, err) < 0 || apply_cpu(dir, r, err) < 0)
		return -1;
	char v[64];
	if (r->has_pids_limit) {
		format_limit(v, sizeof(v), r->pids_limit > 0 ? r->pids_limit : -1);
		if (cgroup_write(dir, "pids.max", v, err) < 0)
			return -1;
	}
	if (r->has_blkio_weight) {
		/* BFQ takes the v1 range as is; io.weight has its own. */
		if (cgroup_has_file(dir, "io.bfq.weight")) {
			snprintf(v, sizeof(v), "%" PRIu32, r->blkio_weight);
			if (cgroup_write(dir, "io.bfq.weight", v, err) < 0)
				return -1;
		} else {
			snprintf(v, sizeof(v), "default %" PRIu64,
				 cgroup_blkio_to_io_weight(r->blkio_weight));
			if (cgroup_write(dir, "io.weight", v, err) < 0)
				return -1;
		}
	}
	if (r->devices != NULL && json_object_array_length(r->devices) > 0)
		log_debug("cgroup v2: linux.resources.devices needs a BPF device program, not "
			  "applied (device nodes come from the config's linux.devices)");
	if (r->unified != NULL && apply_unified(dir, r->unified, err) < 0)
		return -1;
	return 0;
}

int cgroup_v2_freeze(const char *dir, bool freeze, hutch_error *err)
{
	if (cgroup_write(dir, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
		return -1;
	/* The write only starts freezing; cgroup.events says when every
	 * task has stopped. Give it two seconds, as runc does. */
	_cleanup_free_ char *events = NULL;
	if (asprintf(&events, "%s/cgroup.events", dir) < 0)
		return hutch_fail(err, ENOMEM, "cgroup.events");
	const char *want = freeze ? "frozen 1" : "frozen 0";
	for (int i = 0; i < 200; i++) {
		_cleanup_free_ char *text = NULL;
		if (read_file_all(events, 4096, &text, NULL, err) < 0)
			return -1;
		if (strstr(text, want) != NULL)
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	return hutch_fail_plain(err, ETIMEDOUT, "cgroup %s: not %s after 2 s", dir,
				freeze ? "frozen" : "thawed");
}
