/* Turning a Docker container-create request into a complete container
 * directory: ROOT/containers/<id>/ with container.json, config.json (the
 * OCI runtime config), monitor.json, state.json, hosts, hostname and
 * resolv.conf, as docs/architecture/containers.md defines them.
 *
 * Everything is written into ROOT/containers/.tmp-<id> and renamed to
 * ROOT/containers/<id> as the last step, so a crash or an error never
 * leaves a half container (a .tmp-* directory is garbage for the next
 * start to sweep). */
#ifndef HUTCH_DAEMON_CTR_BUILD_H
#define HUTCH_DAEMON_CTR_BUILD_H

#include <json-c/json.h>

#include "containers.h"
#include "daemon.h"
#include "error.h"

/* Build the container for request (the body of POST /containers/create:
 * Docker's Config with HostConfig and NetworkingConfig) named name (checked
 * and reserved by the caller, without the leading '/'). On success id holds
 * the new container's id and *warnings an array of strings (caller puts).
 *
 * Errors: ENOENT "No such image: x"; EINVAL for bad input (the caller
 * answers 400); any other errno is a server error (500).
 *
 * ctr_build pins the image's snapshots only while it runs: the caller pins
 * the container.json ChainIds for the container's lifetime. */
int ctr_build(struct hutchd *d, json_object *request, const char *name, char id[CTR_ID_LEN + 1],
	      json_object **warnings, hutch_error *err);

#endif
