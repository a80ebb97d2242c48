/* An attached session of run, start -a and exec: the hijacked stream
 * pumped to the terminal with raw mode, resizes, signal proxying and the
 * detach keys arranged around it. */
#ifndef HUTCH_CLI_SESSION_H
#define HUTCH_CLI_SESSION_H

#include <stdbool.h>

#include "attach.h"
#include "error.h"

struct session_opts {
	const char *resize_base; /* "/containers/ID" or "/exec/ID" */
	const char *kill_base;	 /* "/containers/ID" to proxy signals to, or NULL */
	bool tty;		 /* the process has a terminal: raw bytes, resizes */
	bool send_stdin;	 /* stdin is attached */
	bool sig_proxy;		 /* forward signals (only without a tty) */
	const char *detach_keys; /* NULL: ctrl-p,ctrl-q */
};

/* Pump h until the stream ends or the user detaches (PUMP_EOF,
 * PUMP_DETACHED), or -1 with err. The terminal is back to normal when it
 * returns. The caller has started the process already. */
int session_pump(struct raw_http *h, const struct session_opts *o, hutch_error *err);

/* The POST .../attach path for a container: stream the output (and stdin
 * when asked) from now on. */
void session_attach_path(char *out, size_t size, const char *id, bool with_stdin);

#endif
