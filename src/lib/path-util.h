/* Safe path resolution inside a root directory.
 *
 * Paths that come from a container image or a config file are resolved as
 * if rootfd were "/": symlinks (absolute or relative) and ".." can never
 * leave it. The kernel does this race-free with openat2(RESOLVE_IN_ROOT);
 * on kernels older than 5.6 a component-by-component walk with O_NOFOLLOW
 * gives the same answer. */
#ifndef HUTCH_PATH_UTIL_H
#define HUTCH_PATH_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Open path (relative to the root, a leading '/' is allowed) inside rootfd.
 * flags are open(2) flags; O_CLOEXEC is always added. */
int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode, hutch_error *err);

/* Create every missing directory of path inside rootfd and return an
 * O_PATH|O_DIRECTORY fd of the last one. */
int path_mkdir_in_root(int rootfd, const char *path, mode_t mode, hutch_error *err);

/* Create path's parents inside rootfd and the file itself (empty, if it
 * does not exist); return an O_PATH fd of it. Used for bind-mount targets. */
int path_mkfile_in_root(int rootfd, const char *path, mode_t mode, hutch_error *err);

/* "/proc/self/fd/N" for an fd, for syscalls that take only paths. */
void path_of_fd(int fd, char buf[static 32]);

/* Lexically clean a path: fold "//", drop "." and resolve ".." without
 * going above "/". Returns a new string. */
char *path_clean(const char *path);

#endif
