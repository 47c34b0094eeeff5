// SPDX-License-Identifier: MIT
/*
 * agent/events.c: the /api/v1/events filters (kind, target, since, limit)
 * and JSON output over a real SQLite store, kept across a reopen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>

#include "events.h"
#include "hw_harness.h"

static void
filters_are_checked(void **state)
{
	struct db_event_filter f;
	char err[256];

	(void)state;
	assert_int_equal(events_filter_parse(
	                     NULL, NULL, NULL, NULL, 0, &f, err, sizeof(err)),
	    0);
	assert_int_equal(f.limit, 100);
	assert_null(f.kind);
	assert_int_equal(events_filter_parse("hotswap", "h1", "1700000000000",
	                     "5", 0, &f, err, sizeof(err)),
	    0);
	assert_string_equal(f.kind, "hotswap");
	assert_string_equal(f.target, "h1");
	assert_int_equal(f.since_ms, 1700000000000LL);
	assert_int_equal(f.limit, 5);
	assert_int_equal(events_filter_parse(NULL, NULL, "2024-05-01T10:00:00Z",
	                     NULL, 0, &f, err, sizeof(err)),
	    0);
	assert_int_equal(f.since_ms, 1714557600000LL);
	assert_int_equal(events_filter_parse(NULL, NULL, "1h", NULL, 10000000,
	                     &f, err, sizeof(err)),
	    0);
	assert_int_equal(f.since_ms, 10000000 - 3600000);
	assert_int_equal(events_filter_parse(NULL, NULL, "yesterday", NULL, 0,
	                     &f, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "since: expected"));
	assert_int_equal(
	    events_filter_parse(NULL, NULL, NULL, "0", 0, &f, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "limit: expected 1 to 1000"));
	assert_int_equal(events_filter_parse(
	                     NULL, NULL, NULL, "5000", 0, &f, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(events_filter_parse(
	                     NULL, NULL, NULL, "3x", 0, &f, err, sizeof(err)),
	    -EINVAL);
}

static void
add(struct db *db, int64_t t, const char *target, const char *kind,
    const char *comp, int sev)
{
	struct db_event e = {
	    0, t, target, kind, comp, (enum cp_severity)sev, "a", NULL, "msg"};

	assert_true(db_event_add(db, &e) > 0);
}

static json_t *
query(struct db *db, const char *kind, const char *target, const char *since,
    const char *limit)
{
	struct db_event_filter f;
	char err[256], *s;
	json_error_t je;
	json_t *r;

	assert_int_equal(events_filter_parse(kind, target, since, limit, 100000,
	                     &f, err, sizeof(err)),
	    0);
	s = events_json(db, &f);
	assert_non_null(s);
	r = json_loads(s, 0, &je);
	assert_non_null(r);
	free(s);
	return json_object_get(r, "events") ? r : NULL;
}

static void
json_with_filters_and_kept_across_reopen(void **state)
{
	char dir[] = "/tmp/cp-ev-XXXXXX", err[256];
	struct db *db;
	json_t *r, *e0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	db = db_open(dir, err, sizeof(err));
	assert_non_null(db);
	add(db, 1000, "h1", "hotswap", "disk ata2", 1);
	add(db, 2000, "h1", "ecc", "DIMM_A1", 2);
	add(db, 3000, "h2", "hotswap", "PSU2", 0);
	add(db, 4000, "h1", "firmware", "BIOS", 0);
	db_close(db);
	db = db_open(dir, err, sizeof(err));
	assert_non_null(db);

	r = query(db, NULL, NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 4);
	e0 = json_array_get(json_object_get(r, "events"), 0);
	assert_string_equal(json_string_value(json_object_get(e0, "kind")),
	    "firmware"); /* newest first */
	assert_string_equal(json_string_value(json_object_get(e0, "time")),
	    "1970-01-01T00:00:04Z");
	assert_true(json_is_null(json_object_get(e0, "after")));
	json_decref(r);
	r = query(db, "hotswap", NULL, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 2);
	json_decref(r);
	r = query(db, "hotswap", "h1", NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 1);
	e0 = json_array_get(json_object_get(r, "events"), 0);
	assert_string_equal(
	    json_string_value(json_object_get(e0, "severity")), "warning");
	json_decref(r);
	r = query(db, NULL, NULL, "2500", NULL);
	assert_int_equal(json_array_size(json_object_get(r, "events")), 2);
	json_decref(r);
	r = query(db, NULL, NULL, NULL, "1");
	assert_int_equal(json_array_size(json_object_get(r, "events")), 1);
	json_decref(r);
	db_close(db);
	hw_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(filters_are_checked),
	    cmocka_unit_test(json_with_filters_and_kept_across_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
