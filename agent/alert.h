/* SPDX-License-Identifier: MIT */
/*
 * The alert engine: rules (built-in defaults for the classic choke points,
 * overridden or switched off by config `alerts:`) evaluated against the
 * latest-value cache, the target registry and the event store, on its own
 * thread. Each alert instance moves inactive -> pending -> firing ->
 * resolved; every transition and every suppressed notification goes to the
 * alert log in SQLite, and the state persists there across restarts.
 * Notifications (grouped by rule, target and status) go to a callback: the
 * hook runner in the agent, a recorder in tests.
 */
#ifndef CHOKEPOINT_ALERT_H
#define CHOKEPOINT_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"
#include "util.h"

struct cache;
struct db;
struct targets;
struct config;
struct match_cfg;

enum alert_state {
	ALERT_INACTIVE = 0,
	ALERT_PENDING = 1,
	ALERT_FIRING = 2,
	ALERT_RESOLVED = 3,
};
const char *alert_state_name(int state);
const char *alert_severity_name(int severity);

/* One alert instance in a notification (strings valid during the call). */
struct alert_view {
	const char *id;        /* unique per firing episode */
	int64_t transition_id; /* its row in the alert log */
	int state, prev_state;
	int severity, prev_severity;
	const char *rule;
	const char *target;
	const char *role; /* of the target: core, l2, web, db, other */
	const struct cp_label *labels;
	size_t nlabels;
	double value, threshold;
	int64_t started_ms; /* when it started firing (pending: began) */
	int64_t time_ms;    /* of this transition */
	int repeat;         /* a re-notification of a firing alert */
	int64_t repeat_ms;  /* the rule's repeat (-1: the hook decides) */
	const char *summary;
};

/*
 * One notification: n instances of one rule on one target with the same
 * status. Called on the engine's thread; must not block.
 */
typedef void (*alert_notify_cb)(
    const struct alert_view *v, size_t n, void *arg);

struct alerts_env {
	struct cache *cache;
	struct db *db;             /* NULL: no persistence, no log */
	struct targets *targets;   /* NULL: no target rules */
	const char *hostname;      /* the local host's target name */
	const char *host_role;     /* its role (bottlenecks.host_role) */
	const char *dashboard_url; /* NULL: none */
};

/* The built-in rules, as the YAML a user would write. */
extern const char alert_builtin_yaml[];

/*
 * Rules of cfg (plus built-ins), state restored from env->db. Returns NULL
 * only if the database tables cannot be created (err says why).
 */
struct alerts *alerts_new(const struct config *cfg,
    const struct alerts_env *env, char *err, size_t errlen);
void alerts_free(struct alerts *a); /* takes NULL; stops the thread */
void alerts_set_notify(struct alerts *a, alert_notify_cb cb, void *arg);
/* Default re-notification interval by severity (rules may override). */
void alerts_set_repeat(struct alerts *a, const int64_t ms[3]);
/* Swap in the rules of a new config (SIGHUP); cfg must outlive a. */
void alerts_reconfigure(struct alerts *a, const struct config *cfg);
/* The local host's target name and role (env's, now owned copies): a
 * reload's new ones. */
void alerts_set_host(struct alerts *a, const char *hostname, const char *role);
/* One evaluation pass at now_ms. */
void alerts_eval(struct alerts *a, int64_t now_ms);
/* Evaluate every interval_ms (aligned, offset by half an interval so the
 * collectors' samples of the tick are in) on a thread. 0 or -errno. */
int alerts_start(struct alerts *a, int64_t interval_ms);

/* Counts for self-metrics and tests. */
struct alerts_stats {
	size_t pending, firing;
	uint64_t evals, transitions, notifications, suppressed;
	double last_eval_seconds;
};
void alerts_get_stats(struct alerts *a, struct alerts_stats *st);

/*
 * The state for /api/v1/alerts as JSON: {"alerts": [active...], "log":
 * [newest log rows], "silences": [...]}. Caller frees.
 */
char *alerts_json(struct alerts *a, int64_t now_ms, size_t log_limit);

/*
 * Add a silence (stored in SQLite): matchers, [start_ms, end_ms), who and
 * why. Returns its id (> 0) or -errno. Delete by id: 0 or -ENOENT.
 */
int64_t alerts_silence_add(struct alerts *a, const struct match_cfg *m,
    int64_t start_ms, int64_t end_ms, const char *author, const char *comment);
int alerts_silence_del(struct alerts *a, int64_t id);

/* Label matching shared with the bottleneck engine: value is a glob. */
int alert_match(const struct match_cfg *m, const char *target, const char *role,
    const struct cp_label *l, size_t n, const char *rule, const char *severity);

#endif
