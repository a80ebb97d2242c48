#include "find-program.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int find_program_near_self(const char *name, char *out, size_t size, hutch_error *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0 && self[0] == '/') {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		if ((size_t)snprintf(out, size, "%s/%s", self, name) < size &&
		    access(out, X_OK) == 0)
			return 0;
	}
	for (const char *path = getenv("PATH"); path != NULL && *path != '\0';) {
		size_t len = strcspn(path, ":");
		if (len > 0 && path[0] == '/' &&
		    (size_t)snprintf(out, size, "%.*s/%s", (int)len, path, name) < size &&
		    access(out, X_OK) == 0)
			return 0;
		path += len + (path[len] == ':');
	}
	/* An installation problem, not the request's: ENOEXEC makes it a 500
	 * (ENOENT would be a 404, "no such container"). */
	return hutch_fail_plain(err, ENOEXEC,
				"%s not found next to hutchd (%s) nor on $PATH: install it there "
				"or put its directory on hutchd's $PATH",
				name, n > 0 ? self : "?");
}
