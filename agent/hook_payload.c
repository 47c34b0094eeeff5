// SPDX-License-Identifier: MIT
/*
 * What a hook receives: the notification as JSON (the first instance's
 * fields at the top, every instance under "instances") and the same as
 * CHOKEPOINT_* environment variables, with a minimal PATH and nothing else
 * of the agent's environment.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hook.h"
#include "util.h"

static const char *
status_name(int state)
{
	return state == ALERT_RESOLVED ? "resolved" : alert_state_name(state);
}

static void
rfc3339(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *
dash_url(const char *base, const char *id)
{
	if (base == NULL || base[0] == '\0')
		return xstrdup("");
	/* The dashboard keeps its state in the query: ?page=alerts&id=. */
	return xasprintf("%s%s?page=alerts&id=%s", base,
	    base[strlen(base) - 1] == '/' ? "" : "/", id);
}

static json_t *
view_json(const struct alert_view *v, const char *dashboard_url)
{
	json_t *o = json_object(), *l = json_object();
	char ts[32], *u;

	for (size_t i = 0; i < v->nlabels; i++)
		json_object_set_new(
		    l, v->labels[i].key, json_string(v->labels[i].value));
	rfc3339(v->started_ms, ts, sizeof(ts));
	u = dash_url(dashboard_url, v->id);
	json_object_set_new(o, "id", json_string(v->id));
	json_object_set_new(o, "transition_id", json_integer(v->transition_id));
	json_object_set_new(o, "status", json_string(status_name(v->state)));
	json_object_set_new(
	    o, "previous_status", json_string(status_name(v->prev_state)));
	json_object_set_new(
	    o, "severity", json_string(alert_severity_name(v->severity)));
	json_object_set_new(o, "previous_severity",
	    json_string(alert_severity_name(v->prev_severity)));
	json_object_set_new(o, "rule", json_string(v->rule));
	json_object_set_new(o, "target", json_string(v->target));
	json_object_set_new(
	    o, "role", json_string(v->role ? v->role : "other"));
	json_object_set_new(o, "labels", l);
	json_object_set_new(o, "value", json_real(v->value));
	json_object_set_new(o, "threshold", json_real(v->threshold));
	json_object_set_new(o, "started", json_string(ts));
	json_object_set_new(o, "started_ms", json_integer(v->started_ms));
	json_object_set_new(o, "duration_seconds",
	    json_integer((v->time_ms - v->started_ms) / 1000));
	json_object_set_new(o, "repeat", json_boolean(v->repeat));
	json_object_set_new(o, "dashboard_url", json_string(u));
	free(u);
	return o;
}

char *
hooks_json(const struct alert_view *v, size_t n, const char *site,
    const char *dashboard_url, const char *hook)
{
	json_t *o = view_json(&v[0], dashboard_url), *arr = json_array();
	char *s;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, view_json(&v[i], dashboard_url));
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "site", json_string(site ? site : ""));
	json_object_set_new(o, "hook", json_string(hook ? hook : ""));
	json_object_set_new(o, "count", json_integer((json_int_t)n));
	json_object_set_new(o, "instances", arr);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

static void
env_add(char ***env, size_t *n, const char *k, const char *v)
{
	*env = xrealloc(*env, (*n + 2) * sizeof(char *));
	(*env)[(*n)++] = xasprintf("%s=%s", k, v ? v : "");
	(*env)[*n] = NULL;
}

char **
hooks_env(const struct alert_view *v, size_t n, const char *site,
    const char *dashboard_url, const char *hook)
{
	char **env = NULL, buf[64], *u;
	size_t ne = 0;
	struct sbuf lb;

	env_add(&env, &ne, "PATH", "/usr/local/bin:/usr/bin:/bin");
	env_add(&env, &ne, "CHOKEPOINT_ID", v->id);
	snprintf(buf, sizeof(buf), "%lld", (long long)v->transition_id);
	env_add(&env, &ne, "CHOKEPOINT_TRANSITION_ID", buf);
	env_add(&env, &ne, "CHOKEPOINT_STATUS", status_name(v->state));
	env_add(&env, &ne, "CHOKEPOINT_PREVIOUS_STATUS",
	    status_name(v->prev_state));
	env_add(
	    &env, &ne, "CHOKEPOINT_SEVERITY", alert_severity_name(v->severity));
	env_add(&env, &ne, "CHOKEPOINT_PREVIOUS_SEVERITY",
	    alert_severity_name(v->prev_severity));
	env_add(&env, &ne, "CHOKEPOINT_RULE", v->rule);
	env_add(&env, &ne, "CHOKEPOINT_TARGET", v->target);
	env_add(&env, &ne, "CHOKEPOINT_ROLE", v->role ? v->role : "other");
	sbuf_init(&lb);
	for (size_t i = 0; i < v->nlabels; i++)
		sbuf_printf(&lb, "%s%s=%s", i ? "," : "", v->labels[i].key,
		    v->labels[i].value);
	env_add(&env, &ne, "CHOKEPOINT_LABELS", lb.s ? lb.s : "");
	sbuf_fini(&lb);
	snprintf(buf, sizeof(buf), "%.17g", v->value);
	env_add(&env, &ne, "CHOKEPOINT_VALUE", buf);
	snprintf(buf, sizeof(buf), "%.17g", v->threshold);
	env_add(&env, &ne, "CHOKEPOINT_THRESHOLD", buf);
	rfc3339(v->started_ms, buf, sizeof(buf));
	env_add(&env, &ne, "CHOKEPOINT_STARTED", buf);
	snprintf(buf, sizeof(buf), "%lld",
	    (long long)((v->time_ms - v->started_ms) / 1000));
	env_add(&env, &ne, "CHOKEPOINT_DURATION", buf);
	u = dash_url(dashboard_url, v->id);
	env_add(&env, &ne, "CHOKEPOINT_DASHBOARD_URL", u);
	free(u);
	snprintf(buf, sizeof(buf), "%zu", n);
	env_add(&env, &ne, "CHOKEPOINT_COUNT", buf);
	env_add(&env, &ne, "CHOKEPOINT_REPEAT", v->repeat ? "1" : "0");
	env_add(&env, &ne, "CHOKEPOINT_SITE", site);
	env_add(&env, &ne, "CHOKEPOINT_HOOK", hook);
	return env;
}

void
hooks_env_free(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}
