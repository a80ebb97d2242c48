/* A small evaluator of docker's Go templates (see template.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "template.h"

/* A value during evaluation: a borrowed JSON value, or a string made by a
 * function (owned). */
struct value {
	json_object *json;
	char *text; /* when not NULL, the value is this string */
	bool missing;
};

static void value_clear(struct value *v)
{
	free(v->text);
	*v = (struct value){0};
}

static void print_json_go(json_object *o, FILE *out);

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

/* Go's %v: maps with sorted keys, slices space separated. */
static void print_json_go(json_object *o, FILE *out)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		fputs("<nil>", out);
		break;
	case json_type_string:
		fputs(json_object_get_string(o), out);
		break;
	case json_type_array:
		fputc('[', out);
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			if (i)
				fputc(' ', out);
			print_json_go(json_object_array_get_idx(o, i), out);
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
			print_json_go(member, out);
		}
		fputc(']', out);
		break;
	}
	default:
		fputs(json_object_get_string(o), out);
	}
}

static void print_value(const struct value *v, FILE *out)
{
	if (v->text)
		fputs(v->text, out);
	else if (v->missing)
		fputs("<no value>", out);
	else
		print_json_go(v->json, out);
}

/* Tokens of one action: words, "quoted strings", .paths */
struct tokens {
	char *tok[8];
	bool quoted[8];
	size_t n;
};

static int tokenize(char *s, struct tokens *t, hutch_error *err)
{
	t->n = 0;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		if (t->n == 8)
			return hutch_fail_plain(err, EINVAL, "template: action too long");
		if (*s == '"') {
			char *end = strchr(s + 1, '"');
			if (end == NULL)
				return hutch_fail_plain(err, EINVAL,
							"template: unterminated string");
			*end = '\0';
			t->quoted[t->n] = true;
			t->tok[t->n++] = s + 1;
			s = end + 1;
			continue;
		}
		t->quoted[t->n] = false;
		t->tok[t->n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return 0;
}

/* .A.B.C looked up in data. */
static int lookup(json_object *data, const char *path, struct value *out, hutch_error *err)
{
	*out = (struct value){.json = data};
	if (path[0] != '.')
		return hutch_fail_plain(err, EINVAL, "template: unknown word \"%s\"", path);
	const char *p = path + 1;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)len, p);
		json_object *next = NULL;
		if (out->json == NULL || !json_object_is_type(out->json, json_type_object) ||
		    !json_object_object_get_ex(out->json, key, &next)) {
			if (out->json != NULL && !json_object_is_type(out->json, json_type_object))
				return hutch_fail_plain(err, EINVAL,
							"template: can't evaluate field %s in "
							"%s",
							key, path);
			out->json = NULL;
			out->missing = true;
			return 0;
		}
		out->json = next;
		p += len;
		if (*p == '.')
			p++;
	}
	return 0;
}

static int set_text(struct value *v, const char *s)
{
	value_clear(v);
	v->text = strdup(s ? s : "");
	return v->text ? 0 : -1;
}

static int eval_action(char *action, json_object *data, struct value *out, hutch_error *err)
{
	struct tokens t;
	if (tokenize(action, &t, err) < 0)
		return -1;
	if (t.n == 0)
		return hutch_fail_plain(err, EINVAL, "template: missing value for command");
	if (t.tok[0][0] == '.') {
		if (t.n != 1)
			return hutch_fail_plain(err, EINVAL,
						"template: can't give argument to "
						"non-function %s",
						t.tok[0]);
		return lookup(data, t.tok[0], out, err);
	}
	const char *fn = t.tok[0];
	if (t.n < 2)
		return hutch_fail_plain(err, EINVAL, "template: wrong number of args for %s", fn);
	struct value arg;
	if (lookup(data, t.tok[1], &arg, err) < 0)
		return -1;
	*out = (struct value){0};
	if (strcmp(fn, "json") == 0) {
		return set_text(out, arg.missing
					 ? "null"
					 : json_object_to_json_string_ext(
					       arg.json, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	if (strcmp(fn, "upper") == 0 || strcmp(fn, "lower") == 0) {
		if (set_text(out, arg.json ? json_object_get_string(arg.json) : "") < 0)
			return hutch_fail(err, ENOMEM, "template");
		for (char *c = out->text; *c; c++)
			*c = (char)(fn[0] == 'u' ? toupper((unsigned char)*c)
						 : tolower((unsigned char)*c));
		return 0;
	}
	if (strcmp(fn, "len") == 0) {
		char n[32];
		size_t len = 0;
		if (json_object_is_type(arg.json, json_type_array))
			len = json_object_array_length(arg.json);
		else if (json_object_is_type(arg.json, json_type_object))
			len = (size_t)json_object_object_length(arg.json);
		else if (json_object_is_type(arg.json, json_type_string))
			len = strlen(json_object_get_string(arg.json));
		snprintf(n, sizeof(n), "%zu", len);
		return set_text(out, n);
	}
	if ((strcmp(fn, "index") == 0 || strcmp(fn, "join") == 0) && t.n == 3 && t.quoted[2]) {
		if (fn[0] == 'i') {
			json_object *v = NULL;
			if (json_object_is_type(arg.json, json_type_object))
				json_object_object_get_ex(arg.json, t.tok[2], &v);
			out->json = v;
			out->missing = v == NULL;
			return 0;
		}
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (m == NULL)
			return hutch_fail(err, errno, "template");
		for (size_t i = 0; json_object_is_type(arg.json, json_type_array) &&
				   i < json_object_array_length(arg.json);
		     i++) {
			if (i)
				fputs(t.tok[2], m);
			print_json_go(json_object_array_get_idx(arg.json, i), m);
		}
		fclose(m);
		return set_text(out, buf);
	}
	return hutch_fail_plain(err, EINVAL, "template: function \"%s\" not defined", fn);
}

static int render(const char *tmpl, json_object *data, FILE *out, hutch_error *err)
{
	const char *p = tmpl;
	while (*p) {
		if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
			if (out)
				fputc(p[1] == 't' ? '\t' : '\n', out);
			p += 2;
			continue;
		}
		if (p[0] != '{' || p[1] != '{') {
			if (out)
				fputc(*p, out);
			p++;
			continue;
		}
		const char *end = strstr(p + 2, "}}");
		if (end == NULL)
			return hutch_fail_plain(err, EINVAL, "template: unclosed action in \"%s\"",
						tmpl);
		_cleanup_free_ char *action = strndup(p + 2, (size_t)(end - p - 2));
		if (action == NULL)
			return hutch_fail(err, ENOMEM, "template");
		struct value v = {0};
		if (eval_action(action, data, &v, err) < 0)
			return -1;
		if (out)
			print_value(&v, out);
		value_clear(&v);
		p = end + 2;
	}
	return 0;
}

int template_check(const char *tmpl, hutch_error *err)
{
	_cleanup_json_ json_object *empty = json_object_new_object();
	return render(tmpl, empty, NULL, err);
}

int template_render(const char *tmpl, json_object *data, FILE *out, hutch_error *err)
{
	return render(tmpl, data, out, err);
}
