#include "file-util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int read_fd_all(int fd, const char *what, size_t max, char **out, size_t *len, hutch_error *err)
{
	size_t cap = 4096, used = 0;
	_cleanup_free_ char *buf = malloc(cap + 1);
	if (buf == NULL)
		return hutch_fail(err, ENOMEM, "read %s", what);
	for (;;) {
		if (used == cap) {
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *n = realloc(buf, cap + 1);
			if (n == NULL)
				return hutch_fail(err, ENOMEM, "read %s", what);
			buf = n;
		}
		ssize_t r = read(fd, buf + used, cap - used);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return hutch_fail(err, errno, "read %s", what);
		}
		if (r == 0)
			break;
		used += (size_t)r;
		if (used > max)
			return hutch_fail_plain(err, EFBIG, "read %s: larger than %zu bytes", what,
						max);
	}
	buf[used] = '\0';
	if (len != NULL)
		*len = used;
	*out = steal_pointer(&buf);
	return 0;
}

int read_file_all(const char *path, size_t max, char **out, size_t *len, hutch_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s", path);
	return read_fd_all(fd, path, max, out, len, err);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *buf, size_t len, int mode, hutch_error *err)
{
	_cleanup_free_ char *dir_copy = strdup(path);
	_cleanup_free_ char *tmp = NULL;
	if (dir_copy == NULL || asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return hutch_fail(err, ENOMEM, "write %s", path);
	_cleanup_close_ int fd =
	    open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
	if (fd < 0)
		return hutch_fail(err, errno, "create %s", tmp);
	if (write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return hutch_fail(err, e, "write %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return hutch_fail(err, e, "rename %s to %s", tmp, path);
	}
	/* The rename is durable only once the directory entry is on disk. */
	_cleanup_close_ int dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

int write_file_string(const char *path, const char *s, hutch_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hutch_fail(err, errno, "open %s", path);
	if (write_all(fd, s, strlen(s)) < 0)
		return hutch_fail(err, errno, "write %s", path);
	return 0;
}

int mkdir_parents(const char *path, mode_t mode, hutch_error *err)
{
	_cleanup_free_ char *p = strdup(path);
	if (p == NULL)
		return hutch_fail(err, ENOMEM, "mkdir %s", path);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return hutch_fail(err, errno, "mkdir %s", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return hutch_fail(err, errno, "mkdir %s", p);
	return 0;
}
