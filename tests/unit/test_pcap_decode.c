// SPDX-License-Identifier: MIT
/*
 * Packet decoding of the pcap engine: link types, VLAN tags, IPv6
 * extension headers, and the line between truncated and malformed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/pcap/pkt.h"

/* Ethernet + IPv4 + TCP 10.0.0.1:40000 -> 10.0.0.2:80, 5 bytes payload. */
static size_t
eth_ipv4_tcp(uint8_t *f, int vlan_tags)
{
	size_t off = 12, ip;
	int i;

	memset(f, 0, 128);
	for (i = 0; i < vlan_tags; i++) {
		f[off] = i == 0 && vlan_tags > 1 ? 0x88 : 0x81;
		f[off + 1] = i == 0 && vlan_tags > 1 ? 0xa8 : 0x00;
		f[off + 2] = 0x00;
		f[off + 3] = (uint8_t)(10 + i);
		off += 4;
	}
	f[off] = 0x08;
	f[off + 1] = 0x00;
	ip = off + 2;
	f[ip] = 0x45;
	f[ip + 3] = 45; /* 20 + 20 + 5 */
	f[ip + 9] = 6;
	f[ip + 12] = 10, f[ip + 15] = 1;
	f[ip + 16] = 10, f[ip + 19] = 2;
	f[ip + 20] = 40000 >> 8, f[ip + 21] = 40000 & 255;
	f[ip + 23] = 80;
	f[ip + 24 + 3] = 7; /* seq 7 */
	f[ip + 32] = 5 << 4;
	f[ip + 33] = PKT_TCP_PSH | PKT_TCP_ACK;
	memcpy(f + ip + 40, "hello", 5);
	return ip + 45;
}

static void
ipv4_tcp_fields(void **state)
{
	uint8_t f[128];
	size_t n = eth_ipv4_tcp(f, 0);
	struct pkt p;

	(void)state;
	assert_int_equal(
	    pkt_decode(1, f, (uint32_t)n, (uint32_t)n, &p), PKT_IP);
	assert_int_equal(p.af, 4);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.seq, 7);
	assert_int_equal(p.ip_len, 45);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.payload_cap, 5);
	assert_memory_equal(p.payload, "hello", 5);
	assert_int_equal(p.nvlan, 0);
}

static void
vlan_and_qinq_tags(void **state)
{
	uint8_t f[128];
	size_t n;
	struct pkt p;

	(void)state;
	n = eth_ipv4_tcp(f, 1);
	assert_int_equal(
	    pkt_decode(1, f, (uint32_t)n, (uint32_t)n, &p), PKT_IP);
	assert_int_equal(p.nvlan, 1);
	assert_int_equal(p.vlan, 10);
	assert_int_equal(p.dport, 80);
	n = eth_ipv4_tcp(f, 2);
	assert_int_equal(
	    pkt_decode(1, f, (uint32_t)n, (uint32_t)n, &p), PKT_IP);
	assert_int_equal(p.nvlan, 2);
	assert_int_equal(p.vlan, 10);
	assert_int_equal(p.payload_len, 5);
}

static void
snaplen_cuts_payload_not_headers(void **state)
{
	uint8_t f[128];
	size_t n = eth_ipv4_tcp(f, 0);
	struct pkt p;

	(void)state;
	/* Two payload bytes captured of five: still a good packet. */
	assert_int_equal(
	    pkt_decode(1, f, (uint32_t)n - 3, (uint32_t)n, &p), PKT_IP);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.payload_cap, 2);
	/* The TCP header cut: truncated. */
	assert_int_equal(
	    pkt_decode(1, f, 14 + 20 + 10, (uint32_t)n, &p), PKT_TRUNCATED);
	/* The IP header cut. */
	assert_int_equal(pkt_decode(1, f, 20, (uint32_t)n, &p), PKT_TRUNCATED);
}

static void
impossible_lengths_are_malformed(void **state)
{
	uint8_t f[128];
	size_t n = eth_ipv4_tcp(f, 0);
	struct pkt p;

	(void)state;
	f[14 + 3] = 200; /* total length past the frame */
	assert_int_equal(
	    pkt_decode(1, f, (uint32_t)n, (uint32_t)n, &p), PKT_MALFORMED);
	f[14 + 3] = 45;
	f[14] = 0x44; /* header length 16 */
	assert_int_equal(
	    pkt_decode(1, f, (uint32_t)n, (uint32_t)n, &p), PKT_MALFORMED);
	f[14] = 0x45;
	f[14 + 32] = 3 << 4; /* TCP data offset 12 bytes */
	assert_int_equal(
	    pkt_decode(1, f, (uint32_t)n, (uint32_t)n, &p), PKT_MALFORMED);
	f[14 + 32] = 15 << 4; /* TCP header longer than the datagram */
	assert_int_equal(
	    pkt_decode(1, f, (uint32_t)n, (uint32_t)n, &p), PKT_MALFORMED);
}

static void
ipv6_extension_headers_and_fragments(void **state)
{
	uint8_t f[128];
	struct pkt p;
	size_t ip = 14;

	(void)state;
	memset(f, 0, sizeof(f));
	f[12] = 0x86, f[13] = 0xdd;
	f[ip] = 0x60;
	f[ip + 5] = 8 + 8 + 20; /* hop-by-hop, fragment, TCP */
	f[ip + 6] = 0;          /* hop-by-hop */
	f[ip + 8] = 0xfd, f[ip + 23] = 1;
	f[ip + 24] = 0xfd, f[ip + 39] = 2;
	f[ip + 40] = 44;     /* next: fragment, length 0 (8 bytes) */
	f[ip + 48] = 6;      /* next: TCP, offset 0 */
	f[ip + 56 + 1] = 80; /* sport 80 */
	f[ip + 56 + 3] = 99; /* dport 99 */
	f[ip + 56 + 12] = 5 << 4;
	f[ip + 56 + 13] = PKT_TCP_SYN | PKT_TCP_ACK;
	assert_int_equal(pkt_decode(1, f, 14 + 76, 14 + 76, &p), PKT_IP);
	assert_int_equal(p.af, 6);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 80);
	assert_int_equal(p.dport, 99);
	assert_int_equal(p.tcp_flags, PKT_TCP_SYN | PKT_TCP_ACK);
	assert_int_equal(p.payload_len, 0);
	/* A later fragment: IP, but no transport header to read. */
	f[ip + 50] = 0x01;
	assert_int_equal(pkt_decode(1, f, 14 + 76, 14 + 76, &p), PKT_IP);
	assert_int_equal(p.l4, 0);
	assert_int_equal(p.dport, 0);
	/* Extension header claiming more than the payload. */
	f[ip + 50] = 0;
	f[ip + 41] = 20;
	assert_int_equal(pkt_decode(1, f, 14 + 76, 14 + 76, &p), PKT_MALFORMED);
}

static void
other_link_types(void **state)
{
	uint8_t f[128], g[128];
	size_t n = eth_ipv4_tcp(f, 0) - 14;
	struct pkt p;

	(void)state;
	/* Raw IP (DLT_RAW and LINKTYPE_RAW). */
	assert_int_equal(
	    pkt_decode(12, f + 14, (uint32_t)n, (uint32_t)n, &p), PKT_IP);
	assert_int_equal(
	    pkt_decode(101, f + 14, (uint32_t)n, (uint32_t)n, &p), PKT_IP);
	assert_int_equal(p.dport, 80);
	/* Linux cooked (DLT_LINUX_SLL): protocol at offset 14. */
	memset(g, 0, 16);
	g[14] = 0x08;
	memcpy(g + 16, f + 14, n);
	assert_int_equal(
	    pkt_decode(113, g, (uint32_t)n + 16, (uint32_t)n + 16, &p), PKT_IP);
	assert_int_equal(p.sport, 40000);
	/* BSD loopback (DLT_NULL), little-endian AF_INET. */
	memset(g, 0, 4);
	g[0] = 2;
	memcpy(g + 4, f + 14, n);
	assert_int_equal(
	    pkt_decode(0, g, (uint32_t)n + 4, (uint32_t)n + 4, &p), PKT_IP);
	/* ARP over Ethernet: not IP. */
	f[12] = 0x08, f[13] = 0x06;
	assert_int_equal(pkt_decode(1, f, 60, 60, &p), PKT_OTHER);
	/* A link type we do not know: not IP, not an error. */
	assert_int_equal(pkt_decode(147, f, 60, 60, &p), PKT_OTHER);
	assert_int_equal(pkt_linktype_supported(147), 0);
	assert_int_equal(pkt_linktype_supported(1), 1);
}

static void
every_prefix_of_a_frame_is_safe(void **state)
{
	uint8_t f[128];
	size_t n = eth_ipv4_tcp(f, 2), i;
	struct pkt p;

	(void)state;
	/* Under ASan this reads nothing past each prefix. */
	for (i = 0; i <= n; i++) {
		enum pkt_result r =
		    pkt_decode(1, f, (uint32_t)i, (uint32_t)n, &p);

		if (i < n - 5)
			assert_int_equal(r, PKT_TRUNCATED);
		else
			assert_int_equal(r, PKT_IP);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ipv4_tcp_fields),
	    cmocka_unit_test(vlan_and_qinq_tags),
	    cmocka_unit_test(snaplen_cuts_payload_not_headers),
	    cmocka_unit_test(impossible_lengths_are_malformed),
	    cmocka_unit_test(ipv6_extension_headers_and_fragments),
	    cmocka_unit_test(other_link_types),
	    cmocka_unit_test(every_prefix_of_a_frame_is_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
