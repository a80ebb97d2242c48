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

/* A lower dir's path in the lowerdir option: ':' separates layers and
 * ',' options, so both (and the escape itself) get a backslash. */
static int append_escaped(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*len + 3 >= size)
			return -1;
		if (*s == ':' || *s == ',' || *s == '\\')
			buf[(*len)++] = '\\';
		buf[(*len)++] = *s;
	}
	buf[*len] = '\0';
	return 0;
}

static int append_text(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 >= size)
		return -1;
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return 0;
}

/* One line in uid_map: only the user's own uid exists in the sandbox,
 * so ownership that cannot be stored for real goes to an xattr. */
static bool single_uid_sandbox(void)
{
	_cleanup_free_ char *map = NULL;
	size_t len = 0, lines = 0;
	if (read_file_all("/proc/self/uid_map", 4096, &map, &len, NULL) < 0)
		return false;
	for (size_t i = 0; i < len; i++)
		lines += map[i] == '\n';
	return lines <= 1;
}

static int build_options(const struct monitor *m, char *buf, size_t size, hutch_error *err)
{
	const struct monitor_config *c = &m->cfg;
	size_t len = 0;
	buf[0] = '\0';
	int r = append_text(buf, size, &len, "lowerdir=");
	for (size_t i = 0; r == 0 && i < c->n_lower; i++) {
		if (i > 0)
			r = append_text(buf, size, &len, ":");
		if (r == 0)
			r = append_escaped(buf, size, &len, c->lower[i]);
	}
	if (r == 0)
		r = append_text(buf, size, &len, ",upperdir=");
	if (r == 0)
		r = append_escaped(buf, size, &len, c->upper);
	if (r == 0)
		r = append_text(buf, size, &len, ",workdir=");
	if (r == 0)
		r = append_escaped(buf, size, &len, c->work);
	/* In the sandbox the container's processes run as many ids of its
	 * user namespace; FUSE lets only the mounting id in without
	 * allow_other, which root of the mount's own namespace may set. */
	if (r == 0 && c->sandbox_pid != 0)
		r = append_text(buf, size, &len, ",allow_other");
	if (r == 0 && c->sandbox_pid != 0 && single_uid_sandbox())
		r = append_text(buf, size, &len, ",xattr_permissions=2");
	if (r < 0)
		return hutch_fail_plain(err, E2BIG, "overlay options: too many or too long layers");
	return 0;
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
	if (find_program("fusermount3", fusermount, sizeof(fusermount), &err) < 0) {
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
	if (find_program("hutch-overlay", program, sizeof(program), err) < 0 ||
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
