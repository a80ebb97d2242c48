/* One function per kind of OCI mount entry: bind, proc, sysfs, devpts,
 * mqueue, tmpfs, cgroup, and any other filesystem.
 *
 * Each destination is created and opened inside the rootfs with
 * RESOLVE_IN_ROOT and mounted through /proc/self/fd/N, so a symlink in the
 * image resolves inside the rootfs and can never send a mount (or the
 * mkdir of its target) onto the host. After a mount, the destination is
 * resolved again: the new fd then names the root of the new mount, which
 * is what a remount, mount_setattr or propagation change must act on. */
#include "mount-util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "log.h"
#include "path-util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define _cleanup_mount_options_ __attribute__((cleanup(mount_options_free)))

/* Whether a failed mount may fall back to binding the host's tree: only in
 * a user namespace, and only for the kernel's "not for you" answers. */
static bool may_fall_back(const struct rootfs_env *env, const hutch_error *first)
{
	return env->in_userns && (first->errnum == EPERM || first->errnum == EBUSY);
}

static int pass_error(hutch_error *err, const hutch_error *e)
{
	if (err != NULL)
		*err = *e;
	return -1;
}

static bool type_is(const struct oci_mount *m, const char *t)
{
	return m->type != NULL && strcmp(m->type, t) == 0;
}

/* After a mount on dest: options that act on the new mount itself. */
static int finish_mount(const struct rootfs_env *env, const struct oci_mount *m,
			const struct mount_options *mo, bool bind, hutch_error *err)
{
	bool want_remount = bind && mount_flags_need_remount(mo->flags, mo->clear_flags);
	if (!want_remount && mo->rec_attr_set == 0 && mo->rec_attr_clr == 0 && mo->propagation == 0)
		return 0;
	_cleanup_close_ int fd = path_open_in_root(env->rootfd, m->destination, O_PATH, 0, err);
	if (fd < 0)
		return -1;
	/* A bind mount gets the source's flags; "ro", "nosuid"... only
	 * take effect through a remount of the new mount. */
	if (want_remount &&
	    mount_remount_bind(fd, m->destination, mo->flags, mo->clear_flags, err) < 0)
		return -1;
	if (mount_set_attrs(fd, m->destination, true, mo->rec_attr_set, mo->rec_attr_clr, err) < 0)
		return -1;
	return mount_set_propagation(fd, m->destination, mo->propagation, err);
}

/* Bind a tree of the host's (/sys, /proc, /dev/mqueue, /sys/fs/cgroup)
 * when the kernel will not give this user namespace a fresh instance. The
 * host's tree is what the container would see through a bind mount made
 * by its owner anyway; rec_set (e.g. read-only) then narrows it. */
static int bind_host_tree(const struct rootfs_env *env, const char *host_path,
			  const struct oci_mount *m, unsigned long long rec_set, hutch_error *err)
{
	_cleanup_close_ int src = open(host_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (src < 0)
		return hutch_fail(err, errno, "open %s", host_path);
	_cleanup_close_ int dst = path_mkdir_in_root(env->rootfd, m->destination, 0755, err);
	if (dst < 0)
		return -1;
	if (mount_bind_fd(src, host_path, dst, m->destination, true, err) < 0)
		return -1;
	_cleanup_close_ int top = path_open_in_root(env->rootfd, m->destination, O_PATH, 0, err);
	if (top < 0)
		return -1;
	if (mount_set_attrs(top, m->destination, true, rec_set, 0, err) < 0) {
		/* Never leave the host's tree there without the
		 * restrictions (read-only...) it was bound with. */
		char p[32];
		path_of_fd(top, p);
		(void)umount2(p, MNT_DETACH);
		return -1;
	}
	return 0;
}

/* The MOUNT_ATTR_* equivalents of a mount entry's per-mount flags, for a
 * bind fallback that must honour "ro", "nosuid"... on every mount below. */
static unsigned long long attrs_of_flags(unsigned long flags)
{
	unsigned long long a = 0;
	if (flags & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	return a;
}

static int mount_bind_entry(const struct rootfs_env *env, const struct oci_mount *m,
			    const struct mount_options *mo, hutch_error *err)
{
	if (m->source == NULL)
		return hutch_fail_plain(err, EINVAL, "bind mount on %s has no source",
					m->destination);
	/* Sources are host paths chosen by the caller of the runtime (a
	 * relative one is relative to the bundle), so they are opened as
	 * the host sees them; only destinations are confined. */
	_cleanup_free_ char *src_path = NULL;
	if (m->source[0] == '/')
		src_path = strdup(m->source);
	else if (asprintf(&src_path, "%s/%s", env->ctx->bundle, m->source) < 0)
		src_path = NULL;
	if (src_path == NULL)
		return hutch_fail(err, ENOMEM, "bind mount %s", m->source);
	_cleanup_close_ int src = open(src_path, O_PATH | O_CLOEXEC);
	if (src < 0)
		return hutch_fail(err, errno, "bind mount source %s", src_path);
	struct stat st;
	if (fstat(src, &st) < 0)
		return hutch_fail(err, errno, "stat %s", src_path);
	_cleanup_close_ int dst = S_ISDIR(st.st_mode)
				      ? path_mkdir_in_root(env->rootfd, m->destination, 0755, err)
				      : path_mkfile_in_root(env->rootfd, m->destination, 0644, err);
	if (dst < 0)
		return -1;
	if (mo->idmap) {
		if (mount_bind_idmapped(env, src, src_path, dst, m, mo, err) < 0)
			return -1;
	} else if (mount_bind_fd(src, src_path, dst, m->destination, mo->recursive, err) < 0) {
		return -1;
	}
	return finish_mount(env, m, mo, true, err);
}

/* proc needs a pid namespace owned by our user namespace (and a /proc
 * that nobody has partly covered). When the container shares the host's
 * pid namespace from inside a user namespace, the host's /proc is the
 * only proc it can have. */
static int mount_proc_entry(const struct rootfs_env *env, const struct oci_mount *m,
			    const struct mount_options *mo, int dst, hutch_error *err)
{
	hutch_error first = {0};
	if (mount_on_fd("proc", dst, m->destination, "proc", mo->flags, mo->data, &first) == 0)
		return finish_mount(env, m, mo, false, err);
	if (!may_fall_back(env, &first))
		return pass_error(err, &first);
	log_warning("%s: binding the host's /proc instead", first.msg);
	if (bind_host_tree(env, "/proc", m, attrs_of_flags(mo->flags), err) < 0)
		return -1;
	return finish_mount(env, m, mo, false, err);
}

/* sysfs shows the network namespace of its mounter, so the kernel lets a
 * user namespace mount it only together with a network namespace of its
 * own. Without one, runc and crun bind the host's /sys read-only instead;
 * so do we, recursively, so that no mount below it is writable either. */
static int mount_sysfs_entry(const struct rootfs_env *env, const struct oci_mount *m,
			     const struct mount_options *mo, int dst, hutch_error *err)
{
	if (!env->in_userns || env->new_netns) {
		hutch_error first = {0};
		if (mount_on_fd("sysfs", dst, m->destination, "sysfs", mo->flags, mo->data,
				&first) == 0)
			return finish_mount(env, m, mo, false, err);
		if (!may_fall_back(env, &first))
			return pass_error(err, &first);
		log_debug("%s: binding the host's /sys instead", first.msg);
	} else {
		log_debug("no network namespace of our own: binding the host's /sys on %s",
			  m->destination);
	}
	unsigned long long attrs = attrs_of_flags(mo->flags) | MOUNT_ATTR_RDONLY |
				   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	if (bind_host_tree(env, "/sys", m, attrs, err) < 0)
		return -1;
	return finish_mount(env, m, mo, false, err);
}

static int mount_devpts_entry(const struct rootfs_env *env, const struct oci_mount *m,
			      const struct mount_options *mo, int dst, hutch_error *err)
{
	_cleanup_free_ char *gid_map = NULL;
	if (env->in_userns && read_file_all("/proc/self/gid_map", 65536, &gid_map, NULL, err) < 0)
		return -1;
	bool dropped = false;
	_cleanup_free_ char *data = devpts_adjust_data(mo->data, gid_map, &dropped);
	if (data == NULL)
		return hutch_fail(err, ENOMEM, "devpts options");
	if (dropped)
		log_debug("devpts on %s: dropping the gid= option, that group is not mapped "
			  "in the container's user namespace",
			  m->destination);
	const char *source = m->source ? m->source : "devpts";
	if (mount_on_fd(source, dst, m->destination, "devpts", mo->flags, data, err) < 0)
		return -1;
	return finish_mount(env, m, mo, false, err);
}

/* mqueue needs an IPC namespace owned by our user namespace; otherwise
 * the host's /dev/mqueue (same IPC namespace) is the right view. */
static int mount_mqueue_entry(const struct rootfs_env *env, const struct oci_mount *m,
			      const struct mount_options *mo, int dst, hutch_error *err)
{
	const char *source = m->source ? m->source : "mqueue";
	hutch_error first = {0};
	if (mount_on_fd(source, dst, m->destination, "mqueue", mo->flags, mo->data, &first) == 0)
		return finish_mount(env, m, mo, false, err);
	if (!may_fall_back(env, &first))
		return pass_error(err, &first);
	struct stat st;
	if (stat("/dev/mqueue", &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_warning("%s; the host has no /dev/mqueue to bind: %s left empty", first.msg,
			    m->destination);
		return 0;
	}
	log_debug("%s: binding the host's /dev/mqueue instead", first.msg);
	if (bind_host_tree(env, "/dev/mqueue", m, attrs_of_flags(mo->flags), err) < 0)
		return -1;
	return finish_mount(env, m, mo, false, err);
}

static int mount_tmpfs_entry(const struct rootfs_env *env, const struct oci_mount *m,
			     const struct mount_options *mo, int dst, hutch_error *err)
{
	/* For tmpcopyup, hold the image directory open before the tmpfs
	 * covers it: the fd keeps reaching the old content. */
	_cleanup_close_ int old = -1;
	if (mo->tmpcopyup) {
		char p[32];
		path_of_fd(dst, p);
		old = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (old < 0)
			return hutch_fail(err, errno, "tmpcopyup: open %s", m->destination);
	}
	const char *source = m->source ? m->source : "tmpfs";
	if (mount_on_fd(source, dst, m->destination, "tmpfs", mo->flags, mo->data, err) < 0)
		return -1;
	if (old >= 0) {
		_cleanup_close_ int top =
		    path_open_in_root(env->rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
		if (top < 0)
			return -1;
		if (copy_tree(old, top, m->destination, err) < 0)
			return hutch_error_prefix(err, "tmpcopyup");
	}
	return finish_mount(env, m, mo, false, err);
}

/* A cgroup2 mount shows the cgroup namespace's root; it works when the
 * host is on the unified hierarchy and the container has a cgroup
 * namespace of its own (or we are real root). Otherwise (cgroup v1 or a
 * hybrid host, or no namespace of our own) the host's /sys/fs/cgroup is
 * bound with the entry's flags on every mount below; and when even that
 * fails, the container goes without, as the issue allows, with a warning. */
static int mount_cgroup_entry(const struct rootfs_env *env, const struct oci_mount *m,
			      const struct mount_options *mo, int dst, hutch_error *err)
{
	struct statfs sf;
	bool unified = statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
	if (unified && (env->new_cgroupns || !env->in_userns)) {
		hutch_error first = {0};
		if (mount_on_fd("cgroup2", dst, m->destination, "cgroup2", mo->flags, NULL,
				&first) == 0)
			return finish_mount(env, m, mo, false, err);
		log_debug("%s: binding the host's /sys/fs/cgroup instead", first.msg);
	}
	hutch_error bind_err = {0};
	if (bind_host_tree(env, "/sys/fs/cgroup", m, attrs_of_flags(mo->flags), &bind_err) < 0) {
		log_warning("no cgroup filesystem in the container at %s: %s", m->destination,
			    bind_err.msg);
		return 0;
	}
	return finish_mount(env, m, mo, false, err);
}

int mount_entry(const struct rootfs_env *env, const struct oci_mount *m, hutch_error *err)
{
	if (m->destination == NULL || m->destination[0] != '/')
		return hutch_fail_plain(err, EINVAL, "mount destination '%s' is not absolute",
					m->destination ? m->destination : "");
	_cleanup_mount_options_ struct mount_options mo = {0};
	if (mount_options_parse(m->options, m->n_options, &mo, err) < 0)
		return -1;
	bool bind = mo.bind || type_is(m, "bind");
	if (mo.idmap && !bind)
		return hutch_fail_plain(
		    err, EINVAL, "mount on %s: idmap and ridmap need a bind mount", m->destination);
	if (mo.tmpcopyup && !type_is(m, "tmpfs"))
		return hutch_fail_plain(err, EINVAL, "mount on %s: tmpcopyup needs type tmpfs",
					m->destination);
	if (bind)
		return mount_bind_entry(env, m, &mo, err);
	if (m->type == NULL)
		return hutch_fail_plain(
		    err, EINVAL, "mount on %s has no type and is not a bind mount", m->destination);
	_cleanup_close_ int dst = path_mkdir_in_root(env->rootfd, m->destination, 0755, err);
	if (dst < 0)
		return -1;
	if (type_is(m, "proc"))
		return mount_proc_entry(env, m, &mo, dst, err);
	if (type_is(m, "sysfs"))
		return mount_sysfs_entry(env, m, &mo, dst, err);
	if (type_is(m, "devpts"))
		return mount_devpts_entry(env, m, &mo, dst, err);
	if (type_is(m, "mqueue"))
		return mount_mqueue_entry(env, m, &mo, dst, err);
	if (type_is(m, "tmpfs"))
		return mount_tmpfs_entry(env, m, &mo, dst, err);
	if (type_is(m, "cgroup") || type_is(m, "cgroup2"))
		return mount_cgroup_entry(env, m, &mo, dst, err);
	/* Any other filesystem (overlay, a FUSE mount, ...): the kernel
	 * decides whether this user namespace may mount it, and the target
	 * was resolved inside the rootfs like every other. */
	const char *source = m->source ? m->source : m->type;
	if (mount_on_fd(source, dst, m->destination, m->type, mo.flags, mo.data, err) < 0)
		return -1;
	return finish_mount(env, m, &mo, false, err);
}

int mount_default_dev(const struct rootfs_env *env, hutch_error *err)
{
	_cleanup_close_ int dst = path_mkdir_in_root(env->rootfd, "/dev", 0755, err);
	if (dst < 0)
		return -1;
	/* A private tmpfs: the devices made or bound in it are the only
	 * ones the container sees; nosuid because nothing there is a
	 * program. strictatime as runc's default config has it. */
	return mount_on_fd("tmpfs", dst, "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
			   "mode=755,size=65536k", err);
}
