// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the kernel uevent parser the hotswap collector runs on
 * every netlink datagram (collectors/hw/uevent.c). Seeded from
 * tests/fixtures/uevent. Checks the parser's promises, not just "no crash":
 * on success the header fields point inside the message copy and every
 * variable has a key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/hw/uevent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct uevent ue;
	const char *err = NULL;
	int r = uevent_parse((const char *)data, size, &ue, &err);

	if (r < 0) {
		if (err == NULL)
			abort();
		return 0;
	}
	if (!ue.action || !ue.devpath || ue.devpath[0] != '/')
		abort();
	if (ue.action < ue.buf || ue.action >= ue.buf + sizeof(ue.buf))
		abort();
	if (ue.nvars > UEVENT_MAX_VARS)
		abort();
	for (size_t i = 0; i < ue.nvars; i++)
		if (!ue.vars[i].key[0] || strchr(ue.vars[i].key, '='))
			abort();
	if (ue.subsystem && uevent_get(&ue, "SUBSYSTEM") != ue.subsystem)
		abort();
	return 0;
}
