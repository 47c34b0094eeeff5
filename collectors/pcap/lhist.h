/* SPDX-License-Identifier: MIT */
/*
 * Latency histograms for the traffic analyzer: log-linear buckets over
 * microseconds (exact below 64 us, then 32 buckets per power of two, so a
 * quantile is within 1.6% of the true value), fixed size, no allocation.
 */
#ifndef CHOKEPOINT_PCAP_LHIST_H
#define CHOKEPOINT_PCAP_LHIST_H

#include <stdint.h>

#define LHIST_SUB_BITS 5
#define LHIST_EXACT 64 /* 2 << LHIST_SUB_BITS */
/* Values are capped at 2^32 - 1 us (71 minutes). */
#define LHIST_BUCKETS (LHIST_EXACT + (32 - 6) * (1 << LHIST_SUB_BITS))

struct lhist {
	uint64_t count;
	uint64_t sum_us;
	uint32_t min_us, max_us;
	uint32_t b[LHIST_BUCKETS];
};

void lhist_init(struct lhist *h);
/* Record one latency in microseconds. */
void lhist_add(struct lhist *h, uint64_t us);
/* Add every observation of src into dst. */
void lhist_merge(struct lhist *dst, const struct lhist *src);
/*
 * The q-quantile (0 < q <= 1) in seconds: the middle of the bucket holding
 * the observation of rank ceil(q * count), clamped to [min, max]. 0 when
 * the histogram is empty. The top rank is the exact maximum.
 */
double lhist_quantile(const struct lhist *h, double q);
/* Mean in seconds, 0 when empty. */
double lhist_mean(const struct lhist *h);

#endif
