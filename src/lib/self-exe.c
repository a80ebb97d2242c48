/* CVE-2019-5736: runc could be overwritten by a container that opened
 * /proc/<runc pid>/exe while runc was joining it, then wrote through that
 * fd once runc had exec'd away. Two defences, both cheap:
 *
 *  1. The container init and exec'd processes are non-dumpable until
 *     execve (PR_SET_DUMPABLE 0, in container-init.c/container-exec.c),
 *     so no container process can open their /proc/PID/exe at all.
 *  2. When the binary is writable by the caller, we re-exec from a sealed
 *     memfd copy first: /proc/self/exe of every runtime process that can
 *     meet the container then points at an anonymous file whose content
 *     the kernel refuses to change (F_SEAL_WRITE), and the real binary is
 *     never reachable.
 *
 * Why skipping the copy is safe when the binary is not writable by us:
 * every container process runs with at most our privileges (a user
 * namespace we own, or fewer capabilities), and the kernel checks a write
 * open through /proc/PID/exe against the binary's own owner and mode,
 * exactly as for any other path. A root-owned 0755 binary is thus out of
 * reach for an unprivileged caller and for root in a user namespace
 * (their capabilities do not cover files owned by ids outside it). */
#include "self-exe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

extern char **environ;

#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

bool self_exe_is_sealed_copy(void)
{
	_cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals = exe >= 0 ? fcntl(exe, F_GET_SEALS) : -1;
	return seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS;
}

int self_exe_protect(char **argv, hutch_error *err)
{
	_cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (exe < 0)
		return hutch_fail(err, errno, "open /proc/self/exe");
	int seals = fcntl(exe, F_GET_SEALS);
	if (seals >= 0 && (seals & REQUIRED_SEALS) == REQUIRED_SEALS)
		return 0; /* already the sealed copy */
	if (faccessat(AT_FDCWD, "/proc/self/exe", W_OK, AT_EACCESS) < 0)
		return 0; /* not writable by us, hence not by the container */

	struct stat st;
	if (fstat(exe, &st) < 0)
		return hutch_fail(err, errno, "stat /proc/self/exe");
	_cleanup_close_ int mem = memfd_create("hutch-oci", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mem < 0)
		return hutch_fail(err, errno, "memfd_create for a sealed copy of the runtime");
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(mem, exe, &off, (size_t)(st.st_size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return hutch_fail(err, n < 0 ? errno : EIO, "copy the runtime binary");
	}
	if (fcntl(mem, F_ADD_SEALS, REQUIRED_SEALS) < 0)
		return hutch_fail(err, errno, "seal the runtime copy");
	/* The copy's /proc/self/exe names no directory, yet the monitor
	 * finds hutch-overlay and hutch-slirp next to its real binary. */
	char real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", real, sizeof(real) - 1);
	if (n > 0) {
		real[n] = '\0';
		setenv(SELF_EXE_ENV, real, 1);
	}
	fexecve(mem, argv, environ);
	return hutch_fail(err, errno, "re-exec from the sealed runtime copy");
}
