/* hutch-slirp's own confinement.
 *
 * Once the TAP is open, the API socket bound and the namespace helper
 * running, the main process needs no file system and no privileges: it
 * only moves frames between the TAP and host sockets. --enable-sandbox
 * puts it in a private mount namespace whose root is an empty read-only
 * tmpfs holding one file, /etc/resolv.conf (libslirp reads it to forward
 * DNS), and drops every capability. --enable-seccomp then allows only the
 * system calls the event loop makes. */
#ifndef HUTCH_NET_SANDBOX_H
#define HUTCH_NET_SANDBOX_H

#include <stdbool.h>

#include "error.h"
#include "options.h"

/* Enter a private mount namespace (inside a new user namespace when the
 * process may not create one by itself) where /etc/resolv.conf shows the
 * contents of path. Used for --resolv-conf without --enable-sandbox. */
int sandbox_private_resolv_conf(const char *path, hutch_error *err);

/* --enable-sandbox: pivot into the empty root and drop capabilities.
 * resolv_conf is the file whose name servers slirp should use (NULL:
 * the host's /etc/resolv.conf). */
int sandbox_enter(const char *resolv_conf, hutch_error *err);

/* Confine the namespace helper once the TAP is made: with sandbox, drop
 * every capability (making sockets needs none); with seccomp, allow only
 * what serving socket requests takes. */
int sandbox_confine_helper(bool sandbox, bool seccomp, hutch_error *err);

/* --enable-seccomp: install the allow-list for the calling process. */
int sandbox_seccomp(hutch_error *err);

#endif
