/* The hutch command line: shared helpers of the command implementations. */
#ifndef HUTCH_CLI_H
#define HUTCH_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Each command: argc/argv start at the command name. Returns the exit
 * status. */
typedef int (*cli_command_fn)(int argc, char **argv);

int cmd_pull(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_image_inspect(int argc, char **argv);
int cmd_image_prune(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_system_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_container_prune(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_container_inspect(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_system_df(int argc, char **argv);
int cmd_system_prune(int argc, char **argv);
int cmd_volume_create(int argc, char **argv);
int cmd_volume_ls(int argc, char **argv);
int cmd_volume_inspect(int argc, char **argv);
int cmd_volume_rm(int argc, char **argv);
int cmd_volume_prune(int argc, char **argv);

/* POST /images/prune (every unused image with all), printing "Deleted
 * Images:"; adds the reclaimed bytes to *space. -1 after printing an
 * error. */
int prune_images(bool all, int64_t *space);

/* Pull ref with the progress display on out; prints errors itself and
 * returns 0 or 1. */
int pull_image(const char *ref, const char *platform, FILE *out, bool quiet);

/* Attach to a created container, start it, relay its stream and return
 * its exit code (run, start -a). */
struct attached_start {
	const char *id;
	bool is_run;   /* run's exit codes and messages, else start's */
	bool no_start; /* attach: the container runs already */
	bool tty, interactive, auto_remove, sig_proxy;
	const char *detach_keys;
};
int attached_start(const struct attached_start *a);

/* docker run's exit code for a start that failed with msg: 127 when the
 * command was not found, 126 when it could not be executed, else 125. */
int start_error_exit_code(const char *msg);

/* "12.3MB" as docker prints sizes (decimal units). */
void format_size(int64_t bytes, char *buf, size_t size);
/* The same with that many significant digits (system df shows 4). */
void format_size_digits(int64_t bytes, int digits, char *buf, size_t size);
/* "3 days ago". */
void format_ago(int64_t unix_time, char *buf, size_t size);

/* Report an error the docker way and return exit status 1. */
int cli_fail(const hutch_error *err);

/* True when argv[i] is -h or --help. */
bool wants_help(int argc, char **argv);

#endif
