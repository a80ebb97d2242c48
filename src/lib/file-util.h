/* Plain file helpers: whole-file reads with a size cap, full writes that
 * survive EINTR and short writes, and crash-safe atomic replacement. */
#ifndef HUTCH_FILE_UTIL_H
#define HUTCH_FILE_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read a whole file (at most max bytes, else EFBIG) into a NUL-terminated
 * buffer owned by the caller. */
int read_file_all(const char *path, size_t max, char **out, size_t *len, hutch_error *err);
int read_fd_all(int fd, const char *what, size_t max, char **out, size_t *len, hutch_error *err);

/* Write all of buf, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/* Write a file crash-safely: a temporary file in the same directory,
 * fsync, rename over path, fsync the directory. Readers see either the old
 * or the new content, never a mix, even after a power cut. */
int write_file_atomic(const char *path, const void *buf, size_t len, int mode, hutch_error *err);

/* Write a small string to an existing file (procfs, sysfs, cgroupfs). */
int write_file_string(const char *path, const char *s, hutch_error *err);

/* mkdir -p; existing directories are fine. */
int mkdir_parents(const char *path, mode_t mode, hutch_error *err);

#endif
