/* Limits: HostConfig.Ulimits as process.rlimits, and the cgroup resource
 * limits (Memory, NanoCpus, PidsLimit, ...) as linux.resources. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ctr-build-internal.h"

/* Docker's ulimit names and the RLIMIT_ each one is. */
static const struct {
	const char *docker;
	const char *oci;
} ulimit_names[] = {
    {"as", "RLIMIT_AS"},
    {"core", "RLIMIT_CORE"},
    {"cpu", "RLIMIT_CPU"},
    {"data", "RLIMIT_DATA"},
    {"fsize", "RLIMIT_FSIZE"},
    {"locks", "RLIMIT_LOCKS"},
    {"memlock", "RLIMIT_MEMLOCK"},
    {"msgqueue", "RLIMIT_MSGQUEUE"},
    {"nice", "RLIMIT_NICE"},
    {"nofile", "RLIMIT_NOFILE"},
    {"nproc", "RLIMIT_NPROC"},
    {"rss", "RLIMIT_RSS"},
    {"rtprio", "RLIMIT_RTPRIO"},
    {"rttime", "RLIMIT_RTTIME"},
    {"sigpending", "RLIMIT_SIGPENDING"},
    {"stack", "RLIMIT_STACK"},
};

int ctr_rlimits_build(json_object *ulimits, json_object **out, hutch_error *err)
{
	json_object *list = json_object_new_array();
	size_t n = ulimits ? json_object_array_length(ulimits) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *u = json_object_array_get_idx(ulimits, i);
		json_object *nv = ctr_member(u, "Name");
		const char *name = nv ? json_object_get_string(nv) : "";
		const char *oci = NULL;
		for (size_t k = 0; k < sizeof(ulimit_names) / sizeof(ulimit_names[0]) && !oci; k++)
			if (strcasecmp(name, ulimit_names[k].docker) == 0)
				oci = ulimit_names[k].oci;
		if (oci == NULL) {
			json_object_put(list);
			return hutch_fail_plain(err, EINVAL, "invalid ulimit type: %s", name);
		}
		int64_t soft = ctr_member_int(u, "Soft"), hard = ctr_member_int(u, "Hard");
		if (soft > hard && hard >= 0) {
			json_object_put(list);
			return hutch_fail_plain(
			    err, EINVAL,
			    "ulimit soft limit must be less than or equal to hard "
			    "limit: %lld > %lld",
			    (long long)soft, (long long)hard);
		}
		json_object *r = json_object_new_object();
		json_object_object_add(r, "type", json_object_new_string(oci));
		/* -1 is "unlimited" in Docker's API. */
		json_object_object_add(r, "hard", json_object_new_uint64((uint64_t)hard));
		json_object_object_add(r, "soft", json_object_new_uint64((uint64_t)soft));
		json_object_array_add(list, r);
	}
	*out = list;
	return 0;
}

static void note(char *names, size_t size, const char *name)
{
	size_t l = strlen(names);
	snprintf(names + l, size - l, "%s%s", l ? ", " : "", name);
}

static json_object *section(json_object *res, const char *key)
{
	json_object *s = ctr_member(res, key);
	if (s == NULL) {
		s = json_object_new_object();
		json_object_object_add(res, key, s);
	}
	return s;
}

json_object *ctr_resources_build(json_object *host, char *names, size_t size)
{
	names[0] = '\0';
	json_object *res = json_object_new_object();
	static const struct {
		const char *docker, *section, *oci;
	} simple[] = {
	    {"Memory", "memory", "limit"},
	    {"MemoryReservation", "memory", "reservation"},
	    {"MemorySwap", "memory", "swap"},
	    {"CpuShares", "cpu", "shares"},
	    {"CpuPeriod", "cpu", "period"},
	    {"CpuQuota", "cpu", "quota"},
	    {"CpuRealtimePeriod", "cpu", "realtimePeriod"},
	    {"CpuRealtimeRuntime", "cpu", "realtimeRuntime"},
	    {"PidsLimit", "pids", "limit"},
	    {"BlkioWeight", "blockIO", "weight"},
	};
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		int64_t v = ctr_member_int(host, simple[i].docker);
		/* 0 means unset; PidsLimit -1 means unlimited (still unset). */
		if (v == 0 || (v < 0 && strcmp(simple[i].docker, "MemorySwap") != 0))
			continue;
		json_object_object_add(section(res, simple[i].section), simple[i].oci,
				       json_object_new_int64(v));
		note(names, size, simple[i].docker);
	}
	int64_t nano = ctr_member_int(host, "NanoCpus");
	if (nano > 0) {
		/* --cpus N: a quota of N periods of 100 ms. */
		json_object *cpu = section(res, "cpu");
		json_object_object_add(cpu, "period", json_object_new_int64(100000));
		json_object_object_add(cpu, "quota", json_object_new_int64(nano / 10000));
		note(names, size, "NanoCpus");
	}
	static const struct {
		const char *docker, *oci;
	} cpuset[] = {{"CpusetCpus", "cpus"}, {"CpusetMems", "mems"}};
	for (size_t i = 0; i < 2; i++) {
		json_object *v = ctr_member(host, cpuset[i].docker);
		if (v == NULL || json_object_get_string_len(v) == 0)
			continue;
		json_object_object_add(section(res, "cpu"), cpuset[i].oci,
				       json_object_new_string(json_object_get_string(v)));
		note(names, size, cpuset[i].docker);
	}
	if (json_object_object_length(res) == 0) {
		json_object_put(res);
		return NULL;
	}
	return res;
}
