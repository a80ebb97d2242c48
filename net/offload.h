/* Frames from the guest with offloads: checksums left to us and TCP
 * segmentation left undone.
 *
 * With no offloads towards us, the guest's kernel cuts every TCP burst
 * into segments of slirp's MSS (1460 bytes at MTU 1500) and computes
 * every checksum itself, and each segment costs us a read(), a pass
 * through slirp_input and a send() to the host: all in our thread, since
 * our ACK writes are what make the guest transmit. With TUN_F_CSUM and
 * TUN_F_TSO4 set on the TAP it hands us what its TCP built, a large
 * IPv4 segment (up to half the 64 KiB window slirp allows) with the
 * checksum left partial, as a local sender leaves it for a NIC. libslirp
 * 4.7 accepts TCP segments larger than its MSS (its input does not check
 * them against the MSS or the MRU), so such a frame goes to slirp whole,
 * once its checksum is completed: slirp verifies every checksum (a large
 * segment the guest forwards, merged by GRO, may come without a partial
 * checksum; it gets a whole one). IPv6
 * segmentation (TUN_F_TSO6) stays off: libslirp answers IPv6 packets
 * above its MTU with "packet too big". */
#ifndef HUTCH_NET_OFFLOAD_H
#define HUTCH_NET_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/if_tun.h>

/* The offloads to ask the TAP for (TUNSETOFFLOAD). */
#define OFFLOAD_TAP_FLAGS (TUN_F_CSUM | TUN_F_TSO4)

enum offload_result {
	OFFLOAD_PLAIN,	   /* nothing was left undone: the frame is as it came */
	OFFLOAD_COMPLETED, /* its checksum was completed */
	OFFLOAD_SEGMENT,   /* a large TCP segment, its checksum completed */
	OFFLOAD_BAD,	   /* a header we cannot honour: drop the frame */
};

/* Finish the frame read behind the virtio-net header hdr (struct
 * virtio_net_hdr, little-endian as a TAP writes it on this host) in
 * place, so that slirp can take it. */
enum offload_result offload_complete(const uint8_t *hdr, uint8_t *frame, size_t len);

/* The Internet checksum (RFC 1071) of len bytes: the ones' complement of
 * their ones' complement sum, in network byte order. */
uint16_t offload_checksum(const uint8_t *data, size_t len);

#endif
