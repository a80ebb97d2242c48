/* Idmapped bind mounts ("idmap", "ridmap" with the entry's uidMappings and
 * gidMappings): files whose owner on disk is containerID appear owned by
 * hostID through the mount, without a chown of the source.
 *
 * The kernel attaches an id mapping to a detached mount (open_tree clone)
 * with mount_setattr(MOUNT_ATTR_IDMAP), given a user namespace that holds
 * the mapping; a short-lived child process provides that namespace. The
 * caller must be privileged over the user namespace that owns the source
 * filesystem: for the host's disks that is real root, so a container in a
 * user namespace gets a clear refusal rather than an EPERM riddle. */
#include "mount-util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"
#include "idmap.h"
#include "path-util.h"

static int write_map(pid_t pid, const char *file, const struct oci_id_mapping *maps, size_t n,
		     hutch_error *err)
{
	_cleanup_free_ char *text = idmap_format(maps, n);
	if (text == NULL)
		return hutch_fail(err, ENOMEM, "format the id mapping");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return write_file_string(path, text, err);
}

/* A user namespace fd holding the entry's mappings. The child only sits
 * in its new namespace until the parent has the fd; the parent writes the
 * maps (it is root in the namespace above, so the kernel lets it write any
 * mapping of its own ids) and then ends the child. */
static int userns_with_maps(const struct oci_mount *m, hutch_error *err)
{
	int ready[2], done[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return hutch_fail(err, errno, "pipe");
	if (pipe2(done, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return hutch_fail(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);
		return hutch_fail(err, e, "fork for an idmapped mount");
	}
	if (pid == 0) {
		/* Only the parent may hold done's write end, or the
		 * child would never see EOF. */
		close(done[1]);
		close(ready[0]);
		/* The container's pid namespace is new but /proc is still
		 * the host's: the pid fork() returned is not the one /proc
		 * knows. /proc/self, read by the child, is. */
		char self[32] = "";
		ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
		if (n <= 0 || unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		self[n] = '\0';
		if (write(ready[1], self, (size_t)n + 1) != n + 1)
			_exit(1);
		/* Wait for the parent to close its end (EOF). */
		char c;
		(void)!read(done[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	int fd = -1;
	char self[32] = "";
	ssize_t n = read(ready[0], self, sizeof(self) - 1);
	int proc_pid = n > 1 ? atoi(self) : 0;
	if (proc_pid <= 0) {
		hutch_fail(err, EPERM, "create a user namespace for an idmapped mount");
	} else if (write_map(proc_pid, "uid_map", m->uid_mappings, m->n_uid_mappings, err) == 0 &&
		   write_map(proc_pid, "gid_map", m->gid_mappings, m->n_gid_mappings, err) == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", proc_pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			hutch_fail(err, errno, "open %s", path);
	}
	close(ready[0]);
	close(done[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

int mount_bind_idmapped(const struct rootfs_env *env, int srcfd, const char *src_what, int dstfd,
			const struct oci_mount *m, const struct mount_options *mo, hutch_error *err)
{
	if (env->in_userns)
		return hutch_fail_plain(err, EPERM,
					"idmapped mount of %s on %s: the source filesystem "
					"belongs to the host, and only real root may idmap it",
					src_what, m->destination);
	if (m->n_uid_mappings == 0 || m->n_gid_mappings == 0)
		return hutch_fail_plain(err, EINVAL,
					"idmapped mount on %s needs uidMappings and gidMappings",
					m->destination);
	_cleanup_close_ int userns = userns_with_maps(m, err);
	if (userns < 0)
		return hutch_error_prefix(err, "idmapped mount on %s", m->destination);
	/* A detached copy of the source: the mapping is attached to it
	 * before it becomes visible anywhere. */
	unsigned int tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
	if (mo->recursive)
		tree_flags |= AT_RECURSIVE;
	_cleanup_close_ int tree = (int)syscall(SYS_open_tree, srcfd, "", tree_flags);
	if (tree < 0)
		return hutch_fail(err, errno, "open_tree %s", src_what);
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (__u64)userns};
	unsigned int at = AT_EMPTY_PATH | (mo->idmap_recursive ? AT_RECURSIVE : 0);
	if (syscall(SYS_mount_setattr, tree, "", at, &attr, sizeof(attr)) < 0)
		return hutch_fail(err, errno,
				  "idmap the mount of %s (does its filesystem support "
				  "idmapped mounts?)",
				  src_what);
	if (syscall(SYS_move_mount, tree, "", dstfd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return hutch_fail(err, errno, "attach the idmapped mount of %s on %s", src_what,
				  m->destination);
	return 0;
}
