/* Command line parsing in the style runc and crun callers expect
 * (urfave/cli): "--opt value", "--opt=value", single-dash long options
 * ("-bundle B"), short letters ("-d"), and booleans that may carry
 * "=true"/"=false". */
#ifndef HUTCH_OCI_OPTIONS_H
#define HUTCH_OCI_OPTIONS_H

#include <stdbool.h>

#include "error.h"

struct opt_spec {
	const char *name; /* long name without dashes */
	char short_name;  /* 0 when none */
	bool has_arg;
	int id; /* passed to the callback; OPT_HELP is reserved */
};

#define OPT_HELP (-100)

/* Called once per option; value is the argument ("true"/"false" for a
 * boolean). Returns negative with err set to abort parsing. */
typedef int (*opt_handler)(void *ctx, int id, const char *value, hutch_error *err);

struct opt_result {
	char **positional; /* points into argv, NULL-terminated */
	int n_positional;
	bool help;
};

/* Parse argv[0..argc) (argv[0] is the first word after the command name,
 * not the program). Every spec list implicitly knows --help/-h. When
 * stop_at_positional is true, parsing ends at the first positional
 * argument and everything after it is positional (exec ID CMD ARGS...);
 * otherwise options and positionals may be mixed. "--" always ends the
 * options. */
int opts_parse(int argc, char **argv, const struct opt_spec *specs, bool stop_at_positional,
	       opt_handler handler, void *ctx, struct opt_result *out, hutch_error *err);

/* "true"/"1"/"yes" (and the NULL a flag without value gives) -> true. */
bool opt_bool(const char *value);

/* A decimal non-negative int; names the option in the error. */
int opt_uint(const char *name, const char *value, int *out, hutch_error *err);

#endif
