// SPDX-License-Identifier: MIT
/*
 * The cpu collector plugin (build/collectors/cpu.so) against the fixture
 * trees of tests/fixtures/host: shares from jiffy deltas, hot-plug, old
 * kernels without PSI, damaged files, config errors.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers/testutil.h"
#include "log.h"

static const char *const modes[] = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};

static void
cpu_fixture_cases_match_expected(void **state)
{
	(void)state;
	tu_check_all_cases("cpu");
}

/* linux-6.8-two-snapshots/README has the arithmetic. */
static void
cpu_shares_from_jiffy_deltas_by_hand(void **state)
{
	struct harness *h = tu_run("linux-6.8-two-snapshots", "cpu", NULL, 2);

	(void)state;
	assert_near(tu_val(h, "cpu_ratio", "cpu=0,mode=user"), 0.25);
	assert_near(tu_val(h, "cpu_ratio", "cpu=0,mode=system"), 0.10);
	assert_near(tu_val(h, "cpu_ratio", "cpu=0,mode=idle"), 0.60);
	assert_near(tu_val(h, "cpu_ratio", "cpu=0,mode=iowait"), 0.03);
	assert_near(tu_val(h, "cpu_ratio", "cpu=0,mode=softirq"), 0.02);
	assert_near(tu_val(h, "cpu_busy_ratio", "cpu=0"), 0.37);
	assert_near(tu_val(h, "cpu_busy_ratio", "cpu=1"), 0.66);
	/* guest is a share of user, not added to it */
	assert_near(tu_val(h, "cpu_ratio", "cpu=3,mode=guest"), 0.03);
	assert_near(tu_val(h, "cpu_ratio", "cpu=3,mode=user"), 0.05);
	assert_near(
	    tu_val(h, "cpu_ratio", "cpu=total,mode=user"), 900.0 / 4000);
	assert_near(tu_val(h, "cpu_busy_ratio", "cpu=total"), 1310.0 / 4000);
	assert_near(tu_val(h, "cpus_online", NULL), 4);
	assert_near(tu_val(h, "procs_running", NULL), 3);
	assert_near(tu_val(h, "procs_blocked", NULL), 1);
	assert_near(tu_val(h, "run_queue_per_cpu", NULL), 0.75);
	assert_near(tu_val(h, "load1", NULL), 1.52);
	assert_near(tu_val(h, "load5", NULL), 0.98);
	assert_near(tu_val(h, "load15", NULL), 0.61);
	assert_near(tu_val(h, "psi_cpu_some_ratio", NULL), 0.025);
	assert_false(tu_has(h, "psi_cpu_full_ratio", NULL));
	tu_no_violations(h);
	harness_free(h);
}

static double
share(struct harness *h, const char *cpu, const char *mode)
{
	char lb[64];

	snprintf(lb, sizeof(lb), "cpu=%s,mode=%s", cpu, mode);
	return tu_val(h, "cpu_ratio", lb);
}

static void
cpu_shares_of_each_cpu_add_up_to_one(void **state)
{
	struct harness *h = tu_run("linux-6.8-two-snapshots", "cpu", NULL, 2);
	const char *cpus[] = {"0", "1", "2", "3", "total"};
	char lb[64];
	double sum;
	size_t i, m;

	(void)state;
	for (i = 0; i < 5; i++) {
		sum = 0;
		for (m = 0; m < 8; m++)
			sum += share(h, cpus[i], modes[m]);
		assert_near(sum, 1.0);
		/* busy is exactly 1 - idle - iowait - steal */
		snprintf(lb, sizeof(lb), "cpu=%s", cpus[i]);
		assert_near(tu_val(h, "cpu_busy_ratio", lb),
		    1 - share(h, cpus[i], "idle") -
		        share(h, cpus[i], "iowait") -
		        share(h, cpus[i], "steal"));
	}
	harness_free(h);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "r"), *out = fopen(to, "w");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/*
 * Only procfs/sysfs files stay open between runs: a regular file (a test
 * fixture) replaced by rename between two runs is read afresh.
 */
static void
replaced_regular_file_is_read_afresh(void **state)
{
	char dir[] = "/tmp/test_cpu.XXXXXX", p[512], q[512], err[512];
	const char *fx = "linux-6.8-two-snapshots";
	struct harness *h;
	uint64_t v0, v1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/proc", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/%s/t0/proc/stat", harness_fixtures(), fx);
	snprintf(q, sizeof(q), "%s/proc/stat", dir);
	copy_file(p, q);
	h = harness_new("cpu", err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(harness_configure(h, "{}"), 0);
	assert_int_equal(harness_start(h), 0);
	harness_root(h, dir);
	harness_collect(h, HARNESS_T0_MS);
	assert_int_equal(
	    harness_counter(h, "context_switches_total", NULL, &v0), 0);
	snprintf(p, sizeof(p), "%s/%s/t1/proc/stat", harness_fixtures(), fx);
	snprintf(q, sizeof(q), "%s/proc/stat.new", dir);
	copy_file(p, q);
	snprintf(p, sizeof(p), "%s/proc/stat", dir);
	assert_int_equal(rename(q, p), 0);
	harness_collect(h, HARNESS_T0_MS + HARNESS_STEP_MS);
	assert_int_equal(
	    harness_counter(h, "context_switches_total", NULL, &v1), 0);
	assert_true(v1 == 88169134); /* t1's, not t0's again */
	assert_true(v0 != v1);
	harness_free(h);
	unlink(p);
	snprintf(p, sizeof(p), "%s/proc", dir);
	rmdir(p);
	rmdir(dir);
}

static void
cpu_counters_go_to_the_pipeline_raw(void **state)
{
	struct harness *h = tu_run("linux-6.8-two-snapshots", "cpu", NULL, 2);
	uint64_t v;

	(void)state;
	assert_int_equal(
	    harness_counter(h, "context_switches_total", NULL, &v), 0);
	assert_true(v == 88169134);
	assert_int_equal(harness_counter(h, "interrupts_total", NULL, &v), 0);
	assert_true(v == 41258023);
	assert_int_equal(harness_counter(h, "forks_total", NULL, &v), 0);
	assert_true(v == 1203381);
	/* PSI total is in microseconds: the pipeline's rate times 1e-6 is
	 * seconds stalled per second. */
	assert_int_equal(
	    harness_counter(h, "psi_cpu_some_seconds_total", NULL, &v), 0);
	assert_true(v == 123706789);
	harness_free(h);
}

static void
cpu_first_run_is_a_baseline_only(void **state)
{
	struct harness *h = tu_run("linux-6.8-two-snapshots", "cpu", NULL, 1);

	(void)state;
	assert_int_equal(harness_count(h, "cpu_ratio"), 0);
	assert_int_equal(harness_count(h, "cpu_busy_ratio"), 0);
	assert_near(tu_val(h, "cpus_online", NULL), 4);
	assert_true(tu_has(h, "context_switches_total", NULL));
	assert_true(tu_has(h, "load1", NULL));
	harness_free(h);
}

static void
cpu_hot_unplug_gives_no_spike(void **state)
{
	struct harness *h = tu_run("cpu-hot-unplug", "cpu", NULL, 2);
	const struct harness_sample *s;
	size_t i;

	(void)state;
	/* cpu2 went away, cpu3 came back (baseline only), cpu1's idle went
	 * backwards: none of them gets a share this time. */
	for (i = 0; i < harness_nsamples(h); i++) {
		s = harness_sample(h, i);
		if (strcmp(s->metric, "cpu_ratio") != 0 &&
		    strcmp(s->metric, "cpu_busy_ratio") != 0)
			continue;
		assert_true(strncmp(s->labels, "cpu=0", 5) == 0 ||
		            strncmp(s->labels, "cpu=total", 9) == 0);
		assert_true(s->value >= 0 && s->value <= 1);
	}
	assert_near(tu_val(h, "cpu_busy_ratio", "cpu=0"), 0.42);
	assert_near(tu_val(h, "cpu_ratio", "cpu=0,mode=steal"), 0.03);
	assert_near(tu_val(h, "cpus_online", NULL), 3);
	assert_near(tu_val(h, "run_queue_per_cpu", NULL), 2.0 / 3);
	assert_int_equal(harness_errors(h), 0);
	harness_free(h);
}

static void
cpu_no_psi_on_4_4_is_not_an_error(void **state)
{
	struct harness *h = tu_run("linux-4.4-no-psi", "cpu", NULL, 2);

	(void)state;
	assert_int_equal(harness_count(h, "psi_cpu_some_ratio"), 0);
	assert_int_equal(harness_count(h, "psi_cpu_some_seconds_total"), 0);
	assert_int_equal(harness_errors(h), 0);
	assert_near(tu_val(h, "cpu_busy_ratio", "cpu=1"), 0.91);
	assert_near(tu_val(h, "run_queue_per_cpu", NULL), 2.5);
	harness_free(h);
}

static void
cpu_garbage_is_skipped_and_counted(void **state)
{
	struct harness *h = tu_run("garbage-and-truncated", "cpu", NULL, 2);

	(void)state;
	assert_true(harness_errors(h) > 0);
	/* what is still good is still there */
	assert_near(tu_val(h, "cpu_busy_ratio", "cpu=0"), 0.2);
	assert_near(tu_val(h, "cpu_busy_ratio", "cpu=total"), 0.2);
	assert_true(tu_has(h, "interrupts_total", NULL));
	/* the damaged lines are not */
	assert_false(tu_has(h, "cpu_busy_ratio", "cpu=1"));
	assert_false(tu_has(h, "cpu_busy_ratio", "cpu=2"));
	assert_false(tu_has(h, "context_switches_total", NULL));
	assert_false(tu_has(h, "procs_running", NULL));
	assert_false(tu_has(h, "run_queue_per_cpu", NULL));
	assert_false(tu_has(h, "psi_cpu_some_ratio", NULL));
	/* loadavg is missing: no load, no error count (just a log line) */
	assert_false(tu_has(h, "load1", NULL));
	harness_free(h);
}

static void
cpu_missing_procfs_then_back(void **state)
{
	char err[512];
	struct harness *h = harness_new("cpu", err, sizeof(err));

	(void)state;
	assert_non_null(h);
	assert_int_equal(harness_configure(h, NULL), 0);
	assert_int_equal(harness_start(h), 0);
	harness_root(h, "/nonexistent-chokepoint-test");
	assert_int_equal(harness_collect(h, HARNESS_T0_MS), 0);
	assert_int_equal(harness_nsamples(h), 0);
	assert_int_equal(harness_collect(h, HARNESS_T0_MS + 1000), 0);
	harness_snapshot(h, "linux-6.8-two-snapshots", "t0");
	assert_int_equal(harness_collect(h, HARNESS_T0_MS + 2000), 0);
	assert_true(tu_has(h, "cpus_online", NULL));
	harness_snapshot(h, "linux-6.8-two-snapshots", "t1");
	assert_int_equal(harness_collect(h, HARNESS_T0_MS + 12000), 0);
	assert_near(tu_val(h, "cpu_busy_ratio", "cpu=0"), 0.37);
	harness_free(h);
}

/*
 * The agent rate-limits a repeated message and counts what it suppressed:
 * a collector that logged its missing file or garbage on every run would
 * make that count grow. Logged once, it stays put.
 */
static void
cpu_missing_file_and_garbage_are_logged_once(void **state)
{
	struct harness *h = tu_run("garbage-and-truncated", "cpu", NULL, 2);
	uint64_t before = log_suppressed_total(), errors = harness_errors(h);
	int i;

	(void)state;
	for (i = 1; i <= 5; i++)
		harness_collect(h, HARNESS_T0_MS + HARNESS_STEP_MS + i * 1000);
	assert_true(log_suppressed_total() == before);
	/* still counted as errors on every run */
	assert_true(harness_errors(h) >= errors + 5);
	harness_free(h);
}

static void
cpu_same_snapshot_twice_gives_no_share(void **state)
{
	struct harness *h = tu_run("linux-6.8-two-snapshots", "cpu", NULL, 2);

	(void)state;
	/* no jiffy passed: no share rather than 0/0 */
	assert_int_equal(harness_collect(h, HARNESS_T0_MS + 20000), 0);
	assert_int_equal(harness_count(h, "cpu_ratio"), 0);
	assert_true(tu_has(h, "cpus_online", NULL));
	harness_free(h);
}

static void
put(const char *dir, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/proc/stat", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * Guest time is part of user + nice. A /proc/stat where it grew more than
 * they did (found by fuzz_proc_cpu: a guest share of 442) is inconsistent:
 * the guest share is left out, the other shares are sound and reported,
 * and the run counts one error however many lines have it.
 */
static void
cpu_guest_above_user_is_not_a_share(void **state)
{
	char dir[] = "/tmp/test_cpu.XXXXXX", p[512], err[512];
	struct harness *h;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/proc", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	h = harness_new("cpu", err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(harness_configure(h, "{}"), 0);
	assert_int_equal(harness_start(h), 0);
	harness_root(h, dir);
	put(dir, "cpu  100 0 50 1000 0 0 0 0 0 0\n"
	         "cpu0 100 0 50 1000 0 0 0 0 0 0\n");
	harness_collect(h, HARNESS_T0_MS);
	put(dir, "cpu  110 0 60 1080 0 0 0 0 500 0\n"
	         "cpu0 110 0 60 1080 0 0 0 0 5 1\n");
	harness_collect(h, HARNESS_T0_MS + HARNESS_STEP_MS);
	assert_false(tu_has(h, "cpu_ratio", "cpu=total,mode=guest"));
	assert_near(tu_val(h, "cpu_ratio", "cpu=total,mode=user"), 0.1);
	assert_near(tu_val(h, "cpu_busy_ratio", "cpu=total"), 0.2);
	/* cpu0's guest (6 of user 10) is consistent: reported */
	assert_near(tu_val(h, "cpu_ratio", "cpu=0,mode=guest"), 0.06);
	assert_int_equal(harness_errors(h), 1);
	tu_no_violations(h);
	harness_free(h);
	snprintf(p, sizeof(p), "%s/proc/stat", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/proc", dir);
	rmdir(p);
	rmdir(dir);
}

static void
cpu_rejects_unknown_option(void **state)
{
	char err[512];
	struct harness *h = harness_new("cpu", err, sizeof(err));

	(void)state;
	assert_non_null(h);
	harness_configure(h, "{percpu: false}");
	assert_non_null(strstr(
	    harness_config_errors(h), "test.yaml:1:2: unknown key 'percpu'"));
	harness_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cpu_fixture_cases_match_expected),
	    cmocka_unit_test(cpu_shares_from_jiffy_deltas_by_hand),
	    cmocka_unit_test(cpu_shares_of_each_cpu_add_up_to_one),
	    cmocka_unit_test(cpu_counters_go_to_the_pipeline_raw),
	    cmocka_unit_test(replaced_regular_file_is_read_afresh),
	    cmocka_unit_test(cpu_first_run_is_a_baseline_only),
	    cmocka_unit_test(cpu_hot_unplug_gives_no_spike),
	    cmocka_unit_test(cpu_no_psi_on_4_4_is_not_an_error),
	    cmocka_unit_test(cpu_garbage_is_skipped_and_counted),
	    cmocka_unit_test(cpu_missing_procfs_then_back),
	    cmocka_unit_test(cpu_missing_file_and_garbage_are_logged_once),
	    cmocka_unit_test(cpu_same_snapshot_twice_gives_no_share),
	    cmocka_unit_test(cpu_guest_above_user_is_not_a_share),
	    cmocka_unit_test(cpu_rejects_unknown_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
