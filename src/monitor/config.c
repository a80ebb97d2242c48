/* monitor.json: hutchd's instructions to the monitor (see
 * docs/architecture/containers.md). Every field is checked here, so the
 * rest of the monitor can trust the values. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "monitor.h"

static int get_path(json_object *doc, const char *key, char **out, hutch_error *err)
{
	const char *s = NULL;
	if (json_get_string(doc, "monitor.json", key, true, &s, err) < 0)
		return -1;
	if (s[0] != '/')
		return hutch_fail_plain(err, EINVAL, "monitor.json: %s: not an absolute path: %s",
					key, s);
	*out = strdup(s);
	return *out != NULL ? 0 : hutch_fail(err, ENOMEM, "monitor.json");
}

static int get_int(json_object *doc, const char *key, int64_t min, int64_t max, int64_t def,
		   int64_t *out, hutch_error *err)
{
	*out = def;
	if (json_get_int64(doc, "monitor.json", key, false, out, err) < 0)
		return -1;
	if (*out < min || *out > max)
		return hutch_fail_plain(err, EINVAL,
					"monitor.json: %s: %lld is out of range (%lld to %lld)",
					key, (long long)*out, (long long)min, (long long)max);
	return 0;
}

static int parse_port(json_object *o, size_t i, struct monitor_port *p, hutch_error *err)
{
	char where[64];
	snprintf(where, sizeof(where), "monitor.json: ports[%zu]", i);
	const char *proto = "tcp", *ip = "";
	int64_t host = 0, ctr = 0;
	if (!json_object_is_type(o, json_type_object))
		return hutch_fail_plain(err, EINVAL, "%s: expected an object", where);
	if (json_get_string(o, where, "proto", false, &proto, err) < 0 ||
	    json_get_string(o, where, "host_ip", false, &ip, err) < 0 ||
	    json_get_int64(o, where, "host_port", true, &host, err) < 0 ||
	    json_get_int64(o, where, "container_port", true, &ctr, err) < 0)
		return -1;
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
		return hutch_fail_plain(err, EINVAL, "%s: proto must be tcp or udp, not '%s'",
					where, proto);
	if (host < 1 || host > 65535 || ctr < 1 || ctr > 65535)
		return hutch_fail_plain(err, EINVAL, "%s: ports must be 1 to 65535", where);
	if (strlen(ip) >= sizeof(p->host_ip))
		return hutch_fail_plain(err, EINVAL, "%s: host_ip is too long", where);
	snprintf(p->proto, sizeof(p->proto), "%s", proto);
	snprintf(p->host_ip, sizeof(p->host_ip), "%s", ip[0] != '\0' ? ip : "0.0.0.0");
	p->host_port = (int)host;
	p->container_port = (int)ctr;
	return 0;
}

static int parse(json_object *doc, struct monitor_config *c, hutch_error *err)
{
	const char *s = NULL;
	if (!json_object_is_type(doc, json_type_object))
		return hutch_fail_plain(err, EINVAL, "monitor.json: expected an object");
	if (json_get_string(doc, "monitor.json", "id", true, &s, err) < 0)
		return -1;
	if (s[0] == '\0' || strchr(s, '/') != NULL || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return hutch_fail_plain(err, EINVAL, "monitor.json: id: bad container id '%s'", s);
	c->id = strdup(s);
	s = "";
	if (json_get_string(doc, "monitor.json", "name", false, &s, err) < 0)
		return -1;
	c->name = strdup(s);
	if (c->id == NULL || c->name == NULL)
		return hutch_fail(err, ENOMEM, "monitor.json");

	if (json_get_strv(doc, "monitor.json", "lower", true, &c->lower, &c->n_lower, err) < 0)
		return -1;
	if (c->n_lower == 0)
		return hutch_fail_plain(err, EINVAL, "monitor.json: lower: needs at least one dir");
	for (size_t i = 0; i < c->n_lower; i++)
		if (c->lower[i][0] != '/')
			return hutch_fail_plain(
			    err, EINVAL, "monitor.json: lower[%zu]: not an absolute path: %s", i,
			    c->lower[i]);
	if (get_path(doc, "upper", &c->upper, err) < 0 ||
	    get_path(doc, "work", &c->work, err) < 0 ||
	    get_path(doc, "rootfs", &c->rootfs, err) < 0 ||
	    get_path(doc, "runtime_dir", &c->runtime_dir, err) < 0 ||
	    get_path(doc, "log_path", &c->log_path, err) < 0)
		return -1;

	int64_t v;
	if (get_int(doc, "sandbox_pid", 0, INT_MAX, 0, &v, err) < 0)
		return -1;
	c->sandbox_pid = (pid_t)v;
	if (json_get_bool(doc, "monitor.json", "tty", &c->tty, err) < 0 ||
	    json_get_bool(doc, "monitor.json", "open_stdin", &c->open_stdin, err) < 0 ||
	    json_get_bool(doc, "monitor.json", "stdin_once", &c->stdin_once, err) < 0)
		return -1;

	s = "slirp";
	if (json_get_string(doc, "monitor.json", "network", false, &s, err) < 0)
		return -1;
	if (strcmp(s, "slirp") == 0)
		c->network = NETWORK_SLIRP;
	else if (strcmp(s, "none") == 0)
		c->network = NETWORK_NONE;
	else if (strcmp(s, "host") == 0)
		c->network = NETWORK_HOST;
	else
		return hutch_fail_plain(
		    err, EINVAL, "monitor.json: network must be slirp, none or host, not '%s'", s);
	if (get_int(doc, "mtu", 68, 65521, 65520, &v, err) < 0)
		return -1;
	c->mtu = (int)v;
	if (json_get_strv(doc, "monitor.json", "slirp_args", false, &c->slirp_args,
			  &c->n_slirp_args, err) < 0)
		return -1;

	json_object *ports = NULL;
	if (json_get_array(doc, "monitor.json", "ports", false, &ports, err) < 0)
		return -1;
	if (ports != NULL) {
		c->n_ports = json_object_array_length(ports);
		c->ports = calloc(c->n_ports + 1, sizeof(*c->ports));
		if (c->ports == NULL)
			return hutch_fail(err, ENOMEM, "monitor.json");
		for (size_t i = 0; i < c->n_ports; i++)
			if (parse_port(json_object_array_get_idx(ports, i), i, &c->ports[i], err) <
			    0)
				return -1;
	}
	if (c->n_ports > 0 && c->network != NETWORK_SLIRP)
		return hutch_fail_plain(err, EINVAL, "monitor.json: ports need the slirp network");

	if (get_int(doc, "log_max_bytes", 0, INT64_MAX, 0, &c->log_max_bytes, err) < 0 ||
	    get_int(doc, "stop_signal", 1, 64, SIGTERM, &v, err) < 0)
		return -1;
	c->stop_signal = (int)v;
	return 0;
}

int monitor_config_load(const char *dir, struct monitor_config *cfg, hutch_error *err)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/monitor.json", dir) >= sizeof(path))
		return hutch_fail_plain(err, ENAMETOOLONG, "%s: path too long", dir);
	_cleanup_json_ json_object *doc = NULL;
	memset(cfg, 0, sizeof(*cfg));
	if (json_read_file(path, &doc, err) < 0)
		return -1;
	if (parse(doc, cfg, err) < 0) {
		monitor_config_clear(cfg);
		return -1;
	}
	return 0;
}

void monitor_config_clear(struct monitor_config *c)
{
	free(c->id);
	free(c->name);
	strv_free(c->lower);
	free(c->upper);
	free(c->work);
	free(c->rootfs);
	free(c->runtime_dir);
	strv_free(c->slirp_args);
	free(c->ports);
	free(c->log_path);
	memset(c, 0, sizeof(*c));
}
