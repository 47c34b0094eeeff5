/* SPDX-License-Identifier: MIT */
/*
 * The event and inventory store: one SQLite database, DATA_DIR/chokepoint.db,
 * in WAL mode, created on first use, schema versioned with PRAGMA
 * user_version and migrated forward. Events (hot-swap, ECC, link flaps,
 * firmware changes, alert transitions) and inventory (entity tables,
 * firmware versions). Thread-safe: one connection behind a mutex.
 */
#ifndef CHOKEPOINT_DB_H
#define CHOKEPOINT_DB_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

struct db;
struct sqlite3;

#define DB_SCHEMA_VERSION 1

/* Open or create DATA_DIR/chokepoint.db. NULL and a message in err. */
struct db *db_open(const char *data_dir, char *err, size_t errlen);
/*
 * db_open() for the running agent: a file SQLite cannot read as a database
 * (garbage, a damaged header or schema) is renamed, with its -wal and -shm,
 * to chokepoint.db.corrupt-TIME and a new database is made, so monitoring
 * goes on and nothing is deleted. A full disk or an I/O error returns a
 * handle that is not open yet (db_online()). A newer schema or an
 * unwritable directory still fails, as in db_open().
 */
struct db *db_open_rw(const char *data_dir, char *err, size_t errlen);
void db_close(struct db *db); /* takes NULL */

/* A stored event; target is never NULL here. */
struct db_event {
	int64_t id;
	int64_t time_ms;
	const char *target;
	const char *kind;
	const char *component;
	enum cp_severity severity;
	const char *before;
	const char *after;
	const char *message;
};

/*
 * Insert; returns the new id (> 0), or 0 when SQLite cannot take it now
 * (disk full, read-only, locked): then it is kept in memory, in order with
 * any others (at most 10,000, the oldest dropped), and written before the
 * next event or at the next db_check(). A negative errno for bad input or
 * other failures.
 */
int64_t db_event_add(struct db *db, const struct db_event *ev);
/* Events this handle has added so far (to skip queries when none came). */
uint64_t db_events_added(struct db *db);

/* What the database file and its WAL looked like at one moment. */
struct db_stamp {
	struct {
		uint64_t ino, size, mtime_s, mtime_ns;
	} file[2]; /* chokepoint.db, chokepoint.db-wal */
};
/*
 * 1 if chokepoint.db or its -wal differs from *st (a commit by any
 * connection, this one included, or a checkpoint), 0 if not; *st becomes
 * the current stamp. Two stat calls: much cheaper than a query, which takes
 * file locks and opens a read transaction.
 */
int db_changed(struct db *db, struct db_stamp *st);

/*
 * A module that keeps its own tables in the database: fn(h, arg) runs now
 * (lock held) and again whenever db_check() reopens the file, so it must
 * be idempotent (CREATE ... IF NOT EXISTS). Up to 8. Returns fn's result.
 */
int db_add_schema(
    struct db *db, int (*fn)(struct sqlite3 *h, void *arg), void *arg);
/*
 * If DATA_DIR/chokepoint.db is no longer the file open here (deleted,
 * moved or replaced while the agent runs, say to free space), open it
 * again, created if need be, and rerun the schema callbacks: events and
 * inventory no longer go to a file nobody can see. One stat() when
 * nothing changed. 1 reopened, 0 nothing to do, or -errno (logged).
 */
int db_check(struct db *db);
/* How many times db_check() reopened the file; *base_id (may be NULL) the
 * newest event id in it then (ids start again in a new file). */
uint64_t db_generation(struct db *db, int64_t *base_id);

struct db_event_filter {
	const char *kind;   /* NULL: any */
	const char *target; /* NULL: any */
	int64_t since_ms;   /* 0: any */
	int64_t until_ms;   /* 0: any */
	size_t limit;       /* 0: 100 */
};

/*
 * Newest first (by time, then id); cb returns non-zero to stop. Strings valid
 * during cb. Callbacks here and in db_inventory_get() run with the database
 * lock held: they must not call db_* functions. Strings stored from outside
 * are cut at 8 KB.
 */
int db_events_query(struct db *db, const struct db_event_filter *f,
    int (*cb)(const struct db_event *, void *), void *arg);

/* Replace the inventory of (target, kind) with items, in one transaction
 * (on failure the previous set stays). A key given twice: the last wins.
 * Attributes are stored as a JSON object (inventory.attrs). */
int db_inventory_put(struct db *db, const char *target, const char *kind,
    const struct cp_inventory_item *items, size_t nitems);

/* Items of (target, kind), ordered by target, kind, key; target NULL: every
 * target, kind NULL: every kind. Attrs valid during cb (a NULL value is an
 * attribute stored without one). */
int db_inventory_get(struct db *db, const char *target, const char *kind,
    int (*cb)(const char *target, const char *kind, const char *key,
        const struct cp_label *attrs, size_t nattrs, void *arg),
    void *arg);

/* The underlying connection for modules with their own tables (alerts,
 * firmware log); they must call db_lock()/db_unlock() around its use. NULL
 * while the file cannot be opened (db_online()). */
struct sqlite3 *db_handle(struct db *db);
/*
 * Whether the database is open. db_open_rw() starts without it when the
 * disk is full (or on an I/O error, or a lock another process holds), and
 * so does db_check() when a deleted file cannot be made again: events wait
 * in memory, queries fail with -EAGAIN, inventory and the other modules'
 * writes are skipped, and db_check() tries again every time it runs.
 */
int db_online(struct db *db);
/* Events kept in memory now, waiting for the database to take them. */
size_t db_events_kept(struct db *db);
void db_lock(struct db *db);
void db_unlock(struct db *db);

#endif
