/* User and group id mappings: /etc/subuid and /etc/subgid ranges, and
 * writing /proc/PID/{uid,gid}_map directly or through the setuid helpers
 * newuidmap/newgidmap (uidmap package). Shared by hutch-oci (containers)
 * and hutchd (the user sandbox). */
#ifndef HUTCH_IDMAP_H
#define HUTCH_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "oci-config.h"

/* Parse a subid file (path is /etc/subuid or /etc/subgid, or a test file)
 * for the user named name or with numeric id. Returns the ranges as
 * mappings with container_id filled 1, 1+size1, ... (contiguous after the
 * caller's own id at 0). *n == 0 when the user has no range. */
int idmap_read_subid(const char *path, const char *name, uid_t id, struct oci_id_mapping **ranges,
		     size_t *n, hutch_error *err);

/* The caller's default mapping for a new user namespace: container 0 is
 * the caller's own uid (or gid), followed by every subordinate range. When
 * there is no range, *single is set and only the one id is mapped. */
int idmap_default_for_caller(bool gid, struct oci_id_mapping **maps, size_t *n, bool *single,
			     hutch_error *err);

/* Every id the caller itself has, as an identity mapping: the inside
 * column of /proc/self/uid_map (or gid_map). For root in a user namespace
 * (how podman calls a runtime) this is the whole range it may hand on. */
int idmap_own_identity(bool gid, struct oci_id_mapping **maps, size_t *n, hutch_error *err);

/* Write the uid (gid == false) or gid map of pid. A mapping of only the
 * caller's own id is written directly (for gids after writing "deny" to
 * /proc/PID/setgroups, as the kernel requires for unprivileged writers);
 * anything larger goes through newuidmap/newgidmap, unless the caller is
 * privileged over the target namespace, in which case it writes directly.
 * Errors name the helper and its output. */
int idmap_write(pid_t pid, bool gid, const struct oci_id_mapping *maps, size_t n, hutch_error *err);

/* Format maps as the kernel's "inside outside count\n" lines. */
char *idmap_format(const struct oci_id_mapping *maps, size_t n);

#endif
