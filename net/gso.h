/* Coalescing slirp's TCP segments to the guest into one GSO frame.
 *
 * libslirp cuts what it sends to the guest into segments of its MSS (1460
 * bytes at MTU 1500) and hands them over one by one, up to a 64 KiB window
 * in a burst. Each one written to the TAP is a system call and a pass of
 * the guest's IP and TCP input (run in our thread: a TAP write delivers
 * the frame at once) and a wake-up of the guest's reader. A TAP opened
 * with IFF_VNET_HDR takes a virtio-net header in front of every frame, and
 * with it a GSO frame: one large TCP segment that says "I am these
 * segments of gso_size bytes each". The guest's TCP takes it as one
 * segment, exactly as it takes what GRO merges from a real NIC, and if
 * the guest forwards it elsewhere the kernel cuts it back into segments
 * of gso_size. So consecutive segments of one connection that differ
 * only in their sequence number (and IP id and checksums) are gathered
 * into one frame and written once.
 *
 * The run's checksums are left to the guest's kernel (NEEDS_CSUM with the
 * pseudo-header sum in the TCP checksum field, as a local sender's stack
 * leaves it for a NIC): a locally delivered segment with a partial
 * checksum is trusted, a forwarded one is completed on the way out. A run
 * of one segment goes out unchanged with a plain header. */
#ifndef HUTCH_NET_GSO_H
#define HUTCH_NET_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct virtio_net_hdr: what a TAP with IFF_VNET_HDR expects. */
#define GSO_VNET_HDR_LEN 10
/* One frame: a 64 KiB IP packet plus the Ethernet header. */
#define GSO_FRAME_MAX (14 + 65535)

struct gso_run {
	size_t len;	   /* bytes of frame; 0: no run */
	size_t hdr_len;	   /* Ethernet + IP + TCP headers */
	size_t ip_off;	   /* 14: where the IP header starts */
	size_t tcp_off;	   /* where the TCP header starts */
	size_t seg_size;   /* payload of the first segment */
	unsigned segs;	   /* segments gathered */
	uint32_t next_seq; /* the sequence number that continues the run */
	bool closed;	   /* a short or pushed segment ended it */
	bool ipv6;
	uint8_t vnet_hdr[GSO_VNET_HDR_LEN];
	uint8_t frame[GSO_FRAME_MAX];
};

/* Begin a run with a frame if it is a TCP segment that others could join
 * (IPv4 without options or IPv6 without extension headers, ACK set, no
 * SYN/FIN/RST/URG, some payload, not already pushed). False leaves the
 * run empty: write the frame as it is. */
bool gso_start(struct gso_run *run, const uint8_t *frame, size_t len);

/* Add a frame to a run: true when it continues it (same connection and
 * headers, the next sequence number, no larger than the first segment,
 * the result still within 64 KiB). False changes nothing. */
bool gso_append(struct gso_run *run, const uint8_t *frame, size_t len);

/* Finish the run for writing: fixes the lengths and checksums and fills
 * the virtio-net header. Returns the frame's length; the header is
 * run->vnet_hdr, the frame run->frame. The run is then empty. */
size_t gso_finish(struct gso_run *run);

#endif
