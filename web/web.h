/* SPDX-License-Identifier: MIT */
/*
 * The web modules behind the HTTP server: the JSON API (api*.c), graphs
 * (graph.c), the dashboard's static files (static.c) and authentication
 * (auth.c). They read the latest-value cache and the stores, never the
 * collectors.
 */
#ifndef CHOKEPOINT_WEB_H
#define CHOKEPOINT_WEB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "plugin.h"

struct cache;

/* Register the API, graph and dashboard routes (those not registered yet). */
void web_register(void);
void api_register(void);
void graph_register(void);

/* One series found in the cache by (target, metric, labels). */
struct web_series {
	char rrd[1024]; /* relative RRD path; "" for raw counters */
	double value;
	int64_t time_ms;
	int64_t step_ms;
	json_t *labels; /* object; caller json_decref()s */
};

/*
 * Find the one series of target/metric whose labels include the given
 * ones (exactly equal wins when several do). 0, -ENOENT (none) or
 * -E2BIG (ambiguous: more labels needed).
 */
int web_find_series(struct cache *c, const char *target, const char *metric,
    const struct cp_label *labels, size_t nlabels, struct web_series *out);

/* Reply with j dumped compactly (steals j); gzip when the client accepts. */
int web_json(struct http_req *r, unsigned status, json_t *j);

#endif
