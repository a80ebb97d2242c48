/* create, run, start, kill, delete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "log.h"
#include "oci.h"
#include "options.h"
#include "self-exe.h"
#include "signals.h"

enum {
	C_BUNDLE = 1,
	C_PID_FILE,
	C_CONSOLE_SOCKET,
	C_PRESERVE_FDS,
	C_NO_PIVOT,
	C_NO_NEW_KEYRING,
	C_DETACH,
	C_IGNORED,
};

static const struct opt_spec create_specs[] = {
    {"bundle", 'b', true, C_BUNDLE},
    {"pid-file", 0, true, C_PID_FILE},
    {"console-socket", 0, true, C_CONSOLE_SOCKET},
    {"preserve-fds", 0, true, C_PRESERVE_FDS},
    {"no-pivot", 0, false, C_NO_PIVOT},
    {"no-new-keyring", 0, false, C_NO_NEW_KEYRING},
    {"detach", 'd', false, C_DETACH},
    /* runc options that make no difference here */
    {"keep", 0, false, C_IGNORED},
    {"no-subreaper", 0, false, C_IGNORED},
    {NULL, 0, false, 0},
};

static int on_create(void *ctx, int id, const char *value, hutch_error *err)
{
	struct container_options *o = ctx;
	switch (id) {
	case C_BUNDLE:
		o->bundle = value;
		break;
	case C_PID_FILE:
		o->pid_file = value;
		break;
	case C_CONSOLE_SOCKET:
		o->console_socket = value;
		break;
	case C_PRESERVE_FDS:
		return opt_uint("preserve-fds", value, &o->preserve_fds, err);
	case C_NO_PIVOT:
		o->no_pivot = opt_bool(value);
		break;
	case C_NO_NEW_KEYRING:
		o->no_new_keyring = opt_bool(value);
		break;
	case C_DETACH:
		o->detach = opt_bool(value);
		break;
	}
	return 0;
}

/* Shared by create and run: returns 0 to go on, else an exit status. */
static int parse_create(const char *cmd, struct global_options *g, int argc, char **argv,
			struct container_options *o, bool *done)
{
	struct opt_result res;
	hutch_error err = {0};
	*done = true;
	if (opts_parse(argc, argv, create_specs, false, on_create, o, &res, &err) < 0)
		return oci_fail(&err, "%s", cmd);
	if (res.help)
		return oci_command_help(cmd);
	if (res.n_positional != 1) {
		log_error("%s: expected exactly one container id", cmd);
		return 1;
	}
	if (strcmp(cmd, "create") == 0 && o->detach) {
		log_error("create: unknown option '--detach'");
		return 1;
	}
	o->id = res.positional[0];
	if (o->bundle == NULL)
		o->bundle = ".";
	if (oci_require_root(g) < 0)
		return 1;
	o->root = g->root;
	o->cgroup_manager = g->cgroup_manager;
	*done = false;
	return 0;
}

int cmd_create(struct global_options *g, int argc, char **argv)
{
	struct container_options o = {0};
	bool done;
	int r = parse_create("create", g, argc, argv, &o, &done);
	if (done)
		return r;
	hutch_error err = {0};
	if (self_exe_protect(oci_argv, &err) < 0)
		return oci_fail(&err, "create container %s", o.id);
	if (container_create(&o, &err) < 0)
		return oci_fail(&err, "create container %s", o.id);
	return 0;
}

int cmd_run(struct global_options *g, int argc, char **argv)
{
	struct container_options o = {0};
	bool done;
	int r = parse_create("run", g, argc, argv, &o, &done);
	if (done)
		return r;
	hutch_error err = {0};
	if (self_exe_protect(oci_argv, &err) < 0)
		return oci_fail(&err, "run container %s", o.id);
	int status = 0;
	if (container_run(&o, &status, &err) < 0)
		return oci_fail(&err, "run container %s", o.id);
	return status;
}

static const struct opt_spec no_specs[] = {{NULL, 0, false, 0}};

static int ignore_opt(void *ctx, int id, const char *value, hutch_error *err)
{
	return 0;
}

int cmd_start(struct global_options *g, int argc, char **argv)
{
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, no_specs, false, ignore_opt, NULL, &res, &err) < 0)
		return oci_fail(&err, "start");
	if (res.help)
		return oci_command_help("start");
	if (res.n_positional != 1) {
		log_error("start: expected exactly one container id");
		return 1;
	}
	if (oci_require_root(g) < 0)
		return 1;
	if (container_start(g->root, res.positional[0], &err) < 0)
		return oci_fail(&err, "start container %s", res.positional[0]);
	return 0;
}

static int on_flag(void *ctx, int id, const char *value, hutch_error *err)
{
	*(bool *)ctx = opt_bool(value);
	return 0;
}

int cmd_kill(struct global_options *g, int argc, char **argv)
{
	static const struct opt_spec specs[] = {{"all", 'a', false, 1}, {NULL, 0, false, 0}};
	bool all = false;
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, specs, false, on_flag, &all, &res, &err) < 0)
		return oci_fail(&err, "kill");
	if (res.help)
		return oci_command_help("kill");
	if (res.n_positional < 1 || res.n_positional > 2) {
		log_error("kill: usage: hutch-oci kill [--all] ID [SIGNAL]");
		return 1;
	}
	const char *name = res.n_positional == 2 ? res.positional[1] : "TERM";
	int signo = signal_from_name(name);
	if (signo < 0) {
		log_error("kill: unknown signal '%s'", name);
		return 1;
	}
	if (oci_require_root(g) < 0)
		return 1;
	if (container_kill(g->root, res.positional[0], signo, all, &err) < 0)
		return oci_fail(&err, "kill container %s", res.positional[0]);
	return 0;
}

int cmd_delete(struct global_options *g, int argc, char **argv)
{
	static const struct opt_spec specs[] = {{"force", 'f', false, 1}, {NULL, 0, false, 0}};
	bool force = false;
	struct opt_result res;
	hutch_error err = {0};
	if (opts_parse(argc, argv, specs, false, on_flag, &force, &res, &err) < 0)
		return oci_fail(&err, "delete");
	if (res.help)
		return oci_command_help("delete");
	if (res.n_positional < 1) {
		log_error("delete: expected a container id");
		return 1;
	}
	if (oci_require_root(g) < 0)
		return 1;
	int status = 0;
	for (int i = 0; i < res.n_positional; i++) {
		if (container_delete(g->root, res.positional[i], force, &err) < 0) {
			/* --force: what is not there is deleted already (as crun;
			 * podman cleans up a failed create this way). */
			if (force && err.errnum == ENOENT) {
				hutch_error_clear(&err);
				continue;
			}
			oci_fail(&err, "delete container %s", res.positional[i]);
			hutch_error_clear(&err);
			status = 1;
		}
	}
	return status;
}
