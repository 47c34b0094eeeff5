// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the diskio collector's parsers on arbitrary
 * /proc/diskstats and /proc/pressure/io, two snapshots 10 s apart. sysfs
 * knows the disk sda and the partition sda1; any other name is told a
 * disk or a partition by its name. Driver and invariants: procfuzz.h.
 */
#include "procfuzz.h"

static const struct procfuzz pf = {
    .collector = "diskio",
    .yaml = "{}",
    .files = {"proc/diskstats", "proc/pressure/io"},
    .dirs = {"proc/pressure", "sys/block", "sys/block/sda", "sys/class",
        "sys/class/block", "sys/class/block/sda1",
        "sys/class/block/sda1/partition"},
};

PROCFUZZ_TARGET(pf)
