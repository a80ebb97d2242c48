/* Seccomp filters from the OCI config through libseccomp: every action
 * (including SCMP_ACT_NOTIFY with a listener), flags, architectures and
 * argument conditions. */
#ifndef HUTCH_SECCOMP_H
#define HUTCH_SECCOMP_H

#include <json-c/json.h>

#include "error.h"
#include "oci-config.h"

/* Build and load the filter for the calling thread's process. When the
 * config asks for a notify listener, *notify_fd receives it (else -1). */
int seccomp_load_config(const struct oci_seccomp *sec, int *notify_fd, hutch_error *err);

/* Hand a notify listener fd to the process listening on listener_path, as
 * runtime-spec describes: SCM_RIGHTS with the container process state JSON
 * ({"ociVersion","fds":["seccompFd"],"pid","metadata","state"}). */
int seccomp_send_to_listener(const char *listener_path, int notify_fd, json_object *state,
			     const char *metadata, hutch_error *err);

#endif
