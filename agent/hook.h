/* SPDX-License-Identifier: MIT */
/*
 * The hook runner: turns alert notifications into executions of the
 * configured hooks (config `hooks:`), directly with posix_spawn (never a
 * shell), the alert as JSON on stdin and CHOKEPOINT_* in the environment.
 * Its own thread waits on pidfds and output pipes: a hung hook costs only
 * its slot, never a collection. Per hook: timeout (SIGTERM, then SIGKILL
 * to its process group), concurrency limit, retries with doubling backoff;
 * output and results go to the log and the hook_runs table.
 */
#ifndef CHOKEPOINT_HOOK_H
#define CHOKEPOINT_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"

struct config;
struct db;
struct hooks;

/* cfg's hooks (borrowed: must outlive the runner or be replaced first). */
struct hooks *hooks_new(const struct config *cfg, struct db *db,
    const char *site, const char *dashboard_url);
/* Stops: running hooks get SIGTERM, then SIGKILL after 2 s. Takes NULL. */
void hooks_free(struct hooks *h);
/* Swap the hook list (SIGHUP); queued and running jobs keep their copy. */
void hooks_reconfigure(struct hooks *h, const struct config *cfg);
/* An alert_notify_cb: arg is the struct hooks. Never blocks. */
void hooks_notify(const struct alert_view *v, size_t n, void *arg);
/* The smallest re-notification interval by severity over the hooks (for
 * alerts_set_repeat); 0 when no hook repeats. */
void hooks_repeat_min(const struct config *cfg, int64_t ms[3]);

struct hooks_stats {
	uint64_t queued_total, started, succeeded, failed, timeouts, retries,
	    dropped;
	size_t running, queued;
};
void hooks_get_stats(struct hooks *h, struct hooks_stats *st);
/* Wait until nothing is queued or running (tests). 0 or -ETIMEDOUT. */
int hooks_wait_idle(struct hooks *h, int64_t timeout_ms);

/* The notification JSON and environment (exposed for tests). Caller frees
 * the string and hooks_env_free()s the env. */
char *hooks_json(const struct alert_view *v, size_t n, const char *site,
    const char *dashboard_url, const char *hook);
char **hooks_env(const struct alert_view *v, size_t n, const char *site,
    const char *dashboard_url, const char *hook);
void hooks_env_free(char **env);

#endif
