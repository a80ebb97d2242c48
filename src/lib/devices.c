#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "path-util.h"

const struct default_device default_devices[] = {
    {"/dev/null", 'c', 1, 3},	{"/dev/zero", 'c', 1, 5},    {"/dev/full", 'c', 1, 7},
    {"/dev/random", 'c', 1, 8}, {"/dev/urandom", 'c', 1, 9}, {"/dev/tty", 'c', 5, 0},
};
const size_t n_default_devices = sizeof(default_devices) / sizeof(default_devices[0]);

struct device_node {
	const char *path; /* cleaned, under /dev/ */
	char type;
	unsigned int major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* A real directory fd (not O_PATH) of the parent of path inside the root,
 * created if missing, and the last component's name. */
static int open_parent_dir(int rootfd, const char *path, char name[static NAME_MAX + 1],
			   hutch_error *err)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	snprintf(name, NAME_MAX + 1, "%s", basename(buf));
	snprintf(buf, sizeof(buf), "%s", path);
	_cleanup_close_ int pfd = path_mkdir_in_root(rootfd, dirname(buf), 0755, err);
	if (pfd < 0)
		return -1;
	char p[32];
	path_of_fd(pfd, p);
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open the directory of %s", path);
	return fd;
}

static int mknod_device(const struct rootfs_env *env, const struct device_node *d, hutch_error *err)
{
	char name[NAME_MAX + 1];
	_cleanup_close_ int dir = open_parent_dir(env->rootfd, d->path, name, err);
	if (dir < 0)
		return -1;
	mode_t kind = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	/* The names are single components relative to a directory fd that
	 * was resolved inside the rootfs, so the node lands in it. */
	if (mknodat(dir, name, kind | (d->mode & 07777), makedev(d->major, d->minor)) < 0) {
		if (errno == EEXIST) {
			log_debug("device %s already exists, kept", d->path);
			return 0;
		}
		return hutch_fail(err, errno, "mknod %s", d->path);
	}
	/* mknod honours the umask; the config's mode is the mode. */
	if (fchmodat(dir, name, d->mode & 07777, 0) < 0)
		return hutch_fail(err, errno, "chmod %s", d->path);
	if (fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return hutch_fail(err, errno, "chown %s", d->path);
	return 0;
}

/* Rootless: the host's node of the same path, bound on an empty file. The
 * host path is the config's path, cleaned and under /dev/, so it can only
 * name one of the host's device nodes; it is checked to be one. */
static int bind_device(const struct rootfs_env *env, const struct device_node *d, hutch_error *err)
{
	_cleanup_close_ int src = open(d->path, O_PATH | O_CLOEXEC);
	if (src < 0)
		return hutch_fail(err, errno, "device %s: the host's node", d->path);
	struct stat st;
	if (fstat(src, &st) < 0)
		return hutch_fail(err, errno, "stat %s", d->path);
	bool want_block = d->type == 'b';
	if (want_block ? !S_ISBLK(st.st_mode) : !S_ISCHR(st.st_mode))
		return hutch_fail_plain(err, ENODEV, "device %s: the host's %s is not a %s device",
					d->path, d->path, want_block ? "block" : "character");
	if (major(st.st_rdev) != d->major || minor(st.st_rdev) != d->minor)
		log_warning("device %s: the config says %u:%u, the host's node is %u:%u; "
			    "binding the host's",
			    d->path, d->major, d->minor, major(st.st_rdev), minor(st.st_rdev));
	_cleanup_close_ int dst = path_mkfile_in_root(env->rootfd, d->path, 0600, err);
	if (dst < 0)
		return -1;
	return mount_bind_fd(src, d->path, dst, d->path, false, err);
}

static int create_device(const struct rootfs_env *env, const struct device_node *d,
			 hutch_error *err)
{
	if (d->type == 'p' || !env->in_userns) {
		hutch_error first = {0};
		if (mknod_device(env, d, &first) == 0)
			return 0;
		/* A fifo is always ours to make; a device refused to us
		 * (EPERM: a user namespace the caller did not tell us
		 * about) still has the rootless way. */
		if (d->type == 'p' || first.errnum != EPERM) {
			if (err != NULL)
				*err = first;
			return -1;
		}
		log_debug("%s: binding the host's node instead", first.msg);
	}
	return bind_device(env, d, err);
}

/* The cleaned path of a device entry, which must lie under /dev/. */
static char *device_path(const char *path, hutch_error *err)
{
	char *clean = path ? path_clean(path) : NULL;
	if (path != NULL && clean == NULL) {
		hutch_fail(err, ENOMEM, "device %s", path);
		return NULL;
	}
	if (clean == NULL || strncmp(clean, "/dev/", 5) != 0 || clean[5] == '\0') {
		hutch_fail_plain(err, EINVAL, "linux.devices: path '%s' is not under /dev/",
				 path ? path : "");
		free(clean);
		return NULL;
	}
	return clean;
}

static bool configured(const struct oci_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->linux_cfg.n_devices; i++) {
		_cleanup_free_ char *c = path_clean(cfg->linux_cfg.devices[i].path);
		if (c != NULL && strcmp(c, path) == 0)
			return true;
	}
	return false;
}

static int make_devices(const struct rootfs_env *env, hutch_error *err)
{
	const struct oci_config *cfg = env->ctx->cfg;
	for (size_t i = 0; i < n_default_devices; i++) {
		const struct default_device *dd = &default_devices[i];
		if (configured(cfg, dd->path))
			continue;
		struct device_node d = {dd->path, dd->type, dd->major, dd->minor, 0666, 0, 0};
		if (create_device(env, &d, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < cfg->linux_cfg.n_devices; i++) {
		const struct oci_device *od = &cfg->linux_cfg.devices[i];
		_cleanup_free_ char *path = device_path(od->path, err);
		if (path == NULL)
			return -1;
		if (od->type != 'c' && od->type != 'u' && od->type != 'b' && od->type != 'p')
			return hutch_fail_plain(err, EINVAL, "device %s: unknown type '%c'", path,
						od->type);
		if (od->major < 0 || od->minor < 0 || od->major > UINT32_MAX ||
		    od->minor > UINT32_MAX)
			return hutch_fail_plain(err, EINVAL, "device %s: bad major/minor", path);
		struct device_node d = {
		    .path = path,
		    .type = od->type,
		    .major = (unsigned int)od->major,
		    .minor = (unsigned int)od->minor,
		    .mode = od->has_file_mode ? od->file_mode : 0666,
		    .uid = od->has_uid ? od->uid : 0,
		    .gid = od->has_gid ? od->gid : 0,
		};
		if (create_device(env, &d, err) < 0)
			return -1;
	}
	return 0;
}

static int make_symlinks(const struct rootfs_env *env, int devfd, hutch_error *err)
{
	static const struct {
		const char *name, *target;
	} links[] = {
	    {"fd", "/proc/self/fd"},	   {"stdin", "/proc/self/fd/0"},
	    {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
	    {"ptmx", "pts/ptmx"},
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i].target, devfd, links[i].name) < 0 && errno != EEXIST)
			return hutch_fail(err, errno, "symlink /dev/%s", links[i].name);
	/* /dev/core only makes sense where the kernel has a /proc/kcore. */
	if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
	    errno != EEXIST)
		return hutch_fail(err, errno, "symlink /dev/core");
	return 0;
}

int devices_setup(const struct rootfs_env *env, hutch_error *err)
{
	if (env->dev_is_bind) {
		log_debug("/dev is a bind mount from the config: no devices made in it");
		return 0;
	}
	if (make_devices(env, err) < 0)
		return -1;
	_cleanup_close_ int devpath = path_mkdir_in_root(env->rootfd, "/dev", 0755, err);
	if (devpath < 0)
		return -1;
	char p[32];
	path_of_fd(devpath, p);
	_cleanup_close_ int devfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (devfd < 0)
		return hutch_fail(err, errno, "open /dev");
	if (make_symlinks(env, devfd, err) < 0)
		return -1;
	/* POSIX shared memory needs a sticky, world-writable /dev/shm;
	 * a config that mounts one has made it already. */
	if (mkdirat(devfd, "shm", 01777) == 0) {
		if (fchmodat(devfd, "shm", 01777, 0) < 0)
			return hutch_fail(err, errno, "chmod /dev/shm");
	} else if (errno != EEXIST) {
		return hutch_fail(err, errno, "mkdir /dev/shm");
	}
	return 0;
}
