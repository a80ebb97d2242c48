#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct opt_spec *find_long(const struct opt_spec *specs, const char *name, size_t len)
{
	for (const struct opt_spec *s = specs; s->name != NULL; s++)
		if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
			return s;
	return NULL;
}

static const struct opt_spec *find_short(const struct opt_spec *specs, char c)
{
	for (const struct opt_spec *s = specs; s->name != NULL; s++)
		if (s->short_name == c)
			return s;
	return NULL;
}

bool opt_bool(const char *value)
{
	return value == NULL || strcmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
	       strcmp(value, "yes") == 0;
}

int opt_uint(const char *name, const char *value, int *out, hutch_error *err)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < 0 || v > 1 << 20)
		return hutch_fail_plain(
		    err, EINVAL, "--%s: expected a non-negative number, got '%s'", name, value);
	*out = (int)v;
	return 0;
}

/* One option word at argv[*i]; advances *i past its argument when the
 * value is the next word. */
static int parse_one(int argc, char **argv, int *i, const struct opt_spec *specs,
		     opt_handler handler, void *ctx, struct opt_result *out, hutch_error *err)
{
	const char *word = argv[*i];
	const char *body = word + 1;
	if (*body == '-')
		body++;
	const char *eq = strchr(body, '=');
	size_t name_len = eq != NULL ? (size_t)(eq - body) : strlen(body);

	const struct opt_spec *spec = find_long(specs, body, name_len);
	/* A single dash and a single letter is a short option ("-d"). */
	if (spec == NULL && word[1] != '-' && name_len == 1)
		spec = find_short(specs, body[0]);
	if (spec == NULL) {
		if ((name_len == 4 && strncmp(body, "help", 4) == 0) ||
		    (word[1] != '-' && name_len == 1 && body[0] == 'h')) {
			out->help = true;
			return 0;
		}
		return hutch_fail_plain(err, EINVAL, "unknown option '%s'", word);
	}
	const char *value = NULL;
	if (spec->has_arg) {
		if (eq != NULL) {
			value = eq + 1;
		} else if (*i + 1 < argc) {
			value = argv[++*i];
		} else {
			return hutch_fail_plain(err, EINVAL, "option '%s' needs a value", word);
		}
	} else if (eq != NULL) {
		value = eq + 1;
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return hutch_fail_plain(err, EINVAL,
						"option --%s takes no value (or =true/=false)",
						spec->name);
	} else {
		value = "true";
	}
	return handler(ctx, spec->id, value, err);
}

int opts_parse(int argc, char **argv, const struct opt_spec *specs, bool stop_at_positional,
	       opt_handler handler, void *ctx, struct opt_result *out, hutch_error *err)
{
	memset(out, 0, sizeof(*out));
	/* Positionals are gathered in place at the front of argv: every word
	 * is looked at once and written back at most once, before the read
	 * position, so nothing is lost. */
	int n_pos = 0;
	int i = 0;
	for (; i < argc; i++) {
		const char *w = argv[i];
		if (strcmp(w, "--") == 0) {
			i++;
			break;
		}
		if (w[0] == '-' && w[1] != '\0') {
			if (parse_one(argc, argv, &i, specs, handler, ctx, out, err) < 0)
				return -1;
			continue;
		}
		argv[n_pos++] = argv[i];
		if (stop_at_positional) {
			i++;
			break;
		}
	}
	for (; i < argc; i++)
		argv[n_pos++] = argv[i];
	if (n_pos < argc)
		argv[n_pos] = NULL;
	out->positional = argv;
	out->n_positional = n_pos;
	return 0;
}
