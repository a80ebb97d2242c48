/* Docker's ?filters= (see api-filters.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api-filters.h"
#include "cleanup.h"
#include "json-util.h"

int api_filters_parse(struct request *r, const char *const *allowed, json_object **out,
		      hutch_error *err)
{
	const char *s = query_arg(r, "filters");
	*out = json_object_new_object();
	if (s == NULL || s[0] == '\0')
		return 0;
	_cleanup_json_ json_object *f = NULL;
	if (json_parse_buffer(s, strlen(s), "filters", &f, err) < 0)
		return -1;
	if (!json_object_is_type(f, json_type_object))
		return hutch_fail_plain(err, EINVAL, "filters: expected a JSON object");
	json_object_object_foreach(f, key, val)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok = ok || strcmp(*a, key) == 0;
		if (!ok)
			return hutch_fail_plain(err, EINVAL, "invalid filter '%s'", key);
		json_object *list = json_object_new_array();
		json_object_object_add(*out, key, list);
		if (json_object_is_type(val, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(val); i++) {
				json_object *v = json_object_array_get_idx(val, i);
				if (!json_object_is_type(v, json_type_string))
					return hutch_fail_plain(
					    err, EINVAL, "filters.%s[%zu]: expected a string", key,
					    i);
				json_object_array_add(list, json_object_get(v));
			}
		} else if (json_object_is_type(val, json_type_object)) {
			json_object_object_foreach(val, v, on)
			{
				if (json_object_get_boolean(on))
					json_object_array_add(list, json_object_new_string(v));
			}
		} else {
			return hutch_fail_plain(err, EINVAL,
						"filters.%s: expected a list of strings", key);
		}
	}
	return 0;
}

json_object *api_filter_values(json_object *filters, const char *key)
{
	json_object *v = NULL;
	json_object_object_get_ex(filters, key, &v);
	return v != NULL && json_object_array_length(v) > 0 ? v : NULL;
}

const char *api_filter_value(json_object *list, size_t i)
{
	return json_object_get_string(json_object_array_get_idx(list, i));
}

/* "key" or "key=value" against labels. */
static bool label_matches(json_object *labels, const char *want)
{
	json_object *v;
	const char *eq = strchr(want, '=');
	char key[512];
	snprintf(key, sizeof(key), "%.*s", (int)(eq ? eq - want : (long)strlen(want)), want);
	if (labels == NULL || !json_object_object_get_ex(labels, key, &v))
		return false;
	return eq == NULL || strcmp(json_object_get_string(v), eq + 1) == 0;
}

bool api_labels_match(json_object *labels, json_object *filters, const char *key, bool negate)
{
	json_object *list = api_filter_values(filters, key);
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		if (label_matches(labels, api_filter_value(list, i)) == negate)
			return false;
	return true;
}

int api_filter_bool(json_object *filters, const char *key, bool def, bool *out, hutch_error *err)
{
	json_object *list = api_filter_values(filters, key);
	*out = def;
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		const char *v = api_filter_value(list, i);
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*out = true;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*out = false;
		else
			return hutch_fail_plain(err, EINVAL, "invalid filter '%s=%s'", key, v);
	}
	return 0;
}
