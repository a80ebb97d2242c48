#include "ack.h"

#include <netinet/in.h>
#include <string.h>

#define ETH_HLEN 14
#define TCP_FLAG_ACK 0x10
/* FIN, SYN, RST, PSH, ACK, URG, ECE, CWR */
#define TCP_FLAGS_ALL 0xff

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The TCP header at tcp, avail bytes of segment: a pure ACK? */
static bool parse_tcp(const uint8_t *tcp, size_t avail, struct tcp_ack *out)
{
	if (avail < 20)
		return false;
	size_t doff = (size_t)(tcp[12] >> 4) * 4;
	/* Exactly the header: no payload. */
	if (doff < 20 || doff != avail)
		return false;
	if ((tcp[13] & TCP_FLAGS_ALL) != TCP_FLAG_ACK)
		return false;
	out->sport = get16(tcp);
	out->dport = get16(tcp + 2);
	out->ack = get32(tcp + 8);
	out->window = get16(tcp + 14);
	return true;
}

bool ack_parse(const uint8_t *frame, size_t len, struct tcp_ack *out)
{
	if (len < ETH_HLEN + 20)
		return false;
	const uint8_t *ip = frame + ETH_HLEN;
	size_t iplen = len - ETH_HLEN;
	memset(out, 0, sizeof(*out));
	switch (get16(frame + 12)) {
	case 0x0800: {
		size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
		size_t total = get16(ip + 2);
		if ((ip[0] >> 4) != 4 || ihl < 20 || total > iplen || total < ihl ||
		    ip[9] != IPPROTO_TCP || (get16(ip + 6) & 0x3fff) != 0)
			return false;
		out->family = AF_INET;
		memcpy(out->addrs, ip + 12, 8);
		return parse_tcp(ip + ihl, total - ihl, out);
	}
	case 0x86dd: {
		if (iplen < 40 || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_TCP)
			return false;
		size_t plen = get16(ip + 4);
		if (40 + plen > iplen)
			return false;
		out->family = AF_INET6;
		memcpy(out->addrs, ip + 8, 32);
		return parse_tcp(ip + 40, plen, out);
	}
	default:
		return false;
	}
}

bool ack_supersedes(const struct tcp_ack *newer, const struct tcp_ack *older)
{
	if (newer->family != older->family || newer->sport != older->sport ||
	    newer->dport != older->dport || memcmp(newer->addrs, older->addrs, 32) != 0)
		return false;
	/* Sequence space wraps: "after" is a positive signed difference. */
	return (int32_t)(newer->ack - older->ack) > 0;
}
