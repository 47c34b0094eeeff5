// SPDX-License-Identifier: MIT
/*
 * The ecc collector: memory errors from Linux EDAC sysfs
 * (SYSFS/devices/system/edac/mc). Per memory controller and per DIMM it
 * emits since-boot totals as counters (the pipeline turns them into rates)
 * and raises an event on every increase: uncorrected errors are critical at
 * the first one, corrected ones are a warning once a DIMM reaches its
 * threshold inside the rate window. The counts already reported are kept in
 * the inventory store (kind "ecc") with the boot id, so a restart of the
 * agent neither repeats nor loses errors. rasdaemon's database, when
 * present, is read to add detail and to catch what sysfs does not show.
 * The sysfs reading is in hw/ecc_edac.c, rasdaemon's in hw/ecc_ras.c.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/hw/badattr.h"
#include "collectors/hw/ecc.h"
#include "firmware/hwsys.h"
#include "plugin.h"

#define EDAC_MC "devices/system/edac/mc"
#define INV_KIND "ecc"
#define STATE_KEY "_state"
#define RAS_DEFAULT "/var/lib/rasdaemon/ras-mc_event.db"

static void
state_free(struct ecc_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nthr; i++)
		free(st->thr[i].glob);
	free(st->thr);
	free(st->ras_path);
	ecc_ras_free(st->ras);
	free(st->d);
	free(st->old);
	free(st);
}

static int
ecc_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **out)
{
	struct ecc_state *st = calloc(1, sizeof(*st));
	const struct cp_cfg *m;
	const char *s = RAS_DEFAULT;
	int r, bad = 0;

	(void)ctx;
	if (!st)
		abort();
	st->ce_threshold = 1;
	st->window_ms = 24 * 3600 * 1000LL;
	if (cp_cfg_int(cfg, "ce_threshold", 1, INT64_MAX, &st->ce_threshold) ==
	    -EINVAL)
		bad = 1;
	if (cp_cfg_duration(cfg, "ce_window", &st->window_ms) == -EINVAL)
		bad = 1;
	else if (st->window_ms <= 0) {
		cp_cfg_error(cfg, "ce_window: must be positive");
		bad = 1;
	}
	r = cp_cfg_str(cfg, "rasdaemon", &s);
	if (r == -EINVAL)
		bad = 1;
	if (s && *s && strcmp(s, "false") != 0 && strcmp(s, "off") != 0)
		st->ras_path = strdup(s);
	m = cp_cfg_child(cfg, "ce_thresholds");
	if (m) {
		size_t n = cp_cfg_map_len(m);

		if (n == 0 && !cp_cfg_scalar(m) && cp_cfg_seq_len(m)) {
			cp_cfg_error(m, "ce_thresholds: expected a mapping of "
			                "DIMM label glob to error count");
			bad = 1;
		}
		st->thr = calloc(n ? n : 1, sizeof(*st->thr));
		if (!st->thr)
			abort();
		for (size_t i = 0; i < n; i++) {
			const char *v = cp_cfg_scalar(cp_cfg_map_val(m, i));
			uint64_t x;

			if (!v || hw_parse_u64(v, 10, &x) < 0 || x == 0 ||
			    x > INT64_MAX) {
				cp_cfg_error(cp_cfg_map_val(m, i),
				    "ce_thresholds: %s: expected a positive "
				    "error count",
				    cp_cfg_map_key(m, i));
				bad = 1;
				continue;
			}
			st->thr[st->nthr].glob = strdup(cp_cfg_map_key(m, i));
			st->thr[st->nthr].n = (int64_t)x;
			st->nthr++;
		}
	}
	if (bad) {
		state_free(st);
		return -EINVAL;
	}
	*out = st;
	return 0;
}

static int
ecc_start(struct cp_ctx *ctx, void *arg)
{
	struct ecc_state *st = arg;

	(void)ctx;
	if (st->ras_path)
		st->ras = ecc_ras_new(st->ras_path);
	return 0;
}

static void
ecc_stop(void *arg)
{
	state_free(arg);
}

/* ------------------------------------------------------------ stored state */

static const char *
attr(const struct cp_inventory_item *it, const char *key)
{
	for (size_t i = 0; i < it->nattrs; i++)
		if (strcmp(it->attrs[i].key, key) == 0)
			return it->attrs[i].value;
	return NULL;
}

struct load_arg {
	struct ecc_state *st;
	char boot_id[64];
	int64_t ras_last_id;
};

static int
load_cb(const struct cp_inventory_item *it, void *p)
{
	struct load_arg *la = p;
	struct ecc_state *st = la->st;
	const char *b = attr(it, "boot_id"), *v;
	uint64_t x;

	if (strcmp(it->key, STATE_KEY) == 0) {
		snprintf(la->boot_id, sizeof(la->boot_id), "%s", b ? b : "");
		v = attr(it, "edac");
		snprintf(st->old_edac, sizeof(st->old_edac), "%s", v ? v : "");
		v = attr(it, "rasdaemon_last_id");
		if (v && hw_parse_u64(v, 10, &x) == 0 && x <= INT64_MAX)
			la->ras_last_id = (int64_t)x;
		return 0;
	}
	st->old = realloc(st->old, (st->nold + 1) * sizeof(*st->old));
	if (!st->old)
		abort();
	struct stored *o = &st->old[st->nold];

	memset(o, 0, sizeof(*o));
	snprintf(o->key, sizeof(o->key), "%s", it->key);
	v = attr(it, "ce");
	if (v && hw_parse_u64(v, 10, &x) == 0)
		o->ce = x;
	v = attr(it, "ue");
	if (v && hw_parse_u64(v, 10, &x) == 0)
		o->ue = x;
	st->nold++;
	return 0;
}

static void
read_boot_id(struct cp_ctx *ctx, char *buf, size_t size)
{
	char path[4096];

	buf[0] = '\0';
	if (!cp_path(ctx, CP_PROCFS, "sys/kernel/random/boot_id", path,
	        sizeof(path)) ||
	    hw_read_str(path, buf, size) < 0)
		buf[0] = '\0';
}

static void
load_state(struct cp_ctx *ctx, struct ecc_state *st)
{
	struct load_arg la = {.st = st, .ras_last_id = -1};
	int r;

	read_boot_id(ctx, st->boot_id, sizeof(st->boot_id));
	r = cp_inventory_get(ctx, NULL, INV_KIND, load_cb, &la);
	if (r < 0 && r != -ENOTSUP)
		cp_log_warnx(
		    ctx, "reading the stored ECC counts: %s", strerror(-r));
	/*
	 * Counts stored during another boot say nothing about this one:
	 * everything the counters show now happened since the reboot.
	 */
	if (!st->boot_id[0] || strcmp(la.boot_id, st->boot_id) != 0)
		st->nold = 0;
	if (st->ras && la.ras_last_id >= 0)
		ecc_ras_set_last_id(st->ras, la.ras_last_id);
	st->loaded = 1;
}

static void
save_state(struct cp_ctx *ctx, struct ecc_state *st, const char *edac)
{
	struct cp_inventory_item *items;
	struct cp_label *attrs;
	char(*num)[2][24];
	char rid[24];
	size_t k = 0;

	items = calloc(st->n + 1, sizeof(*items));
	attrs = calloc((st->n + 1) * 4, sizeof(*attrs));
	num = calloc(st->n + 1, sizeof(*num));
	if (!items || !attrs || !num)
		abort();
	snprintf(rid, sizeof(rid), "%" PRId64,
	    st->ras ? ecc_ras_last_id(st->ras) : -1);
	attrs[0] = (struct cp_label){"boot_id", st->boot_id};
	attrs[1] = (struct cp_label){"edac", edac};
	attrs[2] = (struct cp_label){"rasdaemon_last_id", rid};
	items[k++] = (struct cp_inventory_item){STATE_KEY, attrs, 3};
	for (size_t i = 0; i < st->n; i++) {
		struct cp_label *a = attrs + k * 4;
		struct ecc_dimm *d = &st->d[i];

		snprintf(num[i][0], sizeof(num[i][0]), "%" PRIu64, d->base_ce);
		snprintf(num[i][1], sizeof(num[i][1]), "%" PRIu64, d->base_ue);
		a[0] = (struct cp_label){"label", d->label};
		a[1] = (struct cp_label){"location", d->location};
		a[2] = (struct cp_label){"ce", num[i][0]};
		a[3] = (struct cp_label){"ue", num[i][1]};
		items[k++] = (struct cp_inventory_item){d->key, a, 4};
	}
	if (cp_inventory_put(ctx, NULL, INV_KIND, items, k) < 0)
		cp_log_warnx(ctx, "storing the ECC counts failed");
	else
		st->dirty = 0;
	free(items);
	free(attrs);
	free(num);
}

/* ------------------------------------------------------------- emitting */

void
ecc_emit_counter(struct cp_ctx *ctx, const char *metric, const char *help,
    const struct cp_label *l, size_t nl, uint64_t v)
{
	struct cp_sample s = {
	    .metric = metric,
	    .help = help,
	    .labels = l,
	    .nlabels = nl,
	    .kind = CP_COUNTER64,
	    .counter = v,
	};

	cp_emit(ctx, &s);
}

static void
emit_gauge(struct cp_ctx *ctx, const char *metric, const char *help,
    const struct cp_label *l, size_t nl, double v)
{
	struct cp_sample s = {
	    .metric = metric,
	    .help = help,
	    .labels = l,
	    .nlabels = nl,
	    .kind = CP_GAUGE,
	    .value = v,
	};

	cp_emit(ctx, &s);
}

/* ------------------------------------------------------------------ events */

static int64_t
threshold_for(const struct ecc_state *st, const struct ecc_dimm *d)
{
	for (size_t i = 0; i < st->nthr; i++)
		if ((d->label[0] &&
		        fnmatch(st->thr[i].glob, d->label, 0) == 0) ||
		    fnmatch(st->thr[i].glob, d->key, 0) == 0)
			return st->thr[i].n;
	return st->ce_threshold;
}

static void
describe(const struct ecc_dimm *d, char *buf, size_t size)
{
	if (d->label[0])
		snprintf(buf, size, "%s (%s%s%s)", d->label, d->key,
		    d->location[0] ? ", " : "", d->location);
	else
		snprintf(buf, size, "%s%s%s", d->key,
		    d->location[0] ? ", " : "", d->location);
}

static void
fire(struct cp_ctx *ctx, const struct ecc_dimm *d, enum cp_severity sev,
    uint64_t before, uint64_t after, const char *what, const char *extra)
{
	char comp[400], msg[1400], b[24], a[24];
	uint64_t delta = after - before;

	describe(d, comp, sizeof(comp));
	snprintf(b, sizeof(b), "%" PRIu64, before);
	snprintf(a, sizeof(a), "%" PRIu64, after);
	snprintf(msg, sizeof(msg),
	    "%" PRIu64 " %s memory error%s on %s; %" PRIu64 " since boot%s%s%s",
	    delta, what, delta == 1 ? "" : "s", comp, after,
	    extra && *extra ? "; " : "", extra ? extra : "",
	    d->ras_detail.len ? d->ras_detail.s : "");
	struct cp_event ev = {
	    .kind = "ecc",
	    .component = d->label[0] ? d->label : d->key,
	    .severity = sev,
	    .before = b,
	    .after = a,
	    .message = msg,
	};
	cp_event(ctx, &ev);
}

static void
check_dimm(struct cp_ctx *ctx, struct ecc_state *st, struct ecc_dimm *d)
{
	int64_t now = cp_now_ms(ctx);

	if (d->has_ue && d->ue < d->base_ue) {
		cp_log_info(ctx,
		    "%s: uncorrected count went back from %" PRIu64
		    " to %" PRIu64 " (counters reset)",
		    d->key, d->base_ue, d->ue);
		d->base_ue = d->ue;
		st->dirty = 1;
	}
	if (d->has_ce && d->ce < d->base_ce) {
		cp_log_info(ctx,
		    "%s: corrected count went back from %" PRIu64 " to %" PRIu64
		    " (counters reset)",
		    d->key, d->base_ce, d->ce);
		d->base_ce = d->ce;
		d->nhist = 0;
		st->dirty = 1;
	}
	if (d->has_ue && d->ue > d->base_ue) {
		fire(ctx, d, CP_SEV_CRITICAL, d->base_ue, d->ue, "uncorrected",
		    NULL);
		d->base_ue = d->ue;
		st->dirty = 1;
	}
	if (d->has_ce && d->ce > d->base_ce) {
		uint64_t delta = d->ce - d->base_ce, sum = 0;
		int64_t thr = threshold_for(st, d);
		char extra[160], w[32];
		size_t k = 0;

		/* Keep the increases inside the window; the oldest go first
		 * when the small history is full. */
		for (size_t i = 0; i < d->nhist; i++)
			if (now - d->hist[i].t_ms < st->window_ms)
				d->hist[k++] = d->hist[i];
		d->nhist = k;
		if (d->nhist == sizeof(d->hist) / sizeof(d->hist[0])) {
			memmove(d->hist, d->hist + 1,
			    (d->nhist - 1) * sizeof(d->hist[0]));
			d->nhist--;
		}
		d->hist[d->nhist].t_ms = now;
		d->hist[d->nhist].n = delta;
		d->nhist++;
		for (size_t i = 0; i < d->nhist; i++)
			sum += d->hist[i].n;
		if (st->window_ms % 3600000 == 0)
			snprintf(w, sizeof(w), "%" PRId64 "h",
			    st->window_ms / 3600000);
		else
			snprintf(
			    w, sizeof(w), "%" PRId64 "s", st->window_ms / 1000);
		snprintf(extra, sizeof(extra),
		    "%" PRIu64 " in the last %s (warning at %" PRId64 ")", sum,
		    w, thr);
		fire(ctx, d,
		    sum >= (uint64_t)thr ? CP_SEV_WARNING : CP_SEV_INFO,
		    d->base_ce, d->ce, "corrected", extra);
		d->base_ce = d->ce;
		st->dirty = 1;
	}
}

static void
emit_dimm(struct cp_ctx *ctx, const struct ecc_dimm *d)
{
	struct cp_label l[3] = {
	    {"mc", d->mc}, {"dimm", d->dimm}, {"label", d->label}};

	if (d->has_ce) {
		ecc_emit_counter(ctx, "ecc_corrected_total",
		    "Corrected memory errors of the DIMM since boot", l, 3,
		    d->ce);
		emit_gauge(ctx, "ecc_corrected_since_boot",
		    "Corrected memory errors of the DIMM since boot", l, 3,
		    (double)d->ce);
	}
	if (d->has_ue) {
		ecc_emit_counter(ctx, "ecc_uncorrected_total",
		    "Uncorrected memory errors of the DIMM since boot", l, 3,
		    d->ue);
		emit_gauge(ctx, "ecc_uncorrected_since_boot",
		    "Uncorrected memory errors of the DIMM since boot", l, 3,
		    (double)d->ue);
	}
}

/* A host without EDAC (no driver, no ECC memory, a VM): said once. */
static void
edac_absent(
    struct cp_ctx *ctx, struct ecc_state *st, const char *root, const char *why)
{
	emit_gauge(ctx, "ecc_edac_available",
	    "1 when EDAC memory controllers are visible in sysfs", NULL, 0, 0);
	if (!st->absent_logged) {
		cp_log_info(ctx,
		    "%s: %s: memory errors are not monitored on "
		    "this host (no EDAC driver or no ECC memory)",
		    root, why);
		st->absent_logged = 1;
	}
	if (strcmp(st->old_edac, "absent") != 0) {
		char msg[600];

		snprintf(msg, sizeof(msg),
		    "no EDAC memory controller under %s (%s): ECC errors "
		    "cannot be monitored",
		    root, why);
		struct cp_event ev = {
		    .kind = "ecc",
		    .component = "EDAC",
		    .severity = CP_SEV_INFO,
		    .after = "absent",
		    .message = msg,
		};
		cp_event(ctx, &ev);
		snprintf(st->old_edac, sizeof(st->old_edac), "absent");
		st->dirty = 1;
	}
	if (st->dirty)
		save_state(ctx, st, "absent");
}

static int
ecc_collect(struct cp_ctx *ctx, void *arg)
{
	struct ecc_state *st = arg;
	char root[4096], **mcs = NULL;
	int n, nmc = 0;
	size_t k;

	if (!st->loaded)
		load_state(ctx, st);
	if (!cp_path(ctx, CP_SYSFS, EDAC_MC, root, sizeof(root)))
		return -ENAMETOOLONG;
	n = hw_list(root, "mc", &mcs);
	badattr_begin(&st->bad);
	if (n < 0) {
		edac_absent(ctx, st, root, strerror(-n));
		return 0;
	}
	for (size_t i = 0; i < st->n; i++) {
		st->d[i].seen = 0;
		st->d[i].ras_detail.len = 0;
		st->d[i].ras_detail.s[0] = '\0';
	}
	for (int i = 0; i < n; i++) {
		char *e;

		strtol(mcs[i] + 2, &e, 10);
		if (*e || e == mcs[i] + 2)
			continue;
		nmc++;
		ecc_edac_read_mc(ctx, st, root, mcs[i]);
	}
	hw_names_free(mcs, n);
	badattr_end(&st->bad, ctx);
	if (nmc == 0) {
		edac_absent(ctx, st, root, "no mc* directory");
		return 0;
	}
	if (strcmp(st->old_edac, "present") != 0) {
		snprintf(st->old_edac, sizeof(st->old_edac), "present");
		st->dirty = 1;
	}
	emit_gauge(ctx, "ecc_edac_available",
	    "1 when EDAC memory controllers are visible in sysfs", NULL, 0, 1);

	/* A DIMM that vanished (driver reloaded, memory offlined). */
	for (size_t i = k = 0; i < st->n; i++)
		if (st->d[i].seen)
			st->d[k++] = st->d[i];
	if (k != st->n)
		st->dirty = 1;
	st->n = k;

	/*
	 * rasdaemon first, so that the events can carry its detail: the
	 * sysfs increases of this run (and unmatched ones of earlier runs)
	 * are what its new records may account for.
	 */
	for (size_t i = 0; st->ras && i < st->n; i++) {
		struct ecc_dimm *d = &st->d[i];

		if (d->has_ue && d->ue > d->base_ue)
			d->ras_pending += d->ue - d->base_ue;
		if (d->has_ce && d->ce > d->base_ce)
			d->ras_pending += d->ce - d->base_ce;
	}
	if (st->ras && ecc_ras_poll(st->ras, ctx, st->d, st->n) > 0)
		st->dirty = 1;
	for (size_t i = 0; i < st->n; i++) {
		check_dimm(ctx, st, &st->d[i]);
		emit_dimm(ctx, &st->d[i]);
	}
	if (st->dirty)
		save_state(ctx, st, "present");
	return 0;
}

CP_EXPORT const struct cp_collector cp_collector = {
    .abi = CP_ABI_VERSION,
    .name = "ecc",
    .configure = ecc_configure,
    .start = ecc_start,
    .collect = ecc_collect,
    .stop = ecc_stop,
};
