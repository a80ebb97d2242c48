/* Containers in Docker's JSON: the inspect document (container.json merged
 * with state.json and the paths hutch keeps), the GET /containers/json
 * summary with its human status ("Up 3 minutes", "Exited (0) 2 hours
 * ago"), and the size of a writable layer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "api-containers.h"
#include "containers.h"
#include "ctr-internal.h"
#include "json-util.h"

#define ZERO_TIME "0001-01-01T00:00:00Z"

time_t ctr_parse_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL || tm.tm_year < 70)
		return 0;
	return timegm(&tm);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o != NULL && json_object_object_get_ex(o, key, &v))
		return v;
	return NULL;
}

static const char *get_str(json_object *o, const char *key, const char *def)
{
	json_object *v = get(o, key);
	const char *s =
	    v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	return s ? s : def;
}

static int get_int(json_object *o, const char *key)
{
	json_object *v = get(o, key);
	return v ? json_object_get_int(v) : 0;
}

/* Docker's wording of a duration, as `docker ps` shows it. */
static void human_duration(time_t secs, char *buf, size_t size)
{
	long s = (long)secs, m = s / 60, h = m / 60;
	if (s < 1)
		snprintf(buf, size, "Less than a second");
	else if (s == 1)
		snprintf(buf, size, "1 second");
	else if (s < 60)
		snprintf(buf, size, "%ld seconds", s);
	else if (m == 1)
		snprintf(buf, size, "About a minute");
	else if (m < 60)
		snprintf(buf, size, "%ld minutes", m);
	else if (h == 1)
		snprintf(buf, size, "About an hour");
	else if (h < 48)
		snprintf(buf, size, "%ld hours", h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, size, "%ld days", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(buf, size, "%ld weeks", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(buf, size, "%ld months", h / 24 / 30);
	else
		snprintf(buf, size, "%ld years", h / 24 / 365);
}

static void human_status(struct ctr *c, char *buf, size_t size)
{
	time_t now = time(NULL);
	char dur[64];
	switch (c->status) {
	case CTR_CREATED:
		snprintf(buf, size, "Created");
		break;
	case CTR_RUNNING:
		human_duration(now - ctr_parse_time(get_str(c->state, "StartedAt", NULL)), dur,
			       sizeof(dur));
		snprintf(buf, size, "Up %s", dur);
		break;
	case CTR_EXITED:
		human_duration(now - ctr_parse_time(get_str(c->state, "FinishedAt", NULL)), dur,
			       sizeof(dur));
		snprintf(buf, size, "Exited (%d) %s ago", get_int(c->state, "ExitCode"), dur);
		break;
	case CTR_REMOVING:
		snprintf(buf, size, "Removal In Progress");
		break;
	}
}

/* ------------------------------------------------------------------ size */

static int64_t tree_size_at(int dirfd, int depth)
{
	if (depth > 256)
		return 0;
	DIR *d = fdopendir(dirfd);
	if (d == NULL) {
		close(dirfd);
		return 0;
	}
	int64_t total = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				total += tree_size_at(sub, depth + 1);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			total += (int64_t)st.st_size;
		}
	}
	closedir(d);
	return total;
}

int64_t ctr_tree_size(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? 0 : tree_size_at(fd, 0);
}

int64_t ctr_size_rw(struct ctr *c)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/upper", c->dir);
	return ctr_tree_size(path);
}

int64_t ctr_snapshot_size(struct store *s, const char *chain_id)
{
	char path[4200];
	if (chain_id == NULL)
		return 0;
	store_snapshot_dir(s, chain_id, path, sizeof(path) - 16);
	strcat(path, "/meta.json");
	_cleanup_json_ json_object *meta = NULL;
	if (json_read_file(path, &meta, NULL) < 0)
		return 0;
	return json_object_get_int64(get(meta, "size"));
}

/* The image's unpacked size, from its snapshots' meta.json. */
static int64_t image_rootfs_size(struct hutchd *d, struct ctr *c)
{
	json_object *chain = get(c->record, "ChainIds");
	int64_t total = 0;
	for (size_t i = 0; chain && i < json_object_array_length(chain); i++)
		total += ctr_snapshot_size(
		    d->store, json_object_get_string(json_object_array_get_idx(chain, i)));
	return total;
}

/* --------------------------------------------------------------- network */

static const char *network_mode(struct ctr *c)
{
	const char *m = get_str(get(c->record, "HostConfig"), "NetworkMode", "");
	return m[0] ? m : "default";
}

/* state.json's ports: [{"proto","host_ip","host_port","container_port"}]. */
static json_object *live_ports(struct ctr *c)
{
	json_object *p = get(c->state, "Ports");
	return c->status == CTR_RUNNING && p && json_object_is_type(p, json_type_array) ? p : NULL;
}

static json_object *inspect_ports(struct ctr *c)
{
	json_object *out = json_object_new_object();
	json_object *live = live_ports(c);
	if (live == NULL)
		return out;
	json_object *exposed = get(get(c->record, "Config"), "ExposedPorts");
	if (exposed && json_object_is_type(exposed, json_type_object)) {
		json_object_object_foreach(exposed, port, val)
		{
			(void)val;
			json_object_object_add(out, port, NULL);
		}
	}
	for (size_t i = 0; i < json_object_array_length(live); i++) {
		json_object *p = json_object_array_get_idx(live, i);
		char key[64], port[16];
		snprintf(key, sizeof(key), "%d/%s", get_int(p, "container_port"),
			 get_str(p, "proto", "tcp"));
		snprintf(port, sizeof(port), "%d", get_int(p, "host_port"));
		json_object *list = get(out, key);
		if (list == NULL) {
			list = json_object_new_array();
			json_object_object_add(out, key, list);
		}
		json_object *b = json_object_new_object();
		const char *ip = get_str(p, "host_ip", "");
		json_object_object_add(b, "HostIp", json_object_new_string(ip[0] ? ip : "0.0.0.0"));
		json_object_object_add(b, "HostPort", json_object_new_string(port));
		json_object_array_add(list, b);
	}
	return out;
}

static json_object *network_settings(struct ctr *c)
{
	json_object *ns = json_object_new_object();
	bool slirp = c->status == CTR_RUNNING && (strcmp(network_mode(c), "slirp") == 0 ||
						  strcmp(network_mode(c), "default") == 0 ||
						  strcmp(network_mode(c), "bridge") == 0);
	const char *ip = slirp ? "10.0.2.100" : "", *gw = slirp ? "10.0.2.2" : "";
	json_object_object_add(ns, "Bridge", json_object_new_string(""));
	json_object_object_add(ns, "SandboxID", json_object_new_string(""));
	json_object_object_add(ns, "HairpinMode", json_object_new_boolean(0));
	json_object_object_add(ns, "Ports", inspect_ports(c));
	json_object_object_add(ns, "SandboxKey", json_object_new_string(""));
	json_object_object_add(ns, "IPAddress", json_object_new_string(ip));
	json_object_object_add(ns, "IPPrefixLen", json_object_new_int(slirp ? 24 : 0));
	json_object_object_add(ns, "Gateway", json_object_new_string(gw));
	json_object_object_add(ns, "MacAddress", json_object_new_string(""));
	json_object *nets = json_object_new_object();
	json_object *n = json_object_new_object();
	json_object_object_add(n, "IPAddress", json_object_new_string(ip));
	json_object_object_add(n, "IPPrefixLen", json_object_new_int(slirp ? 24 : 0));
	json_object_object_add(n, "Gateway", json_object_new_string(gw));
	json_object_object_add(nets, network_mode(c), n);
	json_object_object_add(ns, "Networks", nets);
	return ns;
}

/* --------------------------------------------------------------- inspect */

static json_object *inspect_state(struct ctr *c)
{
	json_object *s = json_object_new_object();
	bool running = c->status == CTR_RUNNING;
	json_object_object_add(s, "Status", json_object_new_string(ctr_status_name(c->status)));
	json_object_object_add(s, "Running", json_object_new_boolean(running));
	json_object_object_add(s, "Paused", json_object_new_boolean(0));
	json_object_object_add(s, "Restarting", json_object_new_boolean(0));
	json_object *oom = get(c->state, "OOMKilled");
	json_object_object_add(s, "OOMKilled",
			       json_object_new_boolean(oom ? json_object_get_boolean(oom) : 0));
	json_object_object_add(s, "Dead", json_object_new_boolean(0));
	json_object_object_add(s, "Pid",
			       json_object_new_int(running ? get_int(c->state, "Pid") : 0));
	json_object_object_add(s, "ExitCode", json_object_new_int(get_int(c->state, "ExitCode")));
	json_object_object_add(s, "Error", json_object_new_string(get_str(c->state, "Error", "")));
	json_object_object_add(s, "StartedAt",
			       json_object_new_string(get_str(c->state, "StartedAt", ZERO_TIME)));
	json_object_object_add(s, "FinishedAt",
			       json_object_new_string(get_str(c->state, "FinishedAt", ZERO_TIME)));
	return s;
}

static json_object *graph_driver(struct ctr *c)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/monitor.json", c->dir);
	_cleanup_json_ json_object *mon = NULL;
	json_read_file(path, &mon, NULL);
	json_object *data = json_object_new_object();
	json_object *lower = get(mon, "lower");
	size_t cap = 1;
	for (size_t i = 0; lower && i < json_object_array_length(lower); i++)
		cap += strlen(json_object_get_string(json_object_array_get_idx(lower, i))) + 1;
	_cleanup_free_ char *joined = calloc(1, cap);
	for (size_t i = 0; joined && lower && i < json_object_array_length(lower); i++) {
		if (i > 0)
			strcat(joined, ":");
		strcat(joined, json_object_get_string(json_object_array_get_idx(lower, i)));
	}
	json_object_object_add(data, "LowerDir", json_object_new_string(joined ? joined : ""));
	json_object_object_add(data, "UpperDir", json_object_new_string(get_str(mon, "upper", "")));
	json_object_object_add(data, "WorkDir", json_object_new_string(get_str(mon, "work", "")));
	json_object_object_add(data, "MergedDir",
			       json_object_new_string(get_str(mon, "rootfs", "")));
	json_object *g = json_object_new_object();
	json_object_object_add(g, "Name", json_object_new_string("hutch-overlay"));
	json_object_object_add(g, "Data", data);
	return g;
}

static void add_path(json_object *o, const char *key, struct ctr *c, const char *file)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	json_object_object_add(o, key, json_object_new_string(path));
}

json_object *ctr_inspect(struct hutchd *d, struct ctr *c)
{
	(void)d;
	ctr_lock(d);
	json_object *o = NULL;
	if (json_object_deep_copy(c->record, &o, NULL) < 0 || o == NULL)
		o = json_object_new_object();
	json_object_object_add(o, "Id", json_object_new_string(c->id));
	char name[300];
	snprintf(name, sizeof(name), "/%s", c->name);
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "State", inspect_state(c));
	add_path(o, "ResolvConfPath", c, "resolv.conf");
	add_path(o, "HostnamePath", c, "hostname");
	add_path(o, "HostsPath", c, "hosts");
	add_path(o, "LogPath", c, "ctr.log");
	json_object_object_add(o, "Driver", json_object_new_string("hutch-overlay"));
	json_object_object_add(o, "Platform", json_object_new_string("linux"));
	json_object_object_add(o, "MountLabel", json_object_new_string(""));
	json_object_object_add(o, "ProcessLabel", json_object_new_string(""));
	json_object_object_add(o, "AppArmorProfile", json_object_new_string(""));
	if (get(o, "ExecIDs") == NULL)
		json_object_object_add(o, "ExecIDs", NULL);
	if (get(o, "RestartCount") == NULL)
		json_object_object_add(o, "RestartCount", json_object_new_int(0));
	if (get(o, "Mounts") == NULL)
		json_object_object_add(o, "Mounts", json_object_new_array());
	json_object_object_add(o, "GraphDriver", graph_driver(c));
	json_object_object_add(o, "NetworkSettings", network_settings(c));
	ctr_unlock(d);
	return o;
}

/* --------------------------------------------------------------- summary */

static json_object *summary_ports(struct ctr *c)
{
	json_object *out = json_object_new_array();
	json_object *live = live_ports(c);
	for (size_t i = 0; live && i < json_object_array_length(live); i++) {
		json_object *p = json_object_array_get_idx(live, i);
		json_object *e = json_object_new_object();
		const char *ip = get_str(p, "host_ip", "");
		json_object_object_add(e, "IP", json_object_new_string(ip[0] ? ip : "0.0.0.0"));
		json_object_object_add(e, "PrivatePort",
				       json_object_new_int(get_int(p, "container_port")));
		json_object_object_add(e, "PublicPort",
				       json_object_new_int(get_int(p, "host_port")));
		json_object_object_add(e, "Type",
				       json_object_new_string(get_str(p, "proto", "tcp")));
		json_object_array_add(out, e);
	}
	return out;
}

static json_object *command_line(struct ctr *c)
{
	size_t cap = strlen(get_str(c->record, "Path", "")) + 1;
	json_object *args = get(c->record, "Args");
	size_t n =
	    args && json_object_is_type(args, json_type_array) ? json_object_array_length(args) : 0;
	for (size_t i = 0; i < n; i++)
		cap += strlen(json_object_get_string(json_object_array_get_idx(args, i)) ?: "") + 1;
	_cleanup_free_ char *s = calloc(1, cap);
	if (s == NULL)
		return json_object_new_string("");
	strcat(s, get_str(c->record, "Path", ""));
	for (size_t i = 0; i < n; i++) {
		strcat(s, " ");
		strcat(s, json_object_get_string(json_object_array_get_idx(args, i)) ?: "");
	}
	return json_object_new_string(s);
}

json_object *ctr_summary(struct hutchd *d, struct ctr *c, bool size)
{
	ctr_lock(d);
	json_object *o = json_object_new_object();
	json_object *cfg = get(c->record, "Config");
	json_object_object_add(o, "Id", json_object_new_string(c->id));
	json_object *names = json_object_new_array();
	char name[300];
	snprintf(name, sizeof(name), "/%s", c->name);
	json_object_array_add(names, json_object_new_string(name));
	json_object_object_add(o, "Names", names);
	json_object_object_add(o, "Image", json_object_new_string(get_str(cfg, "Image", "")));
	json_object_object_add(o, "ImageID",
			       json_object_new_string(get_str(c->record, "Image", "")));
	json_object_object_add(o, "Command", command_line(c));
	json_object_object_add(
	    o, "Created",
	    json_object_new_int64(ctr_parse_time(get_str(c->record, "Created", NULL))));
	json_object_object_add(o, "Ports", summary_ports(c));
	json_object *labels = get(cfg, "Labels");
	json_object_object_add(o, "Labels",
			       labels && json_object_is_type(labels, json_type_object)
				   ? json_object_get(labels)
				   : json_object_new_object());
	json_object_object_add(o, "State", json_object_new_string(ctr_status_name(c->status)));
	char status[128];
	human_status(c, status, sizeof(status));
	json_object_object_add(o, "Status", json_object_new_string(status));
	json_object *hc = json_object_new_object();
	json_object_object_add(hc, "NetworkMode", json_object_new_string(network_mode(c)));
	json_object_object_add(o, "HostConfig", hc);
	json_object *ns = json_object_new_object();
	json_object_object_add(ns, "Networks", json_object_new_object());
	json_object_object_add(o, "NetworkSettings", ns);
	json_object *mounts = get(c->record, "Mounts");
	json_object_object_add(o, "Mounts",
			       mounts ? json_object_get(mounts) : json_object_new_array());
	ctr_unlock(d);
	if (size) {
		int64_t rw = ctr_size_rw(c);
		json_object_object_add(o, "SizeRw", json_object_new_int64(rw));
		json_object_object_add(o, "SizeRootFs",
				       json_object_new_int64(rw + image_rootfs_size(d, c)));
	}
	return o;
}
