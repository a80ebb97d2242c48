/* linux.resources read once into plain values for the v1 and v2 writers,
 * and the conversions between the v1 units of the runtime-spec and the
 * v2 interface files (the formulas runc and crun use, so a limit means
 * the same on every runtime). */
#include <errno.h>
#include <string.h>

#include "cgroups.h"
#include "json-util.h"

static int get_i64(json_object *obj, const char *where, const char *key, bool *has, int64_t *out,
		   hutch_error *err)
{
	json_object *v;
	*has = false;
	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
		return 0;
	if (json_get_int64(obj, where, key, true, out, err) < 0)
		return -1;
	*has = true;
	return 0;
}

static int get_u64(json_object *obj, const char *where, const char *key, bool *has, uint64_t *out,
		   hutch_error *err)
{
	int64_t v = 0;
	if (get_i64(obj, where, key, has, &v, err) < 0)
		return -1;
	if (*has && v < 0)
		return hutch_fail_plain(err, EINVAL, "%s.%s: must not be negative", where, key);
	*out = (uint64_t)v;
	return 0;
}

static int parse_memory(json_object *res, struct cgroup_resources *r, hutch_error *err)
{
	json_object *m = NULL;
	if (json_get_object(res, "linux.resources", "memory", false, &m, err) < 0)
		return -1;
	if (m == NULL)
		return 0;
	const char *w = "linux.resources.memory";
	if (get_i64(m, w, "limit", &r->has_memory_limit, &r->memory_limit, err) < 0 ||
	    get_i64(m, w, "reservation", &r->has_memory_reservation, &r->memory_reservation, err) <
		0 ||
	    get_i64(m, w, "swap", &r->has_memory_swap, &r->memory_swap, err) < 0 ||
	    get_u64(m, w, "swappiness", &r->has_swappiness, &r->swappiness, err) < 0 ||
	    json_get_bool(m, w, "disableOOMKiller", &r->disable_oom_killer, err) < 0)
		return -1;
	if (r->has_memory_limit && r->has_memory_swap && r->memory_swap != -1 &&
	    r->memory_limit != -1 && r->memory_swap < r->memory_limit)
		return hutch_fail_plain(err, EINVAL,
					"linux.resources.memory.swap (%lld) counts memory plus "
					"swap and must not be below memory.limit (%lld)",
					(long long)r->memory_swap, (long long)r->memory_limit);
	return 0;
}

static int parse_cpu(json_object *res, struct cgroup_resources *r, hutch_error *err)
{
	json_object *c = NULL;
	if (json_get_object(res, "linux.resources", "cpu", false, &c, err) < 0)
		return -1;
	if (c == NULL)
		return 0;
	const char *w = "linux.resources.cpu";
	if (get_u64(c, w, "shares", &r->has_cpu_shares, &r->cpu_shares, err) < 0 ||
	    get_i64(c, w, "quota", &r->has_cpu_quota, &r->cpu_quota, err) < 0 ||
	    get_u64(c, w, "period", &r->has_cpu_period, &r->cpu_period, err) < 0 ||
	    json_get_string(c, w, "cpus", false, &r->cpus, err) < 0 ||
	    json_get_string(c, w, "mems", false, &r->mems, err) < 0)
		return -1;
	return 0;
}

int cgroup_resources_parse(json_object *resources, struct cgroup_resources *out, hutch_error *err)
{
	*out = (struct cgroup_resources){0};
	if (resources == NULL)
		return 0;
	if (parse_memory(resources, out, err) < 0 || parse_cpu(resources, out, err) < 0)
		return -1;

	json_object *o = NULL;
	if (json_get_object(resources, "linux.resources", "pids", false, &o, err) < 0)
		return -1;
	if (o != NULL && get_i64(o, "linux.resources.pids", "limit", &out->has_pids_limit,
				 &out->pids_limit, err) < 0)
		return -1;

	o = NULL;
	if (json_get_object(resources, "linux.resources", "blockIO", false, &o, err) < 0)
		return -1;
	uint64_t weight = 0;
	if (o != NULL && get_u64(o, "linux.resources.blockIO", "weight", &out->has_blkio_weight,
				 &weight, err) < 0)
		return -1;
	if (out->has_blkio_weight && (weight < 10 || weight > 1000))
		return hutch_fail_plain(err, EINVAL,
					"linux.resources.blockIO.weight: %llu is out of range "
					"(10-1000)",
					(unsigned long long)weight);
	out->blkio_weight = (uint32_t)weight;

	if (json_get_array(resources, "linux.resources", "devices", false, &out->devices, err) <
		0 ||
	    json_get_object(resources, "linux.resources", "unified", false, &out->unified, err) < 0)
		return -1;
	return 0;
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}
