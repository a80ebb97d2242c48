/* Internal helpers of the rootfs code (not part of the rootfs.h contract).
 *
 * Every mount target is an fd resolved inside the container's rootfs with
 * path-util's RESOLVE_IN_ROOT helpers, and the kernel is handed
 * "/proc/self/fd/N" of that fd, never a path string that a symlink in the
 * image could redirect onto the host (the CVE-2021-30465 class). */
#ifndef HUTCH_MOUNT_UTIL_H
#define HUTCH_MOUNT_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "oci-config.h"
#include "rootfs.h"

/* What the mount code needs to know about the container being built. */
struct rootfs_env {
	const struct rootfs_context *ctx;
	int rootfd; /* O_PATH fd of the rootfs, after its self bind mount */
	bool in_userns;
	bool new_netns;	   /* a network namespace of the container's own */
	bool new_ipcns;	   /* an IPC namespace of its own */
	bool new_cgroupns; /* a cgroup namespace of its own */
	bool dev_from_config;
	bool dev_is_bind; /* the config bind-mounts something on /dev */
};

/* Namespaces listed in the config: *is_new tells whether it is created
 * (no path) or joined. Returns false when the type is not listed. */
bool rootfs_ns_listed(const struct oci_config *cfg, enum oci_namespace_type type, bool *is_new);

/* mount(2) of source/fstype on the target fd. what names the target. */
int mount_on_fd(const char *source, int dstfd, const char *what, const char *fstype,
		unsigned long flags, const char *data, hutch_error *err);

/* Bind mount the object of srcfd onto dstfd (MS_REC when recursive). */
int mount_bind_fd(int srcfd, const char *src_what, int dstfd, const char *dst_what, bool recursive,
		  hutch_error *err);

/* The per-mount MS_* flags a mount has now (read with fstatvfs, which an
 * O_PATH fd allows). */
int mount_current_flags(int fd, const char *what, unsigned long *flags, hutch_error *err);

/* Change the per-mount flags of the mount whose root is fd with
 * MS_BIND|MS_REMOUNT. Every flag not named in set or clear is carried over
 * from the mount as it is: in a user namespace the kernel locks nosuid,
 * nodev, noexec, rdonly and the atime mode of mounts that came from a more
 * privileged namespace and answers EPERM to a remount that would drop
 * them, so a plain MS_RDONLY remount is not enough. */
int mount_remount_bind(int fd, const char *what, unsigned long set, unsigned long clear,
		       hutch_error *err);

/* The same for the container's root mount, after pivot_root. */
int mount_remount_root(unsigned long set, hutch_error *err);

/* mount_setattr(2) on the mount whose root is fd, recursively or not. */
int mount_set_attrs(int fd, const char *what, bool recursive, unsigned long long set,
		    unsigned long long clr, hutch_error *err);

/* Make a mount (and with recursive, everything below it) read-only:
 * mount_setattr where the kernel has it (5.12), else a remount of the top
 * mount alone that keeps its locked flags. */
int mount_make_readonly(int fd, const char *what, bool recursive, hutch_error *err);

/* Change the propagation of the mount whose root is fd. */
int mount_set_propagation(int fd, const char *what, unsigned long propagation, hutch_error *err);

/* True when the MS_* set/clear pair names a per-mount flag that a bind
 * mount only gets through a remount. */
bool mount_flags_need_remount(unsigned long set, unsigned long clear);

/* An idmapped bind of srcfd onto dstfd with the entry's uidMappings and
 * gidMappings (mount-idmap.c); real root only. */
int mount_bind_idmapped(const struct rootfs_env *env, int srcfd, const char *src_what, int dstfd,
			const struct oci_mount *m, const struct mount_options *mo,
			hutch_error *err);

/* The mount kinds (mount-kinds.c). */
int mount_entry(const struct rootfs_env *env, const struct oci_mount *m, hutch_error *err);
/* The tmpfs on /dev when the config has no /dev mount. */
int mount_default_dev(const struct rootfs_env *env, hutch_error *err);

/* devpts options for this container: "newinstance" and "ptmxmode=0666"
 * added when missing (a private instance whose ptmx everyone may open, so
 * the /dev/ptmx -> pts/ptmx link works), and "gid=N" dropped when gid_map
 * (the text of /proc/self/gid_map, NULL outside a user namespace) does not
 * map N: the kernel refuses such a mount with EINVAL. *dropped_gid tells
 * the caller to say so. Returns a new string, NULL on ENOMEM. */
char *devpts_adjust_data(const char *data, const char *gid_map, bool *dropped_gid);

/* Whether an id-map text ("inside outside count" lines) maps inside id. */
bool idmap_text_maps(const char *map, uint32_t id);

/* Copy the content of directory srcfd into dstfd (tmpcopyup): files,
 * directories, symlinks and fifos with their modes and times; ownership
 * where the user namespace allows it. */
int copy_tree(int srcfd, int dstfd, const char *what, hutch_error *err);
/* copy_tree, skipping (with a warning each) the files and directories we
 * may not read, which *unreadable counts. */
int copy_tree_readable(int srcfd, int dstfd, const char *what, size_t *unreadable,
		       hutch_error *err);

/* Masked and read-only paths (masked-paths.c); rootfd is the container's
 * "/" after pivot_root. */
int rootfs_mask_paths(const struct oci_config *cfg, int rootfd, hutch_error *err);
int rootfs_readonly_paths(const struct oci_config *cfg, int rootfd, hutch_error *err);

#endif
