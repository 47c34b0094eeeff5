/* SPDX-License-Identifier: MIT */
/*
 * cmocka shorthands for the collector tests built on the harness: run a
 * fixture case and fail with the reason, read one value or fail naming it.
 */
#ifndef CP_TEST_TESTUTIL_H
#define CP_TEST_TESTUTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "harness.h"

static inline struct harness *
tu_run(const char *case_name, const char *collector, const char *yaml,
    int snapshots)
{
	char err[4096];
	struct harness *h;

	h = harness_run(
	    case_name, collector, yaml, snapshots, err, sizeof(err));
	if (h == NULL)
		fail_msg("%s on %s: %s", collector, case_name, err);
	return h;
}

static inline double
tu_val(struct harness *h, const char *metric, const char *labels)
{
	double v = 0;

	if (harness_value(h, metric, labels, &v) < 0)
		fail_msg("%s{%s}: not emitted", metric, labels ? labels : "");
	return v;
}

static inline int
tu_has(struct harness *h, const char *metric, const char *labels)
{
	double v;

	return harness_value(h, metric, labels, &v) == 0;
}

/* Values worked out by hand are exact up to float rounding. */
#define assert_near(a, b)                                                      \
	do {                                                                   \
		double a_ = (a), b_ = (b);                                     \
		if (fabs(a_ - b_) > 1e-9 * fmax(1.0, fabs(b_)))                \
			fail_msg("%s = %.12g, expected %.12g", #a, a_, b_);    \
	} while (0)

/* Every fixture case against its expected.txt section. */
static inline void
tu_check_all_cases(const char *collector)
{
	char names[64][128], why[4096];
	size_t i, n = harness_cases(names, 64);
	int bad = 0;

	if (n < 6)
		fail_msg(
		    "only %zu fixture cases under %s", n, harness_fixtures());
	for (i = 0; i < n; i++) {
		if (harness_check_case(names[i], collector, why, sizeof(why)) <
		    0) {
			print_error("%s\n", why);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static inline void
tu_no_violations(struct harness *h)
{
	const char *v = harness_violations(h);

	if (v != NULL)
		fail_msg("%s", v);
}

#endif
