// SPDX-License-Identifier: MIT
/* libFuzzer target: a line of /proc/locks (agent/dirlock.c), read to name
 * the agent that holds a data directory. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dirlock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	pid_t pid;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	pid = dirlock_line_pid(line, "fe:00:247066");
	if (pid < 0)
		__builtin_trap();
	free(line);
	return 0;
}
