/* linux.maskedPaths and linux.readonlyPaths, applied in the container
 * after pivot_root (so every lookup is confined to its root) and before
 * its process runs.
 *
 * A masked file gets the container's /dev/null bound over it, a masked
 * directory an empty read-only tmpfs: both read as empty and take no
 * writes. A read-only path is bound onto itself and the new mount made
 * read-only, recursively, keeping the flags the kernel locks in a user
 * namespace. A path the container does not have is skipped: there is
 * nothing to hide or protect (a kernel without /proc/kcore, say). */
#include "mount-util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "log.h"
#include "path-util.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* What to hand mount(2) for a path we hold an fd of. /proc/self/fd/N pins
 * the object we checked; a container without /proc (a config may mount
 * none) gets the path itself, which after pivot_root resolves inside the
 * container's root and nowhere else, with no container process running
 * yet to swap it. A directory of the image that merely looks like /proc
 * does not count: it must be procfs. */
static const char *target_of(int fd, const char *path, char buf[static 32])
{
	static int have_proc = -1;
	if (have_proc < 0) {
		struct statfs sf;
		have_proc = statfs("/proc", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
	}
	if (!have_proc)
		return path;
	path_of_fd(fd, buf);
	return buf;
}

/* Open a listed path; 1 when it exists (*fd set), 0 when it does not. */
static int open_listed(int rootfd, const char *path, int *fd, hutch_error *err)
{
	hutch_error e = {0};
	*fd = path_open_in_root(rootfd, path, O_PATH, 0, &e);
	if (*fd >= 0)
		return 1;
	if (e.errnum == ENOENT || e.errnum == ENOTDIR) {
		log_debug("%s does not exist in the container: skipped", path);
		return 0;
	}
	if (err != NULL)
		*err = e;
	return -1;
}

/* The container's /dev/null, checked to be the real device so that a
 * config with an unusual /dev cannot make masking bind something else. */
static int open_dev_null(int rootfd, hutch_error *err)
{
	_cleanup_close_ int fd = path_open_in_root(rootfd, "/dev/null", O_PATH, 0, err);
	if (fd < 0)
		return hutch_error_prefix(err, "maskedPaths need /dev/null");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return hutch_fail(err, errno, "stat /dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return hutch_fail_plain(err, ENODEV,
					"maskedPaths: the container's /dev/null is not the null "
					"device");
	int ret = fd;
	fd = -1;
	return ret;
}

int rootfs_mask_paths(const struct oci_config *cfg, int rootfd, hutch_error *err)
{
	_cleanup_close_ int null_fd = -1;
	for (size_t i = 0; i < cfg->linux_cfg.n_masked_paths; i++) {
		const char *path = cfg->linux_cfg.masked_paths[i];
		_cleanup_close_ int fd = -1;
		int r = open_listed(rootfd, path, &fd, err);
		if (r < 0)
			return hutch_error_prefix(err, "maskedPaths");
		if (r == 0)
			continue;
		struct stat st;
		if (fstat(fd, &st) < 0)
			return hutch_fail(err, errno, "maskedPaths: stat %s", path);
		char tbuf[32], sbuf[32];
		const char *target = target_of(fd, path, tbuf);
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", target, "tmpfs",
				  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
				return hutch_fail(err, errno, "maskedPaths: mount a tmpfs on %s",
						  path);
			continue;
		}
		if (null_fd < 0 && (null_fd = open_dev_null(rootfd, err)) < 0)
			return -1;
		if (mount(target_of(null_fd, "/dev/null", sbuf), target, NULL, MS_BIND, NULL) < 0)
			return hutch_fail(err, errno, "maskedPaths: bind /dev/null on %s", path);
	}
	return 0;
}

int rootfs_readonly_paths(const struct oci_config *cfg, int rootfd, hutch_error *err)
{
	for (size_t i = 0; i < cfg->linux_cfg.n_readonly_paths; i++) {
		const char *path = cfg->linux_cfg.readonly_paths[i];
		_cleanup_close_ int fd = -1;
		int r = open_listed(rootfd, path, &fd, err);
		if (r < 0)
			return hutch_error_prefix(err, "readonlyPaths");
		if (r == 0)
			continue;
		/* The bind onto itself makes the path a mount of its own, so
		 * the read-only flag covers it and not its parent. */
		char tbuf[32];
		const char *target = target_of(fd, path, tbuf);
		if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
			return hutch_fail(err, errno, "readonlyPaths: bind %s onto itself", path);
		_cleanup_close_ int top = path_open_in_root(rootfd, path, O_PATH, 0, err);
		if (top < 0)
			return hutch_error_prefix(err, "readonlyPaths");
		if (mount_make_readonly(top, path, true, err) < 0)
			return hutch_error_prefix(err, "readonlyPaths");
	}
	return 0;
}
