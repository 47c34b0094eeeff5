// SPDX-License-Identifier: MIT
/*
 * snmp_entity: chassis inventory, firmware and hot-swap over SNMP.
 * ENTITY-MIB entPhysicalTable (+ ENTITY-STATE-MIB entStateTable where the
 * device has it) -> inventory kind "entity"; the OS version (sysDescr,
 * else ENTITY-MIB revisions, else a vendor MIB) and chassis/module revs ->
 * inventory kind "firmware". entLastChangeTime is read every poll and the
 * table re-walked only when it moved, when the inventory interval passed,
 * after a reboot, or when the trap receiver asks (entConfigChange). The
 * FRU set is compared between walks (kept in DATA_DIR/snmp_entity/ across
 * restarts): inserted / removed / replaced (same slot, new serial) become
 * "hotswap" events. Version changes (the OS, a module's revisions) are
 * the agent's firmware change log's to report: it sees every firmware
 * inventory put, and one change must give one event.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snmp/devcfg.h"
#include "collectors/snmp/engine.h"
#include "collectors/snmp/selfm.h"
#include "collectors/snmp/sutil.h"
#include "collectors/snmp/sysdescr.h"
#include "plugin.h"

#define O_ENT "1.3.6.1.2.1.47.1.1.1.1."
#define O_STATE "1.3.6.1.2.1.131.1.1.1."

enum { SC_DESCR, SC_OBJID, SC_UPTIME, SC_LASTCHANGE, SC_ZYXEL_FW, SC_N };
enum {
	E_DESCR,
	E_CONTAINED,
	E_CLASS,
	E_RELPOS,
	E_NAME,
	E_HW,
	E_FW,
	E_SW,
	E_SERIAL,
	E_MFG,
	E_MODEL,
	E_FRU,
	E_N
};
enum { ST_ADMIN, ST_OPER, ST_USAGE, ST_STANDBY, ST_N };

/* One FRU as remembered between walks. */
struct fru {
	uint32_t idx;
	int cls;
	char *serial;
	char *name;
	char *model;
};

struct dev {
	struct sdev_cfg *cfg;
	struct se_dev *se;
	size_t w_ent, w_state;
	int walk_now; /* set by on_scalars for this poll */
	int have_change;
	uint64_t last_change;
	int have_uptime;
	uint64_t uptime_cs;
	int64_t walked_ms;
	int have_frus; /* a baseline exists (walked, or from the state file) */
	struct fru *frus;
	size_t nfrus;
	int64_t last_success_ms;
	int64_t next_due_ms;
	int64_t iv_ms;
	struct state *st;
};

struct state {
	struct cp_ctx *ctx;
	struct sdev_cfg *cfgs;
	size_t ncfgs;
	struct dev *devs;
	size_t ndevs;
	struct se *eng;
	int64_t inv_ms;
	int64_t max_inflight;
};

static const char *
class_name(uint64_t c)
{
	static const char *n[] = {"?", "other", "unknown", "chassis",
	    "backplane", "container", "powerSupply", "fan", "sensor", "module",
	    "port", "stack", "cpu", "energyObject", "battery", "storageDrive"};
	return c < sizeof(n) / sizeof(n[0]) ? n[c] : "?";
}

static const char *
state_name(int col, uint64_t v)
{
	static const char *admin[] = {
	    "?", "unknown", "locked", "shuttingDown", "unlocked"};
	static const char *oper[] = {
	    "?", "unknown", "disabled", "enabled", "testing"};
	static const char *usage[] = {"?", "unknown", "idle", "active", "busy"};
	static const char *standby[] = {
	    "?", "unknown", "hotStandby", "coldStandby", "providingService"};
	switch (col) {
	case ST_ADMIN:
		return v <= 4 ? admin[v] : "?";
	case ST_OPER:
		return v <= 4 ? oper[v] : "?";
	case ST_USAGE:
		return v <= 4 ? usage[v] : "?";
	default:
		return v <= 4 ? standby[v] : "?";
	}
}

/* ------------------------------------------------------- FRU baseline */

static void
frus_free(struct fru *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].serial);
		free(f[i].name);
		free(f[i].model);
	}
	free(f);
}

static char *
fru_path(struct dev *d, char *buf, size_t size)
{
	return selfm_state_path(
	    d->st->ctx, "snmp_entity", d->cfg->name, ".fru", buf, size);
}

/* State file: "idx\tclass\tserial\tmodel\tname" a line (tabs and newlines
 * inside fields were replaced when written). */
static void
frus_load(struct dev *d)
{
	char path[4096], line[1024];
	FILE *fp;

	if (!fru_path(d, path, sizeof(path)) || !(fp = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), fp)) {
		char *f[5] = {0}, *p = line;
		int n = 0;
		line[strcspn(line, "\n")] = '\0';
		while (n < 5) {
			f[n++] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (n < 5)
			continue;
		d->frus = s_realloc(d->frus, (d->nfrus + 1) * sizeof(*d->frus));
		d->frus[d->nfrus].idx = (uint32_t)strtoul(f[0], NULL, 10);
		d->frus[d->nfrus].cls = (int)strtol(f[1], NULL, 10);
		d->frus[d->nfrus].serial = s_strdup(f[2]);
		d->frus[d->nfrus].model = s_strdup(f[3]);
		d->frus[d->nfrus].name = s_strdup(f[4]);
		d->nfrus++;
	}
	fclose(fp);
	d->have_frus = 1;
}

static void
clean_field(char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n' || *s == '\r')
			*s = ' ';
}

static void
frus_save(struct dev *d)
{
	char path[4096];
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!fru_path(d, path, sizeof(path)))
		return;
	for (size_t i = 0; i < d->nfrus; i++) {
		const struct fru *f = &d->frus[i];
		size_t need =
		    strlen(f->serial) + strlen(f->name) + strlen(f->model) + 64;
		s_grow(&buf, &cap, len + need, 1);
		len += (size_t)snprintf(buf + len, cap - len,
		    "%" PRIu32 "\t%d\t%s\t%s\t%s\n", f->idx, f->cls, f->serial,
		    f->model, f->name);
	}
	if (selfm_write_file(path, buf ? buf : "", len) < 0)
		cp_log_warn(
		    d->st->ctx, "%s: cannot write %s", d->cfg->name, path);
	free(buf);
}

/* ------------------------------------------------------------ config */

static void
st_free(struct state *st)
{
	if (!st)
		return;
	se_free(st->eng);
	for (size_t i = 0; i < st->ndevs; i++)
		frus_free(st->devs[i].frus, st->devs[i].nfrus);
	free(st->devs);
	sdev_free(st->cfgs, st->ncfgs);
	free(st);
}

static int
ent_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **out)
{
	struct state *st = s_calloc(1, sizeof(*st));
	int rc = 0;

	st->ctx = ctx;
	st->inv_ms = 900000;
	st->max_inflight = 64;
	if (cfg && (cp_cfg_duration(cfg, "inventory_interval", &st->inv_ms) ==
	                   -EINVAL ||
	               cp_cfg_int(cfg, "max_in_flight", 1, 100000,
	                   &st->max_inflight) == -EINVAL))
		rc = -EINVAL;
	if (sdev_load(ctx, &st->cfgs, &st->ncfgs) < 0)
		rc = -EINVAL;
	if (rc < 0) {
		st_free(st);
		return rc;
	}
	st->ndevs = st->ncfgs;
	st->devs = s_calloc(st->ndevs ? st->ndevs : 1, sizeof(*st->devs));
	for (size_t i = 0; i < st->ndevs; i++) {
		st->devs[i].cfg = &st->cfgs[i];
		st->devs[i].st = st;
	}
	*out = st;
	return 0;
}

static char *
repoll_path(struct dev *d, char *buf, size_t size)
{
	return selfm_state_path(
	    d->st->ctx, "snmp_entity", d->cfg->name, ".repoll", buf, size);
}

/* Walk the tables this poll? Decided once the scalars are in. */
static void
on_scalars(struct se_dev *sd, void *arg)
{
	struct dev *d = arg;
	struct se_poll *p = se_dev_poll(sd);
	const struct sv *lc = &p->scalars[SC_LASTCHANGE].v;
	const struct sv *up = &p->scalars[SC_UPTIME].v;
	uint64_t v;
	char path[4096];
	int walk = d->walk_now;

	if (!d->walked_ms || p->start_ms - d->walked_ms >= d->st->inv_ms)
		walk = 1;
	if (sv_num(lc, &v) == 0 && (!d->have_change || v != d->last_change))
		walk = 1;
	if (lc->kind == SV_ABSENT || lc->kind == SV_NONE)
		walk = walk || !d->walked_ms;
	if (sv_num(up, &v) == 0 && d->have_uptime && v < d->uptime_cs)
		walk = 1;
	/* The trap receiver's request (entConfigChange). */
	if (repoll_path(d, path, sizeof(path)) && unlink(path) == 0)
		walk = 1;
	d->walk_now = walk;
	p->walks[d->w_ent].skip = !walk;
	p->walks[d->w_state].skip = !walk;
}

static int
ent_start(struct cp_ctx *ctx, void *state)
{
	struct state *st = state;

	st->eng = se_new(ctx, (int)st->max_inflight);
	for (size_t i = 0; i < st->ndevs; i++) {
		struct dev *d = &st->devs[i];
		struct se_poll *p;
		static const char *ecols[E_N][2] = {{"entPhysicalDescr", "2"},
		    {"entPhysicalContainedIn", "4"}, {"entPhysicalClass", "5"},
		    {"entPhysicalParentRelPos", "6"}, {"entPhysicalName", "7"},
		    {"entPhysicalHardwareRev", "8"},
		    {"entPhysicalFirmwareRev", "9"},
		    {"entPhysicalSoftwareRev", "10"},
		    {"entPhysicalSerialNum", "11"},
		    {"entPhysicalMfgName", "12"},
		    {"entPhysicalModelName", "13"}, {"entPhysicalIsFRU", "16"}};
		static const char *scols[ST_N][2] = {{"entStateAdmin", "3"},
		    {"entStateOper", "4"}, {"entStateUsage", "5"},
		    {"entStateStandby", "7"}};
		char oid[64];

		d->se = se_dev_add(st->eng, d->cfg);
		p = se_dev_poll(d->se);
		p->on_scalars = on_scalars;
		p->arg = d;
		se_poll_scalar(p, "1.3.6.1.2.1.1.1.0");
		se_poll_scalar(p, "1.3.6.1.2.1.1.2.0");
		se_poll_scalar(p, "1.3.6.1.2.1.1.3.0");
		se_poll_scalar(p, "1.3.6.1.2.1.47.1.4.1.0");
		/* ZYXEL-ES-COMMON sysSwVersionString: Zyxel's firmware is
		 * only there (sysDescr is the model). */
		se_poll_scalar(p, "1.3.6.1.4.1.890.1.15.3.1.6.0");
		d->w_ent = se_poll_walk(p, "entPhysicalTable");
		for (int c = 0; c < E_N; c++) {
			snprintf(oid, sizeof(oid), O_ENT "%s", ecols[c][1]);
			se_walk_col(p, d->w_ent, ecols[c][0], oid);
		}
		d->w_state = se_poll_walk(p, "entStateTable");
		for (int c = 0; c < ST_N; c++) {
			snprintf(oid, sizeof(oid), O_STATE "%s", scols[c][1]);
			se_walk_col(p, d->w_state, scols[c][0], oid);
		}
		frus_load(d);
	}
	return 0;
}

/* ------------------------------------------------------------ results */

static char *
txt(const struct se_walk *w, int col, uint32_t idx)
{
	const struct sv *v = se_col_get(&w->cols[col], idx);
	return v ? sv_text(v) : s_strdup("");
}

static int
num(const struct se_walk *w, int col, uint32_t idx, uint64_t *out)
{
	const struct sv *v = se_col_get(&w->cols[col], idx);
	return v ? sv_num(v, out) : -1;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Every entPhysicalIndex any column has (some devices leave out columns
 * for some rows: procurve has no entPhysicalClass for its chassis part). */
static uint32_t *
ent_indexes(const struct se_walk *w, size_t *n)
{
	size_t tot = 0, k = 0;
	uint32_t *v;

	for (size_t c = 0; c < w->ncols; c++)
		tot += w->cols[c].nrows;
	v = s_calloc(tot ? tot : 1, sizeof(*v));
	for (size_t c = 0; c < w->ncols; c++)
		for (size_t r = 0; r < w->cols[c].nrows; r++)
			v[k++] = w->cols[c].rows[r].idx;
	qsort(v, k, sizeof(*v), cmp_u32);
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (*n == 0 || v[*n - 1] != v[i])
			v[(*n)++] = v[i];
	return v;
}

static void
event(struct dev *d, const char *kind, const char *comp, enum cp_severity sev,
    const char *before, const char *after, const char *msg)
{
	struct cp_event ev = {0};
	ev.target = d->cfg->name;
	ev.kind = kind;
	ev.component = comp;
	ev.severity = sev;
	ev.before = before;
	ev.after = after;
	ev.message = msg;
	cp_event(d->st->ctx, &ev);
}

static int
is_fru(uint64_t fru, int have_fru, uint64_t cls)
{
	if (have_fru)
		return fru == 1;
	return cls == 6 || cls == 7 || cls == 9; /* PSU, fan, module */
}

static void
compare_frus(struct dev *d, struct fru *now, size_t n)
{
	char msg[512];

	for (size_t i = 0; i < d->nfrus; i++) {
		const struct fru *o = &d->frus[i];
		const struct fru *m = NULL;
		for (size_t k = 0; k < n; k++)
			if (now[k].idx == o->idx)
				m = &now[k];
		if (!m) {
			snprintf(msg, sizeof(msg), "%s removed (%s, serial %s)",
			    o->name,
			    o->model[0] ? o->model
			                : class_name((uint64_t)o->cls),
			    o->serial[0] ? o->serial : "none");
			event(d, "hotswap", o->name, CP_SEV_WARNING, o->serial,
			    "", msg);
		} else if (strcmp(o->serial, m->serial) != 0 &&
		           (o->serial[0] || m->serial[0])) {
			snprintf(msg, sizeof(msg),
			    "%s replaced: serial %s -> %s (%s)", m->name,
			    o->serial[0] ? o->serial : "none",
			    m->serial[0] ? m->serial : "none",
			    m->model[0] ? m->model
			                : class_name((uint64_t)m->cls));
			event(d, "hotswap", m->name, CP_SEV_INFO, o->serial,
			    m->serial, msg);
		}
	}
	for (size_t k = 0; k < n; k++) {
		int found = 0;
		for (size_t i = 0; i < d->nfrus && !found; i++)
			found = d->frus[i].idx == now[k].idx;
		if (!found) {
			snprintf(msg, sizeof(msg),
			    "%s inserted (%s, serial %s)", now[k].name,
			    now[k].model[0] ? now[k].model
			                    : class_name((uint64_t)now[k].cls),
			    now[k].serial[0] ? now[k].serial : "none");
			event(d, "hotswap", now[k].name, CP_SEV_INFO, "",
			    now[k].serial, msg);
		}
	}
}

/* An all-zero version such as "KA.00.00.0000" (HP stacks) says nothing. */
static int
placeholder(const char *v)
{
	const char *p = strchr(v, '.');
	if (!*v)
		return 1;
	if (!p)
		return 0;
	for (p++; *p; p++)
		if (*p != '0' && *p != '.')
			return 0;
	return 1;
}

static void
entity_results(struct dev *d, struct se_poll *p)
{
	const struct se_walk *w = &p->walks[d->w_ent];
	const struct se_walk *ws = &p->walks[d->w_state];
	struct cp_inventory_item *items;
	struct cp_label(*attrs)[20];
	char **strs;
	size_t n, ns = 0;
	uint32_t *ix = ent_indexes(w, &n);
	struct fru *now = NULL;
	size_t nnow = 0;
	int have_fru = w->cols[E_FRU].nrows > 0;

	items = s_calloc(n ? n : 1, sizeof(*items));
	attrs = s_calloc(n ? n : 1, sizeof(*attrs));
	strs = s_calloc((n ? n : 1) * 20, sizeof(char *));
	for (size_t r = 0; r < n; r++) {
		uint32_t idx = ix[r];
		uint64_t cls = 0, fru = 0, cont = 0, v;
		size_t na = 0;
		char *s;
		static const struct {
			int col;
			const char *k;
		} tcols[] = {{E_NAME, "name"}, {E_DESCR, "descr"},
		    {E_MODEL, "model"}, {E_SERIAL, "serial"},
		    {E_HW, "hardware_rev"}, {E_FW, "firmware_rev"},
		    {E_SW, "software_rev"}, {E_MFG, "mfg"}};
		char nb[3][24];

		num(w, E_CLASS, idx, &cls);
		num(w, E_FRU, idx, &fru);
		num(w, E_CONTAINED, idx, &cont);
		snprintf(nb[0], sizeof(nb[0]), "%" PRIu32, idx);
		snprintf(nb[1], sizeof(nb[1]), "%" PRIu64, cont);
		attrs[r][na++] =
		    (struct cp_label){"index", strs[ns++] = s_strdup(nb[0])};
		attrs[r][na++] = (struct cp_label){"class", class_name(cls)};
		for (size_t t = 0; t < sizeof(tcols) / sizeof(tcols[0]); t++) {
			s = txt(w, tcols[t].col, idx);
			strs[ns++] = s;
			attrs[r][na++] = (struct cp_label){tcols[t].k, s};
		}
		attrs[r][na++] = (struct cp_label){
		    "field_replaceable", fru == 1 ? "true" : "false"};
		attrs[r][na++] = (struct cp_label){
		    "contained_in", strs[ns++] = s_strdup(nb[1])};
		if (num(ws, ST_ADMIN, idx, &v) == 0)
			attrs[r][na++] = (struct cp_label){
			    "state_admin", state_name(ST_ADMIN, v)};
		if (num(ws, ST_OPER, idx, &v) == 0)
			attrs[r][na++] = (struct cp_label){
			    "state_oper", state_name(ST_OPER, v)};
		if (num(ws, ST_USAGE, idx, &v) == 0)
			attrs[r][na++] = (struct cp_label){
			    "state_usage", state_name(ST_USAGE, v)};
		if (num(ws, ST_STANDBY, idx, &v) == 0)
			attrs[r][na++] = (struct cp_label){
			    "state_standby", state_name(ST_STANDBY, v)};
		items[r].key = attrs[r][0].value;
		items[r].attrs = attrs[r];
		items[r].nattrs = na;
		if (is_fru(fru, have_fru, cls)) {
			now = s_realloc(now, (nnow + 1) * sizeof(*now));
			now[nnow].idx = idx;
			now[nnow].cls = (int)cls;
			now[nnow].serial = txt(w, E_SERIAL, idx);
			now[nnow].name = txt(w, E_NAME, idx);
			now[nnow].model = txt(w, E_MODEL, idx);
			if (!now[nnow].name[0]) {
				free(now[nnow].name);
				now[nnow].name = txt(w, E_DESCR, idx);
			}
			clean_field(now[nnow].serial);
			clean_field(now[nnow].name);
			clean_field(now[nnow].model);
			nnow++;
		}
	}
	cp_inventory_put(d->st->ctx, d->cfg->name, "entity", items, n);
	if (d->have_frus)
		compare_frus(d, now, nnow);
	frus_free(d->frus, d->nfrus);
	d->frus = now;
	d->nfrus = nnow;
	d->have_frus = 1;
	frus_save(d);
	for (size_t i = 0; i < ns; i++)
		free(strs[i]);
	free(strs);
	free(attrs);
	free(items);
	free(ix);
}

/* Firmware inventory: the OS version and the revisions of the chassis,
 * modules and supplies. Called after a table walk. */
static void
firmware_results(struct dev *d, struct se_poll *p)
{
	const struct se_walk *w = &p->walks[d->w_ent];
	struct cp_inventory_item *items;
	struct cp_label(*attrs)[9];
	char **strs;
	size_t nix, n = 0, ns = 0;
	uint32_t *ix = ent_indexes(w, &nix);
	size_t cap = nix + 1;
	char *descr = sv_text(&p->scalars[SC_DESCR].v);
	char *zy = sv_text(&p->scalars[SC_ZYXEL_FW].v);
	char version[128] = "", source[16] = "";
	struct sysdescr sd;

	sysdescr_parse(descr, strlen(descr), &sd);
	if (zy[0]) {
		zy[strcspn(zy, " |")] = '\0';
		snprintf(version, sizeof(version), "%s", zy);
		snprintf(source, sizeof(source), "vendor-mib");
	} else if (!placeholder(sd.version)) {
		snprintf(version, sizeof(version), "%s", sd.version);
		snprintf(source, sizeof(source), "sysDescr");
	}
	/* sysDescr without a usable version: the chassis' software rev
	 * (ProCurve stacks say KA.00.00.0000 there). */
	for (int pass = 0; pass < 2 && !version[0]; pass++)
		for (size_t r = 0; r < nix && !version[0]; r++) {
			uint64_t cls = 0;
			char *sw = txt(w, E_SW, ix[r]);
			num(w, E_CLASS, ix[r], &cls);
			if (sw[0] && (pass == 1 || cls == 3 || cls == 11)) {
				snprintf(version, sizeof(version), "%s", sw);
				snprintf(source, sizeof(source), "entity");
			}
			free(sw);
		}
	items = s_calloc(cap, sizeof(*items));
	attrs = s_calloc(cap, sizeof(*attrs));
	strs = s_calloc(cap * 9, sizeof(char *));
	attrs[0][0] = (struct cp_label){"component", "os"};
	attrs[0][1] = (struct cp_label){"os", sd.os};
	attrs[0][2] = (struct cp_label){"version", version};
	attrs[0][3] = (struct cp_label){"source", source};
	attrs[0][4] = (struct cp_label){"descr", descr};
	items[0] = (struct cp_inventory_item){"os", attrs[0], 5};
	n = 1;
	for (size_t r = 0; r < nix; r++) {
		uint32_t idx = ix[r];
		uint64_t cls = 0;
		char *hw, *fw, *sw, kb[24];
		num(w, E_CLASS, idx, &cls);
		hw = txt(w, E_HW, idx);
		fw = txt(w, E_FW, idx);
		sw = txt(w, E_SW, idx);
		if (!hw[0] && !fw[0] && !sw[0]) {
			free(hw);
			free(fw);
			free(sw);
			continue;
		}
		snprintf(kb, sizeof(kb), "entity.%" PRIu32, idx);
		strs[ns++] = hw;
		strs[ns++] = fw;
		strs[ns++] = sw;
		strs[ns++] = txt(w, E_NAME, idx);
		strs[ns++] = txt(w, E_MODEL, idx);
		strs[ns++] = txt(w, E_SERIAL, idx);
		strs[ns++] = s_strdup(kb);
		attrs[n][0] = (struct cp_label){"component", strs[ns - 4]};
		attrs[n][1] = (struct cp_label){"class", class_name(cls)};
		attrs[n][2] = (struct cp_label){"model", strs[ns - 3]};
		attrs[n][3] = (struct cp_label){"serial", strs[ns - 2]};
		attrs[n][4] = (struct cp_label){"hardware_rev", hw};
		attrs[n][5] = (struct cp_label){"firmware_rev", fw};
		attrs[n][6] = (struct cp_label){"software_rev", sw};
		items[n] =
		    (struct cp_inventory_item){strs[ns - 1], attrs[n], 7};
		n++;
	}
	cp_inventory_put(d->st->ctx, d->cfg->name, "firmware", items, n);
	for (size_t i = 0; i < ns; i++)
		free(strs[i]);
	free(strs);
	free(attrs);
	free(items);
	free(descr);
	free(zy);
	free(ix);
}

static void
dev_results(struct state *st, struct dev *d)
{
	struct se_poll *p = se_dev_poll(d->se);
	uint64_t v;

	if (p->up) {
		const struct se_walk *w = &p->walks[d->w_ent];
		if (!w->skip && w->done && p->complete) {
			entity_results(d, p);
			firmware_results(d, p);
			d->walked_ms = p->start_ms;
		} else if (!w->skip && w->done && w->cols[E_CLASS].nrows == 0) {
			/* No ENTITY-MIB at all: still a firmware record. */
			firmware_results(d, p);
			d->walked_ms = p->start_ms;
		}
		if (sv_num(&p->scalars[SC_LASTCHANGE].v, &v) == 0) {
			d->have_change = 1;
			d->last_change = v;
		}
		if (sv_num(&p->scalars[SC_UPTIME].v, &v) == 0 &&
		    p->scalars[SC_UPTIME].v.kind == SV_TICKS) {
			d->have_uptime = 1;
			d->uptime_cs = v;
		}
		if (p->complete)
			d->last_success_ms =
			    p->start_ms + (int64_t)(p->seconds * 1000);
	}
	d->walk_now = 0;
	selfm_emit(st->ctx, "snmp_entity", d->se, d->last_success_ms, d->iv_ms);
}

static int
ent_collect(struct cp_ctx *ctx, void *state)
{
	struct state *st = state;
	int64_t now = cp_now_ms(ctx), iv = cp_interval_ms(ctx);
	struct se_dev **run = s_calloc(st->ndevs ? st->ndevs : 1, sizeof(*run));
	size_t n = 0;

	if (iv <= 0)
		iv = 10000;
	for (size_t i = 0; i < st->ndevs; i++) {
		struct dev *d = &st->devs[i];
		if (!sdev_due(d->cfg->interval_ms, now, iv, &d->next_due_ms,
		        &d->iv_ms))
			continue;
		run[n++] = d->se;
	}
	se_run(st->eng, run, n, s_mono_ns() + iv * 9 / 10 * 1000000);
	for (size_t i = 0; i < st->ndevs; i++)
		for (size_t k = 0; k < n; k++)
			if (run[k] == st->devs[i].se)
				dev_results(st, &st->devs[i]);
	free(run);
	return 0;
}

static void
ent_stop(void *state)
{
	st_free(state);
}

CP_EXPORT const struct cp_collector cp_collector = {
    .abi = CP_ABI_VERSION,
    .name = "snmp_entity",
    .configure = ent_configure,
    .start = ent_start,
    .collect = ent_collect,
    .stop = ent_stop,
};
