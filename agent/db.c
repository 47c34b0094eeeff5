// SPDX-License-Identifier: MIT
/*
 * The event and inventory store: DATA_DIR/chokepoint.db, SQLite in WAL mode.
 * Collectors' events and inventory arrive here through the context; the web
 * API and the firmware module read them back. Opening, migrating and
 * reopening the file are in db_conn.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include "db.h"
#include "db_priv.h"
#include "log.h"
#include "util.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 10000
/* Longest string we store from outside; longer ones are cut. */
#define TEXT_MAX 8192

/* Events queries, one per combination of filters, so each uses an index. */
static const char *const event_sql[4] = {
    "SELECT id, time_ms, target, kind, component, severity, before, after,"
    " message FROM events WHERE time_ms >= ?3 AND time_ms <= ?4"
    " ORDER BY time_ms DESC, id DESC LIMIT ?5",
    "SELECT id, time_ms, target, kind, component, severity, before, after,"
    " message FROM events WHERE kind = ?1 AND time_ms >= ?3 AND"
    " time_ms <= ?4 ORDER BY time_ms DESC, id DESC LIMIT ?5",
    "SELECT id, time_ms, target, kind, component, severity, before, after,"
    " message FROM events WHERE target = ?2 AND time_ms >= ?3 AND"
    " time_ms <= ?4 ORDER BY time_ms DESC, id DESC LIMIT ?5",
    "SELECT id, time_ms, target, kind, component, severity, before, after,"
    " message FROM events WHERE kind = ?1 AND target = ?2 AND"
    " time_ms >= ?3 AND time_ms <= ?4 ORDER BY time_ms DESC, id DESC"
    " LIMIT ?5",
};

static sqlite3_stmt *
stmt(struct db *db, sqlite3_stmt **slot, const char *sql)
{
	if (!db->h) /* not open now (db_check() tries again) */
		return NULL;
	if (!*slot && sqlite3_prepare_v3(db->h, sql, -1,
	                  SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
		log_warnx("db: %s: prepare failed: %s", db->path,
		    sqlite3_errmsg(db->h));
		*slot = NULL;
	}
	return *slot;
}

/* Bind outside text (NULL stays NULL), cut at TEXT_MAX on a UTF-8
 * character boundary. */
static int
bind_text(sqlite3_stmt *s, int i, const char *t)
{
	size_t n;

	if (!t)
		return sqlite3_bind_null(s, i);
	n = strlen(t);
	if (n > TEXT_MAX) {
		n = TEXT_MAX;
		while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
			n--;
	}
	return sqlite3_bind_text(s, i, t, (int)n, SQLITE_TRANSIENT);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Kept while SQLite takes no writes; beyond this the oldest go. */
#define QUEUE_MAX 10000

struct db_qev {
	int64_t time_ms;
	int severity;
	char *s[6]; /* target, kind, component, before, after, message */
};

/* Kept inventory sets: beyond this many (target, kind) pairs the oldest
 * goes. */
#define QINV_MAX 1000

struct db_qinv {
	char *target, *kind;
	char **keys, **attrs;
	size_t n;
	int64_t time_ms;
};

static void
qinv_free(struct db_qinv *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->keys[i]);
		free(q->attrs[i]);
	}
	free(q->keys);
	free(q->attrs);
	free(q->target);
	free(q->kind);
}

static int inv_write(struct db *db, const char *target, const char *kind,
    size_t n, char *const *keys, char *const *attrs, int64_t now);

/* Errors that pass: a full disk, a read-only remount, a lock held long. */
static int
transient(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_BUSY ||
	       rc == SQLITE_LOCKED || rc == SQLITE_READONLY ||
	       rc == SQLITE_CANTOPEN;
}

/* With mu: one INSERT. SQLITE_DONE (and *id), or SQLite's error code. */
static int
insert_event(struct db *db, const struct db_event *ev, int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	s = stmt(db, &db->ev_insert,
	    "INSERT INTO events (time_ms, target, kind, component, severity,"
	    " before, after, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	if (!s)
		return db->h ? sqlite3_extended_errcode(db->h)
		             : SQLITE_CANTOPEN;
	sqlite3_bind_int64(s, 1, ev->time_ms);
	bind_text(s, 2, ev->target);
	bind_text(s, 3, ev->kind);
	bind_text(s, 4, ev->component);
	sqlite3_bind_int(s, 5, (int)ev->severity);
	bind_text(s, 6, ev->before);
	bind_text(s, 7, ev->after);
	bind_text(s, 8, ev->message);
	if ((rc = sqlite3_step(s)) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(db->h);
		db->events_added++;
	} else {
		rc = sqlite3_extended_errcode(db->h);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* With mu: keep a copy of ev (time already fixed) at the end. */
static void
queue_event(struct db *db, const struct db_event *ev)
{
	struct db_qev *q;

	if (db->qn == QUEUE_MAX) {
		for (size_t k = 0; k < 6; k++)
			free(db->q[0].s[k]);
		memmove(db->q, db->q + 1, (db->qn - 1) * sizeof(*db->q));
		db->qn--;
		log_warnx("db: %s: more than %d events waiting; the oldest is "
		          "dropped",
		    db->path, QUEUE_MAX);
	}
	if (db->qn == db->qcap) {
		db->qcap = db->qcap ? db->qcap * 2 : 16;
		db->q = xrealloc(db->q, db->qcap * sizeof(*db->q));
	}
	q = &db->q[db->qn++];
	q->time_ms = ev->time_ms;
	q->severity = (int)ev->severity;
	q->s[0] = dup_or_null(ev->target);
	q->s[1] = dup_or_null(ev->kind);
	q->s[2] = dup_or_null(ev->component);
	q->s[3] = dup_or_null(ev->before);
	q->s[4] = dup_or_null(ev->after);
	q->s[5] = dup_or_null(ev->message);
}

void
db_queue_flush(struct db *db)
{
	size_t done = 0;
	int64_t id;

	while (done < db->qn) {
		struct db_qev *q = &db->q[done];
		struct db_event ev = {0, q->time_ms, q->s[0], q->s[1], q->s[2],
		    (enum cp_severity)q->severity, q->s[3], q->s[4], q->s[5]};

		if (insert_event(db, &ev, &id) != SQLITE_DONE)
			break;
		for (size_t k = 0; k < 6; k++)
			free(q->s[k]);
		done++;
	}
	if (done > 0) {
		memmove(db->q, db->q + done, (db->qn - done) * sizeof(*db->q));
		db->qn -= done;
		if (db->qn == 0)
			log_info("db: %s: takes writes again; the events kept "
			         "in memory are written",
			    db->path);
	}
	/* Inventories after the events: the newest set of each. */
	for (done = 0; db->qn == 0 && done < db->qin; done++) {
		struct db_qinv *q = &db->qi[done];
		if (inv_write(db, q->target, q->kind, q->n, q->keys, q->attrs,
		        q->time_ms) != SQLITE_DONE)
			break;
		qinv_free(q);
	}
	if (done > 0) {
		memmove(
		    db->qi, db->qi + done, (db->qin - done) * sizeof(*db->qi));
		db->qin -= done;
	}
}

size_t
db_events_kept(struct db *db)
{
	size_t n;

	pthread_mutex_lock(&db->mu);
	n = db->qn;
	pthread_mutex_unlock(&db->mu);
	return n;
}

void
db_queue_free(struct db *db)
{
	if (db->qn)
		log_warnx("db: %s: %zu events lost at exit (the database took "
		          "no writes)",
		    db->path, db->qn);
	for (size_t i = 0; i < db->qn; i++)
		for (size_t k = 0; k < 6; k++)
			free(db->q[i].s[k]);
	free(db->q);
	db->q = NULL;
	db->qn = db->qcap = 0;
	if (db->qin)
		log_warnx("db: %s: %zu inventories lost at exit (the database "
		          "took no writes)",
		    db->path, db->qin);
	for (size_t i = 0; i < db->qin; i++)
		qinv_free(&db->qi[i]);
	free(db->qi);
	db->qi = NULL;
	db->qin = db->qicap = 0;
}

int64_t
db_event_add(struct db *db, const struct db_event *ev)
{
	struct db_event e;
	int64_t id = 0;
	int rc;

	if (!db || !ev || !ev->target || !ev->kind ||
	    ev->severity < CP_SEV_INFO || ev->severity > CP_SEV_CRITICAL)
		return -EINVAL;
	e = *ev;
	if (e.time_ms == 0)
		e.time_ms = now_ms(); /* when it happened, not when written */
	pthread_mutex_lock(&db->mu);
	if (db->qn)
		db_queue_flush(db);
	if (db->qn == 0) {
		rc = insert_event(db, &e, &id);
		if (rc == SQLITE_DONE)
			goto out;
		if (!transient(rc)) {
			log_warnx("db: %s: event insert failed: %s", db->path,
			    sqlite3_errstr(rc));
			id = -EIO;
			goto out;
		}
		log_warnx("db: %s: %s; events are kept in memory until it "
		          "takes writes again",
		    db->path, sqlite3_errstr(rc));
	}
	/* Behind the others, so they are written in order. */
	queue_event(db, &e);
	id = 0;
out:
	pthread_mutex_unlock(&db->mu);
	return id;
}

uint64_t
db_events_added(struct db *db)
{
	uint64_t n;

	pthread_mutex_lock(&db->mu);
	n = db->events_added;
	pthread_mutex_unlock(&db->mu);
	return n;
}

int
db_changed(struct db *db, struct db_stamp *st)
{
	struct db_stamp now = {0};
	const char *f[2] = {db->path, db->wal_path};
	struct stat sb;

	for (int i = 0; i < 2; i++) {
		/* A missing WAL (checkpointed away) stamps as zeros. */
		if (stat(f[i], &sb) < 0)
			continue;
		now.file[i].ino = (uint64_t)sb.st_ino;
		now.file[i].size = (uint64_t)sb.st_size;
		now.file[i].mtime_s = (uint64_t)sb.st_mtim.tv_sec;
		now.file[i].mtime_ns = (uint64_t)sb.st_mtim.tv_nsec;
	}
	if (memcmp(&now, st, sizeof(now)) == 0)
		return 0;
	*st = now;
	return 1;
}

int
db_events_query(struct db *db, const struct db_event_filter *f,
    int (*cb)(const struct db_event *, void *), void *arg)
{
	static const struct db_event_filter none;
	sqlite3_stmt *s;
	size_t limit;
	int which, rc = 0, step;

	if (!db || !cb)
		return -EINVAL;
	if (!f)
		f = &none;
	limit = f->limit ? f->limit : LIMIT_DEFAULT;
	if (limit > LIMIT_MAX)
		limit = LIMIT_MAX;
	which = (f->kind ? 1 : 0) | (f->target ? 2 : 0);
	pthread_mutex_lock(&db->mu);
	s = stmt(db, &db->ev_query[which], event_sql[which]);
	if (!s) {
		rc = db->h ? -EIO : -EAGAIN;
		goto out;
	}
	if (f->kind)
		bind_text(s, 1, f->kind);
	if (f->target)
		bind_text(s, 2, f->target);
	sqlite3_bind_int64(s, 3, f->since_ms ? f->since_ms : INT64_MIN);
	sqlite3_bind_int64(s, 4, f->until_ms ? f->until_ms : INT64_MAX);
	sqlite3_bind_int64(s, 5, (int64_t)limit);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct db_event ev = {
		    .id = sqlite3_column_int64(s, 0),
		    .time_ms = sqlite3_column_int64(s, 1),
		    .target = col_text(s, 2),
		    .kind = col_text(s, 3),
		    .component = col_text(s, 4),
		    .severity = (enum cp_severity)sqlite3_column_int(s, 5),
		    .before = col_text(s, 6),
		    .after = col_text(s, 7),
		    .message = col_text(s, 8),
		};
		if (cb(&ev, arg) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		log_warnx("db: %s: events query failed: %s", db->path,
		    sqlite3_errmsg(db->h));
		rc = -EIO;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
out:
	pthread_mutex_unlock(&db->mu);
	return rc;
}

/* The attributes as a JSON object (caller frees). */
static char *
attrs_json(const struct cp_inventory_item *it)
{
	json_t *o = json_object();
	char *s;
	size_t i;

	for (i = 0; i < it->nattrs; i++) {
		const struct cp_label *l = &it->attrs[i];
		if (!l->key)
			continue;
		/* json_string rejects invalid UTF-8: keep the bytes' gist. */
		json_t *v = l->value ? json_string(l->value) : json_null();
		if (!v)
			v = json_string("(invalid UTF-8)");
		json_object_set_new(o, l->key, v);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		abort(); /* only out of memory (keys were checked above) */
	return s;
}

/*
 * With mu: replace the inventory of (target, kind) with n keys and their
 * attrs (JSON) in one transaction. SQLITE_DONE, or SQLite's error code
 * (logged unless transient()).
 */
static int
inv_write(struct db *db, const char *target, const char *kind, size_t n,
    char *const *keys, char *const *attrs, int64_t now)
{
	sqlite3_stmt *del, *ins;
	int rc = SQLITE_DONE;

	del = stmt(db, &db->inv_delete,
	    "DELETE FROM inventory WHERE target = ? AND kind = ?");
	/* A key given twice in one set: the last one wins. */
	ins = stmt(db, &db->inv_insert,
	    "INSERT OR REPLACE INTO inventory (target, kind, key, attrs,"
	    " updated_ms) VALUES (?, ?, ?, ?, ?)");
	if (!del || !ins)
		return db->h ? sqlite3_extended_errcode(db->h)
		             : SQLITE_CANTOPEN;
	if (db_exec(db, "BEGIN IMMEDIATE", NULL, 0) < 0) {
		rc = sqlite3_extended_errcode(db->h);
		if (!transient(rc))
			log_warnx("db: %s: begin failed: %s", db->path,
			    sqlite3_errmsg(db->h));
		return rc;
	}
	bind_text(del, 1, target);
	bind_text(del, 2, kind);
	if (sqlite3_step(del) != SQLITE_DONE)
		goto rollback;
	sqlite3_reset(del);
	for (size_t i = 0; i < n; i++) {
		int st;
		bind_text(ins, 1, target);
		bind_text(ins, 2, kind);
		bind_text(ins, 3, keys[i]);
		sqlite3_bind_text(ins, 4, attrs[i], -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 5, now);
		st = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (st != SQLITE_DONE)
			goto rollback;
	}
	if (db_exec(db, "COMMIT", NULL, 0) == 0)
		goto out;
rollback:
	rc = sqlite3_extended_errcode(db->h);
	if (!transient(rc))
		log_warnx("db: %s: inventory %s/%s not stored: %s", db->path,
		    target, kind, sqlite3_errmsg(db->h));
	sqlite3_reset(del);
	sqlite3_reset(ins);
	db_exec(db, "ROLLBACK", NULL, 0);
	if (rc == SQLITE_OK || rc == SQLITE_DONE)
		rc = SQLITE_ERROR;
out:
	sqlite3_reset(del);
	sqlite3_clear_bindings(del);
	sqlite3_clear_bindings(ins);
	return rc;
}

/* With mu: keep a set for later (taking keys and attrs), replacing an
 * older one of the same target and kind. */
static void
queue_inventory(struct db *db, const char *target, const char *kind, size_t n,
    char **keys, char **attrs, int64_t now)
{
	struct db_qinv *q;
	size_t i;

	for (i = 0; i < db->qin; i++)
		if (strcmp(db->qi[i].target, target) == 0 &&
		    strcmp(db->qi[i].kind, kind) == 0)
			break;
	if (i == db->qin && db->qin == QINV_MAX) {
		i = 0; /* no older set of its own: the oldest of all goes */
		log_warnx("db: %s: more than %d inventories waiting; the "
		          "oldest is dropped",
		    db->path, QINV_MAX);
	}
	if (i < db->qin) {
		qinv_free(&db->qi[i]);
		memmove(db->qi + i, db->qi + i + 1,
		    (db->qin - i - 1) * sizeof(*db->qi));
		db->qin--;
	}
	if (db->qin == db->qicap) {
		db->qicap = db->qicap ? db->qicap * 2 : 8;
		db->qi = xrealloc(db->qi, db->qicap * sizeof(*db->qi));
	}
	q = &db->qi[db->qin++];
	q->target = xstrdup(target);
	q->kind = xstrdup(kind);
	q->keys = keys;
	q->attrs = attrs;
	q->n = n;
	q->time_ms = now;
}

int
db_inventory_put(struct db *db, const char *target, const char *kind,
    const struct cp_inventory_item *items, size_t nitems)
{
	char **keys, **attrs;
	int64_t now = now_ms();
	size_t i;
	int rc;

	if (!db || !target || !kind || (nitems && !items))
		return -EINVAL;
	for (i = 0; i < nitems; i++)
		if (!items[i].key || (items[i].nattrs && !items[i].attrs))
			return -EINVAL;
	keys = xcalloc(nitems + 1, sizeof(*keys));
	attrs = xcalloc(nitems + 1, sizeof(*attrs));
	for (i = 0; i < nitems; i++) {
		keys[i] = xstrdup(items[i].key);
		attrs[i] = attrs_json(&items[i]);
	}
	pthread_mutex_lock(&db->mu);
	rc = inv_write(db, target, kind, nitems, keys, attrs, now);
	if (rc != SQLITE_DONE && transient(rc)) {
		/* Not open, or full: written at the next db_check(). */
		queue_inventory(db, target, kind, nitems, keys, attrs, now);
		pthread_mutex_unlock(&db->mu);
		return 0;
	}
	pthread_mutex_unlock(&db->mu);
	qinv_free(&(struct db_qinv){.keys = keys, .attrs = attrs, .n = nitems});
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int
db_inventory_get(struct db *db, const char *target, const char *kind,
    int (*cb)(const char *target, const char *kind, const char *key,
        const struct cp_label *attrs, size_t nattrs, void *arg),
    void *arg)
{
	sqlite3_stmt *s;
	struct cp_label *labels = NULL;
	size_t cap = 0;
	int rc = 0, step;

	if (!db || !cb)
		return -EINVAL;
	pthread_mutex_lock(&db->mu);
	s = stmt(db, &db->inv_get,
	    "SELECT target, kind, key, attrs FROM inventory"
	    " WHERE (?1 IS NULL OR target = ?1) AND (?2 IS NULL OR kind = ?2)"
	    " ORDER BY target, kind, key");
	if (!s) {
		rc = -EIO;
		goto out;
	}
	bind_text(s, 1, target);
	bind_text(s, 2, kind);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		json_error_t jerr;
		json_t *o = json_loads(col_text(s, 3), 0, &jerr), *v;
		const char *k;
		size_t n = 0;
		int stop;

		if (!json_is_object(o)) {
			/* Written by someone else, or damaged: skip it. */
			log_warnx("db: %s: inventory %s/%s/%s: bad attrs: %s",
			    db->path, col_text(s, 0), col_text(s, 1),
			    col_text(s, 2), jerr.text);
			json_decref(o);
			continue;
		}
		if (json_object_size(o) > cap) {
			cap = json_object_size(o);
			labels = xrealloc(labels, cap * sizeof(*labels));
		}
		json_object_foreach(o, k, v)
		{
			labels[n].key = k;
			labels[n].value =
			    json_is_string(v) ? json_string_value(v) : NULL;
			n++;
		}
		stop = cb(col_text(s, 0), col_text(s, 1), col_text(s, 2),
		    labels, n, arg);
		json_decref(o);
		if (stop)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		log_warnx("db: %s: inventory query failed: %s", db->path,
		    sqlite3_errmsg(db->h));
		rc = -EIO;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
out:
	pthread_mutex_unlock(&db->mu);
	free(labels);
	return rc;
}
