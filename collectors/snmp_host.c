// SPDX-License-Identifier: MIT
/*
 * snmp_host: servers polled remotely. UCD-SNMP-MIB (ssCpuRaw*, laLoadInt,
 * memory), UCD-DISKIO-MIB (diskIOTable) and HOST-RESOURCES-MIB
 * (hrProcessorLoad, hrStorage, as fallbacks) become the same metrics the
 * local cpu, memory and diskio collectors emit, so a web or DB server
 * looks the same watched locally or over SNMP:
 *   cpu_ratio{cpu="total",mode}, cpu_busy_ratio{cpu="total"}, load1/5/15,
 *   memory_total_bytes, memory_available_bytes, memory_used_bytes,
 *   memory_used_ratio, swap_total_bytes, swap_used_bytes,
 *   disk_reads_total, disk_writes_total, disk_read_bytes_total,
 *   disk_written_bytes_total {disk}.
 * Devices polled: roles web and db by default (option `roles`).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snmp/devcfg.h"
#include "collectors/snmp/engine.h"
#include "collectors/snmp/selfm.h"
#include "collectors/snmp/sutil.h"
#include "plugin.h"

#define UCD "1.3.6.1.4.1.2021."

/* ssCpuRaw* (UCD-SNMP-MIB systemStats, Counter32 ticks). net-snmp's
 * ssCpuRawSystem is kernel + interrupt + softirq on Linux, so the modes
 * use ssCpuRawKernel when it is there. */
enum {
	R_USER,
	R_NICE,
	R_SYSTEM,
	R_IDLE,
	R_WAIT,
	R_KERNEL,
	R_IRQ,
	R_SOFTIRQ,
	R_STEAL,
	R_GUEST,
	R_GUESTNICE,
	R_N
};
static const char *const raw_oid[R_N] = {
    "50", "51", "52", "53", "54", "55", "56", "61", "64", "65", "66"};
/* Memory scalars (UCD memory group, kB). */
enum {
	M_TOTAL_SWAP,
	M_AVAIL_SWAP,
	M_TOTAL_REAL,
	M_AVAIL_REAL,
	M_BUFFER,
	M_CACHED,
	M_SYS_AVAIL,
	M_N
};
static const char *const mem_oid[M_N] = {"3", "4", "5", "6", "14", "15", "27"};

enum {
	D_DEV,
	D_NREAD,
	D_NWRITTEN,
	D_READS,
	D_WRITES,
	D_NREADX,
	D_NWRITTENX,
	D_N
};
enum { S_TYPE, S_DESCR, S_UNITS, S_SIZE, S_USED, S_N };

struct dev {
	struct sdev_cfg *cfg;
	struct se_dev *se;
	size_t sc_raw, sc_mem, sc_load; /* first scalar index of each group */
	size_t w_disk, w_stor, w_proc;
	int have_prev;
	uint64_t prev[R_N];
	uint32_t prev_mask;
	int64_t last_success_ms;
	int64_t next_due_ms;
	int64_t iv_ms;
};

struct state {
	struct cp_ctx *ctx;
	struct sdev_cfg *cfgs;
	size_t ncfgs;
	struct dev *devs;
	size_t ndevs;
	struct se *eng;
	char **roles;
	size_t nroles;
};

static void
st_free(struct state *st)
{
	if (!st)
		return;
	se_free(st->eng);
	free(st->devs);
	for (size_t i = 0; i < st->nroles; i++)
		free(st->roles[i]);
	free(st->roles);
	sdev_free(st->cfgs, st->ncfgs);
	free(st);
}

static int
host_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **out)
{
	struct state *st = s_calloc(1, sizeof(*st));
	const struct cp_cfg *r = cfg ? cp_cfg_child(cfg, "roles") : NULL;
	int rc = 0;

	st->ctx = ctx;
	if (r) {
		size_t n = cp_cfg_seq_len(r);
		st->roles = s_calloc(n ? n : 1, sizeof(char *));
		for (size_t i = 0; i < n; i++) {
			const char *s = cp_cfg_scalar(cp_cfg_seq_at(r, i));
			if (!s) {
				cp_cfg_error(cp_cfg_seq_at(r, i),
				    "roles: expected a role name");
				rc = -EINVAL;
				continue;
			}
			st->roles[st->nroles++] = s_strdup(s);
		}
	} else {
		st->roles = s_calloc(2, sizeof(char *));
		st->roles[st->nroles++] = s_strdup("web");
		st->roles[st->nroles++] = s_strdup("db");
	}
	if (sdev_load(ctx, &st->cfgs, &st->ncfgs) < 0)
		rc = -EINVAL;
	if (rc < 0) {
		st_free(st);
		return rc;
	}
	st->devs = s_calloc(st->ncfgs ? st->ncfgs : 1, sizeof(*st->devs));
	for (size_t i = 0; i < st->ncfgs; i++) {
		const char *role =
		    st->cfgs[i].role ? st->cfgs[i].role : "other";
		for (size_t k = 0; k < st->nroles; k++)
			if (!strcmp(st->roles[k], role) ||
			    !strcmp(st->roles[k], "*")) {
				st->devs[st->ndevs++].cfg = &st->cfgs[i];
				break;
			}
	}
	*out = st;
	return 0;
}

static int
host_start(struct cp_ctx *ctx, void *state)
{
	struct state *st = state;
	char oid[64];

	st->eng = se_new(ctx, 64);
	for (size_t i = 0; i < st->ndevs; i++) {
		struct dev *d = &st->devs[i];
		struct se_poll *p;
		d->se = se_dev_add(st->eng, d->cfg);
		p = se_dev_poll(d->se);
		for (int k = 0; k < R_N; k++) {
			snprintf(oid, sizeof(oid), UCD "11.%s.0", raw_oid[k]);
			if (k == 0)
				d->sc_raw = se_poll_scalar(p, oid);
			else
				se_poll_scalar(p, oid);
		}
		for (int k = 0; k < M_N; k++) {
			snprintf(oid, sizeof(oid), UCD "4.%s.0", mem_oid[k]);
			if (k == 0)
				d->sc_mem = se_poll_scalar(p, oid);
			else
				se_poll_scalar(p, oid);
		}
		d->sc_load = se_poll_scalar(p, UCD "10.1.5.1");
		se_poll_scalar(p, UCD "10.1.5.2");
		se_poll_scalar(p, UCD "10.1.5.3");
		d->w_disk = se_poll_walk(p, "diskIOTable");
		se_walk_col(p, d->w_disk, "diskIODevice", UCD "13.15.1.1.2");
		se_walk_col(p, d->w_disk, "diskIONRead", UCD "13.15.1.1.3");
		se_walk_col(p, d->w_disk, "diskIONWritten", UCD "13.15.1.1.4");
		se_walk_col(p, d->w_disk, "diskIOReads", UCD "13.15.1.1.5");
		se_walk_col(p, d->w_disk, "diskIOWrites", UCD "13.15.1.1.6");
		se_walk_col(p, d->w_disk, "diskIONReadX", UCD "13.15.1.1.12");
		se_walk_col(
		    p, d->w_disk, "diskIONWrittenX", UCD "13.15.1.1.13");
		d->w_stor = se_poll_walk(p, "hrStorageTable");
		se_walk_col(
		    p, d->w_stor, "hrStorageType", "1.3.6.1.2.1.25.2.3.1.2");
		se_walk_col(
		    p, d->w_stor, "hrStorageDescr", "1.3.6.1.2.1.25.2.3.1.3");
		se_walk_col(p, d->w_stor, "hrStorageAllocationUnits",
		    "1.3.6.1.2.1.25.2.3.1.4");
		se_walk_col(
		    p, d->w_stor, "hrStorageSize", "1.3.6.1.2.1.25.2.3.1.5");
		se_walk_col(
		    p, d->w_stor, "hrStorageUsed", "1.3.6.1.2.1.25.2.3.1.6");
		d->w_proc = se_poll_walk(p, "hrProcessorTable");
		se_walk_col(
		    p, d->w_proc, "hrProcessorLoad", "1.3.6.1.2.1.25.3.3.1.2");
	}
	return 0;
}

/* ------------------------------------------------------------ results */

static void
gauge(struct state *st, struct dev *d, const char *metric, const char *help,
    const struct cp_label *l, size_t nl, double v)
{
	struct cp_sample s = {0};
	s.target = d->cfg->name;
	s.metric = metric;
	s.help = help;
	s.labels = l;
	s.nlabels = nl;
	s.kind = CP_GAUGE;
	s.value = v;
	s.interval_ms = d->iv_ms;
	cp_emit(st->ctx, &s);
}

static void
counter(struct state *st, struct dev *d, const char *metric, const char *help,
    const struct cp_label *l, const struct sv *v, uint64_t mul)
{
	struct cp_sample s = {0};
	if (!v || (v->kind != SV_COUNTER32 && v->kind != SV_COUNTER64))
		return;
	s.target = d->cfg->name;
	s.metric = metric;
	s.help = help;
	s.labels = l;
	s.nlabels = 1;
	s.kind = v->kind == SV_COUNTER64 ? CP_COUNTER64 : CP_COUNTER32;
	s.counter = v->u * mul;
	s.time_ms = v->t_ms;
	s.interval_ms = d->iv_ms;
	cp_emit(st->ctx, &s);
}

static int
scalar(const struct se_poll *p, size_t i, uint64_t *v)
{
	return sv_num(&p->scalars[i].v, v);
}

/* Time shares from the ssCpuRaw deltas (Counter32: deltas mod 2^32). */
static void
cpu_results(struct state *st, struct dev *d, const struct se_poll *p)
{
	static const char *const modes[] = {"user", "nice", "system", "idle",
	    "iowait", "irq", "softirq", "steal", "guest"};
	uint64_t cur[R_N] = {0}, dl[R_N] = {0}, m[9], sum = 0;
	uint32_t mask = 0;
	struct cp_label lb[2] = {{"cpu", "total"}, {"mode", NULL}};

	for (int k = 0; k < R_N; k++)
		if (scalar(p, d->sc_raw + (size_t)k, &cur[k]) == 0)
			mask |= 1u << k;
	if (!(mask & (1u << R_USER)) || !(mask & (1u << R_IDLE))) {
		d->have_prev = 0;
		return;
	}
	if (d->have_prev && d->prev_mask == mask) {
		for (int k = 0; k < R_N; k++)
			dl[k] = (uint32_t)(cur[k] - d->prev[k]);
		int kern = !!(mask & (1u << R_KERNEL));
		m[0] = dl[R_USER];
		m[1] = dl[R_NICE];
		m[2] = kern ? dl[R_KERNEL] : dl[R_SYSTEM];
		m[3] = dl[R_IDLE];
		m[4] = dl[R_WAIT];
		m[5] = kern ? dl[R_IRQ] : 0;
		m[6] = kern ? dl[R_SOFTIRQ] : 0;
		m[7] = dl[R_STEAL];
		m[8] = dl[R_GUEST] + dl[R_GUESTNICE];
		for (int k = 0; k < 8; k++)
			sum += m[k];
		/* A delta beyond 2^31 ticks is a reset, not work done. */
		for (int k = 0; k < 8; k++)
			if (m[k] > 0x80000000u)
				sum = 0;
		if (sum > 0) {
			for (int k = 0; k < 9; k++) {
				lb[1].value = modes[k];
				gauge(st, d, "cpu_ratio",
				    "Share of this CPU's time spent in each "
				    "mode",
				    lb, 2, (double)m[k] / (double)sum);
			}
			gauge(st, d, "cpu_busy_ratio",
			    "Share of this CPU's time doing work (1 - idle - "
			    "iowait - steal)",
			    lb, 1,
			    (double)(m[0] + m[1] + m[2] + m[5] + m[6]) /
			        (double)sum);
		}
	}
	memcpy(d->prev, cur, sizeof(cur));
	d->prev_mask = mask;
	d->have_prev = 1;
}

static void
hr_cpu_results(struct state *st, struct dev *d, const struct se_poll *p)
{
	const struct se_col *c = &p->walks[d->w_proc].cols[0];
	struct cp_label lb[1] = {{"cpu", "total"}};
	uint64_t v, sum = 0;
	size_t n = 0;

	for (size_t r = 0; r < c->nrows; r++)
		if (sv_num(&c->rows[r].v, &v) == 0 && v <= 100) {
			sum += v;
			n++;
		}
	if (n)
		gauge(st, d, "cpu_busy_ratio",
		    "Share of this CPU's time doing work (hrProcessorLoad, "
		    "1-minute average)",
		    lb, 1, (double)sum / (double)n / 100.0);
}

static void
mem_results(struct state *st, struct dev *d, const struct se_poll *p)
{
	uint64_t v[M_N];
	uint32_t have = 0;

	for (int k = 0; k < M_N; k++)
		if (scalar(p, d->sc_mem + (size_t)k, &v[k]) == 0)
			have |= 1u << k;
#define H(k) (have & (1u << (k)))
	if (H(M_TOTAL_REAL) && H(M_AVAIL_REAL)) {
		double total = (double)v[M_TOTAL_REAL] * 1024, avail;
		if (H(M_SYS_AVAIL)) /* memSysAvail: MemAvailable (5.9+) */
			avail = (double)v[M_SYS_AVAIL] * 1024;
		else /* free + buffers + cached, as the local collector
		      * estimates it before Linux 3.14 */
			avail = (double)(v[M_AVAIL_REAL] +
			                 (H(M_BUFFER) ? v[M_BUFFER] : 0) +
			                 (H(M_CACHED) ? v[M_CACHED] : 0)) *
			        1024;
		if (avail > total)
			avail = total;
		gauge(
		    st, d, "memory_total_bytes", "Usable RAM", NULL, 0, total);
		gauge(st, d, "memory_available_bytes",
		    "Memory available for new work without swapping", NULL, 0,
		    avail);
		gauge(st, d, "memory_used_bytes",
		    "Memory in use: total - available", NULL, 0, total - avail);
		if (total > 0)
			gauge(st, d, "memory_used_ratio",
			    "Share of memory in use: (total - available) / "
			    "total",
			    NULL, 0, (total - avail) / total);
	} else {
		/* HOST-RESOURCES hrStorageRam. */
		const struct se_walk *w = &p->walks[d->w_stor];
		for (size_t r = 0; r < w->cols[S_TYPE].nrows; r++) {
			uint32_t idx = w->cols[S_TYPE].rows[r].idx;
			const struct sv *t = &w->cols[S_TYPE].rows[r].v;
			const struct sv *u = se_col_get(&w->cols[S_UNITS], idx);
			const struct sv *sz = se_col_get(&w->cols[S_SIZE], idx);
			const struct sv *us = se_col_get(&w->cols[S_USED], idx);
			uint64_t un, szv, usv;
			double total, used;
			if (t->kind != SV_OID || !t->s ||
			    strcmp(t->s, "1.3.6.1.2.1.25.2.1.2") != 0 || !u ||
			    !sz || !us || sv_num(u, &un) || sv_num(sz, &szv) ||
			    sv_num(us, &usv))
				continue;
			total = (double)szv * (double)un;
			used = (double)usv * (double)un;
			if (used > total)
				used = total;
			gauge(st, d, "memory_total_bytes", "Usable RAM", NULL,
			    0, total);
			gauge(st, d, "memory_used_bytes",
			    "Memory in use (hrStorageUsed)", NULL, 0, used);
			gauge(st, d, "memory_available_bytes",
			    "Memory not in use (hrStorageSize - hrStorageUsed)",
			    NULL, 0, total - used);
			if (total > 0)
				gauge(st, d, "memory_used_ratio",
				    "Share of memory in use", NULL, 0,
				    used / total);
			break;
		}
	}
	if (H(M_TOTAL_SWAP)) {
		gauge(st, d, "swap_total_bytes", "Swap space", NULL, 0,
		    (double)v[M_TOTAL_SWAP] * 1024);
		if (H(M_AVAIL_SWAP))
			gauge(st, d, "swap_used_bytes",
			    "Swap space in use (total - available)", NULL, 0,
			    v[M_AVAIL_SWAP] > v[M_TOTAL_SWAP]
			        ? 0
			        : (double)(v[M_TOTAL_SWAP] - v[M_AVAIL_SWAP]) *
			              1024);
	}
#undef H
}

static void
load_results(struct state *st, struct dev *d, const struct se_poll *p)
{
	static const char *const names[3] = {"load1", "load5", "load15"};
	uint64_t v;

	for (int k = 0; k < 3; k++)
		if (scalar(p, d->sc_load + (size_t)k, &v) == 0)
			gauge(st, d, names[k], "Load average (laLoadInt / 100)",
			    NULL, 0, (double)v / 100.0);
}

static void
disk_results(struct state *st, struct dev *d, const struct se_poll *p)
{
	const struct se_walk *w = &p->walks[d->w_disk];
	const struct se_col *dev = &w->cols[D_DEV];

	for (size_t r = 0; r < dev->nrows; r++) {
		uint32_t idx = dev->rows[r].idx;
		char *name = sv_text(&dev->rows[r].v);
		struct cp_label lb = {"disk", name};
		const struct sv *rb, *wb;

		/* Loop and RAM devices are not disks (as locally). */
		if (!name[0] || !strncmp(name, "loop", 4) ||
		    !strncmp(name, "ram", 3)) {
			free(name);
			continue;
		}
		counter(st, d, "disk_reads_total", "Reads completed", &lb,
		    se_col_get(&w->cols[D_READS], idx), 1);
		counter(st, d, "disk_writes_total", "Writes completed", &lb,
		    se_col_get(&w->cols[D_WRITES], idx), 1);
		rb = se_col_get(&w->cols[D_NREADX], idx);
		if (!rb || rb->kind != SV_COUNTER64)
			rb = se_col_get(&w->cols[D_NREAD], idx);
		wb = se_col_get(&w->cols[D_NWRITTENX], idx);
		if (!wb || wb->kind != SV_COUNTER64)
			wb = se_col_get(&w->cols[D_NWRITTEN], idx);
		counter(
		    st, d, "disk_read_bytes_total", "Bytes read", &lb, rb, 1);
		counter(st, d, "disk_written_bytes_total", "Bytes written", &lb,
		    wb, 1);
		free(name);
	}
}

static int
host_collect(struct cp_ctx *ctx, void *state)
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
	for (size_t i = 0; i < st->ndevs; i++) {
		struct dev *d = &st->devs[i];
		struct se_poll *p = se_dev_poll(d->se);
		int ran = 0;
		for (size_t k = 0; k < n; k++)
			ran |= run[k] == d->se;
		if (!ran)
			continue;
		if (p->up) {
			uint64_t probe;
			if (scalar(p, d->sc_raw, &probe) == 0)
				cpu_results(st, d, p);
			else
				hr_cpu_results(st, d, p);
			mem_results(st, d, p);
			load_results(st, d, p);
			disk_results(st, d, p);
			if (p->complete)
				d->last_success_ms =
				    p->start_ms + (int64_t)(p->seconds * 1000);
		}
		selfm_emit(
		    ctx, "snmp_host", d->se, d->last_success_ms, d->iv_ms);
	}
	free(run);
	return 0;
}

static void
host_stop(void *state)
{
	st_free(state);
}

CP_EXPORT const struct cp_collector cp_collector = {
    .abi = CP_ABI_VERSION,
    .name = "snmp_host",
    .configure = host_configure,
    .start = host_start,
    .collect = host_collect,
    .stop = host_stop,
};
