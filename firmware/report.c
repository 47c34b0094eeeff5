// SPDX-License-Identifier: MIT
/*
 * The firmware report: the stored firmware inventory of every target with
 * when each version was first seen and its baseline status, plus the
 * recent changes. One JSON shape for /api/v1/firmware and `chokepoint
 * firmware --json`; the table printer reads the same object.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "firmware/firmware.h"
#include "firmware/report.h"
#include "util.h"

static int
inv_cb(const char *target, const char *kind, const char *key,
    const struct cp_label *attrs, size_t nattrs, void *arg)
{
	json_t *list = arg, *o = json_object();

	(void)kind;
	json_object_set_new(o, "target", json_string(target));
	json_object_set_new(o, "key", json_string(key));
	for (size_t i = 0; i < nattrs; i++)
		json_object_set_new(o, attrs[i].key,
		    json_string(attrs[i].value ? attrs[i].value : ""));
	/* snmp_entity's items: component and entPhysicalClass. */
	if (!json_object_get(o, "name"))
		json_object_set_new(o, "name",
		    json_string(
		        json_object_get(o, "component")
		            ? json_string_value(json_object_get(o, "component"))
		            : key));
	if (!json_object_get(o, "kind")) {
		const char *c = json_string_value(json_object_get(o, "class"));

		if (strcmp(json_string_value(json_object_get(o, "name")),
		        "os") == 0)
			c = "os";
		json_object_set_new(o, "kind", json_string(c ? c : ""));
	}
	if (!json_object_get(o, "version")) {
		/* A module's firmware, else its software revision. */
		const char *v =
		    json_string_value(json_object_get(o, "firmware_rev"));

		if (!v || !*v)
			v = json_string_value(
			    json_object_get(o, "software_rev"));
		json_object_set_new(o, "version", json_string(v ? v : ""));
	}
	json_array_append_new(list, o);
	return 0;
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

json_t *
firmware_report(struct db *db, const struct fw_config *fc, const char *target)
{
	json_t *root, *comps = json_array(), *changes = json_array();
	sqlite3_stmt *s = NULL;
	sqlite3 *h;
	size_t i, drift = 0;
	json_t *o;

	if (db_inventory_get(db, target, "firmware", inv_cb, comps) < 0) {
		json_decref(comps);
		json_decref(changes);
		return NULL;
	}
	db_lock(db);
	h = db_handle(db);
	/* The log tables exist once anything was observed. */
	if (sqlite3_prepare_v2(h,
	        "SELECT first_seen_ms FROM firmware_current WHERE target = ?1 "
	        "AND item = ?2 AND field = 'version'",
	        -1, &s, NULL) != SQLITE_OK)
		s = NULL;
	json_array_foreach(comps, i, o)
	{
		char exp[256];
		enum fw_status st;

		if (s) {
			sqlite3_bind_text(
			    s, 1, str(o, "target"), -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(
			    s, 2, str(o, "key"), -1, SQLITE_TRANSIENT);
			if (sqlite3_step(s) == SQLITE_ROW)
				json_object_set_new(o, "first_seen_ms",
				    json_integer(sqlite3_column_int64(s, 0)));
			sqlite3_reset(s);
		}
		st = fw_baseline_check(fc, str(o, "kind"), str(o, "model"),
		    str(o, "version"), exp, sizeof(exp));
		json_object_set_new(
		    o, "status", json_string(fw_status_name(st)));
		if (st == FW_DRIFT) {
			json_object_set_new(o, "expected", json_string(exp));
			drift++;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(h,
	        "SELECT target, item, field, kind, name, model, old_version, "
	        "new_version, first_seen_ms FROM firmware_log WHERE ?1 IS NULL "
	        "OR target = ?1 ORDER BY id DESC LIMIT 500",
	        -1, &s, NULL) == SQLITE_OK) {
		if (target)
			sqlite3_bind_text(s, 1, target, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(s) == SQLITE_ROW) {
			static const char *const cols[] = {"target", "key",
			    "field", "kind", "name", "model", "old_version",
			    "new_version"};

			o = json_object();
			for (int c = 0; c < 8; c++) {
				const unsigned char *t =
				    sqlite3_column_text(s, c);

				json_object_set_new(o, cols[c],
				    json_string(t ? (const char *)t : ""));
			}
			json_object_set_new(o, "first_seen_ms",
			    json_integer(sqlite3_column_int64(s, 8)));
			json_array_append_new(changes, o);
		}
	}
	sqlite3_finalize(s);
	db_unlock(db);
	root = json_object();
	json_object_set_new(root, "components", comps);
	json_object_set_new(root, "changes", changes);
	json_object_set_new(root, "drift", json_integer((json_int_t)drift));
	return root;
}

char *
firmware_report_json(
    struct db *db, const struct fw_config *fc, const char *target)
{
	json_t *r = firmware_report(db, fc, target);
	char *s;

	if (!r)
		return NULL;
	s = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(r);
	return s;
}

static void
when(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm) ||
	    strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, size, "-");
}

void
firmware_report_print(json_t *r, FILE *out)
{
	json_t *comps = json_object_get(r, "components");
	json_t *changes = json_object_get(r, "changes");
	json_t *o;
	size_t i;

	fprintf(out, "%-16s %-14s %-10s %-34s %-18s %-9s %s\n", "TARGET",
	    "KIND", "NAME", "MODEL", "VERSION", "STATUS", "SINCE");
	json_array_foreach(comps, i, o)
	{
		char t[32];

		when(json_integer_value(json_object_get(o, "first_seen_ms")), t,
		    sizeof(t));
		fprintf(out, "%-16s %-14s %-10s %-34.34s %-18s %-9s %s\n",
		    str(o, "target"), str(o, "kind"), str(o, "name"),
		    str(o, "model"),
		    *str(o, "version") ? str(o, "version") : "-",
		    str(o, "status"), t);
		if (strcmp(str(o, "status"), "drift") == 0)
			fprintf(out, "%-16s   expected: %s\n", "",
			    str(o, "expected"));
	}
	if (json_array_size(changes)) {
		fprintf(out, "\nchanges (newest first):\n");
		json_array_foreach(changes, i, o)
		{
			char t[32];

			when(json_integer_value(
			         json_object_get(o, "first_seen_ms")),
			    t, sizeof(t));
			fprintf(out, "  %s  %s %s %s: %s -> %s\n", t,
			    str(o, "target"), str(o, "kind"), str(o, "name"),
			    str(o, "old_version"), str(o, "new_version"));
		}
	}
	fprintf(out, "\n%zu component%s, %lld drifting from the baseline\n",
	    json_array_size(comps), json_array_size(comps) == 1 ? "" : "s",
	    (long long)json_integer_value(json_object_get(r, "drift")));
}
