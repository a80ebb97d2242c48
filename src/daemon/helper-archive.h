/* docker cp inside the user sandbox: `hutchd __helper archive-stat`,
 * `archive-get` and `archive-put` (run by api-archive.c). */
#ifndef HUTCH_DAEMON_HELPER_ARCHIVE_H
#define HUTCH_DAEMON_HELPER_ARCHIVE_H

#include <sys/types.h>

#include "error.h"

/* Exit statuses of the archive helpers besides 0 and 1 (any other
 * failure), so hutchd can answer with Docker's status codes. */
#define ARCHIVE_EXIT_NOT_FOUND 2 /* 404 */
#define ARCHIVE_EXIT_BAD_INPUT 3 /* 400 */
#define ARCHIVE_EXIT_NOT_DIR 4	 /* 400, "extraction point is not a directory" */

/* argv: hutchd __helper archive-OP HOLDER CTR_DIR CTR_PID PATH [NO_OVERWRITE_DIR_NON_DIR
 * COPY_UID_GID]; CTR_PID is the running container's pid, else 0. stat prints the stat JSON; get
 * prints it as one line, then the tar; put reads the tar on stdin. Returns the exit status. */
int helper_archive_main(int argc, char **argv);

#endif
