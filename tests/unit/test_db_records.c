// SPDX-License-Identifier: MIT
/*
 * What the event and inventory store keeps, against a real SQLite file in
 * a temporary directory: event filters, order and limits, bad input,
 * inventory replacement, hostile and overlong strings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db.h"
#include "helpers/db_fixture.h"
#include "util.h"

/* ------------------------------------------------------------- tests */

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
	        events_filters_limit_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        events_limit_default_and_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(events_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        strings_with_quotes_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        long_strings_capped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        inventory_replace_semantics, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        inventory_failed_put_keeps_old_set, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        inventory_hostile_strings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
