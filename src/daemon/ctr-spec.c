/* The OCI runtime config (config.json) of a container: Docker's defaults
 * for mounts, namespaces, capabilities, masked paths and seccomp, with the
 * request's Config and HostConfig applied, in the shape `hutch-oci spec`
 * writes and libhutch's runtime accepts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "ctr-build-internal.h"
#include "json-util.h"
#include "oci-config.h"

/* Docker's masked and read-only paths. */
static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_object *list_json(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* A mount entry; options is a NULL-terminated list. */
static void add_mount(json_object *mounts, const char *dst, const char *type, const char *src,
		      const char *const *options)
{
	json_object *m = json_object_new_object(), *o = json_object_new_array();
	json_object_object_add(m, "destination", json_object_new_string(dst));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(src));
	for (size_t i = 0; options[i] != NULL; i++)
		json_object_array_add(o, json_object_new_string(options[i]));
	json_object_object_add(m, "options", o);
	json_object_array_add(mounts, m);
}

/* seccomp=unconfined, =builtin, or a Docker profile's JSON (the docker CLI
 * sends the file's content: the file is on the client's machine). */
static int parse_seccomp(const char *v, struct ctr_security *out, hutch_error *err)
{
	if (strcmp(v, "unconfined") == 0) {
		out->seccomp_unconfined = true;
		return 0;
	}
	if (strcmp(v, "builtin") == 0 || strcmp(v, "default") == 0) {
		out->seccomp_unconfined = false;
		return 0;
	}
	if (v[0] != '{')
		return hutch_fail_plain(err, EINVAL,
					"seccomp profile \"%.60s\": expected the profile's JSON, "
					"not a file name",
					v);
	json_object *profile = NULL;
	if (json_parse_buffer(v, strlen(v), "seccomp profile", &profile, err) < 0)
		return -1;
	if (seccomp_profile_check(profile, err) < 0) {
		json_object_put(profile);
		return -1;
	}
	json_object_put(out->seccomp_profile);
	out->seccomp_profile = profile;
	return 0;
}

static bool is_key(const char *o, size_t kl, const char *key)
{
	return kl == strlen(key) && strncmp(o, key, kl) == 0;
}

static int parse_security_opt(const char *o, struct ctr_security *out, json_object *warnings,
			      hutch_error *err)
{
	/* "key=value", or the old "key:value" spelling. */
	size_t kl = strcspn(o, "=:");
	const char *v = o[kl] ? o + kl + 1 : NULL;
	if (is_key(o, kl, "no-new-privileges")) {
		if (v == NULL || strcmp(v, "true") == 0)
			out->no_new_privileges = true;
		else if (strcmp(v, "false") == 0)
			out->no_new_privileges = false;
		else
			return hutch_fail_plain(err, EINVAL, "invalid --security-opt 2: \"%s\"", o);
		return 0;
	}
	if (is_key(o, kl, "seccomp") && v != NULL)
		return parse_seccomp(v, out, err);
	if ((is_key(o, kl, "apparmor") || is_key(o, kl, "label")) && v != NULL) {
		char w[300];
		snprintf(w, sizeof(w), "security option %.200s ignored: no LSM support", o);
		json_object_array_add(warnings, json_object_new_string(w));
		return 0;
	}
	/* handled by ctr_spec_build (no masked paths) */
	if (is_key(o, kl, "systempaths") && v != NULL && strcmp(v, "unconfined") == 0)
		return 0;
	return hutch_fail_plain(err, EINVAL, "invalid --security-opt 1: \"%s\"", o);
}

int ctr_security_parse(json_object *opts, struct ctr_security *out, json_object *warnings,
		       hutch_error *err)
{
	*out = (struct ctr_security){0};
	size_t n = opts ? json_object_array_length(opts) : 0;
	for (size_t i = 0; i < n; i++) {
		if (parse_security_opt(json_object_get_string(json_object_array_get_idx(opts, i)),
				       out, warnings, err) < 0) {
			ctr_security_free(out);
			return -1;
		}
	}
	return 0;
}

void ctr_security_free(struct ctr_security *s)
{
	json_object_put(s->seccomp_profile);
	s->seccomp_profile = NULL;
}

static bool systempaths_unconfined(json_object *host)
{
	json_object *opts = ctr_member(host, "SecurityOpt");
	size_t n = opts ? json_object_array_length(opts) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *o = json_object_get_string(json_object_array_get_idx(opts, i));
		if (strcmp(o, "systempaths=unconfined") == 0)
			return true;
	}
	return false;
}

int ctr_devices_build(json_object *devices, json_object **out, hutch_error *err)
{
	json_object *list = json_object_new_array();
	size_t n = devices ? json_object_array_length(devices) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(devices, i);
		const char *host = ctr_member_string(d, "PathOnHost");
		const char *inside = ctr_member_string(d, "PathInContainer");
		if (inside[0] == '\0')
			inside = host;
		struct stat st;
		if (host[0] == '\0' || stat(host, &st) < 0) {
			int e = host[0] ? errno : ENOENT;
			json_object_put(list);
			return hutch_fail(err, e == ENOENT ? EINVAL : e,
					  "error gathering device information while adding custom "
					  "device \"%s\"",
					  host);
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
			json_object_put(list);
			return hutch_fail_plain(err, EINVAL,
						"error gathering device information while adding "
						"custom device \"%s\": not a device node",
						host);
		}
		if (inside[0] != '/' || strncmp(inside, "/dev/", 5) != 0) {
			json_object_put(list);
			return hutch_fail_plain(
			    err, EINVAL, "device path in container must be under /dev: %s", inside);
		}
		json_object *e = json_object_new_object();
		json_object_object_add(e, "path", json_object_new_string(inside));
		json_object_object_add(e, "type",
				       json_object_new_string(S_ISCHR(st.st_mode) ? "c" : "b"));
		json_object_object_add(e, "major", json_object_new_int64(major(st.st_rdev)));
		json_object_object_add(e, "minor", json_object_new_int64(minor(st.st_rdev)));
		json_object_object_add(e, "fileMode", json_object_new_int(st.st_mode & 07777));
		json_object_object_add(e, "uid", json_object_new_int(0));
		json_object_object_add(e, "gid", json_object_new_int(0));
		json_object_array_add(list, e);
	}
	*out = list;
	return 0;
}

static bool user_mount_at(const struct ctr_spec_input *in, const char *dst)
{
	for (size_t i = 0; i < in->n_mounts; i++)
		if (strcmp(in->mounts[i].target, dst) == 0)
			return true;
	return false;
}

static size_t depth(const char *p)
{
	size_t d = 0;
	for (; *p; p++)
		d += *p == '/';
	return d;
}

/* Parents before children (Docker sorts mounts the same way), stable. */
static void sort_by_depth(const struct ctr_mount **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		const struct ctr_mount *x = v[i];
		size_t j = i;
		for (; j > 0 && depth(v[j - 1]->target) > depth(x->target); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static json_object *build_mounts(const struct ctr_spec_input *in)
{
	json_object *mounts = json_object_new_array();
	bool privileged = ctr_member_bool(in->host, "Privileged");
	bool readonly_root = ctr_member_bool(in->host, "ReadonlyRootfs");
	bool host_net = strcmp(in->network, "host") == 0;
	bool host_ipc = strcmp(ctr_member_string(in->host, "IpcMode"), "host") == 0;

	add_mount(mounts, "/proc", "proc", "proc",
		  (const char *const[]){"nosuid", "noexec", "nodev", NULL});
	add_mount(mounts, "/dev", "tmpfs", "tmpfs",
		  (const char *const[]){"nosuid", "strictatime", "mode=755", "size=65536k", NULL});
	add_mount(mounts, "/dev/pts", "devpts", "devpts",
		  (const char *const[]){"nosuid", "noexec", "newinstance", "ptmxmode=0666",
					"mode=0620", "gid=5", NULL});
	if (!user_mount_at(in, "/dev/shm")) {
		json_object *shm = ctr_member(in->host, "ShmSize");
		long long size = shm ? json_object_get_int64(shm) : 0;
		char sz[64];
		snprintf(sz, sizeof(sz), "size=%lld", size > 0 ? size : 67108864LL);
		add_mount(
		    mounts, "/dev/shm", "tmpfs", "shm",
		    (const char *const[]){"nosuid", "noexec", "nodev", "mode=1777", sz, NULL});
	}
	if (!host_ipc)
		add_mount(mounts, "/dev/mqueue", "mqueue", "mqueue",
			  (const char *const[]){"nosuid", "noexec", "nodev", NULL});
	const char *ro = privileged ? "rw" : "ro";
	if (host_net)
		/* Without a network namespace of our own the kernel refuses a
		 * fresh sysfs; the host's, bound read-only, is what runc and
		 * crun use too. */
		add_mount(mounts, "/sys", "bind", "/sys",
			  (const char *const[]){"rbind", "nosuid", "noexec", "nodev", ro, NULL});
	else
		add_mount(mounts, "/sys", "sysfs", "sysfs",
			  (const char *const[]){"nosuid", "noexec", "nodev", ro, NULL});
	add_mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup",
		  (const char *const[]){"nosuid", "noexec", "nodev", "relatime", ro, NULL});

	static const char *const etc_files[] = {"resolv.conf", "hostname", "hosts"};
	for (size_t i = 0; i < 3; i++) {
		char dst[64], src[4200];
		snprintf(dst, sizeof(dst), "/etc/%s", etc_files[i]);
		if (user_mount_at(in, dst))
			continue;
		snprintf(src, sizeof(src), "%s/%s", in->dir, etc_files[i]);
		add_mount(mounts, dst, "bind", src,
			  readonly_root ? (const char *const[]){"rbind", "rprivate", "ro", NULL}
					: (const char *const[]){"rbind", "rprivate", NULL});
	}

	const struct ctr_mount **sorted = calloc(in->n_mounts + 1, sizeof(*sorted));
	if (sorted == NULL)
		abort();
	for (size_t i = 0; i < in->n_mounts; i++)
		sorted[i] = &in->mounts[i];
	sort_by_depth(sorted, in->n_mounts);
	for (size_t i = 0; i < in->n_mounts; i++)
		json_object_array_add(mounts, ctr_mount_oci(sorted[i]));
	free(sorted);

	if (in->init_path != NULL)
		add_mount(mounts, "/dev/init", "bind", in->init_path,
			  (const char *const[]){"bind", "ro", NULL});
	return mounts;
}

static void add_namespace(json_object *list, const char *type)
{
	json_object *ns = json_object_new_object();
	json_object_object_add(ns, "type", json_object_new_string(type));
	json_object_array_add(list, ns);
}

static json_object *id_mapping(uint32_t host_id)
{
	json_object *a = json_object_new_array(), *m = json_object_new_object();
	json_object_object_add(m, "containerID", json_object_new_int(0));
	json_object_object_add(m, "hostID", json_object_new_int64(host_id));
	json_object_object_add(m, "size", json_object_new_int(1));
	json_object_array_add(a, m);
	return a;
}

static json_object *build_process(const struct ctr_spec_input *in, hutch_error *err)
{
	json_object *p = json_object_new_object();
	bool tty = ctr_member_bool(in->config, "Tty");
	json_object_object_add(p, "terminal", json_object_new_boolean(tty));
	json_object *cs = ctr_member(in->host, "ConsoleSize");
	if (tty && cs != NULL && json_object_get_int64(json_object_array_get_idx(cs, 0)) > 0 &&
	    json_object_get_int64(json_object_array_get_idx(cs, 1)) > 0) {
		json_object *size = json_object_new_object();
		json_object_object_add(size, "height",
				       json_object_get(json_object_array_get_idx(cs, 0)));
		json_object_object_add(size, "width",
				       json_object_get(json_object_array_get_idx(cs, 1)));
		json_object_object_add(p, "consoleSize", size);
	}

	json_object *user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int64(in->user->uid));
	json_object_object_add(user, "gid", json_object_new_int64(in->user->gid));
	if (in->user->n_groups > 0) {
		json_object *g = json_object_new_array();
		for (size_t i = 0; i < in->user->n_groups; i++)
			json_object_array_add(g, json_object_new_int64(in->user->groups[i]));
		json_object_object_add(user, "additionalGids", g);
	}
	json_object_object_add(p, "user", user);

	json_object *args = json_object_new_array();
	if (in->init_path != NULL) {
		json_object_array_add(args, json_object_new_string("/dev/init"));
		json_object_array_add(args, json_object_new_string("--"));
	}
	for (size_t i = 0; in->argv[i] != NULL; i++)
		json_object_array_add(args, json_object_new_string(in->argv[i]));
	json_object_object_add(p, "args", args);
	json_object_object_add(p, "env", ctr_strv_json(in->env));
	const char *wd = ctr_member_string(in->config, "WorkingDir");
	json_object_object_add(p, "cwd", json_object_new_string(wd[0] ? wd : "/"));

	json_object *caps = json_object_new_object();
	json_object_object_add(caps, "bounding", ctr_strv_json(in->caps));
	json_object_object_add(caps, "effective", ctr_strv_json(in->caps));
	json_object_object_add(caps, "permitted", ctr_strv_json(in->caps));
	json_object_object_add(p, "capabilities", caps);

	json_object *rlimits = NULL;
	if (ctr_rlimits_build(ctr_member(in->host, "Ulimits"), &rlimits, err) < 0) {
		json_object_put(p);
		return NULL;
	}
	if (json_object_array_length(rlimits) > 0)
		json_object_object_add(p, "rlimits", rlimits);
	else
		json_object_put(rlimits);
	json_object_object_add(p, "noNewPrivileges",
			       json_object_new_boolean(in->security.no_new_privileges));
	json_object *oom = ctr_member(in->host, "OomScoreAdj");
	if (oom != NULL && json_object_get_int64(oom) != 0) {
		int64_t v = json_object_get_int64(oom);
		if (v < -1000 || v > 1000) {
			json_object_put(p);
			hutch_fail_plain(
			    err, EINVAL,
			    "Invalid value %lld, range for oom score adj is [-1000, 1000]",
			    (long long)v);
			return NULL;
		}
		json_object_object_add(p, "oomScoreAdj", json_object_new_int64(v));
	}
	return p;
}

/* A HostConfig list that replaces a default list when given. */
static json_object *paths_or_default(json_object *given, const char *const *dflt, size_t n)
{
	if (given == NULL)
		return list_json(dflt, n);
	json_object *copy = NULL;
	if (json_object_deep_copy(given, &copy, NULL) < 0)
		abort();
	return copy;
}

int ctr_spec_build(const struct ctr_spec_input *in, json_object **out, hutch_error *err)
{
	json_object *resources = in->resources;
	bool privileged = ctr_member_bool(in->host, "Privileged");
	json_object *spec = json_object_new_object();
	json_object_object_add(spec, "ociVersion", json_object_new_string(OCI_VERSION));
	json_object *process = build_process(in, err);
	if (process == NULL) {
		json_object_put(spec);
		json_object_put(resources);
		return -1;
	}
	json_object_object_add(spec, "process", process);

	json_object *root = json_object_new_object();
	json_object_object_add(root, "path", json_object_new_string(in->rootfs));
	json_object_object_add(
	    root, "readonly", json_object_new_boolean(ctr_member_bool(in->host, "ReadonlyRootfs")));
	json_object_object_add(spec, "root", root);

	bool own_uts = strcmp(ctr_member_string(in->host, "UTSMode"), "host") != 0;
	if (own_uts) {
		json_object_object_add(spec, "hostname", json_object_new_string(in->hostname));
		const char *domain = ctr_member_string(in->config, "Domainname");
		if (domain[0] != '\0')
			json_object_object_add(spec, "domainname", json_object_new_string(domain));
	}
	json_object_object_add(spec, "mounts", build_mounts(in));

	json_object *annotations = ctr_member(in->host, "Annotations");
	if (annotations != NULL)
		json_object_object_add(spec, "annotations", json_object_get(annotations));

	json_object *lx = json_object_new_object();
	json_object *ns = json_object_new_array();
	if (strcmp(ctr_member_string(in->host, "PidMode"), "host") != 0)
		add_namespace(ns, "pid");
	add_namespace(ns, "mount");
	if (strcmp(ctr_member_string(in->host, "IpcMode"), "host") != 0)
		add_namespace(ns, "ipc");
	if (own_uts)
		add_namespace(ns, "uts");
	if (strcmp(in->network, "host") != 0)
		add_namespace(ns, "network");
	if (strcmp(ctr_member_string(in->host, "CgroupnsMode"), "host") != 0)
		add_namespace(ns, "cgroup");
	if (in->userns) {
		add_namespace(ns, "user");
		json_object_object_add(lx, "uidMappings", id_mapping(in->host_uid));
		json_object_object_add(lx, "gidMappings", id_mapping(in->host_gid));
	}
	json_object_object_add(lx, "namespaces", ns);

	json_object *devices = NULL;
	if (ctr_devices_build(ctr_member(in->host, "Devices"), &devices, err) < 0) {
		json_object_put(spec);
		json_object_put(lx);
		json_object_put(resources);
		return -1;
	}
	if (json_object_array_length(devices) > 0)
		json_object_object_add(lx, "devices", devices);
	else
		json_object_put(devices);
	if (resources != NULL)
		json_object_object_add(lx, "resources", resources);

	json_object *sysctls = ctr_member(in->host, "Sysctls");
	if (sysctls != NULL && json_object_object_length(sysctls) > 0)
		json_object_object_add(lx, "sysctl", json_object_get(sysctls));

	if (!privileged && !systempaths_unconfined(in->host)) {
		json_object_object_add(
		    lx, "maskedPaths",
		    paths_or_default(ctr_member(in->host, "MaskedPaths"), masked_paths,
				     sizeof(masked_paths) / sizeof(masked_paths[0])));
		json_object_object_add(
		    lx, "readonlyPaths",
		    paths_or_default(ctr_member(in->host, "ReadonlyPaths"), readonly_paths,
				     sizeof(readonly_paths) / sizeof(readonly_paths[0])));
	}
	if (!privileged && !in->security.seccomp_unconfined)
		json_object_object_add(
		    lx, "seccomp",
		    in->security.seccomp_profile
			? seccomp_profile_to_oci(in->security.seccomp_profile, in->caps)
			: seccomp_default_profile(in->caps));
	json_object_object_add(spec, "linux", lx);
	*out = spec;
	return 0;
}
