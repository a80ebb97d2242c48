#include "find-program.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "self-exe.h"

extern char *program_invocation_short_name;

bool self_exe_dir(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	self[n] = '\0';
	if (self_exe_is_sealed_copy()) {
		/* The memfd is named "/memfd:..."; self_exe_protect() left the
		 * real path behind for us. */
		const char *real = getenv(SELF_EXE_ENV);
		if (real == NULL || real[0] != '/' ||
		    (size_t)snprintf(self, sizeof(self), "%s", real) >= sizeof(self))
			return false;
	}
	char *slash = strrchr(self, '/');
	if (self[0] != '/' || slash == NULL)
		return false;
	*slash = '\0';
	return (size_t)snprintf(out, size, "%s", slash == self ? "/" : self) < size;
}

int find_program_near_self(const char *name, char *out, size_t size, hutch_error *err)
{
	char dir[PATH_MAX];
	bool have_dir = self_exe_dir(dir, sizeof(dir));
	if (have_dir && (size_t)snprintf(out, size, "%s/%s", dir, name) < size &&
	    access(out, X_OK) == 0)
		return 0;
	for (const char *path = getenv("PATH"); path != NULL && *path != '\0';) {
		size_t len = strcspn(path, ":");
		if (len > 0 && path[0] == '/' &&
		    (size_t)snprintf(out, size, "%.*s/%s", (int)len, path, name) < size &&
		    access(out, X_OK) == 0)
			return 0;
		path += len + (path[len] == ':');
	}
	/* No fallback to the configured bindir: a program missing from this
	 * install must be reported, not replaced by another install's
	 * (possibly older) copy. */
	return hutch_fail_plain(
	    err, ENOEXEC,
	    "%s not found next to %s (%s) nor on $PATH: install it there or put "
	    "its directory on hutchd's $PATH",
	    name, program_invocation_short_name, have_dir ? dir : "?");
}
