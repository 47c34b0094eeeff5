// SPDX-License-Identifier: MIT
/*
 * The alert engine as the API sees it: active instances, the alert log
 * and the silences and maintenance windows as JSON for /api/v1/alerts, and
 * silences added or removed through the API (kept in SQLite).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "alert_db.h"
#include "alert_int.h"
#include "db.h"

static json_t *
inst_json(struct alerts *a, const struct inst *in, int64_t now)
{
	json_t *o = json_object(), *l = json_object();

	for (size_t i = 0; i < in->nlabels; i++)
		json_object_set_new(
		    l, in->labels[i].key, json_string(in->labels[i].value));
	json_object_set_new(o, "id", json_string(in->id));
	json_object_set_new(o, "rule", json_string(in->rule));
	json_object_set_new(o, "target", json_string(in->target));
	json_object_set_new(
	    o, "role", json_string(alerts_role_of(a, in->target)));
	json_object_set_new(o, "labels", l);
	json_object_set_new(
	    o, "status", json_string(alert_state_name(in->state)));
	json_object_set_new(
	    o, "severity", json_string(alert_severity_name(in->severity)));
	json_object_set_new(o, "value", json_real(in->value));
	json_object_set_new(o, "threshold", json_real(in->threshold));
	json_object_set_new(o, "since_ms", json_integer(in->since_ms));
	json_object_set_new(o, "started_ms",
	    json_integer(in->fired_ms ? in->fired_ms : in->since_ms));
	json_object_set_new(o, "duration_seconds",
	    json_integer(
	        (now - (in->fired_ms ? in->fired_ms : in->since_ms)) / 1000));
	json_object_set_new(o, "notified", json_boolean(in->notified));
	return o;
}

static void
log_row_cb(const struct alertdb_log *l, int64_t id, void *arg)
{
	json_t *o = json_object();

	json_object_set_new(o, "transition_id", json_integer(id));
	json_object_set_new(o, "time_ms", json_integer(l->time_ms));
	json_object_set_new(o, "id", json_string(l->alert_id));
	json_object_set_new(o, "rule", json_string(l->rule));
	json_object_set_new(o, "target", json_string(l->target));
	json_object_set_new(
	    o, "labels", json_loads(l->labels_json, 0, NULL) ?: json_object());
	json_object_set_new(o, "from", json_string(l->from));
	json_object_set_new(o, "to", json_string(l->to));
	json_object_set_new(o, "severity", json_string(l->severity));
	json_object_set_new(o, "value", json_real(l->value));
	json_object_set_new(o, "threshold", json_real(l->threshold));
	json_object_set_new(o, "notified", json_boolean(l->notified));
	if (l->reason && l->reason[0])
		json_object_set_new(o, "reason", json_string(l->reason));
	json_array_append_new(arg, o);
}

/* The effective rules: built-ins not overridden, then the config's. */
static json_t *
rules_json(struct alerts *a)
{
	static const char *const kinds[] = {
	    "metric", "change", "absent", "target", "event"};
	json_t *arr = json_array();

	for (size_t i = 0; i < a->nrules; i++) {
		const struct alert_cfg *c = a->rules[i].c;
		json_t *o = json_object(), *m = json_object();

		for (size_t j = 0; j < c->match.n; j++)
			json_object_set_new(m, c->match.keys[j],
			    json_string(c->match.values[j]));
		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(
		    o, "kind", json_string(kinds[a->rules[i].kind]));
		json_object_set_new(o, "builtin",
		    json_boolean(c >= a->builtin->alerts &&
		                 c < a->builtin->alerts + a->builtin->nalerts));
		if (c->metric)
			json_object_set_new(
			    o, "metric", json_string(c->metric));
		if (c->event)
			json_object_set_new(o, "event", json_string(c->event));
		json_object_set_new(o, "match", m);
		if (c->has_above)
			json_object_set_new(o, "above", json_real(c->above));
		if (c->has_below)
			json_object_set_new(o, "below", json_real(c->below));
		if (c->has_clear)
			json_object_set_new(o, "clear", json_real(c->clear));
		if (c->has_critical)
			json_object_set_new(
			    o, "critical", json_real(c->critical));
		json_object_set_new(
		    o, "for_seconds", json_real(c->for_ms / 1e3));
		json_object_set_new(o, "severity",
		    json_string(alert_severity_name(c->severity)));
		json_array_append_new(arr, o);
	}
	return arr;
}

char *
alerts_json(struct alerts *a, int64_t now, size_t log_limit)
{
	json_t *root = json_object(), *act = json_array(), *lg = json_array();
	json_t *sil = json_array();
	char *s;

	pthread_mutex_lock(&a->mu);
	alerts_windows_refresh(a, now);
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct inst *in = a->buckets[b]; in; in = in->next)
			if (!in->removed && (in->state == ALERT_PENDING ||
			                        in->state == ALERT_FIRING))
				json_array_append_new(
				    act, inst_json(a, in, now));
	for (size_t i = 0; i < a->nwins; i++) {
		const struct win *w = &a->wins[i];
		json_t *o = json_object(), *m = json_object();

		for (size_t j = 0; j < w->match.n; j++)
			json_object_set_new(m, w->match.keys[j],
			    json_string(w->match.values[j]));
		json_object_set_new(o, "what", json_string(w->desc));
		json_object_set_new(o, "match", m);
		json_object_set_new(
		    o, "active", json_boolean(alerts_win_active(w, now)));
		if (!w->days) {
			json_object_set_new(
			    o, "start_ms", json_integer(w->start_ms));
			json_object_set_new(
			    o, "end_ms", json_integer(w->end_ms));
		}
		json_array_append_new(sil, o);
	}
	pthread_mutex_unlock(&a->mu);
	if (a->env.db) {
		db_lock(a->env.db);
		alertdb_log_query(
		    db_handle(a->env.db), log_limit, log_row_cb, lg);
		db_unlock(a->env.db);
	}
	json_object_set_new(root, "time_ms", json_integer(now));
	json_object_set_new(root, "alerts", act);
	json_object_set_new(root, "silences", sil);
	json_object_set_new(root, "log", lg);
	pthread_mutex_lock(&a->mu);
	json_object_set_new(root, "rules", rules_json(a));
	pthread_mutex_unlock(&a->mu);
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

int64_t
alerts_silence_add(struct alerts *a, const struct match_cfg *m,
    int64_t start_ms, int64_t end_ms, const char *author, const char *comment)
{
	struct alertdb_silence s = {0};
	json_t *o;
	char *mj;
	int64_t id;

	if (a->env.db == NULL)
		return -ENOTSUP;
	if (m->n == 0 || end_ms <= start_ms)
		return -EINVAL;
	o = json_object();
	for (size_t i = 0; i < m->n; i++)
		json_object_set_new(o, m->keys[i], json_string(m->values[i]));
	mj = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	s.created_ms = now_ms();
	s.start_ms = start_ms;
	s.end_ms = end_ms;
	s.matchers_json = mj;
	s.author = author;
	s.comment = comment;
	db_lock(a->env.db);
	id = alertdb_silence_add(db_handle(a->env.db), &s);
	db_unlock(a->env.db);
	free(mj);
	pthread_mutex_lock(&a->mu);
	a->wins_stale = 1;
	pthread_mutex_unlock(&a->mu);
	return id;
}

int
alerts_silence_del(struct alerts *a, int64_t id)
{
	int r;

	if (a->env.db == NULL)
		return -ENOTSUP;
	db_lock(a->env.db);
	r = alertdb_silence_del(db_handle(a->env.db), id);
	db_unlock(a->env.db);
	pthread_mutex_lock(&a->mu);
	a->wins_stale = 1;
	pthread_mutex_unlock(&a->mu);
	return r;
}
