/* The templates' functions: Go's text/template built-ins (comparison,
 * logic, index, slice, len, print, printf, println) and the ones docker
 * adds (json, split, join, title, lower, upper, pad, truncate). A
 * function sets *result to a new value, or fails with err. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "template-internal.h"

/* Runs body, which prints to the memory stream m, and makes what it
 * printed the result string. */
#define PRINT_RESULT(result, err, m, body)                                                         \
	do {                                                                                       \
		_cleanup_free_ char *buf_ = NULL;                                                  \
		size_t len_ = 0;                                                                   \
		FILE *m = open_memstream(&buf_, &len_);                                            \
		if (m == NULL)                                                                     \
			return hutch_fail(err, errno, "template");                                 \
		body;                                                                              \
		fclose(m);                                                                         \
		(result)->json = json_object_new_string_len(buf_, (int)len_);                      \
	} while (0)

static int want_string(const struct value *v, const char **s, hutch_error *err)
{
	if (v->missing)
		return hutch_fail_plain(err, EINVAL, "invalid value; expected string");
	if (!json_object_is_type(v->json, json_type_string))
		return hutch_fail_plain(err, EINVAL,
					"wrong type for value; expected string; got %s",
					value_type_name(v));
	*s = json_object_get_string(v->json);
	return 0;
}

static int want_int(const struct value *v, int64_t *n, hutch_error *err)
{
	if (json_object_is_type(v->json, json_type_int)) {
		*n = json_object_get_int64(v->json);
		return 0;
	}
	double d = json_object_get_double(v->json);
	if (json_object_is_type(v->json, json_type_double) && d == floor(d) && fabs(d) < 9e15) {
		*n = (int64_t)d;
		return 0;
	}
	return hutch_fail_plain(err, EINVAL, "wrong type for value; expected int; got %s",
				value_type_name(v));
}

static int set_string(struct value *result, const char *s)
{
	result->json = json_object_new_string(s);
	return 0;
}

/* ---- comparison and logic ---- */

enum kind { KIND_NIL, KIND_BOOL, KIND_INT, KIND_FLOAT, KIND_STRING, KIND_OTHER };

static enum kind kind_of(const struct value *v)
{
	switch (json_object_get_type(v->json)) {
	case json_type_null:
		return KIND_NIL;
	case json_type_boolean:
		return KIND_BOOL;
	case json_type_int:
		return KIND_INT;
	case json_type_double:
		return KIND_FLOAT;
	case json_type_string:
		return KIND_STRING;
	default:
		return KIND_OTHER;
	}
}

static bool is_number(enum kind k)
{
	return k == KIND_INT || k == KIND_FLOAT;
}

/* a <=> b as -1, 0, 1 for basic values; integers and floats compare by
 * value (Go would refuse int against float64, but JSON has no such
 * distinction to offer). */
static int compare(const struct value *a, const struct value *b, bool ordered, int *cmp,
		   hutch_error *err)
{
	enum kind ka = kind_of(a), kb = kind_of(b);
	if (!ordered && (ka == KIND_NIL || kb == KIND_NIL)) {
		*cmp = ka == kb ? 0 : 1;
		return 0;
	}
	if (ka == KIND_OTHER || kb == KIND_OTHER ||
	    (ordered && (ka == KIND_BOOL || ka == KIND_NIL)))
		return hutch_fail_plain(err, EINVAL, "%s type for comparison",
					ordered ? "invalid" : "non-comparable");
	if (ka != kb && !(is_number(ka) && is_number(kb)))
		return hutch_fail_plain(err, EINVAL, "incompatible types for comparison");
	if (ka == KIND_STRING) {
		int c = strcmp(json_object_get_string(a->json), json_object_get_string(b->json));
		*cmp = (c > 0) - (c < 0);
	} else if (ka == KIND_INT && kb == KIND_INT) {
		int64_t x = json_object_get_int64(a->json), y = json_object_get_int64(b->json);
		*cmp = (x > y) - (x < y);
	} else if (ka == KIND_BOOL) {
		*cmp = json_object_get_boolean(a->json) != json_object_get_boolean(b->json);
	} else {
		double x = json_object_get_double(a->json), y = json_object_get_double(b->json);
		*cmp = (x > y) - (x < y);
	}
	return 0;
}

static int fn_eq(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	bool equal = false;
	for (size_t i = 1; i < n && !equal; i++) {
		int cmp;
		if (compare(&args[0], &args[i], false, &cmp, err) < 0)
			return -1;
		equal = cmp == 0;
	}
	result->json = json_object_new_boolean(equal);
	return 0;
}

/* ne, lt, le, gt, ge: which results of compare() make it true. */
static int compare_two(struct value *args, bool ordered, bool less, bool equal, bool greater,
		       struct value *result, hutch_error *err)
{
	int cmp;
	if (compare(&args[0], &args[1], ordered, &cmp, err) < 0)
		return -1;
	result->json = json_object_new_boolean(cmp < 0 ? less : cmp == 0 ? equal : greater);
	return 0;
}

#define COMPARISON(name, ordered, less, equal, greater)                                            \
	static int fn_##name(struct value *args, size_t n, struct value *result, hutch_error *err) \
	{                                                                                          \
		(void)n;                                                                           \
		return compare_two(args, ordered, less, equal, greater, result, err);              \
	}
COMPARISON(ne, false, true, false, true)
COMPARISON(lt, true, true, false, false)
COMPARISON(le, true, true, true, false)
COMPARISON(gt, true, false, false, true)
COMPARISON(ge, true, false, true, true)

static int fn_not(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n, (void)err;
	result->json = json_object_new_boolean(!value_truth(&args[0]));
	return 0;
}

/* ---- containers ---- */

static int fn_len(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n;
	json_object *o = args[0].json;
	int64_t len;
	if (args[0].missing)
		return hutch_fail_plain(err, EINVAL, "len of nil pointer");
	switch (json_object_get_type(o)) {
	case json_type_null: /* docker's empty lists and maps are null in JSON */
		len = 0;
		break;
	case json_type_string:
		len = json_object_get_string_len(o);
		break;
	case json_type_array:
		len = (int64_t)json_object_array_length(o);
		break;
	case json_type_object:
		len = json_object_object_length(o);
		break;
	default:
		return hutch_fail_plain(err, EINVAL, "len of type %s", value_type_name(&args[0]));
	}
	result->json = json_object_new_int64(len);
	return 0;
}

static int fn_index(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	struct value item = {.json = json_object_get(args[0].json), .missing = args[0].missing};
	for (size_t i = 1; i < n; i++) {
		json_object *o = item.json, *next = NULL;
		bool by_key = json_object_is_type(args[i].json, json_type_string);
		int64_t k = 0;
		if (item.missing) {
			value_clear(&item);
			return hutch_fail_plain(err, EINVAL, "index of untyped nil");
		}
		if (json_object_is_type(o, json_type_object) || (o == NULL && by_key)) {
			if (!by_key) {
				value_clear(&item);
				return hutch_fail_plain(err, EINVAL,
							"value has type %s; should be string",
							value_type_name(&args[i]));
			}
			bool found = json_object_object_get_ex(
			    o, json_object_get_string(args[i].json), &next);
			json_object_get(next);
			value_clear(&item);
			item = (struct value){.json = next, .missing = !found};
			continue;
		}
		if (o != NULL && !json_object_is_type(o, json_type_array) &&
		    !json_object_is_type(o, json_type_string)) {
			value_clear(&item);
			return hutch_fail_plain(err, EINVAL, "can't index item of type %s",
						value_type_name(&args[0]));
		}
		if (want_int(&args[i], &k, err) < 0) {
			value_clear(&item);
			return hutch_fail_plain(err, EINVAL,
						"cannot index slice/array with type %s",
						value_type_name(&args[i]));
		}
		int64_t size = o == NULL ? 0
			       : json_object_is_type(o, json_type_string)
				   ? json_object_get_string_len(o)
				   : (int64_t)json_object_array_length(o);
		if (k < 0 || k >= size) {
			value_clear(&item);
			return hutch_fail_plain(err, EINVAL, "index out of range: %lld",
						(long long)k);
		}
		if (json_object_is_type(o, json_type_string))
			next = json_object_new_int64((unsigned char)json_object_get_string(o)[k]);
		else
			next = json_object_get(json_object_array_get_idx(o, (size_t)k));
		value_clear(&item);
		item.json = next;
	}
	*result = item;
	return 0;
}

static int fn_slice(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	json_object *o = args[0].json;
	bool is_string = json_object_is_type(o, json_type_string);
	if (!is_string && !json_object_is_type(o, json_type_array))
		return hutch_fail_plain(err, EINVAL, "can't slice item of type %s",
					value_type_name(&args[0]));
	int64_t size =
	    is_string ? json_object_get_string_len(o) : (int64_t)json_object_array_length(o);
	int64_t bounds[2] = {0, size};
	for (size_t i = 1; i < n; i++) {
		if (want_int(&args[i], &bounds[i - 1], err) < 0)
			return -1;
		if (bounds[i - 1] < 0 || bounds[i - 1] > size)
			return hutch_fail_plain(err, EINVAL, "index out of range: %lld",
						(long long)bounds[i - 1]);
	}
	if (bounds[0] > bounds[1])
		return hutch_fail_plain(err, EINVAL, "invalid slice index: %lld > %lld",
					(long long)bounds[0], (long long)bounds[1]);
	if (is_string) {
		result->json = json_object_new_string_len(json_object_get_string(o) + bounds[0],
							  (int)(bounds[1] - bounds[0]));
		return 0;
	}
	result->json = json_object_new_array();
	for (int64_t i = bounds[0]; i < bounds[1]; i++)
		json_object_array_add(result->json,
				      json_object_get(json_object_array_get_idx(o, (size_t)i)));
	return 0;
}

/* ---- printing ---- */

/* fmt.Sprint: a space between two operands when neither is a string. */
static int fn_print(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	PRINT_RESULT(result, err, m, {
		for (size_t i = 0; i < n; i++) {
			if (i && !json_object_is_type(args[i - 1].json, json_type_string) &&
			    !json_object_is_type(args[i].json, json_type_string))
				fputc(' ', m);
			json_print_go(args[i].json, m);
		}
	});
	return 0;
}

static int fn_println(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	PRINT_RESULT(result, err, m, {
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(' ', m);
			json_print_go(args[i].json, m);
		}
		fputc('\n', m);
	});
	return 0;
}

static int fn_printf(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	const char *format;
	if (want_string(&args[0], &format, err) < 0)
		return -1;
	PRINT_RESULT(result, err, m, template_printf(format, args + 1, n - 1, m));
	return 0;
}

/* ---- docker's functions ---- */

static int fn_json(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n, (void)err;
	return set_string(
	    result, json_object_to_json_string_ext(
			args[0].json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int fn_split(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n;
	const char *s, *sep;
	if (want_string(&args[0], &s, err) < 0 || want_string(&args[1], &sep, err) < 0)
		return -1;
	size_t seplen = strlen(sep);
	result->json = json_object_new_array();
	if (seplen == 0) { /* each UTF-8 character */
		while (*s) {
			size_t len = 1;
			while (((unsigned char)s[len] & 0xc0) == 0x80)
				len++;
			json_object_array_add(result->json,
					      json_object_new_string_len(s, (int)len));
			s += len;
		}
		return 0;
	}
	for (;;) {
		const char *at = strstr(s, sep);
		size_t len = at ? (size_t)(at - s) : strlen(s);
		json_object_array_add(result->json, json_object_new_string_len(s, (int)len));
		if (at == NULL)
			return 0;
		s = at + seplen;
	}
}

static int fn_join(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n;
	json_object *list = args[0].json;
	const char *sep;
	if (want_string(&args[1], &sep, err) < 0)
		return -1;
	if (list != NULL && !json_object_is_type(list, json_type_array))
		return hutch_fail_plain(err, EINVAL,
					"wrong type for value; expected []string; got %s",
					value_type_name(&args[0]));
	PRINT_RESULT(result, err, m, {
		for (size_t i = 0; list && i < json_object_array_length(list); i++) {
			if (i)
				fputs(sep, m);
			json_print_go(json_object_array_get_idx(list, i), m);
		}
	});
	return 0;
}

/* lower, upper and title change letters one at a time. */
static int map_letters(struct value *args, struct value *result, int mode, hutch_error *err)
{
	const char *s;
	if (want_string(&args[0], &s, err) < 0)
		return -1;
	_cleanup_free_ char *copy = strdup(s);
	if (copy == NULL)
		return hutch_fail(err, ENOMEM, "template");
	bool word_start = true;
	for (char *c = copy; *c; c++) {
		unsigned char u = (unsigned char)*c;
		if (mode == 'l')
			*c = (char)tolower(u);
		else if (mode == 'u' || (mode == 't' && word_start))
			*c = (char)toupper(u);
		/* strings.Title: a word starts after anything but a letter, digit,
		 * underscore or apostrophe (bytes of UTF-8 count as letters). */
		word_start = !(isalnum(u) || u == '_' || u == '\'' || u >= 0x80);
	}
	return set_string(result, copy);
}

static int fn_lower(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n;
	return map_letters(args, result, 'l', err);
}

static int fn_upper(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n;
	return map_letters(args, result, 'u', err);
}

static int fn_title(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n;
	return map_letters(args, result, 't', err);
}

/* docker's pad: spaces before and after a string that is not empty. */
static int fn_pad(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n;
	const char *s;
	int64_t before, after;
	if (want_string(&args[0], &s, err) < 0 || want_int(&args[1], &before, err) < 0 ||
	    want_int(&args[2], &after, err) < 0)
		return -1;
	if (before < 0 || after < 0)
		return hutch_fail_plain(err, EINVAL, "negative Repeat count");
	if (*s == '\0')
		return set_string(result, "");
	PRINT_RESULT(result, err, m, fprintf(m, "%*s%s%*s", (int)before, "", s, (int)after, ""));
	return 0;
}

/* docker's truncate: the first n bytes of a string. */
static int fn_truncate(struct value *args, size_t n, struct value *result, hutch_error *err)
{
	(void)n;
	const char *s;
	int64_t len;
	if (want_string(&args[0], &s, err) < 0 || want_int(&args[1], &len, err) < 0)
		return -1;
	if (len < 0)
		return hutch_fail_plain(err, EINVAL, "slice bounds out of range [:%lld]",
					(long long)len);
	size_t have = strlen(s);
	result->json =
	    json_object_new_string_len(s, (int)((size_t)len < have ? (size_t)len : have));
	return 0;
}

static const struct template_func funcs[] = {
    {"and", 1, -1, false, NULL},
    {"or", 1, -1, false, NULL},
    {"not", 1, 1, false, fn_not},
    {"eq", 2, -1, false, fn_eq},
    {"ne", 2, 2, false, fn_ne},
    {"lt", 2, 2, false, fn_lt},
    {"le", 2, 2, false, fn_le},
    {"gt", 2, 2, false, fn_gt},
    {"ge", 2, 2, false, fn_ge},
    {"len", 1, 1, false, fn_len},
    {"index", 1, -1, false, fn_index},
    {"slice", 1, 3, false, fn_slice},
    {"print", 0, -1, false, fn_print},
    {"printf", 1, -1, false, fn_printf},
    {"println", 0, -1, false, fn_println},
    {"json", 1, 1, true, fn_json},
    {"split", 2, 2, true, fn_split},
    {"join", 2, 2, true, fn_join},
    {"title", 1, 1, true, fn_title},
    {"lower", 1, 1, true, fn_lower},
    {"upper", 1, 1, true, fn_upper},
    {"pad", 3, 3, true, fn_pad},
    {"truncate", 2, 2, true, fn_truncate},
};

const struct template_func *template_func_find(const char *name)
{
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strcmp(funcs[i].name, name) == 0)
			return &funcs[i];
	return NULL;
}
