/* SPDX-License-Identifier: MIT */
/*
 * The latest-value cache: every series (target, metric, labels) with its
 * last value, fed by the pipeline (counters arrive raw and leave as rates),
 * read by /metrics, the JSON API, the bottleneck engine and alerts. New
 * gauge values (and rates) are handed on to the RRD store. Thread-safe: one
 * rwlock; readers get consistent snapshots through the callbacks.
 */
#ifndef CHOKEPOINT_CACHE_H
#define CHOKEPOINT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"
#include "plugin.h"

struct cache;
struct store;

/* One series as readers see it (valid only during the callback). */
struct cache_series {
	const char *target;
	const char *metric; /* published name (rates: *_per_second) */
	const char *help;
	const struct cp_label *labels; /* sorted by key */
	size_t nlabels;
	int is_counter; /* raw counter (value_u64 valid) */
	double value;   /* gauges and rates */
	uint64_t value_u64;
	int64_t time_ms; /* of the last value */
	int64_t step_ms; /* sampling interval */
	const char *rrd; /* relative RRD path or NULL (raw counters) */
};

struct cache_stats {
	uint64_t series;
	uint64_t samples_total;
	uint64_t rates_total;
	uint64_t resets_total;
	uint64_t discontinuities_total;
	uint64_t too_high_total;
	uint64_t bad_time_total;
	uint64_t expired_total;
};

/* st may be NULL (no RRD). */
struct cache *cache_new(struct store *st);
void cache_free(struct cache *c);

/*
 * Series of this metric (a name; for a counter "x_total", its rate
 * "x_per_second" too) stay in the cache and on /metrics but get no RRD
 * file. Call before the first sample.
 */
void cache_no_history(struct cache *c, const char *metric);

/* Feed one sample (target and time resolved). step_ms: its interval. */
int cache_put(struct cache *c, const struct cp_sample *s, int64_t step_ms);

/*
 * Iterate series. target / metric NULL: any; metric ending in '*' is a
 * prefix. cb returns non-zero to stop. Holds the read lock during the walk:
 * cb must not call back into the cache.
 */
void cache_foreach(struct cache *c, const char *target, const char *metric,
    int (*cb)(const struct cache_series *, void *), void *arg);

/* Value of one series; labels "k=v,k2=v2" (any order) or NULL. 0 / -ENOENT. */
int cache_get(struct cache *c, const char *target, const char *metric,
    const char *labels, double *value, int64_t *time_ms);

/*
 * The Prometheus text exposition of everything, rendered at most once per
 * change: returns a reference-counted buffer (cache_text_unref() it).
 */
struct cache_text {
	char *data;
	size_t len;
	int refs; /* atomic */
	uint64_t generation;
};
struct cache_text *cache_metrics_text(struct cache *c);
void cache_text_unref(struct cache_text *t);

/* Drop series not updated for more than max(10 steps, min_age_ms). */
size_t cache_expire(struct cache *c, int64_t now_ms, int64_t min_age_ms);

/* Increments on every change. */
uint64_t cache_generation(struct cache *c);
void cache_get_stats(struct cache *c, struct cache_stats *out);

#endif
