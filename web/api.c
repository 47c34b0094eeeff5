// SPDX-License-Identifier: MIT
/*
 * The JSON API (/api/v1/...): targets, device and host views and the
 * overview are built from the latest-value cache, the target registry and
 * the inventory; /api/v1/series reads RRD history after flushing the file
 * so that its last point is the value the cache shows. Every parameter is
 * validated (params.c) and a bad one is a 400 that names it.
 */
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <rrd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "auth.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "firmware/report.h"
#include "params.h"
#include "rrd.h"
#include "targets.h"
#include "util.h"
#include "web.h"

#define SERIES_MAX_POINTS 20000
#define JCACHE_SLOTS 64

/*
 * Pages built from the cache alone are kept until the cache changes
 * (its generation moves on): between two collection runs every client
 * gets the same bytes without a walk of the cache. Entries are
 * reference-counted so a reply in flight outlives its replacement.
 */
struct jresp {
	atomic_int refs;
	int64_t building_ms; /* since when a newer page is built (jmu) */
	char *key;
	uint64_t gen;
	char *data;
	size_t len;
};

static struct jresp *jcache[JCACHE_SLOTS];
static pthread_mutex_t jmu = PTHREAD_MUTEX_INITIALIZER;

static void
jresp_unref(void *p)
{
	struct jresp *j = p;

	if (j && atomic_fetch_sub(&j->refs, 1) == 1) {
		free(j->key);
		free(j->data);
		free(j);
	}
}

static int
jresp_send(struct http_req *r, struct jresp *j)
{
	struct http_body b = {0};

	b.data = j->data;
	b.len = j->len;
	b.release = jresp_unref;
	b.cls = j;
	b.max_age = -1;
	b.compress = 1;
	return http_send(r, MHD_HTTP_OK, "application/json", &b);
}

/* Serve key from the cache if still current; 1 when answered. */
static int
jcache_serve(struct http_req *r, const char *key, uint64_t gen, int *ret)
{
	uint64_t h = hash_bytes(key, strlen(key), 0) % JCACHE_SLOTS;
	struct jresp *j;

	/*
	 * A page of the current generation, or, while another request builds
	 * that one, the previous page (one collection run old at most): the
	 * clients of a busy page must not all rebuild it at once.
	 */
	pthread_mutex_lock(&jmu);
	j = jcache[h];
	if (j && strcmp(j->key, key) == 0) {
		int64_t now = mono_ms();

		/* A builder that gave up (an error page) is forgotten in 1 s.
		 */
		if (j->gen == gen || now - j->building_ms < 1000) {
			atomic_fetch_add(&j->refs, 1);
		} else {
			j->building_ms = now;
			j = NULL;
		}
	} else {
		j = NULL;
	}
	pthread_mutex_unlock(&jmu);
	if (j == NULL)
		return 0;
	*ret = jresp_send(r, j);
	return 1;
}

/* Reply with out (stolen) and keep it for key at generation gen. */
static int
jcache_reply(struct http_req *r, const char *key, uint64_t gen, json_t *out)
{
	uint64_t h = hash_bytes(key, strlen(key), 0) % JCACHE_SLOTS;
	struct jresp *j, *old;
	char *s = json_dumps(out, JSON_COMPACT);

	json_decref(out);
	if (s == NULL)
		return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
		    "cannot encode JSON");
	j = xcalloc(1, sizeof(*j));
	j->len = strlen(s);
	j->data = xrealloc(s, j->len + 2);
	j->data[j->len++] = '\n';
	j->data[j->len] = '\0';
	j->key = xstrdup(key);
	j->gen = gen;
	atomic_init(&j->refs, 2);
	pthread_mutex_lock(&jmu);
	old = jcache[h];
	jcache[h] = j;
	pthread_mutex_unlock(&jmu);
	jresp_unref(old);
	return jresp_send(r, j);
}

static json_t *
labels_json(const struct cp_label *l, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, l[i].key, json_string(l[i].value));
	return o;
}

/* A finite number, or null (JSON has no NaN). */
static json_t *
num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* -------------------------------------------------------- series lookup */

struct find {
	const struct cp_label *want;
	size_t nwant;
	int matches, exact;
	struct web_series *out;
};

static int
labels_include(
    const struct cache_series *s, const struct cp_label *want, size_t nwant)
{
	for (size_t i = 0; i < nwant; i++) {
		size_t j;

		for (j = 0; j < s->nlabels; j++)
			if (strcmp(s->labels[j].key, want[i].key) == 0)
				break;
		if (j == s->nlabels ||
		    strcmp(s->labels[j].value, want[i].value))
			return 0;
	}
	return 1;
}

static int
find_cb(const struct cache_series *s, void *arg)
{
	struct find *f = arg;
	int exact;

	if (!labels_include(s, f->want, f->nwant))
		return 0;
	exact = s->nlabels == f->nwant;
	f->matches++;
	if (f->matches > 1 && !(exact && !f->exact))
		return 0;
	if (exact)
		f->exact = 1;
	snprintf(f->out->rrd, sizeof(f->out->rrd), "%s", s->rrd ? s->rrd : "");
	f->out->value = s->is_counter ? (double)s->value_u64 : s->value;
	f->out->time_ms = s->time_ms;
	f->out->step_ms = s->step_ms;
	json_decref(f->out->labels);
	f->out->labels = labels_json(s->labels, s->nlabels);
	return 0;
}

int
web_find_series(struct cache *c, const char *target, const char *metric,
    const struct cp_label *labels, size_t nlabels, struct web_series *out)
{
	struct find f = {labels, nlabels, 0, 0, out};

	memset(out, 0, sizeof(*out));
	cache_foreach(c, target, metric, find_cb, &f);
	if (f.matches == 0)
		return -ENOENT;
	if (f.matches > 1 && !f.exact) {
		json_decref(out->labels);
		out->labels = NULL;
		return -E2BIG;
	}
	return 0;
}

/* ------------------------------------------------------------- targets */

static const char *
target_state(const struct cp_target_status *st)
{
	if (st->up)
		return "up";
	return st->last_poll_ms == 0 ? "pending" : "down";
}

static json_t *
target_json(const struct cp_target_status *st)
{
	json_t *o = json_object(), *info = json_object();

	json_object_set_new(o, "name", json_string(st->target));
	json_object_set_new(o, "kind", json_string("device"));
	json_object_set_new(
	    o, "role", st->role ? json_string(st->role) : json_null());
	json_object_set_new(o, "state", json_string(target_state(st)));
	json_object_set_new(o, "up", json_boolean(st->up));
	json_object_set_new(
	    o, "reason", st->reason ? json_string(st->reason) : json_null());
	json_object_set_new(o, "last_poll_ms", json_integer(st->last_poll_ms));
	json_object_set_new(
	    o, "last_success_ms", json_integer(st->last_success_ms));
	json_object_set_new(o, "poll_seconds", num(st->poll_seconds));
	for (size_t i = 0; i < st->ninfo; i++)
		json_object_set_new(
		    info, st->info[i].key, json_string(st->info[i].value));
	json_object_set_new(o, "info", info);
	return o;
}

static int
targets_cb(const struct cp_target_status *st, void *arg)
{
	json_array_append_new(arg, target_json(st));
	return 0;
}

/* Series counts and newest sample per target. */
static int
count_cb(const struct cache_series *s, void *arg)
{
	json_t *counts = arg, *o = json_object_get(counts, s->target);

	if (o == NULL) {
		o = json_pack("{s:I,s:I}", "series", (json_int_t)0, "last_ms",
		    (json_int_t)0);
		json_object_set_new(counts, s->target, o);
	}
	json_object_set_new(o, "series",
	    json_integer(json_integer_value(json_object_get(o, "series")) + 1));
	if (s->time_ms > json_integer_value(json_object_get(o, "last_ms")))
		json_object_set_new(o, "last_ms", json_integer(s->time_ms));
	return 0;
}

static int
h_targets(struct http_req *r)
{
	struct agent *a = r->deps->agent;
	const struct config *cfg = agent_config(a);
	json_t *arr = json_array(), *counts = json_object(), *v;
	const char *host = cfg->agent.hostname;
	uint64_t gen = cache_generation(r->deps->cache);
	int have_host = 0, ret;
	size_t i;

	if (jcache_serve(r, r->url, gen, &ret)) {
		json_decref(arr);
		json_decref(counts);
		return ret;
	}
	targets_foreach(agent_targets(a), targets_cb, arr);
	cache_foreach(r->deps->cache, NULL, NULL, count_cb, counts);
	json_array_foreach(arr, i, v)
	{
		const char *n = json_string_value(json_object_get(v, "name"));
		json_t *c = json_object_get(counts, n);

		if (strcmp(n, host) == 0) {
			have_host = 1;
			json_object_set_new(v, "kind", json_string("host"));
		}
		json_object_set(v, "series",
		    c ? json_object_get(c, "series") : json_integer(0));
	}
	if (!have_host) {
		/* The local host is always there: the agent samples it. */
		json_t *c = json_object_get(counts, host);

		v = json_pack("{s:s,s:s,s:s,s:s,s:b,s:n,s:I,s:I,s:n,s:{}}",
		    "name", host, "kind", "host", "role", "host", "state", "up",
		    "up", 1, "reason", "last_poll_ms",
		    c ? json_integer_value(json_object_get(c, "last_ms")) : 0,
		    "last_success_ms",
		    c ? json_integer_value(json_object_get(c, "last_ms")) : 0,
		    "poll_seconds", "info");
		json_object_set(v, "series",
		    c ? json_object_get(c, "series") : json_integer(0));
		json_array_insert_new(arr, 0, v);
	}
	json_decref(counts);
	return jcache_reply(r, r->url, gen,
	    json_pack("{s:s,s:o}", "site", cfg->agent.name, "targets", arr));
}

/* --------------------------------------------------------------- device */

struct portmap {
	json_t *ports; /* ifindex -> object */
};

/* Published metric -> interface field, with a unit factor. */
static const struct {
	const char *metric;
	const char *field;
	double factor;
} port_fields[] = {
    {"if_speed_bps", "speed_bps", 1},
    {"if_admin_status", "admin_status", 1},
    {"if_oper_status", "oper_status", 1},
    /* snmp_if publishes octets (bytes/s); bits kept for other sources */
    {"if_in_octets_per_second", "in_bps", 8},
    {"if_out_octets_per_second", "out_bps", 8},
    {"if_in_bits_per_second", "in_bps", 1},
    {"if_out_bits_per_second", "out_bps", 1},
    {"if_in_util_ratio", "in_util", 1},
    {"if_out_util_ratio", "out_util", 1},
    {"if_in_errors_per_second", "in_errors_ps", 1},
    {"if_out_errors_per_second", "out_errors_ps", 1},
    {"if_in_discards_per_second", "in_discards_ps", 1},
    {"if_out_discards_per_second", "out_discards_ps", 1},
};

static const char *
label_of(const struct cache_series *s, const char *key)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[i].key, key) == 0)
			return s->labels[i].value;
	return NULL;
}

static json_t *
port_get(json_t *ports, const char *ifindex, const char *ifname)
{
	json_t *p = json_object_get(ports, ifindex);

	if (p == NULL) {
		char *end;
		long idx = strtol(ifindex, &end, 10);

		p = json_object();
		json_object_set_new(p, "ifindex",
		    *end == '\0' ? json_integer(idx) : json_string(ifindex));
		json_object_set_new(
		    p, "name", json_string(ifname ? ifname : ""));
		json_object_set_new(p, "alias", json_string(""));
		json_object_set_new(p, "type", json_null());
		for (size_t i = 0; i < ARRAY_SIZE(port_fields); i++)
			json_object_set_new(
			    p, port_fields[i].field, json_null());
		json_object_set_new(ports, ifindex, p);
	}
	return p;
}

static int
port_cb(const struct cache_series *s, void *arg)
{
	struct portmap *m = arg;
	const char *idx = label_of(s, "ifindex");
	json_t *p;

	if (idx == NULL)
		return 0;
	p = port_get(m->ports, idx, label_of(s, "ifname"));
	if (strcmp(s->metric, "if_info") == 0) {
		const char *alias = label_of(s, "alias");
		const char *type = label_of(s, "type");

		json_object_set_new(
		    p, "alias", json_string(alias ? alias : ""));
		if (type) {
			char *end;
			long t = strtol(type, &end, 10);

			json_object_set_new(p, "type",
			    *end == '\0' ? json_integer(t) : json_string(type));
		}
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(port_fields); i++)
		if (strcmp(s->metric, port_fields[i].metric) == 0)
			json_object_set_new(p, port_fields[i].field,
			    num(s->value * port_fields[i].factor));
	return 0;
}

static int
port_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t i = json_integer_value(json_object_get(x, "ifindex"));
	json_int_t j = json_integer_value(json_object_get(y, "ifindex"));

	return i < j ? -1 : i > j;
}

static json_t *
ports_array(json_t *ports)
{
	size_t n = json_object_size(ports), k = 0;
	json_t **v = xcalloc(n ? n : 1, sizeof(*v)), *arr = json_array(), *p;
	const char *key;

	json_object_foreach(ports, key, p) { v[k++] = p; }
	qsort(v, k, sizeof(*v), port_cmp);
	for (size_t i = 0; i < k; i++)
		json_array_append(arr, v[i]);
	free(v);
	return arr;
}

static void
sys_cb(const struct cp_target_status *st, void *arg)
{
	json_t *o = arg;

	json_object_set_new(o, "target", target_json(st));
	for (size_t i = 0; i < st->ninfo; i++)
		json_object_set_new(
		    o, st->info[i].key, json_string(st->info[i].value));
}

static int
attr_is_int(const char *k)
{
	return strcmp(k, "index") == 0 || strcmp(k, "contained_in") == 0 ||
	       strcmp(k, "class_code") == 0;
}

static int
inv_cb(const char *target, const char *kind, const char *key,
    const struct cp_label *attrs, size_t n, void *arg)
{
	json_t *o = json_object();

	(void)target;
	(void)kind;
	json_object_set_new(o, "key", json_string(key));
	for (size_t i = 0; i < n; i++) {
		char *end;
		long long v = strtoll(attrs[i].value, &end, 10);

		if (attr_is_int(attrs[i].key) && *attrs[i].value &&
		    *end == '\0')
			json_object_set_new(o, attrs[i].key, json_integer(v));
		else
			json_object_set_new(
			    o, attrs[i].key, json_string(attrs[i].value));
	}
	json_array_append_new(arg, o);
	return 0;
}

static int
any_cb(const struct cache_series *s, void *arg)
{
	(void)s;
	*(int *)arg = 1;
	return 1;
}

static int
h_device(struct http_req *r)
{
	const char *name = r->url + strlen("/api/v1/devices/");
	struct agent *a = r->deps->agent;
	json_t *sys = json_object(), *inv = json_array(), *fw = json_array();
	struct portmap m = {json_object()};
	json_t *uptime, *out;
	uint64_t gen = cache_generation(r->deps->cache);
	int known = 0, ret;

	if (param_target(name) < 0) {
		json_decref(sys);
		json_decref(inv);
		json_decref(fw);
		json_decref(m.ports);
		return http_error(r, MHD_HTTP_BAD_REQUEST, "name",
		    "device name: letters, digits and ._:- only (1-128)");
	}
	if (jcache_serve(r, r->url, gen, &ret)) {
		json_decref(sys);
		json_decref(inv);
		json_decref(fw);
		json_decref(m.ports);
		return ret;
	}
	if (targets_get(agent_targets(a), name, sys_cb, sys) == 0)
		known = 1;
	if (!known)
		cache_foreach(r->deps->cache, name, NULL, any_cb, &known);
	if (!known) {
		json_decref(sys);
		json_decref(inv);
		json_decref(fw);
		json_decref(m.ports);
		return http_error(
		    r, MHD_HTTP_NOT_FOUND, "name", "no such device");
	}
	/* sys{} as issue 3 fixes it: strings, uptime_s a number. */
	static const char *const sys_keys[] = {
	    "descr", "name", "object_id", "version"};
	for (size_t i = 0; i < ARRAY_SIZE(sys_keys); i++)
		if (json_object_get(sys, sys_keys[i]) == NULL)
			json_object_set_new(sys, sys_keys[i], json_null());
	uptime = json_object_get(sys, "uptime_s");
	if (json_is_string(uptime)) {
		char *end;
		double u = strtod(json_string_value(uptime), &end);

		json_object_set_new(
		    sys, "uptime_s", *end == '\0' ? json_real(u) : json_null());
	} else if (uptime == NULL) {
		double v;

		json_object_set_new(sys, "uptime_s",
		    cache_get(r->deps->cache, name, "sys_uptime_seconds", NULL,
		        &v, NULL) == 0
		        ? json_real(v)
		        : json_null());
	}
	cache_foreach(r->deps->cache, name, "if_*", port_cb, &m);
	if (r->deps->db) {
		db_inventory_get(r->deps->db, name, "entity", inv_cb, inv);
		db_inventory_get(r->deps->db, name, "firmware", inv_cb, fw);
	}
	out = json_object();
	json_object_set_new(out, "name", json_string(name));
	json_object_set_new(out, "target",
	    json_incref(json_object_get(sys, "target"))
	        ?: json_pack("{s:s,s:s,s:s}", "name", name, "kind", "host",
	               "state", "up"));
	json_object_del(sys, "target");
	json_object_set_new(out, "sys", sys);
	json_object_set_new(out, "interfaces", ports_array(m.ports));
	json_object_set_new(out, "inventory", inv);
	json_object_set_new(out, "firmware", fw);
	json_decref(m.ports);
	return jcache_reply(r, r->url, gen, out);
}

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
	json_object_set_new(o, "labels", labels_json(s->labels, s->nlabels));
	json_object_set_new(o, "value",
	    s->is_counter ? json_integer((json_int_t)s->value_u64)
	                  : num(s->value));
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

static int
h_metrics_list(struct http_req *r)
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
	if (jcache_serve(r, key, gen, &ret)) {
		json_decref(l.arr);
		return ret;
	}
	cache_foreach(r->deps->cache, target, metric, list_cb, &l);
	return jcache_reply(r, key, gen,
	    json_pack("{s:o,s:b}", "series", sorted(l.arr), "truncated",
	        l.truncated));
}

/* ---------------------------------------------------------------- series */

static const char *const cf_names[] = {"AVERAGE", "MAX", NULL};

static int
h_series(struct http_req *r)
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
		json_array_append_new(pts,
		    json_pack("[I,o]", (json_int_t)t, num(data[i * ncols])));
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
	    num(ws.value), "time_ms", (json_int_t)ws.time_ms);
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

static int
h_events(struct http_req *r)
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
	inv_cb(target, kind, key, attrs, n, t);
	return 0;
}

static int
h_firmware(struct http_req *r)
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
	cfg = r->deps->agent ? agent_config(r->deps->agent) : NULL;
	report =
	    r->deps->db ? firmware_api_report(r->deps->db, cfg, NULL) : NULL;
	return web_json(r, MHD_HTTP_OK,
	    json_pack("{s:o,s:o,s:o}", "targets", arr, "changes", changes,
	        "baseline", report ? report : json_null()));
}

/* -------------------------------------------------------------- overview */

/*
 * Until the bottleneck engine lands, the overview ranks what the cache
 * already knows: ports by utilisation, hosts by the worst of CPU busy,
 * memory used, pressure (PSI) and disk utilisation.
 */
struct over {
	json_t *ports; /* "target\1ifindex" -> object */
	json_t *hosts; /* target -> object */
};

static const char *const host_signals[] = {"cpu_busy_ratio",
    "memory_used_ratio", "psi_cpu_some_ratio", "psi_memory_some_ratio",
    "psi_memory_full_ratio", "psi_io_some_ratio", "psi_io_full_ratio",
    "disk_util_ratio", "swap_used_ratio", NULL};

static int
over_cb(const struct cache_series *s, void *arg)
{
	struct over *o = arg;
	char key[512];
	json_t *p, *cur;
	int in;

	if (!isfinite(s->value))
		return 0;
	if ((in = strcmp(s->metric, "if_in_util_ratio") == 0) ||
	    strcmp(s->metric, "if_out_util_ratio") == 0) {
		const char *idx = label_of(s, "ifindex");
		const char *name = label_of(s, "ifname");

		snprintf(
		    key, sizeof(key), "%s\001%s", s->target, idx ? idx : "");
		p = json_object_get(o->ports, key);
		if (p == NULL) {
			p = json_pack("{s:s,s:s,s:s,s:n,s:n}", "target",
			    s->target, "ifname", name ? name : "", "ifindex",
			    idx ? idx : "", "in_util", "out_util");
			json_object_set_new(o->ports, key, p);
		}
		json_object_set_new(
		    p, in ? "in_util" : "out_util", json_real(s->value));
		return 0;
	}
	if (param_choice(s->metric, host_signals) < 0)
		return 0;
	p = json_object_get(o->hosts, s->target);
	if (p == NULL) {
		p = json_pack("{s:s,s:f,s:s,s:{}}", "target", s->target,
		    "pressure", -1.0, "worst", "", "signals");
		json_object_set_new(o->hosts, s->target, p);
	}
	/* Per-CPU and per-disk series: keep the worst instance. */
	cur = json_object_get(json_object_get(p, "signals"), s->metric);
	if (cur == NULL || json_real_value(cur) < s->value)
		json_object_set_new(json_object_get(p, "signals"), s->metric,
		    json_real(s->value));
	if (s->value > json_real_value(json_object_get(p, "pressure"))) {
		json_object_set_new(p, "pressure", json_real(s->value));
		json_object_set_new(p, "worst", json_string(s->metric));
	}
	return 0;
}

static double
port_util(json_t *p)
{
	double a = json_real_value(json_object_get(p, "in_util"));
	double b = json_real_value(json_object_get(p, "out_util"));

	return a > b ? a : b;
}

static int
util_cmp(const void *a, const void *b)
{
	double x = port_util(*(json_t *const *)a);
	double y = port_util(*(json_t *const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

static int
pressure_cmp(const void *a, const void *b)
{
	double x =
	    json_real_value(json_object_get(*(json_t *const *)a, "pressure"));
	double y =
	    json_real_value(json_object_get(*(json_t *const *)b, "pressure"));

	return x < y ? 1 : x > y ? -1 : 0;
}

static json_t *
top(json_t *obj, int (*cmp)(const void *, const void *), size_t max)
{
	size_t n = json_object_size(obj), k = 0;
	json_t **v = xcalloc(n ? n : 1, sizeof(*v)), *arr = json_array(), *p;
	const char *key;

	json_object_foreach(obj, key, p) { v[k++] = p; }
	qsort(v, k, sizeof(*v), cmp);
	for (size_t i = 0; i < k && i < max; i++)
		json_array_append(arr, v[i]);
	free(v);
	return arr;
}

static int
h_overview(struct http_req *r)
{
	struct over o = {json_object(), json_object()};
	uint64_t gen = cache_generation(r->deps->cache);
	json_t *out;
	int ret;

	if (jcache_serve(r, r->url, gen, &ret)) {
		json_decref(o.ports);
		json_decref(o.hosts);
		return ret;
	}
	cache_foreach(r->deps->cache, NULL, NULL, over_cb, &o);
	out = json_pack("{s:o,s:o,s:b,s:b}", "ports",
	    top(o.ports, util_cmp, 10), "hosts", top(o.hosts, pressure_cmp, 10),
	    "bottlenecks_api", http_route_exists("/api/v1/bottlenecks"),
	    "alerts_api", http_route_exists("/api/v1/alerts"));
	json_decref(o.ports);
	json_decref(o.hosts);
	return jcache_reply(r, r->url, gen, out);
}

static const char *const role_names[] = {"none", "read", "admin"};

static int
h_whoami(struct http_req *r)
{
	return web_json(r, MHD_HTTP_OK,
	    json_pack("{s:o,s:s}", "user",
	        r->user ? json_string(r->user) : json_null(), "role",
	        role_names[r->role >= 0 && r->role <= 2 ? r->role : 0]));
}

/* Internals (paths, queue sizes) are for admins only. */
static int
h_admin_stats(struct http_req *r)
{
	struct cache_stats cs;
	struct store_stats ss = {0};
	const struct config *cfg = agent_config(r->deps->agent);

	if (r->role < AUTH_ADMIN)
		return http_error(r, MHD_HTTP_FORBIDDEN, "Authorization",
		    "admin role required");
	cache_get_stats(r->deps->cache, &cs);
	if (r->deps->store)
		store_get_stats(r->deps->store, &ss);
	return web_json(r, MHD_HTTP_OK,
	    json_pack("{s:s,s:I,s:{s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I}}",
	        "data_dir", cfg->agent.data_dir, "uptime_ms",
	        (json_int_t)(now_ms() - r->deps->started_ms), "cache", "series",
	        (json_int_t)cs.series, "samples_total",
	        (json_int_t)cs.samples_total, "resets_total",
	        (json_int_t)cs.resets_total, "rrd", "pending",
	        (json_int_t)ss.pending, "written_total",
	        (json_int_t)ss.written_total, "write_errors",
	        (json_int_t)ss.write_errors, "dropped_total",
	        (json_int_t)ss.dropped_total));
}

void
api_register(void)
{
	static const struct http_route v[] = {
	    {"/api/v1/targets", h_targets, 0},
	    {"/api/v1/devices/", h_device, 0},
	    {"/api/v1/metrics", h_metrics_list, 0},
	    {"/api/v1/series", h_series, 0},
	    {"/api/v1/events", h_events, 0},
	    {"/api/v1/firmware", h_firmware, 0},
	    {"/api/v1/overview", h_overview, 0},
	    {"/api/v1/whoami", h_whoami, 0},
	    {"/api/v1/admin/stats", h_admin_stats, 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (!http_route_exists(v[i].path))
			http_route_add(v[i].path, v[i].fn);
}

int
web_json(struct http_req *r, unsigned status, json_t *j)
{
	size_t len;
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (s == NULL)
		return http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
		    "cannot encode JSON");
	len = strlen(s);
	s = xrealloc(s, len + 2);
	s[len++] = '\n';
	s[len] = '\0';
	return http_reply_owned(r, status, "application/json", s, len);
}
