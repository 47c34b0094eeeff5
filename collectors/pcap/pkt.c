// SPDX-License-Identifier: MIT
/*
 * Frame decoding for the traffic analyzer: link layer, VLAN tags, IPv4 and
 * IPv6 (with extension headers), TCP and UDP. The first stage of the pcap
 * pipeline; everything after it trusts only the fields of struct pkt.
 */
#include <string.h>

#include "pkt.h"

/* DLT_* values (pcap/dlt.h), spelled out so the fuzz target and the
 * decoder need no libpcap headers. */
enum {
	LT_NULL = 0,
	LT_EN10MB = 1,
	LT_RAW_A = 12,
	LT_RAW_B = 14,
	LT_RAW_LINKTYPE = 101,
	LT_LOOP = 108,
	LT_LINUX_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
};

#define ETH_IPV4 0x0800u
#define ETH_IPV6 0x86ddu
#define MAX_VLAN_TAGS 4

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int
pkt_linktype_supported(int linktype)
{
	switch (linktype) {
	case LT_NULL:
	case LT_EN10MB:
	case LT_RAW_A:
	case LT_RAW_B:
	case LT_RAW_LINKTYPE:
	case LT_LOOP:
	case LT_LINUX_SLL:
	case LT_IPV4:
	case LT_IPV6:
	case LT_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

/* TCP or UDP header at d (cap captured bytes, len bytes by IP lengths). */
static enum pkt_result
decode_l4(const uint8_t *d, uint32_t cap, uint32_t len, struct pkt *p)
{
	uint32_t hl;

	if (p->proto == 6) {
		if (len < 20)
			return PKT_MALFORMED;
		if (cap < 20)
			return PKT_TRUNCATED;
		hl = (uint32_t)(d[12] >> 4) * 4;
		if (hl < 20 || hl > len)
			return PKT_MALFORMED;
		if (hl > cap)
			return PKT_TRUNCATED;
		p->sport = rd16(d);
		p->dport = rd16(d + 2);
		p->seq = rd32(d + 4);
		p->ack = rd32(d + 8);
		p->tcp_flags = d[13] & 0x3f;
		p->win = rd16(d + 14);
	} else if (p->proto == 17) {
		if (len < 8)
			return PKT_MALFORMED;
		if (cap < 8)
			return PKT_TRUNCATED;
		hl = 8;
		p->sport = rd16(d);
		p->dport = rd16(d + 2);
	} else {
		return PKT_IP;
	}
	p->l4 = 1;
	p->payload_len = len - hl;
	p->payload_cap = cap - hl < p->payload_len ? cap - hl : p->payload_len;
	p->payload = d + hl;
	return PKT_IP;
}

static enum pkt_result
decode_ipv4(const uint8_t *d, uint32_t cap, uint32_t wire, struct pkt *p)
{
	uint32_t hl, total, frag;

	if (cap < 20)
		return wire < 20 ? PKT_MALFORMED : PKT_TRUNCATED;
	if (d[0] >> 4 != 4)
		return PKT_MALFORMED;
	hl = (uint32_t)(d[0] & 0x0f) * 4;
	total = rd16(d + 2);
	if (hl < 20 || total < hl || total > wire)
		return PKT_MALFORMED;
	if (hl > cap)
		return PKT_TRUNCATED;
	p->af = 4;
	p->ip_len = total;
	p->proto = d[9];
	memcpy(p->src, d + 12, 4);
	memcpy(p->dst, d + 16, 4);
	/* Only the first fragment carries the transport header (RFC 791). */
	frag = rd16(d + 6) & 0x1fff;
	if (frag != 0)
		return PKT_IP;
	if (cap > total)
		cap = total; /* Ethernet padding */
	return decode_l4(d + hl, cap - hl, total - hl, p);
}

static enum pkt_result
decode_ipv6(const uint8_t *d, uint32_t cap, uint32_t wire, struct pkt *p)
{
	uint32_t plen, off, len, hl;
	uint8_t nh;
	int hops;

	if (cap < 40)
		return wire < 40 ? PKT_MALFORMED : PKT_TRUNCATED;
	if (d[0] >> 4 != 6)
		return PKT_MALFORMED;
	plen = rd16(d + 4);
	/* Jumbograms (payload length 0, RFC 2675) never cross a capture
	 * of ordinary links; treat them as malformed rather than guess. */
	if (40 + plen > wire || (plen == 0 && d[6] != 59))
		return PKT_MALFORMED;
	p->af = 6;
	p->ip_len = 40 + plen;
	memcpy(p->src, d + 8, 16);
	memcpy(p->dst, d + 24, 16);
	if (cap > 40 + plen)
		cap = 40 + plen;
	nh = d[6];
	off = 40;
	/* Walk the extension headers (RFC 8200 4.1) to the transport. */
	for (hops = 0; hops < 8; hops++) {
		len = 40 + plen - off;
		switch (nh) {
		case 0:  /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (len < 8)
				return PKT_MALFORMED;
			if (cap < off + 8)
				return PKT_TRUNCATED;
			hl = ((uint32_t)d[off + 1] + 1) * 8;
			break;
		case 51: /* AH: length in 4-byte units minus 2 */
			if (len < 8)
				return PKT_MALFORMED;
			if (cap < off + 8)
				return PKT_TRUNCATED;
			hl = ((uint32_t)d[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (len < 8)
				return PKT_MALFORMED;
			if (cap < off + 8)
				return PKT_TRUNCATED;
			if ((rd16(d + off + 2) & 0xfff8) != 0) {
				p->proto = d[off];
				return PKT_IP; /* not the first fragment */
			}
			hl = 8;
			break;
		default:
			p->proto = nh;
			if (off > cap)
				return PKT_TRUNCATED;
			return decode_l4(d + off, cap - off, len, p);
		}
		if (hl > len)
			return PKT_MALFORMED;
		nh = d[off];
		off += hl;
	}
	return PKT_MALFORMED; /* an absurd chain of extension headers */
}

static enum pkt_result
decode_ip(const uint8_t *d, uint32_t cap, uint32_t wire, struct pkt *p)
{
	if (cap < 1)
		return wire < 1 ? PKT_MALFORMED : PKT_TRUNCATED;
	switch (d[0] >> 4) {
	case 4:
		return decode_ipv4(d, cap, wire, p);
	case 6:
		return decode_ipv6(d, cap, wire, p);
	default:
		return PKT_MALFORMED;
	}
}

/* An EtherType at d[off - 2]; skips VLAN tags, then decodes IP. */
static enum pkt_result
decode_ethertype(
    const uint8_t *d, uint32_t cap, uint32_t wire, uint32_t off, struct pkt *p)
{
	uint16_t type = rd16(d + off - 2);

	while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
		if (p->nvlan == MAX_VLAN_TAGS)
			return PKT_MALFORMED;
		if (off + 4 > wire)
			return PKT_MALFORMED;
		if (off + 4 > cap)
			return PKT_TRUNCATED;
		if (p->nvlan++ == 0)
			p->vlan = rd16(d + off) & 0x0fff;
		type = rd16(d + off + 2);
		off += 4;
	}
	/* Callers and the loop above guarantee off <= cap <= wire. */
	if (type == ETH_IPV4)
		return decode_ipv4(d + off, cap - off, wire - off, p);
	if (type == ETH_IPV6)
		return decode_ipv6(d + off, cap - off, wire - off, p);
	return PKT_OTHER;
}

enum pkt_result
pkt_decode(
    int linktype, const uint8_t *d, uint32_t cap, uint32_t wire, struct pkt *p)
{
	uint32_t af;

	memset(p, 0, sizeof(*p));
	if (wire < cap)
		wire = cap; /* a writer that got orig_len wrong */
	switch (linktype) {
	case LT_EN10MB:
		if (cap < 14)
			return wire < 14 ? PKT_MALFORMED : PKT_TRUNCATED;
		return decode_ethertype(d, cap, wire, 14, p);
	case LT_LINUX_SLL:
		if (cap < 16)
			return wire < 16 ? PKT_MALFORMED : PKT_TRUNCATED;
		return decode_ethertype(d, cap, wire, 16, p);
	case LT_LINUX_SLL2:
		if (cap < 20)
			return wire < 20 ? PKT_MALFORMED : PKT_TRUNCATED;
		/* The protocol comes first in SLL2; move it where
		 * decode_ethertype() looks by checking it here. */
		if (rd16(d) == ETH_IPV4)
			return decode_ipv4(d + 20, cap - 20, wire - 20, p);
		if (rd16(d) == ETH_IPV6)
			return decode_ipv6(d + 20, cap - 20, wire - 20, p);
		return PKT_OTHER;
	case LT_NULL:
	case LT_LOOP:
		if (cap < 4)
			return wire < 4 ? PKT_MALFORMED : PKT_TRUNCATED;
		/* DLT_NULL is in the writer's byte order: accept both. */
		af = linktype == LT_LOOP ? rd32(d) : d[0] != 0 ? d[0] : d[3];
		if (af == 2)
			return decode_ipv4(d + 4, cap - 4, wire - 4, p);
		if (af == 10 || af == 24 || af == 28 || af == 30)
			return decode_ipv6(d + 4, cap - 4, wire - 4, p);
		return PKT_OTHER;
	case LT_RAW_A:
	case LT_RAW_B:
	case LT_RAW_LINKTYPE:
		return decode_ip(d, cap, wire, p);
	case LT_IPV4:
		return decode_ipv4(d, cap, wire, p);
	case LT_IPV6:
		return decode_ipv6(d, cap, wire, p);
	default:
		return PKT_OTHER;
	}
}
