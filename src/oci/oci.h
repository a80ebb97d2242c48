/* hutch-oci: the front end's shared declarations. Each cmd-*.c file holds
 * one group of commands; all real work happens in libhutch. */
#ifndef HUTCH_OCI_H
#define HUTCH_OCI_H

#include <stdbool.h>

#include "cgroups.h"
#include "error.h"

struct global_options {
	const char *root; /* state directory; NULL until resolved */
	const char *log;
	bool systemd_cgroup;
	enum cgroup_manager cgroup_manager;
	bool json_log_to_file; /* podman reads such a log as one object */
};

/* A command gets its arguments after its name (argv[0] is the first of
 * them) and returns the process exit status. */
struct oci_command {
	const char *name;
	int (*run)(struct global_options *g, int argc, char **argv);
	const char *summary;
	const char *usage; /* options and arguments, shown by `CMD --help` */
};

extern const struct oci_command oci_commands[];

/* main()'s argv, for the re-exec of self_exe_protect(). */
extern char **oci_argv;

/* Resolve --root (or the default) for commands that need the state
 * directory; logs and returns -1 when it cannot be had. */
int oci_require_root(struct global_options *g);

/* Log err with the context "what" (e.g. "create container c1") and return
 * the failure exit status 1. */
int oci_fail(hutch_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print a command's usage to stdout (for --help) and return 0. */
int oci_command_help(const char *name);

/* Parse options common to all commands, failing with a usage hint. */
int cmd_create(struct global_options *g, int argc, char **argv);
int cmd_run(struct global_options *g, int argc, char **argv);
int cmd_start(struct global_options *g, int argc, char **argv);
int cmd_delete(struct global_options *g, int argc, char **argv);
int cmd_kill(struct global_options *g, int argc, char **argv);
int cmd_exec(struct global_options *g, int argc, char **argv);
int cmd_state(struct global_options *g, int argc, char **argv);
int cmd_list(struct global_options *g, int argc, char **argv);
int cmd_ps(struct global_options *g, int argc, char **argv);
int cmd_features(struct global_options *g, int argc, char **argv);
int cmd_spec(struct global_options *g, int argc, char **argv);
int cmd_pause(struct global_options *g, int argc, char **argv);
int cmd_resume(struct global_options *g, int argc, char **argv);
int cmd_update(struct global_options *g, int argc, char **argv);

#endif
