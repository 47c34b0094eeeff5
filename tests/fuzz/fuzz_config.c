// SPDX-License-Identifier: MIT
/* libFuzzer target: the YAML config reader and every section's checks. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_errs e;
	struct config *c;

	cfg_errs_init(&e);
	c = config_parse("fuzz.yaml", (const char *)data, size, &e);
	/* Either a config or at least one error, never both or neither. */
	if ((c == NULL) == (e.n == 0))
		__builtin_trap();
	config_free(c);
	cfg_errs_fini(&e);
	return 0;
}
