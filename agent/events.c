// SPDX-License-Identifier: MIT
/*
 * Event queries for /api/v1/events: parameter checking and JSON output
 * over db_events_query(). Kept apart from the HTTP code so that tests and
 * other front ends (the CLI, hooks) use the same filters.
 */
#include "events.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static int
parse_since(const char *s, int64_t now_ms, int64_t *out)
{
	struct tm tm;
	const char *e;
	int64_t d;
	char *end;
	long long v;

	/* A bare number: epoch milliseconds. */
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s >= '0' && *s <= '9' && *end == '\0' && errno == 0 && v >= 0) {
		*out = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (e && (strcmp(e, "Z") == 0 || strcmp(e, "+00:00") == 0)) {
		time_t t = timegm(&tm);

		if (t == (time_t)-1)
			return -EINVAL;
		*out = (int64_t)t * 1000;
		return 0;
	}
	if (duration_parse(s, &d) == 0 && d > 0) {
		*out = now_ms > d ? now_ms - d : 0;
		return 0;
	}
	return -EINVAL;
}

int
events_filter_parse(const char *kind, const char *target, const char *since,
    const char *limit, int64_t now_ms, struct db_event_filter *f, char *err,
    size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind && *kind ? kind : NULL;
	f->target = target && *target ? target : NULL;
	f->limit = 100;
	if (since && *since && parse_since(since, now_ms, &f->since_ms) < 0) {
		snprintf(err, errlen,
		    "since: expected epoch milliseconds, an RFC 3339 UTC time "
		    "or a duration such as 1h, not '%.64s'",
		    since);
		return -EINVAL;
	}
	if (limit && *limit) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(limit, &end, 10);
		if (errno || *end || end == limit || v < 1 ||
		    v > EVENTS_LIMIT_MAX) {
			snprintf(err, errlen,
			    "limit: expected 1 to %d, not '%.32s'",
			    EVENTS_LIMIT_MAX, limit);
			return -EINVAL;
		}
		f->limit = (size_t)v;
	}
	return 0;
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int
add_cb(const struct db_event *e, void *arg)
{
	static const char *const sev[] = {"info", "warning", "critical"};
	json_t *list = arg, *o = json_object();
	char when[32];
	time_t t = (time_t)(e->time_ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) &&
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "time_ms", json_integer(e->time_ms));
	json_object_set_new(o, "target", str_or_null(e->target));
	json_object_set_new(o, "kind", str_or_null(e->kind));
	json_object_set_new(o, "component", str_or_null(e->component));
	json_object_set_new(o, "severity",
	    json_string((unsigned)e->severity < 3 ? sev[e->severity] : "?"));
	json_object_set_new(o, "before", str_or_null(e->before));
	json_object_set_new(o, "after", str_or_null(e->after));
	json_object_set_new(o, "message", str_or_null(e->message));
	json_array_append_new(list, o);
	return 0;
}

char *
events_json(struct db *db, const struct db_event_filter *f)
{
	json_t *root, *list = json_array();
	char *s;

	if (db_events_query(db, f, add_cb, list) < 0) {
		json_decref(list);
		return NULL;
	}
	root = json_object();
	json_object_set_new(root, "events", list);
	s = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(root);
	return s;
}
