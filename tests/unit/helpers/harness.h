/* SPDX-License-Identifier: MIT */
/*
 * Test harness for collector plugins: dlopens the real built .so from
 * $BUILD/collectors (default build), runs it through the agent's own
 * context code (plugin_load, ctx_new, ctx_configure) against a fixture
 * procfs/sysfs tree and captures what it emits, so a test can ask for
 * one value: harness_value(h, "cpu_ratio", "cpu=total,mode=user", &v).
 * Free of cmocka: tests/tools/fixture_dump.c uses it as well.
 */
#ifndef CP_TEST_HARNESS_H
#define CP_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

/* Every fixture case runs t0 at HARNESS_T0_MS and t1 10 s later. */
#define HARNESS_T0_MS INT64_C(1700000000000)
#define HARNESS_STEP_MS 10000

struct harness_sample {
	char *metric;
	char *labels; /* "k=v,k=v" in emission order ("" for none) */
	char *help;
	enum cp_kind kind;
	double value;     /* gauges */
	uint64_t counter; /* counters */
	double scale;
};

struct harness;

/*
 * Load $BUILD/collectors/NAME.so and make a context whose procfs and sysfs
 * are ROOT/proc and ROOT/sys (harness_root). NULL and a reason in err.
 */
struct harness *harness_new(const char *collector, char *err, size_t errlen);
void harness_free(struct harness *h); /* runs stop(); takes NULL */

/* Point procfs/sysfs at dir/proc and dir/sys (takes effect immediately). */
void harness_root(struct harness *h, const char *dir);

/*
 * configure() with the YAML text of the collector's options ("{}" or NULL
 * for none). Returns its result; errors (also unknown keys) are in
 * harness_config_errors() as "FILE:LINE:COL: message" lines.
 */
int harness_configure(struct harness *h, const char *yaml);
const char *harness_config_errors(const struct harness *h);
int harness_start(struct harness *h);
/* Forget the samples captured so far, set the clock, run collect(). */
int harness_collect(struct harness *h, int64_t now_ms);

/* Samples of the last collect(). */
size_t harness_nsamples(const struct harness *h);
const struct harness_sample *harness_sample(const struct harness *h, size_t i);
/*
 * The value (gauge value, or counter as a double) of metric with exactly
 * these labels ("k=v,k=v", NULL or "" for none). 0 or -ENOENT.
 */
int harness_value(
    const struct harness *h, const char *metric, const char *labels, double *v);
/* The same for a counter's raw value. */
int harness_counter(const struct harness *h, const char *metric,
    const char *labels, uint64_t *v);
/* Samples of metric, whatever their labels. */
size_t harness_count(const struct harness *h, const char *metric);
/* Errors counted with cp_count_error() so far. */
uint64_t harness_errors(const struct harness *h);
/*
 * Rule violations seen in any sample so far (no HELP, counter not named
 * *_total, target set, non-finite value), or NULL when none.
 */
const char *harness_violations(const struct harness *h);

/* The samples as sorted lines `metric{k="v",...} value` (heap). */
char *harness_dump(const struct harness *h);

/* The fixture directory: $FIXTURES or tests/fixtures/host. */
const char *harness_fixtures(void);

/* Point procfs/sysfs at CASE/SNAP ("t0", "t1") of the fixtures. */
void harness_snapshot(
    struct harness *h, const char *case_name, const char *snap);
/* Point sysfs alone at dir. */
void harness_sysfs(struct harness *h, const char *dir);

/*
 * Load collector, configure it with yaml (NULL: its entry in
 * CASE/config.yaml, if any), start it and collect at t0 and, when
 * snapshots is 2, at t1. NULL and a reason in err on failure; the caller
 * inspects the samples of the last run and frees the harness.
 */
struct harness *harness_run(const char *case_name, const char *collector,
    const char *yaml, int snapshots, char *err, size_t errlen);

/*
 * Run collector over fixture case CASE (t0 then t1, with the options from
 * CASE/config.yaml under the collector's name) and return the dump of the
 * second run (heap) or NULL with a reason in err.
 */
char *harness_run_case(
    const char *case_name, const char *collector, char *err, size_t errlen);
/* The `# collector` section of CASE/expected.txt (heap), or NULL. */
char *harness_expected(const char *case_name, const char *collector);
/*
 * Compare two dumps line by line: names must match exactly and values
 * within 1e-9 relative. 0 when equal, else -1 with the first difference
 * described in why.
 */
int harness_compare(
    const char *expected, const char *actual, char *why, size_t whylen);

/*
 * Run CASE and compare with its expected.txt section: 0, or -1 with the
 * first difference (or failure) in why.
 */
int harness_check_case(
    const char *case_name, const char *collector, char *why, size_t whylen);
/* The fixture cases (directories with a t1/), sorted; returns how many. */
size_t harness_cases(char names[][128], size_t max);

#endif
