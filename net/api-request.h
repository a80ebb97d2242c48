/* Requests of the API socket, checked before anything acts on them.
 *
 * The protocol is slirp4netns's: one JSON object per connection,
 *   {"execute": "add_hostfwd", "arguments": {"proto": "tcp",
 *    "host_addr": "0.0.0.0", "host_port": 8080,
 *    "guest_addr": "10.0.2.100", "guest_port": 80}}
 *   {"execute": "list_hostfwd"}
 *   {"execute": "remove_hostfwd", "arguments": {"id": 1}}
 * hutch adds optional arguments to add_hostfwd: "mode": "slirp" (the
 * default, slirp4netns's behaviour) or "socket" (the fast forwarder), and
 * for socket mode "keep_source": true, which lets a client on the host's
 * loopback appear to the guest with its own loopback address. */
#ifndef HUTCH_NET_API_REQUEST_H
#define HUTCH_NET_API_REQUEST_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "error.h"
#include "options.h"

/* slirp4netns's limit, kept so clients see the same behaviour. */
#define API_REQUEST_MAX 4096

enum api_command {
	API_ADD_HOSTFWD,
	API_LIST_HOSTFWD,
	API_REMOVE_HOSTFWD,
};

enum api_forward_mode {
	API_MODE_SLIRP = 0,
	API_MODE_SOCKET,
};

struct api_request {
	enum api_command command;
	/* add_hostfwd */
	bool udp;
	enum api_forward_mode mode;
	bool keep_source;
	struct sockaddr_storage host, guest; /* ports filled in */
	socklen_t host_len, guest_len;
	/* remove_hostfwd */
	int64_t id;
};

/* Parse and check one request. Defaults come from opts: host_addr
 * 0.0.0.0, guest_addr the guest's address of the host address's family.
 * Every failure is an error whose message is fit for {"error":{"desc"}}. */
int api_request_parse(const char *buf, size_t len, const struct net_options *opts,
		      struct api_request *req, hutch_error *err);

/* "10.0.2.100" or "fd00::100" and the port of a sockaddr. */
void api_sockaddr_text(const struct sockaddr_storage *sa, char *addr, size_t len, int *port);

#endif
