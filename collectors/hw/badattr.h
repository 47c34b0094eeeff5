/* SPDX-License-Identifier: MIT */
/*
 * Malformed sysfs content, reported with its path. The agent's log limits
 * repeats of one format string, which would hide all but the first bad
 * file; so a collection run gathers its problems and logs them in one line,
 * and only when the set differs from the last one reported (a broken
 * attribute is reported once, not at every interval).
 */
#ifndef CHOKEPOINT_BADATTR_H
#define CHOKEPOINT_BADATTR_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

struct badattr {
	char text[2048];
	size_t len;
	unsigned n;
	uint64_t hash, last_hash;
};

/* Start a run. */
void badattr_begin(struct badattr *b);
/* Record path with what is wrong with it (r: a negative errno from
 * hw_read_u64/hw_read_str). Counts an error on ctx. */
void badattr_add(
    struct badattr *b, struct cp_ctx *ctx, const char *path, int r);
/* Log the run's problems if they differ from the last report. */
void badattr_end(struct badattr *b, struct cp_ctx *ctx);

#endif
