// SPDX-License-Identifier: MIT
/*
 * /api/v1/devices/NAME and /api/v1/overview: one device's system info,
 * interfaces (from the cache's if_* series) and inventory (db), and the
 * busiest ports and hosts, all read from the latest-value cache, the target
 * registry and the inventory, and kept in api.c's page cache until the
 * cache changes.
 */
#include <math.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "api_priv.h"
#include "cache.h"
#include "db.h"
#include "params.h"
#include "targets.h"
#include "util.h"
#include "web.h"

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
			    api_num(s->value * port_fields[i].factor));
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

	json_object_set_new(o, "target", api_target_json(st));
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

int
api_inv_cb(const char *target, const char *kind, const char *key,
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

int
api_device(struct http_req *r)
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
	if (api_jcache_serve(r, r->url, gen, &ret)) {
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
		db_inventory_get(r->deps->db, name, "entity", api_inv_cb, inv);
		db_inventory_get(r->deps->db, name, "firmware", api_inv_cb, fw);
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
	return api_jcache_reply(r, r->url, gen, out);
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

int
api_overview(struct http_req *r)
{
	struct over o = {json_object(), json_object()};
	uint64_t gen = cache_generation(r->deps->cache);
	json_t *out;
	int ret;

	if (api_jcache_serve(r, r->url, gen, &ret)) {
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
	return api_jcache_reply(r, r->url, gen, out);
}
