/* Opening the layer stack and checking it before anything is mounted, so
 * bad input is a clear error at mount time instead of odd behaviour later. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "setup.h"

/* ext4 orders a rename after the data written before it only through its
 * journal, and an ext4 can be made without one (mkfs.ext4 -O ^has_journal,
 * as some VM images are): a copy-up there must be synced. jbd2 names each
 * journal it runs in /proc/fs/jbd2 as DEVICE-INODE. Anything that cannot be
 * read counts as no journal, the safe answer. */
static bool ext4_has_journal(dev_t dev)
{
	char path[64], line[256], name[128] = "";
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(dev), minor(dev));
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "DEVNAME=%127s", name) == 1)
			break;
	fclose(f);
	size_t len = strlen(name);
	DIR *d = len > 0 ? opendir("/proc/fs/jbd2") : NULL;
	if (d == NULL)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL)
		found = strncmp(e->d_name, name, len) == 0 && e->d_name[len] == '-';
	closedir(d);
	return found;
}

static int open_layer(struct ovl_layer *l, const char *path, const char *what, hutch_error *err)
{
	char *abs = realpath(path, NULL);
	if (abs == NULL)
		return hutch_fail(err, errno, "%s %s", what, path);
	/* Opened for reading (not O_PATH) so an unreadable layer fails here. */
	int fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(abs);
		return hutch_fail(err, e, "%s %s", what, path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		free(abs);
		return hutch_fail(err, e, "stat %s %s", what, path);
	}
	l->path = abs;
	l->fd = fd;
	l->dev = st.st_dev;
	return 0;
}

/* True when inner is outer or below it. */
static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	if (strcmp(outer, "/") == 0)
		return true;
	return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

/* Leftovers of an earlier run that stopped in the middle of a copy-up or
 * of an owner-bit grant. */
static void clean_work_dir(int workfd, int upperfd)
{
	int fd = openat(workfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (ovl_grant_is_record(de->d_name))
			ovl_grant_undo(workfd, upperfd, de->d_name);
		if (strncmp(de->d_name, "#hutch-", 7) != 0)
			continue;
		if (unlinkat(workfd, de->d_name, 0) < 0 && errno == EISDIR)
			ovl_remove_dir_tree(workfd, de->d_name);
	}
}

static int probe_upper(struct ovl_fs *fs, hutch_error *err)
{
	char tmp[64];
	ovl_tmpname(fs, tmp, sizeof(tmp));
	int fd = openat(fs->workfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return hutch_fail(err, errno, "create a file in work dir %s", fs->opts.workdir);
	int r = fsetxattr(fd, OVL_XATTR_ORIGIN, "0", 1, 0);
	int e = errno;
	close(fd);
	unlinkat(fs->workfd, tmp, 0);
	if (r < 0 && !fs->opts.noxattrs)
		return hutch_fail(
		    err, e,
		    "upper dir %s: its filesystem cannot store user extended "
		    "attributes (needed for whiteouts, opaque dirs and inode numbers; "
		    "-o noxattrs mounts without them)",
		    fs->opts.upperdir);
	fs->mknod_whiteout = mknodat(fs->workfd, tmp, S_IFCHR, makedev(0, 0)) == 0;
	if (fs->mknod_whiteout)
		unlinkat(fs->workfd, tmp, 0);
	struct statfs sf;
	struct stat st;
	fs->upper_orders_renames = fstatfs(fs->layers[0].fd, &sf) == 0 &&
				   fstat(fs->layers[0].fd, &st) == 0 &&
				   (sf.f_type == XFS_SUPER_MAGIC ||
				    (sf.f_type == EXT4_SUPER_MAGIC && ext4_has_journal(st.st_dev)));
	return 0;
}

int ovl_setup_layers(struct ovl_fs *fs, const char *mountpoint, hutch_error *err)
{
	struct ovl_options *o = &fs->opts;
	if (o->lowerdirs == NULL)
		return hutch_fail_plain(err, EINVAL, "no lowerdir= given");
	if ((o->upperdir == NULL) != (o->workdir == NULL))
		return hutch_fail_plain(err, EINVAL, "upperdir= and workdir= go together");
	int nlower = 0;
	while (o->lowerdirs[nlower] != NULL)
		nlower++;
	fs->has_upper = o->upperdir != NULL && !o->read_only;
	fs->nlayers = nlower + (fs->has_upper ? 1 : 0);
	fs->layers = calloc((size_t)fs->nlayers, sizeof(*fs->layers));
	if (fs->layers == NULL)
		return hutch_fail(err, ENOMEM, "layers");
	for (int i = 0; i < fs->nlayers; i++)
		fs->layers[i].fd = -1;
	int base = 0;
	if (fs->has_upper) {
		if (open_layer(&fs->layers[0], o->upperdir, "upper dir", err) < 0)
			return -1;
		if (faccessat(fs->layers[0].fd, ".", W_OK, AT_EACCESS) < 0)
			return hutch_fail(err, errno, "upper dir %s", o->upperdir);
		base = 1;
	}
	for (int i = 0; i < nlower; i++)
		if (open_layer(&fs->layers[base + i], o->lowerdirs[i], "lower dir", err) < 0)
			return -1;

	_cleanup_free_ char *mnt = realpath(mountpoint, NULL);
	if (mnt == NULL)
		return hutch_fail(err, errno, "mount point %s", mountpoint);
	for (int i = 0; i < fs->nlayers; i++) {
		if (path_within(mnt, fs->layers[i].path) || path_within(fs->layers[i].path, mnt))
			return hutch_fail_plain(err, EINVAL,
						"mount point %s overlaps layer %s: a layer must "
						"not contain the mount point or be inside it",
						mnt, fs->layers[i].path);
	}

	/* Distinct devices, numbered in stack order, for inode numbers. */
	fs->single_dev = true;
	for (int i = 0; i < fs->nlayers; i++) {
		unsigned idx = 0;
		for (int j = 0; j < i; j++) {
			if (fs->layers[j].dev == fs->layers[i].dev) {
				idx = fs->layers[j].dev_index;
				goto found;
			}
			idx = fs->layers[j].dev_index + 1 > idx ? fs->layers[j].dev_index + 1 : idx;
		}
	found:
		fs->layers[i].dev_index = idx;
		if (idx != 0)
			fs->single_dev = false;
	}

	fs->workfd = fs->indexfd = -1;
	if (o->workdir != NULL && fs->has_upper) {
		struct ovl_layer w;
		if (open_layer(&w, o->workdir, "work dir", err) < 0)
			return -1;
		fs->workfd = w.fd;
		if (w.dev != fs->layers[0].dev) {
			free(w.path);
			return hutch_fail_plain(err, EXDEV,
						"work dir %s is not on the filesystem of upper dir "
						"%s (copy-up renames from one to the other)",
						o->workdir, o->upperdir);
		}
		if (path_within(w.path, fs->layers[0].path) ||
		    path_within(fs->layers[0].path, w.path)) {
			free(w.path);
			return hutch_fail_plain(err, EINVAL,
						"work dir %s and upper dir %s must not contain "
						"each other",
						o->workdir, o->upperdir);
		}
		free(w.path);
		if (mkdirat(fs->workfd, "index", 0700) < 0 && errno != EEXIST)
			return hutch_fail(err, errno, "create %s/index", o->workdir);
		fs->indexfd = openat(fs->workfd, "index", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fs->indexfd < 0)
			return hutch_fail(err, errno, "open %s/index", o->workdir);
		int r = ovl_link_index_load(fs);
		if (r < 0)
			return hutch_fail(err, -r, "read %s/index", o->workdir);
		ovl_grant_setup(fs->workfd, fs->layers[0].path);
		clean_work_dir(fs->workfd, fs->layers[0].fd);
		if (probe_upper(fs, err) < 0)
			return -1;
	}
	return 0;
}

void ovl_remove_dir_tree(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && (errno == EISDIR || errno == EPERM))
			ovl_remove_dir_tree(dirfd(d), de->d_name);
	}
	closedir(d);
	unlinkat(dfd, name, AT_REMOVEDIR);
}
