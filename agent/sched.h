/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: one worker thread per collector instance, woken by the
 * instance's aligned timer on the loop. A tick that finds the previous run
 * still going is skipped and counted, never queued: a slow or hung
 * collector costs only its own samples.
 */
#ifndef CHOKEPOINT_SCHED_H
#define CHOKEPOINT_SCHED_H

#include <stdint.h>

struct loop;
struct cp_ctx;
struct plugin;

struct sched_job;

struct sched_stats {
	uint64_t runs;
	uint64_t errors;  /* collect() failures + cp_count_error() */
	uint64_t skipped; /* ticks skipped: previous run still going */
	double last_seconds;
	int64_t last_start_ms;
	int running;
};

/*
 * Schedule collect() of (ctx, state) every interval_ms on l. The job does
 * not own ctx or state. on_done (may be NULL) runs in the worker thread
 * after each run, e.g. to publish self-metrics.
 */
struct sched_job *sched_add(struct loop *l, struct cp_ctx *ctx,
    const struct plugin *p, void *state, int64_t interval_ms,
    void (*on_done)(struct sched_job *, void *), void *arg);
/* Run once now (outside the timer), e.g. the first collection at start. */
void sched_kick(struct sched_job *j, int64_t now_ms);
/*
 * Stop the timer and the thread. Waits up to wait_ms for a running
 * collect(); returns 0, or -EBUSY when it is hung (the thread is detached
 * and the caller must not free what it uses).
 */
int sched_del(struct sched_job *j, int64_t wait_ms);
void sched_get_stats(struct sched_job *j, struct sched_stats *out);
struct cp_ctx *sched_ctx(struct sched_job *j);

#endif
