// SPDX-License-Identifier: MIT
/*
 * The event and inventory store against a real SQLite file in a temporary
 * directory: creation, reopening, schema versions, event filters and
 * limits, inventory replacement, hostile strings.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
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

#include "db.h"
#include "helpers/rmtree.h"
#include "util.h"

struct fx {
	char dir[128];
	char dbpath[256];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_db.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->dbpath, sizeof(fx->dbpath), "%s/chokepoint.db", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	tu_rm_tree(fx->dir);
	free(fx);
	return 0;
}

static struct db *
open_ok(struct fx *fx)
{
	char err[512] = "";
	struct db *db = db_open(fx->dir, err, sizeof(err));

	if (!db)
		fail_msg("db_open: %s", err);
	return db;
}

/* Run one SQL statement on the file directly, bypassing db.c. */
static void
raw_exec(struct fx *fx, const char *sql)
{
	sqlite3 *h;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(fx->dbpath, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(h);
}

static int64_t
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

/* ------------------------------------------------------------- tests */

static void
creates_schema_and_reopens(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct db_event ev = {.time_ms = 1000,
	    .target = "core1",
	    .kind = "link",
	    .component = "ge-0/0/1",
	    .severity = CP_SEV_WARNING,
	    .message = "down"};
	int64_t id;

	id = db_event_add(db, &ev);
	assert_true(id > 0);
	assert_non_null(db_handle(db));
	db_close(db);
	assert_int_equal(raw_int(fx, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM sqlite_master"
	                             " WHERE type = 'index' AND name LIKE "
	                             "'events_%'"),
	    3);
	/* WAL is persistent in the file. */
	sqlite3 *h;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(fx->dbpath, &h), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(h);
	/* Reopen: the data is still there and ids continue. */
	db = open_ok(fx);
	id = db_event_add(db, &ev);
	assert_true(id > 1);
	db_close(db);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 2);
	db_close(NULL);
}

static void
newer_schema_refused(void **state)
{
	struct fx *fx = *state;
	char err[512] = "";

	db_close(open_ok(fx));
	raw_exec(fx, "PRAGMA user_version = 99");
	assert_null(db_open(fx->dir, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
	assert_non_null(strstr(err, "99"));
	assert_non_null(strstr(err, fx->dbpath));
	/* And it was left alone. */
	assert_int_equal(raw_int(fx, "PRAGMA user_version"), 99);
}

static void
not_a_database_refused(void **state)
{
	struct fx *fx = *state;
	char err[512] = "";
	FILE *f = fopen(fx->dbpath, "w");

	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an sqlite database\n", f);
	fclose(f);
	assert_null(db_open(fx->dir, err, sizeof(err)));
	assert_non_null(strstr(err, fx->dbpath));
	assert_non_null(strstr(err, "not a database"));
	assert_null(db_open("", err, sizeof(err)));
}

/* The agent keeps monitoring: the damaged file is kept aside, not lost. */
static void
not_a_database_moved_aside_by_the_agent(void **state)
{
	struct fx *fx = *state;
	char err[512] = "", aside[512] = "", line[64];
	struct db_event ev = {.kind = "link", .target = "sw1", .message = "x"};
	struct dirent *de;
	struct db *db;
	DIR *d;
	FILE *f = fopen(fx->dbpath, "w");

	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not an sqlite database\n", f);
	fclose(f);
	db = db_open_rw(fx->dir, err, sizeof(err));
	assert_non_null(db);
	assert_true(db_event_add(db, &ev) > 0);
	db_close(db);
	/* A fresh database in its place, the old file beside it as it was. */
	db = open_ok(fx);
	db_close(db);
	assert_non_null(d = opendir(fx->dir));
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "chokepoint.db.corrupt-", 22) == 0 &&
		    !strchr(de->d_name + 22, '-'))
			snprintf(
			    aside, sizeof(aside), "%s/%s", fx->dir, de->d_name);
	closedir(d);
	assert_true(aside[0] != '\0');
	assert_non_null(f = fopen(aside, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "this is not an sqlite database\n");
	fclose(f);
	/* Newer schemas are still refused, not moved aside. */
	raw_exec(fx, "PRAGMA user_version = 99");
	assert_null(db_open_rw(fx->dir, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
}

static int
count_schema(struct sqlite3 *h, void *arg)
{
	(*(int *)arg)++;
	return sqlite3_exec(h, "CREATE TABLE IF NOT EXISTS mine (x)", NULL,
	           NULL, NULL) == SQLITE_OK
	           ? 0
	           : -1;
}

/* Deleted or replaced while the agent runs: db_check() opens it again. */
static void
deleted_while_running_is_opened_again(void **state)
{
	struct fx *fx = *state;
	struct db_event ev = {.kind = "link", .target = "sw1", .message = "x"};
	struct db *db = open_ok(fx), *other;
	char path[300], err[512];
	int calls = 0;
	int64_t base = -1;

	assert_int_equal(db_add_schema(db, count_schema, &calls), 0);
	assert_int_equal(calls, 1);
	assert_true(db_event_add(db, &ev) > 0);
	assert_int_equal(db_check(db), 0);
	assert_int_equal(db_generation(db, NULL), 0);
	/* The whole data directory removed, say to free space. */
	tu_rm_tree(fx->dir);
	assert_int_equal(db_check(db), 1);
	assert_int_equal(calls, 2);
	assert_int_equal(db_generation(db, &base), 1);
	assert_int_equal(base, 0);
	assert_true(db_event_add(db, &ev) > 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM mine"), 0);
	assert_int_equal(db_check(db), 0);
	/* Only the main file removed: the -wal left at the path is the old
	 * file's and must not be applied to the new one. */
	assert_true(db_event_add(db, &ev) > 0);
	assert_int_equal(unlink(fx->dbpath), 0);
	assert_int_equal(db_check(db), 1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 0);
	assert_int_equal(db_generation(db, NULL), 2);
	/* Replaced by another database (a restored copy): its newest id is
	 * where new events start. */
	snprintf(path, sizeof(path), "%s/other", fx->dir);
	assert_non_null(other = db_open(path, err, sizeof(err)));
	for (int i = 0; i < 3; i++)
		assert_true(db_event_add(other, &ev) > 0);
	db_close(other);
	snprintf(path, sizeof(path), "%s/other/chokepoint.db", fx->dir);
	assert_int_equal(rename(path, fx->dbpath), 0);
	assert_int_equal(db_check(db), 1);
	assert_int_equal(db_generation(db, &base), 3);
	assert_int_equal(base, 3);
	assert_int_equal(db_event_add(db, &ev), 4);
	db_close(db);
}

static int
order_cb(const struct db_event *e, void *arg)
{
	char *out = arg;

	/* Newest first: prepend, so out reads oldest first. */
	memmove(out + 1, out, strlen(out) + 1);
	out[0] = e->message[0];
	return 0;
}

/* A full disk: events wait in memory, in order, and none is lost. */
static void
full_database_keeps_events_in_order(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct sqlite3 *h = db_handle(db);
	struct db_event ev = {.kind = "hotswap", .target = "srv1"};
	struct db_event_filter f = {0};
	char big[6000], order[16] = "";

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ev.message = "a";
	ev.time_ms = 1000;
	assert_true(db_event_add(db, &ev) > 0);
	/* No page can be added: SQLITE_FULL, as on a full filesystem. */
	assert_int_equal(
	    sqlite3_exec(h, "PRAGMA max_page_count = 1", NULL, NULL, NULL),
	    SQLITE_OK);
	ev.message = big; /* needs new pages */
	ev.time_ms = 2000;
	assert_int_equal(db_event_add(db, &ev), 0);
	ev.message = "c"; /* would fit, but waits behind b */
	ev.time_ms = 3000;
	assert_int_equal(db_event_add(db, &ev), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 1);
	/* Room again: the next check writes them, oldest first. */
	assert_int_equal(sqlite3_exec(h, "PRAGMA max_page_count = 1000000",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(db_check(db), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 3);
	assert_int_equal(db_events_query(db, &f, order_cb, order), 0);
	assert_string_equal(order, "abc");
	assert_int_equal(
	    raw_int(fx, "SELECT count(*) FROM events WHERE id = 3 AND "
	                "time_ms = 3000"),
	    1);
	db_close(db);
}

/* A full disk: an inventory set waits in memory (the newest of each
 * target and kind) and is written at the next check that can. */
static void
full_database_keeps_the_newest_inventory(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct sqlite3 *h = db_handle(db);
	char big[6000], big2[6000];
	struct cp_label a = {"serial", big}, b = {"serial", big2};
	struct cp_inventory_item one = {"psu1", &a, 1}, two = {"psu1", &b, 1};

	(void)state;
	/* Values that need new pages, as on a full filesystem. */
	memset(big, 's', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(big2, 't', sizeof(big2) - 1);
	big2[sizeof(big2) - 1] = '\0';
	memcpy(big2, "S2", 2);
	assert_int_equal(
	    sqlite3_exec(h, "PRAGMA max_page_count = 1", NULL, NULL, NULL),
	    SQLITE_OK);
	/* Kept, not refused (0), and a later set replaces the kept one. */
	assert_int_equal(db_inventory_put(db, "srv1", "entity", &one, 1), 0);
	assert_int_equal(db_inventory_put(db, "srv1", "entity", &two, 1), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inventory"), 0);
	assert_int_equal(sqlite3_exec(h, "PRAGMA max_page_count = 1000000",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(db_check(db), 0);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inventory WHERE "
	                             "key = 'psu1' AND attrs LIKE '%S2%'"),
	    1);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inventory"), 1);
	db_close(db);
}

/* An old database at version 0 (empty) is migrated. */
static void
version_zero_migrated(void **state)
{
	struct fx *fx = *state;

	raw_exec(fx, "CREATE TABLE unrelated (x)");
	assert_int_equal(raw_int(fx, "PRAGMA user_version"), 0);
	db_close(open_ok(fx));
	assert_int_equal(raw_int(fx, "PRAGMA user_version"), DB_SCHEMA_VERSION);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM sqlite_master"
	                             " WHERE name IN ('events', 'inventory',"
	                             " 'unrelated')"),
	    3);
}

struct collected {
	int n;
	int64_t ids[64];
	int64_t times[64];
	char targets[64][32];
	char msgs[64][128];
	int stop_after;
};

static int
collect_ev(const struct db_event *ev, void *arg)
{
	struct collected *c = arg;

	assert_true(c->n < 64);
	c->ids[c->n] = ev->id;
	c->times[c->n] = ev->time_ms;
	snprintf(c->targets[c->n], sizeof(c->targets[0]), "%s", ev->target);
	snprintf(c->msgs[c->n], sizeof(c->msgs[0]), "%s",
	    ev->message ? ev->message : "(null)");
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

static void
events_filters_limit_order(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	static const char *targets[] = {"core1", "web1", "db1"};
	static const char *kinds[] = {"link", "ecc", "hotswap"};
	struct collected c;
	struct db_event_filter f;

	for (int i = 0; i < 30; i++) {
		char msg[32];
		snprintf(msg, sizeof(msg), "m%d", i);
		struct db_event ev = {.time_ms = 1000 + 10 * (i / 2),
		    .target = targets[i % 3],
		    .kind = kinds[(i / 3) % 3],
		    .severity = CP_SEV_INFO,
		    .message = msg};
		assert_true(db_event_add(db, &ev) > 0);
	}
	/* All, newest first; equal times ordered by id, newest first. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(db_events_query(db, NULL, collect_ev, &c), 0);
	assert_int_equal(c.n, 30);
	for (int i = 1; i < c.n; i++) {
		assert_true(c.times[i] <= c.times[i - 1]);
		if (c.times[i] == c.times[i - 1])
			assert_true(c.ids[i] < c.ids[i - 1]);
	}
	assert_string_equal(c.msgs[0], "m29");
	/* By target. */
	memset(&c, 0, sizeof(c));
	f = (struct db_event_filter){.target = "web1"};
	assert_int_equal(db_events_query(db, &f, collect_ev, &c), 0);
	assert_int_equal(c.n, 10);
	for (int i = 0; i < c.n; i++)
		assert_string_equal(c.targets[i], "web1");
	/* By kind and target. */
	memset(&c, 0, sizeof(c));
	f = (struct db_event_filter){.target = "core1", .kind = "ecc"};
	assert_int_equal(db_events_query(db, &f, collect_ev, &c), 0);
	assert_true(c.n > 0);
	int want = 0;
	for (int i = 0; i < 30; i++)
		want += i % 3 == 0 && (i / 3) % 3 == 1;
	assert_int_equal(c.n, want);
	/* Time window, inclusive at both ends. */
	memset(&c, 0, sizeof(c));
	f = (struct db_event_filter){.since_ms = 1050, .until_ms = 1080};
	assert_int_equal(db_events_query(db, &f, collect_ev, &c), 0);
	assert_int_equal(c.n, 8);
	assert_int_equal(c.times[0], 1080);
	assert_int_equal(c.times[7], 1050);
	/* Limit. */
	memset(&c, 0, sizeof(c));
	f = (struct db_event_filter){.limit = 5};
	assert_int_equal(db_events_query(db, &f, collect_ev, &c), 0);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.msgs[0], "m29");
	/* The callback stops early. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 3;
	assert_int_equal(db_events_query(db, NULL, collect_ev, &c), 0);
	assert_int_equal(c.n, 3);
	/* No match. */
	memset(&c, 0, sizeof(c));
	f = (struct db_event_filter){.kind = "nope"};
	assert_int_equal(db_events_query(db, &f, collect_ev, &c), 0);
	assert_int_equal(c.n, 0);
	db_close(db);
}

static int
count_cb(const struct db_event *ev, void *arg)
{
	(void)ev;
	(*(size_t *)arg)++;
	return 0;
}

static void
events_limit_default_and_cap(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct db_event_filter f = {0};
	size_t n = 0;

	/* 10,050 rows in one transaction, straight into the table. */
	db_lock(db);
	assert_int_equal(sqlite3_exec(db_handle(db),
	                     "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
	                     "SELECT i + 1 FROM c WHERE i < 10050) "
	                     "INSERT INTO events (time_ms, target, kind, "
	                     "severity) SELECT i, 'h', 'k', 0 FROM c",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	db_unlock(db);
	assert_int_equal(db_events_query(db, &f, count_cb, &n), 0);
	assert_int_equal(n, 100);
	n = 0;
	f.limit = 1000000;
	assert_int_equal(db_events_query(db, &f, count_cb, &n), 0);
	assert_int_equal(n, 10000);
	db_close(db);
}

static void
events_bad_input(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct db_event ev = {.target = "h", .kind = "k"};

	ev.target = NULL;
	assert_int_equal(db_event_add(db, &ev), -EINVAL);
	ev.target = "h";
	ev.kind = NULL;
	assert_int_equal(db_event_add(db, &ev), -EINVAL);
	ev.kind = "k";
	ev.severity = (enum cp_severity)7;
	assert_int_equal(db_event_add(db, &ev), -EINVAL);
	ev.severity = CP_SEV_CRITICAL;
	/* time 0 means now. */
	int64_t before = now_ms();
	assert_true(db_event_add(db, &ev) > 0);
	struct collected c = {0};
	assert_int_equal(db_events_query(db, NULL, collect_ev, &c), 0);
	assert_int_equal(c.n, 1);
	assert_true(c.times[0] >= before && c.times[0] <= now_ms());
	assert_string_equal(c.msgs[0], "(null)");
	assert_int_equal(db_events_query(db, NULL, NULL, NULL), -EINVAL);
	db_close(db);
}

static const char *evil[] = {"O'Brien", "x'); DROP TABLE events; --",
    "\"quoted\"", "100% _like_", "back\\slash", "semi;colon", "ünïcödé ☃"};

static void
strings_with_quotes_round_trip(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct collected c;

	for (size_t i = 0; i < ARRAY_SIZE(evil); i++) {
		struct db_event ev = {.time_ms = 1000 + (int64_t)i,
		    .target = evil[i],
		    .kind = evil[i],
		    .component = evil[i],
		    .before = evil[i],
		    .after = evil[i],
		    .message = evil[i]};
		assert_true(db_event_add(db, &ev) > 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(evil); i++) {
		struct db_event_filter f = {.target = evil[i], .kind = evil[i]};
		memset(&c, 0, sizeof(c));
		assert_int_equal(db_events_query(db, &f, collect_ev, &c), 0);
		assert_int_equal(c.n, 1);
		assert_string_equal(c.targets[0], evil[i]);
		assert_string_equal(c.msgs[0], evil[i]);
	}
	/* A LIKE pattern is not a wildcard here. */
	struct db_event_filter f = {.target = "%"};
	memset(&c, 0, sizeof(c));
	assert_int_equal(db_events_query(db, &f, collect_ev, &c), 0);
	assert_int_equal(c.n, 0);
	db_close(db);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"),
	    (int64_t)ARRAY_SIZE(evil));
}

static void
long_strings_capped(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	size_t n = 100000;
	char *big = malloc(n + 1);

	/* Two-byte characters, so a blind cut would split one. */
	for (size_t i = 0; i < n; i += 2) {
		big[i] = (char)0xc3;
		big[i + 1] = (char)0xa9;
	}
	big[n] = 0;
	struct db_event ev = {.target = "h", .kind = "k", .message = big};
	assert_true(db_event_add(db, &ev) > 0);
	db_close(db);
	int64_t len = raw_int(fx, "SELECT length(CAST(message AS BLOB)) "
	                          "FROM events");
	assert_true(len <= 8192 && len >= 8190);
	assert_int_equal(len % 2, 0);
	free(big);
}

struct adder {
	struct db *db;
	int base;
	int fails;
};

static void *
adder_main(void *arg)
{
	struct adder *a = arg;
	char msg[32];

	for (int i = 0; i < 300; i++) {
		snprintf(msg, sizeof(msg), "t%d-%d", a->base, i);
		struct db_event ev = {.time_ms = 1000 + i,
		    .target = "h",
		    .kind = "k",
		    .message = msg};
		if (db_event_add(a->db, &ev) <= 0)
			a->fails++;
		if (i % 50 == 0) {
			size_t n = 0;
			db_events_query(a->db, NULL, count_cb, &n);
		}
	}
	return NULL;
}

/* Several threads on one store: every insert lands, ids are unique. */
static void
threads_share_the_connection(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	pthread_t t[4];
	struct adder a[4];

	for (int i = 0; i < 4; i++) {
		a[i] = (struct adder){.db = db, .base = i};
		assert_int_equal(
		    pthread_create(&t[i], NULL, adder_main, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].fails, 0);
	}
	db_close(db);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 1200);
	assert_int_equal(raw_int(fx, "SELECT count(DISTINCT message) FROM "
	                             "events"),
	    1200);
}

struct holder {
	sqlite3 *h;
};

static void *
release_later(void *arg)
{
	struct holder *ho = arg;
	usleep(300 * 1000);
	sqlite3_exec(ho->h, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

/* Another process holding the write lock for a moment: we wait for it
 * (busy_timeout) instead of failing. */
static void
waits_for_another_writer(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct holder ho;
	pthread_t t;
	struct db_event ev = {.target = "h", .kind = "k"};

	assert_int_equal(sqlite3_open(fx->dbpath, &ho.h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(ho.h,
	                     "BEGIN IMMEDIATE; INSERT INTO events (time_ms, "
	                     "target, kind, severity) VALUES (1, 'o', 'k', 0)",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(pthread_create(&t, NULL, release_later, &ho), 0);
	int64_t t0 = now_ms();
	assert_true(db_event_add(db, &ev) > 0);
	assert_true(now_ms() - t0 >= 200);
	pthread_join(t, NULL);
	sqlite3_close(ho.h);
	db_close(db);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM events"), 2);
}

/* ----------------------------------------------------------- inventory */

struct inv_row {
	char target[32], kind[32], key[64];
	char attrs[256];
};
struct inv_seen {
	int n;
	struct inv_row r[32];
};

static int
collect_inv(const char *target, const char *kind, const char *key,
    const struct cp_label *attrs, size_t nattrs, void *arg)
{
	struct inv_seen *s = arg;
	struct inv_row *r = &s->r[s->n++];
	size_t off = 0;

	snprintf(r->target, sizeof(r->target), "%s", target);
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->attrs[0] = 0;
	for (size_t i = 0; i < nattrs; i++)
		off += (size_t)snprintf(r->attrs + off, sizeof(r->attrs) - off,
		    "%s=%s;", attrs[i].key,
		    attrs[i].value ? attrs[i].value : "(null)");
	return 0;
}

/* db_changed: a commit by another connection (or this one) changes the
 * stamp; nothing written, no change. */
static void
changed_sees_other_writers(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx), *other;
	struct db_event ev = {0, 1000, "sw1", "hotswap", "fan 1",
	    CP_SEV_WARNING, "present", "absent", "fan 1 removed"};
	struct db_stamp st = {0};

	assert_int_equal(db_changed(db, &st), 1); /* first look */
	assert_int_equal(db_changed(db, &st), 0);
	other = open_ok(fx);
	assert_true(db_event_add(other, &ev) > 0);
	assert_int_equal(db_changed(db, &st), 1);
	assert_int_equal(db_changed(db, &st), 0);
	assert_true(db_event_add(other, &ev) > 0);
	db_close(other); /* the last close checkpoints the WAL */
	assert_int_equal(db_changed(db, &st), 1);
	assert_int_equal(db_changed(db, &st), 0);
	assert_true(db_event_add(db, &ev) > 0);
	assert_int_equal(db_changed(db, &st), 1);
	db_close(db);
}

static void
inventory_replace_semantics(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct inv_seen s;
	const struct cp_label a1[] = {{"model", "PWR-C1"}, {"serial", "X1"}};
	const struct cp_label a2[] = {{"model", "FAN-T2"}, {"fw", "1.2"}};
	const struct cp_label a3[] = {{"version", "17.3"}};
	const struct cp_inventory_item first[] = {
	    {"psu1", a1, 2}, {"fan1", a2, 2}, {"fan2", a2, 2}};
	const struct cp_inventory_item second[] = {{"psu1", a2, 2}};
	const struct cp_inventory_item fw[] = {{"ios", a3, 1}};

	assert_int_equal(db_inventory_put(db, "core1", "fru", first, 3), 0);
	assert_int_equal(db_inventory_put(db, "core1", "firmware", fw, 1), 0);
	assert_int_equal(db_inventory_put(db, "web1", "fru", first, 1), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    db_inventory_get(db, "core1", "fru", collect_inv, &s), 0);
	assert_int_equal(s.n, 3);
	/* Ordered by key, attributes in the order given. */
	assert_string_equal(s.r[0].key, "fan1");
	assert_string_equal(s.r[0].attrs, "model=FAN-T2;fw=1.2;");
	assert_string_equal(s.r[2].key, "psu1");
	assert_string_equal(s.r[2].attrs, "model=PWR-C1;serial=X1;");
	/* Replace: fans gone, psu1 changed; other kinds/targets untouched. */
	assert_int_equal(db_inventory_put(db, "core1", "fru", second, 1), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    db_inventory_get(db, "core1", NULL, collect_inv, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.r[0].kind, "firmware");
	assert_string_equal(s.r[0].attrs, "version=17.3;");
	assert_string_equal(s.r[1].kind, "fru");
	assert_string_equal(s.r[1].attrs, "model=FAN-T2;fw=1.2;");
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_inventory_get(db, NULL, NULL, collect_inv, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.r[2].target, "web1");
	/* An empty set clears (target, kind). */
	assert_int_equal(db_inventory_put(db, "core1", "fru", NULL, 0), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    db_inventory_get(db, "core1", "fru", collect_inv, &s), 0);
	assert_int_equal(s.n, 0);
	db_close(db);
}

static void
inventory_failed_put_keeps_old_set(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct inv_seen s;
	const struct cp_label a[] = {{"k", "v"}};
	const struct cp_inventory_item one[] = {{"a", a, 1}, {"b", a, 1}};
	const struct cp_inventory_item bad[] = {{"c", a, 1}, {NULL, a, 1}};

	assert_int_equal(db_inventory_put(db, "h", "disk", one, 2), 0);
	assert_int_equal(db_inventory_put(db, "h", "disk", bad, 2), -EINVAL);
	assert_int_equal(db_inventory_put(db, NULL, "disk", one, 2), -EINVAL);
	/* A failure inside the transaction (a trigger aborting the second
	 * insert) rolls back the delete too. */
	db_lock(db);
	assert_int_equal(sqlite3_exec(db_handle(db),
	                     "CREATE TEMP TRIGGER no_d BEFORE INSERT ON "
	                     "main.inventory WHEN NEW.key = 'd' BEGIN "
	                     "SELECT RAISE(ABORT, 'no d'); END",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	db_unlock(db);
	const struct cp_inventory_item cd[] = {{"c", a, 1}, {"d", a, 1}};
	assert_int_equal(db_inventory_put(db, "h", "disk", cd, 2), -EIO);
	memset(&s, 0, sizeof(s));
	assert_int_equal(db_inventory_get(db, "h", "disk", collect_inv, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.r[0].key, "a");
	assert_string_equal(s.r[1].key, "b");
	/* And the connection is usable afterwards. */
	assert_int_equal(db_inventory_put(db, "h", "disk", cd, 1), 0);
	db_close(db);
}

static void
inventory_hostile_strings(void **state)
{
	struct fx *fx = *state;
	struct db *db = open_ok(fx);
	struct inv_seen s;

	for (size_t i = 0; i < ARRAY_SIZE(evil); i++) {
		const struct cp_label a[] = {{evil[i], evil[i]}, {"n", NULL}};
		const struct cp_inventory_item it[] = {{evil[i], a, 2}};
		assert_int_equal(
		    db_inventory_put(db, evil[i], evil[i], it, 1), 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(evil); i++) {
		char want[256];
		memset(&s, 0, sizeof(s));
		assert_int_equal(
		    db_inventory_get(db, evil[i], evil[i], collect_inv, &s), 0);
		assert_int_equal(s.n, 1);
		assert_string_equal(s.r[0].key, evil[i]);
		snprintf(
		    want, sizeof(want), "%s=%s;n=(null);", evil[i], evil[i]);
		assert_string_equal(s.r[0].attrs, want);
	}
	db_close(db);
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inventory"),
	    (int64_t)ARRAY_SIZE(evil));
	/* The JSON is queryable from SQL. */
	assert_int_equal(raw_int(fx, "SELECT count(*) FROM inventory WHERE "
	                             "json_extract(attrs, '$.\"O''Brien\"') = "
	                             "'O''Brien'"),
	    1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        creates_schema_and_reopens, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        newer_schema_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        not_a_database_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        version_zero_migrated, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        events_filters_limit_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        events_limit_default_and_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(events_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        full_database_keeps_the_newest_inventory, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        not_a_database_moved_aside_by_the_agent, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        deleted_while_running_is_opened_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        full_database_keeps_events_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        strings_with_quotes_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        long_strings_capped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        threads_share_the_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        waits_for_another_writer, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        changed_sees_other_writers, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        inventory_replace_semantics, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        inventory_failed_put_keeps_old_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        inventory_hostile_strings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
