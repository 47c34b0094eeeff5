// SPDX-License-Identifier: MIT
/*
 * The alerting keys of the config that config.c's tables leave to this
 * module: the rest of an alert rule (escalation, rate of change, absence,
 * events, repeat), of a hook (concurrency, retries, repeat by severity,
 * grouping), and the top-level silences, maintenance and bottlenecks
 * sections. Called from config_parse(); errors name FILE:LINE:COL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "util.h"

int
time_parse_rfc3339(const char *s, int64_t *ms)
{
	struct tm tm = {0};
	const char *p;
	long off = 0;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (p == NULL)
		return -EINVAL;
	if (*p == '.') /* fractions of a second are ignored */
		while (*++p >= '0' && *p <= '9')
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm;

		if (strlen(p) != 6 || p[3] != ':' ||
		    sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 23 ||
		    mm > 59)
			return -EINVAL;
		off = (hh * 60L + mm) * 60L * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	*ms = ((int64_t)timegm(&tm) - off) * 1000;
	return 0;
}

static int
matchers_read(const struct cp_cfg *n, const char *key, struct match_cfg *m)
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
		const char *v = cp_cfg_scalar(cp_cfg_map_val(mn, i));

		m->keys[i] = xstrdup(cp_cfg_map_key(mn, i));
		if (v == NULL) {
			cp_cfg_error(cp_cfg_map_val(mn, i),
			    "'%s.%s' must be a string", key, m->keys[i]);
			v = "";
		}
		m->values[i] = xstrdup(v);
	}
	return 0;
}

static const char *const event_kinds[] = {
    "hotswap", "ecc", "firmware", "drift", "link", "reboot", NULL};

static int
rule_read(struct alert_cfg *a)
{
	const struct cp_cfg *an = a->node;
	const char *s;
	int bad = 0, r;

	a->enabled = 1;
	a->repeat_ms = -1;
	a->hold_ms = 15 * 60000;
	if (cp_cfg_bool(an, "enabled", &a->enabled) == -EINVAL)
		bad = 1;
	/* `{name: X, enabled: false}` switches a built-in off: no metric. */
	if (a->enabled && a->metric == NULL && !cp_cfg_child(an, "event") &&
	    !cp_cfg_child(an, "absent") && cp_cfg_child(an, "enabled")) {
		cp_cfg_error(
		    an, "alert '%s' needs a 'metric'", a->name ? a->name : "?");
		bad = 1;
	}
	r = cp_cfg_double(an, "critical", &a->critical);
	bad |= r == -EINVAL;
	a->has_critical = r == 0;
	a->critical_clear = a->critical;
	if (a->has_critical) {
		/* The escalation keeps the base rule's hysteresis width. */
		if (a->has_clear && a->has_above)
			a->critical_clear = a->critical - (a->above - a->clear);
		if (a->has_clear && a->has_below)
			a->critical_clear = a->critical + (a->clear - a->below);
	}
	bad |=
	    cp_cfg_double(an, "critical_clear", &a->critical_clear) == -EINVAL;
	if (a->has_critical && !a->has_above && !a->has_below) {
		cp_cfg_error(cp_cfg_child(an, "critical"),
		    "'critical' needs 'above' or 'below'");
		bad = 1;
	}
	if (a->has_critical && ((a->has_above && a->critical < a->above) ||
	                           (a->has_below && a->critical > a->below))) {
		cp_cfg_error(cp_cfg_child(an, "critical"),
		    "'critical' must be beyond the '%s' level",
		    a->has_above ? "above" : "below");
		bad = 1;
	}
	if (a->has_critical)
		a->severity = CP_SEV_WARNING;
	if (cp_cfg_duration(an, "change", &a->change_ms) == -EINVAL)
		bad = 1;
	if (cp_cfg_child(an, "absent")) {
		const char *t = cp_cfg_scalar(cp_cfg_child(an, "absent"));
		char *end = NULL;
		long n = t ? strtol(t, &end, 10) : 0;

		if (t && strcmp(t, "target") == 0) {
			a->absent_target = 1;
		} else if (t && *t && *end == '\0' && n >= 1 && n <= 1000000) {
			a->absent_intervals = (int)n;
			if (a->metric == NULL) {
				cp_cfg_error(an,
				    "alert '%s': 'absent: N' "
				    "needs a 'metric'",
				    a->name ? a->name : "?");
				bad = 1;
			}
		} else {
			cp_cfg_error(cp_cfg_child(an, "absent"),
			    "'absent' must be 'target' (target down) or a "
			    "number of intervals without data (1 or more)");
			bad = 1;
		}
	}
	if (cp_cfg_str(an, "event", &s) == 0) {
		size_t i;

		for (i = 0; event_kinds[i]; i++)
			if (strcmp(s, event_kinds[i]) == 0)
				break;
		if (event_kinds[i] == NULL) {
			cp_cfg_error(cp_cfg_child(an, "event"),
			    "'event' must be hotswap, ecc, firmware, drift, "
			    "link or reboot, not '%s'",
			    s);
			bad = 1;
		}
		a->event = xstrdup(s);
	} else if (cp_cfg_child(an, "event")) {
		bad = 1;
	}
	if (cp_cfg_duration(an, "hold", &a->hold_ms) == -EINVAL)
		bad = 1;
	if (cp_cfg_duration(an, "repeat", &a->repeat_ms) == -EINVAL)
		bad = 1;
	if ((a->event != NULL) + a->absent_target + (a->absent_intervals > 0) +
	        (a->change_ms > 0) >
	    1) {
		cp_cfg_error(an,
		    "alert '%s': use one of 'event', 'absent' or "
		    "'change'",
		    a->name ? a->name : "?");
		bad = 1;
	}
	if (a->metric && !a->absent_intervals && !a->has_above &&
	    !a->has_below && a->event == NULL && !a->absent_target) {
		cp_cfg_error(an,
		    "alert '%s' needs 'above' or 'below' (or "
		    "'absent')",
		    a->name ? a->name : "?");
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int
hook_read(struct hook_cfg *h)
{
	const struct cp_cfg *hn = h->node, *rp;
	int64_t v;
	int bad = 0;

	h->concurrency = 4;
	h->retries = 2;
	h->backoff_ms = 1000;
	h->repeat_ms[CP_SEV_INFO] = 0;
	h->repeat_ms[CP_SEV_WARNING] = 4 * 3600000;
	h->repeat_ms[CP_SEV_CRITICAL] = 3600000;
	h->group = 1;
	h->send_resolved = 1;
	if (cp_cfg_int(hn, "concurrency", 1, 64, &v) == 0)
		h->concurrency = (int)v;
	else if (cp_cfg_child(hn, "concurrency"))
		bad = 1;
	if (cp_cfg_int(hn, "retries", 0, 10, &v) == 0)
		h->retries = (int)v;
	else if (cp_cfg_child(hn, "retries"))
		bad = 1;
	if (cp_cfg_duration(hn, "backoff", &h->backoff_ms) == -EINVAL)
		bad = 1;
	bad |= cp_cfg_bool(hn, "group", &h->group) == -EINVAL;
	bad |= cp_cfg_bool(hn, "send_resolved", &h->send_resolved) == -EINVAL;
	rp = cp_cfg_child(hn, "repeat");
	if (rp && cp_cfg_scalar(rp)) {
		if (cp_cfg_duration(hn, "repeat", &v) == 0)
			h->repeat_ms[1] = h->repeat_ms[2] = v;
		else
			bad = 1;
	} else if (rp && cfg_node_is_map(rp)) {
		bad |=
		    cp_cfg_duration(rp, "warning", &h->repeat_ms[1]) == -EINVAL;
		bad |= cp_cfg_duration(rp, "critical", &h->repeat_ms[2]) ==
		       -EINVAL;
		cfg_node_report_unused(rp, "a hook's repeat");
	} else if (rp) {
		cp_cfg_error(rp, "'repeat' must be a duration or {warning: D, "
		                 "critical: D}");
		bad = 1;
	}
	if (h->timeout_ms < 100 || h->timeout_ms > 3600000) {
		cp_cfg_error(cp_cfg_child(hn, "timeout")
		                 ? cp_cfg_child(hn, "timeout")
		                 : hn,
		    "hook 'timeout' must be between 100ms and 1h");
		bad = 1;
	}
	return bad ? -1 : 0;
}

static const char *const day_names[] = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int
hhmm_parse(const char *s, int *min)
{
	int h, m;
	char tail;

	if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 ||
	    m < 0 || m > 59 || (h == 24 && m != 0))
		return -EINVAL;
	*min = h * 60 + m;
	return 0;
}

static int
window_read(const struct cp_cfg *n, struct window_cfg *w, int weekly)
{
	const struct cp_cfg *dn;
	const char *s;
	int bad = 0;

	w->node = n;
	if (!cfg_node_is_map(n)) {
		cp_cfg_error(n, "a %s must be a mapping",
		    weekly ? "maintenance window" : "silence");
		return -1;
	}
	if (cp_cfg_str(n, "name", &s) == 0)
		w->name = xstrdup(s);
	if (cp_cfg_str(n, "comment", &s) == 0)
		w->comment = xstrdup(s);
	bad |= matchers_read(n, "match", &w->match);
	if (w->match.n == 0) {
		cp_cfg_error(n,
		    "a %s needs 'match' (label: value, at least one)",
		    weekly ? "maintenance window" : "silence");
		bad = 1;
	}
	if (!weekly) {
		if (cp_cfg_str(n, "start", &s) == 0 &&
		    time_parse_rfc3339(s, &w->start_ms) < 0) {
			cp_cfg_error(cp_cfg_child(n, "start"),
			    "'start' must be a time like 2026-11-27T22:00:00Z, "
			    "not '%s'",
			    s);
			bad = 1;
		}
		if (cp_cfg_str(n, "end", &s) == 0 &&
		    time_parse_rfc3339(s, &w->end_ms) < 0) {
			cp_cfg_error(cp_cfg_child(n, "end"),
			    "'end' must be a time like 2026-11-28T02:00:00Z, "
			    "not '%s'",
			    s);
			bad = 1;
		}
		if (cp_cfg_child(n, "end") == NULL) {
			cp_cfg_error(n, "a silence needs an 'end' time");
			bad = 1;
		} else if (w->start_ms && w->end_ms <= w->start_ms) {
			cp_cfg_error(cp_cfg_child(n, "end"),
			    "'end' must be after 'start'");
			bad = 1;
		}
		return bad ? -1 : 0;
	}
	dn = cp_cfg_child(n, "days");
	if (dn == NULL) {
		w->days = 0x7f;
	} else if (!cfg_node_is_seq(dn) || cp_cfg_seq_len(dn) == 0) {
		cp_cfg_error(dn, "'days' must be a list such as [sat, sun]");
		bad = 1;
	} else {
		for (size_t i = 0; i < cp_cfg_seq_len(dn); i++) {
			const char *d = cp_cfg_scalar(cp_cfg_seq_at(dn, i));
			size_t j;

			for (j = 0; d && j < 7; j++)
				if (strncasecmp(d, day_names[j], 3) == 0)
					break;
			if (d == NULL || j == 7) {
				cp_cfg_error(cp_cfg_seq_at(dn, i),
				    "'days' items must be mon, tue, wed, thu, "
				    "fri, sat or sun");
				bad = 1;
				continue;
			}
			w->days |= 1u << j;
		}
	}
	if (cp_cfg_str(n, "from", &s) != 0 || hhmm_parse(s, &w->from_min) < 0) {
		cp_cfg_error(
		    cp_cfg_child(n, "from") ? cp_cfg_child(n, "from") : n,
		    "a maintenance window needs 'from' as HH:MM (UTC)");
		bad = 1;
	}
	if (cp_cfg_str(n, "to", &s) != 0 || hhmm_parse(s, &w->to_min) < 0) {
		cp_cfg_error(cp_cfg_child(n, "to") ? cp_cfg_child(n, "to") : n,
		    "a maintenance window needs 'to' as HH:MM (UTC)");
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int
windows_read(const struct cp_cfg *root, const char *key,
    struct window_cfg **out, size_t *nout)
{
	const struct cp_cfg *n = cp_cfg_child(root, key);
	int bad = 0;

	if (n == NULL)
		return 0;
	if (!cfg_node_is_seq(n)) {
		cp_cfg_error(n, "'%s' must be a list", key);
		return -1;
	}
	*nout = cp_cfg_seq_len(n);
	*out = xcalloc(*nout, sizeof(**out));
	for (size_t i = 0; i < *nout; i++) {
		const struct cp_cfg *wn = cp_cfg_seq_at(n, i);

		bad |= window_read(
		    wn, &(*out)[i], strcmp(key, "maintenance") == 0);
		if (cfg_node_is_map(wn))
			cfg_node_report_unused(wn, key);
	}
	return bad ? -1 : 0;
}

static const char *const roles[] = {"core", "l2", "web", "db", "other", NULL};

static int
bottlenecks_read(struct config *c, const struct cp_cfg *root)
{
	const struct cp_cfg *n = cp_cfg_child(root, "bottlenecks");
	const char *s;
	int bad = 0;

	c->bottlenecks.window_ms = 15 * 60000;
	if (n == NULL)
		return 0;
	if (!cfg_node_is_map(n)) {
		cp_cfg_error(n, "'bottlenecks' must be a mapping");
		return -1;
	}
	if (cp_cfg_str(n, "host_role", &s) == 0) {
		size_t i;

		for (i = 0; roles[i]; i++)
			if (strcmp(s, roles[i]) == 0)
				break;
		if (roles[i] == NULL) {
			cp_cfg_error(cp_cfg_child(n, "host_role"),
			    "'host_role' must be core, l2, web, db or other, "
			    "not '%s'",
			    s);
			bad = 1;
		} else {
			c->bottlenecks.host_role = xstrdup(s);
		}
	}
	if (cp_cfg_duration(n, "window", &c->bottlenecks.window_ms) == 0) {
		if (c->bottlenecks.window_ms < 60000 ||
		    c->bottlenecks.window_ms > 7 * 86400000LL) {
			cp_cfg_error(cp_cfg_child(n, "window"),
			    "'window' must be between 1m and 7d");
			bad = 1;
		}
	} else if (cp_cfg_child(n, "window")) {
		bad = 1;
	}
	if (cp_cfg_str(n, "dashboard_url", &s) == 0)
		c->bottlenecks.dashboard_url = xstrdup(s);
	cfg_node_report_unused(n, "bottlenecks");
	return bad ? -1 : 0;
}

int
alert_cfg_read(struct config *c, const struct cp_cfg *root)
{
	int bad = 0;

	for (size_t i = 0; i < c->nalerts; i++)
		if (c->alerts[i].node && cfg_node_is_map(c->alerts[i].node))
			bad |= rule_read(&c->alerts[i]);
	for (size_t i = 0; i < c->nhooks; i++)
		if (c->hooks[i].node && cfg_node_is_map(c->hooks[i].node))
			bad |= hook_read(&c->hooks[i]);
	bad |= windows_read(root, "silences", &c->silences, &c->nsilences);
	bad |= windows_read(
	    root, "maintenance", &c->maintenance, &c->nmaintenance);
	bad |= bottlenecks_read(c, root);
	return bad ? -1 : 0;
}

static void
windows_free(struct window_cfg *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].name);
		free(w[i].comment);
		match_cfg_free(&w[i].match);
	}
	free(w);
}

void
alert_cfg_free(struct config *c)
{
	for (size_t i = 0; i < c->nalerts; i++)
		free(c->alerts[i].event);
	windows_free(c->silences, c->nsilences);
	windows_free(c->maintenance, c->nmaintenance);
	free(c->bottlenecks.host_role);
	free(c->bottlenecks.dashboard_url);
}
