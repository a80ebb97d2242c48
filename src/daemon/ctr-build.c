/* ctr_build: a create request in, a complete container directory out.
 * Every check runs before the first file is written; the files go into
 * ROOT/containers/.tmp-<id>, which is renamed into place last. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctr-build-internal.h"
#include "ctr-build.h"
#include "ctr-internal.h"
#include "file-util.h"
#include "find-program.h"
#include "helper.h"
#include "images.h"
#include "json-util.h"
#include "log.h"
#include "signals.h"
#include "store.h"
#include "volume-fill.h"
#include "volume-users.h"

#define SLIRP_GUEST_IP "10.0.2.100"
#define SLIRP_GATEWAY "10.0.2.2"
#define SLIRP_MTU 65520
#define CGROUP2_MAGIC 0x63677270

/* Everything a build holds; released by build_free. */
struct build {
	struct hutchd *d;
	const char *name;
	char id[CTR_ID_LEN + 1];
	char dir[PATH_MAX];	/* ROOT/containers/<id> */
	char tmp[PATH_MAX];	/* ROOT/containers/.tmp-<id> */
	char run_dir[PATH_MAX]; /* RUNTIME/containers/<id> */
	json_object *config, *host, *warnings;
	struct store_image image;
	struct store_image_info info;
	bool info_loaded;
	char **lowers; /* top first */
	size_t n_lowers;
	char **argv;
	size_t argc;
	char **env;
	char **caps;
	struct ctr_user user;
	struct ctr_port *ports;
	size_t n_ports;
	struct ctr_mount *mounts;
	size_t n_mounts;
	struct ctr_security security;
	char hostname[256];
	const char *network;
	char *hosts, *resolv;
	json_object *resources;
	char init_path[PATH_MAX];
	int stop_signal;
	int64_t log_max_bytes;
	bool tmp_made;
};

static void warn(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct build *b, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_array_add(b->warnings, json_object_new_string(msg));
}

/* The directory a failed build leaves behind holds only our own files. */
static void remove_tmp(const char *dir)
{
	DIR *dh = opendir(dir);
	if (dh != NULL) {
		struct dirent *e;
		while ((e = readdir(dh)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (unlinkat(dirfd(dh), e->d_name, 0) < 0)
				unlinkat(dirfd(dh), e->d_name, AT_REMOVEDIR);
		}
		closedir(dh);
	}
	rmdir(dir);
}

static void build_free(struct build *b)
{
	if (b->tmp_made)
		remove_tmp(b->tmp);
	if (b->info_loaded) {
		for (size_t i = 0; i < b->info.n_layers; i++)
			store_unpin(b->d->store, b->info.chain_ids[i]);
		store_unpin(b->d->store, b->image.manifest);
		store_image_info_free(&b->info);
	}
	json_object_put(b->config);
	json_object_put(b->host);
	json_object_put(b->warnings);
	strv_free(b->lowers);
	strv_free(b->argv);
	strv_free(b->env);
	strv_free(b->caps);
	ctr_user_free(&b->user);
	ctr_security_free(&b->security);
	free(b->ports);
	ctr_mounts_free(b->mounts, b->n_mounts);
	free(b->hosts);
	free(b->resolv);
	json_object_put(b->resources);
}

/* --- checks of HostConfig settings hutch does not (fully) have --- */

static int check_modes(struct build *b, hutch_error *err)
{
	json_object *h = b->host;
	static const struct {
		const char *field;
		const char *const allowed[4];
	} modes[] = {
	    {"PidMode", {"", "host", NULL}},
	    {"IpcMode", {"", "private", "shareable", "host"}},
	    {"UTSMode", {"", "host", NULL}},
	    {"UsernsMode", {"", "host", NULL}},
	    {"CgroupnsMode", {"", "private", "host", NULL}},
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *v = ctr_member_string(h, modes[i].field);
		bool ok = false;
		for (size_t k = 0; k < 4 && modes[i].allowed[k] && !ok; k++)
			ok = strcmp(v, modes[i].allowed[k]) == 0;
		if (!ok)
			return hutch_fail_plain(err, EINVAL, "%s \"%s\" is not supported by hutch",
						modes[i].field, v);
	}
	static const char *const unsupported_lists[] = {"VolumesFrom", "Links", "DeviceRequests",
							"DeviceCgroupRules"};
	for (size_t i = 0; i < sizeof(unsupported_lists) / sizeof(unsupported_lists[0]); i++) {
		json_object *v = ctr_member(h, unsupported_lists[i]);
		if (v != NULL && json_object_is_type(v, json_type_array) &&
		    json_object_array_length(v) > 0)
			return hutch_fail_plain(err, EINVAL, "%s is not supported by hutch",
						unsupported_lists[i]);
	}
	const char *drv = ctr_member_string(h, "VolumeDriver");
	if (drv[0] != '\0' && strcmp(drv, "local") != 0)
		return hutch_fail_plain(
		    err, EINVAL, "volume driver \"%s\" is not supported (only local volumes)", drv);
	const char *rt = ctr_member_string(h, "Runtime");
	if (rt[0] != '\0' && strcmp(rt, "hutch-oci") != 0 && strcmp(rt, "runc") != 0)
		return hutch_fail_plain(err, EINVAL, "unknown or invalid runtime name: %s", rt);
	const char *cg = ctr_member_string(h, "CgroupParent");
	if (cg[0] != '\0')
		warn(b, "CgroupParent %s ignored: containers get no cgroup of their own", cg);

	json_object *rp = ctr_member(h, "RestartPolicy");
	const char *policy = ctr_member_string(rp, "Name");
	if (policy[0] != '\0' && strcmp(policy, "no") != 0 && strcmp(policy, "always") != 0 &&
	    strcmp(policy, "unless-stopped") != 0 && strcmp(policy, "on-failure") != 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid restart policy: unknown policy '%s'; use one of "
					"'no', 'always', 'on-failure', or 'unless-stopped'",
					policy);
	json_object *retries = ctr_member(rp, "MaximumRetryCount");
	if (retries != NULL && json_object_get_int64(retries) != 0 &&
	    strcmp(policy, "on-failure") != 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid restart policy: maximum retry count can only be "
					"used with 'on-failure'");
	if (retries != NULL && json_object_get_int64(retries) < 0)
		return hutch_fail_plain(err, EINVAL,
					"invalid restart policy: maximum retry count cannot be "
					"negative");
	if (ctr_member_bool(h, "AutoRemove") && policy[0] != '\0' && strcmp(policy, "no") != 0)
		return hutch_fail_plain(err, EINVAL,
					"can't create 'AutoRemove' container with restart policy");
	json_object *shm = ctr_member(h, "ShmSize");
	if (shm != NULL && json_object_get_int64(shm) < 0)
		return hutch_fail_plain(err, EINVAL, "SHM size can not be less than 0");
	return 0;
}

/* "10m", "1g", "512k", "1000" (Docker's RAMInBytes: binary units). */
static int parse_size(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0)
		return -1;
	int64_t mult = 1;
	switch (*end) {
	case '\0':
		break;
	case 'b':
	case 'B':
		end++;
		break;
	case 'k':
	case 'K':
		mult = 1024LL;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1024LL * 1024;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1024LL * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0')
		return -1;
	*out = (int64_t)(v * (double)mult);
	return 0;
}

static int check_log_config(struct build *b, hutch_error *err)
{
	json_object *lc = ctr_member(b->host, "LogConfig");
	const char *type = ctr_member_string(lc, "Type");
	if (type[0] != '\0' && strcmp(type, "json-file") != 0)
		return hutch_fail_plain(err, EINVAL,
					"logger: no log driver named '%s' is registered", type);
	static const char *const known[] = {"max-size",	    "max-file", "compress",  "labels",
					    "labels-regex", "env",	"env-regex", "tag"};
	json_object *opts = ctr_member(lc, "Config");
	if (opts == NULL)
		return 0;
	json_object_object_foreach(opts, k, v)
	{
		bool ok = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !ok; i++)
			ok = strcmp(k, known[i]) == 0;
		if (!ok)
			return hutch_fail_plain(err, EINVAL,
						"unknown log opt '%s' for json-file log driver", k);
		if (strcmp(k, "max-size") == 0 &&
		    (parse_size(json_object_get_string(v), &b->log_max_bytes) < 0 ||
		     b->log_max_bytes < 0))
			return hutch_fail_plain(err, EINVAL, "invalid max-size: %s",
						json_object_get_string(v));
	}
	return 0;
}

static int check_hostname(const char *h, hutch_error *err)
{
	size_t l = strlen(h);
	bool ok = l > 0 && l < 64 && h[0] != '-' && h[0] != '.';
	for (size_t i = 0; i < l && ok; i++)
		ok = (h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
		     (h[i] >= '0' && h[i] <= '9') || h[i] == '-' || h[i] == '.';
	if (!ok)
		return hutch_fail_plain(err, EINVAL, "invalid hostname format: %s", h);
	return 0;
}

static int pick_network(struct build *b, hutch_error *err)
{
	const char *mode = ctr_member_string(b->host, "NetworkMode");
	if (mode[0] == '\0' || strcmp(mode, "default") == 0 || strcmp(mode, "bridge") == 0 ||
	    strcmp(mode, "slirp") == 0)
		b->network = "slirp";
	else if (strcmp(mode, "none") == 0)
		b->network = "none";
	else if (strcmp(mode, "host") == 0)
		b->network = "host";
	else if (strncmp(mode, "container:", 10) == 0)
		return hutch_fail_plain(err, EINVAL,
					"NetworkMode %s is not supported by hutch (one network "
					"namespace per container)",
					mode);
	else
		return hutch_fail_plain(err, EINVAL, "network %s not found", mode);
	if (ctr_member_bool(b->config, "NetworkDisabled"))
		b->network = "none";
	return 0;
}

/* --- the image --- */

static int load_image(struct build *b, hutch_error *err)
{
	const char *name = ctr_member_string(b->config, "Image");
	if (name[0] == '\0')
		return hutch_fail_plain(err, EINVAL, "no image specified (Image is empty)");
	bool by_id = false;
	if (image_lookup(b->d->store, name, &b->image, &by_id, err) < 0)
		return -1;
	store_pin(b->d->store, b->image.manifest);
	if (store_image_info_load(b->d->store, b->image.manifest, &b->info, err) < 0) {
		store_unpin(b->d->store, b->image.manifest);
		return hutch_error_prefix(err, "image %s", name);
	}
	b->info_loaded = true;
	for (size_t i = 0; i < b->info.n_layers; i++)
		store_pin(b->d->store, b->info.chain_ids[i]);
	/* Snapshots bottom first in the image, top first for overlay. */
	for (size_t i = b->info.n_layers; i-- > 0;) {
		if (!store_snapshot_exists(b->d->store, b->info.chain_ids[i]))
			return hutch_fail_plain(
			    err, EIO,
			    "image %s: the snapshot of layer %s is missing (run "
			    "hutch system check)",
			    name, b->info.chain_ids[i]);
		char dir[PATH_MAX], fs[PATH_MAX + 8];
		store_snapshot_dir(b->d->store, b->info.chain_ids[i], dir, sizeof(dir));
		snprintf(fs, sizeof(fs), "%s/fs", dir);
		b->lowers = ctr_strv_add(b->lowers, fs);
		b->n_lowers++;
	}
	return 0;
}

static json_object *image_config_section(struct build *b)
{
	return ctr_member(b->info.config_json, "config");
}

static int resolve_user(struct build *b, hutch_error *err)
{
	_cleanup_free_ char *passwd = NULL, *group = NULL;
	if (ctr_layers_read_file(b->lowers, b->n_lowers, "etc/passwd", &passwd, err) < 0 ||
	    ctr_layers_read_file(b->lowers, b->n_lowers, "etc/group", &group, err) < 0)
		return hutch_error_prefix(err, "read the image's users");
	return ctr_user_resolve(ctr_member_string(b->config, "User"), passwd, group,
				ctr_member(b->host, "GroupAdd"), &b->user, err);
}

/* --- network files --- */

static int build_etc(struct build *b, hutch_error *err)
{
	bool slirp = strcmp(b->network, "slirp") == 0;
	const char *own_ip = slirp ? SLIRP_GUEST_IP : NULL;
	const char *gateway = slirp ? SLIRP_GATEWAY : "127.0.0.1";
	if (strcmp(b->network, "host") == 0) {
		/* The host's own names, as Docker copies them. */
		_cleanup_free_ char *hosts = NULL;
		if (read_file_all("/etc/hosts", 1 << 20, &hosts, NULL, NULL) < 0)
			hosts = NULL;
		_cleanup_free_ char *extra = NULL;
		if (ctr_hosts_build(b->hostname, ctr_member_string(b->config, "Domainname"), NULL,
				    ctr_member(b->host, "ExtraHosts"), gateway, &extra, err) < 0)
			return -1;
		/* The host's file, then the requested extra lines (after the
		 * six localhost lines ctr_hosts_build always starts with). */
		const char *tail = extra;
		for (int i = 0; i < 6 && tail && *tail; i++) {
			const char *nl = strchr(tail, '\n');
			tail = nl ? nl + 1 : tail + strlen(tail);
		}
		if (asprintf(&b->hosts, "%s%s%s", hosts ? hosts : "",
			     hosts && hosts[0] && hosts[strlen(hosts) - 1] != '\n' ? "\n" : "",
			     tail) < 0)
			abort();
	} else if (ctr_hosts_build(b->hostname, ctr_member_string(b->config, "Domainname"), own_ip,
				   ctr_member(b->host, "ExtraHosts"), gateway, &b->hosts,
				   err) < 0) {
		return -1;
	}
	/* The search and options lines come from the file slirp forwards to
	 * (hutch.conf slirp_resolv_conf) so both agree. */
	const char *base_path =
	    slirp && b->d->slirp_resolv_conf ? b->d->slirp_resolv_conf : "/etc/resolv.conf";
	_cleanup_free_ char *base = NULL;
	if (read_file_all(base_path, 1 << 20, &base, NULL, NULL) < 0)
		base = NULL;
	return ctr_resolv_build(base, slirp, ctr_member(b->host, "Dns"),
				ctr_member(b->host, "DnsSearch"), ctr_member(b->host, "DnsOptions"),
				&b->resolv, err);
}

/* Whether the container could get a cgroup with limits: cgroup2 at
 * /sys/fs/cgroup and our own cgroup's parent or itself writable (what the
 * runtime tries at start). Without that, limits only produce a warning. */
static bool cgroup_delegated(void)
{
	struct statfs sf;
	if (statfs("/sys/fs/cgroup", &sf) < 0 || (unsigned long)sf.f_type != CGROUP2_MAGIC)
		return false;
	_cleanup_free_ char *self = NULL;
	if (read_file_all("/proc/self/cgroup", 1 << 16, &self, NULL, NULL) < 0)
		return false;
	const char *p = strstr(self, "0::");
	if (p == NULL)
		return false;
	p += 3;
	size_t len = strcspn(p, "\n");
	char dir[PATH_MAX], file[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup%.*s", (int)len, p);
	snprintf(file, sizeof(file), "%s/cgroup.subtree_control", dir);
	if (access(file, W_OK) == 0)
		return true;
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		return false;
	*slash = '\0';
	snprintf(file, sizeof(file), "%s/cgroup.subtree_control", dir);
	return access(file, W_OK) == 0;
}

static void check_resources(struct build *b)
{
	char names[512];
	b->resources = ctr_resources_build(b->host, names, sizeof(names));
	if (b->resources != NULL && !cgroup_delegated()) {
		warn(b,
		     "Your kernel does not support cgroup resource limits for this user: resource "
		     "limits ignored: no delegated cgroup (%s)",
		     names);
		json_object_put(b->resources);
		b->resources = NULL;
	}
	json_object *hc = ctr_member(b->config, "Healthcheck");
	json_object *test = ctr_member(hc, "Test");
	if (test != NULL && json_object_array_length(test) > 0 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(test, 0)), "NONE") != 0)
		warn(b, "Healthcheck ignored: hutch does not run health checks");
}

/* --- writing --- */

/* A new file in the temporary directory, written and fsynced. Nobody
 * looks into the directory before its rename, so the files need no
 * rename of their own; the fsyncs make them durable before the rename
 * makes them visible (the first one commits the file system's journal,
 * the others find little left to do). */
static int write_new(struct build *b, const char *file, const char *buf, size_t len, int mode,
		     hutch_error *err)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", b->tmp, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	/* fchmod: hutchd's umask is 0077, and the /etc files must be
	 * readable for every user of the container. */
	if (fd < 0 || fchmod(fd, (mode_t)mode) < 0 || write_all(fd, buf, len) < 0 || fsync(fd) < 0)
		return hutch_fail(err, errno, "write %s", path);
	return 0;
}

static int write_text(struct build *b, const char *file, const char *text, hutch_error *err)
{
	return write_new(b, file, text, strlen(text), 0644, err);
}

static int write_json(struct build *b, const char *file, json_object *o, hutch_error *err)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	return write_new(b, file, s, len, 0600, err);
}

static json_object *container_record(struct build *b)
{
	json_object *r = json_object_new_object();
	char created[64], path[PATH_MAX + 32];
	ctr_time_now(created, sizeof(created));
	json_object_object_add(r, "Id", json_object_new_string(b->id));
	char name[300];
	snprintf(name, sizeof(name), "/%s", b->name);
	json_object_object_add(r, "Name", json_object_new_string(name));
	json_object_object_add(r, "Created", json_object_new_string(created));
	json_object_object_add(r, "Image", json_object_new_string(b->info.config));
	json_object_object_add(r, "ImageName", json_object_new_string(b->image.name));
	json_object_object_add(r, "ImageManifest", json_object_new_string(b->image.manifest));
	json_object *chain = json_object_new_array();
	for (size_t i = 0; i < b->info.n_layers; i++)
		json_object_array_add(chain, json_object_new_string(b->info.chain_ids[i]));
	json_object_object_add(r, "ChainIds", chain);
	json_object_object_add(r, "Path", json_object_new_string(b->argv[0]));
	json_object_object_add(r, "Args", ctr_strv_json(b->argv + 1));
	json_object_object_add(r, "Config", json_object_get(b->config));
	json_object_object_add(r, "HostConfig", json_object_get(b->host));
	json_object *mounts = json_object_new_array();
	for (size_t i = 0; i < b->n_mounts; i++)
		json_object_array_add(mounts, ctr_mount_inspect(&b->mounts[i]));
	json_object_object_add(r, "Mounts", mounts);
	static const char *const paths[][2] = {{"ResolvConfPath", "resolv.conf"},
					       {"HostnamePath", "hostname"},
					       {"HostsPath", "hosts"},
					       {"LogPath", "ctr.log"}};
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", b->dir, paths[i][1]);
		json_object_object_add(r, paths[i][0], json_object_new_string(path));
	}
	json_object_object_add(r, "Driver", json_object_new_string("overlay"));
	json_object_object_add(r, "Platform", json_object_new_string("linux"));
	json_object_object_add(r, "RestartCount", json_object_new_int(0));
	json_object_object_add(r, "Warnings", json_object_get(b->warnings));
	return r;
}

static json_object *monitor_record(struct build *b, pid_t sandbox)
{
	json_object *m = json_object_new_object();
	char path[PATH_MAX + 32];
	json_object_object_add(m, "id", json_object_new_string(b->id));
	json_object_object_add(m, "name", json_object_new_string(b->name));
	json_object *lower = json_object_new_array();
	for (size_t i = 0; i < b->n_lowers; i++)
		json_object_array_add(lower, json_object_new_string(b->lowers[i]));
	if (b->n_lowers == 0) {
		snprintf(path, sizeof(path), "%s/lower-empty", b->dir);
		json_object_array_add(lower, json_object_new_string(path));
	}
	json_object_object_add(m, "lower", lower);
	snprintf(path, sizeof(path), "%s/upper", b->dir);
	json_object_object_add(m, "upper", json_object_new_string(path));
	snprintf(path, sizeof(path), "%s/work", b->dir);
	json_object_object_add(m, "work", json_object_new_string(path));
	snprintf(path, sizeof(path), "%s/rootfs", b->run_dir);
	json_object_object_add(m, "rootfs", json_object_new_string(path));
	json_object_object_add(m, "runtime_dir", json_object_new_string(b->run_dir));
	json_object_object_add(m, "sandbox_pid", json_object_new_int(sandbox));
	json_object_object_add(m, "tty",
			       json_object_new_boolean(ctr_member_bool(b->config, "Tty")));
	json_object_object_add(m, "open_stdin",
			       json_object_new_boolean(ctr_member_bool(b->config, "OpenStdin")));
	json_object_object_add(m, "stdin_once",
			       json_object_new_boolean(ctr_member_bool(b->config, "StdinOnce")));
	json_object_object_add(m, "network", json_object_new_string(b->network));
	json_object_object_add(m, "mtu", json_object_new_int(SLIRP_MTU));
	json_object *args = json_object_new_array();
	for (size_t i = 0; b->d->slirp_outbound_allow && b->d->slirp_outbound_allow[i]; i++) {
		char a[300];
		snprintf(a, sizeof(a), "--outbound-allow=%s", b->d->slirp_outbound_allow[i]);
		json_object_array_add(args, json_object_new_string(a));
	}
	if (b->d->slirp_resolv_conf != NULL) {
		snprintf(path, sizeof(path), "--resolv-conf=%s", b->d->slirp_resolv_conf);
		json_object_array_add(args, json_object_new_string(path));
	}
	json_object_object_add(m, "slirp_args", args);
	json_object_object_add(m, "ports", ctr_ports_json(b->ports, b->n_ports));
	snprintf(path, sizeof(path), "%s/ctr.log", b->dir);
	json_object_object_add(m, "log_path", json_object_new_string(path));
	json_object_object_add(m, "log_max_bytes", json_object_new_int64(b->log_max_bytes));
	json_object_object_add(m, "stop_signal", json_object_new_int(b->stop_signal));
	return m;
}

static json_object *state_record(void)
{
	json_object *s = json_object_new_object();
	json_object_object_add(s, "Status", json_object_new_string("created"));
	json_object_object_add(s, "Pid", json_object_new_int(0));
	json_object_object_add(s, "MonitorPid", json_object_new_int(0));
	json_object_object_add(s, "StartedAt", json_object_new_string("0001-01-01T00:00:00Z"));
	json_object_object_add(s, "FinishedAt", json_object_new_string("0001-01-01T00:00:00Z"));
	json_object_object_add(s, "ExitCode", json_object_new_int(0));
	json_object_object_add(s, "Error", json_object_new_string(""));
	json_object_object_add(s, "OOMKilled", json_object_new_boolean(false));
	json_object_object_add(s, "Ports", json_object_new_array());
	return s;
}

/* The overlay shows the upper dir's own mode for the container's "/": it
 * must be the image's (0755 as a rule), not the 0700 of a directory made
 * under hutchd's umask, or no user but root could reach any path. The
 * monitor keeps an existing upper/. */
static int make_upper(struct build *b, hutch_error *err)
{
	mode_t mode = 0755;
	struct stat st;
	if (b->n_lowers > 0 && stat(b->lowers[0], &st) == 0)
		mode = st.st_mode & 07777;
	char upper[PATH_MAX + 16];
	snprintf(upper, sizeof(upper), "%s/upper", b->tmp);
	if (mkdir(upper, 0700) < 0 || chmod(upper, mode) < 0)
		return hutch_fail(err, errno, "mkdir %s", upper);
	return 0;
}

static int write_container(struct build *b, hutch_error *err)
{
	char containers[PATH_MAX];
	snprintf(containers, sizeof(containers), "%s/containers", b->d->root);
	if (mkdir_parents(containers, 0700, err) < 0)
		return -1;
	if (mkdir(b->tmp, 0700) < 0)
		return hutch_fail(err, errno, "mkdir %s", b->tmp);
	b->tmp_made = true;
	if (ctr_mounts_prepare(b->d->root, b->mounts, b->n_mounts, err) < 0)
		return -1;

	pid_t sandbox = hutchd_sandbox(b->d);
	char rootfs[PATH_MAX + 16];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", b->run_dir);
	struct ctr_spec_input in = {
	    .config = b->config,
	    .host = b->host,
	    .argv = b->argv,
	    .env = b->env,
	    .user = &b->user,
	    .rootfs = rootfs,
	    .hostname = b->hostname,
	    .dir = b->dir,
	    .network = b->network,
	    .mounts = b->mounts,
	    .n_mounts = b->n_mounts,
	    /* Inside the sandbox the monitor is already root of a user
	     * namespace; without one the runtime needs its own. */
	    .userns = sandbox == 0,
	    .host_uid = (uint32_t)getuid(),
	    .host_gid = (uint32_t)getgid(),
	    .init_path = b->init_path[0] ? b->init_path : NULL,
	    .caps = b->caps,
	    .security = b->security,
	    .resources = steal_pointer(&b->resources),
	};
	_cleanup_json_ json_object *spec = NULL, *monitor = NULL, *record = NULL, *state = NULL;
	if (ctr_spec_build(&in, &spec, err) < 0)
		return -1;
	char hostname_line[300];
	snprintf(hostname_line, sizeof(hostname_line), "%s\n", b->hostname);
	if (b->n_lowers == 0) {
		char empty[PATH_MAX + 16];
		snprintf(empty, sizeof(empty), "%s/lower-empty", b->tmp);
		if (mkdir(empty, 0700) < 0 || chmod(empty, 0755) < 0)
			return hutch_fail(err, errno, "mkdir %s", empty);
	}
	if (make_upper(b, err) < 0)
		return -1;
	monitor = monitor_record(b, sandbox);
	record = container_record(b);
	state = state_record();
	if (write_json(b, "config.json", spec, err) < 0 ||
	    write_text(b, "hosts", b->hosts, err) < 0 ||
	    write_text(b, "hostname", hostname_line, err) < 0 ||
	    write_text(b, "resolv.conf", b->resolv, err) < 0 ||
	    write_json(b, "monitor.json", monitor, err) < 0 ||
	    write_json(b, "state.json", state, err) < 0 ||
	    write_json(b, "container.json", record, err) < 0)
		return -1;
	_cleanup_close_ int tfd = open(b->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0 || fsync(tfd) < 0)
		return hutch_fail(err, errno, "fsync %s", b->tmp);
	if (rename(b->tmp, b->dir) < 0)
		return hutch_fail(err, errno, "rename %s to %s", b->tmp, b->dir);
	b->tmp_made = false;
	_cleanup_close_ int dfd = open(containers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	/* New volumes start with the image's content (read through the
	 * container's directory, hence only now); a failure undoes the create. */
	if (ctr_volumes_fill(sandbox, b->dir, b->mounts, b->n_mounts, err) < 0) {
		hutch_error ignored = {0};
		helper_remove(sandbox, b->dir, &ignored);
		helper_remove(sandbox, b->run_dir, &ignored);
		return -1;
	}
	return 0;
}

/* --- the steps --- */

static int build_steps(struct build *b, json_object *request, hutch_error *err)
{
	if (ctr_request_normalize(request, &b->config, &b->host, err) < 0 ||
	    check_modes(b, err) < 0 || check_log_config(b, err) < 0 || pick_network(b, err) < 0 ||
	    load_image(b, err) < 0 || ctr_config_merge(b->config, image_config_section(b), err) < 0)
		return -1;

	ctr_random_hex(b->id, CTR_ID_LEN / 2);
	snprintf(b->dir, sizeof(b->dir), "%s/containers/%s", b->d->root, b->id);
	snprintf(b->tmp, sizeof(b->tmp), "%s/containers/.tmp-%s", b->d->root, b->id);
	snprintf(b->run_dir, sizeof(b->run_dir), "%s/containers/%s", b->d->runtime_dir, b->id);

	const char *hostname = ctr_member_string(b->config, "Hostname");
	if (hostname[0] != '\0') {
		if (check_hostname(hostname, err) < 0)
			return -1;
		snprintf(b->hostname, sizeof(b->hostname), "%s", hostname);
	} else if (strcmp(b->network, "host") == 0 &&
		   gethostname(b->hostname, sizeof(b->hostname) - 1) == 0) {
		/* Docker gives a host-network container the host's name. */
	} else {
		snprintf(b->hostname, sizeof(b->hostname), "%.12s", b->id);
	}
	json_object_object_add(b->config, "Hostname", json_object_new_string(b->hostname));

	const char *sig = ctr_member_string(b->config, "StopSignal");
	b->stop_signal = sig[0] ? signal_from_name(sig) : 15;
	if (b->stop_signal <= 0)
		return hutch_fail_plain(err, EINVAL, "Invalid signal: %s", sig);

	if (ctr_config_command(b->config, &b->argv, &b->argc, err) < 0 ||
	    resolve_user(b, err) < 0 ||
	    ctr_caps_compute(ctr_member(b->host, "CapAdd"), ctr_member(b->host, "CapDrop"),
			     ctr_member_bool(b->host, "Privileged"), &b->caps, err) < 0 ||
	    ctr_security_parse(ctr_member(b->host, "SecurityOpt"), &b->security, b->warnings, err) <
		0)
		return -1;
	b->env = ctr_env_build(ctr_member(b->config, "Env"), b->hostname,
			       ctr_member_bool(b->config, "Tty"));
	if (ctr_env_get(b->env, "HOME") == NULL) {
		char home[PATH_MAX + 8];
		snprintf(home, sizeof(home), "HOME=%s", b->user.home);
		b->env = ctr_env_set(b->env, home);
	}

	if (ctr_ports_collect(b->config, b->host, &b->ports, &b->n_ports, err) < 0)
		return -1;
	if (b->n_ports > 0 && strcmp(b->network, "slirp") != 0) {
		warn(b, "Published ports are discarded when using %s network mode", b->network);
		b->n_ports = 0;
	}
	if (ctr_ports_choose(b->ports, b->n_ports, err) < 0 ||
	    ctr_mounts_collect(b->config, b->host, &b->mounts, &b->n_mounts, err) < 0 ||
	    build_etc(b, err) < 0)
		return -1;
	json_object *dev = NULL;
	if (ctr_devices_build(ctr_member(b->host, "Devices"), &dev, err) < 0)
		return -1;
	json_object_put(dev);
	json_object *rl = NULL;
	if (ctr_rlimits_build(ctr_member(b->host, "Ulimits"), &rl, err) < 0)
		return -1;
	json_object_put(rl);
	json_object *oom = ctr_member(b->host, "OomScoreAdj");
	if (oom != NULL &&
	    (json_object_get_int64(oom) < -1000 || json_object_get_int64(oom) > 1000))
		return hutch_fail_plain(
		    err, EINVAL, "Invalid value %lld, range for oom score adj is [-1000, 1000]",
		    (long long)json_object_get_int64(oom));
	if (ctr_member_bool(b->host, "Init") &&
	    find_program_near_self("hutch-init", b->init_path, sizeof(b->init_path), err) < 0)
		return hutch_error_prefix(err, "Init");
	check_resources(b);
	return write_container(b, err);
}

int ctr_build(struct hutchd *d, json_object *request, const char *name, char id[CTR_ID_LEN + 1],
	      json_object **warnings, hutch_error *err)
{
	struct build b = {.d = d, .name = name, .warnings = json_object_new_array()};
	int rc = build_steps(&b, request, err);
	/* Volumes it made stay, also when the create failed (as in Docker). */
	for (size_t i = 0; i < b.n_mounts; i++)
		if (b.mounts[i].volume_created)
			volume_created_event(d, b.mounts[i].source);
	if (rc == 0) {
		memcpy(id, b.id, CTR_ID_LEN + 1);
		*warnings = json_object_get(b.warnings);
		log_info("container %.12s (%s) created from %s", b.id, name, b.image.name);
	}
	build_free(&b);
	return rc;
}
