/* Capabilities through libcap: name parsing and applying the five sets. */
#ifndef HUTCH_CAPS_H
#define HUTCH_CAPS_H

#include <stdbool.h>

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

/* The highest capability value the running kernel knows. */
int caps_last_supported(void);

enum caps_set {
	CAPS_SET_BOUNDING,
	CAPS_SET_EFFECTIVE,
	CAPS_SET_PERMITTED,
	CAPS_SET_INHERITABLE,
	CAPS_SET_AMBIENT,
};

/* Whether the config lists capability cap (a CAP_* value) in a set. */
bool caps_config_has(const struct oci_capabilities *caps, enum caps_set set, int cap);

/* caps_apply_sets, but keep capability extra (-1 for none) effective and
 * permitted on top of the config's sets, for one more privileged step
 * (loading a seccomp filter without no_new_privileges). Drop it after with
 * caps_drop_current(). */
int caps_apply_sets_keeping(const struct oci_capabilities *caps, int extra, hutch_error *err);

/* Remove cap from the current effective and permitted sets. */
int caps_drop_current(int cap, hutch_error *err);

#endif
