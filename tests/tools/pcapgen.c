// SPDX-License-Identifier: MIT
/*
 * pcapgen: writes capture files of crafted packets for the pcap tests and
 * benchmark. `health` is a scripted set of conversations whose counts and
 * delays the tests know exactly (see tests/integration/pcap_offline.sh);
 * `bench N` is N packets of concurrent HTTP traffic; `junk` is malformed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

struct out {
	pcap_dumper_t *d;
	uint64_t packets;
	uint8_t buf[70000];
};

struct conv {
	int af;              /* 4 or 6 */
	uint8_t addr[2][16]; /* [0] client, [1] server */
	uint16_t port[2];
	uint32_t seq[2];
	uint16_t win[2];
	uint16_t vlan;
};

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
write_frame(struct out *o, int64_t ts_us, const uint8_t *f, uint32_t caplen,
    uint32_t len)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = ts_us / 1000000;
	h.ts.tv_usec = ts_us % 1000000;
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)o->d, &h, f);
	o->packets++;
}

/* Ethernet (+ VLAN) + IP + transport header; returns the IP offset. */
static size_t
l2(uint8_t *b, int af, uint16_t vlan)
{
	size_t off = 12;

	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (vlan) {
		put16(b + off, 0x8100);
		put16(b + off + 2, vlan);
		off += 4;
	}
	put16(b + off, af == 4 ? 0x0800 : 0x86dd);
	return off + 2;
}

/* One IP packet of protocol proto carrying l4 (l4len bytes, checksum
 * field at csum_off inside it, or -1) from src to dst. */
static void
ip_packet(struct out *o, int64_t ts_us, int af, uint16_t vlan,
    const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
    size_t l4len, int csum_off)
{
	uint8_t *b = o->buf, *ip, *t, pseudo[40];
	size_t off = l2(b, af, vlan), ihl = af == 4 ? 20 : 40;
	uint32_t sum;

	ip = b + off;
	memset(ip, 0, ihl);
	if (af == 4) {
		ip[0] = 0x45;
		put16(ip + 2, (uint32_t)(20 + l4len));
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (uint32_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	}
	t = ip + ihl;
	memcpy(t, l4, l4len);
	if (csum_off >= 0) {
		size_t alen = af == 4 ? 4 : 16;

		memset(pseudo, 0, sizeof(pseudo));
		memcpy(pseudo, src, alen);
		memcpy(pseudo + alen, dst, alen);
		sum = csum_add(0, pseudo, 2 * alen);
		sum += proto + (uint32_t)l4len;
		put16(t + csum_off, 0);
		put16(t + csum_off, csum_fold(csum_add(sum, t, l4len)));
	}
	off += ihl + l4len;
	if (off < 60) { /* Ethernet minimum frame */
		memset(b + off, 0, 60 - off);
		off = 60;
	}
	write_frame(o, ts_us, b, (uint32_t)off, (uint32_t)off);
}

/* A TCP segment of conversation c from side dir with an explicit seq. */
static void
tcp_seg_at(struct out *o, struct conv *c, int dir, uint8_t flags, uint32_t seq,
    const void *pl, size_t plen, int64_t ts_us)
{
	static uint8_t t[66000];

	memset(t, 0, 20);
	put16(t, c->port[dir]);
	put16(t + 2, c->port[!dir]);
	put32(t + 4, seq);
	put32(t + 8, (flags & F_ACK) ? c->seq[!dir] : 0);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, c->win[dir]);
	if (plen)
		memcpy(t + 20, pl, plen);
	ip_packet(o, ts_us, c->af, c->vlan, c->addr[dir], c->addr[!dir], 6, t,
	    20 + plen, 16);
}

/* The next segment from side dir; advances its sequence number. */
static void
tcp_seg(struct out *o, struct conv *c, int dir, uint8_t flags, const void *pl,
    size_t plen, int64_t ts_us)
{
	tcp_seg_at(o, c, dir, flags, c->seq[dir], pl, plen, ts_us);
	c->seq[dir] += (uint32_t)plen + ((flags & (F_SYN | F_FIN)) ? 1 : 0);
}

static void
conv_init(struct conv *c, const char *client, uint16_t cport,
    const char *server, uint16_t sport, uint16_t vlan)
{
	memset(c, 0, sizeof(*c));
	c->af = strchr(client, ':') ? 6 : 4;
	inet_pton(c->af == 4 ? AF_INET : AF_INET6, client, c->addr[0]);
	inet_pton(c->af == 4 ? AF_INET : AF_INET6, server, c->addr[1]);
	c->port[0] = cport;
	c->port[1] = sport;
	c->seq[0] = 1000u + cport;
	c->seq[1] = 0xfffff000u; /* wraps: exercises modular comparison */
	c->win[0] = c->win[1] = 65535;
	c->vlan = vlan;
}

/* SYN, SYN-ACK after rtt_us, ACK after another rtt_us. */
static int64_t
handshake(struct out *o, struct conv *c, int64_t t, int64_t rtt_us)
{
	tcp_seg(o, c, 0, F_SYN, NULL, 0, t);
	tcp_seg(o, c, 1, F_SYN | F_ACK, NULL, 0, t + rtt_us);
	tcp_seg(o, c, 0, F_ACK, NULL, 0, t + 2 * rtt_us);
	return t + 2 * rtt_us;
}

static void
close_both(struct out *o, struct conv *c, int64_t t)
{
	tcp_seg(o, c, 0, F_FIN | F_ACK, NULL, 0, t);
	tcp_seg(o, c, 1, F_FIN | F_ACK, NULL, 0, t + 100);
	tcp_seg(o, c, 0, F_ACK, NULL, 0, t + 200);
}

static const char http_get[] = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";

static void
http_response(uint8_t *b, size_t n)
{
	static const char hdr[] = "HTTP/1.1 200 OK\r\nContent-Length: ";
	size_t i;

	memset(b, 'a', n);
	memcpy(b, hdr, sizeof(hdr) - 1);
	for (i = sizeof(hdr) - 1; i < n && i < sizeof(hdr) + 8; i++)
		b[i] = '9';
}

/*
 * The scenario whose numbers the tests assert (times in us from 1e15):
 * port 80: connections 4, established 2, SYN unanswered 3, retransmits
 * 3, zero windows 2, resets 2, HTTP responses 4 at 50/100/200/300 ms,
 * handshakes 2 x 2 ms. Port 5432 over IPv6 in VLAN 10: 2 queries at
 * 25/75 ms. Port 3306: 1 query at 40 ms. Port 443: TLS handshake 31 ms,
 * first data 50 ms. VIP 192.0.2.10: 3 request and 2 response packets.
 * Plus 1 ARP (non-IP), 2 truncated and 3 malformed frames, 1 UDP.
 */
static void
scenario_health(struct out *o)
{
	static uint8_t resp[1000];
	int64_t t0 = 1000000000000000ll, t;
	struct conv a, b, c, d, pg, my, tls, vip;
	uint8_t x[256];

	http_response(resp, sizeof(resp));

	/* A: three requests at 100, 200, 300 ms; one retransmitted
	 * response segment; two zero-window ACKs. */
	conv_init(&a, "10.0.0.1", 40000, "10.0.0.100", 80, 0);
	t = handshake(o, &a, t0, 1000);
	tcp_seg(o, &a, 0, F_PSH | F_ACK, http_get, strlen(http_get), t + 1000);
	tcp_seg(o, &a, 1, F_PSH | F_ACK, resp, sizeof(resp), t + 101000);
	tcp_seg(o, &a, 0, F_ACK, NULL, 0, t + 102000);
	tcp_seg(
	    o, &a, 0, F_PSH | F_ACK, http_get, strlen(http_get), t + 108000);
	tcp_seg(o, &a, 1, F_PSH | F_ACK, resp, sizeof(resp), t + 308000);
	tcp_seg_at(o, &a, 1, F_PSH | F_ACK, a.seq[1] - sizeof(resp), resp,
	    sizeof(resp), t + 318000);
	a.win[0] = 0;
	tcp_seg(o, &a, 0, F_ACK, NULL, 0, t + 328000);
	tcp_seg(o, &a, 0, F_ACK, NULL, 0, t + 338000);
	a.win[0] = 65535;
	tcp_seg(o, &a, 0, F_ACK, NULL, 0, t + 348000);
	tcp_seg(
	    o, &a, 0, F_PSH | F_ACK, http_get, strlen(http_get), t + 358000);
	tcp_seg(o, &a, 1, F_PSH | F_ACK, resp, sizeof(resp), t + 658000);
	close_both(o, &a, t + 700000);

	/* B: SYN retransmitted after 1 s, then answered; one request at
	 * 50 ms; the client resets. */
	conv_init(&b, "10.0.0.2", 40001, "10.0.0.100", 80, 0);
	t = t0 + 1000000;
	tcp_seg_at(o, &b, 0, F_SYN, b.seq[0], NULL, 0, t);
	t = handshake(o, &b, t + 1000000, 1000);
	tcp_seg(o, &b, 0, F_PSH | F_ACK, http_get, strlen(http_get), t + 1000);
	tcp_seg(o, &b, 1, F_PSH | F_ACK, resp, 200, t + 51000);
	tcp_seg(o, &b, 0, F_RST | F_ACK, NULL, 0, t + 52000);

	/* C: a SYN sent twice, never answered (backlog full). */
	conv_init(&c, "10.0.0.3", 40002, "10.0.0.100", 80, 0);
	t = t0 + 3000000;
	tcp_seg_at(o, &c, 0, F_SYN, c.seq[0], NULL, 0, t);
	tcp_seg_at(o, &c, 0, F_SYN, c.seq[0], NULL, 0, t + 1000000);

	/* D: refused with a RST. */
	conv_init(&d, "10.0.0.4", 40003, "10.0.0.100", 80, 0);
	t = t0 + 4500000;
	tcp_seg(o, &d, 0, F_SYN, NULL, 0, t);
	tcp_seg(o, &d, 1, F_RST | F_ACK, NULL, 0, t + 500);

	/* PostgreSQL over IPv6 in VLAN 10: startup (not a query), then
	 * queries answered after 25 and 75 ms. */
	conv_init(&pg, "fd00::1", 50000, "fd00::100", 5432, 10);
	t = handshake(o, &pg, t0 + 5000000, 500);
	memset(x, 0, sizeof(x));
	put32(x, 8 + 5);
	put32(x + 4, 0x00030000);
	memcpy(x + 8, "user", 5);
	tcp_seg(o, &pg, 0, F_PSH | F_ACK, x, 13, t + 1000);
	tcp_seg(o, &pg, 1, F_PSH | F_ACK, "R\0\0\0\x08\0\0\0\0", 9, t + 3000);
	memcpy(x, "Q\0\0\0\x0dselect 1\0", 14);
	tcp_seg(o, &pg, 0, F_PSH | F_ACK, x, 14, t + 10000);
	tcp_seg(o, &pg, 1, F_PSH | F_ACK, "T\0\0\0\x06\0\0", 7, t + 35000);
	tcp_seg(o, &pg, 0, F_PSH | F_ACK, x, 14, t + 40000);
	tcp_seg(o, &pg, 1, F_PSH | F_ACK, "T\0\0\0\x06\0\0", 7, t + 115000);
	close_both(o, &pg, t + 200000);

	/* MySQL: greeting, login (sequence 1: not a query), one COM_QUERY
	 * answered after 40 ms. */
	conv_init(&my, "10.0.0.5", 50001, "10.0.0.101", 3306, 0);
	t = handshake(o, &my, t0 + 6000000, 500);
	tcp_seg(o, &my, 1, F_PSH | F_ACK,
	    "\x0a\0\0\0\x0a"
	    "8.0.0\0",
	    11, t + 1000);
	tcp_seg(o, &my, 0, F_PSH | F_ACK, "\x05\0\0\x01\x85\xa6\0\0\0", 9,
	    t + 2000);
	tcp_seg(o, &my, 1, F_PSH | F_ACK, "\x07\0\0\x02\0\0\0\x02\0\0\0", 11,
	    t + 3000);
	tcp_seg(
	    o, &my, 0, F_PSH | F_ACK, "\x09\0\0\0\x03select 1", 13, t + 10000);
	tcp_seg(o, &my, 1, F_PSH | F_ACK, "\x01\0\0\x01\x01", 5, t + 50000);
	close_both(o, &my, t + 60000);

	/* TLS 1.2 on 443: ClientHello; server flight at 10 ms; client
	 * key exchange at 20 ms; server Finished at 30 ms; client data at
	 * 31 ms (handshake 31 ms); server data 50 ms later. */
	conv_init(&tls, "10.0.0.6", 50002, "10.0.0.100", 443, 0);
	t = handshake(o, &tls, t0 + 7000000, 500);
	memcpy(x, "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10);
	tcp_seg(o, &tls, 0, F_PSH | F_ACK, x, 10, t);
	tcp_seg(o, &tls, 1, F_PSH | F_ACK, "\x16\x03\x03\x00\x01\x02", 6,
	    t + 10000);
	tcp_seg(o, &tls, 0, F_PSH | F_ACK,
	    "\x16\x03\x03\x00\x01\x10\x14\x03\x03\x00\x01\x01", 12, t + 20000);
	tcp_seg(o, &tls, 1, F_PSH | F_ACK, "\x14\x03\x03\x00\x01\x01", 6,
	    t + 30000);
	tcp_seg(
	    o, &tls, 0, F_PSH | F_ACK, "\x17\x03\x03\x00\x02zz", 7, t + 31000);
	tcp_seg(
	    o, &tls, 1, F_PSH | F_ACK, "\x17\x03\x03\x00\x02yy", 7, t + 81000);
	close_both(o, &tls, t + 90000);

	/* DSR: requests to the VIP, responses from it straight back. */
	conv_init(&vip, "10.0.0.7", 50003, "192.0.2.10", 8080, 0);
	t = t0 + 8000000;
	tcp_seg(o, &vip, 0, F_PSH | F_ACK, http_get, strlen(http_get), t);
	tcp_seg(o, &vip, 0, F_ACK, NULL, 0, t + 1000);
	tcp_seg(o, &vip, 0, F_ACK, NULL, 0, t + 2000);
	tcp_seg(o, &vip, 1, F_PSH | F_ACK, resp, sizeof(resp), t + 3000);
	tcp_seg(o, &vip, 1, F_PSH | F_ACK, resp, sizeof(resp), t + 4000);

	/* Not IP: an ARP request. */
	memset(x, 0, 60);
	memcpy(x, "\xff\xff\xff\xff\xff\xff\x02\0\0\0\0\x01\x08\x06", 14);
	write_frame(o, t0 + 9000000, x, 60, 60);
	/* Truncated: Ethernet + 10 bytes of IPv4 captured of 60. */
	l2(x, 4, 0);
	memset(x + 14, 0, 46);
	x[14] = 0x45;
	write_frame(o, t0 + 9000100, x, 24, 60);
	/* Truncated: a VLAN tag cut in half. */
	l2(x, 4, 5);
	write_frame(o, t0 + 9000200, x, 15, 60);
	/* Malformed: IPv4 header length 3 words. */
	l2(x, 4, 0);
	memset(x + 14, 0, 46);
	x[14] = 0x43;
	put16(x + 16, 46);
	write_frame(o, t0 + 9000300, x, 60, 60);
	/* Malformed: IPv4 total length beyond the frame. */
	x[14] = 0x45;
	put16(x + 16, 1500);
	write_frame(o, t0 + 9000400, x, 60, 60);
	/* Malformed: TCP data offset 2 words. */
	put16(x + 16, 40);
	x[23] = 6;
	x[14 + 20 + 12] = 0x20;
	write_frame(o, t0 + 9000500, x, 60, 60);
	/* One UDP datagram (DNS-like). */
	memset(x, 0, 8 + 12);
	put16(x, 53000);
	put16(x + 2, 53);
	put16(x + 4, 20);
	inet_pton(AF_INET, "10.0.0.1", a.addr[0]);
	inet_pton(AF_INET, "10.0.0.53", a.addr[1]);
	ip_packet(o, t0 + 9000600, 4, 0, a.addr[0], a.addr[1], 17, x, 20, 6);
}

/*
 * n packets of HTTP on port 80 from 1024 clients, 256 connections open
 * at once, each: handshake, request, 8 response segments of 1448 bytes
 * with an ACK per 2, close. Every 1000th response segment is sent twice.
 */
static void
scenario_bench(struct out *o, uint64_t n)
{
	enum { PAR = 256 };
	static uint8_t seg[1448];
	static struct conv cs[PAR];
	static int step[PAR];
	int64_t t = 1000000000000000ll;
	uint64_t flows = 0;
	char cli[32];
	int i;

	http_response(seg, sizeof(seg));
	for (i = 0; i < PAR; i++)
		step[i] = -1;
	while (o->packets < n) {
		for (i = 0; i < PAR && o->packets < n; i++) {
			struct conv *c = &cs[i];

			t += 3;
			if (step[i] < 0) {
				snprintf(cli, sizeof(cli), "10.1.%u.%u",
				    (unsigned)(flows >> 8 & 3),
				    (unsigned)(flows & 255));
				conv_init(c, cli,
				    (uint16_t)(1024 + flows % 60000),
				    "10.0.0.100", 80, 0);
				flows++;
				step[i] = 0;
			}
			switch (step[i]) {
			case 0:
				tcp_seg(o, c, 0, F_SYN, NULL, 0, t);
				break;
			case 1:
				tcp_seg(o, c, 1, F_SYN | F_ACK, NULL, 0, t);
				break;
			case 2:
				tcp_seg(o, c, 0, F_ACK, NULL, 0, t);
				break;
			case 3:
				tcp_seg(o, c, 0, F_PSH | F_ACK, http_get,
				    strlen(http_get), t);
				break;
			case 16:
				tcp_seg(o, c, 0, F_FIN | F_ACK, NULL, 0, t);
				break;
			case 17:
				tcp_seg(o, c, 1, F_FIN | F_ACK, NULL, 0, t);
				break;
			case 18:
				tcp_seg(o, c, 0, F_ACK, NULL, 0, t);
				step[i] = -2;
				break;
			default:
				if (step[i] % 3 == 0) {
					tcp_seg(o, c, 0, F_ACK, NULL, 0, t);
				} else {
					tcp_seg(o, c, 1, F_ACK, seg,
					    sizeof(seg), t);
					if (o->packets % 1000 == 0 &&
					    o->packets < n)
						tcp_seg_at(o, c, 1, F_ACK,
						    c->seq[1] - sizeof(seg),
						    seg, sizeof(seg), t + 1);
				}
				break;
			}
			step[i]++;
		}
	}
}

/* Random frames, half of them mangled copies of valid ones. */
static void
scenario_junk(struct out *o, uint64_t n)
{
	uint32_t r = 12345;
	uint8_t f[128];
	uint64_t i;
	size_t j, len;

	for (i = 0; i < n; i++) {
		len = 14 + i % 100;
		for (j = 0; j < len; j++) {
			r = r * 1103515245u + 12345u;
			f[j] = (uint8_t)(r >> 16);
		}
		f[12] = i & 1 ? 0x08 : 0x86;
		f[13] = i & 1 ? 0x00 : 0xdd;
		if (len > 14)
			f[14] = i & 1 ? 0x45 : 0x60;
		write_frame(o, 1000000000000000ll + (int64_t)i, f,
		    (uint32_t)len, (uint32_t)(len + i % 3));
	}
}

int
main(int argc, char **argv)
{
	struct out *o;
	pcap_t *p;
	uint64_t n = 0;

	if (argc < 3 || (strcmp(argv[1], "health") != 0 && argc < 4)) {
		fprintf(stderr, "usage: pcapgen health FILE | "
		                "bench FILE PACKETS | junk FILE PACKETS\n");
		return 2;
	}
	if (argc >= 4)
		n = strtoull(argv[3], NULL, 10);
	o = calloc(1, sizeof(*o));
	p = pcap_open_dead(DLT_EN10MB, 65535);
	if (o == NULL || p == NULL) {
		free(o);
		return 1;
	}
	o->d = pcap_dump_open(p, argv[2]);
	if (o->d == NULL) {
		fprintf(stderr, "pcapgen: %s: %s\n", argv[2], pcap_geterr(p));
		free(o);
		return 1;
	}
	if (strcmp(argv[1], "health") == 0)
		scenario_health(o);
	else if (strcmp(argv[1], "bench") == 0)
		scenario_bench(o, n);
	else if (strcmp(argv[1], "junk") == 0)
		scenario_junk(o, n);
	else {
		fprintf(stderr, "pcapgen: unknown scenario %s\n", argv[1]);
		free(o);
		return 2;
	}
	pcap_dump_close(o->d);
	pcap_close(p);
	printf("%llu\n", (unsigned long long)o->packets);
	free(o);
	return 0;
}
