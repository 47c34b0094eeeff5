// SPDX-License-Identifier: MIT
/*
 * SQLite tables of the alert engine: the log of transitions and suppressed
 * notifications, the persisted instance state (so a restart neither loses a
 * firing alert nor floods recoveries), silences added through the API and
 * cursors. Plain prepared statements; the caller holds db_lock().
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "alert_db.h"
#include "log.h"
#include "util.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS alert_log ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,"
    " alert_id TEXT, rule TEXT NOT NULL, target TEXT NOT NULL,"
    " labels TEXT NOT NULL DEFAULT '{}', from_state TEXT NOT NULL,"
    " to_state TEXT NOT NULL, severity TEXT NOT NULL, value REAL,"
    " threshold REAL, notified INTEGER NOT NULL, reason TEXT);"
    "CREATE INDEX IF NOT EXISTS alert_log_time ON alert_log(time_ms);"
    "CREATE TABLE IF NOT EXISTS alert_state ("
    " key TEXT PRIMARY KEY, id TEXT NOT NULL, rule TEXT NOT NULL,"
    " target TEXT NOT NULL, labels TEXT NOT NULL, state INTEGER NOT NULL,"
    " severity INTEGER NOT NULL, notified INTEGER NOT NULL,"
    " since_ms INTEGER, fired_ms INTEGER, notified_ms INTEGER,"
    " last_seen_ms INTEGER, value REAL, threshold REAL, flaps INTEGER,"
    " flap_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS alert_meta (key TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS alert_silences ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, created_ms INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,"
    " matchers TEXT NOT NULL, author TEXT, comment TEXT);"
    "CREATE TABLE IF NOT EXISTS hook_runs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,"
    " hook TEXT NOT NULL, alert_id TEXT, transition_id INTEGER,"
    " attempt INTEGER NOT NULL, result TEXT NOT NULL, exit_code INTEGER,"
    " duration_ms INTEGER, output TEXT);";

int
alertdb_init(struct sqlite3 *h)
{
	char *msg = NULL;

	if (sqlite3_exec(h, schema, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("alerts: cannot create tables: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

int
alertdb_schema(struct sqlite3 *h, void *arg)
{
	(void)arg;
	return alertdb_init(h);
}

static int
prep(struct sqlite3 *h, const char *sql, sqlite3_stmt **st)
{
	*st = NULL;
	if (!h) /* the database is not open now (db_handle()) */
		return -EIO;
	if (sqlite3_prepare_v2(h, sql, -1, st, NULL) != SQLITE_OK) {
		log_warnx("alerts: sql: %s", sqlite3_errmsg(h));
		return -EIO;
	}
	return 0;
}

static void
text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int
step_done(struct sqlite3 *h, sqlite3_stmt *st)
{
	int r = sqlite3_step(st);

	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		log_warnx("alerts: sql: %s", sqlite3_errmsg(h));
		return -EIO;
	}
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
log_free(struct alertdb_log *l)
{
	free((char *)l->alert_id);
	free((char *)l->rule);
	free((char *)l->target);
	free((char *)l->labels_json);
	free((char *)l->from);
	free((char *)l->to);
	free((char *)l->severity);
	free((char *)l->reason);
}

void
alertdb_logq_push(struct alertdb_logq *q, const struct alertdb_log *l)
{
	struct alertdb_log *c;

	if (q->n == ALERTDB_LOGQ_MAX) {
		log_free(&q->v[0]);
		memmove(q->v, q->v + 1, (q->n - 1) * sizeof(*q->v));
		q->n--;
		if (q->dropped++ == 0)
			log_warnx("alerts: %d log rows wait for the database; "
			          "dropping the oldest",
			    ALERTDB_LOGQ_MAX);
	}
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
	}
	c = &q->v[q->n++];
	*c = *l;
	c->alert_id = dup_or_null(l->alert_id);
	c->rule = dup_or_null(l->rule);
	c->target = dup_or_null(l->target);
	c->labels_json = dup_or_null(l->labels_json);
	c->from = dup_or_null(l->from);
	c->to = dup_or_null(l->to);
	c->severity = dup_or_null(l->severity);
	c->reason = dup_or_null(l->reason);
}

int
alertdb_logq_write(struct sqlite3 *h, const struct alertdb_logq *q)
{
	for (size_t i = 0; i < q->n; i++)
		if (alertdb_log_add(h, &q->v[i]) < 0)
			return -EIO;
	return 0;
}

void
alertdb_logq_clear(struct alertdb_logq *q)
{
	for (size_t i = 0; i < q->n; i++)
		log_free(&q->v[i]);
	free(q->v);
	q->v = NULL;
	q->n = q->cap = 0;
	q->dropped = 0;
}

int64_t
alertdb_log_add(struct sqlite3 *h, const struct alertdb_log *l)
{
	sqlite3_stmt *st;

	if (prep(h,
	        "INSERT INTO alert_log (time_ms, alert_id, rule, target, "
	        "labels, from_state, to_state, severity, value, threshold, "
	        "notified, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
	        &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, l->time_ms);
	text(st, 2, l->alert_id);
	text(st, 3, l->rule);
	text(st, 4, l->target);
	text(st, 5, l->labels_json ? l->labels_json : "{}");
	text(st, 6, l->from);
	text(st, 7, l->to);
	text(st, 8, l->severity);
	sqlite3_bind_double(st, 9, l->value);
	sqlite3_bind_double(st, 10, l->threshold);
	sqlite3_bind_int(st, 11, l->notified);
	text(st, 12, l->reason);
	if (step_done(h, st) < 0)
		return -EIO;
	return sqlite3_last_insert_rowid(h);
}

int
alertdb_state_put(struct sqlite3 *h, const struct alertdb_state *s)
{
	sqlite3_stmt *st;

	if (prep(h,
	        "INSERT OR REPLACE INTO alert_state (key, id, rule, target, "
	        "labels, state, severity, notified, since_ms, fired_ms, "
	        "notified_ms, last_seen_ms, value, threshold, flaps, flap_ms) "
	        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	        &st) < 0)
		return -EIO;
	text(st, 1, s->key);
	text(st, 2, s->id);
	text(st, 3, s->rule);
	text(st, 4, s->target);
	text(st, 5, s->labels_json);
	sqlite3_bind_int(st, 6, s->state);
	sqlite3_bind_int(st, 7, s->severity);
	sqlite3_bind_int(st, 8, s->notified);
	sqlite3_bind_int64(st, 9, s->since_ms);
	sqlite3_bind_int64(st, 10, s->fired_ms);
	sqlite3_bind_int64(st, 11, s->notified_ms);
	sqlite3_bind_int64(st, 12, s->last_seen_ms);
	sqlite3_bind_double(st, 13, s->value);
	sqlite3_bind_double(st, 14, s->threshold);
	sqlite3_bind_int(st, 15, s->flaps);
	sqlite3_bind_int64(st, 16, s->flap_ms);
	return step_done(h, st);
}

int
alertdb_state_del(struct sqlite3 *h, const char *key)
{
	sqlite3_stmt *st;

	if (prep(h, "DELETE FROM alert_state WHERE key = ?", &st) < 0)
		return -EIO;
	text(st, 1, key);
	return step_done(h, st);
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

int
alertdb_state_load(struct sqlite3 *h,
    void (*cb)(const struct alertdb_state *, void *), void *arg)
{
	sqlite3_stmt *st;
	int r;

	if (prep(h,
	        "SELECT key, id, rule, target, labels, state, severity, "
	        "notified, since_ms, fired_ms, notified_ms, last_seen_ms, "
	        "value, threshold, flaps, flap_ms FROM alert_state",
	        &st) < 0)
		return -EIO;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct alertdb_state s = {0};

		s.key = col_text(st, 0);
		s.id = col_text(st, 1);
		s.rule = col_text(st, 2);
		s.target = col_text(st, 3);
		s.labels_json = col_text(st, 4);
		s.state = sqlite3_column_int(st, 5);
		s.severity = sqlite3_column_int(st, 6);
		s.notified = sqlite3_column_int(st, 7);
		s.since_ms = sqlite3_column_int64(st, 8);
		s.fired_ms = sqlite3_column_int64(st, 9);
		s.notified_ms = sqlite3_column_int64(st, 10);
		s.last_seen_ms = sqlite3_column_int64(st, 11);
		s.value = sqlite3_column_double(st, 12);
		s.threshold = sqlite3_column_double(st, 13);
		s.flaps = sqlite3_column_int(st, 14);
		s.flap_ms = sqlite3_column_int64(st, 15);
		cb(&s, arg);
	}
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -EIO;
}

int
alertdb_meta_get(struct sqlite3 *h, const char *key, int64_t *v)
{
	sqlite3_stmt *st;
	int r;

	if (prep(h, "SELECT value FROM alert_meta WHERE key = ?", &st) < 0)
		return -EIO;
	text(st, 1, key);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : -ENOENT;
}

int
alertdb_meta_put(struct sqlite3 *h, const char *key, int64_t v)
{
	sqlite3_stmt *st;

	if (prep(h,
	        "INSERT OR REPLACE INTO alert_meta (key, value) "
	        "VALUES (?, ?)",
	        &st) < 0)
		return -EIO;
	text(st, 1, key);
	sqlite3_bind_int64(st, 2, v);
	return step_done(h, st);
}

int64_t
alertdb_silence_add(struct sqlite3 *h, const struct alertdb_silence *s)
{
	sqlite3_stmt *st;

	if (prep(h,
	        "INSERT INTO alert_silences (created_ms, start_ms, end_ms, "
	        "matchers, author, comment) VALUES (?,?,?,?,?,?)",
	        &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, s->created_ms);
	sqlite3_bind_int64(st, 2, s->start_ms);
	sqlite3_bind_int64(st, 3, s->end_ms);
	text(st, 4, s->matchers_json);
	text(st, 5, s->author);
	text(st, 6, s->comment);
	if (step_done(h, st) < 0)
		return -EIO;
	return sqlite3_last_insert_rowid(h);
}

int
alertdb_silence_del(struct sqlite3 *h, int64_t id)
{
	sqlite3_stmt *st;

	if (prep(h, "DELETE FROM alert_silences WHERE id = ?", &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, id);
	if (step_done(h, st) < 0)
		return -EIO;
	return sqlite3_changes(h) ? 0 : -ENOENT;
}

int
alertdb_silences(struct sqlite3 *h, int64_t now_ms,
    void (*cb)(const struct alertdb_silence *, void *), void *arg)
{
	sqlite3_stmt *st;
	int r;

	if (prep(h,
	        "SELECT id, created_ms, start_ms, end_ms, matchers, author, "
	        "comment FROM alert_silences WHERE end_ms > ? ORDER BY id",
	        &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_ms);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct alertdb_silence s;

		s.id = sqlite3_column_int64(st, 0);
		s.created_ms = sqlite3_column_int64(st, 1);
		s.start_ms = sqlite3_column_int64(st, 2);
		s.end_ms = sqlite3_column_int64(st, 3);
		s.matchers_json = col_text(st, 4);
		s.author = col_text(st, 5);
		s.comment = col_text(st, 6);
		cb(&s, arg);
	}
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -EIO;
}

int
alertdb_log_query(struct sqlite3 *h, size_t limit,
    void (*cb)(const struct alertdb_log *, int64_t id, void *), void *arg)
{
	sqlite3_stmt *st;
	int r;

	if (prep(h,
	        "SELECT id, time_ms, alert_id, rule, target, labels, "
	        "from_state, to_state, severity, value, threshold, notified, "
	        "reason FROM alert_log ORDER BY id DESC LIMIT ?",
	        &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, (int64_t)limit);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct alertdb_log l;

		l.time_ms = sqlite3_column_int64(st, 1);
		l.alert_id = col_text(st, 2);
		l.rule = col_text(st, 3);
		l.target = col_text(st, 4);
		l.labels_json = col_text(st, 5);
		l.from = col_text(st, 6);
		l.to = col_text(st, 7);
		l.severity = col_text(st, 8);
		l.value = sqlite3_column_double(st, 9);
		l.threshold = sqlite3_column_double(st, 10);
		l.notified = sqlite3_column_int(st, 11);
		l.reason = col_text(st, 12);
		cb(&l, sqlite3_column_int64(st, 0), arg);
	}
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -EIO;
}

int
alertdb_hook_run_add(struct sqlite3 *h, int64_t time_ms, const char *hook,
    const char *alert_id, int64_t transition_id, int attempt,
    const char *result, int exit_code, int64_t duration_ms, const char *output)
{
	sqlite3_stmt *st;

	if (prep(h,
	        "INSERT INTO hook_runs (time_ms, hook, alert_id, "
	        "transition_id, attempt, result, exit_code, duration_ms, "
	        "output) VALUES (?,?,?,?,?,?,?,?,?)",
	        &st) < 0)
		return -EIO;
	sqlite3_bind_int64(st, 1, time_ms);
	text(st, 2, hook);
	text(st, 3, alert_id);
	sqlite3_bind_int64(st, 4, transition_id);
	sqlite3_bind_int(st, 5, attempt);
	text(st, 6, result);
	sqlite3_bind_int(st, 7, exit_code);
	sqlite3_bind_int64(st, 8, duration_ms);
	text(st, 9, output);
	return step_done(h, st);
}

int
alertdb_prune(struct sqlite3 *h, int64_t now_ms, int64_t log_keep_ms,
    int64_t runs_keep_ms)
{
	sqlite3_stmt *st;
	int r = 0;

	static const char *const sql[] = {
	    "DELETE FROM alert_log WHERE time_ms < ?",
	    "DELETE FROM hook_runs WHERE time_ms < ?",
	    "DELETE FROM alert_silences WHERE end_ms < ?",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if (prep(h, sql[i], &st) < 0)
			return -EIO;
		sqlite3_bind_int64(
		    st, 1, now_ms - (i == 0 ? log_keep_ms : runs_keep_ms));
		if (step_done(h, st) < 0)
			r = -EIO;
	}
	return r;
}
