// SPDX-License-Identifier: MIT
/*
 * The alert engine against a real latest-value cache, target registry and
 * SQLite file: `for`, hysteresis, flapping, WARN <-> CRIT, repeat, absence
 * (no data, target down), events, silences (config and API), grouping and
 * a restart with persisted state. Time is driven by the test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "alert.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "helpers/rmtree.h"
#include "targets.h"
#include "util.h"

#define T0 1800000000000LL /* a fixed wall-clock origin */

struct note {
	int state, prev_state, severity, prev_severity, repeat;
	size_t n;
	char rule[64], target[64], id[32];
	double value;
	int64_t transition_id;
};

struct fx {
	char dir[128];
	struct config *cfg;
	struct cache *cache;
	struct db *db;
	struct targets *targets;
	struct alerts *al;
	struct note notes[256];
	size_t nnotes;
};

static void
on_note(const struct alert_view *v, size_t n, void *arg)
{
	struct fx *fx = arg;
	struct note *x;

	assert_true(fx->nnotes < 256);
	x = &fx->notes[fx->nnotes++];
	x->state = v[0].state;
	x->prev_state = v[0].prev_state;
	x->severity = v[0].severity;
	x->prev_severity = v[0].prev_severity;
	x->repeat = v[0].repeat;
	x->n = n;
	x->value = v[0].value;
	x->transition_id = v[0].transition_id;
	snprintf(x->rule, sizeof(x->rule), "%s", v[0].rule);
	snprintf(x->target, sizeof(x->target), "%s", v[0].target);
	snprintf(x->id, sizeof(x->id), "%s", v[0].id);
	for (size_t i = 1; i < n; i++) {
		/* A group is one rule, one target, one status. */
		assert_string_equal(v[i].rule, v[0].rule);
		assert_string_equal(v[i].target, v[0].target);
		assert_int_equal(v[i].state, v[0].state);
	}
}

static void
fx_start(struct fx *fx)
{
	struct alerts_env env = {0};
	char err[256];

	env.cache = fx->cache;
	env.db = fx->db;
	env.targets = fx->targets;
	env.hostname = "host1";
	env.host_role = "db";
	fx->al = alerts_new(fx->cfg, &env, err, sizeof(err));
	assert_non_null(fx->al);
	alerts_set_notify(fx->al, on_note, fx);
}

static struct fx *
fx_new(const char *yaml)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct cfg_errs errs;
	char err[256];

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_alert.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	cfg_errs_init(&errs);
	fx->cfg = config_parse("test.yaml", yaml, strlen(yaml), &errs);
	if (fx->cfg == NULL)
		fprintf(stderr, "%s\n", errs.n ? errs.v[0].msg : "?");
	assert_non_null(fx->cfg);
	cfg_errs_fini(&errs);
	fx->cache = cache_new(NULL);
	fx->db = db_open(fx->dir, err, sizeof(err));
	assert_non_null(fx->db);
	fx->targets = targets_new();
	fx_start(fx);
	return fx;
}

static void
fx_free(struct fx *fx)
{
	alerts_free(fx->al);
	targets_free(fx->targets);
	db_close(fx->db);
	cache_free(fx->cache);
	config_free(fx->cfg);
	tu_rm_tree(fx->dir);
	free(fx);
}

static void
put(struct fx *fx, const char *target, const char *metric, const char *lk,
    const char *lv, double v, int64_t t)
{
	struct cp_label l = {lk, lv};
	struct cp_sample s = {0};

	s.target = target;
	s.metric = metric;
	s.labels = lk ? &l : NULL;
	s.nlabels = lk ? 1 : 0;
	s.value = v;
	s.time_ms = t;
	assert_int_equal(cache_put(fx->cache, &s, 10000), 0);
}

/* Put and evaluate at time t. */
static void
at(struct fx *fx, double v, int64_t t)
{
	put(fx, "host1", "test_ratio", NULL, NULL, v, t);
	alerts_eval(fx->al, t);
}

static int
log_rows(struct fx *fx, const char *where)
{
	sqlite3_stmt *st;
	char sql[256];
	int n = -1;

	snprintf(
	    sql, sizeof(sql), "SELECT count(*) FROM alert_log WHERE %s", where);
	db_lock(fx->db);
	assert_int_equal(
	    sqlite3_prepare_v2(db_handle(fx->db), sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	db_unlock(fx->db);
	return n;
}

static const char rule_yaml[] =
    "alerts:\n"
    "  - {name: t, metric: test_ratio, above: 0.9, clear: 0.8,\n"
    "     critical: 0.98, for: 1m, repeat: 10m}\n";

static void
for_holds_back_until_elapsed(void **state)
{
	struct fx *fx = fx_new(rule_yaml);
	struct alerts_stats st;

	(void)state;
	at(fx, 0.5, T0);
	at(fx, 0.95, T0 + 10000);
	alerts_get_stats(fx->al, &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(fx->nnotes, 0);
	at(fx, 0.95, T0 + 40000);
	assert_int_equal(fx->nnotes, 0);
	at(fx, 0.95, T0 + 70000); /* 60 s after it began */
	assert_int_equal(fx->nnotes, 1);
	assert_int_equal(fx->notes[0].state, ALERT_FIRING);
	assert_int_equal(fx->notes[0].prev_state, ALERT_PENDING);
	assert_int_equal(fx->notes[0].severity, CP_SEV_WARNING);
	assert_true(fx->notes[0].transition_id > 0);
	/* Pending that clears early never notifies. */
	at(fx, 0.5, T0 + 80000);
	assert_int_equal(fx->nnotes, 2);
	assert_int_equal(fx->notes[1].state, ALERT_RESOLVED);
	at(fx, 0.95, T0 + 90000);
	at(fx, 0.5, T0 + 100000);
	assert_int_equal(fx->nnotes, 2);
	assert_int_equal(log_rows(fx, "to_state = 'inactive'"), 1);
	fx_free(fx);
}

static void
hysteresis_keeps_firing_inside_band(void **state)
{
	struct fx *fx = fx_new("alerts:\n  - {name: t, metric: test_ratio, "
	                       "above: 0.9, clear: 0.8}\n");

	(void)state;
	at(fx, 0.95, T0);
	assert_int_equal(fx->nnotes, 1);
	at(fx, 0.85, T0 + 10000); /* below above, above clear */
	at(fx, 0.89, T0 + 20000);
	at(fx, 0.81, T0 + 30000);
	assert_int_equal(fx->nnotes, 1);
	at(fx, 0.80, T0 + 40000); /* at clear: cleared */
	assert_int_equal(fx->nnotes, 2);
	assert_int_equal(fx->notes[1].state, ALERT_RESOLVED);
	assert_int_equal(fx->notes[1].prev_state, ALERT_FIRING);
	assert_string_equal(fx->notes[0].id, fx->notes[1].id);
	/* Not yet above again: nothing. */
	at(fx, 0.88, T0 + 50000);
	assert_int_equal(fx->nnotes, 2);
	fx_free(fx);
}

static void
flapping_input_is_damped(void **state)
{
	struct fx *fx = fx_new("alerts:\n  - {name: t, metric: test_ratio, "
	                       "above: 0.9, clear: 0.8}\n");
	int64_t t = T0;

	(void)state;
	/* Jitter around the threshold inside the band: one firing. */
	for (int i = 0; i < 20; i++, t += 10000)
		at(fx, i % 2 ? 0.89 : 0.91, t);
	assert_int_equal(fx->nnotes, 1);
	at(fx, 0.5, t);
	t += 10000;
	assert_int_equal(fx->nnotes, 2);
	/* Real flapping across the band: after FLAP_MAX (4) firings within
	 * 30 min the rest are held back, and so are their recoveries. */
	for (int i = 0; i < 8; i++, t += 10000)
		at(fx, i % 2 ? 0.5 : 0.95, t);
	/* Firings 2, 3, 4 (+ recoveries) sent; 5th and later held. */
	assert_int_equal(fx->nnotes, 2 + 6);
	assert_true(
	    log_rows(fx, "notified = 0 AND reason LIKE 'flapping%'") >= 1);
	assert_true(log_rows(fx, "notified = 0 AND reason LIKE "
	                         "'firing was never notified%'") >= 1);
	fx_free(fx);
}

static void
warn_crit_transitions(void **state)
{
	struct fx *fx = fx_new("alerts:\n  - {name: t, metric: test_ratio, "
	                       "above: 0.9, clear: 0.8, critical: 0.98}\n");

	(void)state;
	at(fx, 0.95, T0);
	assert_int_equal(fx->nnotes, 1);
	assert_int_equal(fx->notes[0].severity, CP_SEV_WARNING);
	at(fx, 0.99, T0 + 10000);
	assert_int_equal(fx->nnotes, 2);
	assert_int_equal(fx->notes[1].state, ALERT_FIRING);
	assert_int_equal(fx->notes[1].prev_state, ALERT_FIRING);
	assert_int_equal(fx->notes[1].severity, CP_SEV_CRITICAL);
	assert_int_equal(fx->notes[1].prev_severity, CP_SEV_WARNING);
	assert_string_equal(fx->notes[0].id, fx->notes[1].id);
	/* critical_clear = 0.98 - (0.9 - 0.8) = 0.88: still critical. */
	at(fx, 0.95, T0 + 20000);
	assert_int_equal(fx->nnotes, 2);
	at(fx, 0.87, T0 + 30000);
	assert_int_equal(fx->nnotes, 3);
	assert_int_equal(fx->notes[2].severity, CP_SEV_WARNING);
	assert_int_equal(fx->notes[2].prev_severity, CP_SEV_CRITICAL);
	at(fx, 0.7, T0 + 40000);
	assert_int_equal(fx->nnotes, 4);
	assert_int_equal(fx->notes[3].state, ALERT_RESOLVED);
	fx_free(fx);
}

static void
repeat_at_interval_and_recovery_not_held(void **state)
{
	struct fx *fx = fx_new("alerts:\n  - {name: t, metric: test_ratio, "
	                       "above: 0.9, repeat: 1m}\n");

	(void)state;
	at(fx, 0.95, T0);
	at(fx, 0.95, T0 + 30000);
	assert_int_equal(fx->nnotes, 1);
	at(fx, 0.95, T0 + 60000);
	assert_int_equal(fx->nnotes, 2);
	assert_true(fx->notes[1].repeat);
	at(fx, 0.95, T0 + 90000);
	assert_int_equal(fx->nnotes, 2);
	/* Recovery right after a repeat still goes out at once. */
	at(fx, 0.5, T0 + 100000);
	assert_int_equal(fx->nnotes, 3);
	assert_int_equal(fx->notes[2].state, ALERT_RESOLVED);
	fx_free(fx);
}

static void
absence_of_data_and_target_down(void **state)
{
	struct fx *fx =
	    fx_new("alerts:\n"
	           "  - {name: gone, metric: test_ratio, absent: 3, severity: "
	           "critical}\n"
	           "  - {name: target-down, absent: target, for: 30s, "
	           "severity: critical, match: {role: core}}\n");
	struct cp_target_status st = {0};

	(void)state;
	put(fx, "host1", "test_ratio", NULL, NULL, 1, T0);
	alerts_eval(fx->al, T0 + 5000);
	alerts_eval(fx->al, T0 + 25000);
	assert_int_equal(fx->nnotes, 0);
	alerts_eval(fx->al, T0 + 31000); /* 3 intervals of 10 s */
	assert_int_equal(fx->nnotes, 1);
	assert_string_equal(fx->notes[0].rule, "gone");
	assert_int_equal(fx->notes[0].severity, CP_SEV_CRITICAL);
	put(fx, "host1", "test_ratio", NULL, NULL, 1, T0 + 40000);
	alerts_eval(fx->al, T0 + 40000);
	assert_int_equal(fx->nnotes, 2);
	assert_int_equal(fx->notes[1].state, ALERT_RESOLVED);

	/* A core switch that stops answering. */
	st.target = "core1";
	st.role = "core";
	st.up = 1;
	st.last_poll_ms = T0;
	st.last_success_ms = T0;
	targets_set(fx->targets, &st);
	put(fx, "host1", "test_ratio", NULL, NULL, 1, T0 + 50000);
	alerts_eval(fx->al, T0 + 50000);
	st.up = 0;
	st.reason = "timeout";
	st.last_poll_ms = T0 + 60000;
	targets_set(fx->targets, &st);
	put(fx, "host1", "test_ratio", NULL, NULL, 1, T0 + 60000);
	alerts_eval(fx->al, T0 + 60000);
	assert_int_equal(fx->nnotes, 2); /* pending for 30 s */
	put(fx, "host1", "test_ratio", NULL, NULL, 1, T0 + 90000);
	alerts_eval(fx->al, T0 + 90000);
	assert_int_equal(fx->nnotes, 3);
	assert_string_equal(fx->notes[2].rule, "target-down");
	assert_string_equal(fx->notes[2].target, "core1");
	fx_free(fx);
}

static void
events_fire_at_once_and_resolve_after_hold(void **state)
{
	struct fx *fx = fx_new("alerts:\n  - {name: hotswap, event: hotswap, "
	                       "hold: 5m}\n");
	struct db_event ev = {0, T0, "core1", "hotswap", "PSU 2",
	    CP_SEV_WARNING, "present", "absent", "PSU 2 removed"};

	(void)state;
	alerts_eval(fx->al, T0);
	assert_true(db_event_add(fx->db, &ev) > 0);
	alerts_eval(fx->al, T0 + 10000);
	assert_int_equal(fx->nnotes, 1);
	assert_string_equal(fx->notes[0].rule, "hotswap");
	alerts_eval(fx->al, T0 + 20000);
	assert_int_equal(fx->nnotes, 1);
	alerts_eval(fx->al, T0 + 10000 + 300000);
	assert_int_equal(fx->nnotes, 2);
	assert_int_equal(fx->notes[1].state, ALERT_RESOLVED);
	fx_free(fx);
}

/* An event written by another connection to the same database (as
 * `chokepoint firmware` does) is seen at the next pass, not a minute on. */
static void
events_from_another_process_seen_at_next_pass(void **state)
{
	struct fx *fx =
	    fx_new("alerts:\n  - {name: hotswap, event: hotswap, hold: 5m}\n");
	struct db_event ev = {0, T0, "core1", "hotswap", "fan 1",
	    CP_SEV_WARNING, "present", "absent", "fan 1 removed"};
	struct db *other;
	char err[256];

	(void)state;
	alerts_eval(fx->al, T0);
	alerts_eval(fx->al, T0 + 1000);
	assert_int_equal(fx->nnotes, 0);
	other = db_open(fx->dir, err, sizeof(err));
	assert_non_null(other);
	assert_true(db_event_add(other, &ev) > 0);
	db_close(other);
	alerts_eval(fx->al, T0 + 2000);
	assert_int_equal(fx->nnotes, 1);
	assert_string_equal(fx->notes[0].rule, "hotswap");
	assert_string_equal(fx->notes[0].target, "core1");
	/* Nothing new: no second notification. */
	alerts_eval(fx->al, T0 + 3000);
	assert_int_equal(fx->nnotes, 1);
	fx_free(fx);
}

static void
silences_hold_back_and_release(void **state)
{
	struct fx *fx = fx_new(
	    "alerts:\n  - {name: t, metric: test_ratio, above: 0.9}\n"
	    "  - {name: u, metric: other_ratio, above: 0.9}\n"
	    "silences:\n  - {match: {rule: u}, end: 2099-01-01T00:00:00Z,\n"
	    "     comment: planned}\n");
	struct match_cfg m = {0};
	char *k[] = {"target"}, *v[] = {"host*"};
	int64_t sid;

	(void)state;
	m.keys = k;
	m.values = v;
	m.n = 1;
	sid = alerts_silence_add(fx->al, &m, T0, T0 + 60000, "test", "api");
	assert_true(sid > 0);
	put(fx, "host1", "other_ratio", NULL, NULL, 0.95, T0);
	at(fx, 0.95, T0);
	assert_int_equal(fx->nnotes, 0);
	assert_int_equal(log_rows(fx, "notified = 0 AND reason LIKE "
	                              "'silence #%'"),
	    1);
	assert_int_equal(log_rows(fx, "notified = 0 AND reason LIKE "
	                              "'silence planned%'"),
	    1);
	/* The API silence ends: the firing alert goes out now. */
	at(fx, 0.95, T0 + 60000);
	assert_int_equal(fx->nnotes, 1);
	assert_string_equal(fx->notes[0].rule, "t");
	/* Deleting works; deleting twice says so. */
	assert_int_equal(alerts_silence_del(fx->al, sid), 0);
	assert_int_equal(alerts_silence_del(fx->al, sid), -ENOENT);
	/* u resolves silently: its firing was never sent. */
	put(fx, "host1", "other_ratio", NULL, NULL, 0.1, T0 + 70000);
	at(fx, 0.95, T0 + 70000);
	assert_int_equal(fx->nnotes, 1);
	fx_free(fx);
}

static void
maintenance_window_weekly(void **state)
{
	/* T0 = 2027-01-15T08:00:00Z, a Friday. */
	struct fx *fx = fx_new(
	    "alerts:\n  - {name: t, metric: test_ratio, above: 0.9}\n"
	    "maintenance:\n  - {name: fri, match: {role: db}, days: [fri],\n"
	    "     from: \"07:30\", to: \"08:30\"}\n");

	(void)state;
	at(fx, 0.95, T0);
	assert_int_equal(fx->nnotes, 0);
	assert_int_equal(
	    log_rows(fx, "reason LIKE 'maintenance window fri%'"), 1);
	at(fx, 0.95, T0 + 1800000); /* 08:30: over */
	assert_int_equal(fx->nnotes, 1);
	fx_free(fx);
}

static void
restart_keeps_state_without_flood(void **state)
{
	struct fx *fx = fx_new(rule_yaml);
	char id[32];

	(void)state;
	at(fx, 0.95, T0);
	at(fx, 0.95, T0 + 60000);
	assert_int_equal(fx->nnotes, 1);
	snprintf(id, sizeof(id), "%s", fx->notes[0].id);
	/* Restart: a fresh engine and an empty cache. */
	alerts_free(fx->al);
	cache_free(fx->cache);
	fx->cache = cache_new(NULL);
	fx_start(fx);
	alerts_eval(fx->al, T0 + 70000); /* no data yet: nothing */
	assert_int_equal(fx->nnotes, 1);
	at(fx, 0.95, T0 + 80000); /* still firing: not re-sent */
	assert_int_equal(fx->nnotes, 1);
	at(fx, 0.95, T0 + 60000 + 600000); /* repeat: 10m, kept across */
	assert_int_equal(fx->nnotes, 2);
	assert_true(fx->notes[1].repeat);
	at(fx, 0.5, T0 + 60000 + 610000);
	assert_int_equal(fx->nnotes, 3);
	assert_int_equal(fx->notes[2].state, ALERT_RESOLVED);
	assert_string_equal(fx->notes[2].id, id);
	/* And a restart after the recovery brings nothing back. */
	alerts_free(fx->al);
	fx_start(fx);
	at(fx, 0.5, T0 + 60000 + 620000);
	assert_int_equal(fx->nnotes, 3);
	fx_free(fx);
}

/* A pass whose state rows cannot be written (as on a full disk) is rolled
 * back and written again by the next one, so a restart restores it; its
 * log row waits and is written then, in order. */
static void
failed_write_keeps_states_for_the_next_pass(void **state)
{
	struct fx *fx = fx_new(rule_yaml);
	struct sqlite3 *h = db_handle(fx->db);

	(void)state;
	at(fx, 0.95, T0); /* pending, stored */
	assert_int_equal(sqlite3_exec(h,
	                     "CREATE TEMP TRIGGER full BEFORE INSERT ON "
	                     "alert_state BEGIN SELECT RAISE(FAIL, 'full'); "
	                     "END",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	at(fx, 0.95, T0 + 60000); /* firing: sent, but not stored */
	assert_int_equal(fx->nnotes, 1);
	assert_int_equal(log_rows(fx, "to_state = 'firing'"), 0);
	assert_int_equal(
	    sqlite3_exec(h, "DROP TRIGGER temp.full", NULL, NULL, NULL),
	    SQLITE_OK);
	at(fx, 0.95, T0 + 70000); /* no change, yet stored now */
	assert_int_equal(log_rows(fx, "to_state = 'firing' AND time_ms = "
	                              "(SELECT max(time_ms) FROM alert_log)"),
	    1);
	assert_int_equal(log_rows(fx, "to_state = 'firing'"), 1);
	alerts_free(fx->al);
	cache_free(fx->cache);
	fx->cache = cache_new(NULL);
	fx_start(fx);
	/* Restored as firing: not pending again, so not sent twice. */
	at(fx, 0.95, T0 + 80000);
	at(fx, 0.95, T0 + 150000);
	assert_int_equal(fx->nnotes, 1);
	fx_free(fx);
}

static void
core_switch_ports_group_into_one_notification(void **state)
{
	struct fx *fx = fx_new(
	    "alerts:\n  - {name: core-uplink-saturated, "
	    "metric: if_*_util_ratio, match: {role: core}, above: 0.85}\n");
	struct cp_target_status st = {0};
	char ifname[16];

	(void)state;
	st.target = "core1";
	st.role = "core";
	st.up = 1;
	st.last_poll_ms = T0;
	targets_set(fx->targets, &st);
	for (int i = 0; i < 48; i++) {
		snprintf(ifname, sizeof(ifname), "Gi1/0/%d", i + 1);
		put(fx, "core1", "if_out_util_ratio", "ifname", ifname, 0.97,
		    T0);
		put(fx, "l2sw", "if_out_util_ratio", "ifname", ifname, 0.97,
		    T0);
	}
	alerts_eval(fx->al, T0);
	assert_int_equal(fx->nnotes, 1);
	assert_int_equal(fx->notes[0].n, 48);
	assert_string_equal(fx->notes[0].target, "core1");
	fx_free(fx);
}

static void
builtin_rules_parse_and_can_be_switched_off(void **state)
{
	struct fx *fx = fx_new("alerts:\n  - {name: cpu-busy, metric: x, "
	                       "above: 1, enabled: false}\n");

	(void)state;
	put(fx, "host1", "cpu_busy_ratio", "cpu", "total", 0.999, T0);
	put(fx, "host1", "oom_kills_per_second", NULL, NULL, 0.1, T0);
	alerts_eval(fx->al, T0);
	/* oom-kill is built in and fires at once; cpu-busy is off. */
	assert_int_equal(fx->nnotes, 1);
	assert_string_equal(fx->notes[0].rule, "oom-kill");
	/* The agent's own RRD writes blocked for a minute: critical. */
	put(fx, "host1", "rrd_write_blocked", NULL, NULL, 1, T0);
	alerts_eval(fx->al, T0);
	assert_int_equal(fx->nnotes, 1);
	put(fx, "host1", "rrd_write_blocked", NULL, NULL, 1, T0 + 61000);
	alerts_eval(fx->al, T0 + 61000);
	assert_int_equal(fx->nnotes, 2);
	assert_string_equal(fx->notes[1].rule, "rrd-writes-blocked");
	/* The event database: a warning after a minute. */
	put(fx, "host1", "db_write_blocked", NULL, NULL, 1, T0 + 61000);
	alerts_eval(fx->al, T0 + 61000);
	assert_int_equal(fx->nnotes, 2);
	put(fx, "host1", "db_write_blocked", NULL, NULL, 1, T0 + 122000);
	alerts_eval(fx->al, T0 + 122000);
	assert_int_equal(fx->nnotes, 3);
	assert_string_equal(fx->notes[2].rule, "db-writes-blocked");
	assert_int_equal(fx->notes[2].severity, CP_SEV_WARNING);
	fx_free(fx);
}

static void
json_lists_active_log_and_silences(void **state)
{
	struct fx *fx = fx_new(rule_yaml);
	char *s;

	(void)state;
	at(fx, 0.95, T0);
	s = alerts_json(fx->al, T0, 10);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"status\":\"pending\""));
	assert_non_null(strstr(s, "\"to\":\"pending\""));
	/* The effective rules: the config's and the built-ins. */
	assert_non_null(strstr(s, "{\"name\":\"t\",\"kind\":\"metric\","
	                          "\"builtin\":false"));
	assert_non_null(strstr(s, "\"name\":\"oom-kill\",\"kind\":\"metric\","
	                          "\"builtin\":true"));
	free(s);
	fx_free(fx);
}

static void
change_rule_uses_increase_over_window(void **state)
{
	struct fx *fx =
	    fx_new("alerts:\n  - {name: growth, metric: test_ratio, "
	           "change: 1m, above: 0.3, clear: 0.1}\n");
	int64_t t = T0;

	(void)state;
	/* Rises 0.1 per 20 s: +0.3 over a minute only after a minute. */
	for (int i = 0; i < 3; i++, t += 20000)
		at(fx, 0.1 * i, t);
	assert_int_equal(fx->nnotes, 0); /* no point a minute old yet */
	at(fx, 0.35, t);                 /* 60 s after 0.0 */
	assert_int_equal(fx->nnotes, 1);
	assert_true(fx->notes[0].value > 0.3 && fx->notes[0].value < 0.4);
	t += 20000;
	at(fx, 0.38, t); /* +0.28 over the minute: inside the band */
	assert_int_equal(fx->nnotes, 1);
	/* Flat for a minute: the increase is 0, resolved. */
	for (int i = 0; i < 4; i++)
		at(fx, 0.38, t += 20000);
	assert_int_equal(fx->nnotes, 2);
	assert_int_equal(fx->notes[1].state, ALERT_RESOLVED);
	fx_free(fx);
}

/* Parses yaml and returns the errors joined by '\n' (static). */
static const char *
cfg_errors(const char *yaml)
{
	static char out[4096];
	struct cfg_errs e;
	struct config *c;
	char buf[1024];

	out[0] = '\0';
	cfg_errs_init(&e);
	c = config_parse("a.yaml", yaml, strlen(yaml), &e);
	for (size_t i = 0; i < e.n; i++) {
		strncat(out, err_format(&e.v[i], buf, sizeof(buf)),
		    sizeof(out) - strlen(out) - 2);
		strcat(out, "\n");
	}
	config_free(c);
	cfg_errs_fini(&e);
	return out;
}

static void
config_errors_name_file_line_col(void **state)
{
	(void)state;
	assert_string_equal(cfg_errors("alerts:\n"
	                               "  - name: a\n"
	                               "    absent: often\n"),
	    "a.yaml:3:13: 'absent' must be 'target' (target down) or a "
	    "number of intervals without data (1 or more)\n");
	assert_string_equal(cfg_errors("alerts:\n"
	                               "  - {name: a, event: quake}\n"),
	    "a.yaml:2:22: 'event' must be hotswap, ecc, firmware, drift, "
	    "link or reboot, not 'quake'\n");
	assert_string_equal(cfg_errors("alerts:\n"
	                               "  - {name: a, metric: m, above: 5, "
	                               "critical: 3}\n"),
	    "a.yaml:2:46: 'critical' must be beyond the 'above' level\n");
	assert_string_equal(
	    cfg_errors("silences:\n"
	               "  - {match: {target: x}, end: tomorrow}\n"),
	    "a.yaml:2:31: 'end' must be a time like 2026-11-28T02:00:00Z, "
	    "not 'tomorrow'\n");
	assert_string_equal(cfg_errors("maintenance:\n"
	                               "  - {match: {role: db}, days: [sun, "
	                               "someday], from: \"02:00\", to: 4}\n"),
	    "a.yaml:2:37: 'days' items must be mon, tue, wed, thu, fri, sat "
	    "or sun\n"
	    "a.yaml:2:66: a maintenance window needs 'to' as HH:MM (UTC)\n");
	assert_string_equal(cfg_errors("hooks:\n"
	                               "  - {name: h, exec: [/bin/true], "
	                               "repeat: {critical: soon}}\n"),
	    "a.yaml:2:53: 'critical': expected a duration such as 500ms, 10s, "
	    "5m, 1h; found 'soon'\n");
	/* A switched-off built-in needs nothing else. */
	assert_string_equal(
	    cfg_errors("alerts:\n"
	               "  - {name: cpu-busy, enabled: false}\n"),
	    "");
}

static void
reconfigure_resolves_removed_rules(void **state)
{
	struct fx *fx = fx_new("alerts:\n  - {name: t, metric: test_ratio, "
	                       "above: 0.9}\n");
	struct config *next;
	struct cfg_errs errs;
	static const char y[] = "alerts:\n  - {name: t2, metric: test_ratio, "
	                        "above: 0.5}\n";

	(void)state;
	at(fx, 0.95, T0);
	assert_int_equal(fx->nnotes, 1);
	cfg_errs_init(&errs);
	next = config_parse("next.yaml", y, strlen(y), &errs);
	assert_non_null(next);
	cfg_errs_fini(&errs);
	alerts_reconfigure(fx->al, next);
	at(fx, 0.95, T0 + 10000);
	/* t is gone (its recovery goes out), t2 fires. */
	assert_int_equal(fx->nnotes, 3);
	assert_true((fx->notes[1].state == ALERT_RESOLVED &&
	                strcmp(fx->notes[1].rule, "t") == 0) ||
	            (fx->notes[2].state == ALERT_RESOLVED &&
	                strcmp(fx->notes[2].rule, "t") == 0));
	assert_int_equal(
	    log_rows(fx, "rule = 't' AND reason = 'rule removed'"), 1);
	alerts_free(fx->al);
	fx->al = NULL;
	config_free(fx->cfg);
	fx->cfg = next;
	fx_start(fx);
	fx_free(fx);
}

static void
old_log_rows_are_pruned(void **state)
{
	struct fx *fx = fx_new("alerts:\n  - {name: t, metric: test_ratio, "
	                       "above: 0.9}\n");

	(void)state;
	at(fx, 0.95, T0);
	at(fx, 0.5, T0 + 10000);
	assert_int_equal(log_rows(fx, "1"), 2);
	/* 91 days on: the two rows go, the new pass's row stays. */
	at(fx, 0.95, T0 + 91 * 86400000LL);
	assert_int_equal(log_rows(fx, "1"), 1);
	fx_free(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(for_holds_back_until_elapsed),
	    cmocka_unit_test(hysteresis_keeps_firing_inside_band),
	    cmocka_unit_test(flapping_input_is_damped),
	    cmocka_unit_test(warn_crit_transitions),
	    cmocka_unit_test(repeat_at_interval_and_recovery_not_held),
	    cmocka_unit_test(absence_of_data_and_target_down),
	    cmocka_unit_test(events_fire_at_once_and_resolve_after_hold),
	    cmocka_unit_test(events_from_another_process_seen_at_next_pass),
	    cmocka_unit_test(silences_hold_back_and_release),
	    cmocka_unit_test(maintenance_window_weekly),
	    cmocka_unit_test(restart_keeps_state_without_flood),
	    cmocka_unit_test(failed_write_keeps_states_for_the_next_pass),
	    cmocka_unit_test(core_switch_ports_group_into_one_notification),
	    cmocka_unit_test(builtin_rules_parse_and_can_be_switched_off),
	    cmocka_unit_test(json_lists_active_log_and_silences),
	    cmocka_unit_test(change_rule_uses_increase_over_window),
	    cmocka_unit_test(config_errors_name_file_line_col),
	    cmocka_unit_test(reconfigure_resolves_removed_rules),
	    cmocka_unit_test(old_log_rows_are_pruned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
