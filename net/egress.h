/* The egress policy: which frames from the guest may reach libslirp.
 *
 * libslirp turns every guest connection into a host socket, so anything
 * the guest sends to an outside address leaves the machine. With
 * --outbound-allow the frames are looked at before slirp_input(): IPv4 and
 * IPv6 packets to a destination outside the allowed networks never reach
 * slirp. Still allowed are the parts of the guest network that slirp
 * answers by itself and that go nowhere: DNS at the resolver address
 * (10.0.2.3, fd00::3) unless --disable-dns, DHCP, and IPv6 neighbour
 * discovery. The host loopback (10.0.2.2, fd00::2) is an ordinary
 * destination here: list it (--outbound-allow=10.0.2.2/32) to reach the
 * host's services. A refused packet gets an ICMP "administratively
 * prohibited" back, so a guest's connect() fails at once instead of
 * timing out, and the first refusal per destination is logged. */
#ifndef HUTCH_NET_EGRESS_H
#define HUTCH_NET_EGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

enum egress_verdict {
	EGRESS_PASS = 0,
	EGRESS_DENY,
};

/* What the classifier found out about a frame. */
struct egress_packet {
	int family;   /* AF_INET, AF_INET6, or 0 for non-IP frames */
	int protocol; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, ... */
	uint8_t dst[16];
	uint16_t dport; /* host order; 0 when the protocol has none */
};

struct egress;

/* NULL (no policy) when opts has no --outbound-allow. */
struct egress *egress_new(const struct net_options *opts);
void egress_free(struct egress *e);

enum egress_verdict egress_classify(const struct egress *e, const uint8_t *frame, size_t len,
				    struct egress_packet *pkt);

/* Log the refusal, once per destination (address, protocol and port). */
void egress_log_denied(struct egress *e, const struct egress_packet *pkt);

/* Build, into out, the ICMP or ICMPv6 unreachable frame that answers the
 * refused frame; returns its length, 0 when none should be sent (an ICMP
 * error is never answered with another). */
size_t egress_build_reject(const uint8_t *frame, size_t len, uint8_t *out, size_t cap);

/* Format "tcp 10.0.2.2:80" for messages. */
void egress_describe(const struct egress_packet *pkt, char *buf, size_t len);

#endif
