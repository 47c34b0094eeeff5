// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the diskio collector's parsers on arbitrary
 * /proc/diskstats and /proc/pressure/io (no sysfs: partitions told
 * from disks by name),
 * two snapshots 10 s apart. Driver and invariants: procfuzz.h.
 */
#include "procfuzz.h"

static const struct procfuzz pf = {
    .collector = "diskio",
    .yaml = "{}",
    .files = {"proc/diskstats", "proc/pressure/io"},
    .dirs = {"proc/pressure"},
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pf_init(&pf);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return pf_run(&pf, data, size);
}
