/* The helper process inside the target's namespaces.
 *
 * hutch-slirp itself stays in the host's network namespace (libslirp's
 * sockets must reach the host), but two things have to happen inside the
 * container's: creating the TAP device, and creating the guest-side
 * sockets of the fast port forwarder. A forked child joins the target
 * user and network namespaces once, creates and configures the TAP, hands
 * its fd back over a socketpair with SCM_RIGHTS, and then stays to create
 * sockets on request. A socket belongs to the namespace it was created in
 * for its whole life, so the main process can connect() it and move bytes
 * through it without ever entering the namespace, even after it has locked
 * itself into its sandbox. */
#ifndef HUTCH_NET_TAP_H
#define HUTCH_NET_TAP_H

#include <sys/types.h>

#include "error.h"
#include "options.h"

struct netns_helper {
	pid_t pid;   /* -1 when there is none (--netns-type=tapfd) */
	int channel; /* SOCK_SEQPACKET to the helper */
};

/* Start the helper and receive the TAP fd (created, and configured when
 * opts->configure). With --netns-type=tapfd there is no namespace: the
 * given fd is the TAP and no helper runs. */
int netns_helper_start(const struct net_options *opts, struct netns_helper *helper, int *tapfd,
		       hutch_error *err);

/* A new socket(family, type|SOCK_NONBLOCK|SOCK_CLOEXEC) in the target's
 * network namespace. */
int netns_helper_socket(struct netns_helper *helper, int family, int type, hutch_error *err);

/* Close the channel (the helper exits on EOF) and reap the helper. */
void netns_helper_stop(struct netns_helper *helper);

/* Send and receive one fd with a small message over a Unix socket. */
int fd_send(int sock, int fd, const void *msg, size_t len);
ssize_t fd_recv(int sock, int *fd, void *msg, size_t len);

#endif
