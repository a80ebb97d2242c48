#include "sandbox-join.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "cleanup.h"
#include "file-util.h"

int sandbox_join(pid_t pid, hutch_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	_cleanup_close_ int userns = open(path, O_RDONLY | O_CLOEXEC);
	if (userns < 0)
		return hutch_fail(err, errno, "open %s", path);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	_cleanup_close_ int mntns = open(path, O_RDONLY | O_CLOEXEC);
	if (mntns < 0)
		return hutch_fail(err, errno, "open %s", path);
	/* The user namespace first: it grants the capabilities that joining
	 * its mount namespace needs. */
	if (setns(userns, CLONE_NEWUSER) < 0)
		return hutch_fail(err, errno, "join the sandbox user namespace");
	if (setns(mntns, CLONE_NEWNS) < 0)
		return hutch_fail(err, errno, "join the sandbox mount namespace");
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return hutch_fail(err, errno, "become root in the sandbox");
	return 0;
}

bool sandbox_maps_single_uid(void)
{
	_cleanup_free_ char *map = NULL;
	size_t len = 0, lines = 0;
	if (read_file_all("/proc/self/uid_map", 4096, &map, &len, NULL) < 0)
		return false;
	for (size_t i = 0; i < len; i++)
		lines += map[i] == '\n';
	return lines <= 1;
}
