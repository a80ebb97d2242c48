/* Filling a new volume from the image.
 *
 * Docker copies what the image has at a volume's path into the volume
 * when the container is created and the volume is empty, so that
 * `docker run -v data:/var/lib/app app` starts with the image's files
 * in the volume, and a later container on the same volume sees what the
 * first one left (no copy: the volume is no longer empty).
 *
 * The copy runs in a helper (`hutchd __helper volume-fill`) inside the
 * user sandbox, where the image's files have their real owners: it opens
 * the container's root as docker cp does for a stopped container (its
 * overlay, mounted privately; helper-archive.c), resolves the path inside
 * that root (openat2 RESOLVE_IN_ROOT, so an image symlink cannot lead
 * out of it), and copies the tree with copy_tree_readable (libhutch, the
 * tmpcopyup copier): every name is opened relative to a directory fd
 * with O_NOFOLLOW, so a symlink is copied as a symlink and nothing is
 * ever written outside the volume. Owners, modes and times are kept; the
 * volume's own directory takes the owner and mode of the image's. */
#include "volume-fill.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "helper-archive.h"
#include "helper.h"
#include "log.h"
#include "mount-util.h"
#include "path-util.h"

/* Whether the directory of dirfd has no entry but "." and "..". */
static bool dir_is_empty(int dirfd)
{
	int dupfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (dupfd < 0)
		return false;
	_cleanup_closedir_ DIR *d = fdopendir(dupfd);
	if (d == NULL) {
		close(dupfd);
		return false;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return false;
	return true;
}

/* hutchd's own look, as the user: a volume it can list and that has
 * entries needs no helper. One it cannot list (the image made it 0700
 * for another owner) is left to the helper, which sees it as root. */
static bool may_need_fill(const char *volume_dir)
{
	_cleanup_close_ int fd = open(volume_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 || dir_is_empty(fd);
}

int ctr_volumes_fill(pid_t holder, const char *ctr_dir, const struct ctr_mount *m, size_t n,
		     hutch_error *err)
{
	char holder_arg[16];
	snprintf(holder_arg, sizeof(holder_arg), "%d", (int)holder);
	for (size_t i = 0; i < n; i++) {
		if (m[i].type != CTR_MOUNT_VOLUME || m[i].nocopy || m[i].host_path == NULL ||
		    !may_need_fill(m[i].host_path))
			continue;
		const char *args[] = {"volume-fill", holder_arg,     ctr_dir,
				      m[i].target,   m[i].host_path, NULL};
		if (helper_run(args, NULL, err) < 0)
			return hutch_error_prefix(err, "copy the image's %s into volume %s",
						  m[i].target, m[i].source);
	}
	return 0;
}

/* ------------------------------------------------------- the helper side */

static int fill(const struct ctr_fs *fs, const char *target, const char *volume_dir,
		hutch_error *err)
{
	_cleanup_close_ int dst = open(volume_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		return hutch_fail(err, errno, "open the volume %s", volume_dir);
	/* Another container may have filled it (or used it) meanwhile. */
	if (!dir_is_empty(dst))
		return 0;
	hutch_error lookup = {0};
	_cleanup_close_ int src =
	    path_open_in_root(fs->rootfd, target, O_RDONLY | O_DIRECTORY, 0, &lookup);
	if (src < 0) {
		/* Nothing in the image there, or not a directory: Docker then
		 * leaves the volume empty too. */
		if (lookup.errnum == ENOENT || lookup.errnum == ENOTDIR)
			return 0;
		*err = lookup;
		return -1;
	}
	struct stat st;
	if (fstat(src, &st) < 0)
		return hutch_fail(err, errno, "stat %s in the image", target);
	/* With one mapped id (no subuid range) root here cannot read a file
	 * of another owner with a private mode; the container's root could
	 * not either: such files are left out, with a warning, rather than
	 * failing the create. */
	size_t unreadable = 0;
	if (copy_tree_readable(src, dst, target, &unreadable, err) < 0)
		return hutch_error_prefix(err, "fill volume %s from the image", volume_dir);
	if (unreadable > 0)
		log_warning("volume %s: %zu entries of the image's %s were not readable and "
			    "are not copied",
			    volume_dir, unreadable, target);
	/* A user namespace may not map the owner (one mapped id): the
	 * volume then keeps ours, as every copied file does. */
	if (fchown(dst, st.st_uid, st.st_gid) < 0)
		log_debug("keep the owner of the volume %s: %s", volume_dir, strerror(errno));
	if (fchmod(dst, st.st_mode & 07777) < 0)
		return hutch_fail(err, errno, "chmod the volume %s", volume_dir);
	return 0;
}

int helper_volume_fill_main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: hutchd __helper volume-fill HOLDER CTR_DIR TARGET "
				"VOLUME_DIR\n");
		return 1;
	}
	hutch_error err = {0};
	struct ctr_fs fs = {.rootfd = -1};
	int rc = enter_container_fs((pid_t)atoi(argv[3]), argv[4], 0, &fs, &err);
	/* Modes are exactly the image's. */
	umask(0);
	if (rc == 0)
		rc = fill(&fs, argv[5], argv[6], &err);
	leave_container_fs(&fs);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	return 0;
}
