// SPDX-License-Identifier: MIT
/*
 * The traffic analyzer: pkt_decode() output to per-port TCP health,
 * response-time histograms, top talkers and DSR VIP counters. Fed by the
 * live capture thread of the pcap collector and by `chokepoint pcap FILE`.
 * Timing uses packet timestamps only, so a file replays exactly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "flowtab.h"
#include "pkt.h"

#define NS_PER_S 1000000000ll
/* A closed connection lingers this long for late retransmissions. */
#define CLOSED_LINGER_NS (2 * NS_PER_S)

struct talker_slot {
	struct an_talker t;
	uint64_t hash;
	uint8_t used;
};

struct analyzer {
	struct an_cfg cfg;
	uint8_t port_idx[65536]; /* port -> index + 1, 0: not a service */
	struct an_port ports[AN_MAX_PORTS];
	struct an_vip vips[AN_MAX_VIPS];
	struct an_iface ifaces[AN_MAX_IFACES];
	struct an_totals tot;
	struct flowtab *flows;
	struct talker_slot *talkers;
	size_t talker_cap, talker_used; /* cap: power of two */
};

static const char *const app_names[AN_NAPPS] = {"http", "postgresql", "mysql"};

const char *
an_app_name(int app)
{
	return app >= 0 && app < AN_NAPPS ? app_names[app] : "unknown";
}

void
an_cfg_defaults(struct an_cfg *cfg)
{
	static const uint16_t ports[] = {80, 443, 3306, 5432, 6379};
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		cfg->ports[i] = ports[i];
	cfg->nports = i;
	cfg->flow_memory = 16u << 20;
	cfg->talker_slots = 4096;
	cfg->syn_timeout_ns = 3 * NS_PER_S;
	cfg->idle_timeout_ns = 300 * NS_PER_S;
}

int
an_addr_parse(const char *s, struct an_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->af = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->af = 6;
		return 0;
	}
	return -EINVAL;
}

const char *
an_addr_format(uint8_t af, const uint8_t *a, char *buf, size_t size)
{
	if (inet_ntop(af == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)size) ==
	    NULL)
		snprintf(buf, size, "?");
	return buf;
}

struct analyzer *
analyzer_new(const struct an_cfg *cfg)
{
	struct analyzer *an = calloc(1, sizeof(*an));
	size_t i;

	if (an == NULL)
		return NULL;
	an->cfg = *cfg;
	if (an->cfg.nports > AN_MAX_PORTS)
		an->cfg.nports = AN_MAX_PORTS;
	if (an->cfg.nvips > AN_MAX_VIPS)
		an->cfg.nvips = AN_MAX_VIPS;
	for (i = 0; i < an->cfg.nports; i++) {
		an->ports[i].port = an->cfg.ports[i];
		if (an->port_idx[an->cfg.ports[i]] == 0)
			an->port_idx[an->cfg.ports[i]] = (uint8_t)(i + 1);
	}
	for (i = 0; i < an->cfg.nvips; i++)
		an->vips[i].addr = an->cfg.vips[i];
	an->flows = flowtab_new(an->cfg.flow_memory);
	an->talker_cap = 16;
	while (an->talker_cap < an->cfg.talker_slots * 4 / 3)
		an->talker_cap <<= 1;
	an->talkers = calloc(an->talker_cap, sizeof(*an->talkers));
	if (an->talkers == NULL) {
		analyzer_free(an);
		return NULL;
	}
	analyzer_reset_interval(an);
	return an;
}

void
analyzer_free(struct analyzer *an)
{
	if (an == NULL)
		return;
	flowtab_free(an->flows);
	free(an->talkers);
	free(an);
}

void
analyzer_reset_interval(struct analyzer *an)
{
	size_t i;
	int a;

	for (i = 0; i < an->cfg.nports; i++) {
		struct an_port *ps = &an->ports[i];

		lhist_init(&ps->handshake);
		for (a = 0; a < AN_NAPPS; a++)
			lhist_init(&ps->app[a]);
		lhist_init(&ps->tls_handshake);
		lhist_init(&ps->tls_first_data);
	}
	memset(an->talkers, 0, an->talker_cap * sizeof(*an->talkers));
	an->talker_used = 0;
}

/* ------------------------------------------------------------ talkers */

/* 16-byte address equality without a call into libc (hot path). */
static inline int
addr_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

static uint64_t
talker_hash(const struct an_talker *k)
{
	uint64_t w[4], h;

	memcpy(w, k->src, 16);
	memcpy(w + 2, k->dst, 16);
	h = (uint64_t)k->port << 24 | (uint64_t)k->proto << 16 |
	    (uint64_t)k->iface << 8 | k->af;
	/* Multiply-xorshift rounds (as in splitmix64) over the words. */
	h = (h ^ w[0]) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 29) ^ w[1]) * 0x94d049bb133111ebull;
	h = (h ^ (h >> 31) ^ w[2]) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 29) ^ w[3]) * 0x94d049bb133111ebull;
	return h ^ (h >> 32);
}

static void
talker_add(struct analyzer *an, const struct an_talker *k, uint32_t bytes)
{
	uint64_t h = talker_hash(k);
	size_t mask = an->talker_cap - 1, i;
	struct talker_slot *s;

	for (i = (size_t)(h >> 20) & mask;; i = (i + 1) & mask) {
		s = &an->talkers[i];
		if (!s->used)
			break;
		if (s->hash == h && s->t.iface == k->iface &&
		    s->t.af == k->af && s->t.proto == k->proto &&
		    s->t.port == k->port && addr_eq(s->t.src, k->src) &&
		    addr_eq(s->t.dst, k->dst)) {
			s->t.bytes += bytes;
			s->t.packets++;
			return;
		}
	}
	/* A fixed budget per interval: past it new pairs are only summed. */
	if (an->talker_used >= an->cfg.talker_slots) {
		an->tot.talker_overflow_bytes += bytes;
		return;
	}
	s->used = 1;
	s->hash = h;
	s->t = *k;
	s->t.bytes = bytes;
	s->t.packets = 1;
	an->talker_used++;
}

static int
talker_cmp(const void *a, const void *b)
{
	const struct an_talker *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	if (x->packets != y->packets)
		return x->packets < y->packets ? 1 : -1;
	return memcmp(x->src, y->src, 16);
}

size_t
analyzer_top_talkers(const struct analyzer *an, struct an_talker *out, size_t n)
{
	struct an_talker *all;
	size_t i, k = 0;

	if (n == 0 || an->talker_used == 0)
		return 0;
	all = malloc(an->talker_used * sizeof(*all));
	if (all == NULL)
		return 0;
	for (i = 0; i < an->talker_cap; i++)
		if (an->talkers[i].used)
			all[k++] = an->talkers[i].t;
	qsort(all, k, sizeof(*all), talker_cmp);
	if (n > k)
		n = k;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

/* ------------------------------------------------------ app protocols */

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* An HTTP/1.x request line starts the payload (RFC 9110 methods). */
static int
is_http_request(const uint8_t *p, uint32_t n)
{
	static const char *const methods[] = {"GET ", "POST ", "HEAD ", "PUT ",
	    "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "};
	size_t i, l;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		l = strlen(methods[i]);
		if (n >= l && memcmp(p, methods[i], l) == 0)
			return 1;
	}
	return 0;
}

/* A TLS handshake record holding a ClientHello (RFC 8446 5.1, 4). */
static int
is_client_hello(const uint8_t *p, uint32_t n)
{
	return n >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[5] == 0x01;
}

/* Whether a TLS application_data record starts in this segment; walks
 * the records that begin in the captured bytes. */
static int
has_tls_app_data(const uint8_t *p, uint32_t n)
{
	uint32_t off = 0;

	while (off + 5 <= n) {
		if (p[off + 1] != 0x03 || p[off] < 0x14 || p[off] > 0x18)
			return 0;
		if (p[off] == 0x17)
			return 1;
		off += 5 + ((uint32_t)p[off + 3] << 8 | p[off + 4]);
	}
	return 0;
}

/* PostgreSQL StartupMessage, SSLRequest or GSSENCRequest (protocol 3). */
static int
is_pg_startup(const uint8_t *p, uint32_t n)
{
	uint32_t code;

	if (n < 8)
		return 0;
	code = rd32(p + 4);
	return code == 0x00030000u || code == 80877103u || code == 80877104u;
}

/* A PostgreSQL Query ('Q') or Parse ('P') message: a query starts. */
static int
is_pg_query(const uint8_t *p, uint32_t n)
{
	return n >= 5 && (p[0] == 'Q' || p[0] == 'P') && rd32(p + 1) >= 4;
}

/* A MySQL command packet (sequence id 0) that runs a statement:
 * COM_QUERY, COM_STMT_PREPARE, COM_STMT_EXECUTE. */
static int
is_mysql_query(const uint8_t *p, uint32_t n)
{
	return n >= 5 && p[3] == 0 && (p[0] | p[1] | p[2]) != 0 &&
	       (p[4] == 0x03 || p[4] == 0x16 || p[4] == 0x17);
}

/* The MySQL server greeting: sequence 0, protocol version 10. */
static int
is_mysql_greeting(const uint8_t *p, uint32_t n)
{
	return n >= 5 && p[3] == 0 && p[4] == 10;
}

static void
app_detect(struct flow *f, int dir, const uint8_t *p, uint32_t n)
{
	if (dir == 0) {
		if (is_http_request(p, n))
			f->app = FLOW_APP_HTTP;
		else if (is_client_hello(p, n))
			f->app = FLOW_APP_TLS;
		else if (is_pg_startup(p, n))
			f->app = FLOW_APP_POSTGRESQL;
		/* Joined mid-stream: fall back on the well-known ports. */
		else if (f->port[1] == 3306)
			f->app = FLOW_APP_MYSQL;
		else if (f->port[1] == 5432)
			f->app = FLOW_APP_POSTGRESQL;
		else
			f->app = FLOW_APP_OTHER;
	} else if (is_mysql_greeting(p, n)) {
		f->app = FLOW_APP_MYSQL;
	}
}

static void
sample(struct lhist *h, int64_t from_ns, int64_t to_ns)
{
	lhist_add(h, to_ns > from_ns ? (uint64_t)(to_ns - from_ns) / 1000 : 0);
}

/* Request/response timing on the first bytes of a new segment. */
static void
app_track(struct flow *f, struct an_port *ps, int dir, const uint8_t *p,
    uint32_t n, int64_t ts)
{
	int app = -1, req = 0;

	if (f->app == FLOW_APP_UNKNOWN)
		app_detect(f, dir, p, n);
	switch (f->app) {
	case FLOW_APP_HTTP:
		app = AN_HTTP;
		req = is_http_request(p, n);
		break;
	case FLOW_APP_POSTGRESQL:
		if (dir == 0 && is_client_hello(p, n)) {
			/* SSLRequest accepted: the rest is TLS. */
			f->app = FLOW_APP_TLS;
			break;
		}
		app = AN_POSTGRESQL;
		req = is_pg_query(p, n);
		break;
	case FLOW_APP_MYSQL:
		app = AN_MYSQL;
		req = is_mysql_query(p, n);
		break;
	default:
		break;
	}
	if (app >= 0) {
		if (dir == 0 && req && !f->pending) {
			f->pending = 1;
			f->req_ns = ts;
		} else if (dir == 1 && f->pending) {
			f->pending = 0;
			sample(&ps->app[app], f->req_ns, ts);
			ps->responses[app]++;
		}
		return;
	}
	if (f->app != FLOW_APP_TLS)
		return;
	/* TLS: ClientHello -> the client's first application_data record
	 * (TLS 1.2: after the server's Finished; TLS 1.3: its own Finished)
	 * is the handshake; then -> the server's first application_data
	 * is the first-data time. */
	if (dir == 0 && f->tls_state == 0 && is_client_hello(p, n)) {
		f->tls_state = 1;
		f->tls_ns = ts;
	} else if (dir == 0 && f->tls_state == 1 && has_tls_app_data(p, n)) {
		sample(&ps->tls_handshake, f->tls_ns, ts);
		f->tls_state = 2;
		f->tls_ns = ts;
	} else if (dir == 1 && f->tls_state == 2 && has_tls_app_data(p, n)) {
		sample(&ps->tls_first_data, f->tls_ns, ts);
		f->tls_state = 3;
	}
}

/* ---------------------------------------------------------------- TCP */

/* Sequence space comparison (RFC 793 modular arithmetic). */
static int
seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static struct an_port *
port_of(struct analyzer *an, const struct flow *f)
{
	return &an->ports[f->port_idx];
}

/* A flow leaves the table: its last SYN, if still waiting, was lost. */
static void
flow_finish(struct analyzer *an, struct flow *f)
{
	if (f->state == FLOW_SYN_SENT && !f->syn_counted && !f->closed)
		port_of(an, f)->syn_unanswered++;
	flowtab_remove(an->flows, f);
}

static void
flow_start(struct flow *f, struct an_port *ps, const struct pkt *p, int64_t ts)
{
	f->state = FLOW_SYN_SENT;
	f->syn_ns = ts;
	f->syn_seq = p->seq;
	f->hi_end[0] = p->seq + 1;
	f->have_hi = 1;
	ps->connections++;
}

/* Restart a flow whose 4-tuple is reused by a new connection. */
static void
flow_reuse(struct flow *f, struct an_port *ps, const struct pkt *p, int64_t ts)
{
	struct flow keep = *f;

	memset(&f->state, 0,
	    sizeof(*f) - ((const char *)&f->state - (const char *)f));
	memcpy(f->addr, keep.addr, sizeof(f->addr));
	memcpy(f->port, keep.port, sizeof(f->port));
	f->af = keep.af;
	f->port_idx = keep.port_idx;
	f->first_ns = ts;
	f->last_ns = ts;
	flow_start(f, ps, p, ts);
}

static struct flow *
flow_find(struct analyzer *an, const struct pkt *p, int64_t ts, int *dir,
    int *created)
{
	unsigned di = an->port_idx[p->dport], si = an->port_idx[p->sport];
	int syn_only =
	    (p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN;
	struct flow *f;

	*created = 0;
	f = flowtab_lookup(
	    an->flows, p->af, p->src, p->sport, p->dst, p->dport, dir);
	if (f)
		return f;
	if (p->tcp_flags & PKT_TCP_RST) {
		/* A reset of nothing we track (a refused connection seen
		 * without its SYN, or a flow forgotten since): count it,
		 * keep no state. */
		if (di || si)
			an->ports[(di ? di : si) - 1].resets++;
		return NULL;
	}
	/* The server is the side on a service port; for a SYN, the
	 * receiver, which must be on one. */
	if (di) {
		f = flowtab_insert(
		    an->flows, p->af, p->src, p->sport, p->dst, p->dport);
		f->port_idx = (int16_t)(di - 1);
		*dir = 0;
	} else if (si && !syn_only) {
		f = flowtab_insert(
		    an->flows, p->af, p->dst, p->dport, p->src, p->sport);
		f->port_idx = (int16_t)(si - 1);
		*dir = 1;
	} else {
		return NULL;
	}
	*created = 1;
	f->first_ns = ts;
	f->last_ns = ts;
	if (syn_only)
		flow_start(f, port_of(an, f), p, ts);
	else if (p->tcp_flags & PKT_TCP_SYN)
		f->state = FLOW_SYN_RCVD; /* SYN-ACK without its SYN */
	else
		f->state = FLOW_ESTABLISHED; /* joined mid-stream */
	return f;
}

static void
tcp_packet(struct analyzer *an, const struct pkt *p, int64_t ts)
{
	uint8_t fl = p->tcp_flags;
	uint32_t seglen, end;
	struct an_port *ps;
	struct flow *f;
	int dir = 0, retrans = 0, bit, created;

	f = flow_find(an, p, ts, &dir, &created);
	if (f == NULL)
		return;
	ps = port_of(an, f);
	bit = 1 << dir;
	f->last_ns = ts;
	if (dir == 0) {
		ps->packets_in++;
		ps->bytes_in += p->ip_len;
	} else {
		ps->packets_out++;
		ps->bytes_out += p->ip_len;
	}
	if (fl & PKT_TCP_RST) {
		/* A connection is reset once: a second RST (the answer to a
		 * FIN that crossed the first one, or to a late segment) is
		 * the same event. */
		if (!f->reset)
			ps->resets++;
		f->reset = 1;
		if (f->state == FLOW_SYN_SENT && dir == 1)
			f->syn_counted = 1; /* refused: answered */
		f->closed = 1;
		return;
	}
	if ((fl & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN) {
		if (dir != 0 || created)
			return;
		if (f->state != FLOW_ESTABLISHED && !f->closed &&
		    p->seq == f->syn_seq) {
			/* The same SYN again: the last one went unanswered
			 * (or its SYN-ACK was lost). */
			ps->retransmits++;
			if (f->state == FLOW_SYN_SENT && !f->syn_counted)
				ps->syn_unanswered++;
			f->syn_counted = 0;
			f->syn_ns = ts;
			return;
		}
		flow_reuse(f, ps, p, ts);
		return;
	}
	if (fl & PKT_TCP_SYN) { /* SYN-ACK */
		if (dir != 1)
			return;
		if (f->state == FLOW_SYN_SENT) {
			f->state = FLOW_SYN_RCVD;
			f->hi_end[1] = p->seq + 1;
			f->have_hi |= 2;
		} else if (f->state == FLOW_SYN_RCVD && (f->have_hi & 2) &&
		           f->hi_end[1] == p->seq + 1) {
			ps->retransmits++;
		} else if (created) {
			f->hi_end[1] = p->seq + 1;
			f->have_hi |= 2;
		}
		return;
	}
	if (f->state == FLOW_SYN_RCVD && dir == 0 && (fl & PKT_TCP_ACK)) {
		f->state = FLOW_ESTABLISHED;
		ps->established++;
		if (f->syn_ns)
			sample(&ps->handshake, f->syn_ns, ts);
	}
	if (p->win == 0 && !(fl & PKT_TCP_FIN))
		ps->zero_windows++;
	seglen = p->payload_len + ((fl & PKT_TCP_FIN) ? 1 : 0);
	if (seglen > 0) {
		end = p->seq + seglen;
		if (!(f->have_hi & bit)) {
			f->hi_end[dir] = end;
			f->have_hi |= (uint8_t)bit;
		} else if (seq_leq(end, f->hi_end[dir])) {
			/* Already sent in full; a 1-byte probe just below the
			 * edge is a keepalive (RFC 1122 4.2.3.6), not lost. */
			if (!(p->payload_len <= 1 && !(fl & PKT_TCP_FIN) &&
			        p->seq + 1 == f->hi_end[dir])) {
				ps->retransmits++;
				retrans = 1;
			}
		} else {
			f->hi_end[dir] = end;
		}
	}
	if (fl & PKT_TCP_FIN) {
		f->fin |= (uint8_t)bit;
		if (f->fin == 3)
			f->closed = 1;
	}
	if (!retrans && p->payload_cap > 0)
		app_track(f, ps, dir, p->payload, p->payload_cap, ts);
}

/* Forget flows closed for a while or silent past the idle timeout. */
static void
expire_tail(struct analyzer *an, int64_t now)
{
	struct flow *f;

	while ((f = flowtab_oldest(an->flows)) != NULL) {
		int64_t idle = now - f->last_ns;

		if (!(f->closed && idle > CLOSED_LINGER_NS) &&
		    idle <= an->cfg.idle_timeout_ns)
			break;
		flow_finish(an, f);
	}
}

void
analyzer_expire(struct analyzer *an, int64_t now_ns, int final)
{
	struct flow *f = NULL;

	expire_tail(an, now_ns);
	while ((f = flowtab_next(an->flows, f)) != NULL) {
		if (f->state != FLOW_SYN_SENT || f->syn_counted || f->closed)
			continue;
		if (final || now_ns - f->syn_ns >= an->cfg.syn_timeout_ns) {
			port_of(an, f)->syn_unanswered++;
			f->syn_counted = 1;
		}
	}
}

/* -------------------------------------------------------------- entry */

static void
vip_account(struct analyzer *an, const struct pkt *p)
{
	size_t i;

	for (i = 0; i < an->cfg.nvips; i++) {
		struct an_vip *v = &an->vips[i];

		if (v->addr.af != p->af)
			continue;
		if (addr_eq(v->addr.a, p->dst)) {
			v->req_packets++;
			v->req_bytes += p->ip_len;
		} else if (addr_eq(v->addr.a, p->src)) {
			v->resp_packets++;
			v->resp_bytes += p->ip_len;
		}
	}
}

void
analyzer_packet(struct analyzer *an, unsigned iface, int64_t ts, int linktype,
    const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	struct an_iface *ifc;
	struct an_talker k;
	struct pkt p;

	if (iface >= AN_MAX_IFACES)
		iface = AN_MAX_IFACES - 1;
	ifc = &an->ifaces[iface];
	ifc->packets++;
	ifc->bytes += wirelen > caplen ? wirelen : caplen;
	an->tot.packets++;
	switch (pkt_decode(linktype, data, caplen, wirelen, &p)) {
	case PKT_IP:
		break;
	case PKT_OTHER:
		ifc->non_ip++;
		an->tot.non_ip++;
		return;
	case PKT_TRUNCATED:
		ifc->truncated++;
		an->tot.truncated++;
		return;
	default:
		ifc->malformed++;
		an->tot.malformed++;
		return;
	}
	if (p.af == 4)
		an->tot.ipv4++;
	else
		an->tot.ipv6++;
	if (p.nvlan)
		an->tot.vlan++;
	if (an->cfg.nvips)
		vip_account(an, &p);

	memset(&k, 0, sizeof(k));
	k.iface = (uint8_t)iface;
	k.af = p.af;
	k.proto = p.proto;
	memcpy(k.src, p.src, 16);
	memcpy(k.dst, p.dst, 16);
	if (p.l4) {
		if (an->port_idx[p.dport])
			k.port = p.dport;
		else if (an->port_idx[p.sport])
			k.port = p.sport;
		else
			k.port = p.sport < p.dport ? p.sport : p.dport;
	}
	talker_add(an, &k, p.ip_len);

	if (p.proto == 6 && p.l4) {
		an->tot.tcp++;
		expire_tail(an, ts);
		if (an->port_idx[p.dport] || an->port_idx[p.sport])
			tcp_packet(an, &p, ts);
	} else if (p.proto == 17 && p.l4) {
		an->tot.udp++;
	} else {
		an->tot.other_l4++;
	}
}

/* ------------------------------------------------------------ results */

size_t
analyzer_nports(const struct analyzer *an)
{
	return an->cfg.nports;
}

const struct an_port *
analyzer_port(const struct analyzer *an, size_t i)
{
	return i < an->cfg.nports ? &an->ports[i] : NULL;
}

size_t
analyzer_nvips(const struct analyzer *an)
{
	return an->cfg.nvips;
}

const struct an_vip *
analyzer_vip(const struct analyzer *an, size_t i)
{
	return i < an->cfg.nvips ? &an->vips[i] : NULL;
}

const struct an_iface *
analyzer_iface(const struct analyzer *an, unsigned iface)
{
	return iface < AN_MAX_IFACES ? &an->ifaces[iface] : NULL;
}

void
analyzer_totals(const struct analyzer *an, struct an_totals *t)
{
	*t = an->tot;
	t->flow_evictions = flowtab_evictions(an->flows);
	t->flows = flowtab_count(an->flows);
	t->flow_capacity = flowtab_capacity(an->flows);
	t->flow_memory = flowtab_memory(an->flows);
}
