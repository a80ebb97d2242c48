/* Namespaces of a new container process: which to create, which to join
 * by path, and the user-namespace decision that makes hutch work rootless
 * everywhere:
 *
 *  (a) unprivileged with a subuid range: a missing user namespace is added
 *      with the full mapping (own id -> 0, the ranges -> 1..N) written by
 *      newuidmap/newgidmap; a config that maps only the caller's own id is
 *      written directly, no helper exec;
 *  (b) unprivileged without a range: one id is mapped, setgroups denied,
 *      and a warning says so when the config asked for more; the caller's
 *      id is mapped to process.user's uid/gid so a non-root user works;
 *  (c) root in a user namespace (podman): no new user namespace unless the
 *      config asks; maps are written directly;
 *  (d) real root: the config as written.
 */
#ifndef HUTCH_NAMESPACES_H
#define HUTCH_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci-config.h"

/* True when the caller lives in the initial user namespace (its uid_map
 * is the identity over the whole range). */
bool userns_caller_is_initial(void);

struct userns_plan {
	bool create;			 /* a new user namespace (config or added) */
	bool join;			 /* the config joins one by path */
	struct oci_id_mapping *uid_maps; /* maps to write when create; owned */
	size_t n_uid_maps;
	struct oci_id_mapping *gid_maps;
	size_t n_gid_maps;
	bool setgroups_allowed; /* in the container's user namespace */
	bool in_userns;		/* the container is not in the initial userns */
};

int userns_plan_make(const struct oci_config *cfg, struct userns_plan *plan, hutch_error *err);
void userns_plan_clear(struct userns_plan *plan);

/* The namespaces to create (clone flags) and to join (fds opened from the
 * config's paths, in oci_namespace_type order). */
struct ns_plan {
	int clone_flags;
	int join_fd[OCI_NS_COUNT]; /* -1 when not joined */
	bool any_join;
};

int ns_plan_make(const struct oci_config *cfg, const struct userns_plan *userns,
		 struct ns_plan *plan, hutch_error *err);
void ns_plan_close(struct ns_plan *plan);

/* setns() into every fd of plan (or of fds[]) in the order the kernel
 * needs: the user namespace first (it grants the rights to join the
 * others), the mount namespace last (after it the paths we came from are
 * gone). Only one thread may call this. */
int ns_join_fds(const int fds[OCI_NS_COUNT], hutch_error *err);

/* clone3() (clone() on old kernels) without a new stack: returns twice
 * like fork(). flags are CLONE_NEW* (and CLONE_PARENT); *pidfd gets a
 * pidfd of the child when pidfd is not NULL and the kernel can. */
pid_t ns_clone(int flags, int *pidfd);

#endif
