/* The user sandbox: one user namespace (the caller's uid as root plus its
 * whole /etc/subuid range, or only the one uid) and a mount namespace,
 * kept alive by a tiny holder process whose pid is in
 * $XDG_RUNTIME_DIR/hutch/sandbox.pid. Layer unpacking and snapshot removal
 * run in helper processes that join it with setns; hutchd itself is
 * threaded and setns(CLONE_NEWUSER) refuses threaded callers, so it only
 * ever spawns. The holder outlives hutchd restarts (containers live in the
 * sandbox too). */
#ifndef HUTCH_DAEMON_SANDBOX_H
#define HUTCH_DAEMON_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "sandbox-join.h"

/* The argv[1] with which hutchd runs as the holder. */
#define SANDBOX_HOLDER_ARG "__sandbox-holder"

/* Return the pid of a live holder, starting one when there is none.
 * runtime_dir is $XDG_RUNTIME_DIR/hutch. Thread-safe. */
int sandbox_ensure(const char *runtime_dir, pid_t *pid, bool *single, hutch_error *err);

/* The pid of the live holder, or 0 when there is none (none is started:
 * for clean-ups that have nothing to do without a sandbox). */
pid_t sandbox_running(const char *runtime_dir);

/* The holder's main (argv: hutchd __sandbox-holder READY_FD GO_FD). */
int sandbox_holder_main(int argc, char **argv);

#endif
