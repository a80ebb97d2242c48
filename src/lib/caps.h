/* Capabilities through libcap: name parsing and applying the five sets. */
#ifndef HUTCH_CAPS_H
#define HUTCH_CAPS_H

#include "error.h"
#include "oci-config.h"

/* "CAP_SYS_ADMIN" -> CAP_SYS_ADMIN; -1 when unknown to this kernel/libcap. */
int caps_from_name(const char *name);

/* Drop everything not in the bounding set (needs CAP_SETPCAP). */
int caps_apply_bounding(const struct oci_capabilities *caps, hutch_error *err);

/* Set effective/permitted/inheritable and raise the ambient set. Call after
 * the uid switch (with PR_SET_KEEPCAPS) so the sets survive it. NULL caps
 * means every set empty. Unknown capability names are skipped with a
 * warning (a newer config on an older kernel), as runc does. */
int caps_apply_sets(const struct oci_capabilities *caps, hutch_error *err);

#endif
