#include "path-util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_SYMLINKS 40

static int openat2_supported = -1; /* unknown until the first call */

static const char *skip_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

/* Userspace resolution for kernels without openat2: walk one component at
 * a time with O_NOFOLLOW; a symlink's target is spliced into the rest of
 * the path and an absolute one restarts from the root, so nothing escapes.
 * It is not race-free against a concurrent rename, which is why openat2 is
 * preferred whenever the kernel has it. */
static int walk_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	char rest[PATH_MAX * 2];
	if (snprintf(rest, sizeof(rest), "%s", skip_slashes(path)) >= (int)sizeof(rest)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int links = 0;
	_cleanup_close_ int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -1;
	/* A stack of directory fds lets ".." go back without leaving root. */
	int stack[PATH_MAX / 2];
	int depth = 0;
	int result = -1;
	char *p = rest;
	for (;;) {
		p = (char *)skip_slashes(p);
		if (*p == '\0') {
			/* The path named a directory (or the root itself). */
			result = openat(cur, ".", flags | O_CLOEXEC, mode);
			break;
		}
		char *slash = strchr(p, '/');
		char name[NAME_MAX + 1];
		size_t nlen = slash ? (size_t)(slash - p) : strlen(p);
		if (nlen > NAME_MAX) {
			errno = ENAMETOOLONG;
			break;
		}
		memcpy(name, p, nlen);
		name[nlen] = '\0';
		bool last = slash == NULL || *skip_slashes(slash) == '\0';
		p = slash ? slash : p + nlen;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (depth > 0) {
				close(cur);
				cur = stack[--depth];
			}
			if (last) {
				result = openat(cur, ".", flags | O_CLOEXEC, mode);
				break;
			}
			continue;
		}
		struct stat st;
		if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
		    !(last && (flags & O_NOFOLLOW))) {
			if (++links > MAX_SYMLINKS) {
				errno = ELOOP;
				break;
			}
			char target[PATH_MAX];
			ssize_t tl = readlinkat(cur, name, target, sizeof(target) - 1);
			if (tl < 0)
				break;
			target[tl] = '\0';
			char joined[PATH_MAX * 2];
			if (snprintf(joined, sizeof(joined), "%s/%s", target, p) >=
			    (int)sizeof(joined)) {
				errno = ENAMETOOLONG;
				break;
			}
			snprintf(rest, sizeof(rest), "%s", joined);
			p = rest;
			if (target[0] == '/') {
				while (depth > 0) {
					close(cur);
					cur = stack[--depth];
				}
			}
			continue;
		}
		if (last) {
			result = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			break;
		}
		int next = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			break;
		if (depth >= (int)(sizeof(stack) / sizeof(stack[0]))) {
			close(next);
			errno = ELOOP;
			break;
		}
		stack[depth++] = cur;
		cur = next;
	}
	int saved = errno;
	while (depth > 0)
		close(stack[--depth]);
	errno = saved;
	return result;
}

static int open_in_root_raw(int rootfd, const char *path, int flags, mode_t mode)
{
	if (openat2_supported != 0) {
		struct open_how how = {
		    .flags = (unsigned long long)(flags | O_CLOEXEC),
		    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		const char *rel = skip_slashes(path);
		int fd = (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS) {
			openat2_supported = 1;
			return fd;
		}
		openat2_supported = 0;
	}
	return walk_in_root(rootfd, path, flags, mode);
}

int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode, hutch_error *err)
{
	int fd;
	do
		fd = open_in_root_raw(rootfd, path, flags, mode);
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s inside the root", path);
	return fd;
}

/* Split path into its parent and last component, both inside buffers. */
static int split_last(const char *path, char *parent, size_t psize, const char **last)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= psize) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(parent, path, len);
	parent[len] = '\0';
	char *slash = strrchr(parent, '/');
	if (slash == NULL) {
		snprintf(parent, psize, ".");
		*last = path;
		return 0;
	}
	*last = path + (slash - parent) + 1;
	if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

int path_mkdir_in_root(int rootfd, const char *path, mode_t mode, hutch_error *err)
{
	int fd = open_in_root_raw(rootfd, path, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return hutch_fail(err, errno, "open directory %s inside the root", path);
	char parent[PATH_MAX];
	const char *last;
	if (split_last(path, parent, sizeof(parent), &last) < 0)
		return hutch_fail(err, errno, "mkdir %s", path);
	char name[NAME_MAX + 1];
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(last, "/"), last);
	if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0 || name[0] == '\0')
		return hutch_fail(err, EINVAL, "mkdir %s: invalid path", path);
	_cleanup_close_ int pfd = path_mkdir_in_root(rootfd, parent, mode, err);
	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, name, mode) < 0 && errno != EEXIST)
		return hutch_fail(err, errno, "mkdir %s", path);
	fd = openat(pfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open directory %s inside the root", path);
	return fd;
}

int path_mkfile_in_root(int rootfd, const char *path, mode_t mode, hutch_error *err)
{
	int fd = open_in_root_raw(rootfd, path, O_PATH, 0);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return hutch_fail(err, errno, "open %s inside the root", path);
	char parent[PATH_MAX];
	const char *last;
	if (split_last(path, parent, sizeof(parent), &last) < 0)
		return hutch_fail(err, errno, "create %s", path);
	_cleanup_close_ int pfd = path_mkdir_in_root(rootfd, parent, 0755, err);
	if (pfd < 0)
		return -1;
	char name[NAME_MAX + 1];
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(last, "/"), last);
	if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0 || name[0] == '\0')
		return hutch_fail(err, EINVAL, "create %s: invalid path", path);
	char pp[32];
	path_of_fd(pfd, pp);
	_cleanup_close_ int dfd = open(pp, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dfd < 0)
		return hutch_fail(err, errno, "open parent of %s", path);
	_cleanup_close_ int f =
	    openat(dfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
	if (f < 0 && errno != EEXIST && errno != EISDIR)
		return hutch_fail(err, errno, "create %s", path);
	fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s inside the root", path);
	return fd;
}

void path_of_fd(int fd, char buf[static 32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

char *path_clean(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	bool absolute = path[0] == '/';
	if (absolute)
		out[o++] = '/';
	const char *p = path;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		size_t n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			size_t floor = absolute ? 1 : 0;
			bool top_is_dotdot = o >= 2 && out[o - 1] == '.' && out[o - 2] == '.' &&
					     (o == 2 || out[o - 3] == '/');
			if (o > floor && !top_is_dotdot) {
				while (o > floor && out[o - 1] != '/')
					o--;
				if (o > floor)
					o--;
			} else if (!absolute) {
				/* A relative path keeps leading "..". */
				if (o > 0)
					out[o++] = '/';
				memcpy(out + o, "..", 2);
				o += 2;
			}
		} else {
			if (o > 0 && out[o - 1] != '/')
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}
