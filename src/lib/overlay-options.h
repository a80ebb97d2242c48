/* The -o option string of hutch-overlay for a container's rootfs, shared
 * by hutch-monitor (the running container) and hutchd's helpers (a
 * stopped container's files). */
#ifndef HUTCH_OVERLAY_OPTIONS_H
#define HUTCH_OVERLAY_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct overlay_layout {
	char *const *lower; /* top first */
	size_t n_lower;
	const char *upper, *work; /* NULL: a read-only mount */
	bool allow_other;
	bool xattr_permissions; /* ownership in user.containers.override_stat */
};

/* "lowerdir=A:B,upperdir=U,workdir=W[,allow_other][,xattr_permissions=2]"
 * with ':', ',' and '\' in paths escaped by a backslash. */
int overlay_options_build(const struct overlay_layout *l, char *buf, size_t size, hutch_error *err);

#endif
