// SPDX-License-Identifier: MIT
/*
 * Worker threads for collector instances. The loop thread only flips a flag
 * and signals a condition variable on each tick, so it never waits on a
 * collector.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctx.h"
#include "log.h"
#include "loop.h"
#include "sched.h"
#include "util.h"

struct sched_job {
	struct loop *loop;
	struct cp_ctx *ctx;
	const struct plugin *plugin;
	void *state;
	int64_t interval_ms;
	int timer_fd;
	void (*on_done)(struct sched_job *, void *);
	void *arg;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int pending;
	int64_t pending_ms;
	int running;
	int stop;
	int finished;  /* thread left its loop */
	int abandoned; /* sched_del gave up waiting: the thread frees j */
	struct sched_stats st;
};

static void *
worker(void *arg)
{
	struct sched_job *j = arg;
	char name[16];

	/* "c-cpu", "c-snmp_if": top -H and perf show which collector. */
	snprintf(name, sizeof(name), "c-%s", ctx_name(j->ctx));
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->pending && !j->stop)
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->stop)
			break;
		int64_t tick = j->pending_ms;

		j->pending = 0;
		j->running = 1;
		j->st.running = 1;
		j->st.last_start_ms = tick;
		pthread_mutex_unlock(&j->mu);

		uint64_t e0 = ctx_errors(j->ctx);
		int64_t t0 = mono_ns();
		int r;

		ctx_set_now(j->ctx, tick);
		r = j->plugin->desc->collect(j->ctx, j->state);
		double secs = (double)(mono_ns() - t0) / 1e9;

		pthread_mutex_lock(&j->mu);
		j->running = 0;
		j->st.running = 0;
		j->st.runs++;
		j->st.last_seconds = secs;
		j->st.errors += ctx_errors(j->ctx) - e0 + (r < 0);
		int stopping = j->stop;

		pthread_mutex_unlock(&j->mu);
		if (r < 0 && !stopping)
			log_warnx("sched: %s: collect failed (%d)",
			    ctx_name(j->ctx), r);
		/* After a stop the agent may be tearing down: no callbacks. */
		if (j->on_done && !stopping)
			j->on_done(j, j->arg);
		pthread_mutex_lock(&j->mu);
	}
	j->finished = 1;
	pthread_cond_broadcast(&j->cv);
	if (j->abandoned) {
		/* Nobody waits for us any more: the last one out frees. */
		pthread_mutex_unlock(&j->mu);
		pthread_mutex_destroy(&j->mu);
		pthread_cond_destroy(&j->cv);
		free(j);
		return NULL;
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

void
sched_kick(struct sched_job *j, int64_t tick_ms)
{
	pthread_mutex_lock(&j->mu);
	if (j->running || j->pending) {
		j->st.skipped++;
	} else {
		j->pending = 1;
		j->pending_ms = tick_ms;
		pthread_cond_signal(&j->cv);
	}
	pthread_mutex_unlock(&j->mu);
}

static void
on_tick(int64_t tick_ms, uint64_t missed, void *arg)
{
	struct sched_job *j = arg;

	if (missed) {
		pthread_mutex_lock(&j->mu);
		j->st.skipped += missed;
		pthread_mutex_unlock(&j->mu);
	}
	sched_kick(j, tick_ms);
}

struct sched_job *
sched_add(struct loop *l, struct cp_ctx *ctx, const struct plugin *p,
    void *state, int64_t interval_ms,
    void (*on_done)(struct sched_job *, void *), void *arg)
{
	struct sched_job *j = xcalloc(1, sizeof(*j));

	j->loop = l;
	j->ctx = ctx;
	j->plugin = p;
	j->state = state;
	j->interval_ms = interval_ms;
	j->on_done = on_done;
	j->arg = arg;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (pthread_create(&j->th, NULL, worker, j) != 0) {
		log_warn("sched: %s: cannot start worker", ctx_name(ctx));
		goto fail;
	}
	j->timer_fd = loop_timer_add(l, interval_ms, on_tick, j);
	if (j->timer_fd < 0) {
		errno = -j->timer_fd;
		log_warn("sched: %s: cannot create timer", ctx_name(ctx));
		pthread_mutex_lock(&j->mu);
		j->stop = 1;
		pthread_cond_signal(&j->cv);
		pthread_mutex_unlock(&j->mu);
		pthread_join(j->th, NULL);
		goto fail;
	}
	return j;
fail:
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
	return NULL;
}

int
sched_del(struct sched_job *j, int64_t wait_ms)
{
	struct timespec ts;
	int hung = 0;

	if (j == NULL)
		return 0;
	loop_timer_del(j->loop, j->timer_fd);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (wait_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&j->mu);
	j->stop = 1;
	pthread_cond_signal(&j->cv);
	while (!j->finished) {
		if (pthread_cond_timedwait(&j->cv, &j->mu, &ts) == ETIMEDOUT) {
			hung = 1;
			break;
		}
	}
	if (hung && !j->finished) {
		const char *name = ctx_name(j->ctx);

		log_warnx("sched: %s: collect() still running after %lld ms; "
		          "abandoning it",
		    name, (long long)wait_ms);
		j->abandoned = 1;
		pthread_detach(j->th);
		pthread_mutex_unlock(&j->mu);
		/* The thread frees j when collect() returns, if ever. */
		return -EBUSY;
	}
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->th, NULL);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
	return 0;
}

void
sched_get_stats(struct sched_job *j, struct sched_stats *out)
{
	pthread_mutex_lock(&j->mu);
	*out = j->st;
	pthread_mutex_unlock(&j->mu);
}

struct cp_ctx *
sched_ctx(struct sched_job *j)
{
	return j->ctx;
}
