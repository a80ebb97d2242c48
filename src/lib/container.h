/* The container lifecycle behind hutch-oci (and hutch-monitor): create,
 * start, run, exec, kill, delete and the queries on a container. State
 * lives under a root directory (see state.h); every operation that
 * changes a container holds the lock of its state directory. */
#ifndef HUTCH_CONTAINER_H
#define HUTCH_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroups.h"
#include "error.h"
#include "oci-config.h"

struct container_options {
	const char *root; /* state root */
	const char *id;
	const char *bundle; /* as given; resolved to an absolute path */
	const char *pid_file;
	const char *console_socket;
	int preserve_fds; /* fds 3..3+N-1 go to the container process */
	bool no_pivot;
	bool no_new_keyring;
	bool detach; /* run: return once started */
	enum cgroup_manager cgroup_manager;
};

/* create: the init waits on the exec fifo for `start`. */
int container_create(const struct container_options *o, hutch_error *err);

/* run: create and start in one go; unless detached, wait for the
 * container (forwarding signals), delete it and put its exit status
 * (128+signal when killed) in *exit_status. */
int container_run(const struct container_options *o, int *exit_status, hutch_error *err);

int container_start(const char *root, const char *id, hutch_error *err);

/* Send signo to the init, or with all to every process of the container
 * (from its cgroup, else from its pid namespace). */
int container_kill(const char *root, const char *id, int signo, bool all, hutch_error *err);

/* Delete a stopped (or created) container: poststop hooks, cgroup, state.
 * force kills a running one first. */
int container_delete(const char *root, const char *id, bool force, hutch_error *err);

/* Pids of the container's processes, as seen from the caller. */
int container_pids(const char *root, const char *id, pid_t **pids, size_t *n, hutch_error *err);

int container_pause(const char *root, const char *id, bool pause, hutch_error *err);
int container_update(const char *root, const char *id, json_object *resources, hutch_error *err);

struct exec_options {
	const char *root;
	const char *id;
	const char *process_file; /* --process; NULL: build from the config */
	char **args;		  /* command line (when no process file) */
	char **env;		  /* extra K=V */
	const char *cwd;
	const char *user; /* "uid[:gid]" */
	char **additional_gids;
	char **caps; /* added to every set */
	bool tty;
	bool tty_given;
	bool no_new_privs;
	bool detach;
	const char *pid_file;
	const char *console_socket;
	/* With tty: the terminal's size before the process starts (0: none),
	 * so it never sees a 0x0 terminal (runc's process.consoleSize). */
	unsigned console_rows, console_cols;
	int preserve_fds;
};

int container_exec(const struct exec_options *o, int *exit_status, hutch_error *err);

#endif
