// SPDX-License-Identifier: MIT
/*
 * The memory collector plugin (build/collectors/memory.so) against the
 * fixture trees: meminfo levels, vmstat counters of old and new kernels,
 * PSI, process groups (matching, CPU and I/O from deltas, pids coming and
 * going), damaged files and config errors.
 */
#include <string.h>
#include <unistd.h>

#include "helpers/testutil.h"
#include "log.h"

static void
memory_fixture_cases_match_expected(void **state)
{
	(void)state;
	tu_check_all_cases("memory");
}

static void
memory_levels_by_hand_on_6_8(void **state)
{
	struct harness *h =
	    tu_run("linux-6.8-two-snapshots", "memory", NULL, 2);
	uint64_t v;

	(void)state;
	/* meminfo is in kB: MemTotal 16314516, MemAvailable 9872448 at t1 */
	assert_near(tu_val(h, "memory_total_bytes", NULL), 16314516.0 * 1024);
	assert_near(
	    tu_val(h, "memory_available_bytes", NULL), 9872448.0 * 1024);
	assert_near(tu_val(h, "memory_used_bytes", NULL),
	    (16314516.0 - 9872448) * 1024);
	assert_near(tu_val(h, "memory_used_ratio", NULL),
	    (16314516.0 - 9872448) / 16314516);
	assert_near(tu_val(h, "memory_free_bytes", NULL), 1201296.0 * 1024);
	assert_near(tu_val(h, "memory_cached_bytes", NULL), 7655344.0 * 1024);
	assert_near(tu_val(h, "memory_buffers_bytes", NULL), 402112.0 * 1024);
	assert_near(tu_val(h, "swap_total_bytes", NULL), 4194300.0 * 1024);
	assert_near(
	    tu_val(h, "swap_used_bytes", NULL), (4194300.0 - 3145216) * 1024);
	/* page scans: kswapd + direct, not khugepaged/anon/file/throttle */
	assert_int_equal(harness_counter(h, "page_scan_total", NULL, &v), 0);
	assert_true(v == 1237567 + 4767);
	assert_int_equal(
	    harness_counter(h, "swap_in_pages_total", NULL, &v), 0);
	assert_true(v == 5163);
	assert_int_equal(harness_counter(h, "oom_kills_total", NULL, &v), 0);
	assert_true(v == 3);
	assert_int_equal(harness_counter(h, "major_faults_total", NULL, &v), 0);
	assert_true(v == 77178);
	assert_near(tu_val(h, "psi_memory_some_ratio", NULL), 0.0125);
	assert_near(tu_val(h, "psi_memory_full_ratio", NULL), 0.005);
	assert_int_equal(
	    harness_counter(h, "psi_memory_full_seconds_total", NULL, &v), 0);
	assert_true(v == 4371000);
	tu_no_violations(h);
	harness_free(h);
}

static void
memory_process_groups_by_hand(void **state)
{
	struct harness *h =
	    tu_run("linux-6.8-two-snapshots", "memory", NULL, 2);
	double page = (double)sysconf(_SC_PAGESIZE);
	double hz = (double)sysconf(_SC_CLK_TCK);

	(void)state;
	/* web: nginx 850, 851, 4100 (852 exited), php-fpm 900, 901 by their
	 * "php-fpm: ..." titles though comm is php-fpm8.3 */
	assert_near(tu_val(h, "process_instances", "group=web"), 5);
	assert_near(tu_val(h, "process_rss_bytes", "group=web"),
	    (1500 + 2500 + 2000 + 5000 + 8000) * page);
	/* 10 + 400 + 2 + 198 ticks in 10 s; 4100 is new (baseline), 852's
	 * last interval is lost, never negative */
	assert_near(
	    tu_val(h, "process_cpu_ratio", "group=web"), 610 / 10.0 / hz);
	assert_near(tu_val(h, "process_read_bytes_per_second", "group=web"),
	    409600 / 10.0);
	assert_near(tu_val(h, "process_write_bytes_per_second", "group=web"),
	    1048576 / 10.0);
	/* db: postgres and its checkpointer, not postgres_export(er) */
	assert_near(tu_val(h, "process_instances", "group=db"), 2);
	assert_near(
	    tu_val(h, "process_rss_bytes", "group=db"), (30000 + 12000) * page);
	assert_near(
	    tu_val(h, "process_cpu_ratio", "group=db"), 200 / 10.0 / hz);
	assert_near(
	    tu_val(h, "process_read_bytes_per_second", "group=db"), 8192000);
	assert_near(
	    tu_val(h, "process_write_bytes_per_second", "group=db"), 2048000);
	assert_near(tu_val(h, "process_io_unreadable", "group=db"), 0);
	harness_free(h);
}

static void
memory_process_rates_wait_for_a_baseline(void **state)
{
	struct harness *h =
	    tu_run("linux-6.8-two-snapshots", "memory", NULL, 1);

	(void)state;
	assert_near(tu_val(h, "process_instances", "group=web"), 5);
	assert_false(tu_has(h, "process_cpu_ratio", "group=web"));
	assert_false(tu_has(h, "process_read_bytes_per_second", "group=db"));
	harness_free(h);
}

static void
memory_group_matches_single_name_and_argv0_basename(void **state)
{
	struct harness *h = tu_run("linux-6.8-two-snapshots", "memory",
	    "{processes: {pg: postgres, init: [init], fpm: [php-fpm8.3], "
	    "exporter: [prometheus-postgres-exporter]}}",
	    2);

	(void)state;
	assert_near(tu_val(h, "process_instances", "group=pg"), 2);
	/* systemd's argv[0] is /sbin/init */
	assert_near(tu_val(h, "process_instances", "group=init"), 1);
	/* comm */
	assert_near(tu_val(h, "process_instances", "group=fpm"), 2);
	/* argv[0] basename; its comm is cut to 15 characters */
	assert_near(tu_val(h, "process_instances", "group=exporter"), 1);
	harness_free(h);
}

static void
memory_no_groups_no_process_metrics(void **state)
{
	struct harness *h =
	    tu_run("linux-6.8-two-snapshots", "memory", "{}", 2);

	(void)state;
	assert_int_equal(harness_count(h, "process_instances"), 0);
	assert_true(tu_has(h, "memory_used_bytes", NULL));
	harness_free(h);
}

static void
memory_old_kernel_sums_per_zone_page_scans(void **state)
{
	struct harness *h = tu_run("linux-4.4-no-psi", "memory", NULL, 2);
	uint64_t v;

	(void)state;
	assert_int_equal(harness_counter(h, "page_scan_total", NULL, &v), 0);
	assert_true(v == 41284567ull + 81334567 + 1241567 + 2358678);
	/* oom_kill came in 4.13, PSI in 4.20 */
	assert_false(tu_has(h, "oom_kills_total", NULL));
	assert_int_equal(harness_count(h, "psi_memory_some_ratio"), 0);
	assert_int_equal(harness_errors(h), 0);
	assert_near(tu_val(h, "process_cpu_ratio", "group=db"),
	    1200 / 10.0 / (double)sysconf(_SC_CLK_TCK));
	assert_near(
	    tu_val(h, "process_read_bytes_per_second", "group=db"), 12288000);
	harness_free(h);
}

static void
memory_garbage_is_skipped_and_counted(void **state)
{
	struct harness *h = tu_run("garbage-and-truncated", "memory", NULL, 2);

	(void)state;
	assert_true(harness_errors(h) > 0);
	assert_false(tu_has(h, "memory_total_bytes", NULL));
	assert_false(tu_has(h, "memory_used_ratio", NULL));
	assert_false(tu_has(h, "memory_cached_bytes", NULL));
	assert_false(tu_has(h, "swap_total_bytes", NULL));
	assert_near(
	    tu_val(h, "memory_available_bytes", NULL), 1401234.0 * 1024);
	assert_false(tu_has(h, "swap_in_pages_total", NULL));
	assert_false(tu_has(h, "major_faults_total", NULL));
	assert_true(tu_has(h, "swap_out_pages_total", NULL));
	/* the bad "some" line is dropped, the good "full" line kept */
	assert_false(tu_has(h, "psi_memory_some_ratio", NULL));
	assert_near(tu_val(h, "psi_memory_full_ratio", NULL), 0.001);
	/* 101 and 102 have unreadable stat lines; 103's io is garbage */
	assert_near(tu_val(h, "process_instances", "group=app"), 2);
	assert_near(tu_val(h, "process_cpu_ratio", "group=app"),
	    35 / 10.0 / (double)sysconf(_SC_CLK_TCK));
	assert_near(
	    tu_val(h, "process_write_bytes_per_second", "group=app"), 4096);
	harness_free(h);
}

static void
memory_garbage_is_logged_once(void **state)
{
	struct harness *h = tu_run("garbage-and-truncated", "memory", NULL, 2);
	uint64_t before;
	int i;

	(void)state;
	/* the per-process messages share one format: let the first minute's
	 * repeats be suppressed, then check meminfo/vmstat/PSI stay quiet */
	harness_collect(h, HARNESS_T0_MS + 20000);
	before = log_suppressed_total();
	for (i = 1; i <= 5; i++)
		harness_collect(h, HARNESS_T0_MS + 20000 + i * 1000);
	/* only 103/io (garbage, read every run) repeats: once per run */
	assert_true(log_suppressed_total() - before <= 5);
	assert_near(
	    tu_val(h, "memory_available_bytes", NULL), 1401234.0 * 1024);
	harness_free(h);
}

static void
config_error(const char *yaml, const char *want)
{
	char err[512];
	struct harness *h = harness_new("memory", err, sizeof(err));

	assert_non_null(h);
	assert_true(harness_configure(h, yaml) < 0);
	if (strstr(harness_config_errors(h), want) == NULL)
		fail_msg("config %s: wanted \"%s\", got \"%s\"", yaml, want,
		    harness_config_errors(h));
	harness_free(h);
}

static void
memory_rejects_bad_process_config(void **state)
{
	(void)state;
	config_error("{processes: [nginx]}",
	    "test.yaml:1:13: processes: expected a mapping");
	config_error("{processes: {web: [ngi/nx]}}",
	    "test.yaml:1:20: processes: web: expected a process name");
	config_error("{processes: {web: {nginx: 1}}}",
	    "test.yaml:1:19: processes: web: expected a list");
	config_error("{processes: {web: []}}",
	    "test.yaml:1:19: processes: web: expected a list");
}

static void
memory_rejects_unknown_option(void **state)
{
	char err[512];
	struct harness *h = harness_new("memory", err, sizeof(err));

	(void)state;
	assert_non_null(h);
	harness_configure(h, "{processes: {db: [mysqld]}, swap: true}");
	assert_non_null(strstr(
	    harness_config_errors(h), "test.yaml:1:29: unknown key 'swap'"));
	harness_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(memory_fixture_cases_match_expected),
	    cmocka_unit_test(memory_levels_by_hand_on_6_8),
	    cmocka_unit_test(memory_process_groups_by_hand),
	    cmocka_unit_test(memory_process_rates_wait_for_a_baseline),
	    cmocka_unit_test(
	        memory_group_matches_single_name_and_argv0_basename),
	    cmocka_unit_test(memory_no_groups_no_process_metrics),
	    cmocka_unit_test(memory_old_kernel_sums_per_zone_page_scans),
	    cmocka_unit_test(memory_garbage_is_skipped_and_counted),
	    cmocka_unit_test(memory_garbage_is_logged_once),
	    cmocka_unit_test(memory_rejects_bad_process_config),
	    cmocka_unit_test(memory_rejects_unknown_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
