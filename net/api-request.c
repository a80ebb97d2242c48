#include "api-request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "json-util.h"

static int get_port(json_object *args, const char *key, uint16_t *port, hutch_error *err)
{
	int64_t v = 0;
	if (json_get_int64(args, "arguments", key, true, &v, err) < 0)
		return -1;
	if (v < 1 || v > 65535)
		return hutch_fail_plain(err, ERANGE,
					"arguments.%s: %lld is not a port (1 to 65535)", key,
					(long long)v);
	*port = (uint16_t)v;
	return 0;
}

/* Fill a sockaddr from an address literal and a port. */
static int make_sockaddr(const char *key, const char *text, uint16_t port,
			 struct sockaddr_storage *sa, socklen_t *len, hutch_error *err)
{
	int family;
	struct in_addr v4;
	struct in6_addr v6;
	if (net_parse_address(text, &family, &v4, &v6, NULL) < 0)
		return hutch_fail_plain(err, EINVAL, "arguments.%s: \"%s\" is not an IP address",
					key, text);
	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;
		sin->sin_family = AF_INET;
		sin->sin_addr = v4;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = v6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
	}
	return 0;
}

static int parse_add(json_object *args, const struct net_options *o, struct api_request *req,
		     hutch_error *err)
{
	const char *proto = NULL, *host_addr = "0.0.0.0", *guest_addr = NULL, *mode = NULL;
	uint16_t host_port, guest_port;
	if (json_get_string(args, "arguments", "proto", true, &proto, err) < 0 ||
	    json_get_string(args, "arguments", "host_addr", false, &host_addr, err) < 0 ||
	    json_get_string(args, "arguments", "guest_addr", false, &guest_addr, err) < 0 ||
	    json_get_string(args, "arguments", "mode", false, &mode, err) < 0 ||
	    json_get_bool(args, "arguments", "keep_source", &req->keep_source, err) < 0 ||
	    get_port(args, "host_port", &host_port, err) < 0 ||
	    get_port(args, "guest_port", &guest_port, err) < 0)
		return -1;
	/* podman sends "" for "not given"; slirp4netns takes it that way. */
	if (*host_addr == '\0')
		host_addr = "0.0.0.0";
	if (guest_addr != NULL && *guest_addr == '\0')
		guest_addr = NULL;
	if (strcmp(proto, "tcp") == 0)
		req->udp = false;
	else if (strcmp(proto, "udp") == 0)
		req->udp = true;
	else
		return hutch_fail_plain(
		    err, EINVAL, "arguments.proto: \"%s\" is neither \"tcp\" nor \"udp\"", proto);
	if (mode == NULL || strcmp(mode, "slirp") == 0)
		req->mode = API_MODE_SLIRP;
	else if (strcmp(mode, "socket") == 0)
		req->mode = API_MODE_SOCKET;
	else
		return hutch_fail_plain(
		    err, EINVAL, "arguments.mode: \"%s\" is neither \"slirp\" nor \"socket\"",
		    mode);
	if (req->keep_source && req->mode != API_MODE_SOCKET)
		return hutch_fail_plain(err, EINVAL,
					"arguments.keep_source needs \"mode\": \"socket\"");
	if (make_sockaddr("host_addr", host_addr, host_port, &req->host, &req->host_len, err) < 0)
		return -1;
	char default_guest[INET6_ADDRSTRLEN];
	if (guest_addr == NULL) {
		if (req->host.ss_family == AF_INET)
			inet_ntop(AF_INET, &o->guest, default_guest, sizeof(default_guest));
		else
			inet_ntop(AF_INET6, &o->guest6, default_guest, sizeof(default_guest));
		guest_addr = default_guest;
	}
	if (make_sockaddr("guest_addr", guest_addr, guest_port, &req->guest, &req->guest_len, err) <
	    0)
		return -1;
	if (req->mode == API_MODE_SLIRP && !o->enable_ipv6 &&
	    (req->host.ss_family == AF_INET6 || req->guest.ss_family == AF_INET6))
		return hutch_fail_plain(err, EINVAL,
					"IPv6 forwarding through slirp needs --enable-ipv6 (or "
					"\"mode\": \"socket\")");
	return 0;
}

int api_request_parse(const char *buf, size_t len, const struct net_options *o,
		      struct api_request *req, hutch_error *err)
{
	memset(req, 0, sizeof(*req));
	if (len > API_REQUEST_MAX)
		return hutch_fail_plain(err, EFBIG, "request larger than %d bytes",
					API_REQUEST_MAX);
	_cleanup_json_ json_object *root = NULL;
	if (json_parse_buffer(buf, len, "request", &root, err) < 0)
		return -1;
	if (!json_object_is_type(root, json_type_object))
		return hutch_fail_plain(err, EINVAL, "request: expected a JSON object");
	const char *execute = NULL;
	json_object *args = NULL;
	if (json_get_string(root, "", "execute", true, &execute, err) < 0 ||
	    json_get_object(root, "", "arguments", false, &args, err) < 0)
		return -1;
	if (strcmp(execute, "list_hostfwd") == 0) {
		req->command = API_LIST_HOSTFWD;
		return 0;
	}
	if (strcmp(execute, "add_hostfwd") == 0) {
		req->command = API_ADD_HOSTFWD;
		if (args == NULL)
			return hutch_fail_plain(err, EINVAL, "arguments: missing required field");
		return parse_add(args, o, req, err);
	}
	if (strcmp(execute, "remove_hostfwd") == 0) {
		req->command = API_REMOVE_HOSTFWD;
		if (args == NULL)
			return hutch_fail_plain(err, EINVAL, "arguments: missing required field");
		if (json_get_int64(args, "arguments", "id", true, &req->id, err) < 0)
			return -1;
		if (req->id < 1)
			return hutch_fail_plain(err, ERANGE, "arguments.id: %lld is not an id",
						(long long)req->id);
		return 0;
	}
	return hutch_fail_plain(err, EINVAL, "execute: unknown command \"%.64s\"", execute);
}

void api_sockaddr_text(const struct sockaddr_storage *sa, char *addr, size_t len, int *port)
{
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, addr, (socklen_t)len);
		*port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, (socklen_t)len);
		*port = ntohs(sin6->sin6_port);
	}
}
