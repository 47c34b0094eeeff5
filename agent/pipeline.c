// SPDX-License-Identifier: MIT
/*
 * Counter to rate. Kept free of locking and storage so the wrap and reset
 * rules can be unit-tested exhaustively; cache.c calls it per sample.
 */
#include <stdio.h>
#include <string.h>

#include "pipeline.h"

enum rate_result
rate_update(struct rate_state *st, enum cp_kind kind, uint64_t value,
    int64_t t_ms, int discontinuity, double max_rate, double *rate)
{
	uint64_t delta;
	double dt;

	if (kind == CP_COUNTER32)
		value &= 0xffffffffu;
	if (!st->have || discontinuity) {
		int had = st->have;

		st->last = value;
		st->last_ms = t_ms;
		st->have = 1;
		return had ? RATE_DISCONTINUITY : RATE_BASELINE;
	}
	if (t_ms <= st->last_ms)
		return RATE_BAD_TIME;
	dt = (double)(t_ms - st->last_ms) / 1000.0;
	if (value >= st->last) {
		delta = value - st->last;
	} else {
		/*
		 * Backwards. A 32-bit counter wraps often on a busy port
		 * (4.3 GB = 34 s at 1 Gbit/s); a 64-bit one practically never,
		 * so for it going backwards means a reset. The wrapped delta
		 * must also be plausible: less than half the range.
		 */
		uint64_t range_half =
		    kind == CP_COUNTER32 ? (1ull << 31) : (1ull << 63);
		uint64_t wrapped = kind == CP_COUNTER32
		                       ? (0x100000000ull - st->last) + value
		                       : (UINT64_MAX - st->last) + value + 1;

		if (wrapped >= range_half) {
			st->last = value;
			st->last_ms = t_ms;
			return RATE_RESET;
		}
		delta = wrapped;
	}
	*rate = (double)delta / dt;
	st->last = value;
	st->last_ms = t_ms;
	if (max_rate > 0 && *rate > max_rate)
		return RATE_TOO_HIGH;
	return RATE_OK;
}

const char *
rate_result_name(enum rate_result r)
{
	static const char *names[] = {
	    "ok", "baseline", "reset", "discontinuity", "too_high", "bad_time"};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

void
rate_metric_name(const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);

	if (n > 6 && strcmp(name + n - 6, "_total") == 0)
		snprintf(buf, size, "%.*s_per_second", (int)(n - 6), name);
	else
		snprintf(buf, size, "%s_per_second", name);
}
