/* exec: run a new process in a running container. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "log.h"
#include "oci.h"
#include "options.h"
#include "self-exe.h"

enum {
	E_PROCESS = 1,
	E_TTY,
	E_DETACH,
	E_PID_FILE,
	E_CONSOLE_SOCKET,
	E_ENV,
	E_CWD,
	E_USER,
	E_GIDS,
	E_CAP,
	E_NO_NEW_PRIVS,
	E_PRESERVE_FDS,
	E_IGNORED,
};

static const struct opt_spec exec_specs[] = {
    {"process", 'p', true, E_PROCESS},
    {"tty", 't', false, E_TTY},
    {"detach", 'd', false, E_DETACH},
    {"pid-file", 0, true, E_PID_FILE},
    {"console-socket", 0, true, E_CONSOLE_SOCKET},
    {"env", 'e', true, E_ENV},
    {"cwd", 0, true, E_CWD},
    {"user", 'u', true, E_USER},
    {"additional-gids", 'g', true, E_GIDS},
    {"cap", 'c', true, E_CAP},
    {"no-new-privs", 0, false, E_NO_NEW_PRIVS},
    {"preserve-fds", 0, true, E_PRESERVE_FDS},
    /* runc options without meaning here (no SELinux/AppArmor support) */
    {"process-label", 0, true, E_IGNORED},
    {"apparmor", 0, true, E_IGNORED},
    {"ignore-paused", 0, false, E_IGNORED},
    {NULL, 0, false, 0},
};

/* Append to a NULL-terminated list of borrowed strings. */
static int push(char ***list, const char *value, hutch_error *err)
{
	size_t n = 0;
	while (*list != NULL && (*list)[n] != NULL)
		n++;
	char **nl = realloc(*list, (n + 2) * sizeof(char *));
	if (nl == NULL)
		return hutch_fail(err, ENOMEM, "options");
	nl[n] = (char *)value;
	nl[n + 1] = NULL;
	*list = nl;
	return 0;
}

static int on_exec(void *ctx, int id, const char *value, hutch_error *err)
{
	struct exec_options *o = ctx;
	switch (id) {
	case E_PROCESS:
		o->process_file = value;
		break;
	case E_TTY:
		o->tty = opt_bool(value);
		o->tty_given = true;
		break;
	case E_DETACH:
		o->detach = opt_bool(value);
		break;
	case E_PID_FILE:
		o->pid_file = value;
		break;
	case E_CONSOLE_SOCKET:
		o->console_socket = value;
		break;
	case E_ENV:
		if (strchr(value, '=') == NULL)
			return hutch_fail_plain(err, EINVAL, "--env: expected K=V, got '%s'",
						value);
		return push(&o->env, value, err);
	case E_CWD:
		o->cwd = value;
		break;
	case E_USER:
		o->user = value;
		break;
	case E_GIDS:
		return push(&o->additional_gids, value, err);
	case E_CAP:
		return push(&o->caps, value, err);
	case E_NO_NEW_PRIVS:
		o->no_new_privs = opt_bool(value);
		break;
	case E_PRESERVE_FDS:
		return opt_uint("preserve-fds", value, &o->preserve_fds, err);
	}
	return 0;
}

int cmd_exec(struct global_options *g, int argc, char **argv)
{
	struct exec_options o = {0};
	struct opt_result res;
	hutch_error err = {0};
	/* Options end at the container id: what follows is the command. */
	if (opts_parse(argc, argv, exec_specs, true, on_exec, &o, &res, &err) < 0)
		return oci_fail(&err, "exec");
	if (res.help)
		return oci_command_help("exec");
	if (res.n_positional < 1) {
		log_error("exec: expected a container id");
		return 1;
	}
	o.id = res.positional[0];
	char **args = res.positional + 1;
	if (args[0] != NULL && strcmp(args[0], "--") == 0)
		args++;
	o.args = args;
	if (o.process_file == NULL && args[0] == NULL) {
		log_error("exec: give a command or --process FILE");
		return 1;
	}
	if (o.process_file != NULL && args[0] != NULL) {
		log_error("exec: give either a command or --process FILE, not both");
		return 1;
	}
	if (oci_require_root(g) < 0)
		return 1;
	o.root = g->root;
	if (self_exe_protect(oci_argv, &err) < 0)
		return oci_fail(&err, "exec in container %s", o.id);
	int status = 0;
	int r = container_exec(&o, &status, &err);
	free(o.env);
	free(o.caps);
	free(o.additional_gids);
	if (r < 0)
		return oci_fail(&err, "exec in container %s", o.id);
	return status;
}
