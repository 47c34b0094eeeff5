/* SPDX-License-Identifier: MIT */
/*
 * Inside the event and inventory store: the handle shared by db_conn.c
 * (the connection's life) and db.c (what is stored through it). Not for
 * other modules.
 */
#ifndef CHOKEPOINT_DB_PRIV_H
#define CHOKEPOINT_DB_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct db {
	sqlite3 *h;
	char *path;
	char *wal_path; /* path + "-wal", for db_changed() */
	pthread_mutex_t mu;
	/* Prepared once, on first use; reset after each. */
	sqlite3_stmt *ev_insert;
	sqlite3_stmt *ev_query[4];
	sqlite3_stmt *inv_delete;
	sqlite3_stmt *inv_insert;
	sqlite3_stmt *inv_get;
	uint64_t events_added; /* by this handle; under mu */
	char *dir;
	uint64_t dev, ino; /* the file open now, for db_check() */
	/* Other modules' tables, made again after db_check() reopens. */
	struct {
		int (*fn)(struct sqlite3 *h, void *arg);
		void *arg;
	} schemas[8];
	size_t nschemas;
	uint64_t generation; /* reopens so far; under mu */
	/* h is NULL: since when (0: never), last said (mono ms); under mu */
	int64_t offline_since_ms, offline_logged_ms;
	int64_t gen_base_id; /* the newest event id when it reopened */
	/* Events SQLite did not take (full disk): kept, oldest first. */
	struct db_qev *q;
	size_t qn, qcap;
	/* Inventory sets SQLite did not take: the newest per target/kind. */
	struct db_qinv *qi;
	size_t qin, qicap;
};

/* db.c, with mu held: write the kept events, oldest first, until one
 * fails; db_queue_free() at close (what is left is lost, and said). */
void db_queue_flush(struct db *db);
void db_queue_free(struct db *db);

/* db_conn.c: run SQL with no results; fills err (may be NULL) on failure.
 * 0 or -EIO. */
int db_exec(struct db *db, const char *sql, char *err, size_t errlen);

#endif
