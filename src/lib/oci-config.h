/* The OCI runtime-spec config model (config.json, runtime-spec 1.2).
 *
 * oci_config_load() parses and validates a bundle's config.json into these
 * plain C structs, so the runtime core never touches JSON. Every error
 * names the JSON path of the bad value ("linux.namespaces[2].type: unknown
 * namespace type 'foo'"). Absent optional values are NULL / 0 with a has_
 * flag where 0 is a meaningful value. Arrays come with their count;
 * string arrays are also NULL-terminated. */
#ifndef HUTCH_OCI_CONFIG_H
#define HUTCH_OCI_CONFIG_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define OCI_VERSION "1.2.0"

struct oci_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct oci_mount {
	char *destination; /* absolute path inside the container */
	char *type;	   /* NULL when absent (a bind mount if options say so) */
	char *source;	   /* NULL when absent */
	char **options;	   /* raw option strings, e.g. "rbind", "ro", "mode=755" */
	size_t n_options;
	struct oci_id_mapping *uid_mappings; /* idmapped mounts */
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
};

struct oci_rlimit {
	int resource; /* RLIMIT_* */
	char *type;   /* "RLIMIT_NOFILE" */
	uint64_t soft;
	uint64_t hard;
};

struct oci_user {
	uint32_t uid;
	uint32_t gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *username; /* unused on Linux, kept for round trips */
};

/* Each set is NULL when the key is absent (runtime-spec: absent means
 * empty), else a NULL-terminated list of "CAP_*" names. */
struct oci_capabilities {
	char **bounding;
	size_t n_bounding;
	char **effective;
	size_t n_effective;
	char **inheritable;
	size_t n_inheritable;
	char **permitted;
	size_t n_permitted;
	char **ambient;
	size_t n_ambient;
};

struct oci_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height;
	uint32_t console_width;
	struct oci_user user;
	char **args; /* at least one element after validation */
	size_t n_args;
	char **env;
	size_t n_env;
	char *cwd;			       /* absolute */
	struct oci_capabilities *capabilities; /* NULL when absent */
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *selinux_label;
};

struct oci_hook {
	char *path; /* absolute */
	char **args;
	size_t n_args;
	char **env;
	size_t n_env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART = 0,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KIND_COUNT,
};

struct oci_hooks {
	struct oci_hook *list[OCI_HOOK_KIND_COUNT];
	size_t count[OCI_HOOK_KIND_COUNT];
};

enum oci_namespace_type {
	OCI_NS_PID = 0,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT,
};

struct oci_namespace {
	enum oci_namespace_type type;
	char *path; /* NULL: create a new one */
};

struct oci_device {
	char *path;
	char type; /* 'c', 'b', 'u' or 'p' */
	int64_t major;
	int64_t minor;
	bool has_file_mode;
	uint32_t file_mode;
	bool has_uid;
	uint32_t uid;
	bool has_gid;
	uint32_t gid;
};

struct oci_seccomp_arg {
	unsigned int index;
	uint64_t value;
	uint64_t value_two;
	char *op; /* "SCMP_CMP_EQ", ... */
};

struct oci_seccomp_syscall {
	char **names;
	size_t n_names;
	char *action; /* "SCMP_ACT_ERRNO", ... */
	bool has_errno_ret;
	uint32_t errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	char *default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	char **architectures; /* "SCMP_ARCH_X86_64", ... */
	size_t n_architectures;
	char **flags; /* "SECCOMP_FILTER_FLAG_LOG", ... */
	size_t n_flags;
	char *listener_path;
	char *listener_metadata;
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct oci_sysctl {
	char *key;
	char *value;
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	json_object *resources; /* borrowed from oci_config.raw; NULL if absent */
	struct oci_sysctl *sysctl;
	size_t n_sysctl;
	struct oci_seccomp *seccomp; /* NULL when absent */
	char *rootfs_propagation;    /* "private", "rslave", ... or NULL */
	char **masked_paths;
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	char *mount_label;
	json_object *personality; /* borrowed; NULL if absent */
};

struct oci_config {
	char *oci_version;
	char *root_path; /* as written in config.json (maybe relative) */
	bool root_readonly;
	struct oci_process *process; /* NULL when absent */
	char *hostname;
	char *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hooks hooks;
	json_object *annotations; /* borrowed; NULL if absent */
	struct oci_linux linux_cfg;
	json_object *raw; /* the parsed document, owned */
};

/* Load BUNDLE/config.json, parse and validate it. */
int oci_config_load(const char *bundle, struct oci_config **out, hutch_error *err);

/* Parse and validate an already parsed document; takes a reference to it. */
int oci_config_parse(json_object *doc, struct oci_config **out, hutch_error *err);

/* Parse a "process" object alone (hutch-oci exec --process FILE); where is
 * the JSON path prefix used in messages ("process" or the file name). */
int oci_process_parse(json_object *obj, const char *where, struct oci_process **out,
		      hutch_error *err);

void oci_config_free(struct oci_config *cfg);
void oci_process_free(struct oci_process *p);

/* Find a namespace entry of a type; NULL when the config does not list it. */
const struct oci_namespace *oci_config_namespace(const struct oci_config *cfg,
						 enum oci_namespace_type type);

/* "pid" <-> OCI_NS_PID; returns -1 for an unknown name. */
int oci_namespace_type_from_name(const char *name);
const char *oci_namespace_type_name(enum oci_namespace_type type);
/* CLONE_NEWPID etc. for a namespace type. */
int oci_namespace_clone_flag(enum oci_namespace_type type);

/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 when unknown. */
int oci_rlimit_from_name(const char *name);

/* The hook kind names as in config.json ("createRuntime", ...). */
const char *oci_hook_kind_name(enum oci_hook_kind kind);

/* The default config written by `hutch-oci spec`; rootless adds a user
 * namespace with the caller's single uid/gid mapping and drops what an
 * unprivileged user cannot do (as `runc spec --rootless`). */
json_object *oci_spec_default(bool rootless, uint32_t uid, uint32_t gid);

/* The runtime-spec "features" document for `hutch-oci features`. */
json_object *oci_features(void);

#define _cleanup_oci_config_ __attribute__((cleanup(oci_config_freep)))
static inline void oci_config_freep(struct oci_config **c)
{
	if (*c != NULL)
		oci_config_free(*c);
}

#endif
