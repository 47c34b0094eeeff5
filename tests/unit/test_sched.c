// SPDX-License-Identifier: MIT
/*
 * The loop's aligned timers and the scheduler: ticks fall on wall-clock
 * multiples of the interval without drift, and a slow collector's
 * overlapping ticks are skipped and counted while another keeps its pace.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ctx.h"
#include "loop.h"
#include "sched.h"
#include "util.h"

static void
next_tick_is_aligned(void **st)
{
	(void)st;
	assert_int_equal(loop_next_tick(1000, 1000), 2000);
	assert_int_equal(loop_next_tick(1001, 1000), 2000);
	assert_int_equal(loop_next_tick(1999, 1000), 2000);
	assert_int_equal(loop_next_tick(12345, 10000), 20000);
	assert_int_equal(loop_next_tick(1795816190123, 300000), 1795816200000);
}

struct ticks {
	struct loop *l;
	int64_t t[16];
	int n;
	uint64_t missed;
};

static void
on_tick(int64_t tick_ms, uint64_t missed, void *arg)
{
	struct ticks *k = arg;

	k->t[k->n++] = tick_ms;
	k->missed += missed;
	if (k->n == 6)
		loop_stop(k->l);
}

static void
timer_ticks_on_multiples_without_drift(void **st)
{
	struct ticks k = {0};
	int64_t start;

	(void)st;
	k.l = loop_new();
	assert_non_null(k.l);
	start = now_ms();
	assert_true(loop_timer_add(k.l, 200, on_tick, &k) >= 0);
	loop_run(k.l);
	assert_int_equal(k.n, 6);
	for (int i = 0; i < k.n; i++) {
		assert_int_equal(k.t[i] % 200, 0);
		if (i)
			assert_int_equal(k.t[i] - k.t[i - 1], 200);
	}
	assert_true(k.t[0] > start && k.t[0] <= start + 200);
	/* The callback ran at (or just after) the tick, not before it. */
	assert_true(now_ms() >= k.t[5]);
	loop_free(k.l);
}

/* A collector whose collect() sleeps for `sleep_ms`. */
struct fake {
	int64_t sleep_ms;
	int runs;
	pthread_mutex_t mu;
};

static int
f_collect(struct cp_ctx *c, void *s)
{
	struct fake *f = s;
	struct timespec ts = {
	    f->sleep_ms / 1000, (f->sleep_ms % 1000) * 1000000};

	(void)c;
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&f->mu);
	f->runs++;
	pthread_mutex_unlock(&f->mu);
	return 0;
}

static int
f_configure(struct cp_ctx *c, const struct cp_cfg *n, void **s)
{
	(void)c;
	(void)n;
	(void)s;
	return 0;
}

static int
f_start(struct cp_ctx *c, void *s)
{
	(void)c;
	(void)s;
	return 0;
}

static void
f_stop(void *s)
{
	(void)s;
}

static const struct cp_collector fake_desc = {
    CP_ABI_VERSION, "fake", f_configure, f_start, f_collect, f_stop};

static void *
stop_after(void *arg)
{
	struct timespec ts = {1, 200 * 1000000};

	nanosleep(&ts, NULL);
	loop_stop(arg);
	return NULL;
}

static void
slow_collector_is_skipped_fast_one_keeps_pace(void **st)
{
	struct plugin p = {NULL, NULL, &fake_desc};
	struct ctx_env env = {0};
	static struct fake slow = {450, 0, PTHREAD_MUTEX_INITIALIZER};
	static struct fake fast = {0, 0, PTHREAD_MUTEX_INITIALIZER};
	pthread_t th;
	struct loop *l = loop_new();
	struct cp_ctx *cs = ctx_new(&p, "slow", &env, NULL, 100);
	struct cp_ctx *cf = ctx_new(&p, "fast", &env, NULL, 100);
	struct sched_job *js, *jf;
	struct sched_stats ss, sf;

	(void)st;
	js = sched_add(l, cs, &p, &slow, 100, NULL, NULL);
	jf = sched_add(l, cf, &p, &fast, 100, NULL, NULL);
	assert_non_null(js);
	assert_non_null(jf);
	/* Run the loop for 1.2 s. */
	pthread_create(&th, NULL, stop_after, l);
	loop_run(l);
	pthread_join(th, NULL);
	sched_get_stats(js, &ss);
	sched_get_stats(jf, &sf);
	/* 1.2 s of 100 ms ticks: the fast one ran nearly every tick... */
	assert_true(sf.runs >= 10);
	assert_int_equal(sf.skipped, 0);
	/* ...the slow one (450 ms per run) ran 2-3 times, the rest skipped. */
	assert_true(ss.runs >= 1 && ss.runs <= 3);
	assert_true(ss.skipped >= 5);
	assert_int_equal(sched_del(js, 2000), 0);
	assert_int_equal(sched_del(jf, 2000), 0);
	ctx_free(cs);
	ctx_free(cf);
	loop_free(l);
}

static void
hung_collector_is_abandoned_at_stop(void **st)
{
	struct plugin p = {NULL, NULL, &fake_desc};
	struct ctx_env env = {0};
	static struct fake hung = {3000, 0, PTHREAD_MUTEX_INITIALIZER};
	struct loop *l = loop_new();
	struct cp_ctx *c = ctx_new(&p, "hung", &env, NULL, 100);
	struct sched_job *j = sched_add(l, c, &p, &hung, 100, NULL, NULL);
	int64_t t0;

	(void)st;
	sched_kick(j, now_ms());
	{
		struct timespec ts = {0, 100 * 1000000};

		nanosleep(&ts, NULL);
	}
	t0 = mono_ms();
	/* Stop does not wait for the hung run beyond its limit. */
	assert_int_equal(sched_del(j, 300), -16 /* -EBUSY */);
	assert_true(mono_ms() - t0 < 1000);
	/* Let it finish before the process exits (ctx stays valid). */
	{
		struct timespec ts = {3, 200 * 1000000};

		nanosleep(&ts, NULL);
	}
	ctx_free(c); /* the abandoned job freed itself; its ctx is ours */
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(next_tick_is_aligned),
	    cmocka_unit_test(timer_ticks_on_multiples_without_drift),
	    cmocka_unit_test(slow_collector_is_skipped_fast_one_keeps_pace),
	    cmocka_unit_test(hung_collector_is_abandoned_at_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
