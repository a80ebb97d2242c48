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
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "log.h"
#include "path-util.h"

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
		if (S_ISDIR(st.st_mode)) {
			if (mount_on_fd("tmpfs", fd, path, "tmpfs",
					MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
					err) < 0)
				return hutch_error_prefix(err, "maskedPaths");
			continue;
		}
		if (null_fd < 0 && (null_fd = open_dev_null(rootfd, err)) < 0)
			return -1;
		if (mount_bind_fd(null_fd, "/dev/null", fd, path, false, err) < 0)
			return hutch_error_prefix(err, "maskedPaths");
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
		if (mount_bind_fd(fd, path, fd, path, true, err) < 0)
			return hutch_error_prefix(err, "readonlyPaths");
		_cleanup_close_ int top = path_open_in_root(rootfd, path, O_PATH, 0, err);
		if (top < 0)
			return hutch_error_prefix(err, "readonlyPaths");
		if (mount_make_readonly(top, path, true, err) < 0)
			return hutch_error_prefix(err, "readonlyPaths");
	}
	return 0;
}
