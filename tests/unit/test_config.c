// SPDX-License-Identifier: MIT
/* Config parsing: every kind of error names FILE:LINE:COL exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

/* Parses text; returns the formatted errors joined by '\n' (static). */
static const char *
errors_of(const char *text)
{
	static char out[8192];
	struct cfg_errs e;
	struct config *c;
	size_t n = 0;
	char buf[1024];

	cfg_errs_init(&e);
	c = config_parse("t.yaml", text, strlen(text), &e);
	out[0] = '\0';
	for (size_t i = 0; i < e.n; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
		    i ? "\n" : "", err_format(&e.v[i], buf, sizeof(buf)));
	if (e.n == 0)
		assert_non_null(c);
	else
		assert_null(c);
	config_free(c);
	cfg_errs_fini(&e);
	return out;
}

static void
defaults_are_valid(void **st)
{
	struct cfg_errs e;
	struct config *c;

	(void)st;
	cfg_errs_init(&e);
	c = config_load(NULL, &e);
	assert_non_null(c);
	assert_int_equal(e.n, 0);
	assert_string_equal(c->agent.data_dir, "./chokepoint-data");
	assert_int_equal(c->agent.interval_ms, 10000);
	assert_string_equal(c->web.host, "127.0.0.1");
	assert_int_equal(c->web.port, 8080);
	assert_int_equal(c->ncollectors, 3);
	assert_non_null(config_collector(c, "diskio"));
	assert_string_equal(c->agent.procfs, "/proc");
	config_free(c);
	cfg_errs_fini(&e);
}

static void
full_design_example_is_valid(void **st)
{
	const char *y =
	    "agent:\n"
	    "  name: site-a\n"
	    "  data_dir: /tmp/x\n"
	    "  interval: 10s\n"
	    "  procfs: /proc\n"
	    "  sysfs: /sys\n"
	    "  plugin_dir: build/collectors\n"
	    "web:\n"
	    "  listen: 127.0.0.1:8080\n"
	    "storage:\n"
	    "  rrdcached: unix:/run/rrdcached.sock\n"
	    "collectors:\n"
	    "  cpu: {}\n"
	    "  memory: {processes: {web: [nginx, php-fpm], db: [postgres]}}\n"
	    "  diskio: {interval: 500ms}\n"
	    "devices:\n"
	    "  - name: core1\n"
	    "    role: core\n"
	    "    address: 127.0.0.1:11161\n"
	    "    snmp: {version: 2c, community: public}\n"
	    "    interval: 10s\n"
	    "  - name: sw6\n"
	    "    role: l2\n"
	    "    address: '[::1]:161'\n"
	    "    snmp: {version: 3, user: mon, auth: {protocol: SHA-256, "
	    "passphrase: abcdefgh}, priv: {protocol: AES, passphrase: "
	    "12345678}}\n"
	    "alerts:\n"
	    "  - name: uplink-saturated\n"
	    "    metric: if_in_util_ratio\n"
	    "    match: {role: core}\n"
	    "    above: 0.85\n"
	    "    clear: 0.75\n"
	    "    for: 2m\n"
	    "    severity: critical\n"
	    "hooks:\n"
	    "  - name: pager\n"
	    "    exec: [/usr/local/bin/page-oncall, --team, netops]\n"
	    "    timeout: 10s\n"
	    "    match: {severity: critical}\n";
	struct cfg_errs e;
	struct config *c;

	(void)st;
	cfg_errs_init(&e);
	c = config_parse("t.yaml", y, strlen(y), &e);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	assert_string_equal(c->agent.name, "site-a");
	assert_int_equal(c->ndevices, 2);
	assert_string_equal(c->devices[0].host, "127.0.0.1");
	assert_int_equal(c->devices[0].port, 11161);
	assert_int_equal(c->devices[0].role, ROLE_CORE);
	assert_string_equal(c->devices[1].host, "::1");
	assert_int_equal(c->devices[1].snmp_version, 3);
	assert_string_equal(c->devices[1].security_level, "authPriv");
	assert_int_equal(config_collector(c, "diskio")->interval_ms, 500);
	assert_int_equal(c->nalerts, 1);
	assert_true(c->alerts[0].has_above);
	assert_int_equal(c->alerts[0].for_ms, 120000);
	assert_int_equal(c->nhooks, 1);
	assert_int_equal(c->hooks[0].argc, 3);
	assert_string_equal(c->hooks[0].argv[2], "netops");
	assert_string_equal(c->storage.rrdcached, "unix:/run/rrdcached.sock");
	config_free(c);
	cfg_errs_fini(&e);
}

static void
syntax_error_has_position(void **st)
{
	(void)st;
	/* libfyaml sees an unclosed bracket at the end of the input; the
	 * error points at the bracket. */
	const char *r = errors_of("agent:\n  interval: [10s\n");

	assert_non_null(strstr(r, "t.yaml:2:13: YAML syntax error"));
	assert_non_null(strstr(r, "(it opens here)"));
	assert_string_equal(errors_of("a: b\n c: d\n:"),
	    errors_of("a: b\n c: d\n:")); /* deterministic */
}

/* Where libfyaml stops is not where the mistake is: tabs and what is
 * never closed are reported at their own line and column. */
static void
syntax_errors_point_at_the_cause(void **st)
{
	static const struct {
		const char *text, *at;
	} cases[] = {
	    {"agent:\n  interval: \"abc\n", "t.yaml:2:13: "},
	    {"agent:\n  interval: 'x\n\n\n", "t.yaml:2:13: "},
	    {"agent: {interval: 10s\n", "t.yaml:1:8: "},
	    {"agent:\n  interval: 10s\n  data_dir: [\n", "t.yaml:3:13: "},
	    /* Characters, not bytes; the quote after a UTF-8 name. */
	    {"agent:\n  name: \"\xc3\xa9\n", "t.yaml:2:9: "},
	    /* Tab indentation: on its line, not the next one. */
	    {"agent:\n\tinterval: 5s\nweb: {}\n", "t.yaml:2:1: "},
	    {"agent:\n  interval: 5s\n\thostname: x\nweb: {}\n",
	        "t.yaml:3:1: "},
	    /* A block scalar's text is not YAML: its quote and bracket
	     * are not the ones left open. */
	    {"hooks:\n  - name: x\n    script: |\n      echo \"[\n"
	     "    exec: [a, b\n",
	        "t.yaml:5:11: "},
	    /* Quotes and brackets inside quotes or comments do not count. */
	    {"hooks:\n  - name: x # [\n    exec: [sh, -c, 'echo [ok'\n",
	        "t.yaml:3:11: "},
	    /* A line indented to a column no level has: that line, not
	     * the end of the file or the next key. */
	    {"agent:\n  interval: 10s\n data_dir: x\nweb:\n  listen: x\n",
	        "t.yaml:3:2: "},
	    {"agent:\n    interval: 10s\n  data_dir: x\n", "t.yaml:3:3: "},
	    {"a:\n  b:\n    c: 1\n   d: 2\n", "t.yaml:4:4: "},
	    {"hooks:\n  - name: a\n   exec: [x]\n", "t.yaml:3:4: "},
	    {"hooks:\n  - name: a\n    exec: [x]\n - name: b\n",
	        "t.yaml:4:2: "},
	    /* An item where the mapping has keys. */
	    {"agent:\n  interval: 10s\n  - x\n", "t.yaml:3:3: "},
	    /* Block scalars, comments, a sequence at its key's column and
	     * quoted keys before the mistake are followed, not blamed. */
	    {"hooks:\n# note\n  - name: x\n    script: |\n      echo \"[\n\n"
	     "      more: y\n    exec: [a, b]\n"
	     "  - name: y\n   exec: [c]\n",
	        "t.yaml:10:4: "},
	    {"a:\n- x\n- 'y: z'\nb: 1\n\"c d\": 2\n e: 3\n", "t.yaml:6:2: "},
	    /* Sequences nested on one line, and their next items. */
	    {"a:\n  - - x\n    - y\n  - - - z\n      - w\n    - v\n"
	     "  - - name: n\n      k: 1\n     j: 2\n",
	        "t.yaml:9:6: "},
	    /* Brackets and quotes over several lines: their lines'
	     * indentation is free, the mistake after them is found. */
	    {"devices:\n  sw:\n    labels: {a: b,\n          c: \"d\n       # "
	     "e\",\n"
	     "      f: [g]}\n    x: 'h\n      i'\n   community: x\n",
	        "t.yaml:9:4: "},
	};
	char want[64];

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r = errors_of(cases[i].text);
		snprintf(
		    want, sizeof(want), "%sYAML syntax error", cases[i].at);
		if (strstr(r, want) == NULL)
			fail_msg("case %zu: want %s, got %s", i, want, r);
	}
	/* Never past the end of the file. */
	assert_non_null(strstr(errors_of("agent:\n  interval: 10s\n  - x"),
	    "t.yaml:3:3: YAML syntax error"));
	assert_non_null(strstr(errors_of("agent:\n  interval: 10s\n  - "),
	    "t.yaml:3:3: YAML syntax error"));
}

static void
bad_indentation_is_reported_at_its_line(void **st)
{
	const char *r;

	(void)st;
	r = errors_of("agent:\n  interval: 10s\n   data_dir: x\n");
	assert_non_null(strstr(r, "t.yaml:3:"));
}

static void
unknown_top_level_key(void **st)
{
	(void)st;
	assert_string_equal(errors_of("agent: {}\nagnet: {}\n"),
	    "t.yaml:2:1: unknown top-level key 'agnet' (expected agent, web, "
	    "storage, collectors, devices, alerts or hooks)");
}

static void
unknown_agent_key(void **st)
{
	(void)st;
	assert_string_equal(
	    errors_of("agent:\n  interval: 10s\n  intervall: 5s\n"),
	    "t.yaml:3:3: unknown key 'intervall' in agent");
}

static void
wrong_type(void **st)
{
	(void)st;
	assert_string_equal(errors_of("agent:\n  data_dir: [a, b]\n"),
	    "t.yaml:2:13: 'data_dir': expected a string, found a list");
	assert_string_equal(
	    errors_of("agent: 5\n"), "t.yaml:1:8: 'agent' must be a mapping");
}

static void
bad_duration(void **st)
{
	(void)st;
	assert_string_equal(errors_of("agent:\n  interval: 10 seconds\n"),
	    "t.yaml:2:13: 'interval': expected a duration such as 500ms, 10s, "
	    "5m, 1h; found '10 seconds'");
	assert_string_equal(errors_of("agent:\n  interval: 10ms\n"),
	    "t.yaml:2:13: 'interval' must be between 100ms and 24h");
}

static void
bad_address(void **st)
{
	(void)st;
	assert_string_equal(errors_of("web:\n  listen: 127.0.0.1:99999\n"),
	    "t.yaml:2:11: 'listen' must be host:port or [IPv6]:port, not "
	    "'127.0.0.1:99999'");
	assert_string_equal(
	    errors_of(
	        "devices:\n  - {name: a, role: core, address: '::1:161'}\n"),
	    "t.yaml:2:37: 'address' must be host[:port] or [IPv6]:port, not "
	    "'::1:161'");
}

static void
missing_required(void **st)
{
	(void)st;
	assert_string_equal(
	    errors_of("devices:\n  - name: sw1\n    role: l2\n"),
	    "t.yaml:2:5: device 'sw1' needs an 'address'");
	assert_string_equal(
	    errors_of("hooks:\n  - name: p\n    exec: [page]\n"),
	    "t.yaml:3:12: 'exec' program must be an absolute path, not 'page'");
}

static void
snmp_v3_rules(void **st)
{
	(void)st;
	assert_string_equal(
	    errors_of(
	        "devices:\n  - name: a\n    address: h\n    snmp: "
	        "{version: 3, auth: {protocol: SHA, passphrase: short}}\n"),
	    "t.yaml:4:58: 'auth.passphrase' must be at least 8 characters\n"
	    "t.yaml:4:11: SNMPv3 needs 'user'");
	assert_string_equal(errors_of("devices:\n  - name: a\n    address: h\n"
	                              "    snmp: {version: 4}\n"),
	    "t.yaml:4:21: 'snmp.version' must be 1, 2c or 3, not '4'");
}

static void
duplicate_keys_and_devices(void **st)
{
	(void)st;
	assert_string_equal(
	    errors_of("agent:\n  interval: 1s\n  interval: 2s\n"),
	    "t.yaml:3:3: duplicate key 'interval'");
	assert_string_equal(errors_of("devices:\n  - {name: a, address: h}\n"
	                              "  - {name: a, address: h}\n"),
	    "t.yaml:3:12: duplicate device name 'a'");
}

static void
alert_hysteresis_is_checked(void **st)
{
	(void)st;
	assert_string_equal(
	    errors_of(
	        "alerts:\n  - {name: x, metric: m, above: 0.8, clear: 0.9}\n"),
	    "t.yaml:2:45: 'clear' must not be above 'above' (hysteresis)");
}

static void
every_error_is_reported(void **st)
{
	const char *r;

	(void)st;
	r = errors_of("agent:\n  interval: x\n  data_dir: [1]\nweb:\n  listen: "
	              "':'\nbogus: 1\n");
	assert_non_null(strstr(r, "t.yaml:2:13"));
	assert_non_null(strstr(r, "t.yaml:3:13"));
	assert_non_null(strstr(r, "t.yaml:5:12"));
	assert_non_null(strstr(r, "t.yaml:6:1"));
}

static void
anchors_and_aliases(void **st)
{
	const char *y = "x-snmp: &s {version: 2c, community: c1}\n";
	(void)st;
	/* x-snmp is an unknown top-level key: still reported, alias resolved */
	assert_non_null(strstr(errors_of(y), "unknown top-level key 'x-snmp'"));
	const char *ok =
	    "devices:\n  - {name: a, address: h, snmp: &s {community: c1}}\n"
	    "  - {name: b, address: h, snmp: *s}\n";
	struct cfg_errs e;
	struct config *c;

	cfg_errs_init(&e);
	c = config_parse("t.yaml", ok, strlen(ok), &e);
	assert_non_null(c);
	assert_string_equal(c->devices[1].community, "c1");
	config_free(c);
	cfg_errs_fini(&e);
}

static void
durations(void **st)
{
	int64_t ms;
	char buf[32];

	(void)st;
	assert_int_equal(duration_parse("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(duration_parse("10s", &ms), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(duration_parse("5m", &ms), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(duration_parse("1h", &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(duration_parse("2d", &ms), 0);
	assert_int_equal(ms, 172800000);
	assert_int_equal(duration_parse("2w", &ms), 0);
	assert_int_equal(ms, 14 * 86400000LL);
	assert_int_equal(duration_parse("5y", &ms), 0);
	assert_int_equal(ms, 5 * 365 * 86400000LL);
	assert_int_equal(duration_parse("7", &ms), 0);
	assert_int_equal(ms, 7000);
	assert_int_equal(duration_parse("", &ms), -22);
	assert_int_equal(duration_parse("1.5s", &ms), -22);
	assert_int_equal(duration_parse("-1s", &ms), -22);
	assert_int_equal(duration_parse("10 s", &ms), -22);
	assert_int_equal(duration_parse("99999999999999999999s", &ms), -22);
	assert_string_equal(duration_format(120000, buf, sizeof(buf)), "2m");
	assert_string_equal(duration_format(1500, buf, sizeof(buf)), "1500ms");
}

static void
sanitised_names_never_escape(void **st)
{
	char b[200];

	(void)st;
	assert_string_equal(name_sanitize("..", b, sizeof(b)), "__");
	assert_string_equal(name_sanitize(".", b, sizeof(b)), "_");
	assert_string_equal(name_sanitize("", b, sizeof(b)), "_");
	assert_string_equal(
	    name_sanitize("../etc/passwd", b, sizeof(b)), ".._etc_passwd");
	assert_string_equal(name_sanitize("Gi1/0/1", b, sizeof(b)), "Gi1_0_1");
	assert_string_equal(
	    name_sanitize("core-1.site_a", b, sizeof(b)), "core-1.site_a");
	char longs[400];

	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	assert_int_equal(strlen(name_sanitize(longs, b, sizeof(b))), 128);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_are_valid),
	    cmocka_unit_test(full_design_example_is_valid),
	    cmocka_unit_test(syntax_error_has_position),
	    cmocka_unit_test(syntax_errors_point_at_the_cause),
	    cmocka_unit_test(bad_indentation_is_reported_at_its_line),
	    cmocka_unit_test(unknown_top_level_key),
	    cmocka_unit_test(unknown_agent_key),
	    cmocka_unit_test(wrong_type),
	    cmocka_unit_test(bad_duration),
	    cmocka_unit_test(bad_address),
	    cmocka_unit_test(missing_required),
	    cmocka_unit_test(snmp_v3_rules),
	    cmocka_unit_test(duplicate_keys_and_devices),
	    cmocka_unit_test(alert_hysteresis_is_checked),
	    cmocka_unit_test(every_error_is_reported),
	    cmocka_unit_test(anchors_and_aliases),
	    cmocka_unit_test(durations),
	    cmocka_unit_test(sanitised_names_never_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
