/* The state directory of hutch-oci: one directory per container under the
 * root (--root), holding state.json (written atomically), the exec fifo
 * of a created container and nothing else. Commands on one container
 * serialise on an flock of its directory, so a concurrent `delete` and
 * `start` (or two `create` of one id) cannot interleave. */
#ifndef HUTCH_STATE_H
#define HUTCH_STATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum container_status {
	CONTAINER_CREATING = 0,
	CONTAINER_CREATED,
	CONTAINER_RUNNING,
	CONTAINER_PAUSED,
	CONTAINER_STOPPED,
};

struct container_state {
	char *id;
	pid_t pid;
	unsigned long long start_time; /* field 22 of /proc/PID/stat */
	char *bundle;
	char *rootfs;
	char *created;		  /* RFC 3339 with nanoseconds, UTC */
	json_object *annotations; /* owned reference; NULL when none */
	uid_t owner;
	char *cgroup_path; /* NULL: no cgroup */
	bool paused;
	bool no_pivot;
};

/* The default root: $XDG_RUNTIME_DIR/hutch-oci for an unprivileged caller
 * (and for root inside a user namespace when XDG_RUNTIME_DIR is set, as
 * podman runs us), /run/hutch-oci for real root. */
int state_root_default(char **out, hutch_error *err);

/* Container ids are file names: letters, digits, "_+-." and not "." or
 * "..", at most 1024 bytes. */
int state_validate_id(const char *id, hutch_error *err);

/* mkdir root/id (failing with "container ID already exists") and lock it.
 * Returns the locked directory fd. */
int state_dir_create(const char *root, const char *id, hutch_error *err);

/* Open and lock an existing container directory ("container ID does not
 * exist" otherwise). Returns the locked directory fd. */
int state_dir_lock(const char *root, const char *id, hutch_error *err);

/* Remove root/id and everything in it (it holds only flat files). */
int state_dir_remove(const char *root, const char *id, hutch_error *err);

int state_write(const char *root, const struct container_state *st, hutch_error *err);
int state_read(const char *root, const char *id, struct container_state *st, hutch_error *err);
void state_clear(struct container_state *st);

/* Ids of every container under root (sorted). */
int state_list(const char *root, char ***ids, size_t *n, hutch_error *err);

/* Fill st->created with the current time. */
int state_set_created_now(struct container_state *st, hutch_error *err);

/* Read field 22 (start time) of /proc/PID/stat; *alive is false when the
 * process is gone or a zombie. */
int proc_start_time(pid_t pid, unsigned long long *start_time, bool *alive);

/* The live status: the recorded pid still alive with the recorded start
 * time (so a recycled pid is not mistaken for the container) is running,
 * or created while the exec fifo exists, or paused when recorded so. */
enum container_status state_status(const char *root, const struct container_state *st);
const char *container_status_name(enum container_status s);

/* The state document of `hutch-oci state` and `list --format json`. */
json_object *state_to_json(const struct container_state *st, enum container_status status);

/* The state given to hooks on stdin (runtime-spec "state"). */
char *state_hook_json(const char *id, pid_t pid, const char *status, const char *bundle,
		      json_object *annotations);

/* Replace path with content atomically for concurrent readers (temp file
 * and rename) but without fsync: runtime state and pid files describe
 * processes that a power cut ends anyway, and on a disk-backed --root an
 * fsync costs more than starting the whole container. */
int state_replace_file(const char *path, const void *buf, size_t len, int mode, hutch_error *err);

/* Write a pid file the way runc does: the decimal pid, no newline. */
int state_write_pid_file(const char *path, pid_t pid, hutch_error *err);

/* root/id/NAME into buf. */
int state_path(char *buf, size_t size, const char *root, const char *id, const char *name);

#define STATE_EXEC_FIFO "exec.fifo"

#endif
