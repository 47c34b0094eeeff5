/* SPDX-License-Identifier: MIT */
/*
 * The alert engine's tables in the agent's SQLite database (created here
 * with CREATE TABLE IF NOT EXISTS; db.c's schema is untouched): the alert
 * log, the persisted instance state, API silences and a small key/value
 * table for cursors. Callers hold db_lock().
 */
#ifndef CHOKEPOINT_ALERT_DB_H
#define CHOKEPOINT_ALERT_DB_H

#include <stdint.h>

struct sqlite3;

int alertdb_init(struct sqlite3 *h);
/* alertdb_init() as a db_add_schema() callback (arg unused). */
int alertdb_schema(struct sqlite3 *h, void *arg);

/* One alert log row; returns its id (> 0) or -errno. */
struct alertdb_log {
	int64_t time_ms;
	const char *alert_id;
	const char *rule;
	const char *target;
	const char *labels_json;
	const char *from;
	const char *to;
	const char *severity;
	double value, threshold;
	int notified; /* 1 sent to hooks, 0 suppressed or not notifiable */
	const char *reason;
};
int64_t alertdb_log_add(struct sqlite3 *h, const struct alertdb_log *l);

/*
 * Log rows the database did not take (it was not open, or the pass that
 * wrote them rolled back), in order, with copies of their strings: at most
 * ALERTDB_LOGQ_MAX, the oldest dropped (counted) beyond that.
 */
#define ALERTDB_LOGQ_MAX 10000
struct alertdb_logq {
	struct alertdb_log *v;
	size_t n, cap;
	uint64_t dropped; /* since the last write that worked */
};
void alertdb_logq_push(struct alertdb_logq *q, const struct alertdb_log *l);
/* Insert them all (inside the caller's transaction): 0 or -EIO. */
int alertdb_logq_write(struct sqlite3 *h, const struct alertdb_logq *q);
/* Forget them (written, or at exit). */
void alertdb_logq_clear(struct alertdb_logq *q);

/* Persisted instance state. */
struct alertdb_state {
	const char *key;
	const char *id;
	const char *rule;
	const char *target;
	const char *labels_json;
	int state, severity, notified;
	int64_t since_ms, fired_ms, notified_ms, last_seen_ms;
	double value, threshold;
	int flaps;
	int64_t flap_ms;
};
int alertdb_state_put(struct sqlite3 *h, const struct alertdb_state *s);
int alertdb_state_del(struct sqlite3 *h, const char *key);
int alertdb_state_load(struct sqlite3 *h,
    void (*cb)(const struct alertdb_state *, void *), void *arg);

int alertdb_meta_get(struct sqlite3 *h, const char *key, int64_t *v);
int alertdb_meta_put(struct sqlite3 *h, const char *key, int64_t v);

struct alertdb_silence {
	int64_t id;
	int64_t created_ms, start_ms, end_ms;
	const char *matchers_json; /* {"label": "glob", ...} */
	const char *author;
	const char *comment;
};
int64_t alertdb_silence_add(struct sqlite3 *h, const struct alertdb_silence *s);
int alertdb_silence_del(struct sqlite3 *h, int64_t id);
/* Silences not yet ended at now_ms. */
int alertdb_silences(struct sqlite3 *h, int64_t now_ms,
    void (*cb)(const struct alertdb_silence *, void *), void *arg);
/* Newest log rows first as a JSON array text appended by cb. */
int alertdb_log_query(struct sqlite3 *h, size_t limit,
    void (*cb)(const struct alertdb_log *, int64_t id, void *), void *arg);

/* One hook execution (attempt) with its captured output. */
int alertdb_hook_run_add(struct sqlite3 *h, int64_t time_ms, const char *hook,
    const char *alert_id, int64_t transition_id, int attempt,
    const char *result, int exit_code, int64_t duration_ms, const char *output);

/* Drop log rows older than log_keep_ms, hook runs and ended silences
 * older than runs_keep_ms. */
int alertdb_prune(struct sqlite3 *h, int64_t now_ms, int64_t log_keep_ms,
    int64_t runs_keep_ms);

#endif
