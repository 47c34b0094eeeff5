// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: IPMI SEL record decoding and description
 * (collectors/hw/ipmi_sel.c), what the hotswap collector does with every
 * record the BMC returns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/hw/ipmi_sel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sel_entry e;
	char comp[64], msg[256];
	enum cp_severity sev;
	const char *after = NULL;

	if (sel_decode(data, size, &e) < 0) {
		if (size == SEL_RECORD_LEN)
			abort();
		return 0;
	}
	if (sel_describe(
	        &e, comp, sizeof(comp), msg, sizeof(msg), &sev, &after) == 1) {
		if (!after || strlen(comp) >= sizeof(comp) || !msg[0])
			abort();
		if (sev != CP_SEV_INFO && sev != CP_SEV_WARNING)
			abort();
	}
	return 0;
}
