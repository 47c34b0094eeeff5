// SPDX-License-Identifier: MIT
/*
 * The pcap engine's state: latency histogram accuracy, the flow table's
 * memory cap and LRU eviction, and analyzer rules that the scripted
 * capture of tests/integration/pcap_offline.sh does not reach (keepalives,
 * sequence wrap, live SYN timeouts, reused 4-tuples, talker budget).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "collectors/pcap/analyzer.h"
#include "collectors/pcap/flowtab.h"
#include "collectors/pcap/lhist.h"
#include "collectors/pcap/pkt.h"

#define MS 1000000ll

/* ------------------------------------------------------------ lhist */

static void
lhist_quantiles_within_bucket_error(void **state)
{
	struct lhist h;
	uint64_t v;

	(void)state;
	lhist_init(&h);
	assert_true(lhist_quantile(&h, 0.5) == 0);
	/* 1..1000 ms in 1 ms steps. */
	for (v = 1; v <= 1000; v++)
		lhist_add(&h, v * 1000);
	assert_int_equal(h.count, 1000);
	assert_float_equal(lhist_quantile(&h, 0.5), 0.500, 0.500 * 0.016);
	assert_float_equal(lhist_quantile(&h, 0.95), 0.950, 0.950 * 0.016);
	assert_float_equal(lhist_quantile(&h, 0.99), 0.990, 0.990 * 0.016);
	assert_float_equal(lhist_quantile(&h, 1.0), 1.000, 1e-9);
	assert_float_equal(lhist_mean(&h), 0.5005, 1e-9);
	/* Small values are exact. */
	lhist_init(&h);
	lhist_add(&h, 7);
	lhist_add(&h, 9);
	assert_float_equal(lhist_quantile(&h, 0.5), 7e-6, 1e-12);
	/* Beyond the range: clamped to the top bucket, max kept. */
	lhist_add(&h, UINT64_MAX);
	assert_int_equal(h.max_us, UINT32_MAX);
	assert_float_equal(lhist_quantile(&h, 1.0), UINT32_MAX / 1e6, 1e-3);
}

static void
lhist_merge_adds_counts(void **state)
{
	struct lhist a, b;

	(void)state;
	lhist_init(&a);
	lhist_init(&b);
	lhist_add(&a, 100);
	lhist_add(&b, 50);
	lhist_add(&b, 300);
	lhist_merge(&a, &b);
	assert_int_equal(a.count, 3);
	assert_int_equal(a.min_us, 50);
	assert_int_equal(a.max_us, 300);
	assert_float_equal(lhist_quantile(&a, 0.5), 100e-6, 2e-6);
}

/* ---------------------------------------------------------- flowtab */

static void
addr4(uint8_t *a, uint32_t v)
{
	memset(a, 0, 16);
	a[0] = (uint8_t)(v >> 24);
	a[1] = (uint8_t)(v >> 16);
	a[2] = (uint8_t)(v >> 8);
	a[3] = (uint8_t)v;
}

static void
flowtab_finds_both_directions(void **state)
{
	struct flowtab *ft = flowtab_new(1 << 20);
	uint8_t c[16], s[16];
	struct flow *f;
	int dir = -1;

	(void)state;
	addr4(c, 0x0a000001);
	addr4(s, 0x0a000002);
	f = flowtab_insert(ft, 4, c, 40000, s, 80);
	assert_ptr_equal(flowtab_lookup(ft, 4, c, 40000, s, 80, &dir), f);
	assert_int_equal(dir, 0);
	assert_ptr_equal(flowtab_lookup(ft, 4, s, 80, c, 40000, &dir), f);
	assert_int_equal(dir, 1);
	assert_null(flowtab_lookup(ft, 4, s, 80, c, 40001, &dir));
	assert_null(flowtab_lookup(ft, 6, s, 80, c, 40000, &dir));
	flowtab_remove(ft, f);
	assert_null(flowtab_lookup(ft, 4, c, 40000, s, 80, &dir));
	assert_int_equal(flowtab_count(ft), 0);
	flowtab_free(ft);
}

static void
flowtab_memory_cap_evicts_least_recent(void **state)
{
	struct flowtab *ft = flowtab_new(64 * 1024);
	size_t cap = flowtab_capacity(ft), i;
	uint8_t c[16], s[16];
	int dir;

	(void)state;
	assert_true(flowtab_memory(ft) <= 64 * 1024);
	assert_true(cap >= 16);
	addr4(s, 0x0a000002);
	for (i = 0; i < cap; i++) {
		addr4(c, 0x0b000000u + (uint32_t)i);
		flowtab_insert(ft, 4, c, 1000, s, 80);
	}
	assert_int_equal(flowtab_evictions(ft), 0);
	/* Touch the oldest: the second oldest goes first. */
	addr4(c, 0x0b000000u);
	assert_non_null(flowtab_lookup(ft, 4, c, 1000, s, 80, &dir));
	addr4(c, 0x0c000000u);
	flowtab_insert(ft, 4, c, 1000, s, 80);
	assert_int_equal(flowtab_evictions(ft), 1);
	assert_int_equal(flowtab_count(ft), cap);
	addr4(c, 0x0b000001u);
	assert_null(flowtab_lookup(ft, 4, c, 1000, s, 80, &dir));
	addr4(c, 0x0b000000u);
	assert_non_null(flowtab_lookup(ft, 4, c, 1000, s, 80, &dir));
	flowtab_free(ft);
}

/* --------------------------------------------------------- analyzer */

struct seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq;
	uint16_t win;
	const char *payload;
	size_t plen;
};

/* Feed one Ethernet/IPv4/TCP frame. */
static void
feed(struct analyzer *an, int64_t ts, const struct seg *s)
{
	uint8_t f[256];
	size_t n = 14 + 20 + 20 + s->plen;

	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)((n - 14) >> 8);
	f[17] = (uint8_t)(n - 14);
	f[23] = 6;
	addr4(f + 26, s->src);
	f[26] = (uint8_t)(s->src >> 24), f[27] = (uint8_t)(s->src >> 16);
	f[28] = (uint8_t)(s->src >> 8), f[29] = (uint8_t)s->src;
	f[30] = (uint8_t)(s->dst >> 24), f[31] = (uint8_t)(s->dst >> 16);
	f[32] = (uint8_t)(s->dst >> 8), f[33] = (uint8_t)s->dst;
	f[34] = (uint8_t)(s->sport >> 8), f[35] = (uint8_t)s->sport;
	f[36] = (uint8_t)(s->dport >> 8), f[37] = (uint8_t)s->dport;
	f[38] = (uint8_t)(s->seq >> 24), f[39] = (uint8_t)(s->seq >> 16);
	f[40] = (uint8_t)(s->seq >> 8), f[41] = (uint8_t)s->seq;
	f[46] = 5 << 4;
	f[47] = s->flags;
	f[48] = (uint8_t)(s->win >> 8), f[49] = (uint8_t)s->win;
	memcpy(f + 54, s->payload, s->plen);
	analyzer_packet(an, 0, ts, 1, f, (uint32_t)n, (uint32_t)n);
}

#define C 0x0a000001u
#define S 0x0a000002u
#define A PKT_TCP_ACK

static struct analyzer *
new_an(size_t flow_memory)
{
	struct an_cfg cfg;

	an_cfg_defaults(&cfg);
	if (flow_memory)
		cfg.flow_memory = flow_memory;
	return analyzer_new(&cfg);
}

static void
keepalive_is_not_a_retransmission(void **state)
{
	struct analyzer *an = new_an(0);
	/* Sequence numbers straddle 2^32. */
	uint32_t cs = 0xffffffe0u;

	(void)state;
	feed(an, 1 * MS,
	    &(struct seg){
	        C, S, 5000, 80, A, cs, 100, "GET / HTTP/1.1\r\n\r\n", 18});
	feed(an, 2 * MS,
	    &(struct seg){
	        C, S, 5000, 80, A, cs + 18, 100, "GET / HTTP/1.1\r\n\r\n", 18});
	/* 1-byte keepalive probe at snd_nxt - 1. */
	feed(
	    an, 3 * MS, &(struct seg){C, S, 5000, 80, A, cs + 35, 100, "x", 1});
	/* A real retransmission of the second request across the wrap. */
	feed(an, 4 * MS,
	    &(struct seg){
	        C, S, 5000, 80, A, cs + 18, 100, "GET / HTTP/1.1\r\n\r\n", 18});
	assert_int_equal(analyzer_port(an, 0)->retransmits, 1);
	assert_int_equal(analyzer_port(an, 0)->port, 80);
	assert_int_equal(analyzer_port(an, 0)->packets_in, 4);
	analyzer_free(an);
}

static void
live_syn_timeout_counts_each_syn_once(void **state)
{
	struct analyzer *an = new_an(0);

	(void)state;
	feed(
	    an, 0, &(struct seg){C, S, 5001, 443, PKT_TCP_SYN, 77, 100, "", 0});
	analyzer_expire(an, 2999 * MS, 0);
	assert_int_equal(analyzer_port(an, 1)->syn_unanswered, 0);
	analyzer_expire(an, 3000 * MS, 0);
	assert_int_equal(analyzer_port(an, 1)->syn_unanswered, 1);
	analyzer_expire(an, 4000 * MS, 0);
	assert_int_equal(analyzer_port(an, 1)->syn_unanswered, 1);
	/* The client tries again: that SYN is new, the old one was already
	 * counted; then it is answered. */
	feed(an, 5000 * MS,
	    &(struct seg){C, S, 5001, 443, PKT_TCP_SYN, 77, 100, "", 0});
	assert_int_equal(analyzer_port(an, 1)->syn_unanswered, 1);
	assert_int_equal(analyzer_port(an, 1)->retransmits, 1);
	feed(an, 5001 * MS,
	    &(struct seg){S, C, 443, 5001, PKT_TCP_SYN | A, 9, 100, "", 0});
	feed(an, 5003 * MS, &(struct seg){C, S, 5001, 443, A, 78, 100, "", 0});
	analyzer_expire(an, 9000 * MS, 1);
	assert_int_equal(analyzer_port(an, 1)->syn_unanswered, 1);
	assert_int_equal(analyzer_port(an, 1)->connections, 1);
	assert_int_equal(analyzer_port(an, 1)->established, 1);
	assert_int_equal(analyzer_port(an, 1)->handshake.count, 1);
	assert_int_equal(analyzer_port(an, 1)->handshake.max_us, 3000);
	analyzer_free(an);
}

static void
reused_tuple_is_a_new_connection(void **state)
{
	struct analyzer *an = new_an(0);

	(void)state;
	feed(an, 0,
	    &(struct seg){C, S, 5002, 80, PKT_TCP_SYN, 1000, 100, "", 0});
	feed(an, 1 * MS,
	    &(struct seg){S, C, 80, 5002, PKT_TCP_SYN | A, 5, 100, "", 0});
	feed(an, 2 * MS, &(struct seg){C, S, 5002, 80, A, 1001, 100, "", 0});
	feed(an, 3 * MS,
	    &(struct seg){C, S, 5002, 80, PKT_TCP_FIN | A, 1001, 100, "", 0});
	feed(an, 4 * MS,
	    &(struct seg){S, C, 80, 5002, PKT_TCP_FIN | A, 6, 100, "", 0});
	/* Same ports again with a new ISN a moment later. */
	feed(an, 10 * MS,
	    &(struct seg){C, S, 5002, 80, PKT_TCP_SYN, 9000, 100, "", 0});
	feed(an, 12 * MS,
	    &(struct seg){S, C, 80, 5002, PKT_TCP_SYN | A, 50, 100, "", 0});
	feed(an, 14 * MS, &(struct seg){C, S, 5002, 80, A, 9001, 100, "", 0});
	assert_int_equal(analyzer_port(an, 0)->connections, 2);
	assert_int_equal(analyzer_port(an, 0)->established, 2);
	assert_int_equal(analyzer_port(an, 0)->retransmits, 0);
	assert_int_equal(analyzer_port(an, 0)->handshake.max_us, 4000);
	analyzer_free(an);
}

/*
 * A client aborts (RST) while the server's FIN is already on its way: the
 * FIN reaches a socket that is gone and the client's kernel answers it
 * with a second RST. One connection was reset, once. The same 4-tuple
 * reused and reset again is a second one.
 */
static void
crossing_fin_and_rst_is_one_reset(void **state)
{
	struct analyzer *an = new_an(0);

	(void)state;
	feed(an, 0,
	    &(struct seg){C, S, 5003, 80, PKT_TCP_SYN, 2000, 100, "", 0});
	feed(an, 1 * MS,
	    &(struct seg){S, C, 80, 5003, PKT_TCP_SYN | A, 70, 100, "", 0});
	feed(an, 2 * MS, &(struct seg){C, S, 5003, 80, A, 2001, 100, "", 0});
	feed(an, 3 * MS,
	    &(struct seg){C, S, 5003, 80, PKT_TCP_RST | A, 2001, 0, "", 0});
	feed(an, 3 * MS,
	    &(struct seg){S, C, 80, 5003, PKT_TCP_FIN | A, 71, 100, "", 0});
	feed(an, 3 * MS,
	    &(struct seg){C, S, 5003, 80, PKT_TCP_RST, 2001, 0, "", 0});
	assert_int_equal(analyzer_port(an, 0)->resets, 1);
	assert_int_equal(analyzer_port(an, 0)->packets_in, 4);
	feed(an, 50 * MS,
	    &(struct seg){C, S, 5003, 80, PKT_TCP_SYN, 8000, 100, "", 0});
	feed(an, 51 * MS,
	    &(struct seg){S, C, 80, 5003, PKT_TCP_RST | A, 0, 0, "", 0});
	assert_int_equal(analyzer_port(an, 0)->connections, 2);
	assert_int_equal(analyzer_port(an, 0)->resets, 2);
	/* A RST of a pair never seen counts on its own. */
	feed(an, 60 * MS,
	    &(struct seg){S, C, 80, 5999, PKT_TCP_RST | A, 0, 0, "", 0});
	assert_int_equal(analyzer_port(an, 0)->resets, 3);
	analyzer_free(an);
}

static void
flow_cap_evicts_and_counts(void **state)
{
	struct analyzer *an = new_an(4096);
	struct an_totals t;
	uint32_t i;

	(void)state;
	analyzer_totals(an, &t);
	assert_true(t.flow_capacity >= 16);
	for (i = 0; i < t.flow_capacity + 10; i++)
		feed(an, i * MS,
		    &(struct seg){
		        C + i, S, 6000, 80, PKT_TCP_SYN, 1, 100, "", 0});
	analyzer_totals(an, &t);
	assert_int_equal(t.flows, t.flow_capacity);
	assert_int_equal(t.flow_evictions, 10);
	assert_true(t.flow_memory <= 4096);
	assert_int_equal(
	    analyzer_port(an, 0)->connections, t.flow_capacity + 10);
	analyzer_free(an);
}

static void
pipelined_requests_time_the_first(void **state)
{
	struct analyzer *an = new_an(0);
	const char *get = "GET /a HTTP/1.1\r\n\r\n";

	(void)state;
	feed(an, 0, &(struct seg){C, S, 5003, 80, A, 1, 100, get, 19});
	feed(an, 5 * MS, &(struct seg){C, S, 5003, 80, A, 20, 100, get, 19});
	feed(an, 20 * MS,
	    &(struct seg){
	        S, C, 80, 5003, A, 1, 100, "HTTP/1.1 200 OK\r\n", 17});
	feed(an, 21 * MS,
	    &(struct seg){
	        S, C, 80, 5003, A, 18, 100, "HTTP/1.1 200 OK\r\n", 17});
	assert_int_equal(analyzer_port(an, 0)->responses[AN_HTTP], 1);
	assert_int_equal(analyzer_port(an, 0)->app[AN_HTTP].max_us, 20000);
	/* The interval reset clears histograms, keeps counters. */
	analyzer_reset_interval(an);
	assert_int_equal(analyzer_port(an, 0)->app[AN_HTTP].count, 0);
	assert_int_equal(analyzer_port(an, 0)->responses[AN_HTTP], 1);
	analyzer_free(an);
}

static void
talker_budget_overflows_into_a_sum(void **state)
{
	struct an_cfg cfg;
	struct analyzer *an;
	struct an_talker top[4];
	struct an_totals t;
	uint32_t i;

	(void)state;
	an_cfg_defaults(&cfg);
	cfg.talker_slots = 8;
	an = analyzer_new(&cfg);
	for (i = 0; i < 12; i++)
		feed(an, i,
		    &(struct seg){C + i, S, 7000, 9999, A, 1, 100, "", 0});
	feed(an, 99,
	    &(struct seg){C, S, 7000, 9999, A, 1, 100, "0123456789", 10});
	analyzer_totals(an, &t);
	assert_int_equal(t.talker_overflow_bytes, 4 * 40);
	assert_int_equal(analyzer_top_talkers(an, top, 4), 4);
	assert_int_equal(top[0].bytes, 40 + 50);
	assert_int_equal(top[0].packets, 2);
	/* Neither port is a service: the lower one names the pair. */
	assert_int_equal(top[0].port, 7000);
	analyzer_free(an);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(lhist_quantiles_within_bucket_error),
	    cmocka_unit_test(lhist_merge_adds_counts),
	    cmocka_unit_test(flowtab_finds_both_directions),
	    cmocka_unit_test(flowtab_memory_cap_evicts_least_recent),
	    cmocka_unit_test(keepalive_is_not_a_retransmission),
	    cmocka_unit_test(live_syn_timeout_counts_each_syn_once),
	    cmocka_unit_test(reused_tuple_is_a_new_connection),
	    cmocka_unit_test(crossing_fin_and_rst_is_one_reset),
	    cmocka_unit_test(flow_cap_evicts_and_counts),
	    cmocka_unit_test(pipelined_requests_time_the_first),
	    cmocka_unit_test(talker_budget_overflows_into_a_sum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
