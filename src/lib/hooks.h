/* OCI hooks: each runs with the container state JSON on stdin, its own
 * args and env, and is killed when its timeout expires. */
#ifndef HUTCH_HOOKS_H
#define HUTCH_HOOKS_H

#include "error.h"
#include "oci-config.h"

/* Run the hooks of one kind in order; the first failure stops the rest and
 * is returned (the message names the hook kind, path and exit status). */
int hooks_run(const struct oci_config *cfg, enum oci_hook_kind kind, const char *state_json,
	      hutch_error *err);

#endif
