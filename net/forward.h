/* The fast port forwarder: published ports without slirp in the path.
 *
 * Forwarding through libslirp copies every byte through slirp's own TCP
 * stack and the TAP: two extra protocol stacks and several copies. This
 * forwarder listens on the host and, for each client, connects a real
 * socket that lives in the container's network namespace (made by the
 * namespace helper, see tap.h) to the guest's port. The kernel's TCP
 * does all the work on both sides; the bytes move between the two
 * sockets with splice(2) through a pipe, so they are never copied into
 * this process. UDP uses one guest-side socket per client address (a
 * flow), batched with recvmmsg/sendmmsg, and forgets flows that stay idle.
 * The guest sees connections coming from its own address (the socket is
 * local to its namespace), not from the original client, unless the rule
 * keeps a loopback client's address (forwarder_add's keep_source). */
#ifndef HUTCH_NET_FORWARD_H
#define HUTCH_NET_FORWARD_H

#include <stdbool.h>
#include <sys/socket.h>

#include "error.h"
#include "loop.h"
#include "tap.h"

/* UDP flows idle this long are closed. */
#define FORWARD_UDP_IDLE_MS 60000

struct forwarder;
struct forward_rule;

int forwarder_new(struct loop *loop, struct netns_helper *helper, unsigned udp_idle_ms,
		  struct forwarder **out, hutch_error *err);
void forwarder_free(struct forwarder *fw);

/* Listen on host and forward to guest (either family each). The listening
 * socket is open when this returns, so a client may connect at once. With
 * keep_source, a client on the host's loopback (127.0.0.0/8, ::1) is seen
 * by the guest with that address (and its port when free), the one source
 * address that exists inside the namespace too; other clients appear as
 * the guest's own address as usual. */
int forwarder_add(struct forwarder *fw, bool udp, bool keep_source, const struct sockaddr *host,
		  socklen_t host_len, const struct sockaddr *guest, socklen_t guest_len,
		  struct forward_rule **out, hutch_error *err);

/* Stop listening and close every connection and flow of the rule. */
void forwarder_remove(struct forwarder *fw, struct forward_rule *rule);

/* The number of open connections (TCP) or flows (UDP) of a rule. */
unsigned forward_rule_active(const struct forward_rule *rule);

#endif
