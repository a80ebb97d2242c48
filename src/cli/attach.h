/* The hijacked connection of attach and exec start: HTTP/1.1 written by
 * hand over hutchd's unix socket (libcurl cannot hand a connection over
 * to a bidirectional byte pump), then the raw stream. Without a tty the
 * output arrives as Docker's multiplexed frames (8-byte header
 * [stream, 0, 0, 0, size32be]); with a tty as raw bytes. */
#ifndef HUTCH_CLI_ATTACH_H
#define HUTCH_CLI_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A plain HTTP exchange on its own connection, for requests whose reply
 * comes late (wait) and must be sent before something else happens. */
struct raw_http {
	int fd;
	char *pending; /* bytes read past the response head */
	size_t pending_len;
	long status;
	bool chunked;
	long long content_length; /* -1: until the connection closes */
};

/* Connect to hutchd and send METHOD PATH (with an optional JSON body).
 * upgrade asks for a hijacked stream (Upgrade: tcp). */
int raw_http_send(struct raw_http *h, const char *method, const char *path, const char *body,
		  bool upgrade, hutch_error *err);
/* Read the status line and headers. */
int raw_http_read_head(struct raw_http *h, hutch_error *err);
/* Read the whole body (Content-Length, chunked or until close). */
int raw_http_read_body(struct raw_http *h, char **body, size_t *len, hutch_error *err);
void raw_http_close(struct raw_http *h);

/* Send the request and read the head; a status of 101 or 200 leaves h
 * ready to pump, anything else becomes "Error response from daemon: ..."
 * and the connection is closed. */
int hijack_open(struct raw_http *h, const char *method, const char *path, const char *body,
		hutch_error *err);

/* Docker's stream demultiplexer, fed with arbitrary chunks. */
struct demux {
	uint8_t head[8];
	size_t head_len;
	uint32_t left; /* payload bytes of the current frame still to come */
	int stream;    /* 1 stdout, 2 stderr (0 stdin is shown as stdout) */
};
/* Write the payloads of buf to fds 1 and 2. Returns -1 when writing
 * fails (errno set). */
int demux_feed(struct demux *d, const char *buf, size_t len);

/* A parsed detach sequence ("ctrl-p,ctrl-q"). */
struct detach_keys {
	unsigned char keys[16];
	size_t n;
};
/* Docker's syntax: comma-separated keys, each a single character or
 * ctrl-X for X in a-z, @, [, \, ], ^, _. An empty string disables
 * detaching. */
int detach_keys_parse(const char *spec, struct detach_keys *out, hutch_error *err);

enum pump_end {
	PUMP_EOF,      /* the daemon ended the stream: the process is done */
	PUMP_DETACHED, /* the user typed the detach keys */
};

/* Called when the self-pipe of pump_opts.signal_fd reports a signal. */
typedef void (*pump_signal_fn)(void *ctx, int signo);

struct pump_opts {
	bool tty;			  /* raw bytes instead of frames */
	bool send_stdin;		  /* copy stdin to the stream, half-close at EOF */
	const struct detach_keys *detach; /* NULL or n == 0: no detaching */
	int signal_fd;			  /* read end of a self-pipe of signal numbers, or -1 */
	pump_signal_fn on_signal;
	void *ctx;
};

/* Relay between the terminal and the stream until the daemon closes it
 * (or the user detaches). Returns the way it ended, or -1 with err. */
int hijack_pump(struct raw_http *h, const struct pump_opts *o, hutch_error *err);

#endif
