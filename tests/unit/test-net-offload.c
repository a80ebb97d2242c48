/* Unit tests for hutch-slirp's handling of frames the guest left offloads
 * in: which virtio-net headers are honoured, and that completed checksums
 * verify. */
#include <endian.h>
#include <linux/virtio_net.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "offload.h"

#define PAYLOAD 3000

static uint8_t frame[14 + 20 + 20 + PAYLOAD];

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 taken literally: big-endian 16-bit words, the last odd byte
 * padded with zero; returns the folded sum, not its complement. */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | (i + 1 < len ? p[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_checksum_matches_rfc1071(void **state)
{
	static uint8_t data[65536];
	srand(7);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rand();
	/* Every tail length, odd and even, at an odd address, and a large
	 * block. */
	for (size_t len = 0; len < 64; len++)
		assert_int_equal(offload_checksum(data + 1, len),
				 (uint16_t)~ref_sum(data + 1, len, 0));
	assert_int_equal(offload_checksum(data, sizeof(data)),
			 (uint16_t)~ref_sum(data, sizeof(data), 0));
	/* All ones: the 64-bit accumulator's carries fold back in. */
	memset(data, 0xff, sizeof(data));
	assert_int_equal(offload_checksum(data, sizeof(data)), 0);
}

/* An IPv4 TCP segment 10.0.2.100:40000 -> 10.0.2.2:80 with payload bytes,
 * its TCP checksum field holding the pseudo-header's sum as a sender
 * with a partial checksum leaves it. Returns the frame's length. */
static size_t tcp4(size_t payload)
{
	memset(frame, 0, 14 + 40);
	put16(frame + 12, 0x0800);
	uint8_t *ip = frame + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	put16(ip + 2, 40 + payload);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	const uint8_t addrs[8] = {10, 0, 2, 100, 10, 0, 2, 2};
	memcpy(ip + 12, addrs, 8);
	put16(tcp, 40000);
	put16(tcp + 2, 80);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	put16(tcp + 14, 65535);
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + 3);
	put16(tcp + 16, ref_sum(addrs, 8, 6 + 20 + (uint32_t)payload));
	return 14 + 40 + payload;
}

/* Does the TCP checksum of the frame verify, pseudo-header included? */
static bool tcp4_verifies(size_t len)
{
	const uint8_t *ip = frame + 14;
	uint32_t pseudo = ref_sum(ip + 12, 8, 6 + (uint32_t)(len - 34));
	return ref_sum(ip + 20, len - 34, pseudo) == 0xffff;
}

static void header(uint8_t *out, uint8_t flags, uint8_t gso_type, unsigned start, unsigned offset)
{
	struct virtio_net_hdr h = {
	    .flags = flags,
	    .gso_type = gso_type,
	    .hdr_len = htole16(54),
	    .gso_size = htole16(1460),
	    .csum_start = htole16(start),
	    .csum_offset = htole16(offset),
	};
	memcpy(out, &h, sizeof(h));
}

static void test_plain_frame_is_left_alone(void **state)
{
	uint8_t h[sizeof(struct virtio_net_hdr)];
	size_t len = tcp4(100);
	header(h, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0);
	uint8_t before[sizeof(frame)];
	memcpy(before, frame, len);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_PLAIN);
	assert_memory_equal(before, frame, len);
	/* "Checksum already verified" changes nothing either. */
	header(h, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_GSO_NONE, 0, 0);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_PLAIN);
	assert_memory_equal(before, frame, len);
}

static void test_partial_checksum_is_completed(void **state)
{
	uint8_t h[sizeof(struct virtio_net_hdr)];
	/* Odd and even payloads. */
	for (size_t payload = 0; payload < 6; payload++) {
		size_t len = tcp4(payload);
		assert_false(tcp4_verifies(len));
		header(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 34, 16);
		assert_int_equal(offload_complete(h, frame, len), OFFLOAD_COMPLETED);
		assert_true(tcp4_verifies(len));
	}
}

static void test_large_tcp4_segment_is_completed(void **state)
{
	uint8_t h[sizeof(struct virtio_net_hdr)];
	size_t len = tcp4(PAYLOAD);
	header(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 34, 16);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_SEGMENT);
	assert_true(tcp4_verifies(len));
	/* The segment stays one segment: lengths untouched. */
	assert_int_equal(get16(frame + 14 + 2), 40 + PAYLOAD);
}

static void test_forwarded_segment_gets_a_whole_checksum(void **state)
{
	uint8_t h[sizeof(struct virtio_net_hdr)];
	/* A segment merged by GRO and forwarded: no partial checksum, the
	 * field holding whatever the first segment had. */
	size_t len = tcp4(PAYLOAD);
	put16(frame + 34 + 16, 0x1234);
	header(h, VIRTIO_NET_HDR_F_DATA_VALID, VIRTIO_NET_HDR_GSO_TCPV4, 0, 0);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_SEGMENT);
	assert_true(tcp4_verifies(len));
	len = tcp4(PAYLOAD - 1);
	header(h, 0, VIRTIO_NET_HDR_GSO_TCPV4, 0, 0);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_SEGMENT);
	assert_true(tcp4_verifies(len));
}

static void test_headers_we_cannot_honour_are_refused(void **state)
{
	uint8_t h[sizeof(struct virtio_net_hdr)];
	size_t len = tcp4(PAYLOAD);
	const uint8_t partial = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	/* Segmentation we did not offer. */
	header(h, partial, VIRTIO_NET_HDR_GSO_TCPV6, 34, 16);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_BAD);
	header(h, partial, VIRTIO_NET_HDR_GSO_UDP, 34, 6);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_BAD);
	header(h, partial, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 34, 16);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_BAD);
	/* A TCPv4 GSO header on something else, or pointing elsewhere. */
	header(h, partial, VIRTIO_NET_HDR_GSO_TCPV4, 34, 6);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_BAD);
	header(h, partial, VIRTIO_NET_HDR_GSO_TCPV4, 34, 16);
	assert_int_equal(offload_complete(h, frame, len - 1), OFFLOAD_BAD);
	frame[14 + 9] = 17;
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_BAD);
	len = tcp4(PAYLOAD);
	put16(frame + 14 + 6, 0x2000); /* more fragments */
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_BAD);
	/* A checksum outside the frame or inside the Ethernet header. */
	len = tcp4(10);
	header(h, partial, VIRTIO_NET_HDR_GSO_NONE, 34, (unsigned)(len - 34 - 1));
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_BAD);
	header(h, partial, VIRTIO_NET_HDR_GSO_NONE, 12, 0);
	assert_int_equal(offload_complete(h, frame, len), OFFLOAD_BAD);
}

static void test_zero_checksum_is_sent_as_all_ones(void **state)
{
	uint8_t h[sizeof(struct virtio_net_hdr)];
	/* Two bytes summing to 0xffff: the checksum computes to 0, which
	 * for UDP would mean "no checksum". */
	memset(frame, 0, 16);
	frame[14] = 0xff;
	frame[15] = 0xff;
	header(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 14, 0);
	assert_int_equal(offload_complete(h, frame, 16), OFFLOAD_COMPLETED);
	assert_int_equal(get16(frame + 14), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksum_matches_rfc1071),
	    cmocka_unit_test(test_plain_frame_is_left_alone),
	    cmocka_unit_test(test_partial_checksum_is_completed),
	    cmocka_unit_test(test_large_tcp4_segment_is_completed),
	    cmocka_unit_test(test_forwarded_segment_gets_a_whole_checksum),
	    cmocka_unit_test(test_headers_we_cannot_honour_are_refused),
	    cmocka_unit_test(test_zero_checksum_is_sent_as_all_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
