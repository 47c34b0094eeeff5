/* SPDX-License-Identifier: MIT */
/*
 * Validation of everything a request carries (path pieces, query
 * parameters): pure functions, no I/O, so unit tests and the fuzzer reach
 * them directly. Each returns 0 or -EINVAL; the caller answers 400 naming
 * the parameter.
 */
#ifndef CHOKEPOINT_PARAMS_H
#define CHOKEPOINT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

#define PARAM_MAX_LABELS 16
#define PARAM_MAX_LEN 512

/* A target name: [A-Za-z0-9._:-], 1..128 bytes, not "." or "..". */
int param_target(const char *s);
/* A metric name: [a-zA-Z_][a-zA-Z0-9_]*, 1..128 bytes. */
int param_metric(const char *s);
/*
 * A time: "now", "now-DURATION", "-DURATION" (relative to now_s), or Unix
 * seconds (at most 11 digits). Durations as in config: 90s, 5m, 1h, 7d.
 */
int param_time(const char *s, int64_t now_s, int64_t *out);
/* A decimal integer in [min, max]. */
int param_int(const char *s, int64_t min, int64_t max, int64_t *out);
/*
 * "k=v,k2=v2" into labels (at most max) using buf (size bytes) for the
 * strings: keys like metric names, values without ',', '=' or control
 * bytes. Sorted by key; duplicate keys are an error. *n gets the count.
 */
int param_labels(const char *s, struct cp_label *labels, size_t max, size_t *n,
    char *buf, size_t size);
/* One of the NULL-terminated choices; returns its index or -EINVAL. */
int param_choice(const char *s, const char *const *choices);
/*
 * A path under the static root: segments of [A-Za-z0-9._-], none starting
 * with '.', no empty segment, at most 255 bytes. "" is allowed (the index).
 */
int param_static_path(const char *s);
/*
 * "/graph/TARGET/METRIC.png" or ".svg": target and metric copied out
 * (validated as above), *svg set. Any other shape is -EINVAL.
 */
int param_graph_path(const char *url, char *target, size_t tsize, char *metric,
    size_t msize, int *svg);

#endif
