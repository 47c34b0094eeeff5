// SPDX-License-Identifier: MIT
/*
 * Sample emission shorthands and message paths for the local collectors
 * (see report.h).
 */
#include "report.h"

const char *
pf_path(struct cp_ctx *ctx, enum cp_root root, const char *rel, char *buf,
    size_t size)
{
	const char *p = cp_path(ctx, root, rel, buf, size);

	return p ? p : rel;
}

void
emit_gauge(struct cp_ctx *ctx, const char *metric, const char *help,
    const struct cp_label *labels, size_t nlabels, double value)
{
	struct cp_sample s = {
	    .metric = metric,
	    .help = help,
	    .labels = labels,
	    .nlabels = nlabels,
	    .kind = CP_GAUGE,
	    .value = value,
	};

	cp_emit(ctx, &s);
}

void
emit_counter(struct cp_ctx *ctx, const char *metric, const char *help,
    const struct cp_label *labels, size_t nlabels, uint64_t counter,
    double scale)
{
	struct cp_sample s = {
	    .metric = metric,
	    .help = help,
	    .labels = labels,
	    .nlabels = nlabels,
	    .kind = CP_COUNTER64,
	    .counter = counter,
	    .scale = scale,
	};

	cp_emit(ctx, &s);
}
