/* hutch run/create: the command line turned into the body of
 * POST /containers/create (Docker's Config with HostConfig inside). */
#ifndef HUTCH_CLI_RUN_CONFIG_H
#define HUTCH_CLI_RUN_CONFIG_H

#include <json-c/json.h>
#include <stdbool.h>

#include "error.h"

enum pull_policy { PULL_MISSING, PULL_ALWAYS, PULL_NEVER };

struct run_config {
	json_object *body; /* the create body (owned) */
	const char *image;
	const char *name;     /* NULL: hutchd picks one */
	const char *platform; /* NULL: this machine's */
	enum pull_policy pull;
	bool detach, interactive, tty, auto_remove, sig_proxy, quiet;
	const char *detach_keys; /* NULL: ctrl-p,ctrl-q */
	bool help;		 /* --help was given and printed */
};

/* Parse argv (starting at "run" or "create"). On a bad flag or value
 * returns -1 with err naming it. */
int run_config_parse(int argc, char **argv, bool is_run, struct run_config *rc, hutch_error *err);
void run_config_free(struct run_config *rc);

/* -e NAME=VALUE, or -e NAME taking NAME from our environment (left out
 * when it is not set there): appended to obj's "Env" array. */
void run_config_add_env(json_object *obj, const char *spec);

/* One -p/--publish value into PortBindings and ExposedPorts. Exposed for
 * tests and for messages: "invalid containerPort: x" style errors. */
int publish_parse(const char *spec, json_object *bindings, json_object *exposed, hutch_error *err);

#endif
