/* The OCI config model: loading config.json and parsing its top level
 * (ociVersion, root, hostname, mounts, hooks, annotations). The process
 * and linux sections live in their own files. */
#include "oci-config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "oci-config-internal.h"

void oci_where_key(char buf[static OCI_WHERE_MAX], const char *where, const char *key)
{
	snprintf(buf, OCI_WHERE_MAX, "%s%s%s", where, *where ? "." : "", key);
}

void oci_where_index(char buf[static OCI_WHERE_MAX], const char *where, const char *key,
		     size_t index)
{
	snprintf(buf, OCI_WHERE_MAX, "%s%s%s[%zu]", where, *where ? "." : "", key, index);
}

bool oci_has_value(json_object *obj, const char *key)
{
	json_object *v = NULL;
	return obj != NULL && json_object_object_get_ex(obj, key, &v) && v != NULL;
}

bool oci_is_absolute(const char *path)
{
	return path != NULL && path[0] == '/';
}

int oci_dup_string(json_object *obj, const char *where, const char *key, bool required, char **out,
		   hutch_error *err)
{
	const char *s = NULL;
	if (json_get_string(obj, where, key, required, &s, err) < 0)
		return -1;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	if (*out == NULL)
		return hutch_fail(err, ENOMEM, "copy %s", key);
	return 0;
}

int oci_get_uint64(json_object *obj, const char *where, const char *key, bool required,
		   uint64_t *out, hutch_error *err)
{
	char path[OCI_WHERE_MAX];
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
		if (required) {
			oci_where_key(path, where, key);
			return hutch_fail_plain(err, EINVAL, "%s: missing required field", path);
		}
		return 0;
	}
	oci_where_key(path, where, key);
	if (!json_object_is_type(v, json_type_int))
		return hutch_fail_plain(err, EINVAL, "%s: expected an integer", path);
	/* json-c keeps integers above INT64_MAX as unsigned; a negative one
	 * reads as a negative int64. */
	errno = 0;
	int64_t as_signed = json_object_get_int64(v);
	if (as_signed < 0 && errno == 0)
		return hutch_fail_plain(err, ERANGE, "%s: %" PRId64 " must not be negative", path,
					as_signed);
	errno = 0;
	uint64_t val = json_object_get_uint64(v);
	if (errno == ERANGE)
		return hutch_fail_plain(err, ERANGE, "%s: integer out of range", path);
	*out = val;
	return 0;
}

int oci_get_object_array(json_object *obj, const char *where, const char *key, json_object **arr,
			 hutch_error *err)
{
	*arr = NULL;
	return json_get_array(obj, where, key, false, arr, err);
}

int oci_array_object(json_object *arr, const char *where, const char *key, size_t i,
		     json_object **out, hutch_error *err)
{
	json_object *item = json_object_array_get_idx(arr, i);
	if (!json_object_is_type(item, json_type_object)) {
		char path[OCI_WHERE_MAX];
		oci_where_index(path, where, key, i);
		return hutch_fail_plain(err, EINVAL, "%s: expected an object", path);
	}
	*out = item;
	return 0;
}

int oci_check_env(const char *where, const char *key, char **env, size_t n, hutch_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(env[i], '=');
		if (eq == NULL || eq == env[i]) {
			char path[OCI_WHERE_MAX];
			oci_where_index(path, where, key, i);
			return hutch_fail_plain(
			    err, EINVAL, "%s: \"%s\" is not of the form NAME=VALUE", path, env[i]);
		}
	}
	return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

int oci_parse_id_mappings(json_object *obj, const char *where, const char *key,
			  struct oci_id_mapping **out, size_t *n, hutch_error *err)
{
	json_object *arr = NULL;
	*out = NULL;
	*n = 0;
	if (oci_get_object_array(obj, where, key, &arr, err) < 0)
		return -1;
	size_t count = arr != NULL ? json_object_array_length(arr) : 0;
	if (count == 0)
		return 0;
	*out = calloc(count, sizeof(**out));
	if (*out == NULL)
		return hutch_fail(err, ENOMEM, "%s", key);
	*n = count;
	for (size_t i = 0; i < count; i++) {
		char path[OCI_WHERE_MAX];
		json_object *item = NULL;
		struct oci_id_mapping *m = &(*out)[i];
		if (oci_array_object(arr, where, key, i, &item, err) < 0)
			return -1;
		oci_where_index(path, where, key, i);
		if (json_get_uint32(item, path, "containerID", true, &m->container_id, err) < 0 ||
		    json_get_uint32(item, path, "hostID", true, &m->host_id, err) < 0 ||
		    json_get_uint32(item, path, "size", true, &m->size, err) < 0)
			return -1;
		if (m->size == 0)
			return hutch_fail_plain(err, EINVAL, "%s.size: must be greater than 0",
						path);
		if ((uint64_t)m->container_id + m->size > (uint64_t)UINT32_MAX + 1 ||
		    (uint64_t)m->host_id + m->size > (uint64_t)UINT32_MAX + 1)
			return hutch_fail_plain(
			    err, ERANGE, "%s: range goes beyond the largest id 4294967295", path);
		for (size_t j = 0; j < i; j++) {
			const struct oci_id_mapping *o = &(*out)[j];
			if (ranges_overlap(m->container_id, m->size, o->container_id, o->size))
				return hutch_fail_plain(
				    err, EINVAL,
				    "%s: container ids %" PRIu32 "-%" PRIu64
				    " overlap entry %zu (%" PRIu32 "-%" PRIu64 ")",
				    path, m->container_id, (uint64_t)m->container_id + m->size - 1,
				    j, o->container_id, (uint64_t)o->container_id + o->size - 1);
			if (ranges_overlap(m->host_id, m->size, o->host_id, o->size))
				return hutch_fail_plain(
				    err, EINVAL,
				    "%s: host ids %" PRIu32 "-%" PRIu64
				    " overlap entry %zu (%" PRIu32 "-%" PRIu64 ")",
				    path, m->host_id, (uint64_t)m->host_id + m->size - 1, j,
				    o->host_id, (uint64_t)o->host_id + o->size - 1);
		}
	}
	return 0;
}

/* ociVersion must be a 1.x semantic version ("1.0.2-dev" and "1.2.0" are
 * both fine): a 2.x config would mean a format this parser does not know. */
static int parse_oci_version(json_object *doc, struct oci_config *cfg, hutch_error *err)
{
	if (oci_dup_string(doc, "", "ociVersion", true, &cfg->oci_version, err) < 0)
		return -1;
	const char *v = cfg->oci_version;
	if (strncmp(v, "1.", 2) != 0 || v[2] < '0' || v[2] > '9')
		return hutch_fail_plain(err, EINVAL,
					"ociVersion: unsupported version \"%s\" (expected 1.x)", v);
	return 0;
}

static int parse_root(json_object *doc, struct oci_config *cfg, hutch_error *err)
{
	json_object *root = NULL;
	if (json_get_object(doc, "", "root", true, &root, err) < 0 ||
	    oci_dup_string(root, "root", "path", true, &cfg->root_path, err) < 0 ||
	    json_get_bool(root, "root", "readonly", &cfg->root_readonly, err) < 0)
		return -1;
	if (cfg->root_path[0] == '\0')
		return hutch_fail_plain(err, EINVAL, "root.path: must not be empty");
	return 0;
}

static int parse_mount(json_object *obj, const char *where, struct oci_mount *m, hutch_error *err)
{
	if (oci_dup_string(obj, where, "destination", true, &m->destination, err) < 0 ||
	    oci_dup_string(obj, where, "type", false, &m->type, err) < 0 ||
	    oci_dup_string(obj, where, "source", false, &m->source, err) < 0 ||
	    json_get_strv(obj, where, "options", false, &m->options, &m->n_options, err) < 0 ||
	    oci_parse_id_mappings(obj, where, "uidMappings", &m->uid_mappings, &m->n_uid_mappings,
				  err) < 0 ||
	    oci_parse_id_mappings(obj, where, "gidMappings", &m->gid_mappings, &m->n_gid_mappings,
				  err) < 0)
		return -1;
	if (!oci_is_absolute(m->destination))
		return hutch_fail_plain(err, EINVAL,
					"%s.destination: must be an absolute path, got \"%s\"",
					where, m->destination);
	/* An idmapped mount needs both maps: the kernel takes them as one
	 * user namespace. */
	if ((m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
		return hutch_fail_plain(
		    err, EINVAL, "%s: uidMappings and gidMappings must be given together", where);
	return 0;
}

static int parse_mounts(json_object *doc, struct oci_config *cfg, hutch_error *err)
{
	json_object *arr = NULL;
	if (oci_get_object_array(doc, "", "mounts", &arr, err) < 0)
		return -1;
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;
	if (n == 0)
		return 0;
	cfg->mounts = calloc(n, sizeof(*cfg->mounts));
	if (cfg->mounts == NULL)
		return hutch_fail(err, ENOMEM, "mounts");
	cfg->n_mounts = n;
	for (size_t i = 0; i < n; i++) {
		char where[OCI_WHERE_MAX];
		json_object *item = NULL;
		if (oci_array_object(arr, "", "mounts", i, &item, err) < 0)
			return -1;
		oci_where_index(where, "", "mounts", i);
		if (parse_mount(item, where, &cfg->mounts[i], err) < 0)
			return -1;
	}
	return 0;
}

static const char *const hook_kind_names[OCI_HOOK_KIND_COUNT] = {
    [OCI_HOOK_PRESTART] = "prestart",
    [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
    [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
    [OCI_HOOK_START_CONTAINER] = "startContainer",
    [OCI_HOOK_POSTSTART] = "poststart",
    [OCI_HOOK_POSTSTOP] = "poststop",
};

const char *oci_hook_kind_name(enum oci_hook_kind kind)
{
	if ((unsigned)kind >= OCI_HOOK_KIND_COUNT)
		return NULL;
	return hook_kind_names[kind];
}

static int parse_hook(json_object *obj, const char *where, struct oci_hook *h, hutch_error *err)
{
	int64_t timeout = 0;
	bool has_timeout = oci_has_value(obj, "timeout");
	if (oci_dup_string(obj, where, "path", true, &h->path, err) < 0 ||
	    json_get_strv(obj, where, "args", false, &h->args, &h->n_args, err) < 0 ||
	    json_get_strv(obj, where, "env", false, &h->env, &h->n_env, err) < 0 ||
	    json_get_int64(obj, where, "timeout", false, &timeout, err) < 0)
		return -1;
	if (!oci_is_absolute(h->path))
		return hutch_fail_plain(
		    err, EINVAL, "%s.path: must be an absolute path, got \"%s\"", where, h->path);
	if (oci_check_env(where, "env", h->env, h->n_env, err) < 0)
		return -1;
	if (has_timeout) {
		if (timeout <= 0 || timeout > INT32_MAX)
			return hutch_fail_plain(err, EINVAL,
						"%s.timeout: must be a positive number of "
						"seconds, got %" PRId64,
						where, timeout);
		h->has_timeout = true;
		h->timeout = (int)timeout;
	}
	return 0;
}

static int parse_hooks(json_object *doc, struct oci_config *cfg, hutch_error *err)
{
	json_object *hooks = NULL;
	if (json_get_object(doc, "", "hooks", false, &hooks, err) < 0)
		return -1;
	if (hooks == NULL)
		return 0;
	for (int kind = 0; kind < OCI_HOOK_KIND_COUNT; kind++) {
		const char *name = hook_kind_names[kind];
		json_object *arr = NULL;
		if (oci_get_object_array(hooks, "hooks", name, &arr, err) < 0)
			return -1;
		size_t n = arr != NULL ? json_object_array_length(arr) : 0;
		if (n == 0)
			continue;
		cfg->hooks.list[kind] = calloc(n, sizeof(struct oci_hook));
		if (cfg->hooks.list[kind] == NULL)
			return hutch_fail(err, ENOMEM, "hooks.%s", name);
		cfg->hooks.count[kind] = n;
		char list_where[OCI_WHERE_MAX];
		oci_where_key(list_where, "hooks", name);
		for (size_t i = 0; i < n; i++) {
			char where[OCI_WHERE_MAX];
			json_object *item = NULL;
			if (oci_array_object(arr, "hooks", name, i, &item, err) < 0)
				return -1;
			snprintf(where, sizeof(where), "%s[%zu]", list_where, i);
			if (parse_hook(item, where, &cfg->hooks.list[kind][i], err) < 0)
				return -1;
		}
	}
	return 0;
}

/* Annotations stay in the JSON document (the state output copies them),
 * but their values must be strings as the spec says. */
static int parse_annotations(json_object *doc, struct oci_config *cfg, hutch_error *err)
{
	json_object *ann = NULL;
	if (json_get_object(doc, "", "annotations", false, &ann, err) < 0)
		return -1;
	if (ann == NULL)
		return 0;
	json_object_object_foreach(ann, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return hutch_fail_plain(err, EINVAL, "annotations.%s: expected a string",
						key);
	}
	cfg->annotations = ann;
	return 0;
}

static int parse_document(json_object *doc, struct oci_config *cfg, hutch_error *err)
{
	if (!json_object_is_type(doc, json_type_object))
		return hutch_fail_plain(err, EINVAL, "expected a JSON object at the top level");
	if (parse_oci_version(doc, cfg, err) < 0 || parse_root(doc, cfg, err) < 0 ||
	    oci_dup_string(doc, "", "hostname", false, &cfg->hostname, err) < 0 ||
	    oci_dup_string(doc, "", "domainname", false, &cfg->domainname, err) < 0 ||
	    parse_mounts(doc, cfg, err) < 0 || parse_hooks(doc, cfg, err) < 0 ||
	    parse_annotations(doc, cfg, err) < 0)
		return -1;

	json_object *process = NULL;
	if (json_get_object(doc, "", "process", false, &process, err) < 0)
		return -1;
	if (process != NULL) {
		cfg->process = calloc(1, sizeof(*cfg->process));
		if (cfg->process == NULL)
			return hutch_fail(err, ENOMEM, "process");
		if (oci_parse_process_into(process, "process", cfg->process, err) < 0)
			return -1;
	}

	json_object *linux_obj = NULL;
	if (json_get_object(doc, "", "linux", false, &linux_obj, err) < 0)
		return -1;
	if (linux_obj != NULL && oci_parse_linux(linux_obj, "linux", &cfg->linux_cfg, err) < 0)
		return -1;
	return 0;
}

int oci_config_parse(json_object *doc, struct oci_config **out, hutch_error *err)
{
	struct oci_config *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return hutch_fail(err, ENOMEM, "allocate the OCI config");
	/* Borrowed pointers (annotations, resources, personality) point into
	 * raw, so the config holds its own reference for its lifetime. */
	cfg->raw = json_object_get(doc);
	if (parse_document(doc, cfg, err) < 0) {
		oci_config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

int oci_config_load(const char *bundle, struct oci_config **out, hutch_error *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_object *doc = NULL;
	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return hutch_fail(err, ENOMEM, "%s/config.json", bundle);
	if (json_read_file(path, &doc, err) < 0)
		return -1;
	if (oci_config_parse(doc, out, err) < 0)
		return hutch_error_prefix(err, "%s", path);
	return 0;
}
