/* SPDX-License-Identifier: MIT */
/*
 * Emitting samples and reporting bad input, shared by the local collectors.
 * A file that cannot be read is logged once (and once more when it comes
 * back); garbage in a file is logged with file:line once until the file
 * parses clean again, and counted as a collector error on every run.
 *
 * The agent rate-limits log messages by format string, so the reporting
 * macros paste the (literal) relative path into the format: two different
 * files never share a rate-limit slot.
 */
#ifndef CP_COMMON_REPORT_H
#define CP_COMMON_REPORT_H

#include <string.h>

#include "plugin.h"

struct pf_once {
	unsigned char missing; /* "cannot read" logged, not readable since */
	unsigned char garbage; /* garbage logged, not clean since */
	unsigned char bad_run; /* garbage seen during the current run */
};

/* ROOT/rel for messages (falls back to rel). */
const char *pf_path(struct cp_ctx *ctx, enum cp_root root, const char *rel,
    char *buf, size_t size);

/* rel must be a string literal. err is a negative errno. */
#define PF_MISSING(ctx, once, root, rel, err)                                  \
	do {                                                                   \
		char pf_p_[512];                                               \
		if (!(once)->missing) {                                        \
			(once)->missing = 1;                                   \
			cp_log_warnx((ctx),                                    \
			    "%s: cannot read: %s; going on without " rel,      \
			    pf_path((ctx), (root), rel, pf_p_, sizeof(pf_p_)), \
			    strerror(-(err)));                                 \
		}                                                              \
	} while (0)

#define PF_READABLE(ctx, once, root, rel)                                      \
	do {                                                                   \
		char pf_p_[512];                                               \
		if ((once)->missing) {                                         \
			(once)->missing = 0;                                   \
			cp_log_info((ctx), "%s: readable again (" rel ")",     \
			    pf_path(                                           \
			        (ctx), (root), rel, pf_p_, sizeof(pf_p_)));    \
		}                                                              \
	} while (0)

/* Call before parsing a file, then PF_GARBAGE per bad line, PF_PARSED. */
#define PF_PARSING(once) ((once)->bad_run = 0)

/* rel and what must be string literals; what may hold printf conversions
 * for the trailing arguments. */
/* The first bad input of a run counts one collector error. */
#define PF_COUNT_BAD(ctx, once)                                                \
	do {                                                                   \
		if (!(once)->bad_run)                                          \
			cp_count_error(ctx);                                   \
		(once)->bad_run = 1;                                           \
	} while (0)

#define PF_GARBAGE(ctx, once, root, rel, lineno, what, ...)                    \
	do {                                                                   \
		char pf_p_[512];                                               \
		PF_COUNT_BAD(ctx, once);                                       \
		if (!(once)->garbage) {                                        \
			(once)->garbage = 1;                                   \
			cp_log_warnx((ctx),                                    \
			    "%s:%d: " what " (" rel " line skipped)",          \
			    pf_path((ctx), (root), rel, pf_p_, sizeof(pf_p_)), \
			    (lineno), ##__VA_ARGS__);                          \
		}                                                              \
	} while (0)

#define PF_PARSED(once)                                                        \
	do {                                                                   \
		if (!(once)->bad_run)                                          \
			(once)->garbage = 0;                                   \
	} while (0)

/* Emit a gauge / a 64-bit counter with its labels. */
void emit_gauge(struct cp_ctx *ctx, const char *metric, const char *help,
    const struct cp_label *labels, size_t nlabels, double value);
void emit_counter(struct cp_ctx *ctx, const char *metric, const char *help,
    const struct cp_label *labels, size_t nlabels, uint64_t counter,
    double scale);

#endif
