/* json-c helpers with hutch errors. Every accessor names the JSON path of
 * the value it complains about ("process.args[2]: expected a string"), so a
 * user can find the mistake in a config file without guessing. */
#ifndef HUTCH_JSON_UTIL_H
#define HUTCH_JSON_UTIL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define _cleanup_json_ __attribute__((cleanup(cleanup_json_putp)))
static inline void cleanup_json_putp(json_object **o)
{
	if (*o != NULL)
		json_object_put(*o);
}

/* Parse a whole buffer as one JSON value; what names the input in errors. */
int json_parse_buffer(const char *buf, size_t len, const char *what, json_object **out,
		      hutch_error *err);

/* Read and parse a JSON file. */
int json_read_file(const char *path, json_object **out, hutch_error *err);

/* Write a JSON value to a file atomically (temp file, fsync, rename). */
int json_write_file_atomic(const char *path, json_object *obj, int mode, hutch_error *err);

/* Typed getters: a missing key leaves *out unchanged and returns 0 unless
 * required is true; a present key of the wrong type is always an error.
 * where is the JSON path of obj, used in messages ("" for the top level). */
int json_get_string(json_object *obj, const char *where, const char *key, bool required,
		    const char **out, hutch_error *err);
int json_get_bool(json_object *obj, const char *where, const char *key, bool *out,
		  hutch_error *err);
int json_get_int64(json_object *obj, const char *where, const char *key, bool required,
		   int64_t *out, hutch_error *err);
int json_get_uint32(json_object *obj, const char *where, const char *key, bool required,
		    uint32_t *out, hutch_error *err);
int json_get_object(json_object *obj, const char *where, const char *key, bool required,
		    json_object **out, hutch_error *err);
int json_get_array(json_object *obj, const char *where, const char *key, bool required,
		   json_object **out, hutch_error *err);

/* Copy an array of strings into a NULL-terminated strv (owned by caller).
 * A missing key gives *out == NULL. */
int json_get_strv(json_object *obj, const char *where, const char *key, bool required, char ***out,
		  size_t *count, hutch_error *err);

#endif
