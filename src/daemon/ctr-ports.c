/* Published ports: Config.ExposedPorts ("80/tcp": {}), HostConfig
 * PortBindings ({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}) and
 * PublishAllPorts, turned into the forwards hutch-slirp sets up. Host ports
 * left to us ("" or "0", -P) are chosen now by binding a socket, since
 * monitor.json never holds port 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctr-build-internal.h"

/* A decimal port 1..65535 (0 allowed when zero_ok). */
static bool parse_port_number(const char *s, size_t len, bool zero_ok, uint16_t *out)
{
	if (len == 0 || len > 5)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535 || (v == 0 && !zero_ok))
		return false;
	*out = (uint16_t)v;
	return true;
}

int ctr_port_key_parse(const char *key, uint16_t *port, char proto[4], hutch_error *err)
{
	const char *slash = strchr(key, '/');
	size_t plen = slash ? (size_t)(slash - key) : strlen(key);
	const char *p = slash ? slash + 1 : "tcp";
	if (!parse_port_number(key, plen, false, port))
		return hutch_fail_plain(err, EINVAL, "invalid port specification: \"%.*s\"",
					(int)plen, key);
	if (strcmp(p, "tcp") != 0 && strcmp(p, "udp") != 0) {
		if (strcmp(p, "sctp") == 0)
			return hutch_fail_plain(
			    err, EINVAL,
			    "port %s: sctp is not supported (slirp forwards tcp "
			    "and udp)",
			    key);
		return hutch_fail_plain(err, EINVAL, "invalid proto: \"%s\" in port \"%s\"", p,
					key);
	}
	snprintf(proto, 4, "%s", p);
	return 0;
}

int ctr_host_port_parse(const char *s, uint16_t *first, uint16_t *last, hutch_error *err)
{
	*first = *last = 0;
	if (s == NULL || s[0] == '\0')
		return 0;
	const char *dash = strchr(s, '-');
	if (dash == NULL) {
		if (!parse_port_number(s, strlen(s), true, first))
			goto bad;
		*last = *first;
		return 0;
	}
	if (!parse_port_number(s, (size_t)(dash - s), false, first) ||
	    !parse_port_number(dash + 1, strlen(dash + 1), false, last) || *last < *first)
		goto bad;
	return 0;
bad:
	return hutch_fail_plain(err, EINVAL, "invalid port specification: \"%s\"", s);
}

static void add_port(struct ctr_port **ports, size_t *n, const struct ctr_port *p)
{
	struct ctr_port *np = realloc(*ports, (*n + 1) * sizeof(*np));
	if (np == NULL)
		abort();
	np[(*n)++] = *p;
	*ports = np;
}

static json_object *get_obj(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

/* "80" and "80/tcp" name one port: ExposedPorts and PortBindings are
 * compared by their canonical "port/proto" key. */
static void canonical_key(uint16_t port, const char *proto, char *buf, size_t size)
{
	snprintf(buf, size, "%u/%s", (unsigned)port, proto);
}

int ctr_ports_collect(json_object *config, json_object *host, struct ctr_port **out, size_t *n,
		      hutch_error *err)
{
	*out = NULL;
	*n = 0;
	struct ctr_port *ports = NULL;
	size_t count = 0;
	json_object *exposed = get_obj(config, "ExposedPorts");
	json_object *bindings = get_obj(host, "PortBindings");
	json_object *pa = NULL;
	bool publish_all =
	    json_object_object_get_ex(host, "PublishAllPorts", &pa) && json_object_get_boolean(pa);

	/* Canonical ExposedPorts (Docker keys them "80/tcp"). */
	json_object *canon = json_object_new_object();
	if (exposed != NULL) {
		json_object_object_foreach(exposed, key, v)
		{
			(void)v;
			uint16_t port;
			char proto[4], k[16];
			if (ctr_port_key_parse(key, &port, proto, err) < 0)
				goto fail;
			canonical_key(port, proto, k, sizeof(k));
			json_object_object_add(canon, k, json_object_new_object());
		}
	}
	if (bindings != NULL) {
		json_object_object_foreach(bindings, key, list)
		{
			uint16_t port;
			char proto[4], k[16];
			if (ctr_port_key_parse(key, &port, proto, err) < 0)
				goto fail;
			canonical_key(port, proto, k, sizeof(k));
			if (!json_object_object_get_ex(canon, k, NULL))
				json_object_object_add(canon, k, json_object_new_object());
			size_t nb = json_object_is_type(list, json_type_array)
					? json_object_array_length(list)
					: 0;
			for (size_t i = 0; i < nb; i++) {
				json_object *b = json_object_array_get_idx(list, i), *v = NULL;
				struct ctr_port p = {.container_port = port};
				snprintf(p.proto, sizeof(p.proto), "%s", proto);
				const char *ip = json_object_object_get_ex(b, "HostIp", &v) && v
						     ? json_object_get_string(v)
						     : "";
				const char *hp = json_object_object_get_ex(b, "HostPort", &v) && v
						     ? json_object_get_string(v)
						     : "";
				if (ip[0] != '\0' && !ctr_valid_ip(ip)) {
					hutch_fail_plain(err, EINVAL, "invalid IP address: %s", ip);
					goto fail;
				}
				if (strlen(ip) >= sizeof(p.host_ip)) {
					hutch_fail_plain(err, EINVAL, "invalid IP address: %s", ip);
					goto fail;
				}
				snprintf(p.host_ip, sizeof(p.host_ip), "%s", ip);
				if (ctr_host_port_parse(hp, &p.host_port, &p.host_port_last, err) <
				    0)
					goto fail;
				add_port(&ports, &count, &p);
			}
		}
	}
	/* -P: every exposed port without a binding gets a host port. */
	if (publish_all) {
		json_object_object_foreach(canon, key, v)
		{
			(void)v;
			uint16_t port;
			char proto[4];
			ctr_port_key_parse(key, &port, proto, NULL);
			bool bound = false;
			for (size_t i = 0; i < count && !bound; i++)
				bound = ports[i].container_port == port &&
					strcmp(ports[i].proto, proto) == 0;
			if (!bound) {
				struct ctr_port p = {.container_port = port};
				snprintf(p.proto, sizeof(p.proto), "%s", proto);
				add_port(&ports, &count, &p);
			}
		}
	}
	json_object_object_add(config, "ExposedPorts",
			       json_object_object_length(canon) ? canon : NULL);
	if (json_object_object_length(canon) == 0)
		json_object_put(canon);
	*out = ports;
	*n = count;
	return 0;
fail:
	json_object_put(canon);
	free(ports);
	return -1;
}

/* Bind proto on ip:port (port 0: any); returns the bound port or 0. */
static uint16_t try_bind(const char *proto, const char *ip, uint16_t port)
{
	bool v6 = strchr(ip, ':') != NULL;
	_cleanup_close_ int fd =
	    socket(v6 ? AF_INET6 : AF_INET,
		   (strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, ip, &a->sin6_addr) != 1)
			return 0;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		if (ip[0] != '\0' && inet_pton(AF_INET, ip, &a->sin_addr) != 1)
			return 0;
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			: ((struct sockaddr_in *)&ss)->sin_port);
}

static bool taken_by(const struct ctr_port *ports, size_t n, const char *proto, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i].host_port == port && strcmp(ports[i].proto, proto) == 0)
			return true;
	return false;
}

int ctr_ports_choose(struct ctr_port *ports, size_t n, hutch_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct ctr_port *p = &ports[i];
		if (p->host_port != 0 && p->host_port == p->host_port_last)
			continue; /* fixed: checked by hutch-slirp at start */
		if (p->host_port == 0) {
			/* The kernel's ephemeral choice; retried in the unlikely
			 * case it hands out a port another forward here took. */
			for (int tries = 0; tries < 16 && p->host_port == 0; tries++) {
				uint16_t got = try_bind(p->proto, p->host_ip, 0);
				if (got != 0 && !taken_by(ports, n, p->proto, got))
					p->host_port = got;
			}
			if (p->host_port == 0)
				return hutch_fail(err, EADDRINUSE, "no free %s port on %s",
						  p->proto, p->host_ip[0] ? p->host_ip : "0.0.0.0");
		} else {
			uint16_t first = p->host_port, last = p->host_port_last;
			p->host_port = 0;
			for (unsigned port = first; port <= last && p->host_port == 0; port++)
				if (!taken_by(ports, n, p->proto, (uint16_t)port) &&
				    try_bind(p->proto, p->host_ip, (uint16_t)port) == port)
					p->host_port = (uint16_t)port;
			if (p->host_port == 0)
				return hutch_fail_plain(
				    err, EADDRINUSE,
				    "all ports are allocated: no free %s port in "
				    "%u-%u",
				    p->proto, first, last);
		}
		p->host_port_last = p->host_port;
	}
	return 0;
}

json_object *ctr_ports_json(const struct ctr_port *ports, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "proto", json_object_new_string(ports[i].proto));
		json_object_object_add(o, "host_ip", json_object_new_string(ports[i].host_ip));
		json_object_object_add(o, "host_port", json_object_new_int(ports[i].host_port));
		json_object_object_add(o, "container_port",
				       json_object_new_int(ports[i].container_port));
		json_object_array_add(a, o);
	}
	return a;
}
