/* SPDX-License-Identifier: MIT */
/*
 * The bottleneck engine (USE method): every resource the cache knows --
 * switch ports and host NICs, host CPU, memory, each disk -- gets its
 * Utilization, Saturation and Errors from the latest values and, where RRD
 * history exists, the p95 and max over a window; they are ranked with the
 * documented score below and explained: class among the classic choke
 * points, evidence, since when, trend, top consumers, correlated events.
 *
 * score = 1000 F + 100 S + 10 U + E, where
 *   F = 1 if a fault was seen in the window (uncorrected ECC, disk I/O
 *       errors), else 0: hardware faults always rank first;
 *   S = saturation in [0, 1]: the largest of the resource's saturation
 *       signals, each normalised linearly between a "starts to queue" and
 *       a "fully saturated" level (run queue per CPU 1..3, PSI 5%..50%,
 *       swap-in 10..1000 pages/s, disk queue 1..16, await 20..500 ms,
 *       output discards 0..100/s, ...), taking max(now, p95);
 *   U = utilisation in [0, 1]: 0.5 now + 0.3 p95 + 0.2 max over the window
 *       (now alone without history);
 *   E = errors in [0, 1]: the largest error signal, normalised likewise.
 * Saturation first (work is waiting), then utilisation headroom, then
 * errors.
 */
#ifndef CHOKEPOINT_BOTTLENECK_H
#define CHOKEPOINT_BOTTLENECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cache;
struct store;
struct db;
struct targets;

struct bn_input {
	struct cache *cache;
	struct store *store;     /* running agent: flush before reading */
	const char *data_dir;    /* RRD files under DATA_DIR/rrd; NULL: none */
	struct db *db;           /* correlated events; NULL: none */
	struct targets *targets; /* device roles; NULL: none */
	const char *hostname;    /* the local host's target name */
	const char *host_role;   /* its role (bottlenecks.host_role) */
	int64_t now_ms;
	int64_t window_ms; /* p95/max/events window (default 15 min) */
	size_t limit;      /* entries in the ranking (default 20) */
};

/* The ranking as JSON (see docs in this header). Caller frees. */
char *bottlenecks_json(const struct bn_input *in);
/* Render bottlenecks_json() output as text for people. 0 or -EINVAL. */
int bottlenecks_text(const char *json, FILE *out);

/* `chokepoint report` (agent/report.c): the CLI; returns the exit code. */
int report_cmd_main(int argc, char **argv);

#endif
