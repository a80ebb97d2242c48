/* The three steps of the container's filesystem view (see rootfs.h):
 * prepare (mounts under the rootfs, /dev), enter (pivot_root or chroot),
 * finalize (sysctls, hostname, read-only and masked paths, read-only root,
 * final propagation). */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "namespaces.h"
#include "devices.h"
#include "file-util.h"
#include "log.h"
#include "mount-util.h"
#include "path-util.h"
#include "sysctl.h"

static bool nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Everything that can be refused from the config alone is refused before
 * the first mount, so a bad config fails fast and changes nothing. */
static int check_config(const struct rootfs_context *ctx, unsigned long *propagation,
			hutch_error *err)
{
	const struct oci_config *cfg = ctx->cfg;
	*propagation = 0;
	if (cfg->linux_cfg.rootfs_propagation != NULL &&
	    rootfs_propagation_parse(cfg->linux_cfg.rootfs_propagation, propagation, err) < 0)
		return -1;
	/* Like runc: a hostname needs a UTS namespace of the container's
	 * own, or sethostname would rename the host. */
	bool uts = rootfs_ns_listed(cfg, OCI_NS_UTS, NULL);
	if (nonempty(cfg->hostname) && !uts)
		return hutch_fail_plain(err, EINVAL,
					"hostname: cannot set the hostname without a UTS "
					"namespace of the container's own");
	if (nonempty(cfg->domainname) && !uts)
		return hutch_fail_plain(err, EINVAL,
					"domainname: cannot set the domainname without a UTS "
					"namespace of the container's own");
	return sysctl_check_config(cfg, err);
}

static bool mount_is_bind(const struct oci_mount *m)
{
	if (m->type != NULL && strcmp(m->type, "bind") == 0)
		return true;
	for (size_t i = 0; i < m->n_options; i++)
		if (strcmp(m->options[i], "bind") == 0 || strcmp(m->options[i], "rbind") == 0)
			return true;
	return false;
}

/* Whether the config mounts something on /dev itself. */
static void find_dev_mount(const struct oci_config *cfg, bool *from_config, bool *is_bind)
{
	*from_config = *is_bind = false;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		if (cfg->mounts[i].destination == NULL)
			continue;
		_cleanup_free_ char *c = path_clean(cfg->mounts[i].destination);
		if (c != NULL && strcmp(c, "/dev") == 0) {
			*from_config = true;
			*is_bind = mount_is_bind(&cfg->mounts[i]);
		}
	}
}

int rootfs_prepare(const struct rootfs_context *ctx, hutch_error *err)
{
	const struct oci_config *cfg = ctx->cfg;
	unsigned long propagation;
	if (check_config(ctx, &propagation, err) < 0)
		return -1;

	/* Before anything is mounted: our mount namespace is a copy of the
	 * caller's, and its mounts may be shared with the host's peers. A
	 * recursive private (or slave, when the config asks for slave or
	 * shared propagation: host mounts still come in) tree guarantees
	 * that no mount made from here on shows up on the host. A shared
	 * rootfsPropagation is applied at the end, to the container's own
	 * tree. */
	unsigned long first =
	    MS_REC | ((propagation & (MS_SLAVE | MS_SHARED)) ? MS_SLAVE : MS_PRIVATE);
	if (mount(NULL, "/", NULL, first, NULL) < 0)
		return hutch_fail(err, errno, "make the mount tree %s",
				  (first & MS_SLAVE) ? "rslave" : "rprivate");

	/* pivot_root needs the new root to be a mount point. Binding the
	 * rootfs onto itself (with what is mounted below it) makes it one;
	 * its parent is not shared after the step above, which pivot_root
	 * also requires. The rootfs path is the runtime's own, resolved and
	 * free of symlinks by the caller. */
	if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hutch_fail(err, errno, "bind mount the rootfs %s onto itself", ctx->rootfs);
	_cleanup_close_ int rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hutch_fail(err, errno, "open the rootfs %s", ctx->rootfs);

	struct rootfs_env env = {.ctx = ctx, .rootfd = rootfd, .in_userns = ctx->in_userns};
	/* Any uid_map other than the identity means a user namespace, whatever
	 * the caller believes: mknod and some filesystems are then out of
	 * reach, and the fallbacks must be allowed. */
	if (!env.in_userns && !userns_caller_is_initial()) {
		log_debug("running in a user namespace: rootless mounts and devices");
		env.in_userns = true;
	}
	rootfs_ns_listed(cfg, OCI_NS_NETWORK, &env.new_netns);
	rootfs_ns_listed(cfg, OCI_NS_IPC, &env.new_ipcns);
	rootfs_ns_listed(cfg, OCI_NS_CGROUP, &env.new_cgroupns);
	find_dev_mount(cfg, &env.dev_from_config, &env.dev_is_bind);

	/* /dev first, so that the config's /dev/pts, /dev/shm, /dev/mqueue
	 * land on it rather than under it. */
	if (!env.dev_from_config && mount_default_dev(&env, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		if (mount_entry(&env, m, err) < 0)
			return hutch_error_prefix(err, "mounts[%zu] (%s)", i,
						  m->destination ? m->destination : "?");
	}
	if (devices_setup(&env, err) < 0)
		return hutch_error_prefix(err, "/dev");
	return 0;
}

static int pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* pivot_root(".", ".") stacks the old root on top of the new one, at the
 * same place; from a directory fd of the old root we can then detach it.
 * Nothing of the host stays reachable from the container afterwards. */
static int enter_with_pivot(const struct rootfs_context *ctx, hutch_error *err)
{
	_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		return hutch_fail(err, errno, "open /");
	_cleanup_close_ int newroot = open(ctx->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (newroot < 0)
		return hutch_fail(err, errno, "open the rootfs %s", ctx->rootfs);
	if (fchdir(newroot) < 0)
		return hutch_fail(err, errno, "chdir to the rootfs %s", ctx->rootfs);
	if (pivot_root(".", ".") < 0) {
		int e = errno;
		if (e == EINVAL)
			return hutch_fail(err, e,
					  "pivot_root to %s (a rootfs on the initramfs needs "
					  "--no-pivot)",
					  ctx->rootfs);
		return hutch_fail(err, e, "pivot_root to %s", ctx->rootfs);
	}
	if (fchdir(oldroot) < 0)
		return hutch_fail(err, errno, "chdir to the old root");
	/* The old root is already private or slave (rootfs_prepare), so
	 * its unmount cannot propagate to the host; saying so again costs
	 * one syscall and protects against a caller that joined a mount
	 * namespace whose propagation changed since. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return hutch_fail(err, errno, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return hutch_fail(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return hutch_fail(err, errno, "chdir /");
	return 0;
}

/* --no-pivot (a rootfs on the initramfs, where pivot_root is refused):
 * move the rootfs mount over "/" and chroot into it. The old root stays
 * below it in the mount namespace; the container cannot reach it through
 * paths, but it is weaker than pivot_root, which is why it is opt-in. */
static int enter_with_move(const struct rootfs_context *ctx, hutch_error *err)
{
	if (chdir(ctx->rootfs) < 0)
		return hutch_fail(err, errno, "chdir to the rootfs %s", ctx->rootfs);
	if (mount(ctx->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		return hutch_fail(err, errno, "move the rootfs %s to /", ctx->rootfs);
	if (chroot(".") < 0)
		return hutch_fail(err, errno, "chroot to the rootfs %s", ctx->rootfs);
	if (chdir("/") < 0)
		return hutch_fail(err, errno, "chdir /");
	return 0;
}

int rootfs_enter(const struct rootfs_context *ctx, hutch_error *err)
{
	return ctx->no_pivot ? enter_with_move(ctx, err) : enter_with_pivot(ctx, err);
}

/* Safe to call: rootfs_prepare refused a hostname or domainname unless the
 * container has a UTS namespace of its own, so only its name changes. */
static int set_names(const struct oci_config *cfg, hutch_error *err)
{
	if (nonempty(cfg->hostname) && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		return hutch_fail(err, errno, "sethostname %s", cfg->hostname);
	if (nonempty(cfg->domainname) &&
	    setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
		return hutch_fail(err, errno, "setdomainname %s", cfg->domainname);
	return 0;
}

int rootfs_finalize(const struct rootfs_context *ctx, hutch_error *err)
{
	const struct oci_config *cfg = ctx->cfg;
	unsigned long propagation = 0;
	if (cfg->linux_cfg.rootfs_propagation != NULL &&
	    rootfs_propagation_parse(cfg->linux_cfg.rootfs_propagation, &propagation, err) < 0)
		return -1;
	/* Sysctls first: /proc/sys is usually among the read-only paths. */
	if (sysctl_apply(cfg, err) < 0)
		return -1;
	if (set_names(cfg, err) < 0)
		return -1;
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hutch_fail(err, errno, "open /");
	if (rootfs_readonly_paths(cfg, rootfd, err) < 0)
		return -1;
	if (rootfs_mask_paths(cfg, rootfd, err) < 0)
		return -1;
	/* Only the root mount: /proc, /dev, volumes keep their own flags,
	 * as in runc. */
	if (cfg->root_readonly && mount_remount_root(MS_RDONLY, err) < 0)
		return hutch_error_prefix(err, "root.readonly");
	if ((propagation & (MS_SHARED | MS_SLAVE | MS_UNBINDABLE)) &&
	    mount(NULL, "/", NULL, propagation, NULL) < 0)
		return hutch_fail(err, errno, "set rootfsPropagation %s on /",
				  cfg->linux_cfg.rootfs_propagation);
	return 0;
}
