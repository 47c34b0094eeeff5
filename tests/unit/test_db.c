// SPDX-License-Identifier: MIT
/*
 * The event and inventory store's SQLite file, real, in a temporary
 * directory: creation, reopening, schema versions, damaged files, a file
 * deleted or replaced while running, a full disk, threads and other
 * writers. What is stored and read back is in test_db_records.c.
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
#include "helpers/db_fixture.h"
#include "util.h"

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
	        full_database_keeps_the_newest_inventory, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        not_a_database_moved_aside_by_the_agent, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        deleted_while_running_is_opened_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        full_database_keeps_events_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        threads_share_the_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        waits_for_another_writer, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        changed_sees_other_writers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
