// SPDX-License-Identifier: MIT
/*
 * Log-linear latency histograms: the storage behind every p50/p95/p99 the
 * pcap collector reports (handshake RTT, HTTP/SQL response, TLS times).
 * Bounded relative error at any scale, constant memory, O(1) insert.
 */
#include <math.h>
#include <string.h>

#include "lhist.h"

void
lhist_init(struct lhist *h)
{
	memset(h, 0, sizeof(*h));
}

static unsigned
bucket_of(uint32_t v)
{
	unsigned e;

	if (v < LHIST_EXACT)
		return v;
	e = 31u - (unsigned)__builtin_clz(v); /* >= 6 */
	return LHIST_EXACT + (e - 6) * (1u << LHIST_SUB_BITS) +
	       ((v >> (e - LHIST_SUB_BITS)) & ((1u << LHIST_SUB_BITS) - 1));
}

/* Lowest value and width of bucket i. */
static void
bucket_range(unsigned i, double *lo, double *width)
{
	unsigned e, sub;

	if (i < LHIST_EXACT) {
		*lo = i;
		*width = 1;
		return;
	}
	e = (i - LHIST_EXACT) / (1u << LHIST_SUB_BITS) + 6;
	sub = (i - LHIST_EXACT) % (1u << LHIST_SUB_BITS);
	*width = ldexp(1.0, (int)(e - LHIST_SUB_BITS));
	*lo = ldexp(1.0, (int)e) + sub * *width;
}

void
lhist_add(struct lhist *h, uint64_t us)
{
	uint32_t v = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;

	if (h->count == 0 || v < h->min_us)
		h->min_us = v;
	if (v > h->max_us)
		h->max_us = v;
	h->count++;
	h->sum_us += v;
	h->b[bucket_of(v)]++;
}

void
lhist_merge(struct lhist *dst, const struct lhist *src)
{
	unsigned i;

	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min_us < dst->min_us)
		dst->min_us = src->min_us;
	if (src->max_us > dst->max_us)
		dst->max_us = src->max_us;
	dst->count += src->count;
	dst->sum_us += src->sum_us;
	for (i = 0; i < LHIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

double
lhist_quantile(const struct lhist *h, double q)
{
	uint64_t rank, seen = 0;
	double lo, width, v;
	unsigned i;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min_us / 1e6;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank >= h->count)
		return h->max_us / 1e6; /* known exactly */
	for (i = 0; i < LHIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	if (i == LHIST_BUCKETS)
		i = LHIST_BUCKETS - 1;
	bucket_range(i, &lo, &width);
	v = i < LHIST_EXACT ? lo : lo + width / 2;
	if (v < h->min_us)
		v = h->min_us;
	if (v > h->max_us)
		v = h->max_us;
	return v / 1e6;
}

double
lhist_mean(const struct lhist *h)
{
	return h->count ? (double)h->sum_us / (double)h->count / 1e6 : 0;
}
