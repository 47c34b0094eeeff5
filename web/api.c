// SPDX-License-Identifier: MIT
/*
 * The JSON API (/api/v1/...): the route table, the targets list, whoami
 * and admin stats, and what the other api_*.c files share: the page cache
 * keyed by the cache generation and the series lookup. Device and
 * overview pages are built in api_device.c, history in api_history.c.
 * Every parameter is validated (params.c) and a bad one is a 400 that
 * names it.
 */
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "api_priv.h"
#include "auth.h"
#include "cache.h"
#include "config.h"
#include "rrd.h"
#include "targets.h"
#include "util.h"
#include "web.h"

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
int
api_jcache_serve(struct http_req *r, const char *key, uint64_t gen, int *ret)
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
int
api_jcache_reply(struct http_req *r, const char *key, uint64_t gen, json_t *out)
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

json_t *
api_labels_json(const struct cp_label *l, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, l[i].key, json_string(l[i].value));
	return o;
}

/* A finite number, or null (JSON has no NaN). */
json_t *
api_num(double v)
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
	f->out->labels = api_labels_json(s->labels, s->nlabels);
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

json_t *
api_target_json(const struct cp_target_status *st)
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
	json_object_set_new(o, "poll_seconds", api_num(st->poll_seconds));
	for (size_t i = 0; i < st->ninfo; i++)
		json_object_set_new(
		    info, st->info[i].key, json_string(st->info[i].value));
	json_object_set_new(o, "info", info);
	return o;
}

static int
targets_cb(const struct cp_target_status *st, void *arg)
{
	json_array_append_new(arg, api_target_json(st));
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
	const struct config *cfg = r->cfg;
	json_t *arr = json_array(), *counts = json_object(), *v;
	const char *host = cfg->agent.hostname;
	uint64_t gen = cache_generation(r->deps->cache);
	int have_host = 0, ret;
	size_t i;

	if (api_jcache_serve(r, r->url, gen, &ret)) {
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
	return api_jcache_reply(r, r->url, gen,
	    json_pack("{s:s,s:o}", "site", cfg->agent.name, "targets", arr));
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
	const struct config *cfg = r->cfg;

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
	    {"/api/v1/devices/", api_device, 0},
	    {"/api/v1/metrics", api_metrics_list, 0},
	    {"/api/v1/series", api_series, 0},
	    {"/api/v1/events", api_events, 0},
	    {"/api/v1/firmware", api_firmware, 0},
	    {"/api/v1/overview", api_overview, 0},
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