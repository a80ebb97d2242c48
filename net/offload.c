#include "offload.h"

#include <endian.h>
#include <stdbool.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>

#define ETH_HLEN 14
#define TCP_CSUM_OFFSET 16

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* sum + w in ones' complement arithmetic on 64 bits: the carry out of
 * the top goes back in at the bottom (the compiler makes it add + adc). */
static uint64_t add_carry(uint64_t sum, uint64_t w)
{
	sum += w;
	return sum + (sum < w);
}

uint16_t offload_checksum(const uint8_t *data, size_t len)
{
	/* The ones' complement sum does not depend on the byte order it is
	 * taken in nor on the word size (RFC 1071 2.B and 2.C): add the
	 * data as the CPU loads it, eight bytes at a time into two sums
	 * that do not wait for each other, fold to 16 bits, and store the
	 * result the same way. This runs at several GB/s, as it must: the
	 * guest's kernel no longer computes these checksums, we do. */
	uint64_t a = 0, b = 0;
	size_t i = 0;
	for (; i + 16 <= len; i += 16) {
		uint64_t x, y;
		memcpy(&x, data + i, 8);
		memcpy(&y, data + i + 8, 8);
		a = add_carry(a, x);
		b = add_carry(b, y);
	}
	a = add_carry(a, b);
	for (; i + 4 <= len; i += 4) {
		uint32_t w;
		memcpy(&w, data + i, 4);
		a = add_carry(a, w);
	}
	if (i + 2 <= len) {
		uint16_t w;
		memcpy(&w, data + i, 2);
		a = add_carry(a, w);
		i += 2;
	}
	if (i < len) {
		/* A last odd byte is the high half of a word padded with 0. */
		uint8_t pad[2] = {data[i], 0};
		uint16_t w;
		memcpy(&w, pad, 2);
		a = add_carry(a, w);
	}
	uint64_t sum = (a & 0xffffffff) + (a >> 32);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t folded = (uint16_t)~sum;
	uint8_t out[2];
	memcpy(out, &folded, 2);
	return get16(out);
}

/* A GSO frame must be what a TCP stack builds: one IPv4 TCP segment, no
 * fragment, its IP length the frame's. Returns where its TCP header
 * starts, 0 if it is not such a segment. */
static size_t tcp4_segment(const uint8_t *frame, size_t len)
{
	if (len < ETH_HLEN + 40 || get16(frame + 12) != 0x0800)
		return 0;
	const uint8_t *ip = frame + ETH_HLEN;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	bool ok = (ip[0] >> 4) == 4 && ihl >= 20 && ip[9] == IPPROTO_TCP &&
		  (get16(ip + 6) & 0x3fff) == 0 && get16(ip + 2) == len - ETH_HLEN &&
		  ETH_HLEN + ihl + 20 <= len;
	return ok ? ETH_HLEN + ihl : 0;
}

/* Put the IPv4 pseudo-header's sum where a sender leaving the checksum
 * partial would have put it. */
static void put_pseudo_sum(uint8_t *frame, size_t len, size_t tcp)
{
	size_t tcp_len = len - tcp;
	uint8_t pseudo[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, IPPROTO_TCP, (uint8_t)(tcp_len >> 8), (uint8_t)tcp_len};
	memcpy(pseudo, frame + ETH_HLEN + 12, 8);
	uint16_t sum = (uint16_t)~offload_checksum(pseudo, sizeof(pseudo));
	frame[tcp + TCP_CSUM_OFFSET] = (uint8_t)(sum >> 8);
	frame[tcp + TCP_CSUM_OFFSET + 1] = (uint8_t)sum;
}

enum offload_result offload_complete(const uint8_t *hdr, uint8_t *frame, size_t len)
{
	struct virtio_net_hdr h;
	memcpy(&h, hdr, sizeof(h));
	bool partial = h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	size_t start = le16toh(h.csum_start), at = start + le16toh(h.csum_offset);
	if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (!partial)
			return OFFLOAD_PLAIN;
		if (start < ETH_HLEN || at + 2 > len)
			return OFFLOAD_BAD;
	} else {
		/* Only what we offered. A segment the guest forwards from
		 * elsewhere (merged by GRO) may come without a partial
		 * checksum: its checksum is then made from scratch. */
		size_t tcp = h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ? tcp4_segment(frame, len) : 0;
		if (tcp == 0 || (partial && (start != tcp || at != tcp + TCP_CSUM_OFFSET)))
			return OFFLOAD_BAD;
		start = tcp;
		at = tcp + TCP_CSUM_OFFSET;
		if (!partial)
			put_pseudo_sum(frame, len, tcp);
	}
	/* The field holds the pseudo-header's sum; the checksum covers it
	 * and everything from csum_start on. 0 is sent as 0xffff, which
	 * means the same, because a UDP checksum of 0 means "none". */
	uint16_t sum = offload_checksum(frame + start, len - start);
	if (sum == 0)
		sum = 0xffff;
	frame[at] = (uint8_t)(sum >> 8);
	frame[at + 1] = (uint8_t)sum;
	return h.gso_type == VIRTIO_NET_HDR_GSO_NONE ? OFFLOAD_COMPLETED : OFFLOAD_SEGMENT;
}
