/* The parent <-> container init protocol, over a SOCK_SEQPACKET socketpair
 * (one message per record, so no framing). A create goes:
 *
 *   parent                              init (in its new namespaces)
 *   clone ------------------------------> waits
 *   [INIT_PID <-------------------------- only when an intermediate
 *                                          process joined namespaces]
 *   cgroup, id maps, MAPS_DONE ---------> setresuid(0), rootfs_prepare()
 *   [runs prestart and createRuntime <--- PREPARED  (only with such hooks)
 *    hooks, HOOKS_DONE ----------------->]
 *                                         createContainer hooks,
 *                                         rootfs_enter/finalize, identity
 *   [listener <-------------------------- SECCOMP_FD + the fd (listenerPath)]
 *   state.json, pid file <--------------- READY
 *                                         create: blocks on the exec fifo
 *   run: START -------------------------> startContainer hooks, execve
 *
 * Either side may send ERROR (errno + message) instead; the parent logs
 * the child's message as is, so the user sees the real reason. The child's
 * end is close-on-exec: after START, EOF means the execve succeeded. */
#ifndef HUTCH_CONTAINER_SYNC_H
#define HUTCH_CONTAINER_SYNC_H

#include <stdint.h>

#include "error.h"

enum sync_type {
	SYNC_INIT_PID = 1,
	SYNC_MAPS_DONE,
	SYNC_PREPARED,
	SYNC_HOOKS_DONE,
	SYNC_SECCOMP_FD,
	SYNC_READY,
	SYNC_START,
	SYNC_ERROR,
};

struct sync_msg {
	uint32_t type;
	int32_t value; /* a pid, or the errno of an ERROR */
	char text[HUTCH_ERROR_MAX];
};

int sync_send(int fd, enum sync_type type, int32_t value, const char *text);
int sync_send_error(int fd, const hutch_error *e);

/* Receive one message; EOF gives an ECONNRESET error naming peer. */
int sync_recv(int fd, struct sync_msg *m, const char *peer, hutch_error *err);

/* Receive and require type; an ERROR message becomes *err as sent. */
int sync_expect(int fd, enum sync_type type, struct sync_msg *m, const char *peer,
		hutch_error *err);

#endif
