/* hutch's other programs (hutch-monitor, hutch-overlay) as hutchd runs
 * them: next to hutchd's own binary first, so a build tree and an
 * installed tree each use their own, then on $PATH. */
#ifndef HUTCH_DAEMON_FIND_PROGRAM_H
#define HUTCH_DAEMON_FIND_PROGRAM_H

#include <stddef.h>

#include "error.h"

int find_program_near_self(const char *name, char *out, size_t size, hutch_error *err);

#endif
