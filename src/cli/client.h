/* The hutch CLI's HTTP client: the Docker API of hutchd over its unix
 * socket (libcurl, CURLOPT_UNIX_SOCKET_PATH), starting hutchd when nobody
 * listens on the default socket. */
#ifndef HUTCH_CLI_CLIENT_H
#define HUTCH_CLI_CLIENT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct client_options {
	const char *socket; /* NULL: $XDG_RUNTIME_DIR/hutch/hutchd.sock */
	bool no_start;	    /* never start hutchd */
};

void client_init(const struct client_options *opts);
const char *client_socket_path(void);

/* Called with each complete line of a streamed reply (JSON lines). */
typedef int (*client_line_fn)(void *ctx, const char *line, size_t len);

struct client_request {
	const char *method;
	const char *path; /* "/images/json?x=y", without version prefix */
	const char *body; /* request body in memory, or NULL */
	size_t body_len;
	FILE *upload; /* request body from a stream (image load) */
	const char *content_type;
	client_line_fn on_line; /* stream the reply line by line... */
	void *ctx;
	FILE *sink; /* ...or copy it raw into a file (image save) */
	/* ...or hand over each chunk of a successful reply as it arrives
	 * (logs, archives; an error reply still lands in *reply); a negative
	 * return aborts the transfer. */
	int (*on_data)(void *ctx, const char *buf, size_t len);
	/* The value of this reply header, copied to header_out (cp's
	 * X-Docker-Container-Path-Stat); empty when absent. */
	const char *want_header;
	char *header_out;
	size_t header_out_size;
};

/* Perform a request. *status gets the HTTP status; *reply (if not NULL)
 * the whole body when neither on_line nor sink is used. Errors mean the
 * daemon could not be reached or the transfer broke. */
int client_call(const struct client_request *req, long *status, char **reply, hutch_error *err);

/* client_call, with statuses >= 400 turned into an error carrying the
 * daemon's message ("Error response from daemon: ..."). -2 when a chunk
 * handler refused data (its own error). */
int client_call_ok(const struct client_request *req, char **reply, hutch_error *err);

/* A request with an optional JSON body and a JSON reply (out may be NULL),
 * errors as client_call_ok. */
int client_json_body(const char *method, const char *path, const char *body, json_object **out,
		     hutch_error *err);

/* GET/POST/DELETE with a JSON reply: statuses >= 400 become an error with
 * the daemon's message ("Error response from daemon: ..."). */
int client_json(const char *method, const char *path, json_object **out, hutch_error *err);

/* The message of an error reply {"message": "..."}. */
void client_error_message(const char *body, long status, hutch_error *err);

/* Percent-encode s for a query string (malloc'ed). */
char *client_escape(const char *s);

#endif
