// SPDX-License-Identifier: MIT
/*
 * The bottleneck engine: a walk of the latest-value cache sorts series into
 * resources by a table of USE signals, RRD history adds p95, max, since
 * and trend for the leading candidates, the events store adds what
 * happened on the same target in the window, and the score of
 * bottleneck.h ranks them. Output is JSON (API, report --json) and text.
 */
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <rrd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bottleneck.h"
#include "cache.h"
#include "db.h"
#include "rrd.h"
#include "targets.h"
#include "util.h"

enum use { USE_U, USE_S, USE_E, USE_F };

/*
 * The signal table: metric (glob), the resource kind it belongs to, the
 * label naming the instance (NULL: one per target), USE category, and the
 * levels normalised to 0 and 1.
 */
struct sigdef {
	const char *metric;
	const char *kind;
	const char *inst_label;
	const char *need; /* "label=value" the series must carry, or NULL */
	enum use use;
	double lo, hi;
};

static const struct sigdef sigdefs[] = {
    {"cpu_busy_ratio", "cpu", NULL, "cpu=total", USE_U, 0, 1},
    {"run_queue_per_cpu", "cpu", NULL, NULL, USE_S, 1, 3},
    {"psi_cpu_some_ratio", "cpu", NULL, NULL, USE_S, 0.05, 0.5},
    {"cpu_ratio", "cpu", NULL, "cpu=total,mode=steal", USE_S, 0.05, 0.3},
    {"memory_used_ratio", "memory", NULL, NULL, USE_U, 0, 1},
    {"swap_in_pages_per_second", "memory", NULL, NULL, USE_S, 10, 1000},
    {"page_scan_per_second", "memory", NULL, NULL, USE_S, 100, 100000},
    {"psi_memory_some_ratio", "memory", NULL, NULL, USE_S, 0.05, 0.5},
    {"psi_memory_full_ratio", "memory", NULL, NULL, USE_S, 0.01, 0.2},
    {"oom_kills_per_second", "memory", NULL, NULL, USE_E, 0, 0.01},
    {"ecc_corrected_per_second", "memory", NULL, NULL, USE_E, 0, 10},
    {"ecc_uncorrected_per_second", "memory", NULL, NULL, USE_F, 0, 0},
    {"disk_util_ratio", "disk", "disk", NULL, USE_U, 0, 1},
    {"disk_queue_size", "disk", "disk", NULL, USE_S, 1, 16},
    {"disk_read_await_seconds", "disk", "disk", NULL, USE_S, 0.02, 0.5},
    {"disk_write_await_seconds", "disk", "disk", NULL, USE_S, 0.02, 0.5},
    {"disk_*errors_per_second", "disk", "disk", NULL, USE_F, 0, 0},
    {"if_in_util_ratio", "port", "ifname", NULL, USE_U, 0, 1},
    {"if_out_util_ratio", "port", "ifname", NULL, USE_U, 0, 1},
    {"if_out_discards_per_second", "port", "ifname", NULL, USE_S, 0, 100},
    {"if_in_discards_per_second", "port", "ifname", NULL, USE_S, 0, 100},
    {"if_in_errors_per_second", "port", "ifname", NULL, USE_E, 0, 10},
    {"if_out_errors_per_second", "port", "ifname", NULL, USE_E, 0, 10},
};

/* Host-wide PSI io counts for disks at least this busy. */
#define PSI_IO_BUSY 0.5
#define MAX_SIGS 16
#define HIST_TOP 25 /* candidates that get RRD history */

struct sig {
	const struct sigdef *def;
	char *metric;
	char *rrd;
	double now, p95, max;
	int hist;
	double norm;
	int64_t since_ms; /* hot since (history), 0 unknown */
	double trend;     /* last third minus first third of the window */
};

struct res {
	char *target, *kind, *inst, *role;
	struct sig sig[MAX_SIGS];
	size_t nsig;
	double U, S, E, F, score;
	double u_now, u_p95, u_max;
	int64_t since_ms;
	double trend;
};

struct set {
	const struct bn_input *in;
	struct res *v;
	size_t n, cap;
	json_t
	    *consumers; /* target -> {cpu: [...], memory: [...], disk: [...]} */
	json_t *ports;  /* target -> [[ifname, util]...] */
	double psi_io;  /* host: max(psi_io some, full) */
	int have_psi_io;
};

static const char *
label_of(const struct cache_series *s, const char *k)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[i].key, k) == 0)
			return s->labels[i].value;
	return NULL;
}

/* kv: "k=v" or "k=v,k2=v2": every pair must be a label of s. */
static int
has_label(const struct cache_series *s, const char *kv)
{
	while (*kv) {
		const char *eq = strchr(kv, '='), *end = strchr(kv, ',');
		char k[64], v[128];
		size_t kl, vl;
		const char *have;

		if (end == NULL)
			end = kv + strlen(kv);
		if (eq == NULL || eq > end)
			return 0;
		kl = (size_t)(eq - kv);
		vl = (size_t)(end - eq - 1);
		if (kl >= sizeof(k) || vl >= sizeof(v))
			return 0;
		memcpy(k, kv, kl);
		k[kl] = '\0';
		memcpy(v, eq + 1, vl);
		v[vl] = '\0';
		have = label_of(s, k);
		if (have == NULL || strcmp(have, v) != 0)
			return 0;
		kv = *end ? end + 1 : end;
	}
	return 1;
}

static struct res *
res_get(struct set *st, const char *target, const char *kind, const char *inst)
{
	struct res *r;

	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->v[i].target, target) == 0 &&
		    strcmp(st->v[i].kind, kind) == 0 &&
		    strcmp(st->v[i].inst, inst) == 0)
			return &st->v[i];
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 64;
		st->v = xrealloc(st->v, st->cap * sizeof(*st->v));
	}
	r = &st->v[st->n++];
	memset(r, 0, sizeof(*r));
	r->target = xstrdup(target);
	r->kind = xstrdup(kind);
	r->inst = xstrdup(inst);
	return r;
}

static double
clamp01(double x)
{
	return isnan(x) ? 0 : x < 0 ? 0 : x > 1 ? 1 : x;
}

static double
norm_of(const struct sigdef *d, double v)
{
	if (d->use == USE_U)
		return clamp01(v);
	if (d->use == USE_F)
		return v > 0 ? 1 : 0;
	if (d->hi <= d->lo)
		return v > d->lo ? 1 : 0;
	return clamp01((v - d->lo) / (d->hi - d->lo));
}

static void
consumer_add(struct set *st, const char *target, const char *what,
    const char *group, const char *metric, double v)
{
	json_t *t = json_object_get(st->consumers, target), *a, *o;

	if (t == NULL) {
		t = json_object();
		json_object_set_new(st->consumers, target, t);
	}
	a = json_object_get(t, what);
	if (a == NULL) {
		a = json_array();
		json_object_set_new(t, what, a);
	}
	o = json_pack(
	    "{s:s,s:s,s:f}", "group", group, "metric", metric, "value", v);
	json_array_append_new(a, o);
}

static int
walk_cb(const struct cache_series *s, void *arg)
{
	struct set *st = arg;
	const char *g;

	if (s->is_counter)
		return 0;
	/* Consumers: process groups (memory collector). */
	if ((g = label_of(s, "group")) != NULL) {
		if (strcmp(s->metric, "process_cpu_ratio") == 0)
			consumer_add(
			    st, s->target, "cpu", g, s->metric, s->value);
		else if (strcmp(s->metric, "process_rss_bytes") == 0)
			consumer_add(
			    st, s->target, "memory", g, s->metric, s->value);
		else if (strcmp(s->metric, "process_read_bytes_per_second") ==
		             0 ||
		         strcmp(s->metric, "process_write_bytes_per_second") ==
		             0)
			consumer_add(
			    st, s->target, "disk", g, s->metric, s->value);
	}
	if (strncmp(s->metric, "psi_io_", 7) == 0 && st->in->hostname &&
	    strcmp(s->target, st->in->hostname) == 0) {
		st->have_psi_io = 1;
		if (s->value > st->psi_io)
			st->psi_io = s->value;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sigdefs); i++) {
		const struct sigdef *d = &sigdefs[i];
		const char *inst = "", *kind = d->kind;
		struct res *r;
		struct sig *sg;

		if (fnmatch(d->metric, s->metric, 0) != 0)
			continue;
		if (d->need && !has_label(s, d->need))
			continue;
		if (d->inst_label &&
		    (inst = label_of(s, d->inst_label)) == NULL)
			continue;
		/* The local host's interfaces are its NICs. */
		if (strcmp(kind, "port") == 0 && st->in->hostname &&
		    strcmp(s->target, st->in->hostname) == 0)
			kind = "nic";
		r = res_get(st, s->target, kind, inst);
		if (r->nsig == MAX_SIGS)
			break;
		sg = &r->sig[r->nsig++];
		sg->def = d;
		sg->metric = xstrdup(s->metric);
		sg->rrd = s->rrd ? xstrdup(s->rrd) : NULL;
		sg->now = sg->p95 = sg->max = s->value;
		if (strcmp(kind, "port") == 0 && d->use == USE_U) {
			json_t *p = json_object_get(st->ports, s->target);

			if (p == NULL) {
				p = json_array();
				json_object_set_new(st->ports, s->target, p);
			}
			json_array_append_new(
			    p, json_pack("{s:s,s:s,s:f}", "ifname", inst,
			           "metric", s->metric, "value", s->value));
		}
		break;
	}
	return 0;
}

/* ------------------------------------------------------------- history */

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Fetch cf over [start, end] of file: points into *out (caller frees). */
static size_t
fetch(const char *file, const char *cf, int64_t start_ms, int64_t end_ms,
    double **out, time_t *t0, unsigned long *step)
{
	time_t start = (time_t)(start_ms / 1000), end = (time_t)(end_ms / 1000);
	unsigned long nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	size_t n = 0;

	*out = NULL;
	*step = 1; /* in: the resolution wanted (the finest that covers) */
	rrd_clear_error();
	if (access(file, R_OK) != 0 ||
	    rrd_fetch_r(file, cf, &start, &end, step, &nds, &names, &data) != 0)
		return 0;
	if (nds == 1 && *step > 0 && end > start) {
		n = (size_t)((end - start) / (time_t)*step);
		*out = xcalloc(n + 1, sizeof(double));
		for (size_t i = 0; i < n; i++)
			(*out)[i] = data[i];
	}
	*t0 = start;
	for (unsigned long i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return n;
}

static void
history(struct set *st, struct sig *sg)
{
	const struct bn_input *in = st->in;
	char file[4096];
	double *avg = NULL, *mx = NULL, *sorted;
	size_t n, nm, k = 0, third;
	time_t t0, t0m;
	unsigned long step, stepm;
	int64_t start = in->now_ms - in->window_ms;

	if (sg->rrd == NULL || in->data_dir == NULL)
		return;
	if (in->store) {
		store_flush_file(in->store, sg->rrd);
		store_file(in->store, sg->rrd, file, sizeof(file));
	} else {
		snprintf(
		    file, sizeof(file), "%s/rrd/%s.rrd", in->data_dir, sg->rrd);
	}
	n = fetch(file, "AVERAGE", start, in->now_ms, &avg, &t0, &step);
	nm = fetch(file, "MAX", start, in->now_ms, &mx, &t0m, &stepm);
	if (n == 0)
		goto out;
	sorted = xcalloc(n, sizeof(double));
	for (size_t i = 0; i < n; i++)
		if (!isnan(avg[i]))
			sorted[k++] = avg[i];
	if (k == 0) {
		free(sorted);
		goto out;
	}
	qsort(sorted, k, sizeof(double), dcmp);
	sg->hist = 1;
	sg->p95 = sorted[(size_t)ceil(0.95 * (double)k) - 1];
	sg->max = sorted[k - 1];
	for (size_t i = 0; i < nm; i++)
		if (!isnan(mx[i]) && mx[i] > sg->max)
			sg->max = mx[i];
	if (sg->now > sg->max)
		sg->max = sg->now;
	free(sorted);
	/* Trend: mean of the last third minus the first third. */
	third = n / 3;
	if (third > 0) {
		double a = 0, b = 0;
		size_t na = 0, nb = 0;

		for (size_t i = 0; i < third; i++) {
			if (!isnan(avg[i]))
				a += avg[i], na++;
			if (!isnan(avg[n - 1 - i]))
				b += avg[n - 1 - i], nb++;
		}
		if (na && nb)
			sg->trend = norm_of(sg->def, b / (double)nb) -
			            norm_of(sg->def, a / (double)na);
	}
	/* Since: the start of the current run of "hot" points. */
	{
		double hot = sg->def->use == USE_U ? 0.8 : 0.25;
		size_t i = n;

		while (i > 0 && (isnan(avg[i - 1]) && i == n))
			i--; /* the newest point may not be consolidated */
		if (i > 0 && !isnan(avg[i - 1]) &&
		    norm_of(sg->def, avg[i - 1]) >= hot) {
			while (i > 0 && !isnan(avg[i - 1]) &&
			       norm_of(sg->def, avg[i - 1]) >= hot)
				i--;
			sg->since_ms =
			    ((int64_t)t0 + (int64_t)i * (int64_t)step) * 1000;
		}
	}
out:
	free(avg);
	free(mx);
}

/* ---------------------------------------------------------------- score */

static void
score(struct set *st, struct res *r)
{
	double un = 0, up = 0, um = 0;
	int have_u = 0;

	r->S = r->E = r->F = 0;
	r->since_ms = 0;
	r->trend = 0;
	for (size_t i = 0; i < r->nsig; i++) {
		struct sig *sg = &r->sig[i];
		double v;

		switch (sg->def->use) {
		case USE_U:
			/* Ports: the busier direction. */
			if (!have_u || sg->now > un) {
				un = sg->now;
				up = sg->p95;
				um = sg->max;
				r->trend = sg->trend;
			}
			have_u = 1;
			sg->norm = clamp01(sg->now);
			break;
		case USE_S:
			v = sg->now > sg->p95 ? sg->now : sg->p95;
			sg->norm = norm_of(sg->def, v);
			if (sg->norm > r->S)
				r->S = sg->norm;
			break;
		case USE_E:
			sg->norm = norm_of(sg->def, sg->now);
			if (sg->norm > r->E)
				r->E = sg->norm;
			break;
		case USE_F:
			sg->norm = norm_of(sg->def, sg->max);
			if (sg->norm > r->F)
				r->F = sg->norm;
			break;
		}
		if (sg->since_ms &&
		    (r->since_ms == 0 || sg->since_ms < r->since_ms))
			r->since_ms = sg->since_ms;
	}
	if (strcmp(r->kind, "disk") == 0 && st->have_psi_io &&
	    un >= PSI_IO_BUSY) {
		double p = clamp01((st->psi_io - 0.05) / (0.5 - 0.05));

		if (p > r->S)
			r->S = p;
	}
	r->u_now = clamp01(un);
	r->u_p95 = clamp01(up);
	r->u_max = clamp01(um);
	r->U = 0.5 * r->u_now + 0.3 * r->u_p95 + 0.2 * r->u_max;
	r->score = 1000 * r->F + 100 * r->S + 10 * r->U + r->E;
}

static int
res_cmp(const void *a, const void *b)
{
	const struct res *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (strcmp(x->target, y->target))
		return strcmp(x->target, y->target);
	if (strcmp(x->kind, y->kind))
		return strcmp(x->kind, y->kind);
	return strcmp(x->inst, y->inst);
}

/* --------------------------------------------------------------- output */

struct role_find {
	const char *target;
	char role[32];
};

static void
role_cb(const struct cp_target_status *s, void *arg)
{
	struct role_find *f = arg;

	snprintf(f->role, sizeof(f->role), "%s", s->role ? s->role : "other");
}

static const char *
role_of(struct set *st, const char *target, char *buf, size_t size)
{
	struct role_find f = {target, "other"};

	if (st->in->hostname && strcmp(target, st->in->hostname) == 0)
		return st->in->host_role ? st->in->host_role : "other";
	if (st->in->targets)
		targets_get(st->in->targets, target, role_cb, &f);
	snprintf(buf, size, "%s", f.role);
	return buf;
}

static const char *
class_of(const char *kind, const char *role)
{
	if (strcmp(kind, "port") == 0 && strcmp(role, "core") == 0)
		return "core switch capacity";
	if (strcmp(kind, "port") == 0 && strcmp(role, "l2") == 0)
		return "L2 switch capacity";
	if (strcmp(kind, "memory") == 0 && strcmp(role, "web") == 0)
		return "web-server memory";
	if ((strcmp(kind, "cpu") == 0 || strcmp(kind, "memory") == 0) &&
	    strcmp(role, "db") == 0)
		return "DB CPU/memory";
	if (strcmp(kind, "disk") == 0 && strcmp(role, "db") == 0)
		return "DB disk I/O";
	return "other";
}

static const char *const use_names[] = {
    "utilization", "saturation", "errors", "fault"};

static int
ev_cb(const struct db_event *e, void *arg)
{
	static const char *const kinds[] = {
	    "hotswap", "firmware", "drift", "reboot", "ecc", "link"};
	json_t *a = arg;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strcmp(e->kind, kinds[i]) == 0) {
			json_array_append_new(a,
			    json_pack("{s:I,s:s,s:s,s:s}", "time_ms",
			        (json_int_t)e->time_ms, "kind", e->kind,
			        "component", e->component ? e->component : "",
			        "message", e->message ? e->message : ""));
			break;
		}
	return json_array_size(a) >= 10;
}

static int
cons_cmp(const void *a, const void *b)
{
	double x =
	    json_real_value(json_object_get(*(json_t *const *)a, "value"));
	double y =
	    json_real_value(json_object_get(*(json_t *const *)b, "value"));

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Top 3 of an array of {value} objects, as a new array. */
static json_t *
top3(json_t *arr, const char *skip_ifname)
{
	size_t n = json_array_size(arr), k = 0;
	json_t **v = xcalloc(n + 1, sizeof(*v)), *out = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		const char *ifn =
		    json_string_value(json_object_get(o, "ifname"));

		if (skip_ifname && ifn && strcmp(ifn, skip_ifname) == 0)
			continue;
		v[k++] = o;
	}
	qsort(v, k, sizeof(*v), cons_cmp);
	for (size_t i = 0; i < k && i < 3; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

/* One line for the dashboard: the verdict and its strongest evidence. */
static json_t *
summary(const struct res *r, const char *klass)
{
	const struct sig *top = NULL;
	struct sbuf b;
	json_t *j;

	for (size_t i = 0; i < r->nsig; i++)
		if (r->sig[i].def->use != USE_U &&
		    (top == NULL || r->sig[i].norm > top->norm))
			top = &r->sig[i];
	sbuf_init(&b);
	sbuf_printf(&b, "%s: %s%.0f%% busy (p95 %.0f%%, max %.0f%%)", klass,
	    r->F > 0 ? "FAULT; " : "", r->u_now * 100, r->u_p95 * 100,
	    r->u_max * 100);
	if (top && top->norm > 0)
		sbuf_printf(&b, ", %s %s %.3g", use_names[top->def->use],
		    top->metric, top->now);
	if (r->trend > 0.05)
		sbuf_puts(&b, ", rising");
	else if (r->trend < -0.05)
		sbuf_puts(&b, ", falling");
	j = json_string(b.s);
	sbuf_fini(&b);
	return j;
}

static json_t *
res_json(struct set *st, struct res *r, size_t rank)
{
	char rb[32], ts[32];
	const char *role = role_of(st, r->target, rb, sizeof(rb));
	json_t *o = json_object(), *ev = json_array(), *sigs = json_array();
	json_t *cons = NULL;
	/* A server's interfaces polled over SNMP are its NICs. */
	const char *kind =
	    strcmp(r->kind, "port") == 0 &&
	            (strcmp(role, "web") == 0 || strcmp(role, "db") == 0)
	        ? "nic"
	        : r->kind;
	char *name;

	name = xasprintf(
	    "%s %s%s%s", r->target, kind, r->inst[0] ? " " : "", r->inst);
	json_object_set_new(o, "rank", json_integer((json_int_t)rank));
	json_object_set_new(o, "resource", json_string(name));
	free(name);
	json_object_set_new(o, "target", json_string(r->target));
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "instance", json_string(r->inst));
	json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "class", json_string(class_of(r->kind, role)));
	json_object_set_new(
	    o, "score", json_real(round(r->score * 1000) / 1000));
	json_object_set_new(o, "utilization",
	    json_pack("{s:f,s:f,s:f}", "now", r->u_now, "p95", r->u_p95, "max",
	        r->u_max));
	json_object_set_new(o, "saturation", json_real(r->S));
	json_object_set_new(o, "errors", json_real(r->E));
	json_object_set_new(o, "fault", json_boolean(r->F > 0));
	for (size_t i = 0; i < r->nsig; i++) {
		struct sig *sg = &r->sig[i];
		json_t *so = json_pack("{s:s,s:s,s:f,s:f}", "metric",
		    sg->metric, "use", use_names[sg->def->use], "value",
		    sg->now, "level", sg->norm);

		if (sg->hist) {
			json_object_set_new(so, "p95", json_real(sg->p95));
			json_object_set_new(so, "max", json_real(sg->max));
		}
		json_array_append_new(sigs, so);
	}
	json_object_set_new(o, "evidence", sigs);
	if (r->since_ms) {
		time_t t = (time_t)(r->since_ms / 1000);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(o, "since", json_string(ts));
		json_object_set_new(o, "since_ms", json_integer(r->since_ms));
	} else {
		json_object_set_new(o, "since", json_null());
	}
	json_object_set_new(o, "trend",
	    json_string(r->trend > 0.05    ? "rising"
	                : r->trend < -0.05 ? "falling"
	                                   : "steady"));
	json_object_set_new(o, "summary", summary(r, class_of(r->kind, role)));
	/* Top consumers: process groups of the host, busiest other ports. */
	if (strcmp(r->kind, "port") == 0) {
		json_t *p = json_object_get(st->ports, r->target);

		if (p)
			cons = top3(p, r->inst);
	} else {
		json_t *t = json_object_get(st->consumers, r->target);
		json_t *a = t ? json_object_get(t, r->kind) : NULL;

		if (a)
			cons = top3(a, NULL);
	}
	json_object_set_new(o, "consumers", cons ? cons : json_array());
	if (st->in->db) {
		struct db_event_filter f = {0};

		f.target = r->target;
		f.since_ms = st->in->now_ms - st->in->window_ms;
		f.limit = 50;
		db_events_query(st->in->db, &f, ev_cb, ev);
	}
	json_object_set_new(o, "events", ev);
	return o;
}

char *
bottlenecks_json(const struct bn_input *in0)
{
	struct bn_input in = *in0;
	struct set st = {0};
	json_t *root, *arr;
	char *s;
	size_t lim;

	if (in.window_ms <= 0)
		in.window_ms = 15 * 60000;
	if (in.now_ms <= 0)
		in.now_ms = now_ms();
	lim = in.limit ? in.limit : 20;
	st.in = &in;
	st.consumers = json_object();
	st.ports = json_object();
	cache_foreach(in.cache, NULL, NULL, walk_cb, &st);
	for (size_t i = 0; i < st.n; i++)
		score(&st, &st.v[i]);
	qsort(st.v, st.n, sizeof(*st.v), res_cmp);
	/* History for the leading candidates only: each is a file read. */
	for (size_t i = 0; i < st.n && i < HIST_TOP; i++) {
		for (size_t j = 0; j < st.v[i].nsig; j++)
			history(&st, &st.v[i].sig[j]);
		score(&st, &st.v[i]);
	}
	qsort(st.v, st.n, sizeof(*st.v), res_cmp);
	arr = json_array();
	for (size_t i = 0; i < st.n && i < lim; i++)
		json_array_append_new(arr, res_json(&st, &st.v[i], i + 1));
	root =
	    json_pack("{s:I,s:I,s:I,s:s,s:o}", "time_ms", (json_int_t)in.now_ms,
	        "window_seconds", (json_int_t)(in.window_ms / 1000),
	        "resources", (json_int_t)st.n, "score",
	        "1000*fault + 100*saturation + 10*utilization + errors; "
	        "utilization = 0.5 now + 0.3 p95 + 0.2 max",
	        "bottlenecks", arr);
	s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(root);
	for (size_t i = 0; i < st.n; i++) {
		for (size_t j = 0; j < st.v[i].nsig; j++) {
			free(st.v[i].sig[j].metric);
			free(st.v[i].sig[j].rrd);
		}
		free(st.v[i].target);
		free(st.v[i].kind);
		free(st.v[i].inst);
	}
	free(st.v);
	json_decref(st.consumers);
	json_decref(st.ports);
	return s;
}
