/* process.terminal: a pty created inside the container, its master sent to
 * the caller's --console-socket, its slave made the controlling terminal
 * and stdio of the container process. */
#ifndef HUTCH_TERMINAL_H
#define HUTCH_TERMINAL_H

#include "error.h"
#include "oci-config.h"

/* Connect to the unix socket at path (done by the runtime before clone, so
 * the container init inherits the connected fd). */
int terminal_connect_console_socket(const char *path, hutch_error *err);

/* In the container (after its /dev/pts is mounted): open a new pty, apply
 * consoleSize, send the master over console_fd, make the slave the
 * controlling terminal and fds 0, 1, 2. */
int terminal_setup(int console_fd, const struct oci_process *p, hutch_error *err);

/* A foreground run or exec that relays the pty itself: when the process
 * has no consoleSize, give it the size of our own terminal (stdin), so the
 * container's first look at its terminal never sees 0x0; later changes
 * follow through SIGWINCH in the relay. */
void terminal_size_from_stdin(struct oci_process *p);

/* Send/receive one fd with SCM_RIGHTS (also used for seccomp listeners). */
int fd_send(int sock, int fd, const char *payload, hutch_error *err);
int fd_recv(int sock, int *fd, char *payload, size_t payload_size, hutch_error *err);

#endif
