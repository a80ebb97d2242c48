#include "json-util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file-util.h"

int json_parse_buffer(const char *buf, size_t len, const char *what, json_object **out,
		      hutch_error *err)
{
	if (len > INT_MAX)
		return hutch_fail_plain(err, EFBIG, "%s: JSON document too large", what);
	json_tokener *tok = json_tokener_new();
	if (tok == NULL)
		return hutch_fail(err, ENOMEM, "%s: allocate JSON parser", what);
	json_object *obj = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t offset = json_tokener_get_parse_end(tok);
	if (obj == NULL && jerr == json_tokener_continue) {
		/* A number at the very end ("5") is complete only once the
		 * tokener sees a terminator: hand it the final NUL. Anything
		 * else still open is a truncated document. */
		obj = json_tokener_parse_ex(tok, "", 1);
		if (obj != NULL) {
			jerr = json_tokener_success;
			offset = len;
		}
	}
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		return hutch_fail_plain(err, EINVAL, "%s: invalid JSON: unexpected end of input",
					what);
	if (obj == NULL || jerr != json_tokener_success)
		return hutch_fail_plain(err, EINVAL, "%s: invalid JSON at byte %zu: %s", what,
					offset, json_tokener_error_desc(jerr));
	/* Anything after the value other than white space is garbage. */
	for (size_t i = offset; i < len; i++) {
		if (strchr(" \t\r\n", buf[i]) == NULL) {
			json_object_put(obj);
			return hutch_fail_plain(
			    err, EINVAL, "%s: invalid JSON: trailing data at byte %zu", what, i);
		}
	}
	*out = obj;
	return 0;
}

int json_read_file(const char *path, json_object **out, hutch_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (read_file_all(path, 64u << 20, &buf, &len, err) < 0)
		return -1;
	return json_parse_buffer(buf, len, path, out, err);
}

int json_write_file_atomic(const char *path, json_object *obj, int mode, hutch_error *err)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
	return write_file_atomic(path, s, len, mode, err);
}

static int type_error(hutch_error *err, const char *where, const char *key, const char *type)
{
	return hutch_fail_plain(err, EINVAL, "%s%s%s: expected %s", where, *where ? "." : "", key,
				type);
}

static int lookup(json_object *obj, const char *where, const char *key, bool required,
		  json_type type, const char *type_name, json_object **val, hutch_error *err)
{
	*val = NULL;
	if (obj == NULL || !json_object_object_get_ex(obj, key, val) || *val == NULL) {
		*val = NULL;
		if (required)
			return hutch_fail_plain(err, EINVAL, "%s%s%s: missing required field",
						where, *where ? "." : "", key);
		return 0;
	}
	if (!json_object_is_type(*val, type))
		return type_error(err, where, key, type_name);
	return 1;
}

int json_get_string(json_object *obj, const char *where, const char *key, bool required,
		    const char **out, hutch_error *err)
{
	json_object *v;
	int r = lookup(obj, where, key, required, json_type_string, "a string", &v, err);
	if (r > 0)
		*out = json_object_get_string(v);
	return r < 0 ? -1 : 0;
}

int json_get_bool(json_object *obj, const char *where, const char *key, bool *out, hutch_error *err)
{
	json_object *v;
	int r = lookup(obj, where, key, false, json_type_boolean, "true or false", &v, err);
	if (r > 0)
		*out = json_object_get_boolean(v);
	return r < 0 ? -1 : 0;
}

int json_get_int64(json_object *obj, const char *where, const char *key, bool required,
		   int64_t *out, hutch_error *err)
{
	json_object *v;
	int r = lookup(obj, where, key, required, json_type_int, "an integer", &v, err);
	if (r > 0) {
		errno = 0;
		int64_t val = json_object_get_int64(v);
		if (errno == EINVAL || errno == ERANGE)
			return hutch_fail_plain(err, ERANGE, "%s%s%s: integer out of range", where,
						*where ? "." : "", key);
		*out = val;
	}
	return r < 0 ? -1 : 0;
}

int json_get_uint32(json_object *obj, const char *where, const char *key, bool required,
		    uint32_t *out, hutch_error *err)
{
	int64_t v = -1;
	bool present = obj != NULL && json_object_object_get_ex(obj, key, NULL);
	if (json_get_int64(obj, where, key, required, &v, err) < 0)
		return -1;
	if (!present)
		return 0;
	if (v < 0 || v > UINT32_MAX)
		return hutch_fail_plain(err, ERANGE, "%s%s%s: %" PRId64 " is out of range 0..%u",
					where, *where ? "." : "", key, v, UINT32_MAX);
	*out = (uint32_t)v;
	return 0;
}

int json_get_object(json_object *obj, const char *where, const char *key, bool required,
		    json_object **out, hutch_error *err)
{
	json_object *v;
	int r = lookup(obj, where, key, required, json_type_object, "an object", &v, err);
	if (r > 0)
		*out = v;
	return r < 0 ? -1 : 0;
}

int json_get_array(json_object *obj, const char *where, const char *key, bool required,
		   json_object **out, hutch_error *err)
{
	json_object *v;
	int r = lookup(obj, where, key, required, json_type_array, "an array", &v, err);
	if (r > 0)
		*out = v;
	return r < 0 ? -1 : 0;
}

int json_get_strv(json_object *obj, const char *where, const char *key, bool required, char ***out,
		  size_t *count, hutch_error *err)
{
	json_object *arr = NULL;
	*out = NULL;
	if (count != NULL)
		*count = 0;
	if (json_get_array(obj, where, key, required, &arr, err) < 0)
		return -1;
	if (arr == NULL)
		return 0;
	size_t n = json_object_array_length(arr);
	_cleanup_strv_ char **v = calloc(n + 1, sizeof(char *));
	if (v == NULL)
		return hutch_fail(err, ENOMEM, "%s.%s", where, key);
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(item, json_type_string))
			return hutch_fail_plain(err, EINVAL, "%s%s%s[%zu]: expected a string",
						where, *where ? "." : "", key, i);
		v[i] = strdup(json_object_get_string(item));
		if (v[i] == NULL)
			return hutch_fail(err, ENOMEM, "%s.%s", where, key);
	}
	if (count != NULL)
		*count = n;
	*out = steal_pointer(&v);
	return 0;
}
