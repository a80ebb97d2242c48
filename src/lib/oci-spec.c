/* Documents hutch writes rather than reads: the default config of
 * `hutch-oci spec [--rootless]` (the same shape as `runc spec`, so bundles
 * made for one runtime work with the other) and the runtime-spec
 * "features" document of `hutch-oci features`. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap-names.h"
#include "oci-config-internal.h"
#include "oci-config.h"
#include "rootfs.h"
#include "seccomp.h"

static json_object *strv_json(const char *const *v)
{
	json_object *arr = json_object_new_array();
	for (; *v != NULL; v++)
		json_object_array_add(arr, json_object_new_string(*v));
	return arr;
}

static void add_string(json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, json_object_new_string(value));
}

/* A mount entry; options is NULL-terminated, NULL for none. */
static json_object *mount_json(const char *destination, const char *type, const char *source,
			       const char *const *options)
{
	json_object *m = json_object_new_object();
	add_string(m, "destination", destination);
	add_string(m, "type", type);
	add_string(m, "source", source);
	if (options != NULL)
		json_object_object_add(m, "options", strv_json(options));
	return m;
}

static json_object *id_mapping_json(uint32_t container_id, uint32_t host_id, uint32_t size)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "containerID", json_object_new_int64(container_id));
	json_object_object_add(m, "hostID", json_object_new_int64(host_id));
	json_object_object_add(m, "size", json_object_new_int64(size));
	return m;
}

static json_object *default_process(void)
{
	static const char *const args[] = {"sh", NULL};
	static const char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
	    NULL};
	/* The three capabilities runc's default spec keeps: enough for a
	 * shell, nothing that reaches outside the container. */
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	json_object *p = json_object_new_object();
	json_object_object_add(p, "terminal", json_object_new_boolean(1));
	json_object *user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int(0));
	json_object_object_add(user, "gid", json_object_new_int(0));
	json_object_object_add(p, "user", user);
	json_object_object_add(p, "args", strv_json(args));
	json_object_object_add(p, "env", strv_json(env));
	add_string(p, "cwd", "/");
	json_object *c = json_object_new_object();
	json_object_object_add(c, "bounding", strv_json(caps));
	json_object_object_add(c, "effective", strv_json(caps));
	json_object_object_add(c, "permitted", strv_json(caps));
	json_object_object_add(c, "ambient", strv_json(caps));
	json_object_object_add(p, "capabilities", c);
	json_object *nofile = json_object_new_object();
	add_string(nofile, "type", "RLIMIT_NOFILE");
	json_object_object_add(nofile, "hard", json_object_new_int(1024));
	json_object_object_add(nofile, "soft", json_object_new_int(1024));
	json_object *rlimits = json_object_new_array();
	json_object_array_add(rlimits, nofile);
	json_object_object_add(p, "rlimits", rlimits);
	json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(1));
	return p;
}

static json_object *default_mounts(bool rootless)
{
	static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	static const char *const devpts[] = {"nosuid",	  "noexec", "newinstance", "ptmxmode=0666",
					     "mode=0620", "gid=5",  NULL};
	/* In a user namespace gid 5 is usually unmapped and the kernel
	 * refuses the mount. */
	static const char *const devpts_rootless[] = {"nosuid",	       "noexec",    "newinstance",
						      "ptmxmode=0666", "mode=0620", NULL};
	static const char *const shm[] = {"nosuid",    "noexec",      "nodev",
					  "mode=1777", "size=65536k", NULL};
	static const char *const mqueue[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sysfs[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	/* A user namespace that does not own the network namespace may not
	 * mount sysfs, so a rootless spec binds the host's /sys instead. */
	static const char *const sys_bind[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const cgroup[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};

	json_object *m = json_object_new_array();
	json_object_array_add(m, mount_json("/proc", "proc", "proc", NULL));
	json_object_array_add(m, mount_json("/dev", "tmpfs", "tmpfs", dev));
	json_object_array_add(
	    m, mount_json("/dev/pts", "devpts", "devpts", rootless ? devpts_rootless : devpts));
	json_object_array_add(m, mount_json("/dev/shm", "tmpfs", "shm", shm));
	json_object_array_add(m, mount_json("/dev/mqueue", "mqueue", "mqueue", mqueue));
	if (rootless)
		json_object_array_add(m, mount_json("/sys", "none", "/sys", sys_bind));
	else
		json_object_array_add(m, mount_json("/sys", "sysfs", "sysfs", sysfs));
	json_object_array_add(m, mount_json("/sys/fs/cgroup", "cgroup", "cgroup", cgroup));
	return m;
}

static json_object *default_linux(bool rootless, uint32_t uid, uint32_t gid)
{
	static const char *const masked[] = {"/proc/acpi",
					     "/proc/asound",
					     "/proc/kcore",
					     "/proc/keys",
					     "/proc/latency_stats",
					     "/proc/timer_list",
					     "/proc/timer_stats",
					     "/proc/sched_debug",
					     "/sys/firmware",
					     "/proc/scsi",
					     NULL};
	static const char *const readonly[] = {
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
	json_object *l = json_object_new_object();

	if (!rootless) {
		/* Deny every device by default, as runc's spec does; the
		 * default devices are allowed by the runtime itself. */
		json_object *deny = json_object_new_object();
		json_object_object_add(deny, "allow", json_object_new_boolean(0));
		add_string(deny, "access", "rwm");
		json_object *devices = json_object_new_array();
		json_object_array_add(devices, deny);
		json_object *resources = json_object_new_object();
		json_object_object_add(resources, "devices", devices);
		json_object_object_add(l, "resources", resources);
	}

	json_object *ns = json_object_new_array();
	/* The set and order of runc 1.1's spec, the reference runtime on
	 * Debian 12. */
	static const enum oci_namespace_type types[] = {OCI_NS_PID, OCI_NS_NETWORK, OCI_NS_IPC,
							OCI_NS_UTS, OCI_NS_MOUNT};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		/* Without root the container shares the host's network
		 * (hutch-slirp gives it its own when asked). */
		if (rootless && types[i] == OCI_NS_NETWORK)
			continue;
		json_object *entry = json_object_new_object();
		add_string(entry, "type", oci_namespace_type_name(types[i]));
		json_object_array_add(ns, entry);
	}
	if (rootless) {
		json_object *user = json_object_new_object();
		add_string(user, "type", "user");
		json_object_array_add(ns, user);
		json_object *uids = json_object_new_array();
		json_object_array_add(uids, id_mapping_json(0, uid, 1));
		json_object *gids = json_object_new_array();
		json_object_array_add(gids, id_mapping_json(0, gid, 1));
		json_object_object_add(l, "uidMappings", uids);
		json_object_object_add(l, "gidMappings", gids);
	}
	json_object_object_add(l, "namespaces", ns);
	json_object_object_add(l, "maskedPaths", strv_json(masked));
	json_object_object_add(l, "readonlyPaths", strv_json(readonly));
	return l;
}

json_object *oci_spec_default(bool rootless, uint32_t uid, uint32_t gid)
{
	json_object *spec = json_object_new_object();
	add_string(spec, "ociVersion", OCI_VERSION);
	json_object_object_add(spec, "process", default_process());
	json_object *root = json_object_new_object();
	add_string(root, "path", "rootfs");
	json_object_object_add(root, "readonly", json_object_new_boolean(1));
	json_object_object_add(spec, "root", root);
	add_string(spec, "hostname", "hutch");
	json_object_object_add(spec, "mounts", default_mounts(rootless));
	json_object_object_add(spec, "linux", default_linux(rootless, uid, gid));
	return spec;
}

/* Copy the list "key" of from into to, keeping the names the parser accepts. */
static void add_known_names(json_object *to, json_object *from, const char *key,
			    bool (*known)(const char *))
{
	json_object *names = NULL;
	json_object *kept = json_object_new_array();
	if (json_object_object_get_ex(from, key, &names) &&
	    json_object_is_type(names, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(names); i++) {
			const char *name =
			    json_object_get_string(json_object_array_get_idx(names, i));
			if (name != NULL && known(name))
				json_object_array_add(kept, json_object_new_string(name));
		}
	}
	json_object_object_add(to, key, kept);
}

/* What the seccomp code can do with this build of libseccomp, limited to
 * the names the config parser accepts: features promises only what a
 * config can really ask for. */
static json_object *features_seccomp(void)
{
	json_object *sec = json_object_new_object();
	json_object *lib = seccomp_features();
	json_object_object_add(sec, "enabled", json_object_new_boolean(lib != NULL));
	add_known_names(sec, lib, "actions", oci_seccomp_action_known);
	add_known_names(sec, lib, "operators", oci_seccomp_operator_known);
	add_known_names(sec, lib, "archs", oci_seccomp_arch_known);
	add_known_names(sec, lib, "knownFlags", oci_seccomp_flag_known);
	add_known_names(sec, lib, "supportedFlags", oci_seccomp_flag_known);
	if (lib != NULL)
		json_object_put(lib);
	return sec;
}

static json_object *features_linux(void)
{
	json_object *l = json_object_new_object();
	json_object *ns = json_object_new_array();
	for (int t = 0; t < OCI_NS_COUNT; t++)
		json_object_array_add(ns, json_object_new_string(oci_namespace_type_name(t)));
	json_object_object_add(l, "namespaces", ns);
	json_object_object_add(l, "capabilities", strv_json(hutch_cap_names));

	/* Limits apply on a delegated cgroup v2 tree only; v1 and hybrid
	 * hosts run containers without a cgroup (see cgroups.h). */
	json_object *cg = json_object_new_object();
	json_object_object_add(cg, "v1", json_object_new_boolean(0));
	json_object_object_add(cg, "v2", json_object_new_boolean(1));
	json_object_object_add(cg, "systemd", json_object_new_boolean(0));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
	json_object_object_add(cg, "rdma", json_object_new_boolean(0));
	json_object_object_add(l, "cgroup", cg);

	json_object_object_add(l, "seccomp", features_seccomp());

	json_object *off = json_object_new_object();
	json_object_object_add(off, "enabled", json_object_new_boolean(0));
	json_object_object_add(l, "apparmor", off);
	off = json_object_new_object();
	json_object_object_add(off, "enabled", json_object_new_boolean(0));
	json_object_object_add(l, "selinux", off);
	off = json_object_new_object();
	json_object_object_add(off, "enabled", json_object_new_boolean(0));
	json_object_object_add(l, "intelRdt", off);

	json_object *idmap = json_object_new_object();
	json_object_object_add(idmap, "enabled", json_object_new_boolean(1));
	json_object *ext = json_object_new_object();
	json_object_object_add(ext, "idmap", idmap);
	json_object_object_add(l, "mountExtensions", ext);
	return l;
}

json_object *oci_features(void)
{
	json_object *f = json_object_new_object();
	add_string(f, "ociVersionMin", "1.0.0");
	add_string(f, "ociVersionMax", OCI_VERSION);
	json_object *hooks = json_object_new_array();
	for (int k = 0; k < OCI_HOOK_KIND_COUNT; k++)
		json_object_array_add(hooks, json_object_new_string(oci_hook_kind_name(k)));
	json_object_object_add(f, "hooks", hooks);
	/* The words the mount code knows, besides the filesystem-specific
	 * data it passes on. */
	json_object *mount_options = json_object_new_array();
	for (size_t i = 0; mount_option_name(i) != NULL; i++)
		json_object_array_add(mount_options, json_object_new_string(mount_option_name(i)));
	json_object_object_add(f, "mountOptions", mount_options);
	json_object_object_add(f, "linux", features_linux());
	json_object *ann = json_object_new_object();
	add_string(ann, "org.hutch.runtime", PACKAGE_NAME);
	add_string(ann, "org.hutch.version", PACKAGE_VERSION);
	add_string(ann, "org.hutch.rootless", "true");
	json_object_object_add(f, "annotations", ann);
	return f;
}
