// SPDX-License-Identifier: MIT
/* libFuzzer target: the sysDescr version parser (collectors/snmp/
 * sysdescr.c, linked through FUZZ_EXTRA_sysdescr in collectors/snmp_if.mk)
 * takes any bytes a device sends. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collectors/snmp/sysdescr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sysdescr sd;

	sysdescr_parse((const char *)data, size, &sd);
	if (strlen(sd.os) >= sizeof(sd.os) ||
	    strlen(sd.version) >= sizeof(sd.version) ||
	    strlen(sd.hardware) >= sizeof(sd.hardware))
		__builtin_trap();
	return 0;
}
