// SPDX-License-Identifier: MIT
/*
 * Rule evaluation for the alert engine: which series, targets and events a
 * rule looks at and what level each calls for (thresholds with hysteresis
 * and escalation, increase over a window, no data, target down, events);
 * the role map of targets; silences and maintenance windows; the JSON of
 * /api/v1/alerts and silences through the API.
 */
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_db.h"
#include "alert_int.h"
#include "cache.h"
#include "db.h"
#include "log.h"
#include "targets.h"

/* ---------------------------------------------------------------- rules */

void
alerts_rules_free(struct alerts *a)
{
	free(a->rules);
	a->rules = NULL;
	a->nrules = 0;
}

static void
rule_add(struct alerts *a, const struct alert_cfg *c)
{
	struct rule *r;
	size_t n;

	if (!c->enabled)
		return;
	a->rules = xrealloc(a->rules, (a->nrules + 1) * sizeof(*a->rules));
	r = &a->rules[a->nrules++];
	memset(r, 0, sizeof(*r));
	r->c = c;
	if (c->event)
		r->kind = RK_EVENT;
	else if (c->absent_target)
		r->kind = RK_TARGET;
	else if (c->absent_intervals)
		r->kind = RK_ABSENT;
	else if (c->change_ms)
		r->kind = RK_CHANGE;
	else
		r->kind = RK_METRIC;
	if (c->metric) {
		n = strcspn(c->metric, "*?[");
		if (n >= sizeof(r->prefix) - 1)
			n = sizeof(r->prefix) - 2;
		memcpy(r->prefix, c->metric, n);
		r->prefix[n] = c->metric[n] ? '*' : '\0';
		r->prefix[n + 1] = '\0';
	}
}

void
alerts_reconfigure(struct alerts *a, const struct config *cfg)
{
	pthread_mutex_lock(&a->mu);
	alerts_rules_free(a);
	a->cfg = cfg;
	a->wins_stale = 1;
	for (size_t i = 0; i < a->builtin->nalerts; i++) {
		const struct alert_cfg *b = &a->builtin->alerts[i];
		int overridden = 0;

		for (size_t j = 0; cfg && j < cfg->nalerts; j++)
			if (cfg->alerts[j].name &&
			    strcmp(cfg->alerts[j].name, b->name) == 0)
				overridden = 1;
		if (!overridden)
			rule_add(a, b);
	}
	for (size_t j = 0; cfg && j < cfg->nalerts; j++)
		if (cfg->alerts[j].name)
			rule_add(a, &cfg->alerts[j]);
	pthread_mutex_unlock(&a->mu);
}

const struct alert_cfg *
alerts_rule_cfg(struct alerts *a, const char *name)
{
	for (size_t i = 0; i < a->nrules; i++)
		if (strcmp(a->rules[i].c->name, name) == 0)
			return a->rules[i].c;
	return NULL;
}

static const struct rule *
rule_by_name(struct alerts *a, const char *name)
{
	for (size_t i = 0; i < a->nrules; i++)
		if (strcmp(a->rules[i].c->name, name) == 0)
			return &a->rules[i];
	return NULL;
}

/* ---------------------------------------------------------------- roles */

static int
role_cb(const struct cp_target_status *st, void *arg)
{
	struct alerts *a = arg;
	struct role_ent *e;

	a->roles = xrealloc(a->roles, (a->nroles + 1) * sizeof(*a->roles));
	e = &a->roles[a->nroles++];
	e->target = xstrdup(st->target);
	e->role = xstrdup(st->role ? st->role : "other");
	e->up = st->up;
	e->known = st->last_poll_ms > 0;
	e->last_poll_ms = st->last_poll_ms;
	e->last_success_ms = st->last_success_ms;
	e->reason = st->reason ? xstrdup(st->reason) : NULL;
	return 0;
}

static void
roles_clear(struct alerts *a)
{
	for (size_t i = 0; i < a->nroles; i++) {
		free(a->roles[i].target);
		free(a->roles[i].role);
		free(a->roles[i].reason);
	}
	free(a->roles);
	a->roles = NULL;
	a->nroles = 0;
}

void
alerts_roles_refresh(struct alerts *a)
{
	roles_clear(a);
	if (a->env.targets)
		targets_foreach(a->env.targets, role_cb, a);
}

void
alerts_set_host(struct alerts *a, const char *hostname, const char *role)
{
	pthread_mutex_lock(&a->mu);
	free(a->hostname);
	free(a->host_role);
	a->hostname = hostname ? xstrdup(hostname) : NULL;
	a->host_role = role ? xstrdup(role) : NULL;
	a->env.hostname = a->hostname;
	a->env.host_role = a->host_role;
	pthread_mutex_unlock(&a->mu);
}

const char *
alerts_role_of(struct alerts *a, const char *target)
{
	if (a->env.hostname && strcmp(target, a->env.hostname) == 0 &&
	    a->env.host_role)
		return a->env.host_role;
	for (size_t i = 0; i < a->nroles; i++)
		if (strcmp(a->roles[i].target, target) == 0)
			return a->roles[i].role;
	return "other";
}

/* ------------------------------------------------------------- silences */

void
alerts_windows_free(struct alerts *a)
{
	for (size_t i = 0; i < a->nwins; i++)
		match_cfg_free(&a->wins[i].match);
	free(a->wins);
	a->wins = NULL;
	a->nwins = 0;
	roles_clear(a);
}

static struct win *
win_new(struct alerts *a)
{
	a->wins = xrealloc(a->wins, (a->nwins + 1) * sizeof(*a->wins));
	memset(&a->wins[a->nwins], 0, sizeof(*a->wins));
	return &a->wins[a->nwins++];
}

static int
matchers_from_json(const char *s, struct match_cfg *m)
{
	json_t *o = json_loads(s, 0, NULL);
	const char *k;
	json_t *v;

	memset(m, 0, sizeof(*m));
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return -EINVAL;
	}
	m->keys = xcalloc(json_object_size(o) + 1, sizeof(char *));
	m->values = xcalloc(json_object_size(o) + 1, sizeof(char *));
	json_object_foreach(o, k, v)
	{
		if (!json_is_string(v))
			continue;
		m->keys[m->n] = xstrdup(k);
		m->values[m->n++] = xstrdup(json_string_value(v));
	}
	json_decref(o);
	return 0;
}

static void
db_silence_cb(const struct alertdb_silence *s, void *arg)
{
	struct alerts *a = arg;
	struct win *w = win_new(a);

	matchers_from_json(s->matchers_json, &w->match);
	w->start_ms = s->start_ms;
	w->end_ms = s->end_ms;
	snprintf(w->desc, sizeof(w->desc), "silence #%lld%s%s",
	    (long long)s->id, s->comment[0] ? " " : "", s->comment);
}

void
alerts_windows_refresh(struct alerts *a, int64_t now)
{
	const struct config *c = a->cfg;

	/* Silences change through the API (which marks them stale) or a
	 * reload. Other writers: re-read at most once a minute while the
	 * database files change, and once an hour in any case. Reading them
	 * on every pass cost a statement compile per pass. */
	if (!a->wins_stale &&
	    !(a->wins_db_moved && now - a->wins_read_ms >= 60000) &&
	    now - a->wins_read_ms < 3600000 && now >= a->wins_read_ms)
		return;
	a->wins_stale = 0;
	a->wins_db_moved = 0;
	a->wins_read_ms = now;
	for (size_t i = 0; i < a->nwins; i++)
		match_cfg_free(&a->wins[i].match);
	a->nwins = 0;
	for (size_t i = 0; c && i < c->nsilences; i++) {
		struct win *w = win_new(a);

		match_cfg_copy(&w->match, &c->silences[i].match);
		w->start_ms = c->silences[i].start_ms;
		w->end_ms = c->silences[i].end_ms;
		snprintf(w->desc, sizeof(w->desc), "silence %s",
		    c->silences[i].name      ? c->silences[i].name
		    : c->silences[i].comment ? c->silences[i].comment
		                             : "(config)");
	}
	for (size_t i = 0; c && i < c->nmaintenance; i++) {
		struct win *w = win_new(a);

		match_cfg_copy(&w->match, &c->maintenance[i].match);
		w->days = c->maintenance[i].days;
		w->from_min = c->maintenance[i].from_min;
		w->to_min = c->maintenance[i].to_min;
		snprintf(w->desc, sizeof(w->desc), "maintenance window %s",
		    c->maintenance[i].name ? c->maintenance[i].name : "");
	}
	if (a->env.db) {
		db_lock(a->env.db);
		alertdb_silences(db_handle(a->env.db), now, db_silence_cb, a);
		db_unlock(a->env.db);
	}
}

/* Weekly window: days (bit 0 Sunday), from..to minutes UTC; may wrap
 * midnight, in which case the day is the day it began. */
static int
weekly_active(const struct win *w, int64_t now)
{
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	int min, yday;

	gmtime_r(&t, &tm);
	min = tm.tm_hour * 60 + tm.tm_min;
	if (w->from_min <= w->to_min)
		return (w->days >> tm.tm_wday & 1) && min >= w->from_min &&
		       min < w->to_min;
	if (min >= w->from_min)
		return w->days >> tm.tm_wday & 1;
	yday = (tm.tm_wday + 6) % 7;
	return (w->days >> yday & 1) && min < w->to_min;
}

int
alerts_win_active(const struct win *w, int64_t now)
{
	if (w->days)
		return weekly_active(w, now);
	return (w->start_ms == 0 || now >= w->start_ms) && now < w->end_ms;
}

int
alerts_silenced(struct alerts *a, const struct inst *in, const char *role,
    const char *sev, int64_t now, char *why, size_t size)
{
	for (size_t i = 0; i < a->nwins; i++) {
		const struct win *w = &a->wins[i];

		if (w->match.n == 0 || !alerts_win_active(w, now))
			continue;
		if (alert_match(&w->match, in->target, role, in->labels,
		        in->nlabels, in->rule, sev)) {
			snprintf(why, size, "%s", w->desc);
			return 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ the rules */

struct cand {
	char *target;
	struct cp_label *labels;
	size_t nlabels;
	double value;
	int64_t time_ms, step_ms;
};

struct cands {
	const struct rule *r;
	struct alerts *a;
	struct cand *v;
	size_t n, cap;
	struct sbuf kb;
};

static int level_of(
    const struct alert_cfg *c, const struct inst *in, double v, double *thr);

static int
cand_cb(const struct cache_series *s, void *arg)
{
	struct cands *cs = arg;
	const struct alert_cfg *c = cs->r->c;
	struct cand *x;

	if (s->is_counter || fnmatch(c->metric, s->metric, 0) != 0)
		return 0;
	if (!alert_match(&c->match, s->target, alerts_role_of(cs->a, s->target),
	        s->labels, s->nlabels, c->name, NULL))
		return 0;
	if (cs->r->kind == RK_METRIC) {
		/*
		 * Most series are fine most of the time: one with no instance
		 * whose value calls for nothing needs no instance either
		 * (it would be made and dropped again on every pass).
		 */
		static const struct inst idle; /* ALERT_INACTIVE */
		struct cp_label m = {"metric", s->metric};
		double thr;

		alerts_key_build(
		    &cs->kb, c->name, s->target, &m, s->labels, s->nlabels);
		if (alerts_inst_find(cs->a, cs->kb.s) == NULL &&
		    level_of(c, &idle, s->value, &thr) <= 0)
			return 0;
	}
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 32;
		cs->v = xrealloc(cs->v, cs->cap * sizeof(*cs->v));
	}
	x = &cs->v[cs->n++];
	x->target = xstrdup(s->target);
	/* The metric joins the labels so that if_in/if_out stay apart. */
	x->labels = xcalloc(s->nlabels + 1, sizeof(*x->labels));
	x->nlabels = s->nlabels + 1;
	x->labels[0].key = xstrdup("metric");
	x->labels[0].value = xstrdup(s->metric);
	for (size_t i = 0; i < s->nlabels; i++) {
		x->labels[i + 1].key = xstrdup(s->labels[i].key);
		x->labels[i + 1].value = xstrdup(s->labels[i].value);
	}
	x->value = s->value;
	x->time_ms = s->time_ms;
	x->step_ms = s->step_ms > 0 ? s->step_ms : 10000;
	return 0;
}

static void
cands_free(struct cands *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		for (size_t j = 0; j < cs->v[i].nlabels; j++) {
			free((char *)cs->v[i].labels[j].key);
			free((char *)cs->v[i].labels[j].value);
		}
		free(cs->v[i].labels);
		free(cs->v[i].target);
	}
	free(cs->v);
}

#define BEYOND(up, x, t) ((up) ? (x) > (t) : (x) < (t))

/* The level value v calls for on instance in (see alerts_step). */
static int
level_of(
    const struct alert_cfg *c, const struct inst *in, double v, double *thr)
{
	int up = !c->has_below;
	double th = up ? c->above : c->below;
	double clr = c->has_clear ? c->clear : th;
	int active = in->state == ALERT_PENDING || in->state == ALERT_FIRING;

	*thr = th;
	if (isnan(v))
		return -1;
	if (!BEYOND(up, v, active ? clr : th))
		return 0;
	if (c->has_critical && (BEYOND(up, v, c->critical) ||
	                           (active && in->severity == CP_SEV_CRITICAL &&
	                               BEYOND(up, v, c->critical_clear)))) {
		*thr = c->critical;
		return CP_SEV_CRITICAL;
	}
	return c->severity;
}

/* Increase over c->change_ms from the instance's own history. */
static double
change_of(struct inst *in, const struct alert_cfg *c, double v, int64_t t)
{
	double base = NAN;

	if (in->nhist == 0 ||
	    t - in->hist[in->nhist - 1].t >= c->change_ms / 32) {
		if (in->hist == NULL)
			in->hist = xcalloc(HIST_MAX, sizeof(*in->hist));
		if (in->nhist == HIST_MAX) {
			memmove(in->hist, in->hist + 1,
			    (HIST_MAX - 1) * sizeof(*in->hist));
			in->nhist--;
		}
		in->hist[in->nhist].t = t;
		in->hist[in->nhist++].v = v;
	}
	/* The newest point at least the window old. */
	for (size_t i = 0; i < in->nhist; i++)
		if (in->hist[i].t <= t - c->change_ms)
			base = in->hist[i].v;
	return isnan(base) ? NAN : v - base;
}

static int
keeps_memory(const struct rule *r)
{
	return r->kind == RK_CHANGE || r->kind == RK_ABSENT;
}

/*
 * Inactive instances are dropped unless the rule needs their memory
 * (history, seen series) or their flap count is still running.
 */
static void
after_step(const struct rule *r, struct inst *in, int64_t now)
{
	if (in->state == ALERT_RESOLVED) {
		in->state = ALERT_INACTIVE;
		in->removed = 0;
	}
	if (in->state == ALERT_INACTIVE && !keeps_memory(r) &&
	    (in->flaps == 0 || now - in->flap_ms > FLAP_WINDOW_MS))
		in->removed = 1;
}

static void
eval_series(struct alerts *a, const struct rule *r, int64_t now)
{
	const struct alert_cfg *c = r->c;
	struct cands cs = {r, a, NULL, 0, 0, {0}};
	struct sbuf kb;

	sbuf_init(&kb);
	sbuf_init(&cs.kb);
	cache_foreach(a->env.cache, NULL, r->prefix, cand_cb, &cs);
	sbuf_fini(&cs.kb);
	for (size_t i = 0; i < cs.n; i++) {
		struct cand *x = &cs.v[i];
		int64_t age = now - x->time_ms;
		struct inst *in;
		double v = x->value, thr = 0;
		int level;

		if (r->kind != RK_ABSENT && age > 3 * x->step_ms)
			continue; /* stale: the no-data pass decides */
		in = alerts_inst_get(
		    a, &kb, c->name, x->target, x->labels, x->nlabels);
		if (r->kind == RK_ABSENT) {
			int gone =
			    age > (int64_t)c->absent_intervals * x->step_ms;

			v = (double)age / 1000;
			thr = (double)c->absent_intervals * x->step_ms / 1000;
			level = gone ? c->severity : 0;
		} else {
			if (r->kind == RK_CHANGE)
				v = change_of(in, c, v, x->time_ms);
			level = level_of(c, in, v, &thr);
		}
		if (level >= 0) {
			in->value = v;
			in->threshold = thr;
		}
		alerts_step(a, in, c, level, now);
		after_step(r, in, now);
	}
	cands_free(&cs);
	sbuf_fini(&kb);
}

static void
eval_targets(struct alerts *a, const struct rule *r, int64_t now)
{
	const struct alert_cfg *c = r->c;
	struct sbuf kb;

	sbuf_init(&kb);
	for (size_t i = 0; i < a->nroles; i++) {
		struct role_ent *e = &a->roles[i];
		struct inst *in;

		if (!e->known)
			continue; /* never polled yet: no verdict */
		if (!alert_match(
		        &c->match, e->target, e->role, NULL, 0, c->name, NULL))
			continue;
		in = alerts_inst_get(a, &kb, c->name, e->target, NULL, 0);
		in->value = e->last_success_ms
		                ? (double)(now - e->last_success_ms) / 1000
		                : -1;
		in->threshold = 0;
		alerts_step(a, in, c, e->up ? 0 : c->severity, now);
		after_step(r, in, now);
	}
	sbuf_fini(&kb);
}

void
alerts_eval_rule(struct alerts *a, const struct rule *r, int64_t now)
{
	switch (r->kind) {
	case RK_METRIC:
	case RK_CHANGE:
	case RK_ABSENT:
		eval_series(a, r, now);
		break;
	case RK_TARGET:
		eval_targets(a, r, now);
		break;
	case RK_EVENT:
		break; /* all event rules at once, in alerts_eval_unseen */
	}
}

/* ------------------------------------------------------------- events */

struct evcopy {
	int64_t id, time_ms;
	char *target, *kind, *component;
	int severity;
};

struct evlist {
	struct evcopy *v;
	size_t n;
	int64_t cursor;
};

static int
ev_cb(const struct db_event *e, void *arg)
{
	struct evlist *l = arg;
	struct evcopy *x;

	if (e->id <= l->cursor)
		return 1; /* newest first: the rest is old */
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	x = &l->v[l->n++];
	x->id = e->id;
	x->time_ms = e->time_ms;
	x->target = xstrdup(e->target);
	x->kind = xstrdup(e->kind);
	x->component = xstrdup(e->component ? e->component : "");
	x->severity = e->severity;
	return 0;
}

static int
newest_cb(const struct db_event *e, void *arg)
{
	*(int64_t *)arg = e->id;
	return 1;
}

static void
eval_events(struct alerts *a, int64_t now)
{
	struct db_event_filter f = {0};
	struct evlist l = {0};
	struct sbuf kb;
	uint64_t added;

	/* Not open: the cursor waits (db_check() moves it when it opens). */
	if (a->env.db == NULL || !db_online(a->env.db))
		return;
	if (a->event_cursor < 0) {
		/* First start: history is not news. */
		a->event_cursor = 0;
		f.limit = 1;
		db_events_query(a->env.db, &f, newest_cb, &a->event_cursor);
		a->event_cursor_dirty = 1;
		return;
	}
	/* Events come from this agent (counted) or, rarely, another process
	 * on the same database (chokepoint firmware): query when ours moved
	 * or the database files changed (alerts_eval looks: two stat calls,
	 * where a query costs ~0.1 ms of file locks and a read transaction),
	 * else once a minute in case a change kept the files' size and time. */
	added = db_events_added(a->env.db);
	if (!a->events_db_moved && added == a->events_seen &&
	    now - a->events_read_ms < 60000 && now >= a->events_read_ms)
		return;
	a->events_db_moved = 0;
	a->events_seen = added;
	a->events_read_ms = now;
	l.cursor = a->event_cursor;
	f.limit = 1000;
	db_events_query(a->env.db, &f, ev_cb, &l);
	sbuf_init(&kb);
	for (size_t k = l.n; k-- > 0;) {
		struct evcopy *e = &l.v[k];
		struct cp_label lab = {"component", e->component};

		for (size_t i = 0; i < a->nrules; i++) {
			const struct rule *r = &a->rules[i];
			struct alert_cfg c0;
			struct inst *in;

			if (r->kind != RK_EVENT || strcmp(r->c->event, e->kind))
				continue;
			if (!alert_match(&r->c->match, e->target,
			        alerts_role_of(a, e->target), &lab, 1,
			        r->c->name, alert_severity_name(e->severity)))
				continue;
			in = alerts_inst_get(
			    a, &kb, r->c->name, e->target, &lab, 1);
			c0 = *r->c;
			c0.for_ms = 0; /* an event is a fact, not a trend */
			if (in->state != ALERT_FIRING)
				in->value = 0;
			in->value += 1;
			in->threshold = 0;
			alerts_step(a, in, &c0, r->c->severity, now);
		}
		if (e->id > a->event_cursor) {
			a->event_cursor = e->id;
			a->event_cursor_dirty = 1;
		}
	}
	for (size_t k = 0; k < l.n; k++) {
		free(l.v[k].target);
		free(l.v[k].kind);
		free(l.v[k].component);
	}
	free(l.v);
	sbuf_fini(&kb);
}

/* Instances no rule visited this pass. */
void
alerts_eval_unseen(struct alerts *a, int64_t now)
{
	eval_events(a, now);
	for (size_t b = 0; a->ninst && b < NBUCKETS; b++) {
		for (struct inst *in = a->buckets[b]; in; in = in->next) {
			const struct rule *r;

			if (in->seen || in->removed)
				continue;
			r = rule_by_name(a, in->rule);
			if (r == NULL) {
				alerts_inst_resolve(a, in, now, "rule removed");
				continue;
			}
			switch (r->kind) {
			case RK_EVENT:
				if (now - in->last_seen_ms >= r->c->hold_ms)
					alerts_inst_resolve(a, in, now,
					    "no new event within 'hold'");
				break;
			case RK_ABSENT:
				/* The series left the cache altogether. */
				alerts_step(a, in, r->c, r->c->severity, now);
				break;
			case RK_TARGET:
				alerts_inst_resolve(
				    a, in, now, "target no longer configured");
				break;
			default:
				if (now - in->last_seen_ms > NODATA_MS)
					alerts_inst_resolve(
					    a, in, now, "no data");
				break;
			}
		}
	}
}
