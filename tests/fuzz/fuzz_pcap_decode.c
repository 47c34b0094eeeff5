// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the pcap engine: the input is a sequence of frames
 * (2-byte length, 1-byte link type selector, bytes) fed through
 * pkt_decode() and the analyzer's flow state machine, whose small flow
 * table keeps evicting. Nothing may read out of bounds or crash.
 */
#include <stddef.h>
#include <stdint.h>

#include "collectors/pcap/analyzer.h"
#include "collectors/pcap/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {1, 113, 276, 0, 108, 12, 101, 228, 229};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct analyzer *an;
	struct an_talker top[4];
	struct pkt p;
	int64_t ts = 1000000000;
	size_t off = 0;

	if (an == NULL) {
		struct an_cfg cfg;

		an_cfg_defaults(&cfg);
		cfg.flow_memory = 8192; /* a few dozen flows: evictions */
		cfg.talker_slots = 16;
		cfg.nvips = 1;
		an_addr_parse("10.0.0.2", &cfg.vips[0]);
		an = analyzer_new(&cfg);
	}
	while (off + 3 <= size) {
		size_t len = (size_t)(data[off] << 8 | data[off + 1]);
		int lt = linktypes[data[off + 2] % 9];

		off += 3;
		if (len > size - off)
			len = size - off;
		/* The decoder alone, with a wire length that may lie. */
		pkt_decode(lt, data + off, (uint32_t)len,
		    (uint32_t)len + (data[off - 1] & 0x30), &p);
		analyzer_packet(an, data[off - 1] >> 6, ts, lt, data + off,
		    (uint32_t)len, (uint32_t)len);
		ts += (int64_t)(data[off - 3] & 0x0f) * 1000000;
		off += len;
	}
	analyzer_expire(an, ts, 0);
	analyzer_top_talkers(an, top, 4);
	if ((size & 0xff) == 0)
		analyzer_reset_interval(an);
	return 0;
}
