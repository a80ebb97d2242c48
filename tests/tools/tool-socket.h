/* What the security test tools share: a listening unix socket and a fatal
 * error that names the tool. */
#ifndef HUTCH_TOOL_SOCKET_H
#define HUTCH_TOOL_SOCKET_H

/* Print "PROG: what: strerror(errno)" and exit 1. */
void tool_die(const char *prog, const char *what) __attribute__((noreturn));

/* Bind and listen on a unix socket at path (replacing a stale one); exits
 * with a message on failure. */
int tool_listen_unix(const char *prog, const char *path);

#endif
