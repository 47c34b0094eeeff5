/* SPDX-License-Identifier: MIT */
/*
 * Counter to rate: the delta of a monotonic counter between two samples,
 * with 32- and 64-bit wrap handling and reset detection. A counter that went
 * backwards because its source restarted, a declared discontinuity, or a
 * delta above the believable maximum yields no rate (a new baseline), never
 * a spike.
 */
#ifndef CHOKEPOINT_PIPELINE_H
#define CHOKEPOINT_PIPELINE_H

#include <stdint.h>

#include "plugin.h"

enum rate_result {
	RATE_OK = 0,        /* *rate is valid */
	RATE_BASELINE,      /* first sample: baseline only */
	RATE_RESET,         /* went backwards and was no wrap: rebaselined */
	RATE_DISCONTINUITY, /* the source declared a discontinuity */
	RATE_TOO_HIGH,      /* above max_rate: dropped, rebaselined */
	RATE_BAD_TIME,      /* time did not advance: ignored */
};

struct rate_state {
	uint64_t last;
	int64_t last_ms;
	int have;
};

/*
 * Feed a counter value seen at t_ms. On RATE_OK *rate = delta per second
 * (before scale). kind is CP_COUNTER32 or CP_COUNTER64. max_rate 0 means no
 * limit. A wrap is assumed only when the wrapped delta is below half the
 * counter's range (a real 32-bit wrap between two polls); anything else
 * going backwards is a reset.
 */
enum rate_result rate_update(struct rate_state *st, enum cp_kind kind,
    uint64_t value, int64_t t_ms, int discontinuity, double max_rate,
    double *rate);

const char *rate_result_name(enum rate_result r);

/* "x_total" -> "x_per_second", otherwise appends "_per_second". */
void rate_metric_name(const char *counter_name, char *buf, size_t size);

#endif
