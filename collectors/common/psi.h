/* SPDX-License-Identifier: MIT */
/*
 * Pressure stall information (/proc/pressure/{cpu,memory,io}, kernel 4.20+
 * with CONFIG_PSI and not booted psi=0): the share of time tasks stalled on
 * a resource. Shared by the cpu, memory and diskio collectors.
 */
#ifndef CP_COMMON_PSI_H
#define CP_COMMON_PSI_H

#include <stdint.h>

#include "procfile.h"
#include "report.h"

struct psi_line {
	int present;
	double avg10;   /* percent */
	uint64_t total; /* microseconds */
};

struct psi_state {
	const char *resource; /* "cpu", "memory" or "io" */
	int want_full;        /* also emit the "full" line */
	int absent;           /* "no PSI" logged; cleared when readable */
	struct pf_buf buf;
	struct pf_once once;
};

void psi_init(struct psi_state *ps, const char *resource, int want_full);
void psi_fini(struct psi_state *ps);

/*
 * Parse one PSI file in place. Returns 0 and fills some/full (present set
 * for each line found), or -EINVAL with *bad_line set to the 1-based line
 * number of the first malformed line (good lines are still filled in).
 */
int psi_parse(struct pf_buf *b, struct psi_line *some, struct psi_line *full,
    int *bad_line);

/*
 * Read pressure/RESOURCE and emit psi_RESOURCE_some_ratio (avg10 / 100) and
 * the counter psi_RESOURCE_some_seconds_total (total, scale 1e-6), and the
 * same for "full" when wanted. No PSI is logged once at info level.
 */
void psi_collect(struct cp_ctx *ctx, struct psi_state *ps);

#endif
