/* hutch's programs find each other (hutchd its monitor, the monitor
 * hutch-overlay and hutch-slirp) next to their own binary first, so a
 * build tree and an installed tree each use their own, then on $PATH. */
#ifndef HUTCH_FIND_PROGRAM_H
#define HUTCH_FIND_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The directory of the binary this process was started from, also after
 * self_exe_protect() re-executed it from a sealed memfd (whose
 * /proc/self/exe names no directory). False when it cannot be told. */
bool self_exe_dir(char *out, size_t size);

/* NAME next to our own binary, else on $PATH. The failure (ENOEXEC: an
 * installation problem, which hutchd reports as a 500) says where it
 * looked and how to fix it. */
int find_program_near_self(const char *name, char *out, size_t size, hutch_error *err);

#endif
