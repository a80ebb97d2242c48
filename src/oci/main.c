/* hutch-oci: an OCI runtime with the runc/crun command line.
 *
 *   hutch-oci [global options] COMMAND [command options] ARGS...
 *
 * This file parses the global options and dispatches; each command lives
 * in a cmd-*.c file and is a thin layer over libhutch. */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "oci-config.h"
#include "oci.h"
#include "options.h"
#include "state.h"

char **oci_argv;

const struct oci_command oci_commands[] = {
    {"create", cmd_create, "create a container from a bundle (it waits for `start`)",
     "create [--bundle|-b DIR] [--pid-file FILE] [--console-socket SOCKET]\n"
     "       [--preserve-fds N] [--no-pivot] [--no-new-keyring] ID"},
    {"start", cmd_start, "start the process of a created container", "start ID"},
    {"run", cmd_run, "create and start a container, wait for it unless --detach",
     "run [--bundle|-b DIR] [--detach|-d] [--pid-file FILE] [--console-socket SOCKET]\n"
     "    [--preserve-fds N] [--no-pivot] [--no-new-keyring] ID"},
    {"state", cmd_state, "print the state of a container as JSON", "state ID"},
    {"kill", cmd_kill, "send a signal (default TERM) to the container's init or all its processes",
     "kill [--all|-a] ID [SIGNAL]"},
    {"delete", cmd_delete, "delete a stopped (or, with --force, any) container",
     "delete [--force|-f] ID"},
    {"exec", cmd_exec, "run a new process in a running container",
     "exec [--process|-p FILE] [--tty|-t] [--detach|-d] [--pid-file FILE]\n"
     "     [--console-socket SOCKET] [--env|-e K=V]... [--cwd DIR] [--user|-u UID[:GID]]\n"
     "     [--additional-gids|-g GID]... [--cap|-c CAP]... [--no-new-privs]\n"
     "     [--preserve-fds N] ID [--] [COMMAND ARGS...]"},
    {"ps", cmd_ps, "list the processes of a container", "ps [--format|-f table|json] ID"},
    {"list", cmd_list, "list containers", "list [--format|-f table|json] [--quiet|-q]"},
    {"features", cmd_features, "print the runtime-spec features document", "features"},
    {"spec", cmd_spec, "write a default config.json", "spec [--rootless] [--bundle|-b DIR]"},
    {"pause", cmd_pause, "freeze every process of a container (needs a cgroup)", "pause ID"},
    {"resume", cmd_resume, "thaw a paused container", "resume ID"},
    {"update", cmd_update, "change the resource limits of a container (needs a cgroup)",
     "update --resources|-r FILE|- ID"},
    {NULL, NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hutch-oci [global options] COMMAND [options] ARGS...\n\n"
		"An OCI runtime that works rootless everywhere.\n\n"
		"Global options:\n"
		"  --root DIR               state directory (default $XDG_RUNTIME_DIR/hutch-oci,\n"
		"                           /run/hutch-oci for root)\n"
		"  --log [file:]PATH        write log lines to PATH instead of stderr\n"
		"  --log-format text|json   log line format (default text)\n"
		"  --log-level LEVEL        error, warning, info or debug\n"
		"  --debug                  same as --log-level debug\n"
		"  --systemd-cgroup         same as --cgroup-manager systemd\n"
		"  --cgroup-manager M       cgroupfs, systemd or disabled\n"
		"  --rootless VALUE         accepted for compatibility, ignored\n"
		"  --version, -v            print the version\n"
		"  --help, -h               print this help\n\n"
		"Commands:\n");
	for (const struct oci_command *c = oci_commands; c->name != NULL; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nRun 'hutch-oci COMMAND --help' for a command's options.\n");
}

int oci_command_help(const char *name)
{
	for (const struct oci_command *c = oci_commands; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0) {
			printf("Usage: hutch-oci [global options] %s\n\n%s\n", c->usage,
			       c->summary);
			return 0;
		}
	}
	return 1;
}

int oci_fail(hutch_error *err, const char *fmt, ...)
{
	if (fmt != NULL) {
		char ctx[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ctx, sizeof(ctx), fmt, ap);
		va_end(ap);
		hutch_error_prefix(err, "%s", ctx);
	}
	hutch_log_error(err);
	return 1;
}

/* The resolved root, freed when the command is done. */
static char *resolved_root;

int oci_require_root(struct global_options *g)
{
	if (g->root != NULL && g->root[0] != '/') {
		/* State paths are recorded and compared: keep them absolute. */
		char cwd[4096];
		char *abs = NULL;
		if (getcwd(cwd, sizeof(cwd)) == NULL || asprintf(&abs, "%s/%s", cwd, g->root) < 0) {
			log_error("--root %s: cannot make it absolute", g->root);
			return -1;
		}
		g->root = resolved_root = abs;
	}
	if (g->root != NULL)
		return 0;
	hutch_error err = {0};
	char *root = NULL;
	if (state_root_default(&root, &err) < 0) {
		oci_fail(&err, NULL);
		return -1;
	}
	g->root = resolved_root = root;
	return 0;
}

enum {
	G_ROOT = 1,
	G_LOG,
	G_LOG_FORMAT,
	G_LOG_LEVEL,
	G_DEBUG,
	G_SYSTEMD_CGROUP,
	G_CGROUP_MANAGER,
	G_ROOTLESS,
	G_VERSION,
	G_CRIU,
};

static const struct opt_spec global_specs[] = {
    {"root", 0, true, G_ROOT},
    {"log", 0, true, G_LOG},
    {"log-format", 0, true, G_LOG_FORMAT},
    {"log-level", 0, true, G_LOG_LEVEL},
    {"debug", 0, false, G_DEBUG},
    {"systemd-cgroup", 0, false, G_SYSTEMD_CGROUP},
    {"cgroup-manager", 0, true, G_CGROUP_MANAGER},
    {"rootless", 0, true, G_ROOTLESS},
    {"criu", 0, true, G_CRIU},
    {"version", 'v', false, G_VERSION},
    {NULL, 0, false, 0},
};

struct global_parse {
	struct global_options *g;
	bool version;
	bool level_given;
	enum hutch_log_format format;
};

static int on_global(void *ctx, int id, const char *value, hutch_error *err)
{
	struct global_parse *gp = ctx;
	enum hutch_log_level level;
	switch (id) {
	case G_ROOT:
		gp->g->root = value;
		break;
	case G_LOG:
		gp->g->log = value;
		break;
	case G_LOG_FORMAT:
		if (hutch_log_parse_format(value, &gp->format, err) < 0)
			return -1;
		break;
	case G_LOG_LEVEL:
		if (hutch_log_parse_level(value, &level, err) < 0)
			return -1;
		hutch_log_set_level(level);
		gp->level_given = true;
		break;
	case G_DEBUG:
		if (opt_bool(value)) {
			hutch_log_set_level(HUTCH_LOG_DEBUG);
			gp->level_given = true;
		}
		break;
	case G_SYSTEMD_CGROUP:
		if (opt_bool(value))
			gp->g->cgroup_manager = CGROUP_MANAGER_SYSTEMD;
		break;
	case G_CGROUP_MANAGER:
		if (strcmp(value, "cgroupfs") == 0)
			gp->g->cgroup_manager = CGROUP_MANAGER_CGROUPFS;
		else if (strcmp(value, "systemd") == 0)
			gp->g->cgroup_manager = CGROUP_MANAGER_SYSTEMD;
		else if (strcmp(value, "disabled") == 0)
			gp->g->cgroup_manager = CGROUP_MANAGER_DISABLED;
		else
			return hutch_fail_plain(
			    err, EINVAL,
			    "unknown cgroup manager '%s' (expected cgroupfs, systemd or disabled)",
			    value);
		break;
	case G_ROOTLESS:
	case G_CRIU:
		break; /* accepted for runc compatibility; hutch decides by itself */
	case G_VERSION:
		gp->version = true;
		break;
	}
	return 0;
}

/* podman (through conmon) and containerd read a failed create's stderr
 * as the error and turn its words into exit codes: a warning before the
 * error that happens to say "Permission denied" (a cgroup we could not
 * have) would make a missing executable look like an unexecutable one.
 * When stderr is not a terminal, create and exec keep their warnings in a
 * memfd: shown after success, dropped on failure, where the error line is
 * all the caller sees. */
static int defer_warnings(void)
{
	if (isatty(STDERR_FILENO))
		return -1;
	int fd = memfd_create("hutch-oci-warnings", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	char target[64];
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (hutch_log_open(target, NULL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void replay_warnings(int fd, bool succeeded)
{
	hutch_log_open(NULL, NULL);
	if (!succeeded)
		return;
	char buf[8192];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* Lines in a log file start with a timestamp: drop it on stderr. */
	for (char *line = buf, *next; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		const char *text = strchr(line, ' ');
		text = text != NULL ? text + 1 : line;
		if (strncmp(text, "hutch-oci: error:", 17) == 0)
			continue; /* already shown on stderr */
		dprintf(STDERR_FILENO, "%s\n", text);
	}
}

int main(int argc, char **argv)
{
	hutch_log_set_program("hutch-oci");
	/* Option parsing reorders argv in place; keep the original words for
	 * the re-exec of self_exe_protect(). */
	oci_argv = calloc((size_t)argc + 1, sizeof(char *));
	if (oci_argv == NULL)
		return 1;
	memcpy(oci_argv, argv, (size_t)argc * sizeof(char *));
	struct global_options g = {0};
	struct global_parse gp = {.g = &g, .format = HUTCH_LOG_TEXT};
	struct opt_result res;
	hutch_error err = {0};

	if (opts_parse(argc - 1, argv + 1, global_specs, true, on_global, &gp, &res, &err) < 0) {
		oci_fail(&err, NULL);
		fprintf(stderr, "Run 'hutch-oci --help' for usage.\n");
		return 1;
	}
	if (g.log != NULL && hutch_log_open(g.log, &err) < 0)
		return oci_fail(&err, NULL);
	hutch_log_set_format(gp.format);
	/* podman reads the whole log file of a failed create as one JSON
	 * object: unless asked for more, keep such a file to the one error
	 * line (errors still go to stderr as text). */
	if (g.log != NULL && gp.format == HUTCH_LOG_JSON && !gp.level_given)
		hutch_log_set_level(HUTCH_LOG_ERROR);
	g.json_log_to_file = g.log != NULL && gp.format == HUTCH_LOG_JSON;

	if (gp.version) {
		printf("hutch-oci version %s\nspec: %s\n", PACKAGE_VERSION, OCI_VERSION);
		return 0;
	}
	if (res.help || res.n_positional == 0) {
		usage(res.help ? stdout : stderr);
		return res.help ? 0 : 1;
	}
	const char *name = res.positional[0];
	if (strcmp(name, "help") == 0) {
		if (res.n_positional > 1 && oci_command_help(res.positional[1]) == 0)
			return 0;
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "version") == 0) {
		printf("hutch-oci version %s\nspec: %s\n", PACKAGE_VERSION, OCI_VERSION);
		return 0;
	}
	for (const struct oci_command *c = oci_commands; c->name != NULL; c++) {
		if (strcmp(c->name, name) != 0)
			continue;
		int deferred = -1;
		if (g.log == NULL && (strcmp(name, "create") == 0 || strcmp(name, "exec") == 0))
			deferred = defer_warnings();
		int status = c->run(&g, res.n_positional - 1, res.positional + 1);
		if (deferred >= 0)
			replay_warnings(deferred, status == 0);
		free(resolved_root);
		free(oci_argv);
		return status;
	}
	log_error("unknown command '%s' (run 'hutch-oci --help' for the list)", name);
	return 1;
}
