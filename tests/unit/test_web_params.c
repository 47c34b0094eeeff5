// SPDX-License-Identifier: MIT
/*
 * Request parameter validation (web/params.c): names, times, integers,
 * label lists, static paths and graph paths, with the hostile inputs a
 * client can send (traversal, encodings, control bytes, overlong values).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"
#include "params.h"
#include "silence.h"

static void
target_names(void **st)
{
	(void)st;
	assert_int_equal(param_target("sw1"), 0);
	assert_int_equal(param_target("core-1.site_a:x"), 0);
	assert_int_equal(param_target(NULL), -EINVAL);
	assert_int_equal(param_target(""), -EINVAL);
	assert_int_equal(param_target("."), -EINVAL);
	assert_int_equal(param_target(".."), -EINVAL);
	assert_int_equal(param_target("a/b"), -EINVAL);
	assert_int_equal(param_target("a b"), -EINVAL);
	assert_int_equal(param_target("a\x7f"), -EINVAL);
	char big[200];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(param_target(big), -EINVAL);
	big[128] = '\0';
	assert_int_equal(param_target(big), 0);
}

static void
metric_names(void **st)
{
	(void)st;
	assert_int_equal(param_metric("if_in_util_ratio"), 0);
	assert_int_equal(param_metric("_x"), 0);
	assert_int_equal(param_metric("1x"), -EINVAL);
	assert_int_equal(param_metric("if-in"), -EINVAL);
	assert_int_equal(param_metric("a.b"), -EINVAL);
	assert_int_equal(param_metric(""), -EINVAL);
}

static void
times_relative_and_absolute(void **st)
{
	int64_t t = 0;

	(void)st;
	assert_int_equal(param_time("now", 1000000, &t), 0);
	assert_int_equal(t, 1000000);
	assert_int_equal(param_time("-1h", 1000000, &t), 0);
	assert_int_equal(t, 1000000 - 3600);
	assert_int_equal(param_time("now-7d", 1000000, &t), 0);
	assert_int_equal(t, 1000000 - 7 * 86400);
	assert_int_equal(param_time("-90s", 1000000, &t), 0);
	assert_int_equal(t, 1000000 - 90);
	assert_int_equal(param_time("1700000000", 1000000, &t), 0);
	assert_int_equal(t, 1700000000);
	/* A bare relative number is ambiguous: refused. */
	assert_int_equal(param_time("-5", 1000000, &t), -EINVAL);
	assert_int_equal(param_time("yesterday", 0, &t), -EINVAL);
	assert_int_equal(param_time("1e9", 0, &t), -EINVAL);
	assert_int_equal(param_time("-1x", 0, &t), -EINVAL);
	assert_int_equal(param_time("", 0, &t), -EINVAL);
	assert_int_equal(param_time("999999999999", 0, &t), -EINVAL);
	assert_int_equal(param_time("-99999d", 0, &t), -EINVAL);
}

static void
integers_in_range(void **st)
{
	int64_t v;

	(void)st;
	assert_int_equal(param_int("600", 100, 2000, &v), 0);
	assert_int_equal(v, 600);
	assert_int_equal(param_int("99", 100, 2000, &v), -EINVAL);
	assert_int_equal(param_int("-3", 1, 10, &v), -EINVAL);
	assert_int_equal(param_int("-3", -5, 10, &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(param_int("12a", 0, 100, &v), -EINVAL);
	assert_int_equal(param_int(" 1", 0, 100, &v), -EINVAL);
	assert_int_equal(param_int("-", 0, 100, &v), -EINVAL);
	assert_int_equal(
	    param_int("99999999999999999999", 0, INT64_MAX, &v), -EINVAL);
}

static void
labels_sorted_and_checked(void **st)
{
	struct cp_label l[PARAM_MAX_LABELS];
	char buf[PARAM_MAX_LEN + 1];
	size_t n = 99;

	(void)st;
	assert_int_equal(param_labels(NULL, l, 16, &n, buf, sizeof(buf)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(param_labels("ifname=Gi1/0/1,ifindex=1", l, 16, &n,
	                     buf, sizeof(buf)),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].key, "ifindex");
	assert_string_equal(l[0].value, "1");
	assert_string_equal(l[1].key, "ifname");
	assert_string_equal(l[1].value, "Gi1/0/1");
	assert_int_equal(param_labels("a=", l, 16, &n, buf, sizeof(buf)), 0);
	assert_string_equal(l[0].value, "");
	assert_int_equal(
	    param_labels("a", l, 16, &n, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(
	    param_labels("a=1,a=2", l, 16, &n, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(
	    param_labels("a=1=2", l, 16, &n, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(
	    param_labels("1a=1", l, 16, &n, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(
	    param_labels("a=1,", l, 16, &n, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(
	    param_labels("a=x\ty", l, 16, &n, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(
	    param_labels("a=1,b=2,c=3", l, 2, &n, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(param_labels("a=1234", l, 16, &n, buf, 4), -EINVAL);
}

static void
static_paths_never_escape(void **st)
{
	(void)st;
	assert_int_equal(param_static_path(""), 0);
	assert_int_equal(param_static_path("app.js"), 0);
	assert_int_equal(param_static_path("img/logo-2.svg"), 0);
	assert_int_equal(param_static_path(".."), -EINVAL);
	assert_int_equal(param_static_path("../etc/passwd"), -EINVAL);
	assert_int_equal(param_static_path("a/../../b"), -EINVAL);
	assert_int_equal(param_static_path("a/./b"), -EINVAL);
	assert_int_equal(param_static_path(".git/config"), -EINVAL);
	assert_int_equal(param_static_path("/etc/passwd"), -EINVAL);
	assert_int_equal(param_static_path("a//b"), -EINVAL);
	assert_int_equal(param_static_path("a/"), -EINVAL);
	assert_int_equal(param_static_path("a\\b"), -EINVAL);
	assert_int_equal(param_static_path("%2e%2e"), -EINVAL);
	assert_int_equal(param_static_path("app.js\x7f.png"), -EINVAL);
}

static void
graph_paths(void **st)
{
	char t[160], m[160];
	int svg = -1;

	(void)st;
	assert_int_equal(param_graph_path("/graph/sw1/if_in_util_ratio.png", t,
	                     sizeof(t), m, sizeof(m), &svg),
	    0);
	assert_string_equal(t, "sw1");
	assert_string_equal(m, "if_in_util_ratio");
	assert_int_equal(svg, 0);
	assert_int_equal(param_graph_path("/graph/a.b/x.svg", t, sizeof(t), m,
	                     sizeof(m), &svg),
	    0);
	assert_string_equal(t, "a.b");
	assert_int_equal(svg, 1);
	assert_int_equal(param_graph_path("/graph/../x.png", t, sizeof(t), m,
	                     sizeof(m), &svg),
	    -EINVAL);
	assert_int_equal(param_graph_path("/graph/sw1/../x.png", t, sizeof(t),
	                     m, sizeof(m), &svg),
	    -EINVAL);
	assert_int_equal(param_graph_path("/graph/sw1/x.gif", t, sizeof(t), m,
	                     sizeof(m), &svg),
	    -EINVAL);
	assert_int_equal(
	    param_graph_path("/graph//x.png", t, sizeof(t), m, sizeof(m), &svg),
	    -EINVAL);
	assert_int_equal(param_graph_path("/graph/sw1/.png", t, sizeof(t), m,
	                     sizeof(m), &svg),
	    -EINVAL);
	assert_int_equal(
	    param_graph_path("/graph/sw1/x.png", t, 3, m, sizeof(m), &svg),
	    -EINVAL);
	assert_int_equal(param_graph_path("/other/sw1/x.png", t, sizeof(t), m,
	                     sizeof(m), &svg),
	    -EINVAL);
}

static void
choices(void **st)
{
	static const char *const c[] = {"AVERAGE", "MAX", NULL};

	(void)st;
	assert_int_equal(param_choice("MAX", c), 1);
	assert_int_equal(param_choice("max", c), -EINVAL);
	assert_int_equal(param_choice(NULL, c), -EINVAL);
}

static void
unescape_keeps_nul_out(void **st)
{
	char a[] = "%2e%2e/%2E%2e", b[] = "app.js%00.png", c[] = "%zz%4%",
	     d[] = "a+b%20c";

	(void)st;
	assert_int_equal(http_unescape(a), 5);
	assert_string_equal(a, "../..");
	/* A NUL would cut the path short: it becomes DEL, refused later. */
	assert_int_equal(http_unescape(b), 11);
	assert_string_equal(b, "app.js\x7f.png");
	assert_int_equal(param_static_path(b), -EINVAL);
	assert_int_equal(http_unescape(c), 6);
	assert_string_equal(c, "%zz%4%");
	http_unescape(d);
	assert_string_equal(d, "a+b c");
}

static const char *
silence_err(const char *body)
{
	struct silence_req q;
	const char *param = "unset", *msg = NULL;

	if (silence_parse(
	        body, strlen(body), 1700000000000, &q, &param, &msg) == 0) {
		silence_req_free(&q);
		return "accepted";
	}
	assert_non_null(msg);
	return param ? param : "(body)";
}

/* The POST /api/v1/silences body: each refusal names its field. */
static void
silence_bodies(void **state)
{
	struct silence_req q;
	const char *param, *msg;
	const char *ok = "{\"match\":{\"target\":\"sw*\",\"severity\":"
	                 "\"page\"},\"duration\":\"2h\",\"author\":\"ops\"}";

	(void)state;
	assert_int_equal(
	    silence_parse(ok, strlen(ok), 1700000000000, &q, &param, &msg), 0);
	assert_int_equal(q.match.n, 2);
	assert_true(q.start == 1700000000000);
	assert_true(q.end == 1700000000000 + 2 * 3600 * 1000);
	assert_string_equal(q.author, "ops");
	assert_null(q.comment);
	silence_req_free(&q);
	assert_string_equal(silence_err("not json"), "(body)");
	assert_string_equal(silence_err("[1]"), "(body)");
	assert_string_equal(silence_err("{\"match\":{}}"), "match");
	assert_string_equal(
	    silence_err("{\"match\":{\"a\":1},\"duration\":\"1h\"}"), "match");
	assert_string_equal(silence_err("{\"match\":{\"a\":\"b\"}}"), "end");
	assert_string_equal(
	    silence_err("{\"match\":{\"a\":\"b\"},\"start\":\"yesterday\","
	                "\"duration\":\"1h\"}"),
	    "start");
	assert_string_equal(
	    silence_err("{\"match\":{\"a\":\"b\"},\"duration\":\"soon\"}"),
	    "duration");
	/* start + duration past INT64_MAX: refused, not overflowed */
	assert_string_equal(
	    silence_err("{\"match\":{\"a\":\"b\"},\"start\":"
	                "9223372036854775000,\"duration\":\"2h\"}"),
	    "duration");
	assert_string_equal(silence_err("{\"match\":{\"a\":\"b\"},\"start\":"
	                                "\"2026-11-27T22:00:00Z\",\"end\":"
	                                "\"2026-11-27T23:00:00Z\"}"),
	    "accepted");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(target_names),
	    cmocka_unit_test(metric_names),
	    cmocka_unit_test(times_relative_and_absolute),
	    cmocka_unit_test(integers_in_range),
	    cmocka_unit_test(labels_sorted_and_checked),
	    cmocka_unit_test(static_paths_never_escape),
	    cmocka_unit_test(graph_paths),
	    cmocka_unit_test(choices),
	    cmocka_unit_test(unescape_keeps_nul_out),
	    cmocka_unit_test(silence_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
