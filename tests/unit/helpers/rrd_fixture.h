/* SPDX-License-Identifier: MIT */
/*
 * What the RRD store tests (test_rrd.c, test_rrd_queue.c) share: a
 * temporary data directory per test, a store on it, and librrd's own view
 * of the files it writes (rrd_info_r, rrd_fetch_r). Header-only: static
 * inline functions.
 */
#ifndef CP_TEST_RRD_FIXTURE_H
#define CP_TEST_RRD_FIXTURE_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include <rrd.h>

#include "rmtree.h"
#include "rrd.h"

/* A fixed past time, a multiple of an hour and of a day. */
#define T0 1700006400LL

struct fx {
	char dir[128];
	char data[256];
	pid_t daemon; /* rrdcached started by the test, killed in teardown */
};

static inline int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_rrd.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->data, sizeof(fx->data), "%s/data", fx->dir);
	*state = fx;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fx *fx = *state;

	/* A failed assertion skips the test's own cleanup. */
	if (fx->daemon > 0) {
		kill(fx->daemon, SIGKILL);
		waitpid(fx->daemon, NULL, 0);
	}
	tu_rm_tree(fx->dir);
	free(fx);
	return 0;
}

static inline struct store *
new_store(
    struct fx *fx, int64_t flush_ms, size_t max_pending, const char *cached)
{
	struct store_cfg cfg = {
	    .data_dir = fx->data,
	    .flush_ms = flush_ms,
	    .max_pending = max_pending,
	    .rrdcached = cached,
	};
	struct store *st = store_new(&cfg);
	assert_non_null(st);
	return st;
}

static inline int
exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Find an info entry by key; returns NULL when absent. */
static inline rrd_info_t *
info_get(rrd_info_t *info, const char *key)
{
	for (; info; info = info->next)
		if (strcmp(info->key, key) == 0)
			return info;
	return NULL;
}

static inline unsigned long
info_cnt(rrd_info_t *info, const char *key)
{
	rrd_info_t *i = info_get(info, key);
	assert_non_null(i);
	assert_int_equal(i->type, RD_I_CNT);
	return i->value.u_cnt;
}

static inline const char *
info_str(rrd_info_t *info, const char *key)
{
	rrd_info_t *i = info_get(info, key);
	assert_non_null(i);
	assert_int_equal(i->type, RD_I_STR);
	return i->value.u_str;
}

/*
 * Fetch cf at resolution res over (start, end]; out[i] is the value for
 * the row ending at start + (i + 1) * step. Returns the row count.
 */
static inline size_t
fetch(const char *path, const char *cf, time_t start, time_t end,
    unsigned long res, double *out, size_t max, unsigned long *step_out)
{
	unsigned long step = res, nds = 0, i;
	char **names = NULL;
	rrd_value_t *data = NULL;
	size_t rows, r;
	time_t req_end = end;

	rrd_clear_error();
	if (rrd_fetch_r(path, cf, &start, &end, &step, &nds, &names, &data) !=
	    0)
		fail_msg("rrd_fetch_r %s: %s", path, rrd_get_error());
	assert_int_equal(nds, 1);
	/* librrd returns one row past end; keep the rows ending <= end. */
	for (rows = 0; start + (time_t)((rows + 1) * step) <= req_end &&
	               start + (time_t)((rows + 1) * step) <= end;
	     rows++)
		;
	for (r = 0; r < rows && r < max; r++)
		out[r] = data[r];
	for (i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	if (step_out)
		*step_out = step;
	return rows < max ? rows : max;
}

#endif
