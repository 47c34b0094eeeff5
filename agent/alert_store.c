// SPDX-License-Identifier: MIT
/*
 * The alert engine's writes to SQLite after each pass: the transitions'
 * log rows and the changed instance states in one transaction (all or
 * none), the event cursor and the retention. What the database cannot
 * take now (it is not open, or the transaction failed on a full disk)
 * stays for the next pass: the states dirty, the log rows in order in
 * memory (alert_db.c's logq).
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_db.h"
#include "alert_int.h"
#include "db.h"
#include "log.h"
#include "util.h"

char *
alerts_labels_json(const struct cp_label *l, size_t n)
{
	json_t *o = json_object();
	char *s;

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, l[i].key, json_string(l[i].value));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s ? s : xstrdup("{}");
}

/* The log row of transition t at now; *lj (labels JSON) for the caller to
 * free. from and to are the caller's 40-byte buffers. */
static void
trans_line(const struct trans *t, int64_t now, struct alertdb_log *l,
    char *from, char *to, char **lj)
{
	const struct inst *in = t->in;

	snprintf(from, 40, "%s", alert_state_name(t->from));
	snprintf(to, 40, "%s", alert_state_name(t->to));
	if (t->repeat)
		snprintf(to, 40, "firing (repeat)");
	*lj = alerts_labels_json(in->labels, in->nlabels);
	memset(l, 0, sizeof(*l));
	l->time_ms = now;
	l->alert_id = in->id;
	l->rule = in->rule;
	l->target = in->target;
	l->labels_json = *lj;
	l->from = from;
	l->to = to;
	l->severity = alert_severity_name(t->sev);
	l->value = t->value;
	l->threshold = t->threshold;
	l->notified = t->notify;
	l->reason = t->reason[0] ? t->reason : NULL;
}

/* This pass's log rows wait for the database (not open, or rolled back). */
static void
keep_lines(struct alerts *a, int64_t now)
{
	for (size_t i = 0; i < a->ntrans; i++) {
		struct alertdb_log l;
		char from[40], to[40], *lj;

		trans_line(&a->trans[i], now, &l, from, to, &lj);
		alertdb_logq_push(&a->logq, &l);
		free(lj);
	}
}

void
alerts_persist(struct alerts *a, int64_t now)
{
	struct sqlite3 *h;
	char *lj;
	int bad = 0;

	if (a->env.db == NULL)
		return;
	/* Nothing to write on most passes: no transaction then (BEGIN and
	 * COMMIT each compile a statement and take the file locks). */
	if (a->ntrans == 0 && !a->event_cursor_dirty && a->logq.n == 0 &&
	    now - a->pruned_ms < 3600000) {
		int dirty = 0;

		for (size_t b = 0; a->ninst && b < NBUCKETS && !dirty; b++)
			for (struct inst *in = a->buckets[b]; in && !dirty;
			     in = in->next)
				dirty = in->dirty;
		if (!dirty)
			return;
	}
	db_lock(a->env.db);
	h = db_handle(a->env.db);
	if (!h) {
		/* Not open (disk full): the states stay dirty and the log
		 * rows wait, for later. */
		keep_lines(a, now);
		db_unlock(a->env.db);
		return;
	}
	sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
	/* Rows that waited go first: the log stays in order. */
	if (a->logq.n)
		bad |= alertdb_logq_write(h, &a->logq) < 0;
	for (size_t i = 0; i < a->ntrans; i++) {
		struct trans *t = &a->trans[i];
		struct alertdb_log l;
		char from[40], to[40];

		trans_line(t, now, &l, from, to, &lj);
		t->log_id = alertdb_log_add(h, &l);
		bad |= t->log_id < 0;
		free(lj);
	}
	for (size_t b = 0; b < NBUCKETS; b++) {
		for (struct inst *in = a->buckets[b]; in; in = in->next) {
			struct alertdb_state s = {0};

			if (!in->dirty)
				continue;
			in->dirty = 0;
			if (in->removed || in->state == ALERT_INACTIVE ||
			    in->state == ALERT_RESOLVED) {
				bad |= alertdb_state_del(h, in->key) < 0;
				continue;
			}
			lj = alerts_labels_json(in->labels, in->nlabels);
			s.key = in->key;
			s.id = in->id;
			s.rule = in->rule;
			s.target = in->target;
			s.labels_json = lj;
			s.state = in->state;
			s.severity = in->severity;
			s.notified = in->notified;
			s.since_ms = in->since_ms;
			s.fired_ms = in->fired_ms;
			s.notified_ms = in->notified_ms;
			s.last_seen_ms = in->last_seen_ms;
			s.value = in->value;
			s.threshold = in->threshold;
			s.flaps = in->flaps;
			s.flap_ms = in->flap_ms;
			bad |= alertdb_state_put(h, &s) < 0;
			free(lj);
		}
	}
	/* Retention: the log 90 days, hook runs and old silences 30. */
	if (now - a->pruned_ms >= 3600000) {
		a->pruned_ms = now;
		alertdb_prune(h, now, 90 * 86400000LL, 30 * 86400000LL);
	}
	if (a->event_cursor_dirty) {
		bad |= alertdb_meta_put(h, "event_cursor", a->event_cursor) < 0;
		a->event_cursor_dirty = 0;
	}
	/* All of the pass or none of it: a write that failed (a full disk
	 * fails the INSERT that needs a page, or the COMMIT) rolls it back. */
	if (bad || sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("alerts: cannot store the alert log: %s",
		    sqlite3_errmsg(h));
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		/* The states, the cursor and this pass's log rows are written
		 * at the next pass that can (what a restart restores from). */
		for (size_t b = 0; b < NBUCKETS; b++)
			for (struct inst *in = a->buckets[b]; in; in = in->next)
				in->dirty = 1;
		a->event_cursor_dirty = 1;
		for (size_t i = 0; i < a->ntrans; i++)
			a->trans[i].log_id = 0;
		keep_lines(a, now);
	} else if (a->logq.n) {
		log_info("alerts: %zu log rows that waited for the database "
		         "written (%llu older ones dropped)",
		    a->logq.n, (unsigned long long)a->logq.dropped);
		alertdb_logq_clear(&a->logq);
	}
	db_unlock(a->env.db);
}
