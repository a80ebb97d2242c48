/* docker cp inside the user sandbox: `hutchd __helper archive-stat`,
 * `archive-get` and `archive-put` (run by api-archive.c). */
#ifndef HUTCH_DAEMON_HELPER_ARCHIVE_H
#define HUTCH_DAEMON_HELPER_ARCHIVE_H

#include <limits.h>
#include <sys/types.h>

#include "error.h"

/* Exit statuses of the archive helpers besides 0 and 1 (any other
 * failure), so hutchd can answer with Docker's status codes. */
#define ARCHIVE_EXIT_NOT_FOUND 2 /* 404 */
#define ARCHIVE_EXIT_BAD_INPUT 3 /* 400 */
#define ARCHIVE_EXIT_NOT_DIR 4	 /* 400, "extraction point is not a directory" */

/* A container's root file system as a helper sees it (volume-fill.c
 * reads a stopped one too). */
struct ctr_fs {
	int rootfd;
	pid_t overlay_pid; /* hutch-overlay of our own private mount, or 0 */
	char mnt[PATH_MAX];
};
/* Join holder's sandbox (holder > 0) and open the root of the container
 * in ctr_dir: ctr_pid's own mounts when it runs, else its overlay,
 * mounted privately when nobody has it mounted. */
int enter_container_fs(pid_t holder, const char *ctr_dir, pid_t ctr_pid, struct ctr_fs *fs,
		       hutch_error *err);
void leave_container_fs(struct ctr_fs *fs);

/* argv: hutchd __helper archive-OP HOLDER CTR_DIR CTR_PID PATH [NO_OVERWRITE_DIR_NON_DIR
 * COPY_UID_GID]; CTR_PID is the running container's pid, else 0. stat prints the stat JSON; get
 * prints it as one line, then the tar; put reads the tar on stdin. Returns the exit status. */
int helper_archive_main(int argc, char **argv);

#endif
