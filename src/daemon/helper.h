/* Helper processes: hutchd re-executes itself as "hutchd __helper OP ..."
 * for work that must happen inside the user sandbox (unpacking a layer
 * with real ownership, removing a snapshot whose files belong to
 * subordinate ids). A helper is single-threaded, so it can setns. */
#ifndef HUTCH_DAEMON_HELPER_H
#define HUTCH_DAEMON_HELPER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define HELPER_ARG "__helper"

/* The helper's main: argv is hutchd __helper OP ARGS... */
int helper_main(int argc, char **argv);

/* Run hutchd __helper with args (NULL-terminated, without the first two)
 * and wait for it. Its stdout is returned in *out (may be NULL); a
 * failure's message is the helper's last stderr line. */
int helper_run(const char *const *args, char **out, hutch_error *err);

/* Start a helper with stdin from in_fd (-1: hutchd's own) and pipes for
 * its stdout and stderr, for helpers whose output is streamed. */
int helper_spawn(const char *const *args, int in_fd, pid_t *pid, int *out_fd, int *err_fd,
		 hutch_error *err);
/* Read the rest of a spawned helper's stderr (closing err_fd) and reap
 * it, as helper_run does; *exit_status (may be NULL) gets its status. */
int helper_finish(pid_t pid, int err_fd, int *exit_status, hutch_error *err);
/* helper_run with stdin from in_fd and the exit status in *exit_status. */
int helper_run_status(const char *const *args, int in_fd, char **out, int *exit_status,
		      hutch_error *err);

/* Unpack blob into the snapshot dir dest (committed by renaming tmpdir),
 * inside the sandbox of holder (0: no sandbox, ownership goes into
 * xattrs). meta_json is written as dest/meta.json. The snapshot's files
 * are not synced: meta.json and the "unsynced" marker are made durable
 * before the rename (see store.h), the files later by hutchd's syncfs.
 *
 * follow_fd >= 0: blob is the temp file of a download in progress, unpacked
 * as it arrives; follow_fd becomes the helper's stdin, on which hutchd
 * writes 'm' when more data has arrived and 'v' when the download is
 * complete and verified (closing it abandons the unpack). The helper then
 * fsyncs blob and renames it to blob_dest before it commits the snapshot.
 *
 * replace: dest exists and is swapped for the new snapshot atomically
 * (RENAME_EXCHANGE), then the old one is removed. */
struct unpack_job {
	pid_t holder;
	const char *blob;
	const char *tmpdir;
	const char *dest;
	const char *diff_id;
	const char *meta_json;
	int follow_fd;
	const char *blob_dest;
	bool replace;
};
int helper_unpack(const struct unpack_job *job, char **result, hutch_error *err);

/* Remove a tree inside the sandbox. */
int helper_remove(pid_t holder, const char *path, hutch_error *err);

/* Unmount path (lazily) inside the sandbox; nothing mounted there is no
 * error. */
int helper_unmount(pid_t holder, const char *path, hutch_error *err);

#endif
