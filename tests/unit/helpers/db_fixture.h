/* SPDX-License-Identifier: MIT */
/*
 * What the event and inventory store tests (test_db.c, test_db_records.c)
 * share: a temporary data directory per test, a store opened on it, and
 * SQL run on the file directly, bypassing db.c. Header-only: static inline
 * functions.
 */
#ifndef CP_TEST_DB_FIXTURE_H
#define CP_TEST_DB_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db.h"
#include "rmtree.h"

struct fx {
	char dir[128];
	char dbpath[256];
};

static inline int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_db.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->dbpath, sizeof(fx->dbpath), "%s/chokepoint.db", fx->dir);
	*state = fx;
	return 0;
}

static inline int
teardown(void **state)
{
	struct fx *fx = *state;

	tu_rm_tree(fx->dir);
	free(fx);
	return 0;
}

static inline struct db *
open_ok(struct fx *fx)
{
	char err[512] = "";
	struct db *db = db_open(fx->dir, err, sizeof(err));

	if (!db)
		fail_msg("db_open: %s", err);
	return db;
}

/* Run one SQL statement on the file directly, bypassing db.c. */
static inline void
raw_exec(struct fx *fx, const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(fx->dbpath, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(h);
}

static inline int64_t
raw_int(struct fx *fx, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_open(fx->dbpath, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* A db_events_query() callback that counts the events into *(size_t *)arg. */
static inline int
count_cb(const struct db_event *ev, void *arg)
{
	(void)ev;
	(*(size_t *)arg)++;
	return 0;
}

#endif
