/* Unit tests for the pure-ACK recognition behind hutch-slirp's ACK
 * coalescing: only payload-free ACK-only segments count, and only a
 * strictly newer acknowledgement of the same connection supersedes. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ack.h"

/* Ethernet + IPv4 + TCP (20 bytes) + payload bytes. */
static size_t tcp4(uint8_t *f, uint8_t flags, uint32_t ack, uint16_t sport, size_t payload)
{
	memset(f, 0, 128);
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	size_t total = 20 + 20 + payload;
	ip[2] = (uint8_t)(total >> 8);
	ip[3] = (uint8_t)total;
	ip[6] = 0x40; /* don't fragment */
	ip[9] = 6;
	inet_pton(AF_INET, "10.0.2.2", ip + 12);
	inet_pton(AF_INET, "10.0.2.100", ip + 16);
	uint8_t *tcp = ip + 20;
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = 0x9c;
	tcp[3] = 0x40;
	tcp[8] = (uint8_t)(ack >> 24);
	tcp[9] = (uint8_t)(ack >> 16);
	tcp[10] = (uint8_t)(ack >> 8);
	tcp[11] = (uint8_t)ack;
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	tcp[14] = 0xff;
	return 14 + total;
}

static void test_pure_ack_recognised(void **state)
{
	uint8_t f[128];
	struct tcp_ack a;
	size_t n = tcp4(f, 0x10, 1000, 80, 0);
	assert_true(ack_parse(f, n, &a));
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.ack, 1000);
	assert_int_equal(a.sport, 80);
	/* Ethernet padding after the IP packet does not matter. */
	assert_true(ack_parse(f, 60, &a));
}

static void test_not_pure_acks(void **state)
{
	uint8_t f[128];
	struct tcp_ack a;
	assert_false(ack_parse(f, tcp4(f, 0x10, 1, 80, 1), &a)); /* payload */
	assert_false(ack_parse(f, tcp4(f, 0x11, 1, 80, 0), &a)); /* FIN */
	assert_false(ack_parse(f, tcp4(f, 0x12, 1, 80, 0), &a)); /* SYN */
	assert_false(ack_parse(f, tcp4(f, 0x14, 1, 80, 0), &a)); /* RST */
	assert_false(ack_parse(f, tcp4(f, 0x18, 1, 80, 0), &a)); /* PSH */
	assert_false(ack_parse(f, tcp4(f, 0x50, 1, 80, 0), &a)); /* ECE */
	size_t n = tcp4(f, 0x10, 1, 80, 0);
	f[14 + 9] = 17; /* UDP */
	assert_false(ack_parse(f, n, &a));
	n = tcp4(f, 0x10, 1, 80, 0);
	f[14 + 6] = 0x20; /* a fragment */
	assert_false(ack_parse(f, n, &a));
	n = tcp4(f, 0x10, 1, 80, 0);
	assert_false(ack_parse(f, 30, &a)); /* truncated */
	f[12] = 0x08;
	f[13] = 0x06; /* ARP */
	assert_false(ack_parse(f, n, &a));
}

static void test_supersedes(void **state)
{
	uint8_t f[128];
	struct tcp_ack older, newer, other;
	ack_parse(f, tcp4(f, 0x10, 1000, 80, 0), &older);
	ack_parse(f, tcp4(f, 0x10, 2000, 80, 0), &newer);
	ack_parse(f, tcp4(f, 0x10, 3000, 81, 0), &other);
	assert_true(ack_supersedes(&newer, &older));
	assert_false(ack_supersedes(&older, &newer));
	/* A duplicate ACK asks for a retransmission: never dropped. */
	assert_false(ack_supersedes(&older, &older));
	assert_false(ack_supersedes(&other, &older)); /* another connection */
	/* Across the wrap of the sequence space. */
	ack_parse(f, tcp4(f, 0x10, 0xfffffff0u, 80, 0), &older);
	ack_parse(f, tcp4(f, 0x10, 0x10, 80, 0), &newer);
	assert_true(ack_supersedes(&newer, &older));
	assert_false(ack_supersedes(&older, &newer));
}

static void test_ipv6(void **state)
{
	uint8_t f[128] = {0};
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	ip[0] = 0x60;
	ip[5] = 20;
	ip[6] = 6;
	inet_pton(AF_INET6, "fd00::2", ip + 8);
	inet_pton(AF_INET6, "fd00::100", ip + 24);
	uint8_t *tcp = ip + 40;
	tcp[11] = 7;
	tcp[12] = 5 << 4;
	tcp[13] = 0x10;
	struct tcp_ack a;
	assert_true(ack_parse(f, 14 + 40 + 20, &a));
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.ack, 7);
	ip[5] = 21; /* one byte of payload */
	assert_false(ack_parse(f, 14 + 40 + 21, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pure_ack_recognised),
	    cmocka_unit_test(test_not_pure_acks),
	    cmocka_unit_test(test_supersedes),
	    cmocka_unit_test(test_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
