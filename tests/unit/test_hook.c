// SPDX-License-Identifier: MIT
/*
 * The hook runner with real processes: the JSON on stdin and CHOKEPOINT_*
 * environment a hook sees, a hung hook killed at its timeout (with its
 * children), a failing hook retried with backoff, the concurrency limit,
 * grouping, repeat filtering, and results in the hook_runs table.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "alert.h"
#include "config.h"
#include "db.h"
#include "helpers/rmtree.h"
#include "hook.h"
#include "util.h"

struct fx {
	char dir[128];
	struct config *cfg;
	struct db *db;
	struct hooks *h;
};

static void
write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

/* yaml may use @DIR@ for the temp dir. */
static struct fx *
fx_new(const char *yaml)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct cfg_errs errs;
	struct sbuf b;
	char err[256];
	const char *p;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_hook.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	sbuf_init(&b);
	for (p = yaml; *p;) {
		const char *q = strstr(p, "@DIR@");

		if (q == NULL) {
			sbuf_puts(&b, p);
			break;
		}
		sbuf_add(&b, p, (size_t)(q - p));
		sbuf_puts(&b, fx->dir);
		p = q + 5;
	}
	cfg_errs_init(&errs);
	fx->cfg = config_parse("test.yaml", b.s, b.len, &errs);
	if (fx->cfg == NULL)
		fprintf(stderr, "%s\n", errs.n ? errs.v[0].msg : "?");
	assert_non_null(fx->cfg);
	cfg_errs_fini(&errs);
	sbuf_fini(&b);
	fx->db = db_open(fx->dir, err, sizeof(err));
	assert_non_null(fx->db);
	return fx;
}

static void
fx_run(struct fx *fx)
{
	fx->h = hooks_new(fx->cfg, fx->db, "site-a", "http://127.0.0.1:8080/");
	assert_non_null(fx->h);
}

static void
fx_free(struct fx *fx)
{
	hooks_free(fx->h);
	db_close(fx->db);
	config_free(fx->cfg);
	tu_rm_tree(fx->dir);
	free(fx);
}

static struct cp_label lab[] = {
    {"ifname", "Gi1/0/1"}, {"metric", "if_out_util_ratio"}};

static struct alert_view
view(int state)
{
	struct alert_view v = {0};

	v.id = "0123456789abcdef";
	v.transition_id = 42;
	v.state = state;
	v.prev_state = state == ALERT_FIRING ? ALERT_PENDING : ALERT_FIRING;
	v.severity = CP_SEV_CRITICAL;
	v.prev_severity = CP_SEV_CRITICAL;
	v.rule = "core-uplink-saturated";
	v.target = "core1";
	v.role = "core";
	v.labels = lab;
	v.nlabels = 2;
	v.value = 0.97;
	v.threshold = 0.85;
	v.started_ms = 1800000000000LL;
	v.time_ms = 1800000120000LL;
	v.repeat_ms = -1;
	return v;
}

static char *
slurp(const char *dir, const char *name)
{
	char path[256];
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return file_read(path, 1 << 20, &len);
}

static int
runs(struct fx *fx, const char *where)
{
	sqlite3_stmt *st;
	char sql[256];
	int n = -1;

	snprintf(
	    sql, sizeof(sql), "SELECT count(*) FROM hook_runs WHERE %s", where);
	db_lock(fx->db);
	assert_int_equal(
	    sqlite3_prepare_v2(db_handle(fx->db), sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	db_unlock(fx->db);
	return n;
}

static void
hook_gets_json_on_stdin_and_env(void **state)
{
	struct fx *fx = fx_new("hooks:\n  - {name: pager, exec: [@DIR@/h.sh, "
	                       "--team, netops], timeout: 5s}\n");
	struct alert_view v = view(ALERT_FIRING);
	char path[256], *in, *env, *args, *fds, lname[16];
	int leak;
	json_t *j;

	(void)state;
	snprintf(path, sizeof(path), "%s/h.sh", fx->dir);
	write_script(path, "d=$(dirname \"$0\")\ncat > \"$d/stdin\"\n"
	                   "env > \"$d/env\"\necho \"$@\" > \"$d/args\"\n"
	                   "ls /proc/$$/fd > \"$d/fds\"\n"
	                   "echo delivered\n");
	/* An inherited descriptor of the agent (no CLOEXEC). */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	snprintf(lname, sizeof(lname), "\n%d\n", leak);
	fx_run(fx);
	hooks_notify(&v, 1, fx->h);
	assert_int_equal(hooks_wait_idle(fx->h, 5000), 0);
	close(leak);
	fds = slurp(fx->dir, "fds");
	assert_non_null(fds);
	{
		/* ls sorts by name: look for "\nN\n" in "\n" + the list. */
		char *all = xasprintf("\n%s", fds);

		assert_non_null(strstr(all, "\n0\n"));
		assert_non_null(strstr(all, "\n2\n"));
		assert_null(strstr(all, lname));
		free(all);
	}
	free(fds);
	in = slurp(fx->dir, "stdin");
	env = slurp(fx->dir, "env");
	args = slurp(fx->dir, "args");
	assert_non_null(in);
	assert_non_null(env);
	assert_string_equal(args, "--team netops\n");
	j = json_loads(in, 0, NULL);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(j, "id")), "0123456789abcdef");
	assert_int_equal(
	    json_integer_value(json_object_get(j, "transition_id")), 42);
	assert_string_equal(
	    json_string_value(json_object_get(j, "status")), "firing");
	assert_string_equal(
	    json_string_value(json_object_get(j, "previous_status")),
	    "pending");
	assert_string_equal(
	    json_string_value(json_object_get(j, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(j, "started")),
	    "2027-01-15T08:00:00Z");
	assert_int_equal(
	    json_integer_value(json_object_get(j, "duration_seconds")), 120);
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(j, "labels"), "ifname")),
	    "Gi1/0/1");
	assert_string_equal(
	    json_string_value(json_object_get(j, "dashboard_url")),
	    "http://127.0.0.1:8080/?page=alerts&id=0123456789abcdef");
	assert_int_equal(json_array_size(json_object_get(j, "instances")), 1);
	json_decref(j);
	assert_non_null(strstr(env, "CHOKEPOINT_ID=0123456789abcdef\n"));
	assert_non_null(strstr(env, "CHOKEPOINT_STATUS=firing\n"));
	assert_non_null(strstr(env, "CHOKEPOINT_SEVERITY=critical\n"));
	assert_non_null(strstr(env, "CHOKEPOINT_RULE=core-uplink-saturated\n"));
	assert_non_null(strstr(env, "CHOKEPOINT_TARGET=core1\n"));
	assert_non_null(strstr(env, "CHOKEPOINT_LABELS=ifname=Gi1/0/1,"
	                            "metric=if_out_util_ratio\n"));
	assert_non_null(strstr(env, "CHOKEPOINT_VALUE=0.96999999999999997\n"));
	assert_non_null(strstr(env, "CHOKEPOINT_ATTEMPT=1\n"));
	assert_non_null(strstr(env, "CHOKEPOINT_SITE=site-a\n"));
	/* Nothing of the agent's environment leaks in. */
	assert_null(strstr(env, "HOME="));
	assert_int_equal(
	    runs(fx, "result = 'ok' AND output = 'delivered\n'"), 1);
	free(in);
	free(env);
	free(args);
	fx_free(fx);
}

static void
hung_hook_is_killed_at_timeout(void **state)
{
	struct fx *fx = fx_new("hooks:\n  - {name: slow, exec: [@DIR@/h.sh], "
	                       "timeout: 300ms, retries: 0}\n");
	struct alert_view v = view(ALERT_FIRING);
	struct hooks_stats st;
	char path[256], *pid;
	int64_t t0;

	(void)state;
	snprintf(path, sizeof(path), "%s/h.sh", fx->dir);
	/* It ignores SIGTERM and its child would outlive it: the group gets
	 * SIGKILL after the grace period. */
	write_script(path, "trap '' TERM\nd=$(dirname \"$0\")\n"
	                   "sleep 30 & echo $! > \"$d/child\"\nwait\n");
	fx_run(fx);
	t0 = mono_ms();
	hooks_notify(&v, 1, fx->h);
	assert_int_equal(hooks_wait_idle(fx->h, 10000), 0);
	/* 300 ms + 2 s grace, not 30 s. */
	assert_true(mono_ms() - t0 < 5000);
	hooks_get_stats(fx->h, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.succeeded, 0);
	assert_int_equal(runs(fx, "result = 'timeout'"), 1);
	pid = slurp(fx->dir, "child");
	assert_non_null(pid);
	usleep(200000);
	{
		/* Gone, or a zombie waiting for its new parent to reap it. */
		char sp[64], *stat;
		size_t len;

		snprintf(
		    sp, sizeof(sp), "/proc/%ld/stat", strtol(pid, NULL, 10));
		stat = file_read(sp, 4096, &len);
		if (stat) {
			char *rp = strrchr(stat, ')');

			assert_non_null(rp);
			assert_true(rp[2] == 'Z' || rp[2] == 'X');
		}
		free(stat);
	}
	free(pid);
	fx_free(fx);
}

static void
failing_hook_is_retried_with_backoff(void **state)
{
	struct fx *fx = fx_new("hooks:\n  - {name: flaky, exec: [@DIR@/h.sh], "
	                       "retries: 3, backoff: 100ms}\n");
	struct alert_view v = view(ALERT_FIRING);
	struct hooks_stats st;
	char path[256];
	int64_t t0;

	(void)state;
	snprintf(path, sizeof(path), "%s/h.sh", fx->dir);
	/* Fails twice, then works. */
	write_script(path,
	    "d=$(dirname \"$0\")\necho x >> \"$d/count\"\n"
	    "[ $(wc -l < \"$d/count\") -ge 3 ] || "
	    "{ echo \"try $CHOKEPOINT_ATTEMPT failed\"; exit 3; }\n");
	fx_run(fx);
	t0 = mono_ms();
	hooks_notify(&v, 1, fx->h);
	assert_int_equal(hooks_wait_idle(fx->h, 10000), 0);
	/* Backoff 100 ms then 200 ms. */
	assert_true(mono_ms() - t0 >= 300);
	hooks_get_stats(fx->h, &st);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.retries, 2);
	assert_int_equal(st.succeeded, 1);
	assert_int_equal(runs(fx, "result = 'failed' AND exit_code = 3 AND "
	                          "output = 'try 2 failed\n'"),
	    1);
	assert_int_equal(runs(fx, "result = 'ok' AND attempt = 3"), 1);
	fx_free(fx);
}

static void
concurrency_limit_and_no_grouping(void **state)
{
	struct fx *fx = fx_new("hooks:\n  - {name: one, exec: [@DIR@/h.sh], "
	                       "concurrency: 2, group: false}\n");
	struct alert_view v[6];
	struct hooks_stats st;
	char path[256], *log;
	size_t lines = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/h.sh", fx->dir);
	/* Records how many run at once through a lock-free counter dir. */
	write_script(path, "d=$(dirname \"$0\")\nmkdir -p \"$d/run\"\n"
	                   "touch \"$d/run/$$\"\n"
	                   "ls \"$d/run\" | wc -l >> \"$d/seen\"\n"
	                   "sleep 0.2\nrm \"$d/run/$$\"\n");
	fx_run(fx);
	for (int i = 0; i < 6; i++)
		v[i] = view(ALERT_FIRING);
	hooks_notify(v, 6, fx->h);
	hooks_get_stats(fx->h, &st);
	assert_int_equal(st.queued_total, 6);
	assert_int_equal(hooks_wait_idle(fx->h, 10000), 0);
	log = slurp(fx->dir, "seen");
	assert_non_null(log);
	for (char *p = log; *p; p++) {
		if (*p == '\n')
			lines++;
		else
			assert_true(*p == '1' || *p == '2' || *p == ' ');
	}
	assert_int_equal(lines, 6);
	free(log);
	fx_free(fx);
}

static void
match_group_and_repeat_filtering(void **state)
{
	struct fx *fx = fx_new(
	    "hooks:\n"
	    "  - {name: crit, exec: [@DIR@/h.sh], match: {severity: "
	    "critical},\n"
	    "     repeat: {critical: 1h}}\n"
	    "  - {name: web, exec: [@DIR@/h.sh], match: {role: web}}\n"
	    "  - {name: quiet, exec: [@DIR@/h.sh], send_resolved: false,\n"
	    "     repeat: 0s}\n");
	struct alert_view v[3];
	struct hooks_stats st;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/h.sh", fx->dir);
	write_script(path, "cat > /dev/null\n");
	fx_run(fx);
	for (int i = 0; i < 3; i++)
		v[i] = view(ALERT_FIRING);
	/* One group of 3: crit and quiet get one call each, web none. */
	hooks_notify(v, 3, fx->h);
	assert_int_equal(hooks_wait_idle(fx->h, 5000), 0);
	hooks_get_stats(fx->h, &st);
	assert_int_equal(st.queued_total, 2);
	/* A repeat a minute later: crit's 1 h not due, quiet never. */
	v[0].repeat = 1;
	v[0].time_ms += 60000;
	hooks_notify(v, 1, fx->h);
	hooks_get_stats(fx->h, &st);
	assert_int_equal(st.queued_total, 2);
	/* The recovery: crit yes, quiet (send_resolved: false) no. */
	v[0] = view(ALERT_RESOLVED);
	hooks_notify(v, 1, fx->h);
	assert_int_equal(hooks_wait_idle(fx->h, 5000), 0);
	hooks_get_stats(fx->h, &st);
	assert_int_equal(st.queued_total, 3);
	assert_int_equal(runs(fx, "hook = 'crit'"), 2);
	fx_free(fx);
}

static void
missing_program_is_an_error_not_a_crash(void **state)
{
	struct fx *fx = fx_new("hooks:\n  - {name: gone, exec: [@DIR@/nope], "
	                       "retries: 1, backoff: 100ms}\n");
	struct alert_view v = view(ALERT_FIRING);
	struct hooks_stats st;

	(void)state;
	fx_run(fx);
	hooks_notify(&v, 1, fx->h);
	assert_int_equal(hooks_wait_idle(fx->h, 5000), 0);
	hooks_get_stats(fx->h, &st);
	assert_int_equal(st.succeeded, 0);
	assert_true(st.failed >= 2);
	fx_free(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hook_gets_json_on_stdin_and_env),
	    cmocka_unit_test(hung_hook_is_killed_at_timeout),
	    cmocka_unit_test(failing_hook_is_retried_with_backoff),
	    cmocka_unit_test(concurrency_limit_and_no_grouping),
	    cmocka_unit_test(match_group_and_repeat_filtering),
	    cmocka_unit_test(missing_program_is_an_error_not_a_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
