// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the memory collector's parsers on arbitrary
 * /proc/meminfo, /proc/vmstat, /proc/pressure/memory and one process's
 * stat, io and cmdline (its process groups),
 * two snapshots 10 s apart. Driver and invariants: procfuzz.h.
 */
#include "procfuzz.h"

static const struct procfuzz pf = {
    .collector = "memory",
    .yaml = "{processes: {web: [nginx, php-fpm], db: [postgres]}}",
    .files = {"proc/meminfo", "proc/vmstat", "proc/pressure/memory",
        "proc/4242/stat", "proc/4242/io", "proc/4242/cmdline"},
    .dirs = {"proc/pressure", "proc/4242"},
};

PROCFUZZ_TARGET(pf)
