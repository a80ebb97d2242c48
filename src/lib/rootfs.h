/* The container's filesystem view: mounts, devices, pivot_root, masked
 * and read-only paths, hostname and sysctls. All of it runs in the
 * container's init process, in its new mount namespace, in this order:
 *
 *   rootfs_prepare()   mounts under the rootfs (still reachable from the
 *                      host tree), /dev, devices, /dev symlinks
 *   [createContainer hooks run here, by the lifecycle code]
 *   rootfs_enter()     pivot_root (chroot with --no-pivot)
 *   rootfs_finalize()  masked paths, readonly paths, read-only root,
 *                      final rootfsPropagation, sysctls, hostname
 *
 * (rootfs_finalize writes the sysctls first, while /proc/sys is still
 * writable; docs/architecture/rootfs.md has the details.)
 */
#ifndef HUTCH_ROOTFS_H
#define HUTCH_ROOTFS_H

#include <stdbool.h>

#include "error.h"
#include "oci-config.h"

struct rootfs_context {
	const struct oci_config *cfg;
	const char *bundle; /* absolute bundle path */
	const char *rootfs; /* absolute, symlink-free path of the rootfs */
	/* The container runs in a user namespace that we created or joined
	 * (not the initial one): mknod is impossible, sysfs needs a bind
	 * fallback when there is no new network namespace, devpts must not
	 * ask for gid=5 unless that gid is mapped. */
	bool in_userns;
	bool no_pivot;
};

int rootfs_prepare(const struct rootfs_context *ctx, hutch_error *err);
int rootfs_enter(const struct rootfs_context *ctx, hutch_error *err);
int rootfs_finalize(const struct rootfs_context *ctx, hutch_error *err);

/* Parsed mount options of one OCI mount entry. */
struct mount_options {
	unsigned long flags;	   /* MS_* to set */
	unsigned long clear_flags; /* MS_* explicitly cleared ("rw", "suid") */
	unsigned long propagation; /* MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE (+MS_REC) */
	bool bind;		   /* "bind" or "rbind" */
	bool recursive;		   /* "rbind" */
	/* mount_setattr(2) attributes applied recursively ("rro", "rnosuid", ...) */
	unsigned long long rec_attr_set;
	unsigned long long rec_attr_clr;
	char *data; /* remaining filesystem-specific options, comma-joined; owned */
	/* Additions to the contract (rootfs engineer): */
	bool tmpcopyup;	      /* tmpfs: copy the directory's old content in */
	bool idmap;	      /* "idmap" or "ridmap": an idmapped bind mount */
	bool idmap_recursive; /* "ridmap" */
};

/* Parse OCI mount options ("ro", "nosuid", "rbind", "rprivate", "mode=755",
 * ...). Unknown words that are not key=value and not known flags are kept
 * as filesystem data, as runc does. */
int mount_options_parse(char *const *options, size_t n, struct mount_options *out,
			hutch_error *err);
void mount_options_free(struct mount_options *mo);

/* The i-th word of the option table, NULL past the end: the
 * "mountOptions" of `hutch-oci features` can list exactly what is known. */
const char *mount_option_name(size_t i);

/* Parse linux.rootfsPropagation ("private", "rslave", "shared", ...) into
 * MS_* propagation flags (MS_REC included for the r- forms). */
int rootfs_propagation_parse(const char *s, unsigned long *flags, hutch_error *err);

#endif
