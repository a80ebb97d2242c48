/* Unit tests for the OCI config model: valid documents (a full runc-style
 * config, the specs hutch-oci writes) parse into the expected structs, and
 * every class of bad input is refused with a message naming its JSON path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "error.h"
#include "file-util.h"
#include "json-util.h"
#include "oci-config.h"
#include "rootfs.h"

#ifndef OCI_TEST_DATA
#error "OCI_TEST_DATA must name tests/unit/data/oci"
#endif

static json_object *parse_text(const char *text)
{
	hutch_error err = {0};
	json_object *o = NULL;
	if (json_parse_buffer(text, strlen(text), "test", &o, &err) < 0)
		fail_msg("test JSON does not parse: %s\n%s", err.msg, text);
	return o;
}

static struct oci_config *load_fixture(const char *name)
{
	hutch_error err = {0};
	_cleanup_free_ char *path = NULL;
	_cleanup_json_ json_object *doc = NULL;
	struct oci_config *cfg = NULL;
	assert_true(asprintf(&path, "%s/%s", OCI_TEST_DATA, name) > 0);
	if (json_read_file(path, &doc, &err) < 0)
		fail_msg("%s", err.msg);
	if (oci_config_parse(doc, &cfg, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
	return cfg;
}

static void test_full_runc_config(void **state)
{
	_cleanup_oci_config_ struct oci_config *cfg = load_fixture("runc-full.json");

	assert_string_equal(cfg->oci_version, "1.0.2-dev");
	assert_string_equal(cfg->root_path, "rootfs");
	assert_true(cfg->root_readonly);
	assert_string_equal(cfg->hostname, "slartibartfast");
	assert_string_equal(cfg->domainname, "example.org");

	const struct oci_process *p = cfg->process;
	assert_non_null(p);
	assert_true(p->terminal);
	assert_true(p->has_console_size);
	assert_int_equal(p->console_height, 25);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 1000);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 3);
	assert_int_equal(p->user.additional_gids[2], 4294967294u);
	assert_string_equal(p->user.username, "alice");
	assert_int_equal(p->n_args, 3);
	assert_string_equal(p->args[2], "echo hello");
	assert_null(p->args[3]);
	assert_int_equal(p->n_env, 3);
	assert_string_equal(p->env[2], "EMPTY=");
	assert_null(p->env[3]);
	assert_string_equal(p->cwd, "/home/alice");
	assert_non_null(p->capabilities);
	assert_int_equal(p->capabilities->n_bounding, 3);
	assert_int_equal(p->capabilities->n_effective, 2);
	assert_non_null(p->capabilities->inheritable);
	assert_int_equal(p->capabilities->n_inheritable, 0);
	assert_null(p->capabilities->ambient);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_string_equal(p->apparmor_profile, "acme_secure_profile");
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_non_null(p->selinux_label);

	assert_int_equal(cfg->n_mounts, 5);
	assert_string_equal(cfg->mounts[0].destination, "/proc");
	assert_null(cfg->mounts[0].options);
	assert_int_equal(cfg->mounts[2].n_options, 6);
	assert_string_equal(cfg->mounts[2].options[5], "gid=5");
	assert_null(cfg->mounts[3].type);
	assert_string_equal(cfg->mounts[3].source, "/srv/data");
	assert_int_equal(cfg->mounts[4].n_uid_mappings, 1);
	assert_int_equal(cfg->mounts[4].gid_mappings[0].size, 65536);

	assert_int_equal(cfg->hooks.count[OCI_HOOK_PRESTART], 2);
	assert_int_equal(cfg->hooks.list[OCI_HOOK_PRESTART][0].n_args, 2);
	assert_string_equal(cfg->hooks.list[OCI_HOOK_PRESTART][0].env[0], "key1=value1");
	assert_false(cfg->hooks.list[OCI_HOOK_PRESTART][1].has_timeout);
	assert_int_equal(cfg->hooks.count[OCI_HOOK_CREATE_RUNTIME], 1);
	assert_true(cfg->hooks.list[OCI_HOOK_CREATE_RUNTIME][0].has_timeout);
	assert_int_equal(cfg->hooks.list[OCI_HOOK_CREATE_RUNTIME][0].timeout, 5);
	assert_int_equal(cfg->hooks.count[OCI_HOOK_CREATE_CONTAINER], 0);
	assert_null(cfg->hooks.list[OCI_HOOK_START_CONTAINER]);
	assert_int_equal(cfg->hooks.count[OCI_HOOK_POSTSTOP], 1);

	assert_non_null(cfg->annotations);
	assert_string_equal(
	    json_object_get_string(json_object_object_get(cfg->annotations, "com.example.key2")),
	    "value2");

	const struct oci_linux *l = &cfg->linux_cfg;
	assert_int_equal(l->n_namespaces, 7);
	const struct oci_namespace *net = oci_config_namespace(cfg, OCI_NS_NETWORK);
	assert_non_null(net);
	assert_string_equal(net->path, "/var/run/netns/neta");
	assert_null(oci_config_namespace(cfg, OCI_NS_PID)->path);
	assert_null(oci_config_namespace(cfg, OCI_NS_TIME));
	assert_int_equal(l->n_uid_mappings, 2);
	assert_int_equal(l->uid_mappings[1].host_id, 100000);
	assert_int_equal(l->n_gid_mappings, 1);
	assert_null(oci_config_namespace(cfg, OCI_NS_IPC)->path);
	assert_int_equal(l->n_devices, 4);
	assert_int_equal(l->devices[0].type, 'c');
	assert_int_equal(l->devices[0].major, 10);
	assert_int_equal(l->devices[0].minor, 229);
	assert_true(l->devices[0].has_file_mode);
	assert_int_equal(l->devices[0].file_mode, 0666);
	assert_true(l->devices[0].has_uid);
	assert_false(l->devices[1].has_file_mode);
	assert_int_equal(l->devices[2].type, 'p');
	/* st_mode copied whole: the type bits agree and are dropped. */
	assert_int_equal(l->devices[3].file_mode, 0666);
	assert_string_equal(l->cgroups_path, "/myRuntime/myContainer");
	assert_non_null(l->resources);
	assert_non_null(json_object_object_get(l->resources, "memory"));
	assert_int_equal(l->n_sysctl, 2);
	assert_string_equal(l->sysctl[0].key, "net.ipv4.ip_forward");
	assert_string_equal(l->sysctl[0].value, "1");

	const struct oci_seccomp *s = l->seccomp;
	assert_non_null(s);
	assert_string_equal(s->default_action, "SCMP_ACT_ERRNO");
	assert_true(s->has_default_errno_ret);
	assert_int_equal(s->default_errno_ret, 1);
	assert_int_equal(s->n_architectures, 3);
	assert_int_equal(s->n_flags, 1);
	assert_string_equal(s->listener_path, "/run/seccomp-agent.socket");
	assert_string_equal(s->listener_metadata, "opaque");
	assert_int_equal(s->n_syscalls, 4);
	assert_int_equal(s->syscalls[0].n_names, 2);
	assert_false(s->syscalls[0].has_errno_ret);
	assert_true(s->syscalls[1].has_errno_ret);
	assert_int_equal(s->syscalls[1].errno_ret, 13);
	assert_string_equal(s->syscalls[2].action, "SCMP_ACT_NOTIFY");
	assert_int_equal(s->syscalls[3].n_args, 2);
	assert_int_equal(s->syscalls[3].args[1].index, 1);
	assert_true(s->syscalls[3].args[1].value == UINT64_MAX);
	assert_int_equal(s->syscalls[3].args[1].value_two, 4);
	assert_string_equal(s->syscalls[3].args[1].op, "SCMP_CMP_MASKED_EQ");

	assert_string_equal(l->rootfs_propagation, "rslave");
	assert_int_equal(l->n_masked_paths, 2);
	assert_int_equal(l->n_readonly_paths, 2);
	assert_null(l->readonly_paths[2]);
	assert_non_null(l->mount_label);
	assert_non_null(l->personality);
}

static void test_empty_strings_mean_default(void **state)
{
	hutch_error err = {0};
	_cleanup_json_ json_object *doc = parse_text(
	    "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"rootfs\"},\"linux\":{"
	    "\"rootfsPropagation\":\"\",\"namespaces\":[{\"type\":\"mount\",\"path\":\"\"}]}}");
	_cleanup_oci_config_ struct oci_config *cfg = NULL;
	assert_int_equal(oci_config_parse(doc, &cfg, &err), 0);
	assert_null(cfg->linux_cfg.rootfs_propagation);
	assert_null(oci_config_namespace(cfg, OCI_NS_MOUNT)->path);
}

static void test_null_means_absent(void **state)
{
	hutch_error err = {0};
	_cleanup_json_ json_object *doc = parse_text(
	    "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"rootfs\",\"readonly\":null},"
	    "\"hostname\":null,\"mounts\":null,\"hooks\":{\"prestart\":[{\"path\":\"/h\","
	    "\"timeout\":null}]},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"oomScoreAdj\":"
	    "null,\"user\":{\"uid\":1,\"gid\":2,\"umask\":null}},\"linux\":{\"devices\":[{"
	    "\"path\":\"/dev/x\",\"type\":\"p\",\"fileMode\":null,\"uid\":null}],\"seccomp\":"
	    "null}}");
	_cleanup_oci_config_ struct oci_config *cfg = NULL;
	if (oci_config_parse(doc, &cfg, &err) < 0)
		fail_msg("%s", err.msg);
	assert_null(cfg->hostname);
	assert_int_equal(cfg->n_mounts, 0);
	assert_false(cfg->hooks.list[OCI_HOOK_PRESTART][0].has_timeout);
	assert_false(cfg->process->has_oom_score_adj);
	assert_false(cfg->process->user.has_umask);
	assert_false(cfg->linux_cfg.devices[0].has_file_mode);
	assert_false(cfg->linux_cfg.devices[0].has_uid);
	assert_null(cfg->linux_cfg.seccomp);
}

static void test_minimal_config_without_process(void **state)
{
	_cleanup_oci_config_ struct oci_config *cfg = load_fixture("minimal.json");
	assert_null(cfg->process);
	assert_false(cfg->root_readonly);
	assert_int_equal(cfg->n_mounts, 0);
	assert_null(cfg->mounts);
	assert_null(cfg->annotations);
	assert_int_equal(cfg->linux_cfg.n_namespaces, 0);
	assert_null(cfg->linux_cfg.seccomp);
	assert_null(cfg->linux_cfg.resources);
	assert_null(oci_config_namespace(cfg, OCI_NS_USER));
}

/* Serialise a generated spec to text and parse it back, as a bundle made
 * by `hutch-oci spec` is read by `hutch-oci create`. */
static struct oci_config *round_trip(json_object *spec)
{
	hutch_error err = {0};
	const char *text = json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PRETTY);
	_cleanup_json_ json_object *again = parse_text(text);
	struct oci_config *cfg = NULL;
	if (oci_config_parse(again, &cfg, &err) < 0)
		fail_msg("generated spec does not parse: %s", err.msg);
	return cfg;
}

static const struct oci_mount *find_mount(const struct oci_config *cfg, const char *dest)
{
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (strcmp(cfg->mounts[i].destination, dest) == 0)
			return &cfg->mounts[i];
	return NULL;
}

static bool has_option(const struct oci_mount *m, const char *prefix)
{
	for (size_t i = 0; i < m->n_options; i++)
		if (strncmp(m->options[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static void test_rootless_spec_round_trips(void **state)
{
	_cleanup_json_ json_object *spec = oci_spec_default(true, 1234, 5678);
	_cleanup_oci_config_ struct oci_config *cfg = round_trip(spec);

	assert_string_equal(cfg->oci_version, OCI_VERSION);
	assert_string_equal(cfg->root_path, "rootfs");
	assert_non_null(cfg->process);
	assert_string_equal(cfg->process->args[0], "sh");
	assert_true(cfg->process->terminal);
	assert_true(cfg->process->no_new_privileges);
	assert_non_null(oci_config_namespace(cfg, OCI_NS_USER));
	assert_non_null(oci_config_namespace(cfg, OCI_NS_MOUNT));
	assert_non_null(oci_config_namespace(cfg, OCI_NS_PID));
	assert_null(oci_config_namespace(cfg, OCI_NS_NETWORK));
	assert_int_equal(cfg->linux_cfg.n_uid_mappings, 1);
	assert_int_equal(cfg->linux_cfg.uid_mappings[0].container_id, 0);
	assert_int_equal(cfg->linux_cfg.uid_mappings[0].host_id, 1234);
	assert_int_equal(cfg->linux_cfg.uid_mappings[0].size, 1);
	assert_int_equal(cfg->linux_cfg.n_gid_mappings, 1);
	assert_int_equal(cfg->linux_cfg.gid_mappings[0].host_id, 5678);
	assert_null(cfg->linux_cfg.resources);

	const struct oci_mount *sys = find_mount(cfg, "/sys");
	assert_non_null(sys);
	assert_string_equal(sys->source, "/sys");
	assert_true(has_option(sys, "rbind"));
	assert_true(has_option(sys, "ro"));
	const struct oci_mount *pts = find_mount(cfg, "/dev/pts");
	assert_non_null(pts);
	assert_false(has_option(pts, "gid="));
	assert_true(has_option(pts, "newinstance"));
}

static void test_default_spec_round_trips(void **state)
{
	_cleanup_json_ json_object *spec = oci_spec_default(false, 1234, 5678);
	_cleanup_oci_config_ struct oci_config *cfg = round_trip(spec);

	assert_null(oci_config_namespace(cfg, OCI_NS_USER));
	assert_non_null(oci_config_namespace(cfg, OCI_NS_NETWORK));
	assert_int_equal(cfg->linux_cfg.n_uid_mappings, 0);
	assert_non_null(cfg->linux_cfg.resources);
	const struct oci_mount *sys = find_mount(cfg, "/sys");
	assert_string_equal(sys->type, "sysfs");
	assert_true(has_option(find_mount(cfg, "/dev/pts"), "gid=5"));
	assert_true(cfg->linux_cfg.n_masked_paths > 0);
	assert_true(cfg->linux_cfg.n_readonly_paths > 0);
}

static bool array_contains(json_object *arr, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
			return true;
	return false;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("features: no \"%s\"", key);
	return v;
}

static void test_features_document(void **state)
{
	_cleanup_json_ json_object *f = oci_features();
	assert_string_equal(json_object_get_string(member(f, "ociVersionMin")), "1.0.0");
	assert_string_equal(json_object_get_string(member(f, "ociVersionMax")), OCI_VERSION);
	json_object *hooks = member(f, "hooks");
	assert_int_equal(json_object_array_length(hooks), OCI_HOOK_KIND_COUNT);
	assert_true(array_contains(hooks, "createRuntime"));
	assert_true(array_contains(member(f, "mountOptions"), "rbind"));
	json_object *l = member(f, "linux");
	assert_true(array_contains(member(l, "namespaces"), "user"));
	assert_true(array_contains(member(l, "namespaces"), "time"));
	assert_true(array_contains(member(l, "capabilities"), "CAP_SYS_ADMIN"));
	assert_true(json_object_get_boolean(member(member(l, "cgroup"), "v2")));
	json_object *sec = member(l, "seccomp");
	assert_true(json_object_get_boolean(member(sec, "enabled")));
	assert_true(array_contains(member(sec, "actions"), "SCMP_ACT_NOTIFY"));
	assert_true(array_contains(member(sec, "operators"), "SCMP_CMP_MASKED_EQ"));
	assert_true(array_contains(member(sec, "archs"), "SCMP_ARCH_X86_64"));
	assert_false(json_object_get_boolean(member(member(l, "apparmor"), "enabled")));
	assert_false(json_object_get_boolean(member(member(l, "selinux"), "enabled")));
	assert_true(json_object_get_boolean(
	    member(member(member(l, "mountExtensions"), "idmap"), "enabled")));
	json_object *ann = member(f, "annotations");
	assert_string_equal(json_object_get_string(member(ann, "org.hutch.runtime")), "hutch");
}

static json_object *base_with(const char *key, const char *value);

/* features must not promise a mount option the mount code would pass to
 * the filesystem as unknown data, nor a propagation it cannot set. */
static void test_features_match_the_mount_code(void **state)
{
	hutch_error err = {0};
	_cleanup_json_ json_object *f = oci_features();
	json_object *opts = member(f, "mountOptions");
	assert_true(json_object_array_length(opts) > 10);
	for (size_t i = 0; i < json_object_array_length(opts); i++) {
		char *word = (char *)json_object_get_string(json_object_array_get_idx(opts, i));
		struct mount_options mo = {0};
		if (mount_options_parse(&word, 1, &mo, &err) < 0)
			fail_msg("mount option %s: %s", word, err.msg);
		if (mo.data != NULL)
			fail_msg("mount option %s is not known to the mount code", word);
		mount_options_free(&mo);
	}
	static const char *const propagations[] = {"private",	 "rprivate",   "shared",
						   "rshared",	 "slave",      "rslave",
						   "unbindable", "runbindable"};
	for (size_t i = 0; i < sizeof(propagations) / sizeof(propagations[0]); i++) {
		unsigned long flags = 0;
		_cleanup_json_ json_object *doc = base_with("linux", "{}");
		json_object_object_add(json_object_object_get(doc, "linux"), "rootfsPropagation",
				       json_object_new_string(propagations[i]));
		_cleanup_oci_config_ struct oci_config *cfg = NULL;
		assert_int_equal(oci_config_parse(doc, &cfg, &err), 0);
		if (rootfs_propagation_parse(cfg->linux_cfg.rootfs_propagation, &flags, &err) < 0)
			fail_msg("%s", err.msg);
		assert_int_not_equal(flags, 0);
	}
}

/* The smallest valid config with a process; each bad case replaces one
 * top-level member of it (or removes it when value is NULL). */
static const char base_config[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
				  "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}";

struct bad_case {
	const char *key;
	const char *value; /* JSON text, NULL to remove key */
	const char *message;
};

static const struct bad_case bad_cases[] = {
    /* top level and root */
    {"ociVersion", NULL, "ociVersion: missing required field"},
    {"ociVersion", "\"2.0.0\"", "ociVersion: unsupported version \"2.0.0\" (expected 1.x)"},
    {"ociVersion", "\"1.x\"", "ociVersion: unsupported version \"1.x\" (expected 1.x)"},
    {"ociVersion", "1", "ociVersion: expected a string"},
    {"root", NULL, "root: missing required field"},
    {"root", "{\"readonly\":true}", "root.path: missing required field"},
    {"root", "{\"path\":\"\"}", "root.path: must not be empty"},
    {"root", "{\"path\":\"r\",\"readonly\":\"yes\"}", "root.readonly: expected true or false"},
    {"root", "\"rootfs\"", "root: expected an object"},
    {"hostname", "7", "hostname: expected a string"},
    {"annotations", "{\"a\":\"x\",\"b\":1}", "annotations.b: expected a string"},
    /* process */
    {"process", "[]", "process: expected an object"},
    {"process", "{\"cwd\":\"/\"}", "process.args: missing required field"},
    {"process", "{\"args\":[],\"cwd\":\"/\"}", "process.args: must not be empty"},
    {"process", "{\"args\":\"sh\",\"cwd\":\"/\"}", "process.args: expected an array"},
    {"process", "{\"args\":[\"sh\",2],\"cwd\":\"/\"}", "process.args[1]: expected a string"},
    {"process", "{\"args\":[\"\"],\"cwd\":\"/\"}", "process.args[0]: must name a program"},
    {"process", "{\"args\":[\"sh\"]}", "process.cwd: missing required field"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"tmp\"}",
     "process.cwd: must be an absolute path, got \"tmp\""},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"A=1\",\"NOVALUE\"]}",
     "process.env[1]: \"NOVALUE\" is not of the form NAME=VALUE"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"terminal\":1}",
     "process.terminal: expected true or false"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"consoleSize\":{\"height\":1}}",
     "process.consoleSize.width: missing required field"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":-1,\"gid\":0}}",
     "process.user.uid: -1 is out of range 0..4294967295"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0}}",
     "process.user.gid: missing required field"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,\"umask\":512}}",
     "process.user.umask: 512 is not a file mode (0 to 0777)"},
    {"process",
     "{\"args\":[\"sh\"],\"cwd\":\"/"
     "\",\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,\"x\"]}}",
     "process.user.additionalGids[1]: expected an integer"},
    {"process",
     "{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[-3]}}",
     "process.user.additionalGids[0]: -3 is not a valid gid"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"cap_kill\"]}}",
     "process.capabilities.bounding[0]: \"cap_kill\" is not a capability name (CAP_...)"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"ambient\":\"CAP_KILL\"}}",
     "process.capabilities.ambient: expected an array"},
    {"process",
     "{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,"
     "\"hard\":1}]}",
     "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
    {"process",
     "{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,"
     "\"hard\":1}]}",
     "process.rlimits[0]: soft limit 2 is above the hard limit 1"},
    {"process",
     "{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":-1,"
     "\"hard\":1}]}",
     "process.rlimits[0].soft: -1 must not be negative"},
    {"process",
     "{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1}]}",
     "process.rlimits[0].hard: missing required field"},
    {"process",
     "{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,"
     "\"hard\":1},{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":2}]}",
     "process.rlimits[1].type: RLIMIT_NOFILE is already set by process.rlimits[0]"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"rlimits\":[\"RLIMIT_NOFILE\"]}",
     "process.rlimits[0]: expected an object"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"oomScoreAdj\":1001}",
     "process.oomScoreAdj: 1001 is out of range -1000..1000"},
    {"process", "{\"args\":[\"sh\"],\"cwd\":\"/\",\"oomScoreAdj\":\"low\"}",
     "process.oomScoreAdj: expected an integer"},
    /* mounts */
    {"mounts", "{}", "mounts: expected an array"},
    {"mounts", "[1]", "mounts[0]: expected an object"},
    {"mounts", "[{\"type\":\"proc\"}]", "mounts[0].destination: missing required field"},
    {"mounts",
     "[{\"destination\":\"/proc\",\"type\":\"proc\"},{\"destination\":\"/a\"},"
     "{\"destination\":\"/b\"},{\"destination\":\"relative\"}]",
     "mounts[3].destination: must be an absolute path, got \"relative\""},
    {"mounts", "[{\"destination\":\"/a\",\"options\":[\"ro\",1]}]",
     "mounts[0].options[1]: expected a string"},
    {"mounts",
     "[{\"destination\":\"/a\",\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]",
     "mounts[0]: uidMappings and gidMappings must be given together"},
    {"mounts",
     "[{\"destination\":\"/a\",\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":0}]}]",
     "mounts[0].uidMappings[0].size: must be greater than 0"},
    /* hooks */
    {"hooks", "[]", "hooks: expected an object"},
    {"hooks", "{\"prestart\":[{\"path\":\"hook\"}]}",
     "hooks.prestart[0].path: must be an absolute path, got \"hook\""},
    {"hooks", "{\"createRuntime\":[{\"args\":[\"x\"]}]}",
     "hooks.createRuntime[0].path: missing required field"},
    {"hooks", "{\"poststop\":[{\"path\":\"/bin/true\"},{\"path\":\"/bin/true\",\"timeout\":-1}]}",
     "hooks.poststop[1].timeout: must be a positive number of seconds, got -1"},
    {"hooks", "{\"poststart\":[{\"path\":\"/bin/true\",\"timeout\":0}]}",
     "hooks.poststart[0].timeout: must be a positive number of seconds, got 0"},
    {"hooks", "{\"prestart\":[{\"path\":\"/bin/true\",\"env\":[\"=x\"]}]}",
     "hooks.prestart[0].env[0]: \"=x\" is not of the form NAME=VALUE"},
    {"hooks", "{\"startContainer\":{\"path\":\"/bin/true\"}}",
     "hooks.startContainer: expected an array"},
    /* linux: namespaces and id mappings */
    {"linux", "[]", "linux: expected an object"},
    {"linux", "{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"foo\"}]}",
     "linux.namespaces[2].type: unknown namespace type \"foo\""},
    {"linux", "{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}",
     "linux.namespaces[1].type: namespace \"pid\" is already listed at linux.namespaces[0]"},
    {"linux", "{\"namespaces\":[{\"type\":1}]}", "linux.namespaces[0].type: expected a string"},
    {"linux", "{\"namespaces\":[{\"path\":\"/proc/1/ns/net\"}]}",
     "linux.namespaces[0].type: missing required field"},
    {"linux", "{\"namespaces\":[{\"type\":\"network\",\"path\":\"proc/1/ns/net\"}]}",
     "linux.namespaces[0].path: must be an absolute path, got \"proc/1/ns/net\""},
    {"linux", "{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":0}]}",
     "linux.uidMappings[0].size: must be greater than 0"},
    {"linux", "{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000}]}",
     "linux.uidMappings[0].size: missing required field"},
    {"linux",
     "{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10},"
     "{\"containerID\":5,\"hostID\":2000,\"size\":10}]}",
     "linux.uidMappings[1]: container ids 5-14 overlap entry 0 (0-9)"},
    {"linux",
     "{\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10},"
     "{\"containerID\":10,\"hostID\":1000,\"size\":1}]}",
     "linux.gidMappings[1]: host ids 1000-1000 overlap entry 0 (1000-1009)"},
    {"linux", "{\"uidMappings\":[{\"containerID\":4294967295,\"hostID\":0,\"size\":2}]}",
     "linux.uidMappings[0]: range goes beyond the largest id 4294967295"},
    /* linux: devices, sysctl, paths */
    {"linux", "{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"x\",\"major\":1,\"minor\":1}]}",
     "linux.devices[0].type: unknown device type \"x\" (expected c, b, u or p)"},
    {"linux", "{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"cb\",\"major\":1,\"minor\":1}]}",
     "linux.devices[0].type: unknown device type \"cb\" (expected c, b, u or p)"},
    {"linux", "{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"minor\":1}]}",
     "linux.devices[0]: a 'c' device needs major and minor"},
    {"linux", "{\"devices\":[{\"path\":\"dev/x\",\"type\":\"p\"}]}",
     "linux.devices[0].path: must be an absolute path, got \"dev/x\""},
    {"linux",
     "{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":1,"
     "\"fileMode\":70000}]}",
     "linux.devices[0].fileMode: 70000 is not a permission mode (0 to 07777)"},
    {"linux",
     "{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"b\",\"major\":1,\"minor\":1,"
     "\"fileMode\":8630}]}",
     "linux.devices[0].fileMode: 8630 is not a permission mode (0 to 07777)"},
    {"linux", "{\"sysctl\":{\"net.ipv4.ip_forward\":1}}",
     "linux.sysctl.net.ipv4.ip_forward: expected a string"},
    {"linux", "{\"sysctl\":{\"../../etc/passwd\":\"x\"}}",
     "linux.sysctl: \"../../etc/passwd\" is not a sysctl name"},
    {"linux", "{\"rootfsPropagation\":\"sideways\"}",
     "linux.rootfsPropagation: unknown propagation \"sideways\""},
    {"linux", "{\"maskedPaths\":[\"/proc/kcore\",\"proc/keys\"]}",
     "linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\""},
    {"linux", "{\"readonlyPaths\":[\"sys\"]}",
     "linux.readonlyPaths[0]: must be an absolute path, got \"sys\""},
    {"linux", "{\"resources\":[]}", "linux.resources: expected an object"},
    {"linux", "{\"cgroupsPath\":false}", "linux.cgroupsPath: expected a string"},
    /* linux: seccomp */
    {"linux", "{\"seccomp\":{}}", "linux.seccomp.defaultAction: missing required field"},
    {"linux", "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_FOO\"}}",
     "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_FOO\""},
    {"linux", "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/s\"}}",
     "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
    {"linux", "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}}",
     "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not "
     "SCMP_ACT_ALLOW"},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
     "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_Z80\"]}}",
     "linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_Z80\""},
    {"linux", "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"FAST\"]}}",
     "linux.seccomp.flags[0]: unknown seccomp flag \"FAST\""},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
     "\"action\":\"SCMP_ACT_NOPE\"}]}}",
     "linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_NOPE\""},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],"
     "\"action\":\"SCMP_ACT_ERRNO\"}]}}",
     "linux.seccomp.syscalls[0].names: must not be empty"},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\",\"\"],"
     "\"action\":\"SCMP_ACT_ERRNO\"}]}}",
     "linux.seccomp.syscalls[0].names[1]: must not be empty"},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
     "\"action\":\"SCMP_ACT_LOG\",\"errnoRet\":1}]}}",
     "linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, "
     "not SCMP_ACT_LOG"},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
     "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":"
     "\"SCMP_CMP_ABOUT\"}]}]}}",
     "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_ABOUT\""},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
     "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":"
     "\"SCMP_CMP_EQ\"}]}]}}",
     "linux.seccomp.syscalls[0].args[0].index: 6 is not in 0..5"},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
     "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}}",
     "linux.seccomp.syscalls[0].args[0].value: missing required field"},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
     "\"action\":\"SCMP_ACT_NOTIFY\"}]}}",
     "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY"},
    {"linux",
     "{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"agent.sock\"}}",
     "linux.seccomp.listenerPath: must be an absolute path, got \"agent.sock\""},
};

static json_object *base_with(const char *key, const char *value)
{
	json_object *doc = parse_text(base_config);
	if (value == NULL)
		json_object_object_del(doc, key);
	else {
		/* Wrapped in an array: json-c cannot tell where a bare number
		 * at the end of a buffer ends. */
		_cleanup_free_ char *wrapped = NULL;
		assert_true(asprintf(&wrapped, "[%s]", value) > 0);
		_cleanup_json_ json_object *arr = parse_text(wrapped);
		json_object_object_add(doc, key,
				       json_object_get(json_object_array_get_idx(arr, 0)));
	}
	return doc;
}

static void test_bad_configs_name_the_problem(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		hutch_error err = {0};
		struct oci_config *cfg = NULL;
		_cleanup_json_ json_object *doc = base_with(c->key, c->value);
		if (oci_config_parse(doc, &cfg, &err) == 0) {
			oci_config_free(cfg);
			fail_msg("case %zu (%s = %s) was accepted", i, c->key, c->value);
		}
		assert_null(cfg);
		if (strcmp(err.msg, c->message) != 0)
			fail_msg("case %zu (%s = %s):\n  got      %s\n  expected %s", i, c->key,
				 c->value, err.msg, c->message);
		assert_int_not_equal(err.errnum, 0);
	}
}

static void test_base_config_is_valid(void **state)
{
	/* Guards the table above: every case must fail for its own reason. */
	hutch_error err = {0};
	_cleanup_json_ json_object *doc = parse_text(base_config);
	_cleanup_oci_config_ struct oci_config *cfg = NULL;
	assert_int_equal(oci_config_parse(doc, &cfg, &err), 0);
	assert_int_equal(cfg->process->n_args, 1);
	assert_int_equal(cfg->process->user.uid, 0);
}

static void test_top_level_must_be_object(void **state)
{
	hutch_error err = {0};
	struct oci_config *cfg = NULL;
	_cleanup_json_ json_object *doc = parse_text("[1,2]");
	assert_int_equal(oci_config_parse(doc, &cfg, &err), -1);
	assert_string_equal(err.msg, "expected a JSON object at the top level");
}

/* A bundle directory in /tmp with the given config.json text. */
static char *make_bundle(const char *config)
{
	hutch_error err = {0};
	char *dir = strdup("/tmp/hutch-oci-config-XXXXXX");
	assert_non_null(mkdtemp(dir));
	if (config != NULL) {
		_cleanup_free_ char *path = NULL;
		assert_true(asprintf(&path, "%s/config.json", dir) > 0);
		if (write_file_atomic(path, config, strlen(config), 0644, &err) < 0)
			fail_msg("%s", err.msg);
	}
	return dir;
}

static void remove_bundle(char *dir)
{
	_cleanup_free_ char *path = NULL;
	assert_true(asprintf(&path, "%s/config.json", dir) > 0);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
}

static void test_load_from_bundle(void **state)
{
	hutch_error err = {0};
	char *dir = make_bundle(base_config);
	_cleanup_oci_config_ struct oci_config *cfg = NULL;
	assert_int_equal(oci_config_load(dir, &cfg, &err), 0);
	assert_string_equal(cfg->process->cwd, "/");
	remove_bundle(dir);
}

static void test_load_errors_start_with_the_file(void **state)
{
	hutch_error err = {0};
	struct oci_config *cfg = NULL;
	_cleanup_free_ char *expected = NULL;
	_cleanup_free_ char *truncated = NULL;
	size_t len = 0;

	/* Missing file: the errno survives for the caller's exit status. */
	char *dir = make_bundle(NULL);
	assert_int_equal(oci_config_load(dir, &cfg, &err), -1);
	assert_int_equal(err.errnum, ENOENT);
	assert_non_null(strstr(err.msg, "/config.json: No such file or directory"));
	assert_non_null(strstr(err.msg, dir));
	assert_int_equal(rmdir(dir), 0);
	free(dir);

	/* Malformed JSON. */
	_cleanup_free_ char *fixture = NULL;
	assert_true(asprintf(&fixture, "%s/truncated.json", OCI_TEST_DATA) > 0);
	assert_int_equal(read_file_all(fixture, 1 << 20, &truncated, &len, &err), 0);
	dir = make_bundle(truncated);
	assert_int_equal(oci_config_load(dir, &cfg, &err), -1);
	assert_true(
	    asprintf(&expected, "%s/config.json: invalid JSON: unexpected end of input", dir) > 0);
	assert_string_equal(err.msg, expected);
	remove_bundle(dir);
	free(steal_pointer(&expected));

	/* Valid JSON, invalid config. */
	dir = make_bundle("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},"
			  "\"linux\":{\"namespaces\":[{\"type\":\"foo\"}]}}");
	assert_int_equal(oci_config_load(dir, &cfg, &err), -1);
	assert_null(cfg);
	assert_true(asprintf(&expected,
			     "%s/config.json: linux.namespaces[0].type: unknown namespace "
			     "type \"foo\"",
			     dir) > 0);
	assert_string_equal(err.msg, expected);
	remove_bundle(dir);
}

static void test_process_parse_alone(void **state)
{
	hutch_error err = {0};
	struct oci_process *p = NULL;
	_cleanup_json_ json_object *good =
	    parse_text("{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/tmp\",\"env\":[\"A=b\"],"
		       "\"user\":{\"uid\":5,\"gid\":6},\"terminal\":true}");
	assert_int_equal(oci_process_parse(good, "process.json", &p, &err), 0);
	assert_int_equal(p->n_args, 2);
	assert_int_equal(p->user.uid, 5);
	assert_true(p->terminal);
	oci_process_free(p);

	p = NULL;
	_cleanup_json_ json_object *bad = parse_text("{\"args\":[\"ls\"],\"cwd\":\"tmp\"}");
	assert_int_equal(oci_process_parse(bad, "process.json", &p, &err), -1);
	assert_null(p);
	assert_string_equal(err.msg, "process.json.cwd: must be an absolute path, got \"tmp\"");
}

static void test_namespace_names(void **state)
{
	static const struct {
		const char *name;
		enum oci_namespace_type type;
		int flag;
	} expected[] = {
	    {"pid", OCI_NS_PID, CLONE_NEWPID},		{"network", OCI_NS_NETWORK, CLONE_NEWNET},
	    {"mount", OCI_NS_MOUNT, CLONE_NEWNS},	{"ipc", OCI_NS_IPC, CLONE_NEWIPC},
	    {"uts", OCI_NS_UTS, CLONE_NEWUTS},		{"user", OCI_NS_USER, CLONE_NEWUSER},
	    {"cgroup", OCI_NS_CGROUP, CLONE_NEWCGROUP}, {"time", OCI_NS_TIME, 0x80},
	};
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		assert_int_equal(oci_namespace_type_from_name(expected[i].name), expected[i].type);
		assert_string_equal(oci_namespace_type_name(expected[i].type), expected[i].name);
		assert_int_equal(oci_namespace_clone_flag(expected[i].type), expected[i].flag);
	}
	assert_int_equal(oci_namespace_type_from_name("net"), -1);
	assert_int_equal(oci_namespace_type_from_name("PID"), -1);
	assert_int_equal(oci_namespace_type_from_name(""), -1);
	assert_null(oci_namespace_type_name(OCI_NS_COUNT));
}

static void test_rlimit_names(void **state)
{
	static const struct {
		const char *name;
		int resource;
	} expected[] = {
	    {"RLIMIT_CPU", RLIMIT_CPU},		  {"RLIMIT_FSIZE", RLIMIT_FSIZE},
	    {"RLIMIT_DATA", RLIMIT_DATA},	  {"RLIMIT_STACK", RLIMIT_STACK},
	    {"RLIMIT_CORE", RLIMIT_CORE},	  {"RLIMIT_RSS", RLIMIT_RSS},
	    {"RLIMIT_NPROC", RLIMIT_NPROC},	  {"RLIMIT_NOFILE", RLIMIT_NOFILE},
	    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	  {"RLIMIT_AS", RLIMIT_AS},
	    {"RLIMIT_LOCKS", RLIMIT_LOCKS},	  {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
	    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
	    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	  {"RLIMIT_RTTIME", RLIMIT_RTTIME},
	};
	/* Linux has exactly RLIM_NLIMITS limits; the table must know them all. */
	assert_int_equal(sizeof(expected) / sizeof(expected[0]), RLIM_NLIMITS);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		assert_int_equal(oci_rlimit_from_name(expected[i].name), expected[i].resource);
	assert_int_equal(oci_rlimit_from_name("RLIMIT_FOO"), -1);
	assert_int_equal(oci_rlimit_from_name("NOFILE"), -1);
	assert_int_equal(oci_rlimit_from_name("rlimit_nofile"), -1);
}

static void test_hook_kind_names(void **state)
{
	static const char *const names[] = {"prestart",	      "createRuntime", "createContainer",
					    "startContainer", "poststart",     "poststop"};
	for (int k = 0; k < OCI_HOOK_KIND_COUNT; k++)
		assert_string_equal(oci_hook_kind_name(k), names[k]);
	assert_null(oci_hook_kind_name(OCI_HOOK_KIND_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_runc_config),
	    cmocka_unit_test(test_minimal_config_without_process),
	    cmocka_unit_test(test_empty_strings_mean_default),
	    cmocka_unit_test(test_null_means_absent),
	    cmocka_unit_test(test_rootless_spec_round_trips),
	    cmocka_unit_test(test_default_spec_round_trips),
	    cmocka_unit_test(test_features_document),
	    cmocka_unit_test(test_features_match_the_mount_code),
	    cmocka_unit_test(test_base_config_is_valid),
	    cmocka_unit_test(test_bad_configs_name_the_problem),
	    cmocka_unit_test(test_top_level_must_be_object),
	    cmocka_unit_test(test_load_from_bundle),
	    cmocka_unit_test(test_load_errors_start_with_the_file),
	    cmocka_unit_test(test_process_parse_alone),
	    cmocka_unit_test(test_namespace_names),
	    cmocka_unit_test(test_rlimit_names),
	    cmocka_unit_test(test_hook_kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
