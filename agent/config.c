// SPDX-License-Identifier: MIT
/*
 * The agent's configuration: the cp_cfg tree of cfgdoc.c interpreted into
 * plain structs, one table of keys per section (key, type, default, range).
 * Every problem is reported with FILE:LINE:COL; a config with any error is
 * never returned. Collector options and device keys specific to a collector
 * are validated later by the collectors' configure() (agent_collectors.c).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_priv.h"
#include "util.h"

const char config_default_yaml[] = "# chokepoint embedded defaults: the local "
                                   "host, data in ./chokepoint-data\n"
                                   "agent:\n"
                                   "  data_dir: ./chokepoint-data\n"
                                   "  interval: 10s\n"
                                   "web:\n"
                                   "  listen: 127.0.0.1:8080\n"
                                   "collectors:\n"
                                   "  cpu: {}\n"
                                   "  memory: {}\n"
                                   "  diskio: {}\n";

enum ftype { F_STR, F_DURATION, F_INT, F_ENUM };

struct field {
	const char *key;
	enum ftype type;
	size_t off;
	const char *def; /* default as text, NULL: none */
	int64_t min, max;
	int required;
	const char *const *choices; /* F_ENUM: NULL-terminated */
};

static const char *const log_levels[] = {
    "error", "warning", "info", "debug", NULL};

#define AOFF(m) offsetof(struct config, agent.m)
static const struct field agent_fields[] = {
    {"name", F_STR, AOFF(name), NULL, 0, 0, 0, NULL},
    {"hostname", F_STR, AOFF(hostname), NULL, 0, 0, 0, NULL},
    {"data_dir", F_STR, AOFF(data_dir), "./chokepoint-data", 0, 0, 0, NULL},
    {"interval", F_DURATION, AOFF(interval_ms), "10s", 100, 86400000, 0, NULL},
    {"procfs", F_STR, AOFF(procfs), "/proc", 0, 0, 0, NULL},
    {"sysfs", F_STR, AOFF(sysfs), "/sys", 0, 0, 0, NULL},
    {"plugin_dir", F_STR, AOFF(plugin_dir), NULL, 0, 0, 0, NULL},
    {"log_level", F_ENUM, AOFF(log_level), "info", 0, 0, 0, log_levels},
};

static const struct field web_fields[] = {
    {"listen", F_STR, offsetof(struct config, web.listen), "127.0.0.1:8080", 0,
        0, 0, NULL},
};

static const struct field storage_fields[] = {
    {"rrdcached", F_STR, offsetof(struct config, storage.rrdcached), NULL, 0, 0,
        0, NULL},
    {"flush_interval", F_DURATION, offsetof(struct config, storage.flush_ms),
        NULL, 0, 3600000, 0, NULL},
    {"max_pending", F_INT, offsetof(struct config, storage.max_pending),
        "1000000", 1000, 100000000, 0, NULL},
};

/* Top-level keys handled elsewhere (their modules validate them). */
static const char *const extension_keys[] = {
    "firmware", "silences", "maintenance", "bottlenecks", NULL};

/* Reads one field into base+off. Returns 0, or -1 after an error. */
static int
field_read(const struct cp_cfg *n, const struct field *f, void *base)
{
	char *p = (char *)base + f->off;
	const char *s = NULL;
	int64_t v;
	int r;

	switch (f->type) {
	case F_STR:
	case F_ENUM:
		r = cp_cfg_str(n, f->key, &s);
		if (r == -EINVAL)
			return -1;
		if (r == -ENOENT) {
			if (f->required) {
				cp_cfg_error(
				    n, "missing required key '%s'", f->key);
				return -1;
			}
			s = f->def;
		}
		if (s && f->type == F_ENUM) {
			size_t i;

			for (i = 0; f->choices[i]; i++)
				if (strcmp(s, f->choices[i]) == 0)
					break;
			if (f->choices[i] == NULL) {
				cp_cfg_error(cp_cfg_child(n, f->key),
				    "'%s': unknown value '%s'", f->key, s);
				return -1;
			}
		}
		if (s && f->type == F_STR && s[0] == '\0' && f->required) {
			cp_cfg_error(cp_cfg_child(n, f->key),
			    "'%s' must not be empty", f->key);
			return -1;
		}
		*(char **)p = s ? xstrdup(s) : NULL;
		return 0;
	case F_DURATION:
		r = cp_cfg_duration(n, f->key, &v);
		if (r == -EINVAL)
			return -1;
		if (r == -ENOENT) {
			if (f->required) {
				cp_cfg_error(
				    n, "missing required key '%s'", f->key);
				return -1;
			}
			if (f->def == NULL || duration_parse(f->def, &v) < 0)
				v = 0;
		} else if (v < f->min || v > f->max) {
			char a[32], b[32];

			cp_cfg_error(cp_cfg_child(n, f->key),
			    "'%s' must be between %s and %s", f->key,
			    duration_format(f->min, a, sizeof(a)),
			    duration_format(f->max, b, sizeof(b)));
			return -1;
		}
		*(int64_t *)p = v;
		return 0;
	case F_INT:
		r = cp_cfg_int(n, f->key, f->min, f->max, &v);
		if (r == -EINVAL)
			return -1;
		if (r == -ENOENT)
			v = f->def ? strtoll(f->def, NULL, 10) : 0;
		*(size_t *)p = (size_t)v;
		return 0;
	}
	return -1;
}

static int
section_read(
    const struct cp_cfg *n, const struct field *fields, size_t nf, void *base)
{
	int bad = 0;

	for (size_t i = 0; i < nf; i++)
		bad |= field_read(n, &fields[i], base);
	return bad ? -1 : 0;
}

/* A section must be a mapping (or absent/empty). */
static const struct cp_cfg *
section(const struct cp_cfg *root, const char *key, int *bad)
{
	const struct cp_cfg *n = cp_cfg_child(root, key);

	if (n && !cfg_node_is_map(n)) {
		cp_cfg_error(n, "'%s' must be a mapping", key);
		*bad = 1;
		return NULL;
	}
	return n;
}

int
address_parse(const char *s, int default_port, char **host, int *port)
{
	const char *colon, *h = s, *hend;
	long p = default_port;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (*s == '[') {
		hend = strchr(s, ']');
		if (hend == NULL || hend == s + 1)
			return -EINVAL;
		h = s + 1;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		if (hend[1] != '\0' && colon == NULL)
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			return -EINVAL; /* bare IPv6 needs brackets */
		hend = colon ? colon : s + strlen(s);
		if (hend == s)
			return -EINVAL;
	}
	for (const char *c = h; c < hend; c++) {
		if (!(isalnum((unsigned char)*c) || *c == '.' || *c == '-' ||
		        *c == '_' || (*s == '[' && (*c == ':' || *c == '%'))))
			return -EINVAL;
	}
	if (colon) {
		char *end;

		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || p < 1 || p > 65535)
			return -EINVAL;
	}
	*host = xstrndup(h, (size_t)(hend - h));
	*port = (int)p;
	return 0;
}

static int
match_read(const struct cp_cfg *n, const char *key, struct match_cfg *m)
{
	const struct cp_cfg *mn = cp_cfg_child(n, key);

	memset(m, 0, sizeof(*m));
	if (mn == NULL)
		return 0;
	if (!cfg_node_is_map(mn)) {
		cp_cfg_error(mn, "'%s' must be a mapping of label: value", key);
		return -1;
	}
	m->n = cp_cfg_map_len(mn);
	m->keys = xcalloc(m->n, sizeof(char *));
	m->values = xcalloc(m->n, sizeof(char *));
	for (size_t i = 0; i < m->n; i++) {
		const struct cp_cfg *v = cp_cfg_map_val(mn, i);

		m->keys[i] = xstrdup(cp_cfg_map_key(mn, i));
		if (cp_cfg_scalar(v) == NULL) {
			cp_cfg_error(
			    v, "'%s.%s' must be a string", key, m->keys[i]);
			m->values[i] = xstrdup("");
			continue;
		}
		m->values[i] = xstrdup(cp_cfg_scalar(v));
	}
	return 0;
}

void
match_cfg_free(struct match_cfg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->values[i]);
	}
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

void
match_cfg_copy(struct match_cfg *dst, const struct match_cfg *m)
{
	dst->n = m->n;
	dst->keys = xcalloc(m->n ? m->n : 1, sizeof(*dst->keys));
	dst->values = xcalloc(m->n ? m->n : 1, sizeof(*dst->values));
	for (size_t i = 0; i < m->n; i++) {
		dst->keys[i] = xstrdup(m->keys[i]);
		dst->values[i] = xstrdup(m->values[i]);
	}
}

static int
collectors_read(struct config *c, const struct cp_cfg *root)
{
	const struct cp_cfg *n = cp_cfg_child(root, "collectors");
	int bad = 0;

	if (n == NULL)
		return 0;
	if (!cfg_node_is_map(n)) {
		cp_cfg_error(
		    n, "'collectors' must be a mapping of name: options");
		return -1;
	}
	c->ncollectors = cp_cfg_map_len(n);
	c->collectors = xcalloc(c->ncollectors, sizeof(*c->collectors));
	for (size_t i = 0; i < c->ncollectors; i++) {
		struct collector_cfg *cc = &c->collectors[i];
		const struct cp_cfg *v = cp_cfg_map_val(n, i);
		int64_t ms;

		cc->name = xstrdup(cp_cfg_map_key(n, i));
		cc->node = v;
		cc->interval_ms = c->agent.interval_ms;
		if (cp_cfg_scalar(v) != NULL || cfg_node_is_seq(v)) {
			cp_cfg_error(v,
			    "collector '%s': options must be a mapping (or {})",
			    cc->name);
			bad = 1;
			continue;
		}
		if (cp_cfg_duration(v, "interval", &ms) == 0) {
			if (ms < 100 || ms > 86400000) {
				cp_cfg_error(cp_cfg_child(v, "interval"),
				    "collector 'interval' must be between "
				    "100ms "
				    "and 1d");
				bad = 1;
			}
			cc->interval_ms = ms;
		} else if (cp_cfg_child(v, "interval")) {
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static int
alerts_read(struct config *c, const struct cp_cfg *root)
{
	const struct cp_cfg *n = cp_cfg_child(root, "alerts");
	int bad = 0;

	if (n == NULL)
		return 0;
	if (!cfg_node_is_seq(n)) {
		cp_cfg_error(n, "'alerts' must be a list of rules");
		return -1;
	}
	c->nalerts = cp_cfg_seq_len(n);
	c->alerts = xcalloc(c->nalerts, sizeof(*c->alerts));
	for (size_t i = 0; i < c->nalerts; i++) {
		const struct cp_cfg *an = cp_cfg_seq_at(n, i);
		struct alert_cfg *a = &c->alerts[i];
		const char *s;

		a->node = an;
		a->severity = CP_SEV_WARNING;
		if (!cfg_node_is_map(an)) {
			cp_cfg_error(an, "an alert rule must be a mapping");
			bad = 1;
			continue;
		}
		if (cp_cfg_str(an, "name", &s) == 0 && *s)
			a->name = xstrdup(s);
		else {
			cp_cfg_error(an, "an alert rule needs a 'name'");
			bad = 1;
		}
		if (cp_cfg_str(an, "metric", &s) == 0 && *s)
			a->metric = xstrdup(s);
		else if (cp_cfg_child(an, "event") == NULL &&
		         cp_cfg_child(an, "absent") == NULL &&
		         cp_cfg_child(an, "enabled") == NULL) {
			cp_cfg_error(an, "alert '%s' needs a 'metric'",
			    a->name ? a->name : "?");
			bad = 1;
		}
		bad |= match_read(an, "match", &a->match);
		int ra = cp_cfg_double(an, "above", &a->above);
		int rb = cp_cfg_double(an, "below", &a->below);
		int rc = cp_cfg_double(an, "clear", &a->clear);

		bad |= ra == -EINVAL || rb == -EINVAL || rc == -EINVAL;
		a->has_above = ra == 0;
		a->has_below = rb == 0;
		a->has_clear = rc == 0;
		if (a->has_above && a->has_below) {
			cp_cfg_error(an,
			    "alert '%s': use 'above' or 'below', "
			    "not both",
			    a->name ? a->name : "?");
			bad = 1;
		}
		if (a->has_clear && a->has_above && a->clear > a->above) {
			cp_cfg_error(cp_cfg_child(an, "clear"),
			    "'clear' must not be above 'above' (hysteresis)");
			bad = 1;
		}
		if (a->has_clear && a->has_below && a->clear < a->below) {
			cp_cfg_error(cp_cfg_child(an, "clear"),
			    "'clear' must not be below 'below' (hysteresis)");
			bad = 1;
		}
		if (cp_cfg_duration(an, "for", &a->for_ms) == -EINVAL)
			bad = 1;
		if (cp_cfg_str(an, "severity", &s) == 0) {
			if (strcmp(s, "warning") == 0)
				a->severity = CP_SEV_WARNING;
			else if (strcmp(s, "critical") == 0)
				a->severity = CP_SEV_CRITICAL;
			else {
				cp_cfg_error(cp_cfg_child(an, "severity"),
				    "'severity' must be warning or critical, "
				    "not '%s'",
				    s);
				bad = 1;
			}
		}
	}
	return bad ? -1 : 0;
}

static int
hooks_read(struct config *c, const struct cp_cfg *root)
{
	const struct cp_cfg *n = cp_cfg_child(root, "hooks");
	int bad = 0;

	if (n == NULL)
		return 0;
	if (!cfg_node_is_seq(n)) {
		cp_cfg_error(n, "'hooks' must be a list");
		return -1;
	}
	c->nhooks = cp_cfg_seq_len(n);
	c->hooks = xcalloc(c->nhooks, sizeof(*c->hooks));
	for (size_t i = 0; i < c->nhooks; i++) {
		const struct cp_cfg *hn = cp_cfg_seq_at(n, i), *ex;
		struct hook_cfg *h = &c->hooks[i];
		const char *s;

		h->node = hn;
		h->timeout_ms = 10000;
		if (!cfg_node_is_map(hn)) {
			cp_cfg_error(hn, "a hook must be a mapping");
			bad = 1;
			continue;
		}
		if (cp_cfg_str(hn, "name", &s) == 0 && *s)
			h->name = xstrdup(s);
		else {
			cp_cfg_error(hn, "a hook needs a 'name'");
			bad = 1;
		}
		ex = cp_cfg_child(hn, "exec");
		if (ex == NULL || !cfg_node_is_seq(ex) ||
		    cp_cfg_seq_len(ex) == 0) {
			cp_cfg_error(ex ? ex : hn,
			    "hook '%s' needs 'exec': a non-empty list "
			    "[program, arg...] (run directly, never by a "
			    "shell)",
			    h->name ? h->name : "?");
			bad = 1;
		} else {
			h->argc = cp_cfg_seq_len(ex);
			h->argv = xcalloc(h->argc + 1, sizeof(char *));
			for (size_t j = 0; j < h->argc; j++) {
				const char *a =
				    cp_cfg_scalar(cp_cfg_seq_at(ex, j));

				if (a == NULL) {
					cp_cfg_error(cp_cfg_seq_at(ex, j),
					    "'exec' items must be strings");
					bad = 1;
					a = "";
				}
				h->argv[j] = xstrdup(a);
			}
			if (h->argv[0][0] != '/') {
				cp_cfg_error(cp_cfg_seq_at(ex, 0),
				    "'exec' program must be an absolute path, "
				    "not '%s'",
				    h->argv[0]);
				bad = 1;
			}
		}
		if (cp_cfg_duration(hn, "timeout", &h->timeout_ms) == -EINVAL)
			bad = 1;
		bad |= match_read(hn, "match", &h->match);
	}
	return bad ? -1 : 0;
}

static int
storage_rra_read(struct config *c, const struct cp_cfg *sn)
{
	const struct cp_cfg *n = cp_cfg_child(sn, "rra");
	int bad = 0;

	if (n == NULL)
		return 0;
	if (!cfg_node_is_seq(n) || cp_cfg_seq_len(n) == 0 ||
	    cp_cfg_seq_len(n) > ARRAY_SIZE(c->storage.rra)) {
		cp_cfg_error(n,
		    "'storage.rra' must be a list of 1 to %zu {step, keep}",
		    ARRAY_SIZE(c->storage.rra));
		return -1;
	}
	c->storage.nrra = cp_cfg_seq_len(n);
	for (size_t i = 0; i < c->storage.nrra; i++) {
		const struct cp_cfg *r = cp_cfg_seq_at(n, i);
		const char *s;

		if (!cfg_node_is_map(r)) {
			cp_cfg_error(
			    r, "an RRA must be a mapping {step, keep}");
			bad = 1;
			continue;
		}
		/* step: a duration, or "full" for the series' own step. */
		if (cp_cfg_str(r, "step", &s) == 0 && strcmp(s, "full") == 0)
			c->storage.rra[i].step_ms = 0;
		else if (cp_cfg_duration(
		             r, "step", &c->storage.rra[i].step_ms) != 0) {
			cp_cfg_error(
			    r, "an RRA needs 'step' (a duration or full)");
			bad = 1;
		}
		if (cp_cfg_duration(r, "keep", &c->storage.rra[i].keep_ms) !=
		    0) {
			cp_cfg_error(r, "an RRA needs 'keep' (a duration)");
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static int
top_level_check(const struct cp_cfg *root)
{
	static const char *const known[] = {"agent", "web", "storage",
	    "collectors", "devices", "alerts", "hooks", NULL};
	int bad = 0;

	for (size_t i = 0; i < cp_cfg_map_len(root); i++) {
		const char *k = cp_cfg_map_key(root, i);
		size_t j;

		for (j = 0; known[j]; j++)
			if (strcmp(k, known[j]) == 0)
				break;
		if (known[j])
			continue;
		for (j = 0; extension_keys[j]; j++)
			if (strcmp(k, extension_keys[j]) == 0)
				break;
		if (extension_keys[j] == NULL) {
			/* At the key, as for unknown keys further down. */
			cp_cfg_error(cfg_node_map_keynode(root, i),
			    "unknown top-level key '%s' (expected agent, web, "
			    "storage, collectors, devices, alerts or hooks)",
			    k);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static char *
default_hostname(void)
{
	char buf[256];

	if (gethostname(buf, sizeof(buf) - 1) < 0 || buf[0] == '\0')
		return xstrdup("localhost");
	buf[sizeof(buf) - 1] = '\0';
	return xstrdup(buf);
}

static struct config *
parse(const char *file, const char *text, size_t len, struct cfg_errs *errs,
    int lenient)
{
	struct config *c;
	const struct cp_cfg *root, *n;
	size_t nerr = errs->n;
	int bad = 0;

	c = xcalloc(1, sizeof(*c));
	c->path = file ? xstrdup(file) : NULL;
	c->doc = cfgdoc_parse(file ? file : "<defaults>", text, len, errs);
	if (c->doc == NULL) {
		config_free(c);
		return NULL;
	}
	root = cfgdoc_root(c->doc);
	if (!cfg_node_is_map(root)) {
		cp_cfg_error(root, "the configuration must be a mapping");
		config_free(c);
		return NULL;
	}
	bad |= top_level_check(root);
	n = section(root, "agent", &bad);
	bad |= section_read(n, agent_fields, ARRAY_SIZE(agent_fields), c);
	if (c->agent.hostname == NULL)
		c->agent.hostname = default_hostname();
	if (c->agent.name == NULL)
		c->agent.name = xstrdup(c->agent.hostname);
	n = section(root, "web", &bad);
	bad |= section_read(n, web_fields, ARRAY_SIZE(web_fields), c);
	if (c->web.listen && address_parse(c->web.listen, 8080, &c->web.host,
	                         &c->web.port) < 0) {
		cp_cfg_error(cp_cfg_child(n, "listen"),
		    "'listen' must be host:port or [IPv6]:port, not '%s'",
		    c->web.listen);
		bad = 1;
	}
	n = section(root, "storage", &bad);
	bad |= section_read(n, storage_fields, ARRAY_SIZE(storage_fields), c);
	bad |= storage_rra_read(c, n);
	if (c->storage.rrdcached && c->storage.rrdcached[0] == '\0') {
		free(c->storage.rrdcached);
		c->storage.rrdcached = NULL;
	}
	bad |= collectors_read(c, root);
	bad |= config_devices_read(c, root);
	bad |= alerts_read(c, root);
	bad |= hooks_read(c, root);
	bad |= alert_cfg_read(c, root);
	/* Sections whose keys are all fixed: anything else is unknown. */
	cfg_node_report_unused(cp_cfg_child(root, "agent"), "agent");
	cfg_node_report_unused(cp_cfg_child(root, "storage"), "storage");
	if ((bad || errs->n > nerr) && !lenient) {
		config_free(c);
		return NULL;
	}
	return c;
}

struct config *
config_parse(
    const char *file, const char *text, size_t len, struct cfg_errs *errs)
{
	return parse(file, text, len, errs, 0);
}

static struct config *
load(const char *path, struct cfg_errs *errs, int lenient)
{
	struct config *c;
	size_t len;
	char *text;

	if (path == NULL)
		return parse(NULL, config_default_yaml,
		    strlen(config_default_yaml), errs, lenient);
	text = file_read(path, 4u << 20, &len);
	if (text == NULL) {
		cfg_errs_add(
		    errs, path, 0, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	c = parse(path, text, len, errs, lenient);
	free(text);
	return c;
}

struct config *
config_load_lenient(const char *path, struct cfg_errs *errs)
{
	return load(path, errs, 1);
}

struct config *
config_load(const char *path, struct cfg_errs *errs)
{
	return load(path, errs, 0);
}

const struct collector_cfg *
config_collector(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->ncollectors; i++)
		if (strcmp(c->collectors[i].name, name) == 0)
			return &c->collectors[i];
	return NULL;
}

static void
auth_free(struct snmp_auth *a)
{
	free(a->protocol);
	free(a->passphrase);
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	alert_cfg_free(c);
	free(c->path);
	free(c->agent.name);
	free(c->agent.hostname);
	free(c->agent.data_dir);
	free(c->agent.procfs);
	free(c->agent.sysfs);
	free(c->agent.plugin_dir);
	free(c->agent.log_level);
	free(c->web.listen);
	free(c->web.host);
	free(c->storage.rrdcached);
	for (size_t i = 0; i < c->ncollectors; i++)
		free(c->collectors[i].name);
	free(c->collectors);
	for (size_t i = 0; i < c->ndevices; i++) {
		struct device_cfg *d = &c->devices[i];

		free(d->name);
		free(d->address);
		free(d->host);
		free(d->community);
		free(d->user);
		free(d->security_level);
		free(d->context);
		auth_free(&d->auth);
		auth_free(&d->priv);
	}
	free(c->devices);
	for (size_t i = 0; i < c->nalerts; i++) {
		free(c->alerts[i].name);
		free(c->alerts[i].metric);
		match_cfg_free(&c->alerts[i].match);
	}
	free(c->alerts);
	for (size_t i = 0; i < c->nhooks; i++) {
		free(c->hooks[i].name);
		for (size_t j = 0; j < c->hooks[i].argc; j++)
			free(c->hooks[i].argv[j]);
		free(c->hooks[i].argv);
		match_cfg_free(&c->hooks[i].match);
	}
	free(c->hooks);
	cfgdoc_free(c->doc);
	free(c);
}
