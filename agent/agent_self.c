// SPDX-License-Identifier: MIT
/*
 * The agent's own metrics, published every 10 s through its "self"
 * context like any collector's: CPU and memory, the latest-value cache and
 * pipeline, the RRD store, the event database, the alert engine and the
 * hook runner.
 */
#include <sys/resource.h>

#include "agent_priv.h"
#include "alert.h"
#include "cache.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "hook.h"
#include "log.h"
#include "rrd.h"
#include "util.h"

/*
 * Self-metrics on /metrics only. What keeps history (RRD files) is what an
 * operator graphs over weeks: the agent's CPU and peak RSS, collection
 * durations, errors and skipped runs, values dropped, alerts firing. These
 * are counts of the moment or bookkeeping; a file each cost a quarter of
 * the RRD writer's work on a plain host.
 */
const char *const agent_self_no_history[] = {
    "agent_uptime_seconds",
    "agent_series",
    "collector_runs_total",
    "pipeline_resets_total",
    "pipeline_discontinuities_total",
    "pipeline_too_high_total",
    "log_suppressed_total",
    "rrd_pending",
    "rrd_files_denied",
    "db_events_pending",
    "rrd_updates_total",
    "rrd_written_total",
    "rrd_write_errors_total",
    "alerts_pending",
    "alert_eval_seconds",
    "alert_notifications_total",
    "alert_suppressed_total",
    "hooks_running",
    "hooks_queued",
    "hook_failures_total",
    "hook_timeouts_total",
    "hook_dropped_total",
};
const size_t agent_self_nno_history =
    sizeof(agent_self_no_history) / sizeof(*agent_self_no_history);

static void
emit_gauge(struct agent *a, const char *metric, const char *help, double v)
{
	struct cp_sample s = {0};

	s.metric = metric;
	s.help = help;
	s.value = v;
	cp_emit(a->self, &s);
}

static void
emit_counter(struct agent *a, const char *metric, const char *help, uint64_t v)
{
	struct cp_sample s = {0};

	s.metric = metric;
	s.help = help;
	s.kind = CP_COUNTER64;
	s.counter = v;
	cp_emit(a->self, &s);
}

static void
alerts_self_metrics(struct agent *a)
{
	struct alerts_stats as;
	struct hooks_stats hs;

	if (a->alerts == NULL || a->hooks == NULL)
		return;
	alerts_get_stats(a->alerts, &as);
	hooks_get_stats(a->hooks, &hs);
	emit_gauge(
	    a, "alerts_firing", "Alert instances firing", (double)as.firing);
	emit_gauge(
	    a, "alerts_pending", "Alert instances pending", (double)as.pending);
	emit_gauge(a, "alert_eval_seconds", "Duration of the last alert pass",
	    as.last_eval_seconds);
	emit_counter(a, "alert_notifications_total",
	    "Notifications handed to the hooks", as.notifications);
	emit_counter(a, "alert_suppressed_total",
	    "Transitions not notified (pending, silenced, flapping)",
	    as.suppressed);
	emit_gauge(
	    a, "hooks_running", "Hook processes running", (double)hs.running);
	emit_gauge(a, "hooks_queued", "Hook runs waiting", (double)hs.queued);
	emit_counter(
	    a, "hook_failures_total", "Hook runs that failed", hs.failed);
	emit_counter(a, "hook_timeouts_total", "Hook runs killed at timeout",
	    hs.timeouts);
	emit_counter(a, "hook_dropped_total",
	    "Notifications dropped (queue "
	    "full)",
	    hs.dropped);
}

void
agent_self_metrics(struct agent *a)
{
	struct cache_stats cs;
	struct store_stats ss;
	struct rusage ru;
	struct cp_label l[2] = {
	    {"version", CP_VERSION}, {"site", a->cfg->agent.name}};
	struct cp_sample info = {0};

	ctx_set_now(a->self, now_ms());
	info.metric = "agent_info";
	info.help = "Agent version and site (always 1)";
	info.labels = l;
	info.nlabels = 2;
	info.value = 1;
	cp_emit(a->self, &info);
	getrusage(RUSAGE_SELF, &ru);
	{
		struct cp_sample s = {0};

		s.metric = "agent_cpu_seconds_total";
		s.help = "CPU time of the agent process (user+system)";
		s.kind = CP_COUNTER64;
		s.scale = 1e-6; /* counted in microseconds */
		s.counter =
		    (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		        1000000u +
		    (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		cp_emit(a->self, &s);
	}
	emit_gauge(a, "agent_max_rss_bytes", "Peak resident set size",
	    (double)ru.ru_maxrss * 1024);
	emit_gauge(a, "agent_uptime_seconds", "Seconds since the agent started",
	    (double)(now_ms() - a->started_ms) / 1000);
	alerts_self_metrics(a);
	cache_get_stats(a->cache, &cs);
	emit_gauge(a, "agent_series", "Series in the latest-value cache",
	    (double)cs.series);
	emit_counter(a, "pipeline_resets_total",
	    "Counters that went backwards (source reset): no rate, rebaselined",
	    cs.resets_total);
	emit_counter(a, "pipeline_discontinuities_total",
	    "Counter discontinuities declared by collectors",
	    cs.discontinuities_total);
	emit_counter(a, "pipeline_too_high_total",
	    "Counter deltas above the believable maximum, dropped",
	    cs.too_high_total);
	emit_counter(a, "log_suppressed_total",
	    "Log messages suppressed by rate limiting", log_suppressed_total());
	if (a->store) {
		store_get_stats(a->store, &ss);
		emit_gauge(a, "rrd_pending", "Values queued for RRD files",
		    (double)ss.pending);
		emit_gauge(a, "rrd_write_blocked",
		    "1 while RRD writes wait: data directory full or "
		    "read-only, files the agent may not write, or rrdcached "
		    "unreachable",
		    ss.write_blocked);
		emit_gauge(a, "rrd_files_denied",
		    "RRD files the agent may not write or create (owner, "
		    "mode): their values wait",
		    (double)ss.files_denied);
		emit_counter(a, "rrd_updates_total",
		    "Values accepted by the RRD store", ss.updates_total);
		emit_counter(a, "rrd_written_total",
		    "Values written to RRD files", ss.written_total);
		emit_counter(a, "rrd_write_errors_total", "Failed RRD writes",
		    ss.write_errors);
		emit_counter(a, "rrd_dropped_total",
		    "Values dropped (queue full or unwritable)",
		    ss.dropped_total);
		emit_counter(a, "rrd_stale_total",
		    "Values dropped for not being after their file's newest "
		    "(clock set back)",
		    ss.stale_total);
	}
	if (a->db) {
		size_t kept = db_events_kept(a->db);

		emit_gauge(a, "db_events_pending",
		    "Events kept in memory until the database takes them",
		    (double)kept);
		emit_gauge(a, "db_write_blocked",
		    "1 while the event database cannot be opened or written "
		    "(disk full?): events and alert states wait in memory",
		    !db_online(a->db) || kept > 0);
	}
}
