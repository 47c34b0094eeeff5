// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: sysfs number and attribute parsing shared by the ecc
 * and hotswap collectors and the firmware inventory (firmware/hwsys.c):
 * hw_parse_u64 in both bases, and the binary VPD page 0x80 reader on
 * arbitrary bytes. A number that parses must print back to itself.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/hwsys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

/* The scratch directory goes when the fuzzer exits. */
static void
cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/vpd_pg80", dir);
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], back[32], path[128], serial[64];
	uint64_t v, w;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	FILE *f;

	memcpy(s, data, n);
	s[n] = '\0';
	if (hw_parse_u64(s, 10, &v) == 0) {
		snprintf(back, sizeof(back), "%" PRIu64, v);
		if (hw_parse_u64(back, 10, &w) != 0 || w != v)
			abort();
	}
	if (hw_parse_u64(s, 0, &v) == 0) {
		snprintf(back, sizeof(back), "0x%" PRIx64, v);
		if (hw_parse_u64(back, 0, &w) != 0 || w != v)
			abort();
	}
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-vpd-%d", (int)getpid());
		mkdir(dir, 0700);
		atexit(cleanup);
	}
	snprintf(path, sizeof(path), "%s/vpd_pg80", dir);
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	hw_vpd_serial(dir, serial, sizeof(serial));
	if (strlen(serial) >= sizeof(serial))
		abort();
	for (const char *p = serial; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
	return 0;
}
