/* Docker's hijacked connections (attach, exec start): the client asks for
 * "Upgrade: tcp", hutchd answers "101 UPGRADED" and from then on the HTTP
 * connection carries the container's stream in both directions. */
#ifndef HUTCH_DAEMON_HIJACK_H
#define HUTCH_DAEMON_HIJACK_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"

/* Called in the connection's thread once the 101 is sent. fd is the
 * client's connection, blocking and close-on-exec, owned by the callee;
 * extra is what the client sent after its request before the 101 (its
 * first stdin bytes). */
typedef void (*hijack_fn)(void *cls, int fd, const char *extra, size_t extra_len);

/* Whether the client asked for the upgrade ("Connection: Upgrade",
 * "Upgrade: tcp"). */
bool hijack_requested(struct request *r);

/* Queue the 101 reply with Docker's stream type (multiplexed frames or a
 * raw stream). fn(cls, ...) gets the connection; free_cls(cls) runs
 * afterwards, and also when the upgrade never happens (the client went
 * away first). */
enum MHD_Result reply_hijack(struct request *r, bool multiplexed, hijack_fn fn, void *cls,
			     void (*free_cls)(void *cls));

#endif
