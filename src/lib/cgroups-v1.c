/* cgroup v1 (legacy and hybrid hosts): one directory per hierarchy, the
 * resources written into whichever hierarchy has the file, freezing
 * through freezer.state. Only real root gets here: v1 has no safe
 * delegation to unprivileged users. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroups.h"
#include "cleanup.h"
#include "file-util.h"
#include "log.h"

/* A new cpuset cgroup starts with no cpus and no memory nodes, and no
 * task can join it until both are set: copy them from the parent, as
 * cgroup.clone_children would have. */
static int inherit_cpuset(const char *dir, hutch_error *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *mine = NULL, *parent = NULL, *path = NULL, *ppath = NULL;
		if (asprintf(&path, "%s/%s", dir, files[i]) < 0 ||
		    asprintf(&ppath, "%s/../%s", dir, files[i]) < 0)
			return hutch_fail(err, ENOMEM, "cgroup %s", dir);
		if (read_file_all(path, 65536, &mine, NULL, err) < 0)
			return -1;
		if (mine[0] != '\0' && mine[0] != '\n')
			continue;
		if (read_file_all(ppath, 65536, &parent, NULL, err) < 0 ||
		    cgroup_write(dir, files[i], parent, err) < 0)
			return -1;
	}
	return 0;
}

static int create_one(const char *dir, hutch_error *err)
{
	_cleanup_free_ char *p = strdup(dir);
	if (p == NULL)
		return hutch_fail(err, ENOMEM, "cgroup %s", dir);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, 0755) == 0) {
			if (cgroup_has_file(p, "cpuset.cpus") && inherit_cpuset(p, err) < 0)
				return -1;
		} else if (errno != EEXIST) {
			return hutch_fail(err, errno, "create cgroup %s", p);
		}
		*s = saved;
		if (saved == '\0')
			return 0;
	}
}

int cgroup_v1_create(char **dirs, size_t n, hutch_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (create_one(dirs[i], err) < 0)
			return -1;
	return 0;
}

static const char *dir_with(char **dirs, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_has_file(dirs[i], file))
			return dirs[i];
	return NULL;
}

static int set_v1(char **dirs, size_t n, const char *file, const char *value, hutch_error *err)
{
	const char *dir = dir_with(dirs, n, file);
	if (dir == NULL)
		return hutch_fail_plain(err, ENOENT,
					"cgroup v1: no mounted hierarchy offers %s (is its "
					"controller mounted?)",
					file);
	return cgroup_write(dir, file, value, err);
}

static int apply_memory(char **dirs, size_t n, const struct cgroup_resources *r, hutch_error *err)
{
	char v[32];
	bool swap_done = false;
	if (r->has_memory_limit) {
		snprintf(v, sizeof(v), "%" PRId64, r->memory_limit);
		hutch_error first = {0};
		if (set_v1(dirs, n, "memory.limit_in_bytes", v, &first) < 0) {
			/* The kernel keeps limit <= memsw: raising the limit
			 * above the current memsw needs memsw raised first. */
			if (!r->has_memory_swap) {
				*err = first;
				return -1;
			}
			char s[32];
			snprintf(s, sizeof(s), "%" PRId64, r->memory_swap);
			if (set_v1(dirs, n, "memory.memsw.limit_in_bytes", s, err) < 0 ||
			    set_v1(dirs, n, "memory.limit_in_bytes", v, err) < 0)
				return -1;
			swap_done = true;
		}
	}
	if (r->has_memory_swap && !swap_done) {
		if (dir_with(dirs, n, "memory.memsw.limit_in_bytes") == NULL) {
			log_warning("swap accounting is off on this host (no "
				    "memory.memsw.limit_in_bytes): linux.resources.memory.swap is "
				    "not applied");
		} else {
			snprintf(v, sizeof(v), "%" PRId64, r->memory_swap);
			if (set_v1(dirs, n, "memory.memsw.limit_in_bytes", v, err) < 0)
				return -1;
		}
	}
	if (r->has_memory_reservation) {
		snprintf(v, sizeof(v), "%" PRId64, r->memory_reservation);
		if (set_v1(dirs, n, "memory.soft_limit_in_bytes", v, err) < 0)
			return -1;
	}
	if (r->has_swappiness) {
		snprintf(v, sizeof(v), "%" PRIu64, r->swappiness);
		if (set_v1(dirs, n, "memory.swappiness", v, err) < 0)
			return -1;
	}
	if (r->disable_oom_killer && set_v1(dirs, n, "memory.oom_control", "1", err) < 0)
		return -1;
	return 0;
}

static int apply_cpu(char **dirs, size_t n, const struct cgroup_resources *r, hutch_error *err)
{
	char v[32];
	if (r->has_cpu_shares && r->cpu_shares != 0) {
		snprintf(v, sizeof(v), "%" PRIu64, r->cpu_shares);
		if (set_v1(dirs, n, "cpu.shares", v, err) < 0)
			return -1;
	}
	/* The period first: the kernel checks the quota against it. */
	if (r->has_cpu_period && r->cpu_period != 0) {
		snprintf(v, sizeof(v), "%" PRIu64, r->cpu_period);
		if (set_v1(dirs, n, "cpu.cfs_period_us", v, err) < 0)
			return -1;
	}
	if (r->has_cpu_quota) {
		snprintf(v, sizeof(v), "%" PRId64, r->cpu_quota > 0 ? r->cpu_quota : -1);
		if (set_v1(dirs, n, "cpu.cfs_quota_us", v, err) < 0)
			return -1;
	}
	if (r->cpus != NULL && r->cpus[0] != '\0' &&
	    set_v1(dirs, n, "cpuset.cpus", r->cpus, err) < 0)
		return -1;
	if (r->mems != NULL && r->mems[0] != '\0' &&
	    set_v1(dirs, n, "cpuset.mems", r->mems, err) < 0)
		return -1;
	return 0;
}

/* One devices-cgroup rule as the kernel spells it: "c 1:3 rwm". */
static void format_device_rule(char *buf, size_t size, char type, int64_t major, int64_t minor,
			       const char *access)
{
	char maj[24] = "*", min[24] = "*";
	if (major >= 0)
		snprintf(maj, sizeof(maj), "%" PRId64, major);
	if (minor >= 0)
		snprintf(min, sizeof(min), "%" PRId64, minor);
	snprintf(buf, size, "%c %s:%s %s", type, maj, min, access);
}

/* Devices every container needs whatever its rules say (runc's list):
 * mknod of anything, the standard character devices, ptys and tun. */
static const char *const always_allowed[] = {
    "c *:* m",	 "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
    "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
};

static int apply_devices(char **dirs, size_t n, const struct cgroup_resources *r,
			 const struct oci_config *cfg, hutch_error *err)
{
	const char *dir = dir_with(dirs, n, "devices.allow");
	if (dir == NULL) {
		log_warning("no devices cgroup is mounted: linux.resources.devices is not applied");
		return 0;
	}
	char rule[96];
	for (size_t i = 0; i < json_object_array_length(r->devices); i++) {
		json_object *d = json_object_array_get_idx(r->devices, i), *v;
		bool allow =
		    json_object_object_get_ex(d, "allow", &v) && json_object_get_boolean(v);
		const char *type =
		    json_object_object_get_ex(d, "type", &v) ? json_object_get_string(v) : "a";
		int64_t major =
		    json_object_object_get_ex(d, "major", &v) ? json_object_get_int64(v) : -1;
		int64_t minor =
		    json_object_object_get_ex(d, "minor", &v) ? json_object_get_int64(v) : -1;
		const char *access =
		    json_object_object_get_ex(d, "access", &v) ? json_object_get_string(v) : "rwm";
		if (type == NULL || strlen(type) != 1 || strchr("acbu", type[0]) == NULL)
			return hutch_fail_plain(
			    err, EINVAL, "linux.resources.devices[%zu].type: expected a, c or b",
			    i);
		/* The kernel has no 'u' (unbuffered char) type: it is a 'c'. */
		format_device_rule(rule, sizeof(rule), type[0] == 'u' ? 'c' : type[0], major, minor,
				   access != NULL ? access : "rwm");
		if (cgroup_write(dir, allow ? "devices.allow" : "devices.deny", rule, err) < 0)
			return hutch_error_prefix(err, "linux.resources.devices[%zu]", i);
	}
	for (size_t i = 0; i < sizeof(always_allowed) / sizeof(always_allowed[0]); i++)
		if (cgroup_write(dir, "devices.allow", always_allowed[i], err) < 0)
			return -1;
	for (size_t i = 0; cfg != NULL && i < cfg->linux_cfg.n_devices; i++) {
		const struct oci_device *d = &cfg->linux_cfg.devices[i];
		if (d->type == 'p')
			continue;
		format_device_rule(rule, sizeof(rule), d->type == 'u' ? 'c' : d->type, d->major,
				   d->minor, "rwm");
		if (cgroup_write(dir, "devices.allow", rule, err) < 0)
			return hutch_error_prefix(err, "linux.devices[%zu]", i);
	}
	return 0;
}

int cgroup_v1_apply(char **dirs, size_t n, const struct cgroup_resources *r,
		    const struct oci_config *cfg, hutch_error *err)
{
	if (r->unified != NULL && json_object_object_length(r->unified) > 0)
		return hutch_fail_plain(err, EOPNOTSUPP,
					"linux.resources.unified needs cgroup v2; this host "
					"uses cgroup v1");
	if (apply_memory(dirs, n, r, err) < 0 || apply_cpu(dirs, n, r, err) < 0)
		return -1;
	char v[32];
	if (r->has_pids_limit) {
		if (r->pids_limit > 0)
			snprintf(v, sizeof(v), "%" PRId64, r->pids_limit);
		else
			snprintf(v, sizeof(v), "max");
		if (set_v1(dirs, n, "pids.max", v, err) < 0)
			return -1;
	}
	if (r->has_blkio_weight) {
		snprintf(v, sizeof(v), "%" PRIu32, r->blkio_weight);
		const char *file =
		    dir_with(dirs, n, "blkio.weight") != NULL ? "blkio.weight" : "blkio.bfq.weight";
		if (set_v1(dirs, n, file, v, err) < 0)
			return -1;
	}
	if (r->devices != NULL && apply_devices(dirs, n, r, cfg, err) < 0)
		return -1;
	return 0;
}

int cgroup_v1_freeze(char **dirs, size_t n, bool freeze, hutch_error *err)
{
	const char *dir = dir_with(dirs, n, "freezer.state");
	if (dir == NULL && n > 0 && access(dirs[0], F_OK) < 0)
		return hutch_fail(err, errno, "cgroup %s", dirs[0]);
	if (dir == NULL)
		return hutch_fail_plain(err, ENOENT,
					"cgroup v1: the freezer controller is not mounted, pause "
					"is not available");
	const char *want = freeze ? "FROZEN" : "THAWED";
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/freezer.state", dir) < 0)
		return hutch_fail(err, ENOMEM, "freezer.state");
	/* A task in an uninterruptible sleep can hold the cgroup in
	 * FREEZING; writing again retries it. Two seconds, as runc. */
	for (int i = 0; i < 200; i++) {
		if (cgroup_write(dir, "freezer.state", want, err) < 0)
			return -1;
		_cleanup_free_ char *state = NULL;
		if (read_file_all(path, 64, &state, NULL, err) < 0)
			return -1;
		if (strncmp(state, want, strlen(want)) == 0)
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	if (freeze)
		cgroup_write(dir, "freezer.state", "THAWED", NULL);
	return hutch_fail_plain(err, ETIMEDOUT, "cgroup %s: not %s after 2 s", dir,
				freeze ? "frozen" : "thawed");
}
