// SPDX-License-Identifier: MIT
/* Counter to rate: wraps, resets, discontinuities, spikes; and the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"
#include "pipeline.h"

static void
first_sample_is_baseline_only(void **st)
{
	struct rate_state rs = {0};
	double r = -1;

	(void)st;
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 100, 1000, 0, 0, &r), RATE_BASELINE);
	assert_true(r == -1);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 1100, 11000, 0, 0, &r), RATE_OK);
	assert_true(r == 100.0);
}

static void
rate_after_wrap32(void **st)
{
	struct rate_state rs = {0};
	double r;

	(void)st;
	rate_update(&rs, CP_COUNTER32, 4294967000u, 0, 0, 0, &r);
	/* 296 to the wrap, then 704: 1000 in 10 s. */
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER32, 704, 10000, 0, 0, &r), RATE_OK);
	assert_true(r == 100.0);
}

static void
counter32_value_is_masked(void **st)
{
	struct rate_state rs = {0};
	double r;

	(void)st;
	/* A plugin passing a sign-extended 32-bit value still works. */
	rate_update(&rs, CP_COUNTER32, 0xffffffff00000010ull, 0, 0, 0, &r);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER32, 0x20, 1000, 0, 0, &r), RATE_OK);
	assert_true(r == 16.0);
}

static void
rate_after_wrap64(void **st)
{
	struct rate_state rs = {0};
	double r;

	(void)st;
	rate_update(&rs, CP_COUNTER64, UINT64_MAX - 99, 0, 0, 0, &r);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 100, 1000, 0, 0, &r), RATE_OK);
	assert_true(r == 200.0);
}

static void
reset64_gives_no_spike(void **st)
{
	struct rate_state rs = {0};
	double r = -1;

	(void)st;
	rate_update(&rs, CP_COUNTER64, 5000000000000ull, 0, 0, 0, &r);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 12345, 10000, 0, 0, &r), RATE_RESET);
	assert_true(r == -1);
	/* The reset value is the new baseline. */
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 22345, 20000, 0, 0, &r), RATE_OK);
	assert_true(r == 1000.0);
}

static void
reset32_far_below_gives_no_spike(void **st)
{
	struct rate_state rs = {0};
	double r;

	(void)st;
	/* From 1.0e9 back to 10: a wrap would mean 3.3e9 in 10 s, more than
	 * half the range: a reset. */
	rate_update(&rs, CP_COUNTER32, 1000000000u, 0, 0, 0, &r);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER32, 10, 10000, 0, 0, &r), RATE_RESET);
}

static void
discontinuity_rebaselines(void **st)
{
	struct rate_state rs = {0};
	double r = -1;

	(void)st;
	rate_update(&rs, CP_COUNTER64, 100, 0, 0, 0, &r);
	assert_int_equal(rate_update(&rs, CP_COUNTER64, 900, 1000, 1, 0, &r),
	    RATE_DISCONTINUITY);
	assert_true(r == -1);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 1000, 2000, 0, 0, &r), RATE_OK);
	assert_true(r == 100.0);
}

static void
delta_above_line_rate_is_dropped(void **st)
{
	struct rate_state rs = {0};
	double r;

	(void)st;
	/* 1 Gbit/s = 125e6 octets/s; margin included by the caller. */
	rate_update(&rs, CP_COUNTER64, 0, 0, 0, 0, &r);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 2000000000ull, 1000, 0, 130e6, &r),
	    RATE_TOO_HIGH);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 2100000000ull, 2000, 0, 130e6, &r),
	    RATE_OK);
	assert_true(r == 100e6);
}

static void
time_must_advance(void **st)
{
	struct rate_state rs = {0};
	double r;

	(void)st;
	rate_update(&rs, CP_COUNTER64, 0, 1000, 0, 0, &r);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 10, 1000, 0, 0, &r), RATE_BAD_TIME);
	assert_int_equal(
	    rate_update(&rs, CP_COUNTER64, 10, 500, 0, 0, &r), RATE_BAD_TIME);
}

static void
rate_names(void **st)
{
	char b[64];

	(void)st;
	rate_metric_name("disk_read_bytes_total", b, sizeof(b));
	assert_string_equal(b, "disk_read_bytes_per_second");
	rate_metric_name("odd", b, sizeof(b));
	assert_string_equal(b, "odd_per_second");
}

static void
cache_counter_publishes_rate_and_raw(void **st)
{
	struct cache *c = cache_new(NULL);
	struct cp_label l[] = {{"disk", "sda"}};
	struct cp_sample s = {0};
	double v;

	(void)st;
	s.target = "h";
	s.metric = "disk_read_bytes_total";
	s.labels = l;
	s.nlabels = 1;
	s.kind = CP_COUNTER64;
	s.scale = 512;
	s.counter = 10;
	s.time_ms = 1000;
	assert_int_equal(cache_put(c, &s, 1000), 0);
	assert_int_equal(cache_get(c, "h", "disk_read_bytes_per_second",
	                     "disk=sda", &v, NULL),
	    -2);
	s.counter = 20;
	s.time_ms = 2000;
	assert_int_equal(cache_put(c, &s, 1000), 0);
	assert_int_equal(cache_get(c, "h", "disk_read_bytes_per_second",
	                     "disk=sda", &v, NULL),
	    0);
	assert_true(v == 5120.0);
	assert_int_equal(
	    cache_get(c, "h", "disk_read_bytes_total", "disk=sda", &v, NULL),
	    0);
	assert_true(v == 20.0 * 512); /* raw counters read back scaled */
	cache_free(c);
}

static void
cache_label_order_does_not_matter(void **st)
{
	struct cache *c = cache_new(NULL);
	struct cp_label a[] = {{"cpu", "0"}, {"mode", "user"}};
	struct cp_label b[] = {{"mode", "user"}, {"cpu", "0"}};
	struct cp_sample s = {0};
	double v;

	(void)st;
	s.target = "h";
	s.metric = "cpu_ratio";
	s.labels = a;
	s.nlabels = 2;
	s.value = 0.25;
	s.time_ms = 1000;
	cache_put(c, &s, 1000);
	s.labels = b;
	s.value = 0.5;
	cache_put(c, &s, 1000);
	assert_int_equal(
	    cache_get(c, "h", "cpu_ratio", "mode=user,cpu=0", &v, NULL), 0);
	assert_true(v == 0.5);
	struct cache_stats cs;

	cache_get_stats(c, &cs);
	assert_int_equal(cs.series, 1);
	cache_free(c);
}

static void
cache_rejects_bad_names(void **st)
{
	struct cache *c = cache_new(NULL);
	struct cp_label dup[] = {{"a", "1"}, {"a", "2"}};
	struct cp_label bad[] = {{"a-b", "1"}};
	struct cp_label tgt[] = {{"target", "x"}};
	struct cp_sample s = {0};

	(void)st;
	s.target = "h";
	s.time_ms = 1;
	s.metric = "bad-name";
	assert_int_equal(cache_put(c, &s, 1000), -22);
	s.metric = "ok";
	s.labels = dup;
	s.nlabels = 2;
	assert_int_equal(cache_put(c, &s, 1000), -22);
	s.labels = bad;
	s.nlabels = 1;
	assert_int_equal(cache_put(c, &s, 1000), -22);
	s.labels = tgt;
	assert_int_equal(cache_put(c, &s, 1000), -22);
	cache_free(c);
}

static void
metrics_text_is_prometheus_format(void **st)
{
	struct cache *c = cache_new(NULL);
	struct cp_label l[] = {{"group", "we\"b\\x\ny"}};
	struct cp_sample s = {0};
	struct cache_text *t, *t2;

	(void)st;
	s.target = "h1";
	s.metric = "process_count";
	s.help = "Processes\nin group";
	s.labels = l;
	s.nlabels = 1;
	s.value = 3;
	s.time_ms = 1000;
	cache_put(c, &s, 1000);
	s.metric = "ctx_total";
	s.help = NULL;
	s.nlabels = 0;
	s.kind = CP_COUNTER64;
	s.counter = 18446744073709551615ull;
	cache_put(c, &s, 1000);
	t = cache_metrics_text(c);
	assert_string_equal(t->data,
	    "# HELP chokepoint_ctx_total ctx_total\n"
	    "# TYPE chokepoint_ctx_total counter\n"
	    "chokepoint_ctx_total{target=\"h1\"} 18446744073709551615\n"
	    "# HELP chokepoint_process_count Processes\\nin group\n"
	    "# TYPE chokepoint_process_count gauge\n"
	    "chokepoint_process_count{target=\"h1\",group=\"we\\\"b\\\\x\\ny\"}"
	    " "
	    "3\n");
	/* Unchanged cache: the same buffer is shared. */
	t2 = cache_metrics_text(c);
	assert_ptr_equal(t, t2);
	cache_text_unref(t);
	cache_text_unref(t2);
	cache_free(c);
}

static void
cache_expires_stale_series(void **st)
{
	struct cache *c = cache_new(NULL);
	struct cp_sample s = {0};
	char name[32];
	double v;

	(void)st;
	s.target = "h";
	s.time_ms = 1000;
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		s.metric = name;
		s.time_ms = i % 2 ? 1000 : 900000;
		cache_put(c, &s, 1000);
	}
	assert_int_equal(cache_expire(c, 1000000, 300000), 1500);
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		assert_int_equal(
		    cache_get(c, "h", name, NULL, &v, NULL), i % 2 ? -2 : 0);
	}
	cache_free(c);
}

struct seen {
	char names[16][64];
	int rrd[16];
	size_t n;
};

static int
seen_cb(const struct cache_series *v, void *arg)
{
	struct seen *sn = arg;

	if (sn->n < 16) {
		snprintf(
		    sn->names[sn->n], sizeof(sn->names[0]), "%s", v->metric);
		sn->rrd[sn->n++] = v->rrd != NULL;
	}
	return 0;
}

static int
seen_rrd(const struct seen *sn, const char *metric)
{
	for (size_t i = 0; i < sn->n; i++)
		if (strcmp(sn->names[i], metric) == 0)
			return sn->rrd[i];
	return -1;
}

/* cache_no_history: on /metrics, no RRD file (a counter: nor its rate);
 * cache_foreach(metric) walks only that metric's series, expired ones
 * gone. */
static void
no_history_and_foreach_by_metric(void **st)
{
	struct cache *c = cache_new(NULL);
	struct cp_label l1[] = {{"disk", "sda"}}, l2[] = {{"disk", "sdb"}};
	struct cp_sample s = {0};
	struct seen sn = {0};
	struct cache_text *t;

	(void)st;
	cache_no_history(c, "hooks_queued");
	cache_no_history(c, "drops_total");
	s.target = "h";
	s.time_ms = 1000;
	s.metric = "hooks_queued";
	cache_put(c, &s, 1000);
	s.metric = "disk_util_ratio";
	s.labels = l1;
	s.nlabels = 1;
	cache_put(c, &s, 1000);
	s.labels = l2;
	s.time_ms = 900000;
	cache_put(c, &s, 1000);
	s.labels = NULL;
	s.nlabels = 0;
	s.metric = "drops_total";
	s.kind = CP_COUNTER64;
	for (int i = 0; i < 2; i++) {
		s.time_ms = 1000 + 1000 * i;
		s.counter = 10u * (unsigned)i;
		cache_put(c, &s, 1000);
	}
	cache_foreach(c, NULL, NULL, seen_cb, &sn);
	assert_int_equal(seen_rrd(&sn, "hooks_queued"), 0);
	assert_int_equal(seen_rrd(&sn, "drops_per_second"), 0);
	assert_int_equal(seen_rrd(&sn, "disk_util_ratio"), 1);
	t = cache_metrics_text(c);
	assert_non_null(
	    strstr(t->data, "chokepoint_hooks_queued{target=\"h\"} 0"));
	assert_non_null(
	    strstr(t->data, "# TYPE chokepoint_drops_total counter"));
	cache_text_unref(t);
	memset(&sn, 0, sizeof(sn));
	cache_foreach(c, NULL, "disk_*", seen_cb, &sn);
	assert_int_equal(sn.n, 2);
	memset(&sn, 0, sizeof(sn));
	cache_foreach(c, NULL, "drops_per_second", seen_cb, &sn);
	assert_int_equal(sn.n, 1);
	memset(&sn, 0, sizeof(sn));
	cache_foreach(c, NULL, "nothing_here", seen_cb, &sn);
	assert_int_equal(sn.n, 0);
	/* All but sdb are old: expired, and unlinked from their families. */
	assert_int_equal(cache_expire(c, 1000000, 300000), 4);
	memset(&sn, 0, sizeof(sn));
	cache_foreach(c, NULL, "disk_util_ratio", seen_cb, &sn);
	assert_int_equal(sn.n, 1);
	cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(first_sample_is_baseline_only),
	    cmocka_unit_test(rate_after_wrap32),
	    cmocka_unit_test(counter32_value_is_masked),
	    cmocka_unit_test(rate_after_wrap64),
	    cmocka_unit_test(reset64_gives_no_spike),
	    cmocka_unit_test(reset32_far_below_gives_no_spike),
	    cmocka_unit_test(discontinuity_rebaselines),
	    cmocka_unit_test(delta_above_line_rate_is_dropped),
	    cmocka_unit_test(time_must_advance),
	    cmocka_unit_test(rate_names),
	    cmocka_unit_test(cache_counter_publishes_rate_and_raw),
	    cmocka_unit_test(cache_label_order_does_not_matter),
	    cmocka_unit_test(cache_rejects_bad_names),
	    cmocka_unit_test(metrics_text_is_prometheus_format),
	    cmocka_unit_test(cache_expires_stale_series),
	    cmocka_unit_test(no_history_and_foreach_by_metric),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
