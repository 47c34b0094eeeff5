// SPDX-License-Identifier: MIT
/*
 * The diskio collector plugin (build/collectors/diskio.so) against the
 * fixture trees: diskstats field counts of 4.4, 4.19 and 5.5+, await /
 * util / queue from deltas, disks appearing, wrapped fields, the device
 * filters and their options, damaged files.
 */
#include <string.h>

#include "helpers/testutil.h"

static void
diskio_fixture_cases_match_expected(void **state)
{
	(void)state;
	tu_check_all_cases("diskio");
}

/* linux-6.8-two-snapshots/README has the arithmetic. */
static void
diskio_await_util_queue_by_hand(void **state)
{
	struct harness *h =
	    tu_run("linux-6.8-two-snapshots", "diskio", NULL, 2);
	uint64_t v;

	(void)state;
	assert_near(
	    tu_val(h, "disk_read_await_seconds", "disk=nvme0n1"), 0.5 / 1000.0);
	assert_near(
	    tu_val(h, "disk_write_await_seconds", "disk=nvme0n1"), 3 / 1000.0);
	assert_near(tu_val(h, "disk_util_ratio", "disk=nvme0n1"), 0.45);
	assert_near(tu_val(h, "disk_queue_size", "disk=nvme0n1"), 1.35);
	assert_near(tu_val(h, "disk_inflight", "disk=nvme0n1"), 3);
	/* no writes in the interval: await 0, not 0/0 */
	assert_near(
	    tu_val(h, "disk_write_await_seconds", "disk=sda"), 0 / 1000.0);
	assert_near(
	    tu_val(h, "disk_read_await_seconds", "disk=sda"), 8 / 1000.0);
	/* counters are raw; bytes are 512-byte sectors */
	assert_int_equal(
	    harness_counter(h, "disk_read_bytes_total", "disk=nvme0n1", &v), 0);
	assert_true(v == 40160000ull * 512);
	assert_int_equal(
	    harness_counter(h, "disk_reads_total", "disk=nvme0n1", &v), 0);
	assert_true(v == 502000);
	assert_near(tu_val(h, "psi_io_some_ratio", NULL), 0.1234);
	assert_near(tu_val(h, "psi_io_full_ratio", NULL), 0.0987);
	tu_no_violations(h);
	harness_free(h);
}

static void
diskio_whole_disks_only_by_default(void **state)
{
	struct harness *h =
	    tu_run("linux-6.8-two-snapshots", "diskio", NULL, 2);
	const struct harness_sample *s;
	size_t i;

	(void)state;
	for (i = 0; i < harness_nsamples(h); i++) {
		s = harness_sample(h, i);
		if (strncmp(s->metric, "disk_", 5) == 0 &&
		    strcmp(s->labels, "disk=nvme0n1") != 0 &&
		    strcmp(s->labels, "disk=sda") != 0)
			fail_msg("%s{%s} reported", s->metric, s->labels);
	}
	assert_int_equal(harness_count(h, "disk_reads_total"), 2);
	harness_free(h);
}

static void
diskio_new_fields_on_5_5(void **state)
{
	struct harness *h;

	(void)state;
	/* 20 fields (5.5+): discards and flushes */
	h = tu_run("diskstats-5.10-discard-flush", "diskio", NULL, 2);
	assert_near(tu_val(h, "disk_discards_total", "disk=nvme0n1"), 45878);
	assert_near(tu_val(h, "disk_flushes_total", "disk=nvme0n1"), 347178);
	assert_near(tu_val(h, "disk_read_await_seconds", "disk=nvme0n1"),
	    0.25 / 1000.0);
	assert_near(tu_val(h, "disk_write_await_seconds", "disk=mmcblk0"),
	    100 / 1000.0);
	harness_free(h);
	/* 18 fields (4.18-5.4): discards only */
	h = tu_run("cpu-hot-unplug", "diskio", NULL, 2);
	assert_near(tu_val(h, "disk_discards_total", "disk=vda"), 1236);
	assert_int_equal(harness_count(h, "disk_flushes_total"), 0);
	harness_free(h);
	/* 14 fields: neither */
	h = tu_run("linux-4.4-no-psi", "diskio", NULL, 2);
	assert_int_equal(harness_count(h, "disk_discards_total"), 0);
	assert_int_equal(harness_count(h, "disk_flushes_total"), 0);
	assert_near(tu_val(h, "disk_util_ratio", "disk=sda"), 0.98);
	assert_near(tu_val(h, "disk_queue_size", "disk=sda"), 6.1);
	assert_int_equal(harness_count(h, "psi_io_some_ratio"), 0);
	assert_int_equal(harness_errors(h), 0);
	harness_free(h);
}

static void
diskio_disk_appearing_is_baseline_only(void **state)
{
	struct harness *h = tu_run("disk-appears", "diskio", NULL, 2);

	(void)state;
	assert_near(tu_val(h, "disk_reads_total", "disk=sdb"), 1201);
	assert_near(tu_val(h, "disk_inflight", "disk=sdb"), 2);
	assert_false(tu_has(h, "disk_read_await_seconds", "disk=sdb"));
	assert_false(tu_has(h, "disk_util_ratio", "disk=sdb"));
	assert_false(tu_has(h, "disk_queue_size", "disk=sdb"));
	assert_false(tu_has(h, "disk_reads_total", "disk=sdb1"));
	assert_false(tu_has(h, "disk_reads_total", "disk=sdc"));
	assert_near(tu_val(h, "disk_util_ratio", "disk=sda"), 0.12);
	assert_near(tu_val(h, "disk_queue_size", "disk=sda"), 0.21);
	harness_free(h);
}

static void
diskio_wrapped_time_field_gives_no_spike(void **state)
{
	struct harness *h =
	    tu_run("diskstats-5.10-discard-flush", "diskio", NULL, 2);

	(void)state;
	assert_true(tu_has(h, "disk_writes_total", "disk=sdb"));
	assert_false(tu_has(h, "disk_write_await_seconds", "disk=sdb"));
	assert_false(tu_has(h, "disk_util_ratio", "disk=sdb"));
	assert_false(tu_has(h, "disk_queue_size", "disk=sdb"));
	harness_free(h);
}

static void
diskio_util_is_capped_at_one(void **state)
{
	char err[512];
	struct harness *h = harness_new("diskio", err, sizeof(err));

	(void)state;
	assert_non_null(h);
	assert_int_equal(harness_configure(h, NULL), 0);
	assert_int_equal(harness_start(h), 0);
	harness_snapshot(h, "linux-6.8-two-snapshots", "t0");
	harness_collect(h, HARNESS_T0_MS);
	harness_snapshot(h, "linux-6.8-two-snapshots", "t1");
	/* 4500 ms of I/O time in a 2 s interval (a late tick): 1, not 2.25 */
	harness_collect(h, HARNESS_T0_MS + 2000);
	assert_near(tu_val(h, "disk_util_ratio", "disk=nvme0n1"), 1);
	assert_near(tu_val(h, "disk_queue_size", "disk=nvme0n1"), 6.75);
	harness_free(h);
}

static void
diskio_include_replaces_the_defaults(void **state)
{
	struct harness *h = tu_run("linux-6.8-two-snapshots", "diskio",
	    "{include: [\"dm-*\", \"zram*\"]}", 2);

	(void)state;
	assert_true(tu_has(h, "disk_reads_total", "disk=dm-0"));
	assert_true(tu_has(h, "disk_reads_total", "disk=zram0"));
	assert_int_equal(harness_count(h, "disk_reads_total"), 2);
	harness_free(h);
}

static void
diskio_exclude_replaces_the_defaults(void **state)
{
	struct harness *h =
	    tu_run("linux-6.8-two-snapshots", "diskio", "{exclude: [sda]}", 2);

	(void)state;
	assert_false(tu_has(h, "disk_reads_total", "disk=sda"));
	assert_true(tu_has(h, "disk_reads_total", "disk=nvme0n1"));
	assert_true(tu_has(h, "disk_reads_total", "disk=loop0"));
	assert_true(tu_has(h, "disk_reads_total", "disk=dm-0"));
	/* partitions stay out */
	assert_false(tu_has(h, "disk_reads_total", "disk=nvme0n1p1"));
	harness_free(h);
}

static void
diskio_partitions_option_adds_them(void **state)
{
	struct harness *h = tu_run("linux-6.8-two-snapshots", "diskio",
	    "{partitions: true, include: [\"nvme*\"]}", 2);

	(void)state;
	assert_true(tu_has(h, "disk_reads_total", "disk=nvme0n1"));
	assert_true(tu_has(h, "disk_reads_total", "disk=nvme0n1p1"));
	assert_true(tu_has(h, "disk_reads_total", "disk=nvme0n1p3"));
	assert_int_equal(harness_count(h, "disk_reads_total"), 4);
	harness_free(h);
}

static void
diskio_partitions_by_name_without_sysfs(void **state)
{
	char err[512];
	struct harness *h = harness_new("diskio", err, sizeof(err));

	(void)state;
	assert_non_null(h);
	assert_int_equal(harness_configure(h, NULL), 0);
	assert_int_equal(harness_start(h), 0);
	harness_snapshot(h, "linux-6.8-two-snapshots", "t1");
	harness_sysfs(h, "/nonexistent-chokepoint-sysfs");
	harness_collect(h, HARNESS_T0_MS);
	assert_true(tu_has(h, "disk_reads_total", "disk=nvme0n1"));
	assert_true(tu_has(h, "disk_reads_total", "disk=sda"));
	assert_false(tu_has(h, "disk_reads_total", "disk=nvme0n1p2"));
	assert_false(tu_has(h, "disk_reads_total", "disk=sda1"));
	assert_false(tu_has(h, "disk_reads_total", "disk=loop0"));
	harness_free(h);
}

static void
diskio_garbage_is_skipped_and_counted(void **state)
{
	struct harness *h = tu_run("garbage-and-truncated", "diskio", NULL, 2);

	(void)state;
	assert_true(harness_errors(h) > 0);
	/* the first vda line counts, its duplicate does not */
	assert_near(tu_val(h, "disk_reads_total", "disk=vda"), 30223);
	assert_near(
	    tu_val(h, "disk_read_await_seconds", "disk=vda"), 1 / 1000.0);
	assert_false(tu_has(h, "disk_reads_total", "disk=sda"));
	assert_false(tu_has(h, "disk_reads_total", "disk=vdc"));
	assert_false(tu_has(h, "disk_reads_total", "disk=vdd"));
	/* empty pressure/io: reported, nothing emitted */
	assert_int_equal(harness_count(h, "psi_io_some_ratio"), 0);
	harness_free(h);
}

static void
config_error(const char *yaml, const char *want)
{
	char err[512];
	struct harness *h = harness_new("diskio", err, sizeof(err));

	assert_non_null(h);
	assert_true(harness_configure(h, yaml) < 0);
	if (strstr(harness_config_errors(h), want) == NULL)
		fail_msg("config %s: wanted \"%s\", got \"%s\"", yaml, want,
		    harness_config_errors(h));
	harness_free(h);
}

static void
diskio_rejects_bad_options(void **state)
{
	(void)state;
	config_error("{include: sd*}",
	    "test.yaml:1:11: include: expected a list of device name globs");
	config_error("{exclude: [{a: b}]}",
	    "test.yaml:1:12: exclude: expected a device name glob");
	config_error("{partitions: maybe}", "test.yaml:1:14:");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(diskio_fixture_cases_match_expected),
	    cmocka_unit_test(diskio_await_util_queue_by_hand),
	    cmocka_unit_test(diskio_whole_disks_only_by_default),
	    cmocka_unit_test(diskio_new_fields_on_5_5),
	    cmocka_unit_test(diskio_disk_appearing_is_baseline_only),
	    cmocka_unit_test(diskio_wrapped_time_field_gives_no_spike),
	    cmocka_unit_test(diskio_util_is_capped_at_one),
	    cmocka_unit_test(diskio_include_replaces_the_defaults),
	    cmocka_unit_test(diskio_exclude_replaces_the_defaults),
	    cmocka_unit_test(diskio_partitions_option_adds_them),
	    cmocka_unit_test(diskio_partitions_by_name_without_sysfs),
	    cmocka_unit_test(diskio_garbage_is_skipped_and_counted),
	    cmocka_unit_test(diskio_rejects_bad_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
