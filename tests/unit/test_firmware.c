// SPDX-License-Identifier: MIT
/*
 * firmware/: the host inventory read from fixture trees (and the live
 * ethtool ioctl where there is a NIC), the change log across two runs in a
 * real SQLite database, the baseline (config parsing with positions, drift
 * raised once and cleared once), the JSON report and the inventory hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "firmware/firmware.h"
#include "firmware/hwsys.h"
#include "hw_harness.h"

static const struct fw_item *
find(const struct fw_list *l, const char *kind, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].kind, kind) == 0 &&
		    strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static void
scan(const char *tcase, struct fw_list *l, fw_warn_fn warn, void *arg)
{
	char sys[PATH_MAX], proc[PATH_MAX];

	hw_fixture(sys, sizeof(sys), tcase, "sys");
	hw_fixture(proc, sizeof(proc), tcase, "proc");
	memset(l, 0, sizeof(*l));
	fw_host_scan(sys, proc, 0, l, warn, arg);
}

static void
host_scan_reads_every_component(void **state)
{
	struct fw_list l;
	const struct fw_item *it;

	(void)state;
	scan("hw-server-1", &l, NULL, NULL);
	it = find(&l, "bios", "BIOS");
	assert_non_null(it);
	assert_string_equal(it->vendor, "Dell Inc.");
	assert_string_equal(it->version, "2.10.2");
	assert_string_equal(it->model, "Dell Inc. PowerEdge R640");
	assert_string_equal(it->detail, "date 02/24/2021");
	it = find(&l, "board", "board");
	assert_true(it && strcmp(it->model, "0H28RR") == 0 &&
	            strcmp(it->version, "A03") == 0);
	/* An empty product_version is allowed and stays empty. */
	it = find(&l, "system", "system");
	assert_true(it && strcmp(it->version, "") == 0);
	it = find(&l, "bmc", "BMC");
	assert_true(it && strcmp(it->version, "4.40") == 0);
	assert_string_equal(it->detail, "IPMI 2.0");
	it = find(&l, "nic", "eno1");
	assert_non_null(it);
	assert_string_equal(it->model, "i40e");
	assert_null(find(&l, "nic", "lo")); /* virtual */
	it = find(&l, "disk", "nvme0");
	assert_non_null(it);
	assert_string_equal(it->version, "1.1.0");
	assert_string_equal(it->serial, "S4F7NE0M100001");
	assert_string_equal(it->model, "Dell Express Flash PM1725b 1.6TB SFF");
	it = find(&l, "disk", "sda");
	assert_non_null(it);
	assert_string_equal(it->vendor, "ATA");
	assert_string_equal(it->model, "SAMSUNG MZ7LH480");
	assert_string_equal(it->version, "HXT7404Q");
	assert_string_equal(it->serial, "S45PNA0M501234");
	it = find(&l, "os", "kernel");
	assert_true(it && strcmp(it->version, "6.1.0-18-amd64") == 0);
	it = find(&l, "cpu_microcode", "cpu");
	assert_non_null(it);
	assert_string_equal(it->version, "0x2007006");
	assert_string_equal(
	    it->model, "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz");
	assert_int_equal(
	    l.n, 10); /* bios board system bmc eno1 nvme0 sda sdb os cpu */
	fw_list_free(&l);
}

struct warns {
	char text[2048];
	int n;
};

static void
warn_cb(void *arg, const char *path, int err)
{
	struct warns *w = arg;
	size_t o = strlen(w->text);

	snprintf(w->text + o, sizeof(w->text) - o, "%s=%d;", path, err);
	w->n++;
}

static void
malformed_tree_is_reported_not_fatal(void **state)
{
	struct fw_list l;
	struct warns w = {{0}, 0};
	const struct fw_item *it;

	(void)state;
	scan("hw-malformed", &l, warn_cb, &w);
	assert_true(w.n >= 1);
	assert_non_null(strstr(w.text, "cpu microcode revision=-22"));
	it = find(&l, "disk", "nvme0");
	assert_non_null(it);
	assert_string_equal(it->model, "X");
	assert_string_equal(it->version, "");
	/* Empty DMI strings are allowed: the entry is still there. */
	it = find(&l, "bios", "BIOS");
	assert_true(it && it->version[0] == '\0');
	assert_null(find(&l, "cpu_microcode", "cpu"));
	fw_list_free(&l);
	/* A root that does not exist at all. */
	memset(&l, 0, sizeof(l));
	fw_host_scan(
	    "/nonexistent/sys", "/nonexistent/proc", 0, &l, warn_cb, &w);
	assert_int_equal(l.n, 0);
	fw_list_free(&l);
}

static void
live_nic_driver_via_ethtool(void **state)
{
	char **names, drv[64], ver[64], fw[64], bus[64], path[PATH_MAX];
	int n, found = 0;

	(void)state;
	/* lo has no driver information: the ioctl says so. */
	assert_true(fw_ethtool_drvinfo("lo", drv, sizeof(drv), ver, sizeof(ver),
	                fw, sizeof(fw), bus, sizeof(bus)) < 0);
	assert_int_equal(
	    fw_ethtool_drvinfo("no-such-if0", drv, sizeof(drv), ver,
	        sizeof(ver), fw, sizeof(fw), bus, sizeof(bus)),
	    -ENODEV);
	n = hw_list("/sys/class/net", NULL, &names);
	for (int i = 0; i < n && !found; i++) {
		snprintf(
		    path, sizeof(path), "/sys/class/net/%s/device", names[i]);
		if (!hw_exists(path))
			continue;
		assert_int_equal(
		    fw_ethtool_drvinfo(names[i], drv, sizeof(drv), ver,
		        sizeof(ver), fw, sizeof(fw), bus, sizeof(bus)),
		    0);
		assert_true(drv[0] != '\0');
		found = 1;
		{
			struct fw_list l = {0};
			const struct fw_item *it;

			fw_host_scan("/sys", "/proc", 1, &l, NULL, NULL);
			it = find(&l, "nic", names[i]);
			assert_non_null(it);
			assert_string_equal(it->model, drv);
			assert_string_equal(it->driver_version, ver);
			assert_non_null(strstr(it->detail, drv));
			fw_list_free(&l);
		}
	}
	if (n > 0)
		hw_names_free(names, n);
	if (!found) {
		print_message("SKIP: no hardware NIC on this machine\n");
		skip();
	}
}

/* ------------------------------------------------------------------- log */

struct dbt {
	char dir[PATH_MAX];
	struct db *db;
};

static int
db_setup(void **state)
{
	struct dbt *t = xcalloc(1, sizeof(*t));
	char err[256];

	snprintf(t->dir, sizeof(t->dir), "/tmp/cp-fw-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	t->db = db_open(t->dir, err, sizeof(err));
	assert_non_null(t->db);
	*state = t;
	return 0;
}

static int
db_teardown(void **state)
{
	struct dbt *t = *state;

	db_close(t->db);
	tu_rm_tree(t->dir);
	free(t);
	return 0;
}

static int
observe(
    struct dbt *t, const struct fw_config *fc, const char *tcase, int64_t now)
{
	struct fw_list l;
	struct fw_items it;
	int r;

	scan(tcase, &l, NULL, NULL);
	fw_items_build(&l, &it);
	r = fwlog_observe(t->db, fc, "srv1", it.items, it.n, now);
	assert_int_equal(
	    db_inventory_put(t->db, "srv1", "firmware", it.items, it.n), 0);
	fw_items_fini(&it);
	fw_list_free(&l);
	return r;
}

static int
count_rows(struct dbt *t, const char *sql)
{
	sqlite3_stmt *s;
	int n = -1;

	db_lock(t->db);
	if (sqlite3_prepare_v2(db_handle(t->db), sql, -1, &s, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	db_unlock(t->db);
	return n;
}

static int
ev_cb(const struct db_event *e, void *arg)
{
	struct hw_evlist *l = arg;

	return hw_ev_cb(e, l);
}

static void
events(struct dbt *t, const char *kind, struct hw_evlist *l)
{
	struct db_event_filter f = {.kind = kind, .limit = 64};

	memset(l, 0, sizeof(*l));
	db_events_query(t->db, &f, ev_cb, l);
}

static void
change_log_records_each_change_once(void **state)
{
	struct dbt *t = *state;
	struct hw_evlist ev;

	assert_int_equal(observe(t, NULL, "hw-server-1", 1000), 0);
	assert_int_equal(observe(t, NULL, "hw-server-1", 2000), 0);
	assert_int_equal(count_rows(t, "SELECT count(*) FROM firmware_log"), 0);
	/* BIOS and microcode updated; the NVMe drive and the sdb disk are
	 * other drives (new serials), not firmware changes. */
	assert_int_equal(observe(t, NULL, "hw-server-3", 3000), 2);
	assert_int_equal(observe(t, NULL, "hw-server-3", 4000), 0);
	assert_int_equal(count_rows(t, "SELECT count(*) FROM firmware_log"), 2);
	assert_int_equal(
	    count_rows(t, "SELECT count(*) FROM firmware_log WHERE item = "
	                  "'bios:BIOS' AND old_version = '2.10.2' AND "
	                  "new_version = '2.12.1' AND first_seen_ms = 3000"),
	    1);
	assert_int_equal(
	    count_rows(t, "SELECT first_seen_ms FROM firmware_current "
	                  "WHERE item = 'bios:BIOS' AND field = 'version'"),
	    3000);
	/* The replaced NVMe drive's entry is gone from the current view. */
	assert_int_equal(
	    count_rows(t, "SELECT count(*) FROM firmware_current WHERE "
	                  "item = 'disk:S4F7NE0M100001'"),
	    0);
	events(t, "firmware", &ev);
	assert_int_equal(ev.n, 2);
	assert_int_equal(hw_count(&ev, "BIOS (bios, Dell Inc., Dell Inc. "
	                               "PowerEdge R640) firmware changed from "
	                               "2.10.2 to 2.12.1"),
	    1);
	for (size_t i = 0; i < ev.n; i++)
		if (strstr(ev.msg[i], "BIOS")) {
			assert_string_equal(ev.before[i], "2.10.2");
			assert_string_equal(ev.after[i], "2.12.1");
		}
}

static struct config *
load(const char *yaml, struct cfg_errs *errs)
{
	cfg_errs_init(errs);
	return config_parse("fw.yaml", yaml, strlen(yaml), errs);
}

static const char baseline_yaml[] =
    "agent: {name: t}\n"
    "firmware:\n"
    "  baseline:\n"
    "    - {kind: bios, model: \"Dell Inc. PowerEdge R6*\", version: "
    "\"2.12.*\"}\n"
    "    - kind: disk\n"
    "      model: \"Dell Express Flash*\"\n"
    "      version: [\"1.2.*\", \"1.3.*\"]\n"
    "  drift_event: true\n";

static void
baseline_drift_raised_once_cleared_once(void **state)
{
	struct dbt *t = *state;
	struct cfg_errs errs;
	struct config *cfg = load(baseline_yaml, &errs);
	struct fw_config fc;
	struct hw_evlist ev;
	char exp[128];

	assert_non_null(cfg);
	assert_int_equal(fw_config_parse(cfg, &fc, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(fc.nrules, 2);
	assert_int_equal(
	    fw_baseline_check(&fc, "bios", "Dell Inc. PowerEdge R640", "2.10.2",
	        exp, sizeof(exp)),
	    FW_DRIFT);
	assert_string_equal(exp, "2.12.*");
	assert_int_equal(fw_baseline_check(&fc, "disk",
	                     "Dell Express Flash "
	                     "PM1725b",
	                     "1.1.0", exp, sizeof(exp)),
	    FW_DRIFT);
	assert_string_equal(exp, "1.2.*, 1.3.*");
	assert_int_equal(
	    fw_baseline_check(&fc, "nic", "i40e", "1", NULL, 0), FW_UNCHECKED);

	observe(t, &fc, "hw-server-1", 1000);
	observe(t, &fc, "hw-server-1", 2000);
	events(t, "drift", &ev);
	assert_int_equal(ev.n, 2);
	assert_int_equal(hw_count(&ev, "runs 2.10.2, not in the approved "
	                               "baseline (2.12.*)"),
	    1);
	assert_int_equal(hw_count(&ev, "runs 1.1.0, not in the approved "
	                               "baseline (1.2.*, 1.3.*)"),
	    1);
	for (size_t i = 0; i < ev.n; i++)
		assert_int_equal(ev.sev[i], CP_SEV_WARNING);
	observe(t, &fc, "hw-server-3", 3000);
	observe(t, &fc, "hw-server-3", 4000);
	events(t, "drift", &ev);
	/* BIOS back in line; the new NVMe drive (1.2.0) never drifted. */
	assert_int_equal(ev.n, 3);
	assert_int_equal(hw_count(&ev, "back within the approved baseline"), 1);

	/* The JSON report carries status and expectations. */
	{
		char *js = firmware_report_json(t->db, &fc, NULL);
		json_error_t je;
		json_t *r = json_loads(js, 0, &je), *c, *o;
		size_t i;
		int seen = 0;

		assert_non_null(r);
		c = json_object_get(r, "components");
		assert_true(json_array_size(c) >= 10);
		json_array_foreach(c, i, o)
		{
			const char *k =
			    json_string_value(json_object_get(o, "key"));

			if (strcmp(k, "bios:BIOS") == 0) {
				assert_string_equal(
				    json_string_value(
				        json_object_get(o, "status")),
				    "ok");
				assert_int_equal(
				    json_integer_value(
				        json_object_get(o, "first_seen_ms")),
				    3000);
				seen++;
			}
		}
		assert_int_equal(seen, 1);
		assert_int_equal(
		    json_array_size(json_object_get(r, "changes")), 2);
		assert_int_equal(
		    json_integer_value(json_object_get(r, "drift")), 0);
		json_decref(r);
		free(js);
	}
	fw_config_fini(&fc);
	config_free(cfg);
	cfg_errs_fini(&errs);
}

static void
drift_events_can_be_turned_off(void **state)
{
	struct dbt *t = *state;
	struct cfg_errs errs;
	struct config *cfg = load("firmware:\n  baseline: [{kind: bios, "
	                          "version: \"9.*\"}]\n  drift_event: false\n",
	    &errs);
	struct fw_config fc;
	struct hw_evlist ev;

	assert_non_null(cfg);
	assert_int_equal(fw_config_parse(cfg, &fc, &errs), 0);
	observe(t, &fc, "hw-server-1", 1000);
	events(t, "drift", &ev);
	assert_int_equal(ev.n, 0);
	fw_config_fini(&fc);
	config_free(cfg);
	cfg_errs_fini(&errs);
}

static void
baseline_errors_name_file_line_col(void **state)
{
	struct cfg_errs errs;
	struct config *cfg = load("firmware:\n"
	                          "  baseline:\n"
	                          "    - {kind: bios}\n"
	                          "    - {kind: nic, version: \"1\", colour: "
	                          "red}\n"
	                          "    - just-a-string\n"
	                          "  drift_evnt: true\n",
	    &errs);
	struct fw_config fc;
	char buf[600], all[4096] = "";

	(void)state;
	assert_non_null(cfg);
	assert_int_equal(fw_config_parse(cfg, &fc, &errs), -EINVAL);
	for (size_t i = 0; i < errs.n; i++) {
		err_format(&errs.v[i], buf, sizeof(buf));
		strncat(all, buf, sizeof(all) - strlen(all) - 2);
		strcat(all, "\n");
	}
	assert_non_null(strstr(all, "fw.yaml:3:"));
	assert_non_null(strstr(all, "needs 'version'"));
	assert_non_null(strstr(all, "fw.yaml:4:"));
	assert_non_null(strstr(all, "colour"));
	assert_non_null(strstr(all, "fw.yaml:5:"));
	assert_non_null(strstr(all, "drift_evnt"));
	fw_config_fini(&fc);
	config_free(cfg);
	cfg_errs_fini(&errs);
}

static void
hook_acts_on_firmware_kind_only(void **state)
{
	struct dbt *t = *state;
	struct cp_label a[] = {{"kind", "bios"}, {"name", "BIOS"},
	    {"model", "m"}, {"version", "1"}};
	struct cp_inventory_item it = {"bios:BIOS", a, 4};
	struct cfg_errs errs;
	struct config *cfg = load("{}", &errs);

	assert_int_equal(
	    firmware_inventory_hook(t->db, cfg, "sw1", "disk", &it, 1), 0);
	assert_int_equal(count_rows(t, "SELECT count(*) FROM sqlite_master "
	                               "WHERE name = 'firmware_current'"),
	    0);
	assert_int_equal(
	    firmware_inventory_hook(t->db, cfg, "sw1", "firmware", &it, 1), 0);
	a[3].value = "2";
	assert_int_equal(
	    firmware_inventory_hook(t->db, cfg, "sw1", "firmware", &it, 1), 1);
	assert_int_equal(db_inventory_put(t->db, "sw1", "firmware", &it, 1), 0);
	{
		char *js = firmware_api_json(t->db, cfg, "sw1");

		assert_non_null(js);
		assert_non_null(strstr(js, "\"version\": \"2\""));
		assert_non_null(strstr(js, "\"old_version\": \"1\""));
		free(js);
	}
	config_free(cfg);
	cfg_errs_fini(&errs);
}

/* The shape snmp_entity stores: component, class and separate revisions. */
static void
entity_items_share_the_log(void **state)
{
	struct dbt *t = *state;
	struct cp_label os[] = {
	    {"component", "os"}, {"os", "VRP"}, {"version", "V200R019C10"}};
	struct cp_label mod[] = {{"component", "Slot 1"}, {"class", "module"},
	    {"model", "LSW-48GE"}, {"serial", "21023"},
	    {"hardware_rev", "VER.B"}, {"firmware_rev", "1.0"},
	    {"software_rev", "V200R019C10"}};
	struct cp_inventory_item it[] = {{"os", os, 3}, {"entity.9", mod, 7}};
	struct fw_config fc = {.drift_event = 1};
	struct fw_rule rule = {"module", "LSW-*", NULL, 1};
	char *v[] = {"2.*"};
	struct hw_evlist ev;

	rule.versions = v;
	fc.rules = &rule;
	fc.nrules = 1;
	assert_int_equal(fwlog_observe(t->db, &fc, "core1", it, 2, 1000), 0);
	mod[5].value = "2.0";
	os[2].value = "V200R020C00";
	assert_int_equal(fwlog_observe(t->db, &fc, "core1", it, 2, 2000), 2);
	assert_int_equal(count_rows(t, "SELECT count(*) FROM firmware_log "
	                               "WHERE target = 'core1' AND item = "
	                               "'entity.9' AND field = 'firmware_rev' "
	                               "AND old_version = '1.0' AND kind = "
	                               "'module' AND name = 'Slot 1'"),
	    1);
	assert_int_equal(count_rows(t, "SELECT count(*) FROM firmware_log "
	                               "WHERE item = 'os' AND kind = 'os'"),
	    1);
	events(t, "drift", &ev);
	/* firmware_rev 1.0 drifted, 2.0 is back; the software and hardware
	 * revisions match no version glob of the rule either. */
	assert_int_equal(hw_count(&ev, "Slot 1 (module, LSW-48GE) "
	                               "firmware_rev runs 1.0, not in the "
	                               "approved baseline (2.*)"),
	    1);
	assert_int_equal(
	    hw_count(&ev, "firmware_rev runs 2.0, back within"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(host_scan_reads_every_component),
	    cmocka_unit_test(malformed_tree_is_reported_not_fatal),
	    cmocka_unit_test(live_nic_driver_via_ethtool),
	    cmocka_unit_test_setup_teardown(
	        change_log_records_each_change_once, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(
	        baseline_drift_raised_once_cleared_once, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(
	        drift_events_can_be_turned_off, db_setup, db_teardown),
	    cmocka_unit_test(baseline_errors_name_file_line_col),
	    cmocka_unit_test_setup_teardown(
	        hook_acts_on_firmware_kind_only, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(
	        entity_items_share_the_log, db_setup, db_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
