// SPDX-License-Identifier: MIT
/*
 * The alerting JSON API: GET /api/v1/alerts (active instances, the alert
 * log, silences and maintenance windows), silences through POST
 * /api/v1/silences and DELETE /api/v1/silences/ID, and the bottleneck
 * ranking at GET /api/v1/bottlenecks. The engines own the logic; this only
 * translates.
 */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "alert.h"
#include "bottleneck.h"
#include "config.h"
#include "http.h"
#include "silence.h"
#include "util.h"

static struct alerts *
engine(struct http_req *r)
{
	return r->deps->agent ? agent_alerts(r->deps->agent) : NULL;
}

static int
h_alerts(struct http_req *r)
{
	struct alerts *a = engine(r);
	const char *lim = http_arg(r, "limit");
	long limit = 100;
	char *s, *end;

	if (a == NULL)
		return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the alert engine is not running");
	if (lim) {
		limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || limit < 0 || limit > 10000)
			return http_error(r, MHD_HTTP_BAD_REQUEST, "limit",
			    "limit must be 0..10000");
	}
	s = alerts_json(a, now_ms(), (size_t)limit);
	if (s == NULL)
		return http_error(
		    r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "cannot render");
	return http_reply_owned(
	    r, MHD_HTTP_OK, "application/json", s, strlen(s));
}

static int
silence_list(struct http_req *r, struct alerts *a)
{
	char *s = alerts_json(a, now_ms(), 0), *out;
	json_t *o = s ? json_loads(s, 0, NULL) : NULL, *res;

	free(s);
	if (o == NULL)
		return http_error(
		    r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "cannot render");
	res = json_pack("{sO}", "silences", json_object_get(o, "silences"));
	out = json_dumps(res, JSON_COMPACT);
	json_decref(res);
	json_decref(o);
	return http_reply_owned(
	    r, MHD_HTTP_OK, "application/json", out, strlen(out));
}

static int
time_arg(json_t *o, const char *key, int64_t *ms)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return -ENOENT;
	if (json_is_integer(v)) {
		*ms = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) &&
	    time_parse_rfc3339(json_string_value(v), ms) == 0)
		return 0;
	return -EINVAL;
}

void
silence_req_free(struct silence_req *q)
{
	free(q->match.keys);
	free(q->match.values);
	json_decref(q->json);
	memset(q, 0, sizeof(*q));
}

int
silence_parse(const char *body, size_t len, int64_t now, struct silence_req *q,
    const char **param, const char **msg)
{
	json_error_t jerr;
	json_t *o = json_loadb(body, len, 0, &jerr), *m, *v;
	const char *key;
	int64_t dur;

	memset(q, 0, sizeof(*q));
	q->json = o;
	q->start = now;
	*param = NULL;
	if (o == NULL || !json_is_object(o)) {
		*msg = "body must be a JSON object {match, end | duration, "
		       "comment}";
		goto bad;
	}
	m = json_object_get(o, "match");
	if (!json_is_object(m) || json_object_size(m) == 0) {
		*param = "match";
		*msg = "match must be a non-empty object of label: glob";
		goto bad;
	}
	q->match.keys = xcalloc(json_object_size(m), sizeof(char *));
	q->match.values = xcalloc(json_object_size(m), sizeof(char *));
	json_object_foreach(m, key, v)
	{
		if (!json_is_string(v)) {
			*param = "match";
			*msg = "match values must be strings";
			goto bad;
		}
		q->match.keys[q->match.n] = (char *)key;
		q->match.values[q->match.n++] = (char *)json_string_value(v);
	}
	if (time_arg(o, "start", &q->start) == -EINVAL) {
		*param = "start";
		*msg = "start must be RFC 3339 (2026-11-27T22:00:00Z) or ms";
		goto bad;
	}
	if (time_arg(o, "end", &q->end) == -EINVAL) {
		*param = "end";
		*msg = "end must be RFC 3339 (2026-11-27T22:00:00Z) or ms";
		goto bad;
	}
	v = json_object_get(o, "duration");
	if (v && (!json_is_string(v) ||
	             duration_parse(json_string_value(v), &dur) < 0)) {
		*param = "duration";
		*msg = "duration must be like 30m, 2h";
		goto bad;
	}
	if (v) {
		if (q->start > INT64_MAX - dur) {
			*param = "duration";
			*msg = "start + duration is past the year 292 million";
			goto bad;
		}
		q->end = q->start + dur;
	}
	if (q->end <= q->start) {
		*param = "end";
		*msg = "a silence needs an end (or duration) after its start";
		goto bad;
	}
	v = json_object_get(o, "author");
	if (json_is_string(v))
		q->author = json_string_value(v);
	v = json_object_get(o, "comment");
	if (json_is_string(v))
		q->comment = json_string_value(v);
	return 0;
bad:
	silence_req_free(q);
	return -EINVAL;
}

static int
silence_add(struct http_req *r, struct alerts *a)
{
	struct silence_req q;
	const char *param, *msg;
	char buf[64];
	int64_t id;
	int rc;

	if (silence_parse(r->body, r->body_len, now_ms(), &q, &param, &msg) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, param, msg);
	id = alerts_silence_add(
	    a, &q.match, q.start, q.end, q.author, q.comment);
	if (id < 0) {
		rc = http_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
		    "cannot store the silence");
	} else {
		snprintf(buf, sizeof(buf), "{\"id\":%lld}\n", (long long)id);
		rc = http_reply(
		    r, MHD_HTTP_CREATED, "application/json", buf, strlen(buf));
	}
	silence_req_free(&q);
	return rc;
}

static int
h_silences(struct http_req *r)
{
	struct alerts *a = engine(r);
	const char *rest = r->url + strlen("/api/v1/silences");

	if (a == NULL)
		return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the alert engine is not running");
	if (*rest == '/')
		rest++;
	if (strcmp(r->method, "DELETE") == 0) {
		char *end;
		long long id = strtoll(rest, &end, 10);

		if (*rest == '\0' || *end != '\0' || id <= 0)
			return http_error(r, MHD_HTTP_BAD_REQUEST, "id",
			    "DELETE /api/v1/silences/ID");
		if (alerts_silence_del(a, id) < 0)
			return http_error(
			    r, MHD_HTTP_NOT_FOUND, "id", "no such silence");
		return http_reply(r, MHD_HTTP_OK, "application/json",
		    "{\"deleted\":true}\n", 17);
	}
	if (*rest != '\0')
		return http_error(r, MHD_HTTP_NOT_FOUND, NULL, "no such page");
	if (strcmp(r->method, "POST") == 0)
		return silence_add(r, a);
	return silence_list(r, a);
}

/* GET /api/v1/bottlenecks[?window=15m][&limit=20][&format=text] */
static int
h_bottlenecks(struct http_req *r)
{
	struct agent *ag = r->deps->agent;
	const struct config *cfg = r->cfg;
	const char *w = http_arg(r, "window"), *lim = http_arg(r, "limit");
	const char *fmt = http_arg(r, "format");
	struct bn_input in = {0};
	char *s, *end;

	if (cfg == NULL)
		return http_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the agent is not running");
	in.window_ms = cfg->bottlenecks.window_ms;
	if (w && (duration_parse(w, &in.window_ms) < 0 ||
	             in.window_ms < 60000 || in.window_ms > 7 * 86400000LL))
		return http_error(r, MHD_HTTP_BAD_REQUEST, "window",
		    "window must be a duration from 1m to 7d, like 15m");
	if (lim) {
		long n = strtol(lim, &end, 10);

		if (*lim == '\0' || *end != '\0' || n < 1 || n > 1000)
			return http_error(r, MHD_HTTP_BAD_REQUEST, "limit",
			    "limit must be 1..1000");
		in.limit = (size_t)n;
	}
	in.cache = agent_cache(ag);
	in.store = agent_store(ag);
	in.data_dir = cfg->agent.data_dir;
	in.db = agent_db(ag);
	in.targets = agent_targets(ag);
	in.hostname = cfg->agent.hostname;
	in.host_role = cfg->bottlenecks.host_role;
	in.now_ms = now_ms();
	s = bottlenecks_json(&in);
	if (s == NULL)
		return http_error(
		    r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "cannot render");
	if (fmt && strcmp(fmt, "text") == 0) {
		char *txt = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&txt, &len);

		if (f)
			bottlenecks_text(s, f);
		if (f)
			fclose(f);
		free(s);
		return http_reply_owned(
		    r, MHD_HTTP_OK, "text/plain; charset=utf-8", txt, len);
	}
	return http_reply_owned(
	    r, MHD_HTTP_OK, "application/json", s, strlen(s));
}

void
alert_api_register(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	http_route_add("/api/v1/alerts", h_alerts);
	http_route_add("/api/v1/bottlenecks", h_bottlenecks);
	http_route_add_rw("/api/v1/silences", h_silences);
	http_route_add_rw("/api/v1/silences/", h_silences);
}
