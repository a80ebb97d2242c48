/* The create request's JSON, checked field by field against the Go types
 * Docker declares for them (so a client gets Docker's kind of message,
 * naming the field and its type), and copied into a Config and a
 * HostConfig with Docker's defaults filled in. Fields Docker does not know
 * are dropped, as Go's decoder drops them. */
#include <errno.h>
#include <string.h>

#include "ctr-build-internal.h"
#include "json-util.h"

/* The Go type a message names for each kind. */
static const char *kind_type_name(const struct ctr_field *f)
{
	if (f->go_type != NULL)
		return f->go_type;
	switch (f->kind) {
	case CF_STRING:
		return "string";
	case CF_BOOL:
		return "bool";
	case CF_INT:
		return "int64";
	case CF_STRV:
	case CF_STRSLICE:
		return "[]string";
	case CF_STRMAP:
		return "map[string]string";
	case CF_SET:
		return "map[string]struct {}";
	case CF_STRUCT:
		return "struct";
	case CF_STRUCT_ARRAY:
		return "[]struct";
	case CF_MAP_STRUCT_ARRAY:
		return "map[string][]struct";
	case CF_ANY:
		return "any";
	}
	return "?";
}

/* How Go's decoder calls a JSON value's kind. */
static const char *json_kind_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		return "string";
	case json_type_boolean:
		return "bool";
	case json_type_int:
	case json_type_double:
		return "number";
	case json_type_array:
		return "array";
	case json_type_object:
		return "object";
	case json_type_null:
		return "null";
	}
	return "value";
}

static int type_error(const char *where, const struct ctr_field *f, json_object *v,
		      hutch_error *err)
{
	return hutch_fail_plain(err, EINVAL,
				"json: cannot unmarshal %s into Go struct field %s.%s of type %s",
				json_kind_name(v), where, f->name, kind_type_name(f));
}

static bool all_strings(json_object *arr)
{
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(arr, i), json_type_string))
			return false;
	return true;
}

static bool all_string_values(json_object *obj)
{
	json_object_object_foreach(obj, k, v)
	{
		(void)k;
		if (!json_object_is_type(v, json_type_string))
			return false;
	}
	return true;
}

static int check_struct_array(json_object *arr, const char *where, const struct ctr_field *f,
			      hutch_error *err)
{
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_object))
			return type_error(where, f, e, err);
		if (ctr_json_check(e, f->sub_name, f->sub, f->n_sub, err) < 0)
			return -1;
	}
	return 0;
}

static int check_value(json_object *v, const char *where, const struct ctr_field *f,
		       hutch_error *err)
{
	if (v == NULL || json_object_is_type(v, json_type_null))
		return 0; /* Go leaves the zero value */
	bool ok = false;
	switch (f->kind) {
	case CF_STRING:
		ok = json_object_is_type(v, json_type_string);
		break;
	case CF_BOOL:
		ok = json_object_is_type(v, json_type_boolean);
		break;
	case CF_INT:
		ok = json_object_is_type(v, json_type_int);
		break;
	case CF_STRSLICE:
		/* strslice.StrSlice also takes a single string. */
		ok = json_object_is_type(v, json_type_string) ||
		     (json_object_is_type(v, json_type_array) && all_strings(v));
		break;
	case CF_STRV:
		ok = json_object_is_type(v, json_type_array) && all_strings(v);
		break;
	case CF_STRMAP:
		ok = json_object_is_type(v, json_type_object) && all_string_values(v);
		break;
	case CF_SET: {
		ok = json_object_is_type(v, json_type_object);
		if (!ok)
			break;
		json_object_object_foreach(v, k, e)
		{
			(void)k;
			if (!json_object_is_type(e, json_type_object) &&
			    !json_object_is_type(e, json_type_null))
				ok = false;
		}
		break;
	}
	case CF_STRUCT:
		if (!json_object_is_type(v, json_type_object))
			break;
		if (f->sub == NULL) {
			ok = true;
			break;
		}
		return ctr_json_check(v, f->sub_name, f->sub, f->n_sub, err);
	case CF_STRUCT_ARRAY:
		if (!json_object_is_type(v, json_type_array))
			break;
		return check_struct_array(v, where, f, err);
	case CF_MAP_STRUCT_ARRAY:
		if (!json_object_is_type(v, json_type_object))
			break;
		json_object_object_foreach(v, k, e)
		{
			(void)k;
			if (json_object_is_type(e, json_type_null))
				continue;
			if (!json_object_is_type(e, json_type_array))
				return type_error(where, f, e, err);
			if (check_struct_array(e, where, f, err) < 0)
				return -1;
		}
		return 0;
	case CF_ANY:
		ok = true;
		break;
	}
	return ok ? 0 : type_error(where, f, v, err);
}

int ctr_json_check(json_object *obj, const char *where, const struct ctr_field *fields, size_t n,
		   hutch_error *err)
{
	if (!json_object_is_type(obj, json_type_object))
		return hutch_fail_plain(err, EINVAL,
					"json: cannot unmarshal %s into Go value of type %s",
					json_kind_name(obj), where);
	for (size_t i = 0; i < n; i++) {
		json_object *v = NULL;
		if (json_object_object_get_ex(obj, fields[i].name, &v) &&
		    check_value(v, where, &fields[i], err) < 0)
			return -1;
	}
	return 0;
}

/* A checked value as stored: a deep copy, a lone strslice string as an
 * array of one. */
static json_object *copy_value(json_object *v, enum ctr_field_kind kind)
{
	if (kind == CF_STRSLICE && json_object_is_type(v, json_type_string)) {
		json_object *a = json_object_new_array();
		json_object_array_add(a, json_object_get(v));
		return a;
	}
	json_object *copy = NULL;
	if (json_object_deep_copy(v, &copy, NULL) < 0)
		return NULL;
	return copy;
}

/* "" and 0 mean "the default" for Docker's strings and numbers
 * (NetworkMode "", ShmSize 0, LogConfig.Type "" as the CLI sends them). */
static bool zero_value(json_object *v)
{
	return (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0) ||
	       (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0);
}

json_object *ctr_json_normalize(json_object *obj, const struct ctr_field *fields, size_t n)
{
	json_object *out = json_object_new_object();
	for (size_t i = 0; i < n; i++) {
		const struct ctr_field *f = &fields[i];
		json_object *v = NULL;
		if (obj != NULL && json_object_object_get_ex(obj, f->name, &v) && v != NULL &&
		    !json_object_is_type(v, json_type_null) &&
		    !(f->dflt != NULL && zero_value(v))) {
			if (f->kind == CF_STRUCT && f->sub != NULL) {
				/* Fill the struct's own defaults too. */
				json_object_object_add(out, f->name,
						       ctr_json_normalize(v, f->sub, f->n_sub));
				continue;
			}
			json_object_object_add(out, f->name, copy_value(v, f->kind));
		} else if (f->dflt != NULL) {
			json_object_object_add(out, f->name, json_tokener_parse(f->dflt));
		}
	}
	return out;
}

/* --- Docker's types (api/types/container) --- */

static const struct ctr_field health_fields[] = {
    {"Test", CF_STRV, NULL, NULL, NULL, 0, NULL},
    {"Interval", CF_INT, NULL, NULL, NULL, 0, NULL},
    {"Timeout", CF_INT, NULL, NULL, NULL, 0, NULL},
    {"StartPeriod", CF_INT, NULL, NULL, NULL, 0, NULL},
    {"StartInterval", CF_INT, NULL, NULL, NULL, 0, NULL},
    {"Retries", CF_INT, NULL, NULL, NULL, 0, NULL},
};

const struct ctr_field ctr_config_fields[] = {
    {"Hostname", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"Domainname", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"User", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"AttachStdin", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"AttachStdout", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"AttachStderr", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"ExposedPorts", CF_SET, "nat.PortSet", NULL, NULL, 0, NULL},
    {"Tty", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"OpenStdin", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"StdinOnce", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"Env", CF_STRV, NULL, "null", NULL, 0, NULL},
    {"Cmd", CF_STRSLICE, "strslice.StrSlice", "null", NULL, 0, NULL},
    {"Healthcheck", CF_STRUCT, "container.HealthConfig", NULL, health_fields,
     sizeof(health_fields) / sizeof(health_fields[0]), "HealthConfig"},
    {"ArgsEscaped", CF_BOOL, NULL, NULL, NULL, 0, NULL},
    {"Image", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"Volumes", CF_SET, NULL, "null", NULL, 0, NULL},
    {"WorkingDir", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"Entrypoint", CF_STRSLICE, "strslice.StrSlice", "null", NULL, 0, NULL},
    {"NetworkDisabled", CF_BOOL, NULL, NULL, NULL, 0, NULL},
    {"MacAddress", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"OnBuild", CF_STRV, NULL, "null", NULL, 0, NULL},
    {"Labels", CF_STRMAP, NULL, "{}", NULL, 0, NULL},
    {"StopSignal", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"StopTimeout", CF_INT, "int", NULL, NULL, 0, NULL},
    {"Shell", CF_STRSLICE, "strslice.StrSlice", NULL, NULL, 0, NULL},
};
const size_t ctr_n_config_fields = sizeof(ctr_config_fields) / sizeof(ctr_config_fields[0]);

static const struct ctr_field log_config_fields[] = {
    {"Type", CF_STRING, NULL, "\"json-file\"", NULL, 0, NULL},
    {"Config", CF_STRMAP, NULL, "{}", NULL, 0, NULL},
};

static const struct ctr_field restart_fields[] = {
    {"Name", CF_STRING, "container.RestartPolicyMode", "\"no\"", NULL, 0, NULL},
    {"MaximumRetryCount", CF_INT, "int", "0", NULL, 0, NULL},
};

static const struct ctr_field port_binding_fields[] = {
    {"HostIp", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"HostPort", CF_STRING, NULL, NULL, NULL, 0, NULL},
};

static const struct ctr_field ulimit_fields[] = {
    {"Name", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"Hard", CF_INT, NULL, NULL, NULL, 0, NULL},
    {"Soft", CF_INT, NULL, NULL, NULL, 0, NULL},
};

static const struct ctr_field device_fields[] = {
    {"PathOnHost", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"PathInContainer", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"CgroupPermissions", CF_STRING, NULL, NULL, NULL, 0, NULL},
};

static const struct ctr_field bind_options_fields[] = {
    {"Propagation", CF_STRING, "mount.Propagation", NULL, NULL, 0, NULL},
    {"NonRecursive", CF_BOOL, NULL, NULL, NULL, 0, NULL},
    {"CreateMountpoint", CF_BOOL, NULL, NULL, NULL, 0, NULL},
    {"ReadOnlyNonRecursive", CF_BOOL, NULL, NULL, NULL, 0, NULL},
    {"ReadOnlyForceRecursive", CF_BOOL, NULL, NULL, NULL, 0, NULL},
};

static const struct ctr_field driver_config_fields[] = {
    {"Name", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"Options", CF_STRMAP, NULL, NULL, NULL, 0, NULL},
};

static const struct ctr_field volume_options_fields[] = {
    {"NoCopy", CF_BOOL, NULL, NULL, NULL, 0, NULL},
    {"Labels", CF_STRMAP, NULL, NULL, NULL, 0, NULL},
    {"DriverConfig", CF_STRUCT, "mount.Driver", NULL, driver_config_fields,
     sizeof(driver_config_fields) / sizeof(driver_config_fields[0]), "Driver"},
    {"Subpath", CF_STRING, NULL, NULL, NULL, 0, NULL},
};

static const struct ctr_field tmpfs_options_fields[] = {
    {"SizeBytes", CF_INT, NULL, NULL, NULL, 0, NULL},
    {"Mode", CF_INT, "os.FileMode", NULL, NULL, 0, NULL},
};

#define SUB(a) a, sizeof(a) / sizeof(a[0])

static const struct ctr_field mount_fields[] = {
    {"Type", CF_STRING, "mount.Type", NULL, NULL, 0, NULL},
    {"Source", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"Target", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"ReadOnly", CF_BOOL, NULL, NULL, NULL, 0, NULL},
    {"Consistency", CF_STRING, NULL, NULL, NULL, 0, NULL},
    {"BindOptions", CF_STRUCT, "mount.BindOptions", NULL, SUB(bind_options_fields), "BindOptions"},
    {"VolumeOptions", CF_STRUCT, "mount.VolumeOptions", NULL, SUB(volume_options_fields),
     "VolumeOptions"},
    {"TmpfsOptions", CF_STRUCT, "mount.TmpfsOptions", NULL, SUB(tmpfs_options_fields),
     "TmpfsOptions"},
};

const struct ctr_field ctr_host_config_fields[] = {
    {"Binds", CF_STRV, NULL, "null", NULL, 0, NULL},
    {"ContainerIDFile", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"LogConfig", CF_STRUCT, "container.LogConfig", "{\"Type\":\"json-file\",\"Config\":{}}",
     SUB(log_config_fields), "LogConfig"},
    {"NetworkMode", CF_STRING, "container.NetworkMode", "\"default\"", NULL, 0, NULL},
    {"PortBindings", CF_MAP_STRUCT_ARRAY, "nat.PortMap", "{}", SUB(port_binding_fields),
     "PortBinding"},
    {"RestartPolicy", CF_STRUCT, "container.RestartPolicy",
     "{\"Name\":\"no\",\"MaximumRetryCount\":0}", SUB(restart_fields), "RestartPolicy"},
    {"AutoRemove", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"VolumeDriver", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"VolumesFrom", CF_STRV, NULL, "null", NULL, 0, NULL},
    {"ConsoleSize", CF_ANY, "[2]uint", "[0,0]", NULL, 0, NULL},
    {"Annotations", CF_STRMAP, NULL, NULL, NULL, 0, NULL},
    {"CapAdd", CF_STRSLICE, "strslice.StrSlice", "null", NULL, 0, NULL},
    {"CapDrop", CF_STRSLICE, "strslice.StrSlice", "null", NULL, 0, NULL},
    {"CgroupnsMode", CF_STRING, "container.CgroupnsMode", "\"private\"", NULL, 0, NULL},
    {"Dns", CF_STRV, NULL, "[]", NULL, 0, NULL},
    {"DnsOptions", CF_STRV, NULL, "[]", NULL, 0, NULL},
    {"DnsSearch", CF_STRV, NULL, "[]", NULL, 0, NULL},
    {"ExtraHosts", CF_STRV, NULL, "null", NULL, 0, NULL},
    {"GroupAdd", CF_STRV, NULL, "null", NULL, 0, NULL},
    {"IpcMode", CF_STRING, "container.IpcMode", "\"private\"", NULL, 0, NULL},
    {"Cgroup", CF_STRING, "container.CgroupSpec", "\"\"", NULL, 0, NULL},
    {"Links", CF_STRV, NULL, "null", NULL, 0, NULL},
    {"OomScoreAdj", CF_INT, "int", "0", NULL, 0, NULL},
    {"PidMode", CF_STRING, "container.PidMode", "\"\"", NULL, 0, NULL},
    {"Privileged", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"PublishAllPorts", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"ReadonlyRootfs", CF_BOOL, NULL, "false", NULL, 0, NULL},
    {"SecurityOpt", CF_STRV, NULL, "null", NULL, 0, NULL},
    {"StorageOpt", CF_STRMAP, NULL, NULL, NULL, 0, NULL},
    {"Tmpfs", CF_STRMAP, NULL, NULL, NULL, 0, NULL},
    {"UTSMode", CF_STRING, "container.UTSMode", "\"\"", NULL, 0, NULL},
    {"UsernsMode", CF_STRING, "container.UsernsMode", "\"\"", NULL, 0, NULL},
    {"ShmSize", CF_INT, NULL, "67108864", NULL, 0, NULL},
    {"Sysctls", CF_STRMAP, NULL, NULL, NULL, 0, NULL},
    {"Runtime", CF_STRING, NULL, "\"hutch-oci\"", NULL, 0, NULL},
    {"Isolation", CF_STRING, "container.Isolation", "\"\"", NULL, 0, NULL},
    /* Resources (inlined in Docker's HostConfig) */
    {"CpuShares", CF_INT, NULL, "0", NULL, 0, NULL},
    {"Memory", CF_INT, NULL, "0", NULL, 0, NULL},
    {"NanoCpus", CF_INT, NULL, "0", NULL, 0, NULL},
    {"CgroupParent", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"BlkioWeight", CF_INT, "uint16", "0", NULL, 0, NULL},
    {"BlkioWeightDevice", CF_ANY, NULL, "[]", NULL, 0, NULL},
    {"BlkioDeviceReadBps", CF_ANY, NULL, "[]", NULL, 0, NULL},
    {"BlkioDeviceWriteBps", CF_ANY, NULL, "[]", NULL, 0, NULL},
    {"BlkioDeviceReadIOps", CF_ANY, NULL, "[]", NULL, 0, NULL},
    {"BlkioDeviceWriteIOps", CF_ANY, NULL, "[]", NULL, 0, NULL},
    {"CpuPeriod", CF_INT, NULL, "0", NULL, 0, NULL},
    {"CpuQuota", CF_INT, NULL, "0", NULL, 0, NULL},
    {"CpuRealtimePeriod", CF_INT, NULL, "0", NULL, 0, NULL},
    {"CpuRealtimeRuntime", CF_INT, NULL, "0", NULL, 0, NULL},
    {"CpusetCpus", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"CpusetMems", CF_STRING, NULL, "\"\"", NULL, 0, NULL},
    {"Devices", CF_STRUCT_ARRAY, "[]container.DeviceMapping", "[]", SUB(device_fields),
     "DeviceMapping"},
    {"DeviceCgroupRules", CF_STRV, NULL, "null", NULL, 0, NULL},
    {"DeviceRequests", CF_ANY, NULL, "null", NULL, 0, NULL},
    {"MemoryReservation", CF_INT, NULL, "0", NULL, 0, NULL},
    {"MemorySwap", CF_INT, NULL, "0", NULL, 0, NULL},
    {"MemorySwappiness", CF_INT, NULL, "null", NULL, 0, NULL},
    {"OomKillDisable", CF_BOOL, NULL, "null", NULL, 0, NULL},
    {"PidsLimit", CF_INT, NULL, "null", NULL, 0, NULL},
    {"Ulimits", CF_STRUCT_ARRAY, "[]*units.Ulimit", "null", SUB(ulimit_fields), "Ulimit"},
    {"CpuCount", CF_INT, NULL, "0", NULL, 0, NULL},
    {"CpuPercent", CF_INT, NULL, "0", NULL, 0, NULL},
    {"IOMaximumIOps", CF_INT, "uint64", "0", NULL, 0, NULL},
    {"IOMaximumBandwidth", CF_INT, "uint64", "0", NULL, 0, NULL},
    /* back to HostConfig */
    {"Mounts", CF_STRUCT_ARRAY, "[]mount.Mount", NULL, SUB(mount_fields), "Mount"},
    {"MaskedPaths", CF_STRV, NULL, NULL, NULL, 0, NULL},
    {"ReadonlyPaths", CF_STRV, NULL, NULL, NULL, 0, NULL},
    {"Init", CF_BOOL, NULL, NULL, NULL, 0, NULL},
};
const size_t ctr_n_host_config_fields =
    sizeof(ctr_host_config_fields) / sizeof(ctr_host_config_fields[0]);

static const struct ctr_field request_fields[] = {
    {"HostConfig", CF_STRUCT, "container.HostConfig", NULL, NULL, 0, NULL},
    {"NetworkingConfig", CF_STRUCT, "network.NetworkingConfig", NULL, NULL, 0, NULL},
};

int ctr_request_normalize(json_object *request, json_object **config, json_object **host,
			  hutch_error *err)
{
	if (ctr_json_check(request, "container.Config", request_fields,
			   sizeof(request_fields) / sizeof(request_fields[0]), err) < 0 ||
	    ctr_json_check(request, "Config", ctr_config_fields, ctr_n_config_fields, err) < 0)
		return -1;
	json_object *hc = NULL;
	json_object_object_get_ex(request, "HostConfig", &hc);
	if (hc != NULL && json_object_is_type(hc, json_type_null))
		hc = NULL;
	if (hc != NULL && ctr_json_check(hc, "HostConfig", ctr_host_config_fields,
					 ctr_n_host_config_fields, err) < 0)
		return -1;
	/* ConsoleSize is a [2]uint: checked by hand (CF_ANY above). */
	json_object *cs = NULL;
	if (hc != NULL && json_object_object_get_ex(hc, "ConsoleSize", &cs) && cs != NULL &&
	    !json_object_is_type(cs, json_type_null)) {
		bool ok =
		    json_object_is_type(cs, json_type_array) && json_object_array_length(cs) == 2;
		for (size_t i = 0; ok && i < 2; i++) {
			json_object *e = json_object_array_get_idx(cs, i);
			ok = json_object_is_type(e, json_type_int) && json_object_get_int64(e) >= 0;
		}
		if (!ok)
			return hutch_fail_plain(err, EINVAL,
						"json: cannot unmarshal %s into Go struct field "
						"HostConfig.ConsoleSize of type [2]uint",
						json_kind_name(cs));
	}
	*config = ctr_json_normalize(request, ctr_config_fields, ctr_n_config_fields);
	*host = ctr_json_normalize(hc, ctr_host_config_fields, ctr_n_host_config_fields);
	return 0;
}
