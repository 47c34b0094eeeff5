// SPDX-License-Identifier: MIT
/*
 * The ecc collector against fixture EDAC trees (tests/fixtures/host/edac-*)
 * with a real SQLite store: every sysfs layout, counters increasing between
 * reads, an uncorrected error, restarts within and across boots, the
 * corrected-error threshold, rasdaemon reconciliation, malformed files and
 * a host without EDAC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "hw_harness.h"

struct t {
	struct hw_h h;
	char sys[PATH_MAX];  /* symlink in the data dir -> a fixture sys */
	char proc[PATH_MAX]; /* symlink -> a fixture proc */
};

static void
use(struct t *t, const char *tcase)
{
	char target[PATH_MAX];

	hw_fixture(target, sizeof(target), tcase, "sys");
	hw_relink(target, t->sys);
	hw_fixture(target, sizeof(target), tcase, "proc");
	hw_relink(target, t->proc);
}

static int
setup(void **state)
{
	struct t *t = xcalloc(1, sizeof(*t));

	hw_init(&t->h);
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->h.dir);
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->h.dir);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	hw_fini(&t->h);
	free(t);
	return 0;
}

static void
start(struct t *t, const char *yaml)
{
	assert_int_equal(hw_open(&t->h, "ecc", t->sys, t->proc, yaml, 1), 0);
}

#define L0 "mc=mc0,dimm=dimm1,label=CPU_SrcID#0_MC#0_Chan#1_DIMM#0"
#define L1 "mc=mc1,dimm=dimm0,label=CPU_SrcID#1_MC#0_Chan#0_DIMM#0"

static void
dimm_layout_counts_per_dimm_not_twice(void **state)
{
	struct t *t = *state;
	const struct hw_sample *s;
	struct hw_evlist ev;

	use(t, "edac-dimm");
	start(t, NULL);
	assert_int_equal(hw_collect(&t->h, 1000000), 0);
	s = hw_sample(&t->h, "ecc_corrected_total", L0);
	assert_non_null(s);
	assert_int_equal(s->kind, CP_COUNTER64);
	assert_int_equal(s->counter, 5);
	s = hw_sample(&t->h, "ecc_corrected_since_boot", L0);
	assert_non_null(s);
	assert_true(s->value == 5.0);
	s = hw_sample(&t->h, "ecc_mc_corrected_total", "mc=mc0");
	assert_non_null(s);
	assert_int_equal(s->counter, 5);
	/* The legacy csrow view of the same DIMMs is ignored. */
	for (size_t i = 0; i < t->h.ns; i++)
		assert_null(strstr(t->h.s[i].labels, "csrow"));
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 1);
	assert_non_null(strstr(ev.msg[0], "5 corrected memory errors on "
	                                  "CPU_SrcID#0_MC#0_Chan#1_DIMM#0"));
	assert_string_equal(ev.comp[0], "CPU_SrcID#0_MC#0_Chan#1_DIMM#0");
	assert_int_equal(ev.sev[0], CP_SEV_WARNING);
	assert_string_equal(ev.before[0], "0");
	assert_string_equal(ev.after[0], "5");
}

static void
increase_is_an_event_and_ue_is_critical(void **state)
{
	struct t *t = *state;
	struct hw_evlist ev;
	const struct hw_sample *s;

	use(t, "edac-dimm");
	start(t, NULL);
	hw_collect(&t->h, 1000000);
	hw_collect(&t->h, 1010000); /* unchanged: nothing new */
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 1);

	use(t, "edac-dimm-later");
	hw_collect(&t->h, 1020000);
	s = hw_sample(&t->h, "ecc_uncorrected_total", L1);
	assert_non_null(s);
	assert_int_equal(s->counter, 1);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 3);
	assert_int_equal(hw_count(&ev, "7 corrected memory errors on "
	                               "CPU_SrcID#0_MC#0_Chan#1_DIMM#0"),
	    1);
	assert_int_equal(hw_count(&ev, "1 uncorrected memory error on "
	                               "CPU_SrcID#1_MC#0_Chan#0_DIMM#0"),
	    1);
	for (size_t i = 0; i < ev.n; i++)
		if (strstr(ev.msg[i], "uncorrected"))
			assert_int_equal(ev.sev[i], CP_SEV_CRITICAL);
	hw_collect(&t->h, 1030000);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 3);
}

static void
restart_same_boot_repeats_nothing_new_boot_reports(void **state)
{
	struct t *t = *state;
	struct hw_evlist ev;
	char proc2[PATH_MAX], p[PATH_MAX + 64];

	use(t, "edac-dimm");
	start(t, NULL);
	hw_collect(&t->h, 1000000);
	hw_close(&t->h);
	start(t, NULL);
	hw_collect(&t->h, 2000000);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 1);
	/* Errors that happened while the agent was down are still seen. */
	use(t, "edac-dimm-later");
	hw_close(&t->h);
	start(t, NULL);
	hw_collect(&t->h, 3000000);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 3);
	hw_close(&t->h);

	/* After a reboot (new boot id) the since-boot counts are new. */
	snprintf(proc2, sizeof(proc2), "%s/proc2", t->h.dir);
	snprintf(p, sizeof(p), "%s/sys/kernel/random", proc2);
	assert_int_equal(mkdir_p(p), 0);
	snprintf(p, sizeof(p), "%s/sys/kernel/random/boot_id", proc2);
	hw_write(p, "0f0f0f0f-1111-2222-3333-444444444444\n");
	hw_relink(proc2, t->proc);
	start(t, NULL);
	hw_collect(&t->h, 4000000);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 5);
	assert_int_equal(hw_count(&ev, "12 corrected memory errors"), 1);
}

static void
rank_layout(void **state)
{
	struct t *t = *state;
	const struct hw_sample *s;

	use(t, "edac-rank");
	start(t, NULL);
	hw_collect(&t->h, 1000000);
	s = hw_sample(&t->h, "ecc_corrected_total",
	    "mc=mc0,dimm=rank2,label=mc#0csrow#1channel#0");
	assert_non_null(s);
	assert_int_equal(s->counter, 7);
	assert_null(hw_sample(
	    &t->h, "ecc_corrected_total", "mc=mc0,dimm=rank4,label="));
}

static void
legacy_csrow_layout(void **state)
{
	struct t *t = *state;
	const struct hw_sample *s;
	struct hw_evlist ev;

	use(t, "edac-csrow");
	start(t, NULL);
	hw_collect(&t->h, 1000000);
	s = hw_sample(&t->h, "ecc_corrected_total",
	    "mc=mc0,dimm=csrow0_ch1,label=DIMM_A2");
	assert_non_null(s);
	assert_int_equal(s->counter, 3);
	s = hw_sample(
	    &t->h, "ecc_uncorrected_total", "mc=mc0,dimm=csrow1,label=DIMM_B1");
	assert_non_null(s);
	assert_int_equal(s->counter, 1);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 2);
	assert_int_equal(hw_count(&ev, "1 uncorrected memory error on "
	                               "DIMM_B1"),
	    1);
}

static void
threshold_makes_few_corrected_errors_info(void **state)
{
	struct t *t = *state;
	struct hw_evlist ev;

	use(t, "edac-dimm");
	start(t, "{ce_threshold: 10, ce_window: 1h}");
	hw_collect(&t->h, 1000000);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.sev[0], CP_SEV_INFO);
	use(t, "edac-dimm-later");
	hw_collect(&t->h, 1060000);
	hw_events(&t->h, "ecc", &ev);
	/* 5 + 7 inside the hour reaches 10. */
	for (size_t i = 0; i < ev.n; i++)
		if (strstr(ev.msg[i], "7 corrected"))
			assert_int_equal(ev.sev[i], CP_SEV_WARNING);
	assert_int_equal(hw_count(&ev, "12 in the last 1h (warning at 10)"), 1);
}

static void
per_dimm_threshold_override(void **state)
{
	struct t *t = *state;
	struct hw_evlist ev;

	use(t, "edac-dimm");
	start(t, "{ce_threshold: 1, ce_thresholds: {\"CPU_SrcID#0_*\": 100}}");
	hw_collect(&t->h, 1000000);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.sev[0], CP_SEV_INFO);
}

static void
bad_config_is_rejected_with_position(void **state)
{
	struct t *t = *state;
	char buf[600];

	use(t, "edac-dimm");
	assert_true(hw_open(&t->h, "ecc", t->sys, t->proc,
	                "ce_threshold: 0\nce_thresholds: {a: x}\n", 0) < 0);
	assert_true(t->h.errs.n >= 2);
	err_format(&t->h.errs.v[0], buf, sizeof(buf));
	assert_non_null(strstr(buf, "test.yaml:1:"));
}

static void
exec_sql(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sql: %s\n", err);
		abort();
	}
}

static void
rasdaemon_is_reconciled(void **state)
{
	struct t *t = *state;
	struct hw_evlist ev;
	char path[PATH_MAX + 32], yaml[PATH_MAX + 64];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/ras-mc_event.db", t->h.dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* rasdaemon's own schema (ras-record.c, mc_event_tab). */
	exec_sql(db, "CREATE TABLE mc_event (id INTEGER PRIMARY KEY, "
	             "timestamp TEXT, err_count INTEGER, err_type TEXT, "
	             "err_msg TEXT, label TEXT, mc INTEGER, top_layer INTEGER, "
	             "middle_layer INTEGER, lower_layer INTEGER, address "
	             "INTEGER, grain INTEGER, syndrome INTEGER, driver_detail "
	             "TEXT);"
	             "INSERT INTO mc_event VALUES (NULL, '2024-01-01 "
	             "10:00:00 +0000', 5, 'Corrected', 'memory read error', "
	             "'CPU_SrcID#0_MC#0_Chan#1_DIMM#0', 0, 1, 0, -1, 4096, "
	             "64, 0, '');");
	snprintf(yaml, sizeof(yaml), "{rasdaemon: \"%s\"}", path);
	use(t, "edac-dimm");
	start(t, yaml);
	hw_collect(&t->h, 1000000); /* history skipped */
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 1);
	assert_int_equal(hw_count(&ev, "rasdaemon"), 0);

	exec_sql(db,
	    "INSERT INTO mc_event VALUES (NULL, '2024-01-02 11:00:00 +0000', "
	    "7, 'Corrected', 'memory scrubbing error', "
	    "'CPU_SrcID#0_MC#0_Chan#1_DIMM#0', 0, 1, 0, -1, 3735928559, 64, "
	    "0, 'bank 7');"
	    /* unlabelled: matched by mc and layers (channel 0 slot 0) */
	    "INSERT INTO mc_event VALUES (NULL, '2024-01-02 11:00:01 +0000', "
	    "1, 'Uncorrected', 'memory read error', '', 1, 0, 0, -1, 8192, "
	    "64, 0, '');"
	    /* a DIMM whose sysfs counters did not move */
	    "INSERT INTO mc_event VALUES (NULL, '2024-01-02 11:00:02 +0000', "
	    "3, 'Corrected', 'patrol scrub', "
	    "'CPU_SrcID#1_MC#0_Chan#1_DIMM#0', 1, 1, 0, -1, 16384, 64, 0, "
	    "'');");
	use(t, "edac-dimm-later");
	hw_collect(&t->h, 1010000);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 4);
	assert_int_equal(hw_count(&ev, "7 corrected memory errors on "
	                               "CPU_SrcID#0_MC#0_Chan#1_DIMM#0"),
	    1);
	assert_int_equal(hw_count(&ev, "rasdaemon: 7 Corrected at 2024-01-02 "
	                               "11:00:00 +0000, address 0xdeadbeef: "
	                               "memory scrubbing error"),
	    1);
	assert_int_equal(hw_count(&ev, "rasdaemon: 1 Uncorrected"), 1);
	assert_int_equal(hw_count(&ev, "rasdaemon recorded 3 Corrected "
	                               "errors on CPU_SrcID#1_MC#0_Chan#1_"
	                               "DIMM#0"),
	    1);
	/* Handled records are not read again, not even after a restart. */
	hw_close(&t->h);
	start(t, yaml);
	hw_collect(&t->h, 1020000);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 4);
	sqlite3_close(db);
}

static void
malformed_files_are_reported_never_crash(void **state)
{
	struct t *t = *state;
	const struct hw_sample *s;
	char logpath[64], *log;
	int saved;

	use(t, "edac-malformed");
	start(t, NULL);
	hw_capture_stderr_begin(&saved, logpath, sizeof(logpath));
	assert_int_equal(hw_collect(&t->h, 1000000), 0);
	log = hw_capture_stderr_end(saved, logpath);
	/* The sound DIMM is still read. */
	s = hw_sample(
	    &t->h, "ecc_corrected_total", "mc=mc0,dimm=dimm1,label=DIMM_A2");
	assert_non_null(s);
	assert_int_equal(s->counter, 2);
	/* Each bad file is named with what is wrong. */
	assert_non_null(strstr(log, "mc0/ue_count: not a number"));
	assert_non_null(strstr(log, "mc0/ce_count: empty"));
	assert_non_null(strstr(log, "malformed sysfs content (4)"));
	assert_non_null(
	    strstr(log, "dimm0/dimm_ce_count: number out of range"));
	assert_non_null(strstr(log, "dimm1/dimm_ue_count: not a number"));
	assert_null(hw_sample(&t->h, "ecc_mc_uncorrected_total", "mc=mc0"));
	assert_true(ctx_errors(t->h.ctx) >= 4);
	free(log);
}

static void
no_edac_is_reported_once(void **state)
{
	struct t *t = *state;
	struct hw_evlist ev;
	const struct hw_sample *s;

	use(t, "no-edac");
	start(t, NULL);
	assert_int_equal(hw_collect(&t->h, 1000000), 0);
	assert_int_equal(hw_collect(&t->h, 1010000), 0);
	s = hw_sample(&t->h, "ecc_edac_available", "");
	assert_non_null(s);
	assert_true(s->value == 0.0);
	hw_close(&t->h);
	start(t, NULL);
	assert_int_equal(hw_collect(&t->h, 1020000), 0);
	hw_events(&t->h, "ecc", &ev);
	assert_int_equal(ev.n, 1);
	assert_non_null(strstr(ev.msg[0], "no EDAC memory controller"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        dimm_layout_counts_per_dimm_not_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        increase_is_an_event_and_ue_is_critical, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        restart_same_boot_repeats_nothing_new_boot_reports, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(rank_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        legacy_csrow_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        threshold_makes_few_corrected_errors_info, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        per_dimm_threshold_override, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        bad_config_is_rejected_with_position, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        rasdaemon_is_reconciled, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        malformed_files_are_reported_never_crash, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        no_edac_is_reported_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
