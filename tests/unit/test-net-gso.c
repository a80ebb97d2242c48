/* Unit tests for hutch-slirp's GSO coalescing: which of slirp's segments
 * may be merged, and what the merged frame and its virtio-net header say. */
#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gso.h"

#define FLAG_PSH 0x08
#define FLAG_ACK 0x10
#define FLAG_SYN 0x02

static uint8_t frame[GSO_FRAME_MAX];

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A TCP header (port 80 to 40000, no options) and payload bytes that
 * follow the sequence number, so a merged frame shows any misplaced byte. */
static void fill_tcp(uint8_t *tcp, uint32_t seq, uint8_t flags, size_t payload)
{
	put16(tcp, 80);
	put16(tcp + 2, 40000);
	put32(tcp + 4, seq);
	put32(tcp + 8, 777);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 8192);
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(seq + i);
}

/* An IPv4 segment from 10.0.2.2:80 to 10.0.2.100:40000 with payload
 * bytes that count on from seq, so a merged frame can be checked. */
static size_t seg4(uint32_t seq, uint8_t flags, size_t payload)
{
	memset(frame, 0, 14 + 40);
	frame[12] = 0x08;
	uint8_t *ip = frame + 14;
	ip[0] = 0x45;
	put16(ip + 2, 40 + (uint32_t)payload);
	put16(ip + 4, seq & 0xffff); /* the id differs segment by segment */
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	inet_pton(AF_INET, "10.0.2.2", ip + 12);
	inet_pton(AF_INET, "10.0.2.100", ip + 16);
	uint8_t *tcp = ip + 20;
	fill_tcp(tcp, seq, flags, payload);
	put16(tcp + 16, seq * 3); /* a checksum that differs too */
	return 14 + 40 + payload;
}

static size_t seg6(uint32_t seq, uint8_t flags, size_t payload)
{
	memset(frame, 0, 14 + 60);
	frame[12] = 0x86;
	frame[13] = 0xdd;
	uint8_t *ip = frame + 14;
	ip[0] = 0x60;
	put16(ip + 4, 20 + (uint32_t)payload);
	ip[6] = 6;
	ip[7] = 64;
	inet_pton(AF_INET6, "fd00::2", ip + 8);
	inet_pton(AF_INET6, "fd00::100", ip + 24);
	fill_tcp(ip + 40, seq, flags, payload);
	return 14 + 60 + payload;
}

static uint16_t ip_checksum(const uint8_t *ip)
{
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += get16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_only_plain_data_segments_start_a_run(void **state)
{
	struct gso_run *run = calloc(1, sizeof(*run));
	assert_false(gso_start(run, frame, seg4(1000, FLAG_ACK, 0)));
	assert_false(gso_start(run, frame, seg4(1000, FLAG_ACK | FLAG_SYN, 10)));
	assert_false(gso_start(run, frame, seg4(1000, FLAG_ACK | FLAG_PSH, 10)));
	assert_false(gso_start(run, frame, seg4(1000, 0, 10)));
	size_t len = seg4(1000, FLAG_ACK, 10);
	frame[14] = 0x46; /* IP options */
	assert_false(gso_start(run, frame, len));
	/* A frame longer than its IP packet. */
	assert_false(gso_start(run, frame, seg4(1000, FLAG_ACK, 10) + 2));
	assert_int_equal(run->len, 0);
	assert_true(gso_start(run, frame, seg4(1000, FLAG_ACK, 10)));
	free(run);
}

static void test_ipv4_run_merges_into_one_gso_frame(void **state)
{
	struct gso_run *run = calloc(1, sizeof(*run));
	assert_true(gso_start(run, frame, seg4(1000, FLAG_ACK, 1460)));
	assert_true(gso_append(run, frame, seg4(2460, FLAG_ACK, 1460)));
	/* Out of order, or larger than the first: not part of the run. */
	assert_false(gso_append(run, frame, seg4(5000, FLAG_ACK, 1460)));
	assert_false(gso_append(run, frame, seg4(3920, FLAG_ACK, 1461)));
	/* Another acknowledgement number: not the same headers. */
	size_t len = seg4(3920, FLAG_ACK, 1460);
	put32(frame + 14 + 20 + 8, 778);
	assert_false(gso_append(run, frame, len));
	/* A short pushed segment ends the run. */
	assert_true(gso_append(run, frame, seg4(3920, FLAG_ACK | FLAG_PSH, 100)));
	assert_false(gso_append(run, frame, seg4(4020, FLAG_ACK, 100)));
	assert_int_equal(run->segs, 3);

	size_t total = gso_finish(run);
	assert_int_equal(total, 14 + 40 + 1460 * 2 + 100);
	assert_int_equal(run->len, 0);
	const uint8_t *ip = run->frame + 14, *tcp = ip + 20;
	assert_int_equal(get16(ip + 2), 40 + 1460 * 2 + 100);
	assert_int_equal(ip_checksum(ip), 0xffff);
	assert_int_equal(tcp[13], FLAG_ACK | FLAG_PSH);
	for (size_t i = 0; i < 1460 * 2 + 100; i++)
		assert_int_equal(tcp[20 + i], (uint8_t)(1000 + i));
	/* The pseudo-header sum: addresses, protocol, TCP length. */
	uint32_t sum = 0x0a00 + 0x0202 + 0x0a00 + 0x0264 + 6 + 20 + 1460 * 2 + 100;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(get16(tcp + 16), sum);
	struct virtio_net_hdr h;
	memcpy(&h, run->vnet_hdr, sizeof(h));
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(h.gso_size, 1460);
	assert_int_equal(h.hdr_len, 54);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.csum_offset, 16);
	free(run);
}

static void test_single_segment_goes_out_unchanged(void **state)
{
	struct gso_run *run = calloc(1, sizeof(*run));
	size_t len = seg4(1000, FLAG_ACK, 1460);
	uint8_t orig[14 + 40 + 1460];
	memcpy(orig, frame, len);
	assert_true(gso_start(run, frame, len));
	assert_int_equal(gso_finish(run), len);
	assert_memory_equal(run->frame, orig, len);
	static const uint8_t zero[GSO_VNET_HDR_LEN];
	assert_memory_equal(run->vnet_hdr, zero, sizeof(zero));
	free(run);
}

static void test_run_stays_within_64k(void **state)
{
	struct gso_run *run = calloc(1, sizeof(*run));
	uint32_t seq = 1;
	assert_true(gso_start(run, frame, seg4(seq, FLAG_ACK, 1460)));
	unsigned n = 1;
	while (gso_append(run, frame, seg4(seq + 1460 * n, FLAG_ACK, 1460)))
		n++;
	/* 40 + 44 * 1460 = 64280 fits, one more would not. */
	assert_int_equal(n, 44);
	assert_true(gso_finish(run) <= 14 + 65535);
	free(run);
}

static void test_ipv6_run(void **state)
{
	struct gso_run *run = calloc(1, sizeof(*run));
	assert_true(gso_start(run, frame, seg6(5, FLAG_ACK, 1440)));
	assert_false(gso_append(run, frame, seg4(1445, FLAG_ACK, 1440)));
	assert_true(gso_append(run, frame, seg6(1445, FLAG_ACK, 1440)));
	size_t total = gso_finish(run);
	assert_int_equal(total, 14 + 60 + 2880);
	assert_int_equal(get16(run->frame + 14 + 4), 20 + 2880);
	struct virtio_net_hdr h;
	memcpy(&h, run->vnet_hdr, sizeof(h));
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(h.csum_start, 54);
	assert_int_equal(h.hdr_len, 74);
	free(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_only_plain_data_segments_start_a_run),
	    cmocka_unit_test(test_ipv4_run_merges_into_one_gso_frame),
	    cmocka_unit_test(test_single_segment_goes_out_unchanged),
	    cmocka_unit_test(test_run_stays_within_64k),
	    cmocka_unit_test(test_ipv6_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
