// SPDX-License-Identifier: MIT
/*
 * Test plugin whose collect() takes `sleep` (default 2.5 s) and emits one
 * gauge: with a 1 s interval the scheduler must skip ticks, count them, and
 * keep the other collectors on time.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "plugin.h"

struct state {
	int64_t sleep_ms;
	double runs;
};

static int
configure(struct cp_ctx *c, const struct cp_cfg *n, void **s)
{
	struct state *st = calloc(1, sizeof(*st));

	(void)c;
	if (st == NULL)
		return -ENOMEM;
	st->sleep_ms = 2500;
	if (cp_cfg_duration(n, "sleep", &st->sleep_ms) == -EINVAL) {
		free(st);
		return -EINVAL;
	}
	*s = st;
	return 0;
}

static int
start(struct cp_ctx *c, void *s)
{
	(void)c;
	(void)s;
	return 0;
}

static int
collect(struct cp_ctx *c, void *s)
{
	struct state *st = s;
	struct timespec ts = {st->sleep_ms / 1000, (st->sleep_ms % 1000) * 1000000};
	struct cp_sample smp = {0};

	nanosleep(&ts, NULL);
	smp.metric = "slow_runs";
	smp.value = ++st->runs;
	return cp_emit(c, &smp);
}

static void
stop(void *s)
{
	free(s);
}

CP_EXPORT const struct cp_collector cp_collector = {CP_ABI_VERSION, "slow",
    configure, start, collect, stop};
