/* Process attributes applied in the container's init process (and in an
 * exec'd process) just before execve: rlimits, oom_score_adj, then the
 * identity switch (groups, gid, uid), capabilities, no_new_privileges and
 * seccomp, in the order the kernel requires. */
#ifndef HUTCH_PROCESS_ATTRS_H
#define HUTCH_PROCESS_ATTRS_H

#include "error.h"
#include "oci-config.h"

int process_apply_rlimits(const struct oci_process *p, hutch_error *err);
int process_apply_oom_score_adj(const struct oci_process *p, hutch_error *err);

/* Switch to process.user (setgroups when allowed, setresgid, setresuid
 * keeping capabilities across the switch), then set the five capability
 * sets, umask, no_new_privileges, and load the seccomp filter (may be NULL).
 * When the filter has a listenerPath, *seccomp_notify_fd receives the
 * listener fd (else -1); the caller passes it on. setgroups_allowed is
 * false in a user namespace whose /proc/PID/setgroups is "deny". */
int process_finalize_identity(const struct oci_process *p, const struct oci_seccomp *seccomp,
			      bool setgroups_allowed, int *seccomp_notify_fd, hutch_error *err);

#endif
