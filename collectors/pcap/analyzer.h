/* SPDX-License-Identifier: MIT */
/*
 * The traffic analyzer: decoded packets in, per service port TCP health
 * (connections, unanswered SYNs, handshake RTT, retransmissions, zero
 * windows, resets, bytes), application response times (HTTP/1.x,
 * PostgreSQL, MySQL, TLS handshake and first data), top talkers and direct
 * server return VIP accounting out. The same engine serves the live pcap
 * collector and `chokepoint pcap FILE`. Not thread-safe: callers lock.
 */
#ifndef CHOKEPOINT_PCAP_ANALYZER_H
#define CHOKEPOINT_PCAP_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "lhist.h"

#define AN_MAX_PORTS 64
#define AN_MAX_VIPS 64
#define AN_MAX_IFACES 16

struct an_addr {
	uint8_t af; /* 4 or 6 */
	uint8_t a[16];
};

struct an_cfg {
	uint16_t ports[AN_MAX_PORTS]; /* service ports */
	size_t nports;
	struct an_addr vips[AN_MAX_VIPS];
	size_t nvips;
	size_t flow_memory;      /* bytes, hard cap of the flow table */
	size_t talker_slots;     /* distinct talkers per interval */
	int64_t syn_timeout_ns;  /* a SYN unanswered this long is counted */
	int64_t idle_timeout_ns; /* a silent flow is forgotten */
};

/* Defaults: ports 80 443 3306 5432 6379, 16 MiB of flows, 4096 talkers,
 * 3 s SYN timeout, 300 s idle timeout. */
void an_cfg_defaults(struct an_cfg *cfg);
/* Parse an IPv4 or IPv6 address; 0 or -EINVAL. */
int an_addr_parse(const char *s, struct an_addr *out);
/* Text form of an address into buf (at least 46 bytes); returns buf. */
const char *an_addr_format(
    uint8_t af, const uint8_t *a, char *buf, size_t size);

enum an_app { AN_HTTP, AN_POSTGRESQL, AN_MYSQL, AN_NAPPS };
/* "http", "postgresql", "mysql". */
const char *an_app_name(int app);

/* Per service port. Counters are cumulative; histograms cover the
 * interval since analyzer_reset_interval(). */
struct an_port {
	uint16_t port;
	uint64_t connections;    /* connection attempts (first SYN) */
	uint64_t established;    /* handshakes completed */
	uint64_t syn_unanswered; /* SYNs that got no SYN-ACK */
	uint64_t retransmits;    /* segments sent again, both ways */
	uint64_t zero_windows;   /* segments advertising window 0 */
	uint64_t resets;         /* connections reset (RST either way) */
	uint64_t packets_in, packets_out;
	uint64_t bytes_in, bytes_out; /* IP bytes to / from the port */
	uint64_t responses[AN_NAPPS]; /* requests answered */
	struct lhist handshake;       /* SYN -> client's ACK of SYN-ACK */
	struct lhist app[AN_NAPPS];   /* request -> first response byte */
	struct lhist tls_handshake;   /* ClientHello -> client app data */
	struct lhist tls_first_data;  /* client app data -> server's */
};

/* Direct server return: traffic for a VIP in, responses from it out. */
struct an_vip {
	struct an_addr addr;
	uint64_t req_packets, req_bytes;
	uint64_t resp_packets, resp_bytes;
};

struct an_iface {
	uint64_t packets, bytes; /* every frame seen, wire bytes */
	uint64_t non_ip, truncated, malformed;
};

struct an_talker {
	uint8_t iface;
	uint8_t af;
	uint8_t proto; /* 6 TCP, 17 UDP, other IP protocols */
	uint16_t port; /* the service (or lower) port; 0 without ports */
	uint8_t src[16], dst[16];
	uint64_t bytes, packets;
};

struct an_totals {
	uint64_t packets, ipv4, ipv6, vlan, tcp, udp, other_l4;
	uint64_t non_ip, truncated, malformed;
	uint64_t flow_evictions, talker_overflow_bytes;
	size_t flows, flow_capacity, flow_memory;
};

struct analyzer;

struct analyzer *analyzer_new(const struct an_cfg *cfg);
void analyzer_free(struct analyzer *an); /* takes NULL */

/*
 * One captured frame seen on interface index iface (< AN_MAX_IFACES) at
 * ts_ns (ns since the epoch), of link type linktype (DLT_*).
 */
void analyzer_packet(struct analyzer *an, unsigned iface, int64_t ts_ns,
    int linktype, const uint8_t *data, uint32_t caplen, uint32_t wirelen);
/*
 * Count SYNs left unanswered for the SYN timeout at now_ns; with final
 * set (end of a capture file) every one still waiting.
 */
void analyzer_expire(struct analyzer *an, int64_t now_ns, int final);
/* Clear histograms and talkers (the per-interval part). */
void analyzer_reset_interval(struct analyzer *an);

size_t analyzer_nports(const struct analyzer *an);
const struct an_port *analyzer_port(const struct analyzer *an, size_t i);
size_t analyzer_nvips(const struct analyzer *an);
const struct an_vip *analyzer_vip(const struct analyzer *an, size_t i);
const struct an_iface *analyzer_iface(
    const struct analyzer *an, unsigned iface);
void analyzer_totals(const struct analyzer *an, struct an_totals *t);
/* Up to n talkers with the most bytes this interval, largest first. */
size_t analyzer_top_talkers(
    const struct analyzer *an, struct an_talker *out, size_t n);

#endif
