// SPDX-License-Identifier: MIT
/*
 * The firmware change log, in the agent's SQLite database beside the
 * events and inventory: firmware_current holds the version each component
 * runs and since when, firmware_log one row per change (old, new, when
 * first seen). Fed from every inventory put of kind "firmware", so host
 * components and SNMP devices' ENTITY-MIB revisions share one log.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "firmware/firmware.h"
#include "firmware/report.h"
#include "log.h"
#include "util.h"

/* Version-like attributes tracked per item. "version" is what host items
 * carry; SNMP entity items keep firmware, software and hardware
 * revisions and the OS version apart; NICs add their driver's version. */
static const char *const fields[] = {"version", "firmware_rev", "software_rev",
    "hardware_rev", "os_version", "driver_version"};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS firmware_current ("
    " target TEXT NOT NULL, item TEXT NOT NULL, field TEXT NOT NULL,"
    " kind TEXT, name TEXT, model TEXT, version TEXT NOT NULL,"
    " first_seen_ms INTEGER NOT NULL, drift INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (target, item, field));"
    "CREATE TABLE IF NOT EXISTS firmware_log ("
    " id INTEGER PRIMARY KEY, target TEXT NOT NULL, item TEXT NOT NULL,"
    " field TEXT NOT NULL, kind TEXT, name TEXT, model TEXT,"
    " old_version TEXT, new_version TEXT NOT NULL,"
    " first_seen_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS firmware_log_target ON firmware_log"
    " (target, id);";

static const char *
attr(const struct cp_inventory_item *it, const char *key)
{
	for (size_t i = 0; i < it->nattrs; i++)
		if (strcmp(it->attrs[i].key, key) == 0 && it->attrs[i].value)
			return it->attrs[i].value;
	return "";
}

/*
 * Items from snmp_entity name themselves "component" and classify by
 * entPhysicalClass ("class"); the host's use "name" and "kind". The OS
 * item of a device has component "os".
 */
static const char *
item_kind(const struct cp_inventory_item *it)
{
	if (*attr(it, "kind"))
		return attr(it, "kind");
	if (strcmp(attr(it, "component"), "os") == 0)
		return "os";
	return attr(it, "class");
}

static const char *
item_name(const struct cp_inventory_item *it)
{
	if (*attr(it, "name"))
		return attr(it, "name");
	if (*attr(it, "component"))
		return attr(it, "component");
	return it->key;
}

struct pending {
	char kind[16];
	char component[128];
	enum cp_severity sev;
	char before[256], after[256];
	char msg[768];
};

struct pendings {
	struct pending *v;
	size_t n, cap;
};

static struct pending *
pending_add(struct pendings *p)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	memset(&p->v[p->n], 0, sizeof(p->v[0]));
	return &p->v[p->n++];
}

static int
fwlog_schema(struct db *db)
{
	char *err = NULL;
	int rc;

	db_lock(db);
	if (!db_handle(db)) { /* not open now: nothing logged until it is */
		db_unlock(db);
		return -EAGAIN;
	}
	rc = sqlite3_exec(db_handle(db), schema, NULL, NULL, &err);
	db_unlock(db);
	if (rc != SQLITE_OK) {
		log_warnx(
		    "firmware: creating the log tables: %s", err ? err : "?");
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}

static void
describe(const struct cp_inventory_item *it, const char *field, char *buf,
    size_t size)
{
	const char *vendor = attr(it, "vendor"), *model = attr(it, "model");

	if (snprintf(buf, size, "%s (%s%s%s%s%s)%s%s", item_name(it),
	        item_kind(it), *vendor ? ", " : "", vendor, *model ? ", " : "",
	        model, strcmp(field, "version") ? " " : "",
	        strcmp(field, "version") ? field : "") < 0)
		buf[0] = '\0';
}

/*
 * The field the baseline judges: the host's "version", else a module's
 * firmware revision, else its software revision. Hardware revisions and
 * the secondary fields are logged but never drift.
 */
static const char *
primary_field(const struct cp_inventory_item *it)
{
	if (*attr(it, "version"))
		return "version";
	if (*attr(it, "firmware_rev"))
		return "firmware_rev";
	return "software_rev";
}

/* ?1..?6 of both firmware tables: which component of which target. */
static void
bind_component(sqlite3_stmt *s, const char *target, const char *item,
    const char *field, const char *kind, const char *name, const char *model)
{
	sqlite3_bind_text(s, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, item, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, model, -1, SQLITE_STATIC);
}

static int
observe_item(sqlite3 *h, const struct fw_config *fc, const char *target,
    const struct cp_inventory_item *it, const char *field, int64_t now,
    struct pendings *ev)
{
	const char *val = attr(it, field), *kind = item_kind(it);
	const char *model = attr(it, "model"), *name = item_name(it);
	sqlite3_stmt *s = NULL;
	char old[256] = "", exp[256], desc[400];
	int have = 0, drift = 0, changes = 0, rc;
	enum fw_status st;

	if (!*val)
		return 0;
	rc = sqlite3_prepare_v2(h,
	    "SELECT version, drift FROM firmware_current WHERE target = ?1 "
	    "AND item = ?2 AND field = ?3",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, it->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		have = 1;
		snprintf(old, sizeof(old), "%s",
		    (const char *)sqlite3_column_text(s, 0));
		drift = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	describe(it, field, desc, sizeof(desc));

	if (have && strcmp(old, val) != 0) {
		struct pending *p = pending_add(ev);

		rc = sqlite3_prepare_v2(h,
		    "INSERT INTO firmware_log (target, item, field, kind, "
		    "name, "
		    "model, old_version, new_version, first_seen_ms) VALUES "
		    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		    -1, &s, NULL);
		if (rc != SQLITE_OK)
			return -EIO;
		bind_component(s, target, it->key, field, kind, name, model);
		sqlite3_bind_text(s, 7, old, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 8, val, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 9, now);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return -EIO;
		snprintf(p->kind, sizeof(p->kind), "firmware");
		snprintf(p->component, sizeof(p->component), "%s",
		    *name ? name : it->key);
		p->sev = CP_SEV_INFO;
		snprintf(p->before, sizeof(p->before), "%s", old);
		snprintf(p->after, sizeof(p->after), "%s", val);
		if (snprintf(p->msg, sizeof(p->msg),
		        "%s firmware changed from %s to %s", desc, old,
		        val) < 0)
			p->msg[0] = '\0';
		changes++;
	}
	if (!have || strcmp(old, val) != 0) {
		rc = sqlite3_prepare_v2(h,
		    "INSERT INTO firmware_current (target, item, field, kind, "
		    "name, model, version, first_seen_ms, drift) VALUES (?1, "
		    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (target, "
		    "item, "
		    "field) DO UPDATE SET kind = ?4, name = ?5, model = ?6, "
		    "version = ?7, first_seen_ms = ?8",
		    -1, &s, NULL);
		if (rc != SQLITE_OK)
			return -EIO;
		bind_component(s, target, it->key, field, kind, name, model);
		sqlite3_bind_text(s, 7, val, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 8, now);
		sqlite3_bind_int(s, 9, drift);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return -EIO;
	}

	/* Drift is raised once when it starts and once when it ends. */
	if (strcmp(field, primary_field(it)) != 0)
		return changes;
	st = fw_baseline_check(fc, kind, model, val, exp, sizeof(exp));
	if ((st == FW_DRIFT) != (drift != 0)) {
		if (fc && fc->drift_event) {
			struct pending *p = pending_add(ev);

			snprintf(p->kind, sizeof(p->kind), "drift");
			snprintf(p->component, sizeof(p->component), "%s",
			    *name ? name : it->key);
			p->sev = st == FW_DRIFT ? CP_SEV_WARNING : CP_SEV_INFO;
			snprintf(p->after, sizeof(p->after), "%s", val);
			if (st == FW_DRIFT)
				snprintf(
				    p->before, sizeof(p->before), "%s", exp);
			if (snprintf(p->msg, sizeof(p->msg),
			        st == FW_DRIFT
			            ? "%s runs %s, not in the approved "
			              "baseline (%s)"
			            : "%s runs %s, back within the approved "
			              "baseline%s",
			        desc, val, st == FW_DRIFT ? exp : "") < 0)
				p->msg[0] = '\0';
		}
		rc = sqlite3_prepare_v2(h,
		    "UPDATE firmware_current SET drift = ?4 WHERE target = ?1 "
		    "AND item = ?2 AND field = ?3",
		    -1, &s, NULL);
		if (rc != SQLITE_OK)
			return -EIO;
		sqlite3_bind_text(s, 1, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, it->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, field, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, st == FW_DRIFT);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return -EIO;
	}
	return changes;
}

/* Components no longer reported leave the current table (the log keeps
 * their history; hot-swap events say they went). */
static int
forget_missing(sqlite3 *h, const char *target,
    const struct cp_inventory_item *items, size_t n)
{
	sqlite3_stmt *s = NULL, *d = NULL;
	int rc;

	if (sqlite3_prepare_v2(h,
	        "SELECT DISTINCT item FROM firmware_current WHERE target = ?1",
	        -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h,
	        "DELETE FROM firmware_current WHERE target = ?1 AND item = ?2",
	        -1, &d, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return -EIO;
	}
	sqlite3_bind_text(s, 1, target, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		size_t i;

		for (i = 0; i < n; i++)
			if (strcmp(items[i].key, k) == 0)
				break;
		if (i < n)
			continue;
		sqlite3_bind_text(d, 1, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(d, 2, k, -1, SQLITE_TRANSIENT);
		sqlite3_step(d);
		sqlite3_reset(d);
	}
	sqlite3_finalize(s);
	sqlite3_finalize(d);
	return 0;
}

int
fwlog_observe(struct db *db, const struct fw_config *fc, const char *target,
    const struct cp_inventory_item *items, size_t n, int64_t now_ms)
{
	struct pendings ev = {0};
	sqlite3 *h;
	int changes = 0, r = 0;

	if (fwlog_schema(db) < 0)
		return -EIO;
	db_lock(db);
	h = db_handle(db);
	if (!h) {
		db_unlock(db);
		return -EAGAIN;
	}
	sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (size_t i = 0; i < n && r >= 0; i++)
		for (size_t f = 0; f < ARRAY_SIZE(fields) && r >= 0; f++) {
			r = observe_item(
			    h, fc, target, &items[i], fields[f], now_ms, &ev);
			if (r > 0)
				changes += r;
		}
	if (r >= 0)
		r = forget_missing(h, target, items, n);
	if (r < 0) {
		log_warnx("firmware: %s: updating the change log: %s", target,
		    sqlite3_errmsg(h));
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		ev.n = 0;
	} else {
		sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	}
	db_unlock(db);
	/* Events after the unlock: db_event_add takes the same lock. */
	for (size_t i = 0; i < ev.n; i++) {
		struct db_event e = {
		    .time_ms = now_ms,
		    .target = target,
		    .kind = ev.v[i].kind,
		    .component = ev.v[i].component,
		    .severity = ev.v[i].sev,
		    .before = ev.v[i].before[0] ? ev.v[i].before : NULL,
		    .after = ev.v[i].after[0] ? ev.v[i].after : NULL,
		    .message = ev.v[i].msg,
		};

		db_event_add(db, &e);
		log_info("event: %s: %s %s: %s", target, e.kind, e.component,
		    e.message);
	}
	free(ev.v);
	return r < 0 ? r : changes;
}

/* The baseline of the running config, parsed once per config. The agent
 * keeps replaced configs alive, so a pointer is never reused for another. */
static pthread_mutex_t baseline_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct config *baseline_cfg;
static struct fw_config baseline = {.drift_event = 1};

static const struct fw_config *
baseline_locked(const struct config *cfg)
{
	if (cfg != baseline_cfg) {
		struct cfg_errs errs;

		fw_config_fini(&baseline);
		cfg_errs_init(&errs);
		if (fw_config_parse(cfg, &baseline, &errs) < 0)
			log_warnx("firmware: the baseline has errors; drift "
			          "is not checked");
		cfg_errs_fini(&errs);
		baseline_cfg = cfg;
	}
	return &baseline;
}

/*
 * What each target last put, by hash: SNMP devices put their firmware
 * inventory at every poll, and an unchanged one needs no database work.
 * Cleared when the baseline changes (drift may change with it). The agent
 * has one database per process, which this relies on.
 */
#define SEEN_SLOTS 1024
static struct {
	uint64_t target_hash, items_hash;
} seen[SEEN_SLOTS];

static uint64_t
items_hash(const struct cp_inventory_item *items, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h = hash_bytes(items[i].key, strlen(items[i].key) + 1, h);
		for (size_t j = 0; j < items[i].nattrs; j++) {
			const char *k = items[i].attrs[j].key;
			const char *v = items[i].attrs[j].value;

			h = hash_bytes(k, strlen(k) + 1, h);
			h = hash_bytes(v ? v : "", v ? strlen(v) + 1 : 1, h);
		}
	}
	return h;
}

int
firmware_inventory_hook(struct db *db, const struct config *cfg,
    const char *target, const char *kind, const struct cp_inventory_item *items,
    size_t n)
{
	uint64_t th, ih;
	size_t slot;
	int r;

	if (!db || strcmp(kind, "firmware") != 0)
		return 0;
	th = hash_bytes(target, strlen(target), 0);
	ih = items_hash(items, n);
	slot = th % SEEN_SLOTS;
	pthread_mutex_lock(&baseline_mu);
	if (cfg != baseline_cfg)
		memset(seen, 0, sizeof(seen));
	if (seen[slot].target_hash == th && seen[slot].items_hash == ih) {
		pthread_mutex_unlock(&baseline_mu);
		return 0;
	}
	r = fwlog_observe(db, baseline_locked(cfg), target, items, n, now_ms());
	if (r >= 0) {
		seen[slot].target_hash = th;
		seen[slot].items_hash = ih;
	}
	pthread_mutex_unlock(&baseline_mu);
	return r;
}

json_t *
firmware_api_report(struct db *db, const struct config *cfg, const char *target)
{
	json_t *r;

	pthread_mutex_lock(&baseline_mu);
	r = firmware_report(db, baseline_locked(cfg), target);
	pthread_mutex_unlock(&baseline_mu);
	return r;
}

char *
firmware_api_json(struct db *db, const struct config *cfg, const char *target)
{
	char *s;

	pthread_mutex_lock(&baseline_mu);
	s = firmware_report_json(db, baseline_locked(cfg), target);
	pthread_mutex_unlock(&baseline_mu);
	return s;
}
