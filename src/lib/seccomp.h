/* Seccomp filters from the OCI config through libseccomp: every action
 * (including SCMP_ACT_NOTIFY with a listener), flags, architectures and
 * argument conditions. */
/* This header shares its name with libseccomp's <seccomp.h>, and libhutch
 * is on the include path, so `#include <seccomp.h>` anywhere in the tree
 * lands here first: pull in libseccomp's header too, so both spellings give
 * both APIs. It stands before the include guard on purpose: when this file
 * was found next to the includer ("seccomp.h"), include_next finds it once
 * more through -I, and that second pass reaches libseccomp's. */
#include_next <seccomp.h>

#ifndef HUTCH_SECCOMP_H
#define HUTCH_SECCOMP_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

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

/* Names of the config translated to libseccomp values. Each returns 0, or
 * -1 when the name is unknown to this build of libseccomp. */

/* "SCMP_ACT_ERRNO" -> SCMP_ACT_ERRNO(errno_ret); has_errno_ret false gives
 * EPERM for ERRNO and TRACE, as runc does. */
int seccomp_action_from_name(const char *name, bool has_errno_ret, uint32_t errno_ret,
			     uint32_t *action);
/* "SCMP_ARCH_X86_64" -> SCMP_ARCH_X86_64. */
int seccomp_arch_from_name(const char *name, uint32_t *arch);
/* "SCMP_CMP_MASKED_EQ" -> SCMP_CMP_MASKED_EQ. */
int seccomp_op_from_name(const char *name, enum scmp_compare *op);
/* "SECCOMP_FILTER_FLAG_LOG" -> SCMP_FLTATR_CTL_LOG. Returns -1 for a name
 * unknown to the runtime-spec, -2 for a known flag that this libseccomp
 * cannot set. */
int seccomp_flag_from_name(const char *name, enum scmp_filter_attr *attr);

/* The "linux.seccomp" member of `hutch-oci features`: enabled, actions,
 * operators, archs, knownFlags and supportedFlags as this build knows
 * them. Caller owns the result. */
json_object *seccomp_features(void);

#endif
