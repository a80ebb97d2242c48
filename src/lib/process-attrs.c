/* The last steps of a container process before execve: limits, OOM score,
 * identity, capabilities, no_new_privileges and seccomp.
 *
 * Order matters and each step says why it is where it is:
 *   1. rlimits and oom_score_adj while we are still root in the namespace;
 *   2. the capability bounding set, which needs CAP_SETPCAP;
 *   3. groups, gid, then uid, with PR_SET_KEEPCAPS so the permitted set
 *      survives a switch to a non-root uid;
 *   4. the effective/permitted/inheritable/ambient sets of the config;
 *   5. umask and no_new_privileges;
 *   6. the seccomp filter, as late as possible, so the runtime's own
 *      syscalls above never meet it.
 * Loading a filter needs no_new_privileges or CAP_SYS_ADMIN. When the
 * config asks for neither, runc loads the filter before step 2 and lets
 * the profile see all of the identity switch. hutch instead keeps
 * CAP_SYS_ADMIN in step 4, loads the filter in step 6 and then drops it
 * with a single capset(2): the profile only ever sees that one call (and
 * the execve that follows, which any working profile allows). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "file-util.h"
#include "log.h"
#include "process-attrs.h"
#include "seccomp.h"

#define DEFAULT_UMASK 0022

int process_apply_rlimits(const struct oci_process *p, hutch_error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct oci_rlimit *r = &p->rlimits[i];
		const char *name = r->type != NULL ? r->type : "rlimit";
		if (r->soft > r->hard)
			return hutch_fail_plain(err, EINVAL,
						"process.rlimits[%zu]: %s soft limit %llu is above "
						"its hard limit %llu",
						i, name, (unsigned long long)r->soft,
						(unsigned long long)r->hard);
		struct rlimit lim = {.rlim_cur = (rlim_t)r->soft, .rlim_max = (rlim_t)r->hard};
		if (setrlimit(r->resource, &lim) == 0)
			continue;
		int e = errno;
		if (e == EPERM) {
			struct rlimit cur = {0};
			getrlimit(r->resource, &cur);
			return hutch_fail(err, e,
					  "set %s to soft %llu hard %llu: raising the hard limit "
					  "above %llu needs CAP_SYS_RESOURCE in the initial user "
					  "namespace (not available rootless)",
					  name, (unsigned long long)r->soft,
					  (unsigned long long)r->hard,
					  (unsigned long long)cur.rlim_max);
		}
		return hutch_fail(err, e, "set %s to soft %llu hard %llu", name,
				  (unsigned long long)r->soft, (unsigned long long)r->hard);
	}
	return 0;
}

static int read_oom_score_adj(int *out)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/oom_score_adj", "re");
	if (f == NULL || fscanf(f, "%d", out) != 1)
		return -1;
	return 0;
}

int process_apply_oom_score_adj(const struct oci_process *p, hutch_error *err)
{
	if (!p->has_oom_score_adj)
		return 0;
	int current = 0;
	bool known = read_oom_score_adj(&current) == 0;
	if (known && current == p->oom_score_adj)
		return 0;
	char value[16];
	snprintf(value, sizeof(value), "%d", p->oom_score_adj);
	hutch_error werr = {0};
	if (write_file_string("/proc/self/oom_score_adj", value, &werr) == 0)
		return 0;
	/* A non-dumpable process in a user namespace cannot open its own
	 * /proc files for writing: they belong to the root of the namespace
	 * its memory was created in (the runtime's, before execve). Become
	 * dumpable for this one write, but only as pid 1 of the container's
	 * fresh pid namespace: then no process of the container exists yet
	 * that could use the moment to reach our executable (CVE-2019-5736).
	 * Callers that apply this before PR_SET_DUMPABLE(0) never get here. */
	if (werr.errnum == EACCES && getpid() == 1 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 &&
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0) {
		hutch_error_clear(&werr);
		int r = write_file_string("/proc/self/oom_score_adj", value, &werr);
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			return hutch_fail(err, errno, "prctl(PR_SET_DUMPABLE, 0)");
		if (r == 0)
			return 0;
	}
	/* The kernel lets anyone raise the score; lowering it below what an
	 * unprivileged process was given needs CAP_SYS_RESOURCE, which no
	 * user namespace grants. */
	if ((werr.errnum == EACCES || werr.errnum == EPERM) && known && p->oom_score_adj < current)
		return hutch_fail(err, werr.errnum,
				  "set oom_score_adj to %d: lowering it below the current %d "
				  "needs CAP_SYS_RESOURCE in the initial user namespace",
				  p->oom_score_adj, current);
	if (werr.errnum == EACCES && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0)
		return hutch_fail(
		    err, EACCES,
		    "set oom_score_adj to %d: /proc/self/oom_score_adj is not writable "
		    "by a non-dumpable process in a user namespace (set it before "
		    "PR_SET_DUMPABLE(0))",
		    p->oom_score_adj);
	*err = werr;
	return hutch_error_prefix(err, "set oom_score_adj to %d", p->oom_score_adj);
}

static int set_groups(const struct oci_user *u, bool setgroups_allowed, hutch_error *err)
{
	if (!setgroups_allowed) {
		/* A single-id user namespace has setgroups "deny": the process
		 * keeps whatever groups it had (they show as the overflow gid). */
		if (u->n_additional_gids > 0)
			log_warning("process.user.additionalGids ignored: setgroups is denied in "
				    "this user namespace (single-id mapping, no subgid range)");
		return 0;
	}
	size_t n = u->n_additional_gids + 1;
	_cleanup_free_ gid_t *gids = calloc(n, sizeof(gid_t));
	if (gids == NULL)
		return hutch_fail(err, ENOMEM, "setgroups");
	gids[0] = (gid_t)u->gid;
	size_t count = 1;
	for (size_t i = 0; i < u->n_additional_gids; i++) {
		bool dup = false;
		for (size_t j = 0; j < count; j++)
			dup = dup || gids[j] == (gid_t)u->additional_gids[i];
		if (!dup)
			gids[count++] = (gid_t)u->additional_gids[i];
	}
	if (setgroups(count, gids) < 0) {
		if (errno == EINVAL)
			return hutch_fail(err, errno,
					  "setgroups for process.user (gid %u and %zu additional "
					  "gids): a gid is not mapped in the container's user "
					  "namespace",
					  u->gid, u->n_additional_gids);
		return hutch_fail(err, errno, "setgroups for process.user");
	}
	return 0;
}

static int switch_ids(const struct oci_user *u, hutch_error *err)
{
	if (setresgid(u->gid, u->gid, u->gid) < 0) {
		if (errno == EINVAL)
			return hutch_fail(err, errno,
					  "switch to gid %u: gid %u is not mapped in the "
					  "container's user namespace",
					  u->gid, u->gid);
		return hutch_fail(err, errno, "switch to gid %u", u->gid);
	}
	/* Keep the permitted set across a switch away from uid 0; the
	 * config's sets are applied right after. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return hutch_fail(err, errno, "prctl PR_SET_KEEPCAPS");
	if (setresuid(u->uid, u->uid, u->uid) < 0) {
		if (errno == EINVAL)
			return hutch_fail(err, errno,
					  "switch to uid %u: uid %u is not mapped in the "
					  "container's user namespace",
					  u->uid, u->uid);
		return hutch_fail(err, errno, "switch to uid %u", u->uid);
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return hutch_fail(err, errno, "prctl PR_SET_KEEPCAPS");
	return 0;
}

int process_finalize_identity(const struct oci_process *p, const struct oci_seccomp *seccomp,
			      bool setgroups_allowed, int *seccomp_notify_fd, hutch_error *err)
{
	*seccomp_notify_fd = -1;
	const struct oci_capabilities *caps = p->capabilities;

	if (caps_apply_bounding(caps, err) < 0)
		return -1;
	if (set_groups(&p->user, setgroups_allowed, err) < 0 || switch_ids(&p->user, err) < 0)
		return -1;

	/* See the top of this file: without no_new_privileges and without
	 * CAP_SYS_ADMIN in the final sets, hold it for the filter load. */
	bool borrow_admin = seccomp != NULL && !p->no_new_privileges &&
			    !(caps_config_has(caps, CAPS_SET_EFFECTIVE, CAP_SYS_ADMIN) &&
			      caps_config_has(caps, CAPS_SET_PERMITTED, CAP_SYS_ADMIN));
	if (caps_apply_sets_keeping(caps, borrow_admin ? CAP_SYS_ADMIN : -1, err) < 0)
		return -1;

	umask(p->user.has_umask ? (mode_t)p->user.umask : DEFAULT_UMASK);
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hutch_fail(err, errno, "prctl PR_SET_NO_NEW_PRIVS");

	_cleanup_close_ int notify_fd = -1;
	if (seccomp_load_config(seccomp, &notify_fd, err) < 0)
		return -1;
	if (borrow_admin && caps_drop_current(CAP_SYS_ADMIN, err) < 0)
		return hutch_error_prefix(err, "after loading the seccomp filter (the profile must "
					       "allow capset)");
	*seccomp_notify_fd = steal_fd(&notify_fd);
	return 0;
}
