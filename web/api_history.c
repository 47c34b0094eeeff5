// SPDX-License-Identifier: MIT
/*
 * The API's history and lists: /api/v1/metrics (every series in the
 * cache), /api/v1/series (RRD history, read after flushing the file so
 * that its last point is the value the cache shows), /api/v1/events and
 * /api/v1/firmware (the event and inventory database).
 */
#include <errno.h>
#include <microhttpd.h>
#include <rrd.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "api_priv.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "firmware/report.h"
#include "params.h"
#include "rrd.h"
#include "util.h"
#include "web.h"

#define SERIES_MAX_POINTS 20000

/* -------------------------------------------------------- every series */

struct list {
	json_t *arr;
	size_t max;
	int truncated;
};

static int
list_cb(const struct cache_series *s, void *arg)
{
	struct list *l = arg;
	json_t *o;

	if (json_array_size(l->arr) >= l->max) {
		l->truncated = 1;
		return 1;
	}
	o = json_object();
	json_object_set_new(o, "target", json_string(s->target));
	json_object_set_new(o, "metric", json_string(s->metric));
	json_object_set_new(
	    o, "labels", api_labels_json(s->labels, s->nlabels));
	json_object_set_new(o, "value",
	    s->is_counter ? json_integer((json_int_t)s->value_u64)
	                  : api_num(s->value));
	json_object_set_new(
	    o, "kind", json_string(s->is_counter ? "counter" : "gauge"));
	json_object_set_new(o, "time_ms", json_integer(s->time_ms));
	json_object_set_new(o, "step_ms", json_integer(s->step_ms));
	json_object_set_new(o, "history", json_boolean(s->rrd != NULL));
	if (s->help)
		json_object_set_new(o, "help", json_string(s->help));
	json_array_append_new(l->arr, o);
	return 0;
}

static int
series_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "target")),
	    json_string_value(json_object_get(y, "target")));
	char *lx, *ly;

	if (c)
		return c;
	c = strcmp(json_string_value(json_object_get(x, "metric")),
	    json_string_value(json_object_get(y, "metric")));
	if (c)
		return c;
	lx = json_dumps(json_object_get(x, "labels"), JSON_SORT_KEYS);
	ly = json_dumps(json_object_get(y, "labels"), JSON_SORT_KEYS);
	c = strcmp(lx, ly);
	free(lx);
	free(ly);
	return c;
}

static json_t *
sorted(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = xcalloc(n ? n : 1, sizeof(*v)), *out = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), series_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

/* A metric filter: a name, or a name prefix ending in '*'. */
static int
metric_filter_ok(const char *m)
{
	char buf[160];
	size_t n = strlen(m);

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, m, n + 1);
	if (buf[n - 1] == '*') {
		if (n == 1)
			return 1;
		buf[n - 1] = '\0';
	}
	return param_metric(buf) == 0;
}

int
api_metrics_list(struct http_req *r)
{
	const char *target = http_arg(r, "target");
	const char *metric = http_arg(r, "metric");
	const char *lim = http_arg(r, "limit");
	struct list l = {json_array(), 50000, 0};
	char key[512];
	uint64_t gen;
	int64_t v;
	int ret;

	if (target && param_target(target) < 0) {
		json_decref(l.arr);
		return http_error(r, MHD_HTTP_BAD_REQUEST, "target",
		    "target: letters, digits and ._:- only (1-128)");
	}
	if (metric && !metric_filter_ok(metric)) {
		json_decref(l.arr);
		return http_error(r, MHD_HTTP_BAD_REQUEST, "metric",
		    "metric: a metric name or a prefix ending in '*'");
	}
	if (lim) {
		if (param_int(lim, 1, 50000, &v) < 0) {
			json_decref(l.arr);
			return http_error(r, MHD_HTTP_BAD_REQUEST, "limit",
			    "limit: an integer from 1 to 50000");
		}
		l.max = (size_t)v;
	}
	gen = cache_generation(r->deps->cache);
	snprintf(key, sizeof(key), "%s?%s&%s&%zu", r->url, target ? target : "",
	    metric ? metric : "", l.max);
	if (api_jcache_serve(r, key, gen, &ret)) {
		json_decref(l.arr);
		return ret;
	}
	cache_foreach(r->deps->cache, target, metric, list_cb, &l);
	return api_jcache_reply(r, key, gen,
	    json_pack("{s:o,s:b}", "series", sorted(l.arr), "truncated",
	        l.truncated));
}

/* ---------------------------------------------------------------- series */

static const char *const cf_names[] = {"AVERAGE", "MAX", NULL};

int
api_series(struct http_req *r)
{
	const char *target = http_arg(r, "target");
	const char *metric = http_arg(r, "metric");
	const char *labels = http_arg(r, "labels");
	const char *from = http_arg(r, "from"), *to = http_arg(r, "to");
	const char *steps = http_arg(r, "step"), *cfs = http_arg(r, "cf");
	struct cp_label l[PARAM_MAX_LABELS];
	char lbuf[PARAM_MAX_LEN + 1], path[4096];
	struct web_series ws;
	int64_t now = now_ms() / 1000, start, end, step = 0;
	time_t fs, fe;
	unsigned long fstep, ncols;
	char **names = NULL;
	rrd_value_t *data = NULL;
	const char *cf = "AVERAGE";
	size_t nl;
	json_t *pts, *out;
	int rc;

	if (param_target(target) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "target",
		    "target is required: letters, digits and ._:- (1-128)");
	if (param_metric(metric) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "metric",
		    "metric is required: a metric name");
	if (param_labels(labels, l, PARAM_MAX_LABELS, &nl, lbuf, sizeof(lbuf)) <
	    0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "labels",
		    "labels: k=v pairs separated by ',' (at most 16)");
	if (cfs && (rc = param_choice(cfs, cf_names)) < 0)
		return http_error(
		    r, MHD_HTTP_BAD_REQUEST, "cf", "cf: AVERAGE or MAX");
	if (cfs)
		cf = cf_names[rc];
	if (steps && param_int(steps, 1, 86400 * 366, &step) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "step",
		    "step: seconds, 1 to 31622400");
	rc = web_find_series(r->deps->cache, target, metric, l, nl, &ws);
	if (rc == -ENOENT)
		return http_error(
		    r, MHD_HTTP_NOT_FOUND, "metric", "no such series");
	if (rc == -E2BIG)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "labels",
		    "several series match: give labels that pick one");
	if (ws.rrd[0] == '\0' || r->deps->store == NULL) {
		json_decref(ws.labels);
		return http_error(r, MHD_HTTP_NOT_FOUND, "metric",
		    "this series keeps no history (raw counter)");
	}
	/* The last point ends at the cache's current value. */
	end = ws.time_ms / 1000;
	start = end - 3600;
	if (to && param_time(to, now, &end) < 0) {
		json_decref(ws.labels);
		return http_error(r, MHD_HTTP_BAD_REQUEST, "to",
		    "to: now, now-DURATION, -DURATION or Unix seconds");
	}
	if (from && param_time(from, now, &start) < 0) {
		json_decref(ws.labels);
		return http_error(r, MHD_HTTP_BAD_REQUEST, "from",
		    "from: now, now-DURATION, -DURATION or Unix seconds");
	}
	if (to && end > ws.time_ms / 1000)
		end = ws.time_ms / 1000;
	if (start >= end) {
		json_decref(ws.labels);
		return http_error(
		    r, MHD_HTTP_BAD_REQUEST, "from", "from must be before to");
	}
	store_flush_file(r->deps->store, ws.rrd);
	store_file(r->deps->store, ws.rrd, path, sizeof(path));
	fs = (time_t)start;
	fe = (time_t)end;
	fstep = step ? (unsigned long)step : 1;
	if (rrd_fetch_r(path, cf, &fs, &fe, &fstep, &ncols, &names, &data) !=
	    0) {
		json_decref(ws.labels);
		return http_error(r, MHD_HTTP_NOT_FOUND, "metric",
		    "no history yet for this series");
	}
	pts = json_array();
	/* Rows end at fs + k*step; fetch adds one past our end: drop it. */
	for (time_t t = fs + (time_t)fstep, i = 0;
	     t <= fe && (t < end + (time_t)fstep) &&
	     json_array_size(pts) < SERIES_MAX_POINTS;
	     t += (time_t)fstep, i++)
		json_array_append_new(pts, json_pack("[I,o]", (json_int_t)t,
		                               api_num(data[i * ncols])));
	for (unsigned long i = 0; i < ncols; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	out = json_pack("{s:s,s:s,s:o,s:s,s:I,s:I,s:I,s:o,s:{s:o,s:I}}",
	    "target", target, "metric", metric, "labels", ws.labels, "cf", cf,
	    "start", (json_int_t)fs, "end",
	    (json_int_t)(fe < end
	                     ? fe
	                     : (end / (time_t)fstep) * (time_t)fstep +
	                           (end % (time_t)fstep ? (time_t)fstep : 0)),
	    "step", (json_int_t)fstep, "points", pts, "current", "value",
	    api_num(ws.value), "time_ms", (json_int_t)ws.time_ms);
	return web_json(r, MHD_HTTP_OK, out);
}

/* ---------------------------------------------------------------- events */

static const char *const sev_names[] = {"info", "warning", "critical", NULL};

static int
event_cb(const struct db_event *e, void *arg)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "time_ms", json_integer(e->time_ms));
	json_object_set_new(o, "target", json_string(e->target));
	json_object_set_new(o, "kind", json_string(e->kind ? e->kind : ""));
	json_object_set_new(
	    o, "component", json_string(e->component ? e->component : ""));
	json_object_set_new(o, "severity",
	    json_string(e->severity >= 0 && e->severity <= 2
	                    ? sev_names[e->severity]
	                    : "info"));
	json_object_set_new(
	    o, "before", e->before ? json_string(e->before) : json_null());
	json_object_set_new(
	    o, "after", e->after ? json_string(e->after) : json_null());
	json_object_set_new(
	    o, "message", json_string(e->message ? e->message : ""));
	json_array_append_new(arg, o);
	return 0;
}

int
api_events(struct http_req *r)
{
	const char *kind = http_arg(r, "kind"), *target = http_arg(r, "target");
	const char *since = http_arg(r, "since"), *until = http_arg(r, "until");
	const char *lim = http_arg(r, "limit");
	struct db_event_filter f = {0};
	int64_t now = now_ms() / 1000, v;
	json_t *arr;
	int rc;

	if (kind && *kind && param_metric(kind) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "kind",
		    "kind: a word such as link, hotswap, ecc, firmware");
	if (target && *target && param_target(target) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "target",
		    "target: letters, digits and ._:- only (1-128)");
	if (since && *since) {
		if (param_time(since, now, &v) < 0)
			return http_error(r, MHD_HTTP_BAD_REQUEST, "since",
			    "since: now-DURATION, -DURATION or Unix seconds");
		f.since_ms = v * 1000;
	}
	if (until && *until) {
		if (param_time(until, now, &v) < 0)
			return http_error(r, MHD_HTTP_BAD_REQUEST, "until",
			    "until: now, now-DURATION, -DURATION or Unix "
			    "seconds");
		f.until_ms = v * 1000 + 999;
	}
	f.limit = 100;
	if (lim) {
		if (param_int(lim, 1, 1000, &v) < 0)
			return http_error(r, MHD_HTTP_BAD_REQUEST, "limit",
			    "limit: an integer from 1 to 1000");
		f.limit = (size_t)v;
	}
	f.kind = kind && *kind ? kind : NULL;
	f.target = target && *target ? target : NULL;
	arr = json_array();
	if (r->deps->db &&
	    (rc = db_events_query(r->deps->db, &f, event_cb, arr)) < 0) {
		json_decref(arr);
		if (rc == -EAGAIN)
			return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
			    "the event database cannot be opened now (disk "
			    "full?); events are kept and written once it can");
		return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
		    "event store unavailable");
	}
	return web_json(r, MHD_HTTP_OK, json_pack("{s:o}", "events", arr));
}

/* -------------------------------------------------------------- firmware */

static int
fw_cb(const char *target, const char *kind, const char *key,
    const struct cp_label *attrs, size_t n, void *arg)
{
	json_t *by = arg, *t = json_object_get(by, target);

	if (t == NULL) {
		t = json_array();
		json_object_set_new(by, target, t);
	}
	api_inv_cb(target, kind, key, attrs, n, t);
	return 0;
}

int
api_firmware(struct http_req *r)
{
	struct db_event_filter f = {0};
	json_t *by = json_object(), *changes = json_array(),
	       *arr = json_array();
	json_t *items, *report;
	const struct config *cfg;
	const char *t;

	if (r->deps->db) {
		db_inventory_get(r->deps->db, NULL, "firmware", fw_cb, by);
		f.kind = "firmware";
		f.limit = 200;
		db_events_query(r->deps->db, &f, event_cb, changes);
	}
	json_object_foreach(by, t, items)
	{
		json_array_append_new(
		    arr, json_pack("{s:s,s:O}", "target", t, "items", items));
	}
	json_decref(by);
	/* firmware/: per component baseline status (ok, drift, unchecked),
	 * first-seen times and the change log. */
	cfg = r->cfg;
	report =
	    r->deps->db ? firmware_api_report(r->deps->db, cfg, NULL) : NULL;
	return web_json(r, MHD_HTTP_OK,
	    json_pack("{s:o,s:o,s:o}", "targets", arr, "changes", changes,
	        "baseline", report ? report : json_null()));
}
