/* The API socket: slirp4netns's JSON protocol (see api-request.h) served
 * from the event loop. Every client is non-blocking and has a deadline,
 * so a client that sends half a request and waits, or never reads its
 * answer, costs a file descriptor for a few seconds and nothing else. */
#ifndef HUTCH_NET_API_H
#define HUTCH_NET_API_H

#include "error.h"
#include "forward.h"
#include "loop.h"
#include "options.h"

/* How long a client may take to send its request and read the answer. */
#define API_CLIENT_TIMEOUT_MS 5000
#define API_CLIENTS_MAX 64

struct api;

/* Bind and listen on opts->api_socket (a stale socket file is replaced). */
int api_new(struct loop *loop, struct forwarder *fw, const struct net_options *opts,
	    struct api **out, hutch_error *err);
/* Close the socket and remove its file. */
void api_free(struct api *api);

#endif
