/* The templates' values as Go sees them: how they print, their truth and
 * their type names; and the entry points of template.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "template-internal.h"
#include "template.h"

void value_clear(struct value *v)
{
	json_object_put(v->json);
	*v = (struct value){0};
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **json_keys_sorted(json_object *o, size_t *count)
{
	size_t n = (size_t)json_object_object_length(o), i = 0;
	const char **keys = calloc(n + 1, sizeof(*keys));
	if (keys == NULL)
		return NULL;
	json_object_object_foreach(o, k, v)
	{
		(void)v;
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(*keys), compare_keys);
	*count = n;
	return keys;
}

/* Go's %v of a float64: the shortest digits that read back the same, in
 * exponent form when the exponent is below -4 or at least 6 (1e+06). */
static void print_float_go(double d, FILE *out)
{
	if (isinf(d) || isnan(d)) {
		fputs(isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf", out);
		return;
	}
	char buf[64];
	int digits = 1;
	for (; digits < 17; digits++) {
		snprintf(buf, sizeof(buf), "%.*e", digits - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", digits - 1, d);
	int exp = atoi(strchr(buf, 'e') + 1);
	if (exp < -4 || exp >= 6)
		fputs(buf, out);
	else
		fprintf(out, "%.*f", digits - 1 - exp > 0 ? digits - 1 - exp : 0, d);
}

/* Go's %v: maps with sorted keys, slices space separated. */
void json_print_go(json_object *o, FILE *out)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		fputs("<nil>", out);
		break;
	case json_type_double:
		print_float_go(json_object_get_double(o), out);
		break;
	case json_type_array:
		fputc('[', out);
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			if (i)
				fputc(' ', out);
			json_print_go(json_object_array_get_idx(o, i), out);
		}
		fputc(']', out);
		break;
	case json_type_object: {
		size_t n = 0;
		_cleanup_free_ const char **keys = json_keys_sorted(o, &n);
		if (keys == NULL)
			return;
		fputs("map[", out);
		for (size_t i = 0; i < n; i++) {
			json_object *member = NULL;
			json_object_object_get_ex(o, keys[i], &member);
			fprintf(out, "%s%s:", i ? " " : "", keys[i]);
			json_print_go(member, out);
		}
		fputc(']', out);
		break;
	}
	case json_type_string:
		fwrite(json_object_get_string(o), 1, (size_t)json_object_get_string_len(o), out);
		break;
	default:
		fputs(json_object_get_string(o), out);
	}
}

void value_print(const struct value *v, FILE *out)
{
	if (v->missing)
		fputs("<no value>", out);
	else
		json_print_go(v->json, out);
}

bool value_truth(const struct value *v)
{
	switch (json_object_get_type(v->json)) {
	case json_type_boolean:
		return json_object_get_boolean(v->json);
	case json_type_int:
		return json_object_get_int64(v->json) != 0;
	case json_type_double:
		return json_object_get_double(v->json) != 0;
	case json_type_string:
		return json_object_get_string_len(v->json) > 0;
	case json_type_array:
		return json_object_array_length(v->json) > 0;
	case json_type_object:
		return json_object_object_length(v->json) > 0;
	default: /* nil, and missing */
		return false;
	}
}

const char *value_type_name(const struct value *v)
{
	if (v->missing)
		return "<no value>";
	switch (json_object_get_type(v->json)) {
	case json_type_boolean:
		return "bool";
	case json_type_int:
		return "int";
	case json_type_double:
		return "float64";
	case json_type_string:
		return "string";
	case json_type_array:
		return "[]interface {}";
	case json_type_object:
		return "map[string]interface {}";
	default:
		return "<nil>";
	}
}

int template_check(const char *tmpl, hutch_error *err)
{
	struct template_tree *t = template_parse(tmpl, err);
	if (t == NULL)
		return hutch_error_prefix(err, "template parsing error");
	template_tree_free(t);
	return 0;
}
