/* The parts of ctr_build (ctr-build.h), one concern per file. Everything
 * here except ctr_build's own steps is pure logic on JSON and strings (or
 * touches only the files it is given), so the unit tests drive it without
 * a hutchd. */
#ifndef HUTCH_DAEMON_CTR_BUILD_INTERNAL_H
#define HUTCH_DAEMON_CTR_BUILD_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* --- ctr-request.c: the request's JSON against Docker's Go types --- */

enum ctr_field_kind {
	CF_STRING,
	CF_BOOL,
	CF_INT,
	CF_STRV,	     /* []string */
	CF_STRSLICE,	     /* strslice.StrSlice: []string or one string */
	CF_STRMAP,	     /* map[string]string */
	CF_SET,		     /* map[string]struct{} (ExposedPorts, Volumes) */
	CF_STRUCT,	     /* an object with sub fields */
	CF_STRUCT_ARRAY,     /* an array of objects with sub fields */
	CF_MAP_STRUCT_ARRAY, /* an object of arrays of objects (PortBindings) */
	CF_ANY,
};

struct ctr_field {
	const char *name;
	enum ctr_field_kind kind;
	const char *go_type; /* for messages; NULL: derived from kind */
	const char *dflt;    /* JSON of the value stored when absent; NULL: omitted */
	const struct ctr_field *sub;
	size_t n_sub;
	const char *sub_name; /* the Go struct of sub fields, for messages */
};

extern const struct ctr_field ctr_config_fields[];
extern const size_t ctr_n_config_fields;
extern const struct ctr_field ctr_host_config_fields[];
extern const size_t ctr_n_host_config_fields;

/* Check every listed field of obj (a JSON object, the Go struct where):
 * "json: cannot unmarshal number into Go struct field Config.Cmd of type
 * strslice.StrSlice". null is always fine (Go's zero value). */
int ctr_json_check(json_object *obj, const char *where, const struct ctr_field *fields, size_t n,
		   hutch_error *err);
/* A new object with the listed fields of obj (may be NULL) copied, lone
 * strslice strings made arrays, absent ones set to their defaults. */
json_object *ctr_json_normalize(json_object *obj, const struct ctr_field *fields, size_t n);

/* The request's Config and HostConfig, checked and with defaults. */
int ctr_request_normalize(json_object *request, json_object **config, json_object **host,
			  hutch_error *err);

/* --- ctr-config.c: the image config merged in, the process's env --- */

/* Docker's merge of the image's config into the request's Config: User,
 * WorkingDir, StopSignal, Healthcheck when empty; ExposedPorts, Volumes
 * and Labels joined (the request wins); Env joined by variable name;
 * Entrypoint/Cmd: a request Entrypoint replaces the image's and then only
 * the request's Cmd counts. image_config may be NULL. Fails (EINVAL) for
 * a malformed Env entry or WorkingDir. */
int ctr_config_merge(json_object *config, json_object *image_config, hutch_error *err);

/* The command (Entrypoint + Cmd) of the merged Config: "no command
 * specified" when there is none. */
int ctr_config_command(json_object *config, char ***argv, size_t *argc, hutch_error *err);

/* The process's environment: PATH (default), HOSTNAME, TERM=xterm with a
 * tty, then Config.Env replacing by name ("NAME" alone unsets). */
char **ctr_env_build(json_object *env, const char *hostname, bool tty);

/* Replace or append "KEY=..." in a NULL-terminated, owned strv. */
char **ctr_env_set(char **env, const char *entry);
/* The value of NAME in env, or NULL. */
const char *ctr_env_get(char *const *env, const char *name);

/* --- ctr-user.c: "user[:group]" against the image's passwd/group --- */

struct ctr_user {
	uint32_t uid;
	uint32_t gid;
	uint32_t *groups; /* additional gids */
	size_t n_groups;
	char *home; /* from passwd, "/" when unknown */
};
void ctr_user_free(struct ctr_user *u);

/* Resolve spec ("", "name", "uid", "name:group", "uid:gid", ...) with the
 * contents of /etc/passwd and /etc/group (either may be NULL: no file),
 * adding group_add (names or gids; may be NULL). */
int ctr_user_resolve(const char *spec, const char *passwd, const char *group,
		     json_object *group_add, struct ctr_user *out, hutch_error *err);

/* Read relpath ("etc/passwd") as the merged view of lower dirs (top
 * first) shows it: whiteouts (.wh.NAME, a 0/0 char device) and opaque
 * directories hide lower copies. *content is NULL when the file is not
 * there. */
int ctr_layers_read_file(char *const *lowers, size_t n, const char *relpath, char **content,
			 hutch_error *err);

/* --- ctr-ports.c: ExposedPorts, PortBindings, PublishAllPorts --- */

struct ctr_port {
	char proto[4];	  /* "tcp", "udp" */
	char host_ip[64]; /* "" = every address */
	uint16_t host_port;
	uint16_t host_port_last; /* a HostPort range "A-B": first free one is taken */
	uint16_t container_port;
};

/* "80", "80/tcp", "53/udp" -> port and protocol. */
int ctr_port_key_parse(const char *key, uint16_t *port, char proto[4], hutch_error *err);
/* HostPort: "" or "0" (any), "8080", "8000-8010". */
int ctr_host_port_parse(const char *s, uint16_t *first, uint16_t *last, hutch_error *err);
/* The forwards from the merged Config.ExposedPorts and HostConfig
 * PortBindings/PublishAllPorts; also adds bound ports to ExposedPorts. */
int ctr_ports_collect(json_object *config, json_object *host, struct ctr_port **out, size_t *n,
		      hutch_error *err);
/* Pick free host ports (by binding) for forwards without a fixed one. */
int ctr_ports_choose(struct ctr_port *ports, size_t n, hutch_error *err);
json_object *ctr_ports_json(const struct ctr_port *ports, size_t n);

/* --- ctr-mounts.c: Binds, Mounts, Tmpfs, Volumes --- */

enum ctr_mount_type {
	CTR_MOUNT_BIND,
	CTR_MOUNT_VOLUME,
	CTR_MOUNT_TMPFS,
};

struct ctr_mount {
	enum ctr_mount_type type;
	char *source; /* bind: host path; volume: name (NULL: anonymous) */
	char *target;
	bool readonly;
	bool from_binds;     /* -v form: a missing bind source is created */
	bool non_recursive;  /* bind, not rbind */
	char *propagation;   /* NULL: rprivate */
	char *tmpfs_options; /* "size=64m,mode=1777" (Docker's spelling) */
	char *host_path;     /* resolved: the bind source or the volume's _data */
	bool nocopy;	     /* volume: never filled from the image (volume-fill.c) */
	bool volume_created; /* volume: made by this create (its "create" event) */
	/* volume (Mounts): VolumeOptions.Labels and DriverConfig.Options, for
	 * a volume this create makes (NULL: none) */
	json_object *volume_labels, *volume_options;
};
void ctr_mounts_free(struct ctr_mount *m, size_t n);

/* One Binds entry: "src:dst[:opts]" or "dst" (an anonymous volume). */
int ctr_bind_parse(const char *spec, struct ctr_mount *out, hutch_error *err);
/* One Mounts entry (already type checked). */
int ctr_mount_parse(json_object *m, struct ctr_mount *out, hutch_error *err);
/* All mounts of a container: HostConfig Binds, Mounts, Tmpfs, then an
 * anonymous volume for each Config.Volumes path nothing else covers.
 * Refuses duplicate targets. */
int ctr_mounts_collect(json_object *config, json_object *host, struct ctr_mount **out, size_t *n,
		       hutch_error *err);
/* Resolve host paths: bind sources must exist (a -v source is created as
 * a directory), volumes get ROOT/volumes/<name>/_data (anonymous ones a
 * random name). */
int ctr_mounts_prepare(const char *root, struct ctr_mount *m, size_t n, hutch_error *err);
/* The OCI mounts entry and Docker's inspect "Mounts" entry of one. */
json_object *ctr_mount_oci(const struct ctr_mount *m);
json_object *ctr_mount_inspect(const struct ctr_mount *m);

/* --- ctr-etc.c: hosts, hostname, resolv.conf --- */

/* /etc/hosts: localhost lines, ExtraHosts ("name:ip", ip "host-gateway"
 * is gateway), then "own_ip hostname" (own_ip may be NULL). */
int ctr_hosts_build(const char *hostname, const char *domainname, const char *own_ip,
		    json_object *extra_hosts, const char *gateway, char **out, hutch_error *err);
/* /etc/resolv.conf: base is the host's file (may be NULL); slirp replaces
 * its name servers with slirp's 10.0.2.3; Dns, DnsSearch, DnsOptions
 * replace the respective lines. */
int ctr_resolv_build(const char *base, bool slirp, json_object *dns, json_object *search,
		     json_object *options, char **out, hutch_error *err);

/* --- ctr-caps.c: capabilities --- */

/* Docker's default set with CapAdd/CapDrop ("ALL" too, with or without
 * CAP_, any case); privileged gives every capability the kernel knows.
 * *out is a NULL-terminated strv of "CAP_*" names. */
int ctr_caps_compute(json_object *cap_add, json_object *cap_drop, bool privileged, char ***out,
		     hutch_error *err);
/* "CAP_SYS_ADMIN", "sys_admin", ... -> the canonical name or NULL. */
const char *ctr_cap_canonical(const char *name);

/* --- seccomp-default.c --- */

/* Docker's default profile (default EPERM, an allow list, rules that
 * depend on the capabilities in caps) as OCI linux.seccomp. */
json_object *seccomp_default_profile(char *const *caps);

/* --- seccomp-profile.c: a Docker seccomp profile --- */

/* The profile's fields against Docker's types; a defaultAction and, for
 * each rule, an action and a syscall name. */
int seccomp_profile_check(json_object *profile, hutch_error *err);
/* OCI linux.seccomp for a container with caps: this machine's
 * architectures, the rules whose includes/excludes hold. */
json_object *seccomp_profile_to_oci(json_object *profile, char *const *caps);

/* --- ctr-spec.c: the OCI runtime config --- */

struct ctr_security {
	bool seccomp_unconfined;
	bool no_new_privileges;
	json_object *seccomp_profile; /* a Docker profile (owned), NULL: the default */
};
/* HostConfig.SecurityOpt: "seccomp=unconfined", "seccomp=<a Docker
 * profile's JSON>", "no-new-privileges[=BOOL]"; apparmor= and label= are
 * accepted and ignored with a warning. Free with ctr_security_free. */
int ctr_security_parse(json_object *opts, struct ctr_security *out, json_object *warnings,
		       hutch_error *err);
void ctr_security_free(struct ctr_security *s);

struct ctr_spec_input {
	json_object *config; /* merged Config */
	json_object *host;   /* HostConfig with defaults */
	char **argv;
	char **env;
	const struct ctr_user *user;
	const char *rootfs;
	const char *hostname;
	const char *dir;     /* ROOT/containers/<id>: the /etc files */
	const char *network; /* "slirp", "none", "host" */
	const struct ctr_mount *mounts;
	size_t n_mounts;
	bool userns; /* a user namespace mapping host_uid/host_gid to root */
	uint32_t host_uid, host_gid;
	const char *init_path; /* the /dev/init binary, NULL without Init */
	char **caps;
	struct ctr_security security;
	json_object *resources; /* linux.resources or NULL (ownership taken) */
};
int ctr_spec_build(const struct ctr_spec_input *in, json_object **out, hutch_error *err);

/* HostConfig.Devices as linux.devices entries (each PathOnHost stat'ed). */
int ctr_devices_build(json_object *devices, json_object **out, hutch_error *err);

/* --- ctr-limits.c --- */

/* HostConfig.Ulimits as process.rlimits. */
int ctr_rlimits_build(json_object *ulimits, json_object **out, hutch_error *err);
/* HostConfig resource limits as linux.resources; NULL when none is set.
 * names gets the Docker names of the limits that were set. */
json_object *ctr_resources_build(json_object *host, char *names, size_t size);

/* --- ctr-util.c: small helpers --- */

/* The value of key in o; NULL when o is NULL or the key absent or null. */
json_object *ctr_member(json_object *o, const char *key);
/* The same as a string ("" when absent), bool (false), integer (0). */
const char *ctr_member_string(json_object *o, const char *key);
bool ctr_member_bool(json_object *o, const char *key);
int64_t ctr_member_int(json_object *o, const char *key);
/* A JSON array of a NULL-terminated strv. */
json_object *ctr_strv_json(char *const *v);
/* An IPv4 or IPv6 address. */
bool ctr_valid_ip(const char *s);

/* Append to a NULL-terminated strv (owned). */
char **ctr_strv_add(char **v, const char *s);
size_t ctr_strv_len(char *const *v);
/* nbytes random bytes as 2 * nbytes lowercase hex digits (out holds
 * 2 * nbytes + 1). */
void ctr_random_hex(char *out, size_t nbytes);

#endif
