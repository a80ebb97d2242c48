#include "egress.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define IPV6_HLEN 40
/* Distinct refused destinations remembered for "log once"; past that a
 * guest scanning the internet could grow the set without bound. */
#define LOGGED_MAX 1024

struct egress {
	struct net_cidr *allow;
	size_t n_allow;
	bool dns_enabled;
	bool ipv6_enabled;
	struct in_addr gateway, dns;
	struct in6_addr gateway6, dns6;
	struct egress_packet *logged;
	size_t n_logged;
	bool logged_full;
};

struct egress *egress_new(const struct net_options *o)
{
	if (o->n_outbound_allow == 0)
		return NULL;
	struct egress *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->allow = calloc(o->n_outbound_allow, sizeof(*e->allow));
	e->logged = calloc(LOGGED_MAX, sizeof(*e->logged));
	if (e->allow == NULL || e->logged == NULL) {
		egress_free(e);
		return NULL;
	}
	memcpy(e->allow, o->outbound_allow, o->n_outbound_allow * sizeof(*e->allow));
	e->n_allow = o->n_outbound_allow;
	e->dns_enabled = !o->disable_dns;
	e->ipv6_enabled = o->enable_ipv6;
	e->gateway = o->gateway;
	e->dns = o->dns;
	e->gateway6 = o->gateway6;
	e->dns6 = o->dns6;
	return e;
}

void egress_free(struct egress *e)
{
	if (e == NULL)
		return;
	free(e->allow);
	free(e->logged);
	free(e);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The destination port of a TCP or UDP header at l4 with avail bytes. */
static uint16_t dest_port(int protocol, const uint8_t *l4, size_t avail)
{
	if ((protocol == IPPROTO_TCP || protocol == IPPROTO_UDP) && avail >= 4)
		return get16(l4 + 2);
	return 0;
}

static bool is_allowed_network(const struct egress *e, int family, const uint8_t *dst)
{
	for (size_t i = 0; i < e->n_allow; i++) {
		if (net_cidr_contains(&e->allow[i], family, dst))
			return true;
	}
	return false;
}

/* Traffic slirp answers itself and never forwards to the outside. */
static bool is_slirp_service_v4(const struct egress *e, const struct egress_packet *p)
{
	struct in_addr dst;
	memcpy(&dst, p->dst, 4);
	bool dns_port =
	    (p->protocol == IPPROTO_UDP || p->protocol == IPPROTO_TCP) && p->dport == 53;
	if (e->dns_enabled && dst.s_addr == e->dns.s_addr && dns_port)
		return true;
	/* DHCP: slirp's server answers requests to the broadcast address or
	 * to its own address on port 67. */
	if (p->protocol == IPPROTO_UDP && p->dport == 67 &&
	    (dst.s_addr == INADDR_BROADCAST || dst.s_addr == e->gateway.s_addr))
		return true;
	return false;
}

static bool is_slirp_service_v6(const struct egress *e, const struct egress_packet *p,
				const uint8_t *l4, size_t avail)
{
	if (p->protocol == IPPROTO_ICMPV6 && avail >= 1) {
		/* Neighbour and router discovery and multicast listener
		 * reports stay on the link: slirp answers or drops them. */
		uint8_t type = l4[0];
		if ((type >= 133 && type <= 137) || (type >= 130 && type <= 132) || type == 143)
			return true;
	}
	bool dns_port =
	    (p->protocol == IPPROTO_UDP || p->protocol == IPPROTO_TCP) && p->dport == 53;
	return e->dns_enabled && dns_port && memcmp(p->dst, &e->dns6, 16) == 0;
}

static bool ipv6_is_extension(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60;
}

enum egress_verdict egress_classify(const struct egress *e, const uint8_t *frame, size_t len,
				    struct egress_packet *p)
{
	memset(p, 0, sizeof(*p));
	if (len < ETH_HLEN)
		return EGRESS_DENY; /* too short for slirp as well */
	uint16_t type = get16(frame + 12);
	const uint8_t *ip = frame + ETH_HLEN;
	size_t iplen = len - ETH_HLEN;
	if (type == ETHERTYPE_IPV4) {
		if (iplen < 20 || (ip[0] >> 4) != 4)
			return EGRESS_DENY;
		size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
		if (ihl < 20 || ihl > iplen)
			return EGRESS_DENY;
		p->family = AF_INET;
		p->protocol = ip[9];
		memcpy(p->dst, ip + 16, 4);
		/* Only the first fragment carries the ports. */
		bool first_fragment = (get16(ip + 6) & 0x1fff) == 0;
		if (first_fragment)
			p->dport = dest_port(p->protocol, ip + ihl, iplen - ihl);
		if (is_slirp_service_v4(e, p) || is_allowed_network(e, AF_INET, p->dst))
			return EGRESS_PASS;
		return EGRESS_DENY;
	}
	if (type == ETHERTYPE_IPV6) {
		if (iplen < IPV6_HLEN || (ip[0] >> 4) != 6)
			return EGRESS_DENY;
		p->family = AF_INET6;
		memcpy(p->dst, ip + 24, 16);
		uint8_t nh = ip[6];
		size_t off = IPV6_HLEN;
		bool fragment_tail = false;
		/* Walk the extension headers to the transport header. */
		for (int hops = 0; ipv6_is_extension(nh) && hops < 8; hops++) {
			if (off + 8 > iplen)
				return EGRESS_DENY;
			uint8_t next = ip[off];
			if (nh == 44) {
				fragment_tail = (get16(ip + off + 2) & 0xfff8) != 0;
				off += 8;
			} else {
				off += ((size_t)ip[off + 1] + 1) * 8;
			}
			nh = next;
		}
		if (ipv6_is_extension(nh) || off > iplen)
			return EGRESS_DENY;
		p->protocol = nh;
		if (!fragment_tail)
			p->dport = dest_port(nh, ip + off, iplen - off);
		if (is_slirp_service_v6(e, p, ip + off, iplen - off) ||
		    is_allowed_network(e, AF_INET6, p->dst))
			return EGRESS_PASS;
		return EGRESS_DENY;
	}
	/* ARP and anything else that is not IP cannot leave through slirp,
	 * which only forwards IP. */
	return EGRESS_PASS;
}

void egress_describe(const struct egress_packet *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	if (p->family != 0)
		inet_ntop(p->family, p->dst, addr, sizeof(addr));
	const char *proto = p->protocol == IPPROTO_TCP	    ? "tcp"
			    : p->protocol == IPPROTO_UDP    ? "udp"
			    : p->protocol == IPPROTO_ICMP   ? "icmp"
			    : p->protocol == IPPROTO_ICMPV6 ? "icmp6"
							    : NULL;
	char pname[16];
	if (proto == NULL) {
		snprintf(pname, sizeof(pname), "proto-%d", p->protocol);
		proto = pname;
	}
	if (p->dport != 0)
		snprintf(buf, len, p->family == AF_INET6 ? "%s [%s]:%u" : "%s %s:%u", proto, addr,
			 p->dport);
	else
		snprintf(buf, len, "%s %s", proto, addr);
}

void egress_log_denied(struct egress *e, const struct egress_packet *p)
{
	for (size_t i = 0; i < e->n_logged; i++) {
		const struct egress_packet *q = &e->logged[i];
		if (q->family == p->family && q->protocol == p->protocol && q->dport == p->dport &&
		    memcmp(q->dst, p->dst, 16) == 0)
			return;
	}
	char what[96];
	egress_describe(p, what, sizeof(what));
	if (e->n_logged == LOGGED_MAX) {
		if (!e->logged_full)
			log_warning("egress: denied %s (further denied destinations are not "
				    "logged)",
				    what);
		e->logged_full = true;
		return;
	}
	e->logged[e->n_logged++] = *p;
	log_warning("egress: denied %s (not in --outbound-allow)", what);
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool is_multicast_or_broadcast(const uint8_t *frame)
{
	return (frame[0] & 1) != 0; /* the destination MAC's group bit */
}

size_t egress_build_reject(const uint8_t *frame, size_t len, uint8_t *out, size_t cap)
{
	if (len < ETH_HLEN + 20 || is_multicast_or_broadcast(frame))
		return 0;
	uint16_t type = get16(frame + 12);
	const uint8_t *ip = frame + ETH_HLEN;
	size_t iplen = len - ETH_HLEN;
	/* Answer from the MAC the guest sent to (slirp's), to the sender. */
	memcpy(out, frame + 6, 6);
	memcpy(out + 6, frame, 6);
	uint8_t *oip = out + ETH_HLEN;

	if (type == ETHERTYPE_IPV4) {
		size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
		if (ihl < 20 || ihl > iplen || (get16(ip + 6) & 0x1fff) != 0)
			return 0;
		/* Never answer an ICMP error, only echo requests. */
		if (ip[9] == IPPROTO_ICMP && (iplen <= ihl || ip[ihl] != 8))
			return 0;
		size_t quote = ihl + 8 < iplen ? ihl + 8 : iplen;
		size_t total = 20 + 8 + quote;
		if (ETH_HLEN + total > cap)
			return 0;
		put16(out + 12, ETHERTYPE_IPV4);
		memset(oip, 0, 28);
		oip[0] = 0x45;
		put16(oip + 2, (uint16_t)total);
		oip[8] = 64;
		oip[9] = IPPROTO_ICMP;
		memcpy(oip + 12, ip + 16, 4); /* from the refused destination */
		memcpy(oip + 16, ip + 12, 4); /* to the guest */
		put16(oip + 10, fold(sum16(oip, 20, 0)));
		uint8_t *icmp = oip + 20;
		icmp[0] = 3;  /* destination unreachable */
		icmp[1] = 13; /* communication administratively prohibited */
		memcpy(icmp + 8, ip, quote);
		put16(icmp + 2, fold(sum16(icmp, 8 + quote, 0)));
		return ETH_HLEN + total;
	}
	if (type == ETHERTYPE_IPV6) {
		if (iplen < IPV6_HLEN || ip[24] == 0xff)
			return 0;
		if (ip[6] == IPPROTO_ICMPV6 && (iplen <= IPV6_HLEN || ip[IPV6_HLEN] < 128))
			return 0;
		/* An ICMPv6 error quotes as much as fits in the minimum MTU. */
		size_t quote = iplen < 1280 - IPV6_HLEN - 8 ? iplen : 1280 - IPV6_HLEN - 8;
		size_t plen = 8 + quote;
		if (ETH_HLEN + IPV6_HLEN + plen > cap)
			return 0;
		put16(out + 12, ETHERTYPE_IPV6);
		memset(oip, 0, IPV6_HLEN + 8);
		oip[0] = 0x60;
		put16(oip + 4, (uint16_t)plen);
		oip[6] = IPPROTO_ICMPV6;
		oip[7] = 64;
		memcpy(oip + 8, ip + 24, 16);
		memcpy(oip + 24, ip + 8, 16);
		uint8_t *icmp = oip + IPV6_HLEN;
		icmp[0] = 1; /* destination unreachable */
		icmp[1] = 1; /* communication administratively prohibited */
		memcpy(icmp + 8, ip, quote);
		/* The checksum covers a pseudo-header of both addresses, the
		 * length and the next-header value. */
		uint32_t sum = sum16(oip + 8, 32, 0);
		sum += (uint32_t)plen;
		sum += IPPROTO_ICMPV6;
		put16(icmp + 2, fold(sum16(icmp, plen, sum)));
		return ETH_HLEN + IPV6_HLEN + plen;
	}
	return 0;
}
