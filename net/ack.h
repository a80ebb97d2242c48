/* Pure TCP ACKs from slirp to the guest, and when one makes another
 * redundant.
 *
 * libslirp acknowledges every segment it receives from the guest at once.
 * When the loop feeds it a batch of frames from the TAP, it answers with a
 * train of ACKs for the same connection, each covering a little more. The
 * guest needs only the last one: TCP acknowledgements are cumulative, and
 * the last one carries the newest window. Writing each one costs a system
 * call and a pass of the guest's TCP input, run in our thread. So while a
 * batch is processed, small frames to the guest are held back, and a pure
 * ACK replaces the held pure ACK of the same connection it supersedes.
 * Only strictly larger acknowledgement numbers supersede: duplicate ACKs,
 * which tell the guest a segment was lost, all go through. */
#ifndef HUTCH_NET_ACK_H
#define HUTCH_NET_ACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_ack {
	int family;
	uint8_t addrs[32]; /* source then destination, 4 or 16 bytes each */
	uint16_t sport, dport;
	uint32_t ack;
	uint16_t window;
};

/* True when the Ethernet frame is an IPv4 or IPv6 TCP segment with only
 * the ACK flag and no payload; fills *out. */
bool ack_parse(const uint8_t *frame, size_t len, struct tcp_ack *out);

/* True when newer, sent after older on the same connection, makes older
 * redundant. */
bool ack_supersedes(const struct tcp_ack *newer, const struct tcp_ack *older);

#endif
