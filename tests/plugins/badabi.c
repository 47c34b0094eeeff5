// SPDX-License-Identifier: MIT
/* Test plugin built for a future ABI: the loader must refuse it. */
#include "plugin.h"

static int
configure(struct cp_ctx *c, const struct cp_cfg *n, void **s)
{
	(void)c;
	(void)n;
	*s = 0;
	return 0;
}

static int
start(struct cp_ctx *c, void *s)
{
	(void)c;
	(void)s;
	return 0;
}

static void
stop(void *s)
{
	(void)s;
}

CP_EXPORT const struct cp_collector cp_collector = {CP_ABI_VERSION + 998,
    "badabi", configure, start, start, stop};
