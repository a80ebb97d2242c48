#include "gso.h"

#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>

#define ETH_HLEN 14
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

_Static_assert(sizeof(struct virtio_net_hdr) == GSO_VNET_HDR_LEN, "virtio_net_hdr size");

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The ones' complement sum of big-endian 16-bit words, not yet folded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Where a frame's TCP segment lies, if it is one a run can hold. */
struct segment {
	bool ipv6;
	size_t tcp_off, hdr_len, payload;
	uint32_t seq;
	uint8_t flags;
};

static bool parse_segment(const uint8_t *f, size_t len, struct segment *s)
{
	if (len < ETH_HLEN + 40)
		return false;
	const uint8_t *ip = f + ETH_HLEN;
	size_t ip_len;
	switch (get16(f + 12)) {
	case 0x0800:
		/* No options, not a fragment. */
		if (ip[0] != 0x45 || ip[9] != IPPROTO_TCP || (get16(ip + 6) & 0x3fff) != 0)
			return false;
		s->ipv6 = false;
		s->tcp_off = ETH_HLEN + 20;
		ip_len = get16(ip + 2);
		break;
	case 0x86dd:
		/* TCP right after the fixed header, no extension headers. */
		if (len < ETH_HLEN + 60 || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_TCP)
			return false;
		s->ipv6 = true;
		s->tcp_off = ETH_HLEN + 40;
		ip_len = 40 + (size_t)get16(ip + 4);
		break;
	default:
		return false;
	}
	/* The frame is exactly the packet (slirp does not pad data
	 * segments), so lengths can be trusted below. */
	if (ETH_HLEN + ip_len != len)
		return false;
	const uint8_t *tcp = f + s->tcp_off;
	size_t doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < 20 || s->tcp_off + doff > len)
		return false;
	s->hdr_len = s->tcp_off + doff;
	s->payload = len - s->hdr_len;
	s->seq = get32(tcp + 4);
	s->flags = tcp[13];
	return s->payload > 0 && (s->flags & TCP_ACK) &&
	       !(s->flags & (TCP_FIN | TCP_SYN | TCP_RST | TCP_URG));
}

bool gso_start(struct gso_run *run, const uint8_t *frame, size_t len)
{
	struct segment s;
	if (!parse_segment(frame, len, &s) || (s.flags & TCP_PSH))
		return false;
	memcpy(run->frame, frame, len);
	run->len = len;
	run->hdr_len = s.hdr_len;
	run->ip_off = ETH_HLEN;
	run->tcp_off = s.tcp_off;
	run->seg_size = s.payload;
	run->segs = 1;
	run->next_seq = s.seq + (uint32_t)s.payload;
	run->closed = false;
	run->ipv6 = s.ipv6;
	return true;
}

/* Equal headers but for what differs between segments of one burst: the
 * IPv4 length, id and checksum, the TCP sequence number, PSH and the TCP
 * checksum. */
static bool same_headers(const struct gso_run *run, const uint8_t *f)
{
	const uint8_t *a = run->frame, *ip_a = a + ETH_HLEN, *ip_b = f + ETH_HLEN;
	if (memcmp(a, f, ETH_HLEN) != 0)
		return false;
	if (run->ipv6) {
		/* Version, class, flow label; next header, hop limit,
		 * addresses (the payload length differs). */
		if (memcmp(ip_a, ip_b, 4) != 0 || memcmp(ip_a + 6, ip_b + 6, 34) != 0)
			return false;
	} else if (memcmp(ip_a, ip_b, 2) != 0 || memcmp(ip_a + 6, ip_b + 6, 4) != 0 ||
		   memcmp(ip_a + 12, ip_b + 12, 8) != 0) {
		return false;
	}
	const uint8_t *t_a = a + run->tcp_off, *t_b = f + run->tcp_off;
	/* Ports; acknowledgement, data offset; window, urgent pointer;
	 * options. */
	return memcmp(t_a, t_b, 4) == 0 && memcmp(t_a + 8, t_b + 8, 5) == 0 &&
	       (t_a[13] & ~TCP_PSH) == (t_b[13] & ~TCP_PSH) && memcmp(t_a + 14, t_b + 14, 2) == 0 &&
	       memcmp(t_a + 18, t_b + 18, run->hdr_len - run->tcp_off - 18) == 0;
}

bool gso_append(struct gso_run *run, const uint8_t *frame, size_t len)
{
	struct segment s;
	if (run->len == 0 || run->closed || !parse_segment(frame, len, &s) || s.ipv6 != run->ipv6 ||
	    s.hdr_len != run->hdr_len || s.seq != run->next_seq || s.payload > run->seg_size)
		return false;
	/* The IP length field must hold the result. */
	size_t ip_len = run->len + s.payload - ETH_HLEN;
	if ((run->ipv6 ? ip_len - 40 : ip_len) > 65535 || run->len + s.payload > GSO_FRAME_MAX)
		return false;
	if (!same_headers(run, frame))
		return false;
	memcpy(run->frame + run->len, frame + s.hdr_len, s.payload);
	run->len += s.payload;
	run->segs++;
	run->next_seq += (uint32_t)s.payload;
	/* A short segment is the last of a GSO frame; PSH ends a burst. */
	if (s.payload < run->seg_size || (s.flags & TCP_PSH)) {
		run->frame[run->tcp_off + 13] |= s.flags & TCP_PSH;
		run->closed = true;
	}
	return true;
}

size_t gso_finish(struct gso_run *run)
{
	size_t len = run->len;
	struct virtio_net_hdr h = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
	if (run->segs > 1) {
		uint8_t *ip = run->frame + run->ip_off, *tcp = run->frame + run->tcp_off;
		size_t tcp_len = len - run->tcp_off;
		uint32_t pseudo;
		if (run->ipv6) {
			put16(ip + 4, (uint16_t)tcp_len);
			pseudo = sum16(ip + 8, 32, 0) + (uint32_t)tcp_len + IPPROTO_TCP;
			h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		} else {
			put16(ip + 2, (uint16_t)(len - run->ip_off));
			put16(ip + 10, 0);
			put16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
			pseudo = sum16(ip + 12, 8, 0) + (uint32_t)tcp_len + IPPROTO_TCP;
			h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		}
		/* A partial checksum: the pseudo-header's sum, not inverted,
		 * which the kernel completes over the segment if it must. */
		put16(tcp + 16, fold(pseudo));
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.hdr_len = (uint16_t)run->hdr_len;
		h.gso_size = (uint16_t)run->seg_size;
		h.csum_start = (uint16_t)run->tcp_off;
		h.csum_offset = 16;
	}
	memcpy(run->vnet_hdr, &h, sizeof(h));
	run->len = 0;
	return len;
}
