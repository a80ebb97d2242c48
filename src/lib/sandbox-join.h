/* Joining hutchd's user sandbox (see src/daemon/sandbox.h): used by
 * hutchd's helpers and by hutch-monitor. */
#ifndef HUTCH_SANDBOX_JOIN_H
#define HUTCH_SANDBOX_JOIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* In a single-threaded process: enter the holder's user and mount
 * namespaces and become root there. */
int sandbox_join(pid_t pid, hutch_error *err);

/* After sandbox_join: true when the sandbox maps only the user's own uid
 * (one uid_map line), so ownership that cannot be stored for real goes
 * to hutch-overlay's xattr (xattr_permissions=2). */
bool sandbox_maps_single_uid(void);

#endif
