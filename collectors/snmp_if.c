// SPDX-License-Identifier: MIT
/*
 * snmp_if: switch (and server) ports over SNMP, IF-MIB ifTable + ifXTable.
 * Polls every device of `devices:` with the shared engine, emits per-port
 * counters (64-bit HC where the ifXTable answers, 32-bit otherwise), the
 * utilisation computed from the same deltas, status gauges, link/speed/
 * reboot events, per-device self-metrics and each device's target status.
 *
 * Metric contract (labels ifname = ifName, else ifDescr; ifindex):
 *   if_in_octets_total / if_out_octets_total   octet counters; the pipeline
 *       publishes if_in_octets_per_second (bytes/s: x8 for bit/s); max_rate
 *       is the line rate in octets/s x margin, so a delta above line rate
 *       is dropped, never published as a spike.
 *   if_in_ucast_pkts_total, if_out_ucast_pkts_total, if_in_mcast_pkts_total,
 *   if_out_mcast_pkts_total, if_in_bcast_pkts_total, if_out_bcast_pkts_total,
 *   if_in_errors_total, if_out_errors_total, if_in_discards_total,
 *   if_out_discards_total                  counters (packets)
 *   if_in_util_ratio, if_out_util_ratio    gauges 0..1 (never when speed 0)
 *   if_speed_bps, if_oper_status, if_admin_status (IF-MIB codes: 1 up, 2 down
 *   ...), if_info{ifname,ifindex,alias,descr,type} = 1
 *   Per device (label collector="snmp_if"): snmp_up, snmp_poll_seconds,
 *   snmp_requests_total, snmp_timeouts_total, snmp_errors_total,
 *   snmp_last_success_timestamp_seconds, sys_uptime_seconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snmp/if_int.h"
#include "collectors/snmp/selfm.h"
#include "collectors/snmp/sutil.h"
#include "collectors/snmp/sysdescr.h"
#include "plugin.h"

struct ctr_def {
	int col;    /* C_* (HC) */
	int col32;  /* L_* fallback or -1 */
	int is_ifx; /* the 32-bit fallback of mcast/bcast: none */
	const char *metric;
	const char *help;
	int octets; /* scale 8, line-rate limit in octets */
};

static const struct ctr_def ctrs[] = {
    {C_HC_IN_OCT, L_IN_OCT, 1, "if_in_octets_total",
        "Octets received (ifHCInOctets, else ifInOctets)", 1},
    {C_HC_OUT_OCT, L_OUT_OCT, 1, "if_out_octets_total",
        "Octets sent (ifHCOutOctets, else ifOutOctets)", 1},
    {C_HC_IN_UC, L_IN_UC, 1, "if_in_ucast_pkts_total",
        "Unicast packets received", 0},
    {C_HC_OUT_UC, L_OUT_UC, 1, "if_out_ucast_pkts_total",
        "Unicast packets sent", 0},
    {C_HC_IN_MC, -1, 1, "if_in_mcast_pkts_total", "Multicast packets received",
        0},
    {C_HC_OUT_MC, -1, 1, "if_out_mcast_pkts_total", "Multicast packets sent",
        0},
    {C_HC_IN_BC, -1, 1, "if_in_bcast_pkts_total", "Broadcast packets received",
        0},
    {C_HC_OUT_BC, -1, 1, "if_out_bcast_pkts_total", "Broadcast packets sent",
        0},
    {C_IN_ERR, -1, 0, "if_in_errors_total", "Inbound packets with errors", 0},
    {C_OUT_ERR, -1, 0, "if_out_errors_total", "Outbound packets with errors",
        0},
    {C_IN_DISC, -1, 0, "if_in_discards_total", "Inbound packets discarded", 0},
    {C_OUT_DISC, -1, 0, "if_out_discards_total", "Outbound packets discarded",
        0},
};

static void
st_free(struct state *st)
{
	if (!st)
		return;
	se_free(st->eng);
	for (size_t i = 0; i < st->ndevs; i++)
		ifm_dev_fini(&st->devs[i]);
	free(st->devs);
	sdev_free(st->cfgs, st->ncfgs);
	free(st);
}

static int
if_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **out)
{
	struct state *st = s_calloc(1, sizeof(*st));
	int rc = 0;

	st->ctx = ctx;
	st->max_inflight = 64;
	st->meta_ms = 300000;
	st->margin = 1.5;
	st->deadline_ms = 0;
	if (cfg) {
		if (cp_cfg_int(cfg, "max_in_flight", 1, 100000,
		        &st->max_inflight) == -EINVAL ||
		    cp_cfg_duration(cfg, "meta_interval", &st->meta_ms) ==
		        -EINVAL ||
		    cp_cfg_duration(cfg, "deadline", &st->deadline_ms) ==
		        -EINVAL ||
		    cp_cfg_double(cfg, "rate_margin", &st->margin) == -EINVAL)
			rc = -EINVAL;
		if (st->margin < 1.0 || st->margin > 100) {
			cp_cfg_error(cfg, "rate_margin: expected 1.0 .. 100");
			rc = -EINVAL;
		}
	}
	if (sdev_load(ctx, &st->cfgs, &st->ncfgs) < 0)
		rc = -EINVAL;
	st->ndevs = st->ncfgs;
	st->devs = s_calloc(st->ndevs ? st->ndevs : 1, sizeof(*st->devs));
	for (size_t i = 0; i < st->ndevs; i++) {
		st->devs[i].cfg = &st->cfgs[i];
		st->devs[i].was_up = -1;
		if (ifm_ports_cfg(&st->devs[i]) < 0)
			rc = -EINVAL;
	}
	if (rc < 0) {
		st_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

static void
plan(struct dev *d)
{
	struct se_poll *p = se_dev_poll(d->se);

	se_poll_scalar(p, O_SYS "1.0");
	se_poll_scalar(p, O_SYS "2.0");
	se_poll_scalar(p, O_SYS "3.0");
	se_poll_scalar(p, O_SYS "5.0");
	se_poll_scalar(p, O_SYS "6.0");
	d->w_meta = se_poll_walk(p, "interface names");
	se_walk_col(p, d->w_meta, "ifDescr", O_IF "2");
	se_walk_col(p, d->w_meta, "ifType", O_IF "3");
	se_walk_col(p, d->w_meta, "ifName", O_IFX "1");
	se_walk_col(p, d->w_meta, "ifAlias", O_IFX "18");
	d->w_ctr = se_poll_walk(p, "interface counters");
	se_walk_col(p, d->w_ctr, "ifAdminStatus", O_IF "7");
	se_walk_col(p, d->w_ctr, "ifOperStatus", O_IF "8");
	se_walk_col(p, d->w_ctr, "ifInDiscards", O_IF "13");
	se_walk_col(p, d->w_ctr, "ifInErrors", O_IF "14");
	se_walk_col(p, d->w_ctr, "ifOutDiscards", O_IF "19");
	se_walk_col(p, d->w_ctr, "ifOutErrors", O_IF "20");
	se_walk_col(p, d->w_ctr, "ifHCInOctets", O_IFX "6");
	se_walk_col(p, d->w_ctr, "ifHCInUcastPkts", O_IFX "7");
	se_walk_col(p, d->w_ctr, "ifHCInMulticastPkts", O_IFX "8");
	se_walk_col(p, d->w_ctr, "ifHCInBroadcastPkts", O_IFX "9");
	se_walk_col(p, d->w_ctr, "ifHCOutOctets", O_IFX "10");
	se_walk_col(p, d->w_ctr, "ifHCOutUcastPkts", O_IFX "11");
	se_walk_col(p, d->w_ctr, "ifHCOutMulticastPkts", O_IFX "12");
	se_walk_col(p, d->w_ctr, "ifHCOutBroadcastPkts", O_IFX "13");
	se_walk_col(p, d->w_ctr, "ifHighSpeed", O_IFX "15");
	se_walk_col(p, d->w_ctr, "ifCounterDiscontinuityTime", O_IFX "19");
	d->w_32 = se_poll_walk(p, "interface 32-bit counters");
	se_walk_col(p, d->w_32, "ifInOctets", O_IF "10");
	se_walk_col(p, d->w_32, "ifInUcastPkts", O_IF "11");
	se_walk_col(p, d->w_32, "ifOutOctets", O_IF "16");
	se_walk_col(p, d->w_32, "ifOutUcastPkts", O_IF "17");
	se_walk_col(p, d->w_32, "ifSpeed", O_IF "5");
	d->need_meta = 1;
	d->need32 = 1;
}

/*
 * After the scalars: a device whose boot time moved gets its names
 * re-read in this same poll (ifIndex may have been renumbered).
 */
static void
on_scalars(struct se_dev *sd, void *arg)
{
	struct dev *d = arg;
	struct se_poll *p = se_dev_poll(sd);
	const struct sv *up = &p->scalars[SC_UPTIME].v;
	uint64_t cs;

	d->dev_disc = 0;
	if (up->kind == SV_TICKS && sv_num(up, &cs) == 0) {
		int64_t boot = up->t_ms - (int64_t)cs * 10;
		if (d->have_uptime &&
		    (cs < d->uptime_cs ||
		        llabs(boot - d->boot_ms) > BOOT_TOLERANCE_MS))
			d->dev_disc = 1 + (cs < d->uptime_cs);
	}
	if (d->dev_disc)
		d->need_meta = 1;
	p->walks[d->w_meta].skip = !d->need_meta;
	p->walks[d->w_32].skip = !d->need32;
}

static int
if_start(struct cp_ctx *ctx, void *state)
{
	struct state *st = state;
	(void)ctx;

	st->eng = se_new(ctx, (int)st->max_inflight);
	for (size_t i = 0; i < st->ndevs; i++) {
		struct dev *d = &st->devs[i];
		d->se = se_dev_add(st->eng, d->cfg);
		se_dev_poll(d->se)->on_scalars = on_scalars;
		se_dev_poll(d->se)->arg = d;
		plan(d);
	}
	return 0;
}

/* ------------------------------------------------------------ results */

static void
emit(struct state *st, struct dev *d, const char *metric, const char *help,
    const struct cp_label *l, size_t nl, double value, int64_t t)
{
	struct cp_sample s = {0};
	s.target = d->cfg->name;
	s.metric = metric;
	s.help = help;
	s.labels = l;
	s.nlabels = nl;
	s.kind = CP_GAUGE;
	s.value = value;
	s.time_ms = t;
	s.interval_ms = d->iv_ms;
	cp_emit(st->ctx, &s);
}

static const char *
status_name(int s)
{
	static const char *n[] = {"?", "up", "down", "testing", "unknown",
	    "dormant", "notPresent", "lowerLayerDown"};
	return s >= 1 && s <= 7 ? n[s] : "?";
}

static void
fmt_bps(uint64_t b, char *buf, size_t size)
{
	if (b >= 1000000000 && b % 1000000000 == 0)
		snprintf(buf, size, "%" PRIu64 "G", b / 1000000000);
	else if (b >= 1000000 && b % 1000000 == 0)
		snprintf(buf, size, "%" PRIu64 "M", b / 1000000);
	else
		snprintf(buf, size, "%" PRIu64, b);
}

static void
event(struct state *st, struct dev *d, const char *kind, const char *comp,
    enum cp_severity sev, const char *before, const char *after,
    const char *msg)
{
	struct cp_event ev = {0};
	ev.target = d->cfg->name;
	ev.kind = kind;
	ev.component = comp;
	ev.severity = sev;
	ev.before = before;
	ev.after = after;
	ev.message = msg;
	cp_event(st->ctx, &ev);
}

static const struct sv *
colv(const struct se_walk *w, int c, uint32_t idx)
{
	const struct sv *v = se_col_get(&w->cols[c], idx);
	return v && v->kind != SV_ABSENT && v->kind != SV_NONE ? v : NULL;
}

/* Utilisation from the octet delta, the same one the pipeline rates. */
static void
util(struct state *st, struct dev *d, struct port *pt, const char *metric,
    uint64_t prev, uint64_t cur, int hc, int64_t dt_ms,
    const struct cp_label *l, int64_t t)
{
	uint64_t delta =
	    hc ? cur - prev : (uint32_t)((uint32_t)cur - (uint32_t)prev);
	double bps, r;

	if (dt_ms <= 0 || pt->speed == 0)
		return;
	bps = (double)delta * 8.0 * 1000.0 / (double)dt_ms;
	if (bps > (double)pt->speed * st->margin) {
		st->dropped++;
		return;
	}
	r = bps / (double)pt->speed;
	emit(st, d, metric, "Utilisation of the port's capacity (0..1)", l, 2,
	    r > 1.0 ? 1.0 : r, t);
}

static void
port_results(struct state *st, struct dev *d, struct port *pt,
    const struct se_walk *wc, const struct se_walk *w32)
{
	struct cp_label l[2] = {{"ifname", pt->name}, {"ifindex", pt->idx_s}};
	uint32_t idx = pt->ifindex;
	const struct sv *v;
	uint64_t n, hs;
	int64_t t = 0;
	int disc = d->dev_disc != 0;
	uint64_t cur_in = 0, cur_out = 0;
	int have_in = 0, have_out = 0, hc = 1;
	char msg[300], b1[32], b2[32];

	/* Status and link events. */
	if ((v = colv(wc, C_OPER, idx)) && sv_num(v, &n) == 0) {
		t = v->t_ms;
		emit(st, d, "if_oper_status",
		    "ifOperStatus (1 up, 2 down, 3 testing, 4 unknown, "
		    "5 dormant, 6 notPresent, 7 lowerLayerDown)",
		    l, 2, (double)n, t);
		if (pt->oper && pt->oper != (int)n) {
			snprintf(msg, sizeof(msg), "%s: link %s -> %s",
			    pt->name, status_name(pt->oper),
			    status_name((int)n));
			event(st, d, "link", pt->name,
			    n == 1 ? CP_SEV_INFO : CP_SEV_WARNING,
			    status_name(pt->oper), status_name((int)n), msg);
		}
		pt->oper = (int)n;
	}
	if ((v = colv(wc, C_ADMIN, idx)) && sv_num(v, &n) == 0) {
		emit(st, d, "if_admin_status",
		    "ifAdminStatus (1 up, 2 down, 3 testing)", l, 2, (double)n,
		    v->t_ms);
		pt->admin = (int)n;
	}
	/* Capacity: override, ifHighSpeed (Mbit/s), ifSpeed. */
	{
		uint64_t speed = 0;
		int known = 0;
		for (size_t i = 0; i < d->nspd; i++)
			if (s_glob(d->spd[i].pattern, pt->name)) {
				speed = d->spd[i].bps;
				known = 1;
				break;
			}
		if (!known && (v = colv(wc, C_HIGHSPEED, idx)) &&
		    sv_num(v, &hs) == 0) {
			speed = hs * 1000000ULL;
			known = 1;
		}
		if (!known && w32 && (v = colv(w32, L_SPEED, idx)) &&
		    sv_num(v, &hs) == 0) {
			speed = hs;
			known = 1;
		}
		if (known) {
			if (pt->speed_known && pt->speed != speed) {
				fmt_bps(pt->speed, b1, sizeof(b1));
				fmt_bps(speed, b2, sizeof(b2));
				snprintf(msg, sizeof(msg),
				    "%s: speed %s -> %s bit/s", pt->name, b1,
				    b2);
				event(st, d, "speed", pt->name, CP_SEV_INFO, b1,
				    b2, msg);
			}
			pt->speed = speed;
			pt->speed_known = 1;
			emit(st, d, "if_speed_bps", "Port capacity in bit/s", l,
			    2, (double)speed, t);
		}
	}
	/* ifCounterDiscontinuityTime moved: counters restarted. */
	if ((v = colv(wc, C_DISC_TIME, idx)) && sv_num(v, &n) == 0) {
		if (pt->have_disc && n != pt->disc_time)
			disc = 1;
		pt->disc_time = n;
		pt->have_disc = 1;
	}
	for (size_t i = 0; i < sizeof(ctrs) / sizeof(ctrs[0]); i++) {
		const struct ctr_def *c = &ctrs[i];
		struct cp_sample s = {0};
		int is64 = 1;
		v = colv(wc, c->col, idx);
		if (v && v->kind != SV_COUNTER64 && v->kind != SV_COUNTER32)
			v = NULL; /* wrong type: not a counter */
		if (v && v->kind == SV_COUNTER32)
			is64 = 0;
		if (!v && c->col32 >= 0 && w32) {
			v = colv(w32, c->col32, idx);
			if (v && v->kind != SV_COUNTER32)
				v = NULL;
			is64 = 0;
		}
		if (!v)
			continue;
		s.target = d->cfg->name;
		s.metric = c->metric;
		s.help = c->help;
		s.labels = l;
		s.nlabels = 2;
		s.kind = is64 ? CP_COUNTER64 : CP_COUNTER32;
		s.counter = v->u;
		s.time_ms = v->t_ms;
		s.discontinuity = disc;
		if ((pt->seen_mask & (1u << i)) &&
		    !!(pt->hc_mask & (1u << i)) != is64)
			s.discontinuity = 1;
		pt->seen_mask |= 1u << i;
		if (is64)
			pt->hc_mask |= 1u << i;
		else
			pt->hc_mask &= ~(1u << i);
		s.interval_ms = d->iv_ms;
		if (c->octets) {
			s.max_rate = (double)pt->speed / 8.0 * st->margin;
			if (c->col == C_HC_IN_OCT) {
				cur_in = v->u;
				have_in = 1;
				t = v->t_ms;
			} else {
				cur_out = v->u;
				have_out = 1;
			}
			if (!is64)
				hc = 0;
		} else {
			/* Smallest Ethernet frame on the wire: 84 bytes. */
			s.max_rate = (double)pt->speed / 672.0 * st->margin;
		}
		cp_emit(st->ctx, &s);
	}
	if (have_in && have_out) {
		if (pt->have_prev && !disc && pt->prev_hc == hc) {
			int64_t dt = t - pt->prev_ms;
			util(st, d, pt, "if_in_util_ratio", pt->prev_in, cur_in,
			    hc, dt, l, t);
			util(st, d, pt, "if_out_util_ratio", pt->prev_out,
			    cur_out, hc, dt, l, t);
		}
		pt->have_prev = 1;
		pt->prev_hc = hc;
		pt->prev_in = cur_in;
		pt->prev_out = cur_out;
		pt->prev_ms = t;
	} else {
		pt->have_prev = 0;
	}
}

static void
info_gauges(struct state *st, struct dev *d)
{
	for (size_t i = 0; i < d->nports; i++) {
		struct port *pt = &d->ports[i];
		char type[12];
		struct cp_label l[5];
		if (pt->excluded || !pt->seen)
			continue;
		snprintf(type, sizeof(type), "%d", pt->type);
		l[0] = (struct cp_label){"ifname", pt->name};
		l[1] = (struct cp_label){"ifindex", pt->idx_s};
		l[2] = (struct cp_label){"alias", pt->alias};
		l[3] = (struct cp_label){"descr", pt->descr};
		l[4] = (struct cp_label){"type", type};
		emit(st, d, "if_info", "Port names; value 1", l, 5, 1, 0);
	}
}

static void
dev_status(struct state *st, struct dev *d, const struct se_poll *p)
{
	struct cp_target_status ts = {0};
	struct cp_label info[10];
	struct sysdescr sd;
	char *descr = sv_text(&p->scalars[SC_DESCR].v);
	char *objid = sv_text(&p->scalars[SC_OBJID].v);
	char *name = sv_text(&p->scalars[SC_NAME].v);
	char *loc = sv_text(&p->scalars[SC_LOCATION].v);
	char up_s[32] = "";
	size_t n = 0;
	uint64_t cs;

	sysdescr_parse(descr, strlen(descr), &sd);
	if (sv_num(&p->scalars[SC_UPTIME].v, &cs) == 0 &&
	    p->scalars[SC_UPTIME].v.kind == SV_TICKS)
		snprintf(up_s, sizeof(up_s), "%" PRIu64, cs / 100);
	if (p->up) {
		info[n++] = (struct cp_label){"descr", descr};
		info[n++] = (struct cp_label){"name", name};
		info[n++] = (struct cp_label){"object_id", objid};
		if (up_s[0])
			info[n++] = (struct cp_label){"uptime_s", up_s};
		info[n++] = (struct cp_label){"version", sd.version};
		info[n++] = (struct cp_label){"os", sd.os};
		if (sd.hardware[0])
			info[n++] = (struct cp_label){"hardware", sd.hardware};
		info[n++] = (struct cp_label){"location", loc};
	}
	if (d->cfg->role)
		info[n++] = (struct cp_label){"role", d->cfg->role};
	ts.target = d->cfg->name;
	ts.role = d->cfg->role;
	ts.up = p->up;
	ts.reason = p->reason[0] ? p->reason : NULL;
	ts.last_poll_ms = p->start_ms;
	ts.last_success_ms = d->last_success_ms;
	ts.poll_seconds = p->seconds;
	ts.info = info;
	ts.ninfo = n;
	cp_target_status(st->ctx, &ts);
	if (up_s[0])
		emit(st, d, "sys_uptime_seconds", "sysUpTime in seconds", NULL,
		    0, (double)(cs / 100), 0);
	free(descr);
	free(objid);
	free(name);
	free(loc);
}

static void
dev_results(struct state *st, struct dev *d)
{
	struct se_poll *p = se_dev_poll(d->se);
	const struct se_walk *wm = &p->walks[d->w_meta];
	const struct se_walk *wc = &p->walks[d->w_ctr];
	const struct se_walk *w32 = &p->walks[d->w_32];
	int lacks_hc = 0, unknown = 0;
	const struct sv *up = &p->scalars[SC_UPTIME].v;
	uint64_t cs;

	if (p->up && d->was_up == 0)
		cp_log_info(st->ctx, "%s: answering again", d->cfg->name);
	if (!p->up && d->was_up != 0)
		cp_log_warnx(st->ctx, "%s: %s", d->cfg->name, p->reason);
	if (p->up && d->dev_disc == 2) {
		char msg[200], b1[32], b2[32];
		snprintf(b1, sizeof(b1), "%" PRIu64 "s", d->uptime_cs / 100);
		sv_num(up, &cs);
		snprintf(b2, sizeof(b2), "%" PRIu64 "s", cs / 100);
		snprintf(msg, sizeof(msg),
		    "%s restarted: sysUpTime went back from %s to %s",
		    d->cfg->name, b1, b2);
		event(st, d, "reboot", "system", CP_SEV_WARNING, b1, b2, msg);
	}
	if (p->up && up->kind == SV_TICKS && sv_num(up, &cs) == 0) {
		d->have_uptime = 1;
		d->uptime_cs = cs;
		d->boot_ms = up->t_ms - (int64_t)cs * 10;
	}
	if (p->up && !wm->skip && wm->done) {
		ifm_apply_meta(d, wm);
		d->need_meta = 0;
		d->meta_ms = p->start_ms;
	}
	if (p->up && !wc->skip) {
		for (size_t i = 0; i < d->nports; i++)
			d->ports[i].seen = 0;
		/* Walk the counter rows; an ifIndex without a name means
		 * the table changed: names again next poll. */
		const struct se_col *co = &wc->cols[C_OPER];
		const struct se_col *ch = &wc->cols[C_HC_IN_OCT];
		for (size_t r = 0; r < co->nrows; r++) {
			struct port *pt = ifm_port_by_index(d, co->rows[r].idx);
			if (!pt) {
				unknown = 1;
				continue;
			}
			pt->seen = 1;
			if (!se_col_get(ch, pt->ifindex))
				lacks_hc = 1;
			if (pt->excluded)
				continue;
			port_results(st, d, pt, wc, w32->skip ? NULL : w32);
		}
		if (co->nrows == 0) /* no ifOperStatus: go by names */
			for (size_t i = 0; i < d->nports; i++) {
				d->ports[i].seen = 1;
				if (!se_col_get(ch, d->ports[i].ifindex))
					lacks_hc = 1;
				if (!d->ports[i].excluded)
					port_results(st, d, &d->ports[i], wc,
					    w32->skip ? NULL : w32);
			}
		if (p->complete)
			d->need32 = lacks_hc;
		if (unknown)
			d->need_meta = 1;
		info_gauges(st, d);
	}
	if (p->up && p->start_ms - d->meta_ms >= st->meta_ms)
		d->need_meta = 1;
	if (p->up && p->complete)
		d->last_success_ms = p->start_ms + (int64_t)(p->seconds * 1000);
	d->was_up = p->up;
	selfm_emit(st->ctx, "snmp_if", d->se, d->last_success_ms, d->iv_ms);
	dev_status(st, d, p);
}

static int
if_collect(struct cp_ctx *ctx, void *state)
{
	struct state *st = state;
	int64_t now = cp_now_ms(ctx), iv = cp_interval_ms(ctx), dl;
	struct se_dev **run = s_calloc(st->ndevs ? st->ndevs : 1, sizeof(*run));
	size_t n = 0;

	if (iv <= 0)
		iv = 10000;
	for (size_t i = 0; i < st->ndevs; i++) {
		struct dev *d = &st->devs[i];
		/* A device with a longer interval than ours: every k-th tick.
		 */
		if (!sdev_due(d->cfg->interval_ms, now, iv, &d->next_due_ms,
		        &d->iv_ms))
			continue;
		run[n++] = d->se;
	}
	dl = st->deadline_ms > 0 ? st->deadline_ms : iv * 9 / 10;
	se_run(st->eng, run, n, s_mono_ns() + dl * 1000000);
	for (size_t i = 0; i < st->ndevs; i++) {
		struct dev *d = &st->devs[i];
		for (size_t k = 0; k < n; k++)
			if (run[k] == d->se) {
				dev_results(st, d);
				break;
			}
	}
	if (st->dropped) {
		cp_log_debug(ctx,
		    "%" PRIu64 " utilisation deltas above line "
		    "rate dropped so far",
		    st->dropped);
	}
	free(run);
	return 0;
}

static void
if_stop(void *state)
{
	st_free(state);
}

CP_EXPORT const struct cp_collector cp_collector = {
    .abi = CP_ABI_VERSION,
    .name = "snmp_if",
    .configure = if_configure,
    .start = if_start,
    .collect = if_collect,
    .stop = if_stop,
};
