/* A new volume starts with what the image has at its path, as with
 * Docker (unless "nocopy" / VolumeOptions.NoCopy). */
#ifndef HUTCH_DAEMON_VOLUME_FILL_H
#define HUTCH_DAEMON_VOLUME_FILL_H

#include <sys/types.h>

#include "ctr-build-internal.h"
#include "error.h"

/* hutchd side, at create, once the container's directory ctr_dir is in
 * place: fill each empty volume of m[] that may be filled, with
 * `hutchd __helper volume-fill` inside holder's sandbox (0: none). */
int ctr_volumes_fill(pid_t holder, const char *ctr_dir, const struct ctr_mount *m, size_t n,
		     hutch_error *err);

/* argv: hutchd __helper volume-fill HOLDER CTR_DIR TARGET VOLUME_DIR.
 * Returns the exit status. */
int helper_volume_fill_main(int argc, char **argv);

#endif
