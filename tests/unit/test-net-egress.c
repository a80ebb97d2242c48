/* Unit tests for the egress classifier of hutch-slirp: frames built by
 * hand, the verdict and what the refusal frame looks like. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "egress.h"
#include "options.h"

static const uint8_t guest_mac[6] = {0x02, 0, 0, 0, 0, 0x64};
static const uint8_t slirp_mac[6] = {0x52, 0x55, 0x0a, 0, 0x02, 0x02};

/* Ethernet + IPv4 + 8 bytes of a TCP/UDP header (ports only). */
static size_t ipv4_frame(uint8_t *f, uint8_t proto, const char *src, const char *dst,
			 uint16_t dport)
{
	memset(f, 0, 64);
	memcpy(f, slirp_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = 28;
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	ip[20] = 0x9c;
	ip[21] = 0x40;
	ip[22] = (uint8_t)(dport >> 8);
	ip[23] = (uint8_t)dport;
	return 14 + 28;
}

/* Ethernet + IPv6 + 8 bytes of the upper header. */
static size_t ipv6_frame(uint8_t *f, uint8_t nh, const char *src, const char *dst, uint16_t dport,
			 uint8_t icmp_type)
{
	memset(f, 0, 128);
	memcpy(f, slirp_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	ip[0] = 0x60;
	ip[5] = 8;
	ip[6] = nh;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	if (nh == IPPROTO_ICMPV6) {
		ip[40] = icmp_type;
	} else {
		ip[42] = (uint8_t)(dport >> 8);
		ip[43] = (uint8_t)dport;
	}
	return 14 + 48;
}

struct fixture {
	struct net_options opts;
	struct egress *egress;
};

static int setup_policy(void **state, bool disable_dns)
{
	static struct fixture fx;
	char *argv[] = {
	    "hutch-slirp", "--outbound-allow=10.0.2.2/32",	 "--outbound-allow=fd00::2",
	    "-6",	   disable_dns ? "--disable-dns" : "-c", "1",
	    NULL};
	hutch_error err = {0};
	if (net_options_parse(6, argv, "hutch-slirp", &fx.opts, &err) < 0)
		return -1;
	fx.egress = egress_new(&fx.opts);
	*state = &fx;
	return fx.egress == NULL ? -1 : 0;
}

static int setup(void **state)
{
	return setup_policy(state, false);
}

static int setup_no_dns(void **state)
{
	return setup_policy(state, true);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	egress_free(fx->egress);
	net_options_free(&fx->opts);
	return 0;
}

static void test_no_policy_without_allow_list(void **state)
{
	char *argv[] = {"hutch-slirp", "1", NULL};
	struct net_options o;
	hutch_error err = {0};
	assert_int_equal(net_options_parse(2, argv, "hutch-slirp", &o, &err), 0);
	assert_null(egress_new(&o));
	net_options_free(&o);
}

static void test_allowed_and_denied_ipv4(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct egress_packet p;
	size_t n = ipv4_frame(f, IPPROTO_TCP, "10.0.2.100", "10.0.2.2", 8080);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_PASS);
	assert_int_equal(p.dport, 8080);

	n = ipv4_frame(f, IPPROTO_TCP, "10.0.2.100", "192.0.2.1", 443);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.protocol, IPPROTO_TCP);
	assert_int_equal(p.dport, 443);
	char what[96];
	egress_describe(&p, what, sizeof(what));
	assert_string_equal(what, "tcp 192.0.2.1:443");

	/* Another address of the guest network is not the host. */
	n = ipv4_frame(f, IPPROTO_UDP, "10.0.2.100", "10.0.2.50", 9);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
	n = ipv4_frame(f, IPPROTO_ICMP, "10.0.2.100", "10.0.2.50", 0);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
}

static void test_slirp_services_pass(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct egress_packet p;
	size_t n = ipv4_frame(f, IPPROTO_UDP, "10.0.2.100", "10.0.2.3", 53);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_PASS);
	n = ipv4_frame(f, IPPROTO_TCP, "10.0.2.100", "10.0.2.3", 53);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_PASS);
	/* Only DNS at the DNS address. */
	n = ipv4_frame(f, IPPROTO_TCP, "10.0.2.100", "10.0.2.3", 80);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
	n = ipv4_frame(f, IPPROTO_UDP, "0.0.0.0", "255.255.255.255", 67);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_PASS);
	n = ipv6_frame(f, IPPROTO_UDP, "fd00::100", "fd00::3", 53, 0);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_PASS);
	/* Neighbour solicitation to a solicited-node multicast address. */
	n = ipv6_frame(f, IPPROTO_ICMPV6, "fd00::100", "ff02::1:ff00:2", 0, 135);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_PASS);
	/* ARP is not IP: it goes to slirp. */
	memset(f, 0, 60);
	f[12] = 0x08;
	f[13] = 0x06;
	assert_int_equal(egress_classify(fx->egress, f, 60, &p), EGRESS_PASS);
}

static void test_dns_denied_when_disabled(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct egress_packet p;
	size_t n = ipv4_frame(f, IPPROTO_UDP, "10.0.2.100", "10.0.2.3", 53);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
}

static void test_ipv6(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct egress_packet p;
	size_t n = ipv6_frame(f, IPPROTO_TCP, "fd00::100", "fd00::2", 80, 0);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_PASS);
	n = ipv6_frame(f, IPPROTO_TCP, "fd00::100", "2001:db8::1", 80, 0);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
	char what[96];
	egress_describe(&p, what, sizeof(what));
	assert_string_equal(what, "tcp [2001:db8::1]:80");
	/* An echo request is not neighbour discovery. */
	n = ipv6_frame(f, IPPROTO_ICMPV6, "fd00::100", "2001:db8::1", 0, 128);
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
}

static void test_malformed_frames_are_denied(void **state)
{
	struct fixture *fx = *state;
	uint8_t f[256];
	struct egress_packet p;
	size_t n = ipv4_frame(f, IPPROTO_TCP, "10.0.2.100", "10.0.2.2", 80);
	assert_int_equal(egress_classify(fx->egress, f, 10, &p), EGRESS_DENY);
	assert_int_equal(egress_classify(fx->egress, f, 14 + 19, &p), EGRESS_DENY);
	f[14] = 0x4f; /* header length 60 > frame */
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
	f[14] = 0x65; /* version 6 in an IPv4 frame */
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
	n = ipv6_frame(f, 0 /* hop-by-hop */, "fd00::100", "fd00::2", 80, 0);
	f[14 + 40 + 1] = 200; /* extension header longer than the frame */
	assert_int_equal(egress_classify(fx->egress, f, n, &p), EGRESS_DENY);
}

static uint16_t checksum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_reject_ipv4(void **state)
{
	uint8_t f[256], r[2048];
	size_t n = ipv4_frame(f, IPPROTO_TCP, "10.0.2.100", "192.0.2.1", 443);
	size_t rl = egress_build_reject(f, n, r, sizeof(r));
	assert_int_equal(rl, 14 + 20 + 8 + 28);
	assert_memory_equal(r, guest_mac, 6);
	assert_memory_equal(r + 6, slirp_mac, 6);
	const uint8_t *ip = r + 14;
	assert_int_equal(ip[9], IPPROTO_ICMP);
	assert_memory_equal(ip + 12, f + 14 + 16, 4);
	assert_memory_equal(ip + 16, f + 14 + 12, 4);
	assert_int_equal(checksum(ip, 20, 0), 0xffff);
	assert_int_equal(ip[20], 3);
	assert_int_equal(ip[21], 13);
	assert_int_equal(checksum(ip + 20, rl - 14 - 20, 0), 0xffff);
	assert_memory_equal(ip + 28, f + 14, 28);

	/* No answer to an ICMP error or to a broadcast. */
	n = ipv4_frame(f, IPPROTO_ICMP, "10.0.2.100", "192.0.2.1", 0);
	f[14 + 20] = 3;
	assert_int_equal(egress_build_reject(f, n, r, sizeof(r)), 0);
	n = ipv4_frame(f, IPPROTO_UDP, "10.0.2.100", "10.0.2.255", 9);
	memset(f, 0xff, 6);
	assert_int_equal(egress_build_reject(f, n, r, sizeof(r)), 0);
	/* An echo request is answered. */
	n = ipv4_frame(f, IPPROTO_ICMP, "10.0.2.100", "192.0.2.1", 0);
	f[14 + 20] = 8;
	assert_true(egress_build_reject(f, n, r, sizeof(r)) > 0);
}

static void test_reject_ipv6(void **state)
{
	uint8_t f[256], r[2048];
	size_t n = ipv6_frame(f, IPPROTO_TCP, "fd00::100", "2001:db8::1", 80, 0);
	size_t rl = egress_build_reject(f, n, r, sizeof(r));
	assert_int_equal(rl, 14 + 40 + 8 + 48);
	const uint8_t *ip = r + 14;
	assert_int_equal(ip[6], IPPROTO_ICMPV6);
	assert_memory_equal(ip + 8, f + 14 + 24, 16);
	assert_memory_equal(ip + 24, f + 14 + 8, 16);
	assert_int_equal(ip[40], 1);
	assert_int_equal(ip[41], 1);
	uint32_t pseudo = checksum(ip + 8, 32, 0);
	pseudo += (uint32_t)(rl - 14 - 40) + IPPROTO_ICMPV6;
	assert_int_equal(checksum(ip + 40, rl - 14 - 40, pseudo), 0xffff);
	/* Not to multicast destinations, not to ICMPv6 errors. */
	n = ipv6_frame(f, IPPROTO_UDP, "fd00::100", "ff05::1", 9, 0);
	assert_int_equal(egress_build_reject(f, n, r, sizeof(r)), 0);
	n = ipv6_frame(f, IPPROTO_ICMPV6, "fd00::100", "2001:db8::1", 0, 1);
	assert_int_equal(egress_build_reject(f, n, r, sizeof(r)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_policy_without_allow_list),
	    cmocka_unit_test_setup_teardown(test_allowed_and_denied_ipv4, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slirp_services_pass, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dns_denied_when_disabled, setup_no_dns, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_frames_are_denied, setup, teardown),
	    cmocka_unit_test(test_reject_ipv4),
	    cmocka_unit_test(test_reject_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
