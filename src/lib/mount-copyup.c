/* Copy a directory tree, for tmpcopyup (a tmpfs mounted over an image
 * directory starts with the directory's content; podman mounts /tmp, /run
 * and volumes like this) and for hutchd's volume fill. Callers put their
 * own context in front of the error messages.
 *
 * The source is an fd of the directory opened before the tmpfs covered it,
 * so it still reaches the image's files; every name is opened relative to
 * a directory fd with O_NOFOLLOW, so a symlink in the image is copied as a
 * symlink and never followed out of the rootfs. */
#include "mount-util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "log.h"

#define COPY_MAX_DEPTH 64

static int copy_file(int srcdir, int dstdir, const char *name, const struct stat *st,
		     const char *what, hutch_error *err)
{
	_cleanup_close_ int in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return hutch_fail(err, errno, "open %s/%s", what, name);
	_cleanup_close_ int out =
	    openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		   st->st_mode & 07777);
	if (out < 0)
		return hutch_fail(err, errno, "create %s/%s", what, name);
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hutch_fail(err, errno, "read %s/%s", what, name);
		if (n == 0)
			break;
		if (write_all(out, buf, (size_t)n) < 0)
			return hutch_fail(err, errno, "write %s/%s", what, name);
	}
	return 0;
}

/* Owner, mode and times of a copied entry. A user namespace may not map
 * the owner: then the copy keeps ours, as a rootless cp -a would. */
static void copy_attrs(int dstdir, const char *name, const struct stat *st)
{
	if (fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		log_debug("copy: keep the owner of %s: %s", name, strerror(errno));
	if (!S_ISLNK(st->st_mode))
		(void)fchmodat(dstdir, name, st->st_mode & 07777, 0);
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	(void)utimensat(dstdir, name, times, AT_SYMLINK_NOFOLLOW);
}

/* unreadable == NULL: every entry must be read. Otherwise entries that
 * we may not open (EACCES: a user namespace that does not map their
 * owner gives root no override) are skipped and counted. */
static int copy_dir(int srcfd, int dstfd, const char *what, int depth, size_t *unreadable,
		    hutch_error *err)
{
	if (depth > COPY_MAX_DEPTH)
		return hutch_fail(err, ELOOP, "%s is nested too deeply", what);
	int dupfd = fcntl(srcfd, F_DUPFD_CLOEXEC, 3);
	if (dupfd < 0)
		return hutch_fail(err, errno, "dup %s", what);
	_cleanup_closedir_ DIR *d = fdopendir(dupfd);
	if (d == NULL) {
		close(dupfd);
		return hutch_fail(err, errno, "read directory %s", what);
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(srcfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return hutch_fail(err, errno, "stat %s/%s", what, name);
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dstfd, name, 0700) < 0)
				return hutch_fail(err, errno, "mkdir %s/%s", what, name);
			_cleanup_close_ int s =
			    openat(srcfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int t =
			    openat(dstfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s < 0 && errno == EACCES && unreadable != NULL) {
				log_warning("%s/%s: not copied, not readable here", what, name);
				(*unreadable)++;
			} else if (s < 0 || t < 0) {
				return hutch_fail(err, errno, "open %s/%s", what, name);
			} else if (copy_dir(s, t, what, depth + 1, unreadable, err) < 0) {
				return -1;
			}
		} else if (S_ISREG(st.st_mode)) {
			if (unreadable != NULL && faccessat(srcfd, name, R_OK, AT_EACCESS) < 0 &&
			    errno == EACCES) {
				log_warning("%s/%s: not copied, not readable here", what, name);
				(*unreadable)++;
				continue;
			}
			if (copy_file(srcfd, dstfd, name, &st, what, err) < 0)
				return -1;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(srcfd, name, target, sizeof(target) - 1);
			if (n < 0)
				return hutch_fail(err, errno, "readlink %s/%s", what, name);
			target[n] = '\0';
			if (symlinkat(target, dstfd, name) < 0)
				return hutch_fail(err, errno, "symlink %s/%s", what, name);
		} else if (mknodat(dstfd, name, st.st_mode, st.st_rdev) < 0) {
			/* Device nodes cannot be made in a user namespace;
			 * a tmpfs without them is still a faithful copy of
			 * what the container may use. */
			log_debug("copy: skip %s/%s: %s", what, name, strerror(errno));
			continue;
		}
		copy_attrs(dstfd, name, &st);
	}
	if (errno != 0)
		return hutch_fail(err, errno, "read directory %s", what);
	return 0;
}

int copy_tree(int srcfd, int dstfd, const char *what, hutch_error *err)
{
	return copy_dir(srcfd, dstfd, what, 0, NULL, err);
}

int copy_tree_readable(int srcfd, int dstfd, const char *what, size_t *unreadable, hutch_error *err)
{
	*unreadable = 0;
	return copy_dir(srcfd, dstfd, what, 0, unreadable, err);
}
