/* The OCI config model: the "linux" object (namespaces, id mappings,
 * devices, sysctl, seccomp, masked and read-only paths). Seccomp names are
 * checked against the runtime-spec's lists here; turning them into
 * libseccomp values is the seccomp code's job. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json-util.h"
#include "oci-config-internal.h"
#include "oci-config.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080 /* Linux 5.6; older libc headers lack it */
#endif

static const struct {
	const char *name;
	int clone_flag;
} namespace_table[OCI_NS_COUNT] = {
    [OCI_NS_PID] = {"pid", CLONE_NEWPID},	   [OCI_NS_NETWORK] = {"network", CLONE_NEWNET},
    [OCI_NS_MOUNT] = {"mount", CLONE_NEWNS},	   [OCI_NS_IPC] = {"ipc", CLONE_NEWIPC},
    [OCI_NS_UTS] = {"uts", CLONE_NEWUTS},	   [OCI_NS_USER] = {"user", CLONE_NEWUSER},
    [OCI_NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [OCI_NS_TIME] = {"time", CLONE_NEWTIME},
};

int oci_namespace_type_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < OCI_NS_COUNT; i++)
		if (strcmp(namespace_table[i].name, name) == 0)
			return i;
	return -1;
}

const char *oci_namespace_type_name(enum oci_namespace_type type)
{
	if ((unsigned)type >= OCI_NS_COUNT)
		return NULL;
	return namespace_table[type].name;
}

int oci_namespace_clone_flag(enum oci_namespace_type type)
{
	if ((unsigned)type >= OCI_NS_COUNT)
		return 0;
	return namespace_table[type].clone_flag;
}

const struct oci_namespace *oci_config_namespace(const struct oci_config *cfg,
						 enum oci_namespace_type type)
{
	for (size_t i = 0; i < cfg->linux_cfg.n_namespaces; i++)
		if (cfg->linux_cfg.namespaces[i].type == type)
			return &cfg->linux_cfg.namespaces[i];
	return NULL;
}

/* The runtime-spec's seccomp constants (config-linux.md), NULL-terminated. */
static const char *const seccomp_actions[] = {
    "SCMP_ACT_KILL",	    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",	    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",	    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",	    NULL,
};

static const char *const seccomp_operators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	"SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

static const char *const seccomp_archs[] = {
    "SCMP_ARCH_X86",	 "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",		"SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",	"SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",	 "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",	 "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",	"SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",	 "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",	"SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",	 "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",	NULL,
};

static const char *const seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};

static bool name_in(const char *const *table, const char *name)
{
	for (; *table != NULL; table++)
		if (strcmp(*table, name) == 0)
			return true;
	return false;
}

bool oci_seccomp_action_known(const char *name)
{
	return name_in(seccomp_actions, name);
}

bool oci_seccomp_operator_known(const char *name)
{
	return name_in(seccomp_operators, name);
}

bool oci_seccomp_arch_known(const char *name)
{
	return name_in(seccomp_archs, name);
}

bool oci_seccomp_flag_known(const char *name)
{
	return name_in(seccomp_flags, name);
}

static int parse_namespaces(json_object *obj, const char *where, struct oci_linux *l,
			    hutch_error *err)
{
	json_object *arr = NULL;
	int seen_at[OCI_NS_COUNT];
	if (oci_get_object_array(obj, where, "namespaces", &arr, err) < 0)
		return -1;
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;
	if (n == 0)
		return 0;
	l->namespaces = calloc(n, sizeof(*l->namespaces));
	if (l->namespaces == NULL)
		return hutch_fail(err, ENOMEM, "%s.namespaces", where);
	l->n_namespaces = n;
	for (int t = 0; t < OCI_NS_COUNT; t++)
		seen_at[t] = -1;
	for (size_t i = 0; i < n; i++) {
		struct oci_namespace *ns = &l->namespaces[i];
		json_object *item = NULL;
		const char *type = NULL;
		char path[OCI_WHERE_MAX];
		if (oci_array_object(arr, where, "namespaces", i, &item, err) < 0)
			return -1;
		oci_where_index(path, where, "namespaces", i);
		if (json_get_string(item, path, "type", true, &type, err) < 0 ||
		    oci_dup_string(item, path, "path", false, &ns->path, err) < 0)
			return -1;
		int t = oci_namespace_type_from_name(type);
		if (t < 0)
			return hutch_fail_plain(
			    err, EINVAL, "%s.type: unknown namespace type \"%s\"", path, type);
		ns->type = (enum oci_namespace_type)t;
		if (seen_at[t] >= 0)
			return hutch_fail_plain(err, EINVAL,
						"%s.type: namespace \"%s\" is already listed at "
						"%s.namespaces[%d]",
						path, type, where, seen_at[t]);
		seen_at[t] = (int)i;
		/* runc reads an empty path as "create a new one"; some tools
		 * write it that way. */
		if (ns->path != NULL && ns->path[0] == '\0') {
			free(ns->path);
			ns->path = NULL;
		}
		if (ns->path != NULL && !oci_is_absolute(ns->path))
			return hutch_fail_plain(err, EINVAL,
						"%s.path: must be an absolute path, got \"%s\"",
						path, ns->path);
	}
	return 0;
}

static uint32_t device_type_bits(char type)
{
	switch (type) {
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default:
		return S_IFCHR; /* 'c' and 'u' (unbuffered character) */
	}
}

static int parse_device(json_object *obj, const char *where, struct oci_device *d, hutch_error *err)
{
	const char *type = NULL;
	bool has_major = oci_has_value(obj, "major");
	bool has_minor = oci_has_value(obj, "minor");
	if (oci_dup_string(obj, where, "path", true, &d->path, err) < 0 ||
	    json_get_string(obj, where, "type", true, &type, err) < 0 ||
	    json_get_int64(obj, where, "major", false, &d->major, err) < 0 ||
	    json_get_int64(obj, where, "minor", false, &d->minor, err) < 0)
		return -1;
	if (!oci_is_absolute(d->path))
		return hutch_fail_plain(
		    err, EINVAL, "%s.path: must be an absolute path, got \"%s\"", where, d->path);
	if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
		return hutch_fail_plain(err, EINVAL,
					"%s.type: unknown device type \"%s\" (expected c, b, u "
					"or p)",
					where, type);
	d->type = type[0];
	/* A FIFO has no device number; the others need both halves. */
	if (d->type != 'p' && (!has_major || !has_minor))
		return hutch_fail_plain(err, EINVAL, "%s: a '%c' device needs major and minor",
					where, d->type);
	if (d->major < 0 || d->minor < 0)
		return hutch_fail_plain(err, ERANGE,
					"%s: negative device number %" PRId64 ":%" PRId64, where,
					d->major, d->minor);
	if (oci_has_value(obj, "fileMode")) {
		if (json_get_uint32(obj, where, "fileMode", true, &d->file_mode, err) < 0)
			return -1;
		/* Some tools copy st_mode whole, file type bits included; those
		 * are fine when they agree with the device type. */
		uint32_t type_bits = d->file_mode & S_IFMT;
		if ((d->file_mode & ~(uint32_t)(S_IFMT | 07777)) != 0 ||
		    (type_bits != 0 && type_bits != device_type_bits(d->type)))
			return hutch_fail_plain(err, EINVAL,
						"%s.fileMode: %" PRIu32
						" is not a permission mode (0 to 07777)",
						where, d->file_mode);
		d->file_mode &= 07777;
		d->has_file_mode = true;
	}
	if (oci_has_value(obj, "uid")) {
		if (json_get_uint32(obj, where, "uid", true, &d->uid, err) < 0)
			return -1;
		d->has_uid = true;
	}
	if (oci_has_value(obj, "gid")) {
		if (json_get_uint32(obj, where, "gid", true, &d->gid, err) < 0)
			return -1;
		d->has_gid = true;
	}
	return 0;
}

static int parse_devices(json_object *obj, const char *where, struct oci_linux *l, hutch_error *err)
{
	json_object *arr = NULL;
	if (oci_get_object_array(obj, where, "devices", &arr, err) < 0)
		return -1;
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;
	if (n == 0)
		return 0;
	l->devices = calloc(n, sizeof(*l->devices));
	if (l->devices == NULL)
		return hutch_fail(err, ENOMEM, "%s.devices", where);
	l->n_devices = n;
	for (size_t i = 0; i < n; i++) {
		json_object *item = NULL;
		char path[OCI_WHERE_MAX];
		if (oci_array_object(arr, where, "devices", i, &item, err) < 0)
			return -1;
		oci_where_index(path, where, "devices", i);
		if (parse_device(item, path, &l->devices[i], err) < 0)
			return -1;
	}
	return 0;
}

static int parse_sysctl(json_object *obj, const char *where, struct oci_linux *l, hutch_error *err)
{
	json_object *sysctl = NULL;
	if (json_get_object(obj, where, "sysctl", false, &sysctl, err) < 0)
		return -1;
	size_t n = sysctl != NULL ? (size_t)json_object_object_length(sysctl) : 0;
	if (n == 0)
		return 0;
	l->sysctl = calloc(n, sizeof(*l->sysctl));
	if (l->sysctl == NULL)
		return hutch_fail(err, ENOMEM, "%s.sysctl", where);
	size_t i = 0;
	json_object_object_foreach(sysctl, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return hutch_fail_plain(err, EINVAL, "%s.sysctl.%s: expected a string",
						where, key);
		if (key[0] == '\0' || strstr(key, "..") != NULL || key[0] == '/' || key[0] == '.')
			return hutch_fail_plain(
			    err, EINVAL, "%s.sysctl: \"%s\" is not a sysctl name", where, key);
		l->sysctl[i].key = strdup(key);
		l->sysctl[i].value = strdup(json_object_get_string(val));
		l->n_sysctl = ++i;
		if (l->sysctl[i - 1].key == NULL || l->sysctl[i - 1].value == NULL)
			return hutch_fail(err, ENOMEM, "%s.sysctl", where);
	}
	return 0;
}

static int parse_seccomp_arg(json_object *obj, const char *where, struct oci_seccomp_arg *a,
			     hutch_error *err)
{
	uint32_t index = 0;
	if (json_get_uint32(obj, where, "index", true, &index, err) < 0 ||
	    oci_get_uint64(obj, where, "value", true, &a->value, err) < 0 ||
	    oci_get_uint64(obj, where, "valueTwo", false, &a->value_two, err) < 0 ||
	    oci_dup_string(obj, where, "op", true, &a->op, err) < 0)
		return -1;
	/* System calls take at most six arguments. */
	if (index > 5)
		return hutch_fail_plain(err, EINVAL, "%s.index: %" PRIu32 " is not in 0..5", where,
					index);
	a->index = index;
	if (!oci_seccomp_operator_known(a->op))
		return hutch_fail_plain(err, EINVAL, "%s.op: unknown seccomp operator \"%s\"",
					where, a->op);
	return 0;
}

static int check_errno_ret(const char *where, const char *key, const char *action, bool present,
			   hutch_error *err)
{
	if (present && strcmp(action, "SCMP_ACT_ERRNO") != 0 &&
	    strcmp(action, "SCMP_ACT_TRACE") != 0)
		return hutch_fail_plain(err, EINVAL,
					"%s.%s: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, "
					"not %s",
					where, key, action);
	return 0;
}

static int parse_seccomp_syscall(json_object *obj, const char *where, struct oci_seccomp_syscall *s,
				 hutch_error *err)
{
	json_object *args = NULL;
	if (json_get_strv(obj, where, "names", true, &s->names, &s->n_names, err) < 0 ||
	    oci_dup_string(obj, where, "action", true, &s->action, err) < 0 ||
	    oci_get_object_array(obj, where, "args", &args, err) < 0)
		return -1;
	if (s->n_names == 0)
		return hutch_fail_plain(err, EINVAL, "%s.names: must not be empty", where);
	for (size_t i = 0; i < s->n_names; i++)
		if (s->names[i][0] == '\0')
			return hutch_fail_plain(err, EINVAL, "%s.names[%zu]: must not be empty",
						where, i);
	if (!oci_seccomp_action_known(s->action))
		return hutch_fail_plain(err, EINVAL, "%s.action: unknown seccomp action \"%s\"",
					where, s->action);
	s->has_errno_ret = oci_has_value(obj, "errnoRet");
	if (s->has_errno_ret &&
	    json_get_uint32(obj, where, "errnoRet", true, &s->errno_ret, err) < 0)
		return -1;
	if (check_errno_ret(where, "errnoRet", s->action, s->has_errno_ret, err) < 0)
		return -1;
	size_t n = args != NULL ? json_object_array_length(args) : 0;
	if (n == 0)
		return 0;
	s->args = calloc(n, sizeof(*s->args));
	if (s->args == NULL)
		return hutch_fail(err, ENOMEM, "%s.args", where);
	s->n_args = n;
	for (size_t i = 0; i < n; i++) {
		json_object *item = NULL;
		char path[OCI_WHERE_MAX];
		if (oci_array_object(args, where, "args", i, &item, err) < 0)
			return -1;
		oci_where_index(path, where, "args", i);
		if (parse_seccomp_arg(item, path, &s->args[i], err) < 0)
			return -1;
	}
	return 0;
}

static int check_seccomp_names(const char *where, const char *key, char **names, size_t n,
			       bool (*known)(const char *), const char *what, hutch_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!known(names[i])) {
			char path[OCI_WHERE_MAX];
			oci_where_index(path, where, key, i);
			return hutch_fail_plain(err, EINVAL, "%s: unknown seccomp %s \"%s\"", path,
						what, names[i]);
		}
	}
	return 0;
}

static int parse_seccomp(json_object *obj, const char *where, struct oci_linux *l, hutch_error *err)
{
	json_object *sec = NULL;
	json_object *syscalls = NULL;
	char path[OCI_WHERE_MAX];
	if (json_get_object(obj, where, "seccomp", false, &sec, err) < 0)
		return -1;
	if (sec == NULL)
		return 0;
	l->seccomp = calloc(1, sizeof(*l->seccomp));
	if (l->seccomp == NULL)
		return hutch_fail(err, ENOMEM, "%s.seccomp", where);
	struct oci_seccomp *s = l->seccomp;
	oci_where_key(path, where, "seccomp");
	if (oci_dup_string(sec, path, "defaultAction", true, &s->default_action, err) < 0 ||
	    json_get_strv(sec, path, "architectures", false, &s->architectures, &s->n_architectures,
			  err) < 0 ||
	    json_get_strv(sec, path, "flags", false, &s->flags, &s->n_flags, err) < 0 ||
	    oci_dup_string(sec, path, "listenerPath", false, &s->listener_path, err) < 0 ||
	    oci_dup_string(sec, path, "listenerMetadata", false, &s->listener_metadata, err) < 0 ||
	    oci_get_object_array(sec, path, "syscalls", &syscalls, err) < 0)
		return -1;
	if (!oci_seccomp_action_known(s->default_action))
		return hutch_fail_plain(err, EINVAL,
					"%s.defaultAction: unknown seccomp action \"%s\"", path,
					s->default_action);
	/* The notify listener would have to answer the runtime's own system
	 * calls before the container even starts. */
	if (strcmp(s->default_action, "SCMP_ACT_NOTIFY") == 0)
		return hutch_fail_plain(err, EINVAL,
					"%s.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
					"action",
					path);
	s->has_default_errno_ret = oci_has_value(sec, "defaultErrnoRet");
	if (s->has_default_errno_ret &&
	    json_get_uint32(sec, path, "defaultErrnoRet", true, &s->default_errno_ret, err) < 0)
		return -1;
	if (check_errno_ret(path, "defaultErrnoRet", s->default_action, s->has_default_errno_ret,
			    err) < 0 ||
	    check_seccomp_names(path, "architectures", s->architectures, s->n_architectures,
				oci_seccomp_arch_known, "architecture", err) < 0 ||
	    check_seccomp_names(path, "flags", s->flags, s->n_flags, oci_seccomp_flag_known, "flag",
				err) < 0)
		return -1;
	if (s->listener_path != NULL && !oci_is_absolute(s->listener_path))
		return hutch_fail_plain(err, EINVAL,
					"%s.listenerPath: must be an absolute path, got \"%s\"",
					path, s->listener_path);

	size_t n = syscalls != NULL ? json_object_array_length(syscalls) : 0;
	bool notify = false;
	if (n > 0) {
		s->syscalls = calloc(n, sizeof(*s->syscalls));
		if (s->syscalls == NULL)
			return hutch_fail(err, ENOMEM, "%s.syscalls", path);
		s->n_syscalls = n;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *item = NULL;
		char item_path[OCI_WHERE_MAX];
		if (oci_array_object(syscalls, path, "syscalls", i, &item, err) < 0)
			return -1;
		oci_where_index(item_path, path, "syscalls", i);
		if (parse_seccomp_syscall(item, item_path, &s->syscalls[i], err) < 0)
			return -1;
		if (strcmp(s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
			notify = true;
	}
	if (notify && s->listener_path == NULL)
		return hutch_fail_plain(err, EINVAL,
					"%s.listenerPath: required when an action is "
					"SCMP_ACT_NOTIFY",
					path);
	return 0;
}

static int parse_propagation(json_object *obj, const char *where, struct oci_linux *l,
			     hutch_error *err)
{
	static const char *const modes[] = {
	    "private", "rprivate",   "shared",	    "rshared", "slave",
	    "rslave",  "unbindable", "runbindable", NULL,
	};
	if (oci_dup_string(obj, where, "rootfsPropagation", false, &l->rootfs_propagation, err) < 0)
		return -1;
	/* An empty string means the default, as runc reads it. */
	if (l->rootfs_propagation != NULL && l->rootfs_propagation[0] == '\0') {
		free(l->rootfs_propagation);
		l->rootfs_propagation = NULL;
	}
	if (l->rootfs_propagation != NULL && !name_in(modes, l->rootfs_propagation))
		return hutch_fail_plain(err, EINVAL,
					"%s.rootfsPropagation: unknown propagation \"%s\"", where,
					l->rootfs_propagation);
	return 0;
}

static int check_absolute_paths(const char *where, const char *key, char **paths, size_t n,
				hutch_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!oci_is_absolute(paths[i])) {
			char path[OCI_WHERE_MAX];
			oci_where_index(path, where, key, i);
			return hutch_fail_plain(err, EINVAL,
						"%s: must be an absolute path, got \"%s\"", path,
						paths[i]);
		}
	}
	return 0;
}

int oci_parse_linux(json_object *obj, const char *where, struct oci_linux *l, hutch_error *err)
{
	if (parse_namespaces(obj, where, l, err) < 0 ||
	    oci_parse_id_mappings(obj, where, "uidMappings", &l->uid_mappings, &l->n_uid_mappings,
				  err) < 0 ||
	    oci_parse_id_mappings(obj, where, "gidMappings", &l->gid_mappings, &l->n_gid_mappings,
				  err) < 0 ||
	    parse_devices(obj, where, l, err) < 0 ||
	    oci_dup_string(obj, where, "cgroupsPath", false, &l->cgroups_path, err) < 0 ||
	    json_get_object(obj, where, "resources", false, &l->resources, err) < 0 ||
	    parse_sysctl(obj, where, l, err) < 0 || parse_seccomp(obj, where, l, err) < 0 ||
	    parse_propagation(obj, where, l, err) < 0 ||
	    json_get_strv(obj, where, "maskedPaths", false, &l->masked_paths, &l->n_masked_paths,
			  err) < 0 ||
	    json_get_strv(obj, where, "readonlyPaths", false, &l->readonly_paths,
			  &l->n_readonly_paths, err) < 0 ||
	    oci_dup_string(obj, where, "mountLabel", false, &l->mount_label, err) < 0 ||
	    json_get_object(obj, where, "personality", false, &l->personality, err) < 0)
		return -1;
	if (check_absolute_paths(where, "maskedPaths", l->masked_paths, l->n_masked_paths, err) <
		0 ||
	    check_absolute_paths(where, "readonlyPaths", l->readonly_paths, l->n_readonly_paths,
				 err) < 0)
		return -1;
	return 0;
}
