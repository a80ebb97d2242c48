/* The OCI config model: the "process" object (also the whole document of
 * `hutch-oci exec --process FILE`), with its user, capabilities and
 * rlimits. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "json-util.h"
#include "oci-config-internal.h"
#include "oci-config.h"

/* Every resource limit Linux has, in its numeric order. */
static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},		  {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},	  {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},	  {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},	  {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	  {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},	  {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	  {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

int oci_rlimit_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(rlimit_table) / sizeof(rlimit_table[0]); i++)
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].resource;
	return -1;
}

static int parse_console_size(json_object *obj, const char *where, struct oci_process *p,
			      hutch_error *err)
{
	json_object *size = NULL;
	char path[OCI_WHERE_MAX];
	if (json_get_object(obj, where, "consoleSize", false, &size, err) < 0)
		return -1;
	if (size == NULL)
		return 0;
	oci_where_key(path, where, "consoleSize");
	if (json_get_uint32(size, path, "height", true, &p->console_height, err) < 0 ||
	    json_get_uint32(size, path, "width", true, &p->console_width, err) < 0)
		return -1;
	p->has_console_size = true;
	return 0;
}

static int parse_user(json_object *obj, const char *where, struct oci_user *u, hutch_error *err)
{
	json_object *user = NULL;
	json_object *gids = NULL;
	char path[OCI_WHERE_MAX];
	if (json_get_object(obj, where, "user", false, &user, err) < 0)
		return -1;
	/* No user object means root, as runc and crun read it. */
	if (user == NULL)
		return 0;
	oci_where_key(path, where, "user");
	if (json_get_uint32(user, path, "uid", true, &u->uid, err) < 0 ||
	    json_get_uint32(user, path, "gid", true, &u->gid, err) < 0 ||
	    oci_dup_string(user, path, "username", false, &u->username, err) < 0 ||
	    json_get_array(user, path, "additionalGids", false, &gids, err) < 0)
		return -1;
	if (oci_has_value(user, "umask")) {
		if (json_get_uint32(user, path, "umask", true, &u->umask, err) < 0)
			return -1;
		if (u->umask > 0777)
			return hutch_fail_plain(
			    err, EINVAL, "%s.umask: %" PRIu32 " is not a file mode (0 to 0777)",
			    path, u->umask);
		u->has_umask = true;
	}
	size_t n = gids != NULL ? json_object_array_length(gids) : 0;
	if (n == 0)
		return 0;
	u->additional_gids = calloc(n, sizeof(uint32_t));
	if (u->additional_gids == NULL)
		return hutch_fail(err, ENOMEM, "%s.additionalGids", path);
	u->n_additional_gids = n;
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(gids, i);
		char item_path[OCI_WHERE_MAX];
		oci_where_index(item_path, path, "additionalGids", i);
		if (!json_object_is_type(item, json_type_int))
			return hutch_fail_plain(err, EINVAL, "%s: expected an integer", item_path);
		errno = 0;
		int64_t gid = json_object_get_int64(item);
		if (errno != 0 || gid < 0 || gid > UINT32_MAX)
			return hutch_fail_plain(err, ERANGE, "%s: %s is not a valid gid", item_path,
						json_object_get_string(item));
		u->additional_gids[i] = (uint32_t)gid;
	}
	return 0;
}

/* A capability name as the spec writes it: "CAP_" and the kernel's name in
 * capitals. Whether this kernel knows it is for the capabilities code to
 * say; a lower-case or prefix-less name is a typo worth reporting here. */
static bool capability_name_valid(const char *name)
{
	if (strncmp(name, "CAP_", 4) != 0 || name[4] == '\0')
		return false;
	for (const char *c = name + 4; *c != '\0'; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return false;
	return true;
}

static int parse_capability_set(json_object *caps, const char *where, const char *key, char ***set,
				size_t *n, hutch_error *err)
{
	if (json_get_strv(caps, where, key, false, set, n, err) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if (!capability_name_valid((*set)[i])) {
			char path[OCI_WHERE_MAX];
			oci_where_index(path, where, key, i);
			return hutch_fail_plain(err, EINVAL,
						"%s: \"%s\" is not a capability name (CAP_...)",
						path, (*set)[i]);
		}
	}
	return 0;
}

static int parse_capabilities(json_object *obj, const char *where, struct oci_process *p,
			      hutch_error *err)
{
	json_object *caps = NULL;
	char path[OCI_WHERE_MAX];
	if (json_get_object(obj, where, "capabilities", false, &caps, err) < 0)
		return -1;
	if (caps == NULL)
		return 0;
	p->capabilities = calloc(1, sizeof(*p->capabilities));
	if (p->capabilities == NULL)
		return hutch_fail(err, ENOMEM, "%s.capabilities", where);
	struct oci_capabilities *c = p->capabilities;
	oci_where_key(path, where, "capabilities");
	if (parse_capability_set(caps, path, "bounding", &c->bounding, &c->n_bounding, err) < 0 ||
	    parse_capability_set(caps, path, "effective", &c->effective, &c->n_effective, err) <
		0 ||
	    parse_capability_set(caps, path, "inheritable", &c->inheritable, &c->n_inheritable,
				 err) < 0 ||
	    parse_capability_set(caps, path, "permitted", &c->permitted, &c->n_permitted, err) <
		0 ||
	    parse_capability_set(caps, path, "ambient", &c->ambient, &c->n_ambient, err) < 0)
		return -1;
	return 0;
}

static int parse_rlimits(json_object *obj, const char *where, struct oci_process *p,
			 hutch_error *err)
{
	json_object *arr = NULL;
	if (oci_get_object_array(obj, where, "rlimits", &arr, err) < 0)
		return -1;
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;
	if (n == 0)
		return 0;
	p->rlimits = calloc(n, sizeof(*p->rlimits));
	if (p->rlimits == NULL)
		return hutch_fail(err, ENOMEM, "%s.rlimits", where);
	p->n_rlimits = n;
	for (size_t i = 0; i < n; i++) {
		struct oci_rlimit *r = &p->rlimits[i];
		json_object *item = NULL;
		char path[OCI_WHERE_MAX];
		if (oci_array_object(arr, where, "rlimits", i, &item, err) < 0)
			return -1;
		oci_where_index(path, where, "rlimits", i);
		if (oci_dup_string(item, path, "type", true, &r->type, err) < 0 ||
		    oci_get_uint64(item, path, "soft", true, &r->soft, err) < 0 ||
		    oci_get_uint64(item, path, "hard", true, &r->hard, err) < 0)
			return -1;
		r->resource = oci_rlimit_from_name(r->type);
		if (r->resource < 0)
			return hutch_fail_plain(err, EINVAL, "%s.type: unknown rlimit \"%s\"", path,
						r->type);
		if (r->soft > r->hard)
			return hutch_fail_plain(err, EINVAL,
						"%s: soft limit %" PRIu64
						" is above the hard limit %" PRIu64,
						path, r->soft, r->hard);
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == r->resource)
				return hutch_fail_plain(err, EINVAL,
							"%s.type: %s is already set by "
							"%s.rlimits[%zu]",
							path, r->type, where, j);
	}
	return 0;
}

static int parse_args_env_cwd(json_object *obj, const char *where, struct oci_process *p,
			      hutch_error *err)
{
	if (json_get_strv(obj, where, "args", true, &p->args, &p->n_args, err) < 0)
		return -1;
	if (p->n_args == 0)
		return hutch_fail_plain(err, EINVAL, "%s.args: must not be empty", where);
	if (p->args[0][0] == '\0')
		return hutch_fail_plain(err, EINVAL, "%s.args[0]: must name a program", where);

	if (json_get_strv(obj, where, "env", false, &p->env, &p->n_env, err) < 0 ||
	    oci_check_env(where, "env", p->env, p->n_env, err) < 0)
		return -1;

	if (oci_dup_string(obj, where, "cwd", true, &p->cwd, err) < 0)
		return -1;
	if (!oci_is_absolute(p->cwd))
		return hutch_fail_plain(err, EINVAL, "%s.cwd: must be an absolute path, got \"%s\"",
					where, p->cwd);
	return 0;
}

int oci_parse_process_into(json_object *obj, const char *where, struct oci_process *p,
			   hutch_error *err)
{
	int64_t oom = 0;
	if (!json_object_is_type(obj, json_type_object))
		return hutch_fail_plain(err, EINVAL, "%s: expected an object", where);
	if (json_get_bool(obj, where, "terminal", &p->terminal, err) < 0 ||
	    parse_console_size(obj, where, p, err) < 0 ||
	    parse_user(obj, where, &p->user, err) < 0 ||
	    parse_args_env_cwd(obj, where, p, err) < 0 ||
	    parse_capabilities(obj, where, p, err) < 0 || parse_rlimits(obj, where, p, err) < 0 ||
	    json_get_bool(obj, where, "noNewPrivileges", &p->no_new_privileges, err) < 0 ||
	    oci_dup_string(obj, where, "apparmorProfile", false, &p->apparmor_profile, err) < 0 ||
	    oci_dup_string(obj, where, "selinuxLabel", false, &p->selinux_label, err) < 0)
		return -1;
	if (oci_has_value(obj, "oomScoreAdj")) {
		if (json_get_int64(obj, where, "oomScoreAdj", true, &oom, err) < 0)
			return -1;
		if (oom < -1000 || oom > 1000)
			return hutch_fail_plain(
			    err, ERANGE, "%s.oomScoreAdj: %" PRId64 " is out of range -1000..1000",
			    where, oom);
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)oom;
	}
	return 0;
}

int oci_process_parse(json_object *obj, const char *where, struct oci_process **out,
		      hutch_error *err)
{
	struct oci_process *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return hutch_fail(err, ENOMEM, "allocate the process");
	if (oci_parse_process_into(obj, where, p, err) < 0) {
		oci_process_free(p);
		return -1;
	}
	*out = p;
	return 0;
}
