/* SPDX-License-Identifier: MIT */
/*
 * Packet decoding for traffic analysis: one captured frame (Ethernet with
 * VLAN tags, Linux cooked, raw IP, BSD loopback) to the IPv4/IPv6 and
 * TCP/UDP fields the analyzer needs. Input is untrusted: every length is
 * checked against what was captured, nothing is ever read past caplen.
 */
#ifndef CHOKEPOINT_PCAP_PKT_H
#define CHOKEPOINT_PCAP_PKT_H

#include <stdint.h>

/* What pkt_decode() found. */
enum pkt_result {
	PKT_IP = 0,        /* an IPv4/IPv6 packet, fields filled */
	PKT_OTHER = 1,     /* well-formed but not IP (ARP, LLDP...) */
	PKT_TRUNCATED = 2, /* headers cut short by the capture */
	PKT_MALFORMED = 3, /* impossible lengths or versions */
};

#define PKT_TCP_FIN 0x01u
#define PKT_TCP_SYN 0x02u
#define PKT_TCP_RST 0x04u
#define PKT_TCP_PSH 0x08u
#define PKT_TCP_ACK 0x10u

struct pkt {
	uint8_t af;        /* 4 or 6 */
	uint8_t proto;     /* IP protocol of the transport (6 TCP, 17 UDP) */
	uint8_t tcp_flags; /* PKT_TCP_* */
	uint8_t nvlan;     /* VLAN tags seen (802.1Q / 802.1ad) */
	uint16_t vlan;     /* outermost VLAN id, 0 if none */
	uint16_t sport, dport;    /* 0 unless TCP or UDP (first fragment) */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint32_t ip_len;          /* L3 length from the IP header(s) */
	uint32_t seq, ack;        /* TCP */
	uint16_t win;             /* TCP window field (unscaled) */
	uint8_t l4;               /* 1: transport header decoded */
	uint32_t payload_len;     /* transport payload by the IP lengths */
	uint32_t payload_cap;     /* of which captured */
	const uint8_t *payload;   /* into the frame; payload_cap bytes */
};

/*
 * Decode one frame of link type linktype (a DLT_* value as pcap_datalink()
 * returns). caplen bytes are readable at data; wirelen is the length on
 * the wire. Fills p when the result is PKT_IP.
 */
enum pkt_result pkt_decode(int linktype, const uint8_t *data, uint32_t caplen,
    uint32_t wirelen, struct pkt *p);

/* Whether pkt_decode() understands this link type. */
int pkt_linktype_supported(int linktype);

#endif
