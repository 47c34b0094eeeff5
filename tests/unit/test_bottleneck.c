// SPDX-License-Identifier: MIT
/*
 * The bottleneck ranking on constructed resource sets in a real cache:
 * saturation before utilisation, faults (uncorrected ECC) before all,
 * errors as the tie-breaker, the classic choke point classes, consumers;
 * and p95/max/since from real RRD files written by the store.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "bottleneck.h"
#include "cache.h"
#include "db.h"
#include "helpers/rmtree.h"
#include "rrd.h"
#include "targets.h"
#include "util.h"

#define T0 1800000000000LL

static void
put(struct cache *c, const char *target, const char *metric, const char *lk,
    const char *lv, double v, int64_t t)
{
	struct cp_label l = {lk, lv};
	struct cp_sample s = {0};

	s.target = target;
	s.metric = metric;
	s.labels = lk ? &l : NULL;
	s.nlabels = lk ? 1 : 0;
	s.value = v;
	s.time_ms = t;
	assert_int_equal(cache_put(c, &s, 10000), 0);
}

static json_t *
rank(struct cache *c, struct targets *tg, const char *host_role)
{
	struct bn_input in = {0};
	char *s;
	json_t *j;

	in.cache = c;
	in.targets = tg;
	in.hostname = "db1";
	in.host_role = host_role;
	in.now_ms = T0;
	s = bottlenecks_json(&in);
	assert_non_null(s);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	free(s);
	return j;
}

static const char *
at(json_t *j, size_t i, const char *key)
{
	json_t *b = json_array_get(json_object_get(j, "bottlenecks"), i);

	assert_non_null(b);
	return json_string_value(json_object_get(b, key));
}

static void
saturated_db_disk_ranks_first(void **state)
{
	struct cache *c = cache_new(NULL);
	json_t *j;

	(void)state;
	/* CPU busier than the disk, but nothing waits for it. */
	put(c, "db1", "cpu_busy_ratio", "cpu", "total", 0.97, T0);
	put(c, "db1", "run_queue_per_cpu", NULL, NULL, 0.8, T0);
	put(c, "db1", "memory_used_ratio", NULL, NULL, 0.7, T0);
	put(c, "db1", "disk_util_ratio", "disk", "sda", 0.3, T0);
	put(c, "db1", "disk_util_ratio", "disk", "sdb", 0.96, T0);
	put(c, "db1", "disk_queue_size", "disk", "sdb", 12, T0);
	put(c, "db1", "disk_write_await_seconds", "disk", "sdb", 0.08, T0);
	put(c, "db1", "process_write_bytes_per_second", "group", "db", 5e7, T0);
	put(c, "db1", "process_write_bytes_per_second", "group", "web", 1e5,
	    T0);
	j = rank(c, NULL, "db");
	assert_string_equal(at(j, 0, "resource"), "db1 disk sdb");
	assert_string_equal(at(j, 0, "class"), "DB disk I/O");
	assert_string_equal(at(j, 1, "resource"), "db1 cpu");
	assert_string_equal(at(j, 1, "class"), "DB CPU/memory");
	/* The consumer that writes most comes first. */
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(
	            json_object_get(
	                json_array_get(json_object_get(j, "bottlenecks"), 0),
	                "consumers"),
	            0),
	        "group")),
	    "db");
	json_decref(j);
	cache_free(c);
}

static void
saturation_beats_higher_utilisation(void **state)
{
	struct cache *c = cache_new(NULL);
	struct targets *tg = targets_new();
	json_t *j;

	(void)state;
	targets_declare(tg, "core1", "core");
	targets_declare(tg, "acc1", "l2");
	/* A core uplink at 99% without drops... */
	put(c, "core1", "if_out_util_ratio", "ifname", "Te1/1", 0.99, T0);
	put(c, "core1", "if_in_util_ratio", "ifname", "Te1/1", 0.40, T0);
	put(c, "core1", "if_out_discards_per_second", "ifname", "Te1/1", 0, T0);
	put(c, "core1", "if_out_util_ratio", "ifname", "Te1/2", 0.20, T0);
	/* ...ranks below web memory at 60% that is swapping. */
	put(c, "db1", "memory_used_ratio", NULL, NULL, 0.6, T0);
	put(c, "db1", "swap_in_pages_per_second", NULL, NULL, 2000, T0);
	/* and below an access port dropping packets at 70%. */
	put(c, "acc1", "if_out_util_ratio", "ifname", "Gi0/7", 0.7, T0);
	put(c, "acc1", "if_out_discards_per_second", "ifname", "Gi0/7", 50, T0);
	/* A DB server polled over SNMP: its interfaces are NICs. */
	targets_declare(tg, "dbsrv", "db");
	put(c, "dbsrv", "if_in_util_ratio", "ifname", "eth0", 0.1, T0);
	j = rank(c, tg, "web");
	assert_string_equal(at(j, 4, "resource"), "dbsrv nic eth0");
	assert_string_equal(at(j, 4, "kind"), "nic");
	assert_string_equal(at(j, 0, "resource"), "db1 memory");
	assert_string_equal(at(j, 0, "class"), "web-server memory");
	assert_string_equal(at(j, 1, "resource"), "acc1 port Gi0/7");
	assert_string_equal(at(j, 1, "class"), "L2 switch capacity");
	assert_string_equal(at(j, 2, "resource"), "core1 port Te1/1");
	assert_string_equal(at(j, 2, "class"), "core switch capacity");
	json_decref(j);
	targets_free(tg);
	cache_free(c);
}

static void
uncorrected_ecc_is_always_on_top(void **state)
{
	struct cache *c = cache_new(NULL);
	json_t *j, *b;

	(void)state;
	put(c, "db1", "disk_util_ratio", "disk", "sda", 1.0, T0);
	put(c, "db1", "disk_queue_size", "disk", "sda", 64, T0);
	put(c, "db1", "memory_used_ratio", NULL, NULL, 0.2, T0);
	put(c, "db1", "ecc_uncorrected_per_second", NULL, NULL, 0.1, T0);
	j = rank(c, NULL, NULL);
	assert_string_equal(at(j, 0, "resource"), "db1 memory");
	b = json_array_get(json_object_get(j, "bottlenecks"), 0);
	assert_true(json_is_true(json_object_get(b, "fault")));
	assert_string_equal(at(j, 0, "class"), "other");
	json_decref(j);
	cache_free(c);
}

static void
errors_break_ties(void **state)
{
	struct cache *c = cache_new(NULL);
	json_t *j;

	(void)state;
	put(c, "sw1", "if_out_util_ratio", "ifname", "a", 0.5, T0);
	put(c, "sw1", "if_out_util_ratio", "ifname", "b", 0.5, T0);
	put(c, "sw1", "if_in_errors_per_second", "ifname", "b", 3, T0);
	j = rank(c, NULL, NULL);
	assert_string_equal(at(j, 0, "resource"), "sw1 port b");
	assert_string_equal(at(j, 1, "resource"), "sw1 port a");
	/* Busiest other ports are the consumers of a port. */
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(
	            json_object_get(
	                json_array_get(json_object_get(j, "bottlenecks"), 0),
	                "consumers"),
	            0),
	        "ifname")),
	    "a");
	json_decref(j);
	cache_free(c);
}

static void
local_interfaces_are_nics_and_text_renders(void **state)
{
	struct cache *c = cache_new(NULL);
	struct bn_input in = {0};
	char *s, *txt = NULL;
	size_t len = 0;
	FILE *f;
	json_t *j;

	(void)state;
	put(c, "db1", "if_in_util_ratio", "ifname", "eth0", 0.9, T0);
	j = rank(c, NULL, NULL);
	assert_string_equal(at(j, 0, "kind"), "nic");
	json_decref(j);
	in.cache = c;
	in.hostname = "db1";
	in.now_ms = T0;
	s = bottlenecks_json(&in);
	f = open_memstream(&txt, &len);
	assert_int_equal(bottlenecks_text(s, f), 0);
	fclose(f);
	assert_non_null(strstr(txt, " 1. db1 nic eth0"));
	assert_non_null(strstr(txt, "util 90%"));
	assert_int_equal(bottlenecks_text("not json", stdout), -EINVAL);
	free(txt);
	free(s);
	cache_free(c);
}

static void
history_gives_p95_max_since_and_events(void **state)
{
	char dir[64] = "/tmp/test_bn.XXXXXX", err[256];
	struct store_cfg sc = {0};
	struct store *st;
	struct cache *c;
	struct db *db;
	struct bn_input in = {0};
	struct db_event ev = {0, 0, "db1", "firmware", "BIOS", CP_SEV_WARNING,
	    "2.11", "2.12", "BIOS updated"};
	int64_t now = (now_ms() / 10000) * 10000, t;
	json_t *j, *b, *u;
	char *s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sc.data_dir = dir;
	st = store_new(&sc);
	assert_non_null(st);
	assert_int_equal(store_start(st), 0);
	c = cache_new(st);
	db = db_open(dir, err, sizeof(err));
	assert_non_null(db);
	/* 15 minutes at 10 s: quiet at 20%, then busy at 95% for the last
	 * 5 minutes, one peak of 100%. */
	for (t = now - 900000; t <= now; t += 10000) {
		double v = t > now - 300000 ? 0.95 : 0.2;

		if (t == now - 100000)
			v = 1.0;
		put(c, "db1", "disk_util_ratio", "disk", "sdb", v, t);
	}
	ev.time_ms = now - 320000;
	assert_true(db_event_add(db, &ev) > 0);
	in.cache = c;
	in.store = st;
	in.data_dir = dir;
	in.db = db;
	in.hostname = "db1";
	in.host_role = "db";
	in.now_ms = now;
	s = bottlenecks_json(&in);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	b = json_array_get(json_object_get(j, "bottlenecks"), 0);
	u = json_object_get(b, "utilization");
	assert_true(json_real_value(json_object_get(u, "p95")) > 0.94);
	assert_true(json_real_value(json_object_get(u, "max")) > 0.99);
	assert_string_equal(
	    json_string_value(json_object_get(b, "trend")), "rising");
	/* Hot since about 5 minutes ago (one step of slack). */
	assert_true(
	    json_integer_value(json_object_get(b, "since_ms")) >= now - 320000);
	assert_true(
	    json_integer_value(json_object_get(b, "since_ms")) <= now - 280000);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(b, "events"), 0), "kind")),
	    "firmware");
	json_decref(j);
	free(s);
	cache_free(c);
	store_free(st);
	db_close(db);
	tu_rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(saturated_db_disk_ranks_first),
	    cmocka_unit_test(saturation_beats_higher_utilisation),
	    cmocka_unit_test(uncorrected_ecc_is_always_on_top),
	    cmocka_unit_test(errors_break_ties),
	    cmocka_unit_test(local_interfaces_are_nics_and_text_renders),
	    cmocka_unit_test(history_gives_p95_max_since_and_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
