// SPDX-License-Identifier: MIT
/*
 * rasdaemon reconciliation for the ecc collector. rasdaemon records every
 * EDAC trace event (ras:mc_event) in its SQLite database, table mc_event,
 * with the error address, syndrome and driver detail that sysfs counters
 * lack. We open it read-only (rasdaemon owns it and keeps writing), read
 * only records newer than the last id handled, and match them to DIMMs:
 * records that explain a sysfs increase add detail to its event; records
 * beyond what sysfs showed (counters reset by a driver reload, errors on a
 * DIMM sysfs does not list) become events of their own.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/hw/ecc.h"

/* One poll reads at most this many records; the rest wait for the next. */
#define RAS_BATCH 1000

struct ecc_ras {
	char *path;
	sqlite3 *db;
	int64_t last_id; /* -1: never read */
	int warned;
};

struct ecc_ras *
ecc_ras_new(const char *path)
{
	struct ecc_ras *r = calloc(1, sizeof(*r));

	if (!r || !(r->path = strdup(path)))
		abort();
	r->last_id = -1;
	return r;
}

void
ecc_ras_free(struct ecc_ras *r)
{
	if (!r)
		return;
	if (r->db)
		sqlite3_close(r->db);
	free(r->path);
	free(r);
}

int64_t
ecc_ras_last_id(const struct ecc_ras *r)
{
	return r->last_id;
}

void
ecc_ras_set_last_id(struct ecc_ras *r, int64_t id)
{
	r->last_id = id;
}

static int
ras_open(struct ecc_ras *r, struct cp_ctx *ctx)
{
	struct stat sb;
	int rc;

	if (r->db)
		return 0;
	/* Absent is the normal case (rasdaemon not installed): quiet. */
	if (stat(r->path, &sb) < 0)
		return -errno;
	rc = sqlite3_open_v2(r->path, &r->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		if (!r->warned++)
			cp_log_warnx(ctx, "rasdaemon: %s: %s", r->path,
			    r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
		sqlite3_close(r->db);
		r->db = NULL;
		return -EIO;
	}
	/* rasdaemon holds write locks briefly; never wait long. */
	sqlite3_busy_timeout(r->db, 50);
	return 0;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* Find the DIMM a record names: its label, else mc + layers. */
static struct ecc_dimm *
match(struct ecc_dimm *d, size_t n, const char *label, int mc, const int *l)
{
	if (label[0])
		for (size_t i = 0; i < n; i++)
			if (d[i].label[0] && strcmp(d[i].label, label) == 0)
				return &d[i];
	for (size_t i = 0; i < n; i++) {
		int ok = d[i].mc_index == mc && d[i].nlayers > 0;

		/* rasdaemon writes -1 for layers the driver does not use. */
		for (int k = 0; ok && k < d[i].nlayers; k++)
			if (l[k] >= 0 && l[k] != d[i].layers[k])
				ok = 0;
		if (ok && strcmp(d[i].dimm, "noinfo") != 0)
			return &d[i];
	}
	return NULL;
}

static void
detail_add(struct ecc_dimm *d, const char *type, int64_t count, const char *msg,
    int64_t addr, const char *ts)
{
	struct sbuf_lite *b = &d->ras_detail;
	int w;

	if (b->len >= sizeof(b->s) - 1)
		return;
	w = snprintf(b->s + b->len, sizeof(b->s) - b->len,
	    "%srasdaemon: %" PRId64 " %s at %s, address 0x%" PRIx64 "%s%s",
	    b->len ? ", " : "; ", count, type, ts, (uint64_t)addr,
	    msg[0] ? ": " : "", msg);
	if (w > 0)
		b->len += (size_t)w < sizeof(b->s) - b->len
		              ? (size_t)w
		              : sizeof(b->s) - b->len - 1;
}

static void
unmatched(struct cp_ctx *ctx, struct ecc_dimm *d, const char *label, int mc,
    const char *type, int64_t count, const char *msg, int64_t addr,
    const char *ts)
{
	char text[900], comp[160];
	int crit = strcmp(type, "Corrected") != 0;

	if (d)
		snprintf(
		    comp, sizeof(comp), "%s", d->label[0] ? d->label : d->key);
	else if (label[0])
		snprintf(comp, sizeof(comp), "%s", label);
	else
		snprintf(comp, sizeof(comp), "mc%d", mc);
	snprintf(text, sizeof(text),
	    "rasdaemon recorded %" PRId64 " %s error%s on %s at %s (address "
	    "0x%" PRIx64 "%s%s) that the EDAC sysfs counters do not show",
	    count, type, count == 1 ? "" : "s", comp, ts, (uint64_t)addr,
	    msg[0] ? ", " : "", msg);
	struct cp_event ev = {
	    .kind = "ecc",
	    .component = comp,
	    .severity = crit ? CP_SEV_CRITICAL : CP_SEV_WARNING,
	    .message = text,
	};
	cp_event(ctx, &ev);
}

int
ecc_ras_poll(
    struct ecc_ras *r, struct cp_ctx *ctx, struct ecc_dimm *d, size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc, got = 0;

	if (ras_open(r, ctx) < 0)
		return 0;
	if (r->last_id < 0) {
		/* First sight: history is covered by the since-boot counts. */
		rc = sqlite3_prepare_v2(r->db,
		    "SELECT coalesce(max(id), 0), count(*) FROM mc_event", -1,
		    &st, NULL);
		if (rc != SQLITE_OK)
			goto sqlerr;
		if (sqlite3_step(st) == SQLITE_ROW) {
			r->last_id = sqlite3_column_int64(st, 0);
			cp_log_info(ctx,
			    "rasdaemon: %s: %" PRId64 " earlier records, "
			    "following new ones",
			    r->path, (int64_t)sqlite3_column_int64(st, 1));
		}
		sqlite3_finalize(st);
		return 1;
	}
	rc = sqlite3_prepare_v2(r->db,
	    "SELECT id, timestamp, err_count, err_type, err_msg, label, mc, "
	    "top_layer, middle_layer, lower_layer, address FROM mc_event "
	    "WHERE id > ? ORDER BY id LIMIT ?",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_int64(st, 1, r->last_id);
	sqlite3_bind_int(st, 2, RAS_BATCH);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		const char *ts = col_text(st, 1);
		int64_t count = sqlite3_column_int64(st, 2);
		const char *type = col_text(st, 3);
		const char *msg = col_text(st, 4);
		const char *label = col_text(st, 5);
		int mc = sqlite3_column_int(st, 6);
		int layers[3] = {sqlite3_column_int(st, 7),
		    sqlite3_column_int(st, 8), sqlite3_column_int(st, 9)};
		int64_t addr = sqlite3_column_int64(st, 10);
		struct ecc_dimm *dm;

		r->last_id = id;
		got++;
		/* "Info" records are not errors; a count below 1 is noise. */
		if (count < 1 || strcmp(type, "Info") == 0)
			continue;
		dm = match(d, n, label, mc, layers);
		if (dm && dm->ras_pending >= (uint64_t)count) {
			dm->ras_pending -= (uint64_t)count;
			detail_add(dm, type, count, msg, addr, ts);
			continue;
		}
		if (dm) {
			count -= (int64_t)dm->ras_pending;
			dm->ras_pending = 0;
		}
		unmatched(ctx, dm, label, mc, type, count, msg, addr, ts);
	}
	if (rc != SQLITE_DONE)
		goto sqlerr;
	sqlite3_finalize(st);
	return got;
sqlerr:
	if (!r->warned++)
		cp_log_warnx(
		    ctx, "rasdaemon: %s: %s", r->path, sqlite3_errmsg(r->db));
	sqlite3_finalize(st);
	/* Reopen next time: the file may have been replaced. */
	sqlite3_close(r->db);
	r->db = NULL;
	return -EIO;
}
