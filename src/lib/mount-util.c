/* Low-level mount helpers: mounts on fds, remounts that keep locked flags,
 * mount_setattr(2) and propagation changes. */
#include "mount-util.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "path-util.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 8192
#endif

/* The flags a bind remount sets per mount (the rest belong to the
 * superblock and a bind remount ignores them). */
#define PER_MOUNT_FLAGS                                                                            \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | \
	 MS_STRICTATIME | MS_NOSYMFOLLOW)
#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

bool rootfs_ns_listed(const struct oci_config *cfg, enum oci_namespace_type type, bool *is_new)
{
	const struct oci_linux *l = &cfg->linux_cfg;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		if (l->namespaces[i].type == type) {
			if (is_new)
				*is_new = l->namespaces[i].path == NULL;
			return true;
		}
	}
	if (is_new)
		*is_new = false;
	return false;
}

int mount_on_fd(const char *source, int dstfd, const char *what, const char *fstype,
		unsigned long flags, const char *data, hutch_error *err)
{
	char target[32];
	path_of_fd(dstfd, target);
	if (mount(source, target, fstype, flags, data) < 0)
		return hutch_fail(err, errno, "mount %s (%s%s%s) on %s", source ? source : "none",
				  fstype ? fstype : "", data && *data ? ", " : "", data ? data : "",
				  what);
	return 0;
}

int mount_bind_fd(int srcfd, const char *src_what, int dstfd, const char *dst_what, bool recursive,
		  hutch_error *err)
{
	char source[32], target[32];
	path_of_fd(srcfd, source);
	path_of_fd(dstfd, target);
	if (mount(source, target, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0) {
		int e = errno;
		if (e == EINVAL && !recursive)
			/* The kernel refuses to bind a mount alone when mounts
			 * below it are locked to it (they came from a more
			 * privileged namespace); only rbind may take them. */
			return hutch_fail(err, e, "bind mount %s on %s (try rbind)", src_what,
					  dst_what);
		return hutch_fail(err, e, "bind mount %s on %s", src_what, dst_what);
	}
	return 0;
}

static unsigned long flags_of_statvfs(const struct statvfs *sv)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
	    {ST_RDONLY, MS_RDONLY},	{ST_NOSUID, MS_NOSUID},
	    {ST_NODEV, MS_NODEV},	{ST_NOEXEC, MS_NOEXEC},
	    {ST_NOATIME, MS_NOATIME},	{ST_NODIRATIME, MS_NODIRATIME},
	    {ST_RELATIME, MS_RELATIME}, {ST_NOSYMFOLLOW, MS_NOSYMFOLLOW},
	};
	unsigned long f = 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (sv->f_flag & map[i].st)
			f |= map[i].ms;
	/* Neither noatime nor relatime means strictatime; a remount that
	 * does not say so would silently switch to relatime, which the
	 * kernel refuses when the atime mode is locked. */
	if (!(f & (MS_NOATIME | MS_RELATIME)))
		f |= MS_STRICTATIME;
	return f;
}

int mount_current_flags(int fd, const char *what, unsigned long *flags, hutch_error *err)
{
	struct statvfs sv;
	if (fstatvfs(fd, &sv) < 0)
		return hutch_fail(err, errno, "statvfs %s", what);
	*flags = flags_of_statvfs(&sv);
	return 0;
}

bool mount_flags_need_remount(unsigned long set, unsigned long clear)
{
	return ((set | clear) & PER_MOUNT_FLAGS) != 0;
}

/* The remount itself, on target (a /proc/self/fd path or "/"), from the
 * flags the mount has now. */
static int remount_bind_from(const char *target, unsigned long cur, const char *what,
			     unsigned long set, unsigned long clear, hutch_error *err)
{
	/* An atime option replaces the atime mode as a whole. */
	if ((set | clear) & ATIME_FLAGS)
		cur &= ~ATIME_FLAGS;
	unsigned long flags = ((cur | set) & ~clear) & PER_MOUNT_FLAGS;
	if (flags & MS_STRICTATIME)
		flags &= ~(MS_NOATIME | MS_RELATIME);
	if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0) {
		int e = errno;
		if (e == EPERM && (clear & cur & PER_MOUNT_FLAGS))
			return hutch_fail(err, e,
					  "remount %s: a flag the options clear is locked on "
					  "the source mount",
					  what);
		return hutch_fail(err, e, "remount %s", what);
	}
	return 0;
}

int mount_remount_bind(int fd, const char *what, unsigned long set, unsigned long clear,
		       hutch_error *err)
{
	unsigned long cur;
	if (mount_current_flags(fd, what, &cur, err) < 0)
		return -1;
	char target[32];
	path_of_fd(fd, target);
	return remount_bind_from(target, cur, what, set, clear, err);
}

int mount_remount_root(unsigned long set, hutch_error *err)
{
	/* After pivot_root or chroot "/" names the container's root mount
	 * and nothing else: no symlink can redirect it, and it needs no
	 * /proc (a config may have none). */
	struct statvfs sv;
	if (statvfs("/", &sv) < 0)
		return hutch_fail(err, errno, "statvfs /");
	return remount_bind_from("/", flags_of_statvfs(&sv), "/", set, 0, err);
}

static int sys_mount_setattr(int dfd, const char *path, unsigned int flags, struct mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof(*attr));
}

int mount_set_attrs(int fd, const char *what, bool recursive, unsigned long long set,
		    unsigned long long clr, hutch_error *err)
{
	if (set == 0 && clr == 0)
		return 0;
	struct mount_attr attr = {.attr_set = set, .attr_clr = clr};
	if (sys_mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr) < 0) {
		int e = errno;
		if (e == ENOSYS)
			return hutch_fail(err, e,
					  "set recursive mount attributes on %s (needs Linux 5.12)",
					  what);
		return hutch_fail(err, e, "set mount attributes on %s", what);
	}
	return 0;
}

int mount_make_readonly(int fd, const char *what, bool recursive, hutch_error *err)
{
	hutch_error local = {0};
	if (mount_set_attrs(fd, what, recursive, MOUNT_ATTR_RDONLY, 0, &local) == 0)
		return 0;
	if (local.errnum != ENOSYS) {
		if (err != NULL)
			*err = local;
		return -1;
	}
	log_debug("mount_setattr is missing: making only the top mount of %s read-only", what);
	return mount_remount_bind(fd, what, MS_RDONLY, 0, err);
}

int mount_set_propagation(int fd, const char *what, unsigned long propagation, hutch_error *err)
{
	if (propagation == 0)
		return 0;
	char target[32];
	path_of_fd(fd, target);
	if (mount(NULL, target, NULL, propagation, NULL) < 0)
		return hutch_fail(err, errno, "change the propagation of %s", what);
	return 0;
}
