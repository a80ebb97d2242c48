/* Helpers shared by the files of the OCI config parser (oci-config*.c).
 * Not part of libhutch's interface: the runtime core only sees
 * oci-config.h.
 *
 * Every sub-parser fills an already zeroed struct in place, setting each
 * array pointer together with its count as soon as it is allocated, so
 * the free functions can release a half-parsed config after any error. */
#ifndef HUTCH_OCI_CONFIG_INTERNAL_H
#define HUTCH_OCI_CONFIG_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "oci-config.h"

/* Room for a JSON path such as "linux.seccomp.syscalls[12].args[3].op". */
#define OCI_WHERE_MAX 256

/* Build the JSON path of a member ("process" + "user" -> "process.user";
 * "" + "root" -> "root") or of an array element ("mounts" + 3 ->
 * "mounts[3]"). */
void oci_where_key(char buf[static OCI_WHERE_MAX], const char *where, const char *key);
void oci_where_index(char buf[static OCI_WHERE_MAX], const char *where, const char *key,
		     size_t index);

/* An optional (or required) string member copied with strdup; *out stays
 * NULL when the key is absent. */
int oci_dup_string(json_object *obj, const char *where, const char *key, bool required, char **out,
		   hutch_error *err);

/* An unsigned 64-bit member (rlimits and seccomp argument values use the
 * whole range, e.g. RLIM_INFINITY); *out is left alone when it is absent. */
int oci_get_uint64(json_object *obj, const char *where, const char *key, bool required,
		   uint64_t *out, hutch_error *err);

/* A member that must be an array of objects; *arr is NULL when absent. */
int oci_get_object_array(json_object *obj, const char *where, const char *key, json_object **arr,
			 hutch_error *err);

/* The element i of an array, which must be an object. */
int oci_array_object(json_object *arr, const char *where, const char *key, size_t i,
		     json_object **out, hutch_error *err);

/* An id-mapping array (linux.uidMappings, mounts[i].gidMappings, ...):
 * every entry has a size > 0, stays within 32 bits and overlaps no other
 * entry on either the container or the host side (the kernel refuses
 * overlapping maps, and a clear message beats its EINVAL). */
int oci_parse_id_mappings(json_object *obj, const char *where, const char *key,
			  struct oci_id_mapping **out, size_t *n, hutch_error *err);

/* True when obj has key with a value other than null: a null member reads
 * as absent, as Go's encoding/json (runc) reads it. */
bool oci_has_value(json_object *obj, const char *key);

bool oci_is_absolute(const char *path);

/* Every entry of an environment list is NAME=VALUE with a non-empty NAME:
 * execve() would pass a bare "NAME" on, but no libc can read it back. */
int oci_check_env(const char *where, const char *key, char **env, size_t n, hutch_error *err);

/* Sub-parsers, each for one concern. */
int oci_parse_process_into(json_object *obj, const char *where, struct oci_process *p,
			   hutch_error *err);
int oci_parse_linux(json_object *obj, const char *where, struct oci_linux *l, hutch_error *err);

/* Release what a (partially) parsed part owns; the struct itself stays. */
void oci_linux_clear(struct oci_linux *l);
void oci_process_clear(struct oci_process *p);

/* True when name is one of the runtime-spec's seccomp constants. */
bool oci_seccomp_action_known(const char *name);
bool oci_seccomp_operator_known(const char *name);
bool oci_seccomp_arch_known(const char *name);
bool oci_seccomp_flag_known(const char *name);

#endif
