// SPDX-License-Identifier: MIT
/*
 * /graph/TARGET/METRIC.png|svg?labels=..&from=..&to=..&w=..&h=..&cf=..
 * &theme=light|dark: one series drawn by librrd's rrd_graph (AVERAGE area,
 * MAX line, 95th percentile line, capacity line at the port speed or at
 * 100% for ratios). The RRD file is flushed first and the graph ends at
 * the series' last update, so its last point is the cache's current
 * value. Rendered images are cached until the series gets a new value (at
 * most one step) and served with an ETag.
 */
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <rrd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "params.h"
#include "rrd.h"
#include "rrdgraph.h"
#include "util.h"
#include "web.h"

#define GCACHE_SLOTS 256

struct gimg {
	atomic_int refs;
	int64_t rendering_ms; /* since when a newer one is drawn (gmu) */
	char *key;
	char *data;
	size_t len;
	char etag[24];
	int64_t series_ms; /* the series' last update it was drawn with */
	int64_t made_ms;
	int64_t step_ms;
	char area[128]; /* plot area and time span, for zooming */
};

static struct gimg *gcache[GCACHE_SLOTS];
static pthread_mutex_t gmu = PTHREAD_MUTEX_INITIALIZER;
/* rrd_graph keeps global state while it parses and draws. */
static pthread_mutex_t rrd_mu = PTHREAD_MUTEX_INITIALIZER;

static void
gimg_unref(void *p)
{
	struct gimg *g = p;

	if (g && atomic_fetch_sub(&g->refs, 1) == 1) {
		free(g->key);
		free(g->data);
		free(g);
	}
}

/*
 * The image for key. series_ms < 0: only if the series cannot have a new
 * value yet (less than a step since the one drawn), without asking the
 * cache; else only if it was drawn with that last value.
 */
static struct gimg *
gcache_get(const char *key, int64_t series_ms)
{
	uint64_t h = hash_bytes(key, strlen(key), 0);
	int64_t now = now_ms();
	struct gimg *g;

	pthread_mutex_lock(&gmu);
	g = gcache[h % GCACHE_SLOTS];
	if (g && strcmp(g->key, key) == 0 &&
	    (series_ms < 0
	            ? now < g->series_ms + g->step_ms
	            : g->series_ms == series_ms &&
	                  mono_ms() - g->made_ms < 2 * g->step_ms + 1000))
		atomic_fetch_add(&g->refs, 1);
	else
		g = NULL;
	pthread_mutex_unlock(&gmu);
	return g;
}

/*
 * When the cached image for key is out of date: if another request is
 * already drawing its successor, return the old one (one step stale at
 * most) instead of drawing it again: a page of 32 clients must not queue
 * 32 identical renders. Otherwise claim the drawing and return NULL.
 */
static struct gimg *
gcache_stale_or_claim(const char *key)
{
	uint64_t h = hash_bytes(key, strlen(key), 0);
	struct gimg *g;

	pthread_mutex_lock(&gmu);
	g = gcache[h % GCACHE_SLOTS];
	if (g && strcmp(g->key, key) == 0) {
		int64_t now = mono_ms();

		/* A drawing that takes over 5 s is given up on. */
		if (now - g->rendering_ms < 5000) {
			atomic_fetch_add(&g->refs, 1);
		} else {
			g->rendering_ms = now;
			g = NULL;
		}
	} else {
		g = NULL;
	}
	pthread_mutex_unlock(&gmu);
	return g;
}

/* The drawing claimed for key failed: let the next request try. */
static void
gcache_unclaim(const char *key)
{
	uint64_t h = hash_bytes(key, strlen(key), 0);
	struct gimg *g;

	pthread_mutex_lock(&gmu);
	g = gcache[h % GCACHE_SLOTS];
	if (g && strcmp(g->key, key) == 0)
		g->rendering_ms = 0;
	pthread_mutex_unlock(&gmu);
}

static void
gcache_put(struct gimg *g)
{
	uint64_t h = hash_bytes(g->key, strlen(g->key), 0);
	struct gimg *old;

	atomic_fetch_add(&g->refs, 1);
	pthread_mutex_lock(&gmu);
	old = gcache[h % GCACHE_SLOTS];
	gcache[h % GCACHE_SLOTS] = g;
	pthread_mutex_unlock(&gmu);
	gimg_unref(old);
}

/* DEF paths: ':' separates rrd_graph's fields, so escape it. */
static void
def_path(const char *path, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = path; *p && o + 2 < size; p++) {
		if (*p == ':' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o] = '\0';
}

struct gopts {
	const char *target, *metric;
	const struct cp_label *labels;
	size_t nlabels;
	int svg, dark, cf; /* cf: 0 both, 1 AVERAGE, 2 MAX */
	int64_t start, end, w, h;
	double current;  /* the cache's value */
	double capacity; /* NAN: none */
};

static int
capacity_of(struct cache *c, const struct gopts *o, double *cap)
{
	struct web_series sp;
	struct cp_label l[1];
	size_t n = strlen(o->metric);

	if (n > 6 && strcmp(o->metric + n - 6, "_ratio") == 0) {
		*cap = 1;
		return 0;
	}
	/* Port traffic: the line rate (bit/s; octets are drawn as bits). */
	if (strcmp(o->metric, "if_in_bits_per_second") != 0 &&
	    strcmp(o->metric, "if_out_bits_per_second") != 0 &&
	    strcmp(o->metric, "if_in_octets_per_second") != 0 &&
	    strcmp(o->metric, "if_out_octets_per_second") != 0)
		return -ENOENT;
	for (size_t i = 0; i < o->nlabels; i++)
		if (strcmp(o->labels[i].key, "ifindex") == 0) {
			l[0] = o->labels[i];
			if (web_find_series(
			        c, o->target, "if_speed_bps", l, 1, &sp) == 0) {
				json_decref(sp.labels);
				if (sp.value > 0) {
					*cap = sp.value;
					return 0;
				}
			}
		}
	return -ENOENT;
}

/* 1.23 k / M / G..., as rrdtool's %s would, for a COMMENT. */
static const char *
si(double v, char *buf, size_t size)
{
	static const char pre[] = " kMGTPE";
	size_t i = 0;

	if (!isfinite(v)) {
		snprintf(buf, size, "-");
		return buf;
	}
	while (fabs(v) >= 1000 && i + 1 < sizeof(pre) - 1) {
		v /= 1000;
		i++;
	}
	snprintf(buf, size, "%.2f%c", v, pre[i]);
	return buf;
}

static char *
render(const char *path, const struct gopts *o, size_t *len, char *area,
    char *err, size_t errlen)
{
	static const char *const geo[] = {"graph_left", "graph_top",
	    "graph_width", "graph_height", "graph_start", "graph_end"};
	long long gv[6] = {0};
	char(*a)[4400];
	char *argv[64], title[512], ep[4300], nowbuf[32];
	int n = 0, ratio, octets, scale;
	size_t ml = strlen(o->metric);
	rrd_info_t *info, *i;
	char *out = NULL;

	if (rrdgraph_load(err, errlen) < 0)
		return NULL;
	a = xcalloc(64, sizeof(*a));

#define ARG(...) snprintf(a[n], sizeof(a[n]), __VA_ARGS__), n++
	ratio = ml > 6 && strcmp(o->metric + ml - 6, "_ratio") == 0;
	/* Ratios in %, octet rates in bit/s as operators read them. */
	octets = strstr(o->metric, "octets_per_second") != NULL;
	scale = ratio ? 100 : octets ? 8 : 1;
	def_path(path, ep, sizeof(ep));
	snprintf(title, sizeof(title), "%s %s", o->target, o->metric);
	for (size_t k = 0; k < o->nlabels; k++) {
		size_t tl = strlen(title);

		snprintf(title + tl, sizeof(title) - tl, "%s%s=%s",
		    k ? "," : " {", o->labels[k].key, o->labels[k].value);
		if (k + 1 == o->nlabels) {
			tl = strlen(title);
			snprintf(title + tl, sizeof(title) - tl, "}");
		}
	}
	ARG("graph");
	ARG("-");
	ARG("--imgformat=%s", o->svg ? "SVG" : "PNG");
	ARG("--start=%lld", (long long)o->start);
	ARG("--end=%lld", (long long)o->end);
	ARG("--width=%lld", (long long)o->w);
	ARG("--height=%lld", (long long)o->h);
	ARG("--title=%.300s", title);
	ARG("--disable-rrdtool-tag");
	ARG("--slope-mode");
	ARG("--lower-limit=0");
	if (ratio) {
		ARG("--vertical-label=%%");
		ARG("--units-exponent=0");
	} else {
		ARG("--vertical-label=%s",
		    strstr(o->metric, "bits") || octets ? "bit/s"
		    : strstr(o->metric, "bytes")        ? "bytes"
		                                        : o->metric);
	}
	if (o->dark) {
		ARG("--color=BACK#0d1117");
		ARG("--color=CANVAS#0d1117");
		ARG("--color=FONT#e6edf3");
		ARG("--color=AXIS#8b949e");
		ARG("--color=GRID#30363d");
		ARG("--color=MGRID#484f58");
		ARG("--color=FRAME#0d1117");
		ARG("--color=ARROW#8b949e");
		ARG("--color=SHADEA#0d1117");
		ARG("--color=SHADEB#0d1117");
	} else {
		ARG("--color=BACK#ffffff");
		ARG("--color=CANVAS#ffffff");
		ARG("--color=FONT#1f2328");
		ARG("--color=SHADEA#ffffff");
		ARG("--color=SHADEB#ffffff");
		ARG("--color=FRAME#ffffff");
	}
	ARG("DEF:ra=%s:value:AVERAGE", ep);
	ARG("DEF:rm=%s:value:MAX", ep);
	ARG("CDEF:avg=ra,%d,*", scale);
	ARG("CDEF:max=rm,%d,*", scale);
	ARG("VDEF:p95=%s,95,PERCENTNAN", o->cf == 1 ? "avg" : "max");
	if (o->cf != 2)
		ARG("AREA:avg#2f81f780:average");
	if (o->cf != 1)
		ARG("LINE1:max#f0883e:max");
	ARG("LINE1:p95#d29922:95th percentile:dashes");
	ARG("GPRINT:p95:%%.2lf%%s");
	if (isfinite(o->capacity))
		ARG("HRULE:%.6g#f85149:capacity",
		    o->capacity * (ratio ? 100 : 1));
	/* Headroom is the point: the capacity line is always in view. */
	if (isfinite(o->capacity))
		ARG("--upper-limit=%.6g", o->capacity * (ratio ? 100 : 1));
	/* "now" is the cache's value: what the pages show. */
	ARG("COMMENT:now %s", si(o->current * scale, nowbuf, sizeof(nowbuf)));
#undef ARG
	for (int k = 0; k < n; k++)
		argv[k] = a[k];
	pthread_mutex_lock(&rrd_mu);
	rrdgraph_clear_error();
	info = rrdgraph_graph_v(n, argv);
	for (i = info; i; i = i->next) {
		for (size_t k = 0; k < ARRAY_SIZE(geo); k++)
			if (strcmp(i->key, geo[k]) == 0)
				gv[k] = i->type == RD_I_CNT
				            ? (long long)i->value.u_cnt
				        : i->type == RD_I_VAL
				            ? (long long)i->value.u_val
				        : i->type == RD_I_INT ? i->value.u_int
				                              : 0;
		if (strcmp(i->key, "image") == 0 && i->type == RD_I_BLO) {
			out = xmalloc(
			    i->value.u_blo.size ? i->value.u_blo.size : 1);
			memcpy(out, i->value.u_blo.ptr, i->value.u_blo.size);
			*len = i->value.u_blo.size;
		}
	}
	snprintf(area, 128, "%lld,%lld,%lld,%lld,%lld,%lld", gv[0], gv[1],
	    gv[2], gv[3], gv[4], gv[5]);
	if (out == NULL)
		snprintf(err, errlen, "%s",
		    rrdgraph_test_error() ? rrdgraph_get_error() : "no image");
	rrdgraph_info_free(info);
	pthread_mutex_unlock(&rrd_mu);
	free(a);
	return out;
}

static const char *const cf_names[] = {"BOTH", "AVERAGE", "MAX", NULL};
static const char *const themes[] = {"light", "dark", NULL};

static int
bad(struct http_req *r, const char *param, const char *msg)
{
	return http_error(r, MHD_HTTP_BAD_REQUEST, param, msg);
}

static int
h_graph(struct http_req *r)
{
	char target[160], metric[160], lbuf[PARAM_MAX_LEN + 1], path[4096];
	char key[2048], err[512];
	struct cp_label l[PARAM_MAX_LABELS];
	struct gopts o = {0};
	struct web_series ws;
	struct http_body b = {0};
	struct gimg *g;
	const char *s;
	int64_t now = now_ms() / 1000, left;
	size_t nl;
	int rc;

	if (param_graph_path(r->url, target, sizeof(target), metric,
	        sizeof(metric), &o.svg) < 0)
		return bad(r, "path",
		    "graph path: /graph/TARGET/METRIC.png or "
		    ".svg (names: letters, digits, ._:-)");
	if (param_labels(http_arg(r, "labels"), l, PARAM_MAX_LABELS, &nl, lbuf,
	        sizeof(lbuf)) < 0)
		return bad(r, "labels", "labels: k=v pairs separated by ','");
	o.target = target;
	o.metric = metric;
	o.labels = l;
	o.nlabels = nl;
	o.w = 600;
	o.h = 160;
	if ((s = http_arg(r, "w")) && param_int(s, 100, 2000, &o.w) < 0)
		return bad(r, "w", "w: width in pixels, 100 to 2000");
	if ((s = http_arg(r, "h")) && param_int(s, 50, 800, &o.h) < 0)
		return bad(r, "h", "h: height in pixels, 50 to 800");
	if ((s = http_arg(r, "cf")) && (o.cf = param_choice(s, cf_names)) < 0)
		return bad(r, "cf", "cf: BOTH, AVERAGE or MAX");
	if ((s = http_arg(r, "theme")) &&
	    (o.dark = param_choice(s, themes)) < 0)
		return bad(r, "theme", "theme: light or dark");
	o.start = now - 86400;
	o.end = now;
	if ((s = http_arg(r, "from")) && param_time(s, now, &o.start) < 0)
		return bad(
		    r, "from", "from: now-DURATION, -DURATION or Unix seconds");
	if ((s = http_arg(r, "to")) && param_time(s, now, &o.end) < 0)
		return bad(r, "to",
		    "to: now, now-DURATION, -DURATION or Unix seconds");
	if (o.start >= o.end)
		return bad(r, "from", "from must be before to");
	if (o.end - o.start > 20LL * 366 * 86400)
		return bad(r, "from", "range longer than 20 years");
	/* The request as given (validated) names the image. */
	snprintf(key, sizeof(key), "%s|%s|%s|%d|%s|%s|%lld|%lld|%d|%d", target,
	    metric, http_arg(r, "labels") ? http_arg(r, "labels") : "", o.svg,
	    http_arg(r, "from") ? http_arg(r, "from") : "",
	    http_arg(r, "to") ? http_arg(r, "to") : "", (long long)o.w,
	    (long long)o.h, o.cf, o.dark);
	if ((g = gcache_get(key, -1)) != NULL)
		goto send;
	rc = web_find_series(r->deps->cache, target, metric, l, nl, &ws);
	if (rc == -ENOENT)
		return http_error(
		    r, MHD_HTTP_NOT_FOUND, "metric", "no such series");
	if (rc == -E2BIG)
		return bad(r, "labels",
		    "several series match: give labels that pick one");
	json_decref(ws.labels);
	if (ws.rrd[0] == '\0' || r->deps->store == NULL)
		return http_error(r, MHD_HTTP_NOT_FOUND, "metric",
		    "this series keeps no history (raw counter)");
	/* End at the last value, so the graph and the page agree. */
	if (o.end > ws.time_ms / 1000)
		o.end = ws.time_ms / 1000;
	if (o.start >= o.end)
		o.start = o.end - 60;
	o.current = ws.value;
	o.capacity = NAN;
	capacity_of(r->deps->cache, &o, &o.capacity);
	g = gcache_get(key, ws.time_ms);
	if (g == NULL)
		g = gcache_stale_or_claim(key);
	if (g == NULL) {
		store_flush_file(r->deps->store, ws.rrd);
		store_file(r->deps->store, ws.rrd, path, sizeof(path));
		g = xcalloc(1, sizeof(*g));
		g->data = render(path, &o, &g->len, g->area, err, sizeof(err));
		if (g->data == NULL) {
			free(g);
			gcache_unclaim(key);
			return http_error(r, MHD_HTTP_NOT_FOUND, "metric", err);
		}
		atomic_init(&g->refs, 1);
		g->key = xstrdup(key);
		g->series_ms = ws.time_ms;
		g->made_ms = mono_ms();
		g->step_ms = ws.step_ms;
		snprintf(g->etag, sizeof(g->etag), "\"g%015llx\"",
		    (unsigned long long)(hash_bytes(g->data, g->len, 0) >> 4));
		gcache_put(g);
	}
send:
	left = (g->series_ms + g->step_ms - now_ms()) / 1000;
	if (left < 0)
		left = 0;
	b.data = g->data;
	b.len = g->len;
	b.release = gimg_unref;
	b.cls = g;
	b.etag = g->etag;
	b.max_age = left > 0 ? (int)left : 0;
	b.mtime_s = g->series_ms / 1000;
	b.compress = o.svg;
	b.hname = "X-Graph-Area";
	b.hvalue = g->area;
	return http_send(
	    r, MHD_HTTP_OK, o.svg ? "image/svg+xml" : "image/png", &b);
}

void
graph_register(void)
{
	if (!http_route_exists("/graph/"))
		http_route_add("/graph/", h_graph);
}
