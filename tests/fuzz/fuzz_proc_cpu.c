// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the cpu collector's parsers on arbitrary
 * /proc/stat, /proc/loadavg and /proc/pressure/cpu,
 * two snapshots 10 s apart. Driver and invariants: procfuzz.h.
 */
#include "procfuzz.h"

static const struct procfuzz pf = {
    .collector = "cpu",
    .yaml = "{}",
    .files = {"proc/stat", "proc/loadavg", "proc/pressure/cpu"},
    .dirs = {"proc/pressure"},
};

PROCFUZZ_TARGET(pf)
