// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for capture files: the input is a whole file read by
 * capture_file() (the mmap reader for classic pcap, libpcap for the rest),
 * as `chokepoint pcap FILE` would. Bad files end in an error, never a
 * crash or a read past the end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "collectors/pcap/analyzer.h"
#include "collectors/pcap/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct an_cfg cfg;
	struct analyzer *an;
	char path[64], err[512];

	if (fd < 0)
		fd = memfd_create("fuzz.pcap", 0);
	if (fd < 0 || ftruncate(fd, 0) < 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	an_cfg_defaults(&cfg);
	cfg.flow_memory = 8192;
	an = analyzer_new(&cfg);
	capture_file(an, path, NULL, err, sizeof(err));
	analyzer_free(an);
	return 0;
}
