// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the header of an RRD file (agent/rrd_create.c,
 * rrdfile_head_parse), read from each new template to write copies of
 * it. Input: the file's size (8 bytes, little-endian), then its first
 * bytes. Whatever it accepts must describe archives inside the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rrd_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rra_pos *rras;
	size_t nrra;
	uint64_t fsize = 0;
	int64_t head = -1, end, row;
	int rc;

	if (size < 8)
		return 0;
	for (int i = 7; i >= 0; i--)
		fsize = fsize << 8 | data[i];
	fsize &= (1ull << 62) - 1;
	rc = rrdfile_head_parse(
	    data + 8, size - 8, (int64_t)fsize, &rras, &nrra, &head);
	if (rc == 1 && (head <= (int64_t)(size - 8) || rras != NULL))
		__builtin_trap();
	if (rc != 0) {
		if (rras != NULL)
			__builtin_trap();
		return 0;
	}
	if (head < 0 || head > (int64_t)(size - 8) || nrra == 0)
		__builtin_trap();
	/* Back to back from the header to the end, rows of one size. */
	row = rras[0].row_bytes;
	end = head;
	for (size_t i = 0; i < nrra; i++) {
		int64_t next =
		    i + 1 < nrra ? rras[i + 1].start : (int64_t)fsize;

		if (rras[i].start != end || rras[i].rows < 1 ||
		    rras[i].cur < 0 || rras[i].cur >= rras[i].rows ||
		    rras[i].row_bytes != row || row < 8 || row % 8 != 0 ||
		    next - end != rras[i].rows * row)
			__builtin_trap();
		end = next;
	}
	free(rras);
	return 0;
}
