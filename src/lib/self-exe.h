/* Protection against CVE-2019-5736: a container process must never be
 * able to write the runtime binary through /proc/self/exe (or
 * /proc/<runtime pid>/exe). */
#ifndef HUTCH_SELF_EXE_H
#define HUTCH_SELF_EXE_H

#include <stdbool.h>

#include "error.h"

/* The real binary's path, set for the sealed copy (see find-program.h). */
#define SELF_EXE_ENV "HUTCH_SELF_EXE"

/* Whether this process runs from the sealed memfd copy. */
bool self_exe_is_sealed_copy(void);

/* When the caller could write the binary it runs from (real root, or a
 * binary owned by the caller), re-exec argv from a sealed memfd copy, so
 * that whatever the container reaches through /proc is an immutable
 * anonymous file. Returns 0 without doing anything when the binary is
 * not writable by us or we already run from a sealed copy; on a re-exec
 * it does not return. */
int self_exe_protect(char **argv, hutch_error *err);

#endif
