/* The container's rootfs: hutch-overlay over the image snapshots (lower)
 * and the container's writable layer (upper, work), mounted at the
 * volatile rootfs/ dir. In the sandbox it mounts directly, in the
 * sandbox's mount namespace only; without one it goes through
 * fusermount3 into the user's own view. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "log.h"
#include "monitor.h"
#include "overlay-options.h"
#include "sandbox-join.h"

static int build_options(const struct monitor *m, char *buf, size_t size, hutch_error *err)
{
	const struct monitor_config *c = &m->cfg;
	/* In the sandbox the container's processes run as many ids of its
	 * user namespace; FUSE lets only the mounting id in without
	 * allow_other, which root of the mount's own namespace may set. */
	struct overlay_layout l = {
	    .lower = c->lower,
	    .n_lower = c->n_lower,
	    .upper = c->upper,
	    .work = c->work,
	    .allow_other = c->sandbox_pid != 0,
	    .xattr_permissions = c->sandbox_pid != 0 && sandbox_maps_single_uid(),
	};
	return overlay_options_build(&l, buf, size, err);
}

/* rootfs/ is a mount point when it is on another device than its parent;
 * a dead FUSE server leaves ENOTCONN. */
static bool is_mounted(const char *path)
{
	struct stat st, parent;
	if (stat(path, &st) < 0)
		return errno == ENOTCONN;
	char copy[PATH_MAX];
	snprintf(copy, sizeof(copy), "%s", path);
	if (stat(dirname(copy), &parent) < 0)
		return false;
	return st.st_dev != parent.st_dev;
}

static void unmount_path(const struct monitor *m, const char *path)
{
	if (m->cfg.sandbox_pid != 0) {
		/* Lazy: a process of the container that is still on its way
		 * out must not keep us from finishing. */
		if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
			log_warning("unmount %s: %s", path, strerror(errno));
		return;
	}
	char fusermount[PATH_MAX];
	hutch_error err = {0};
	if (find_program_near_self("fusermount3", fusermount, sizeof(fusermount), &err) < 0) {
		log_warning("unmount %s: %s", path, err.msg);
		return;
	}
	char *argv[] = {fusermount, "-u", "-z", "-q", (char *)path, NULL};
	pid_t pid = spawn_program(argv, NULL, &err);
	int status = 0;
	if (pid < 0 || wait_child(pid, &status) < 0)
		log_warning("unmount %s: %s", path, err.msg);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warning("unmount %s: fusermount3 failed", path);
}

int overlay_mount(struct monitor *m, hutch_error *err)
{
	const struct monitor_config *c = &m->cfg;
	if (mkdir_parents(c->upper, 0700, err) < 0 || mkdir_parents(c->work, 0700, err) < 0 ||
	    mkdir_parents(c->rootfs, 0700, err) < 0)
		return hutch_error_prefix(err, "overlay");
	/* A monitor that died (kill -9, reboot of the sandbox) can leave its
	 * mount behind. */
	if (is_mounted(c->rootfs)) {
		log_info("%s: removing a stale mount", c->rootfs);
		unmount_path(m, c->rootfs);
	}
	char program[PATH_MAX], options[16384], source[64];
	if (find_program_near_self("hutch-overlay", program, sizeof(program), err) < 0 ||
	    build_options(m, options, sizeof(options), err) < 0)
		return hutch_error_prefix(err, "overlay");
	snprintf(source, sizeof(source), "hutch-%.12s", c->id);
	char *argv[] = {program, "-o", options, source, c->rootfs, NULL};
	/* hutch-overlay returns once the mount is ready and serves it from a
	 * daemon child, which then becomes ours (we are a subreaper). */
	pid_t pid = spawn_program(argv, NULL, err);
	if (pid < 0)
		return hutch_error_prefix(err, "overlay");
	int status = 0;
	if (wait_child(pid, &status) < 0)
		return hutch_fail(err, errno, "wait for hutch-overlay");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return hutch_fail_plain(err, EIO,
					"hutch-overlay failed to mount %s (its message is in "
					"monitor.log)",
					c->rootfs);
	if (!is_mounted(c->rootfs))
		return hutch_fail_plain(err, EIO, "hutch-overlay exited but %s is not mounted",
					c->rootfs);
	m->overlay_mounted = true;
	return 0;
}

void overlay_unmount(struct monitor *m)
{
	if (!m->overlay_mounted)
		return;
	unmount_path(m, m->cfg.rootfs);
	m->overlay_mounted = false;
}
