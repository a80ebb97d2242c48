/* Shared between the files of the container lifecycle (container-*.c);
 * not part of libhutch's interface. */
#ifndef HUTCH_CONTAINER_INTERNAL_H
#define HUTCH_CONTAINER_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"
#include "namespaces.h"
#include "oci-config.h"
#include "state.h"

/* Everything the container init needs, prepared by the parent before the
 * clone so the child only reads it (it runs on a copy of this memory). */
struct init_context {
	const struct container_options *o;
	const struct oci_config *cfg;
	const struct userns_plan *userns;
	const struct ns_plan *ns;
	const char *bundle; /* absolute */
	const char *rootfs; /* absolute, symlinks resolved */
	int sync_fd;	    /* the child's end of the socketpair */
	int console_fd;	    /* connected --console-socket, or -1 */
	int fifo_fd;	    /* O_PATH fd of the exec fifo; -1 for run */
	int listen_fds;	    /* socket-activation fds we pass on (LISTEN_FDS) */
	bool run_mode;	    /* wait for START on the socket, not the fifo */
};

/* The container init: never returns (execs the process or exits). */
_Noreturn void container_init_main(const struct init_context *ctx);

/* The last steps before execve shared by the init and exec'd processes. */

/* The process's environment with LISTEN_FDS/LISTEN_PID made right for
 * the process (LISTEN_PID is its own pid as it sees it). */
char **process_build_env(char *const *env, size_t n_env, int listen_fds);

/* Find args[0] like execvp would, in the container's view, failing with
 * the strerror text podman looks for ("no such file or directory",
 * "permission denied"). */
int process_find_executable(const char *name, char *const *envp, char **out, hutch_error *err);

/* Keep fds 3..3+count-1 open across execve, mark every other fd above
 * them close-on-exec (leaks from our caller must not reach the
 * container). */
int process_pass_fds(int count, hutch_error *err);

/* The signals a foreground run/exec passes on to its process. */
void forwarded_signals(sigset_t *set);

/* Wait for our child pid, forwarding the (blocked) signals of set to it;
 * *exit_status is its exit code or 128+signal. */
int wait_foreground(pid_t pid, const sigset_t *set, int *exit_status, hutch_error *err);

/* The same for a container whose terminal master we hold: relay it to
 * our stdio (raw mode on a terminal) until the container exits. */
int wait_foreground_tty(pid_t pid, int master, const sigset_t *set, int *exit_status,
			hutch_error *err);

/* Wait up to timeout_ms for pid (through pidfd) to exit. */
int wait_pidfd_exit(int pidfd, int timeout_ms);

/* Kill the container's processes: signo to the init, or every pid when
 * all. Stale (recycled) pids are never signalled. */
int container_signal(const char *root, const struct container_state *st, int signo, bool all,
		     hutch_error *err);

/* Poststop hooks, cgroup removal and state removal of a stopped
 * container whose state directory we hold locked. cfg is the container's
 * config when the caller has it, else NULL to load it from the bundle. */
int container_cleanup(const char *root, struct container_state *st, const struct oci_config *cfg,
		      hutch_error *err);

#endif
