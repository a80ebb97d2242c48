/* The names of Linux's capabilities, by number (linux/capability.h), as
 * the OCI config spells them. One table for the runtime's `features`
 * document and hutchd's CapAdd/CapDrop handling; it has no dependencies, so
 * hutchd can use it without linking libseccomp or libcap. */
#ifndef HUTCH_CAP_NAMES_H
#define HUTCH_CAP_NAMES_H

#include <stddef.h>

/* NULL-terminated; index = capability number. Every capability of the
 * Linux headers hutch is built against (up to CAP_CHECKPOINT_RESTORE,
 * Linux 5.9). */
extern const char *const hutch_cap_names[];
extern const size_t hutch_cap_count;

/* How many of them the running kernel knows (cap_last_cap + 1, at most
 * hutch_cap_count): a capability set may only name those. */
size_t hutch_cap_count_kernel(void);

#endif
