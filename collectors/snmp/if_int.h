/* SPDX-License-Identifier: MIT */
/*
 * snmp_if's state shared by snmp_if.c (polls, results) and if_meta.c (port
 * names, selection and capacity overrides from the config).
 */
#ifndef CHOKEPOINT_SNMP_IF_INT_H
#define CHOKEPOINT_SNMP_IF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "collectors/snmp/devcfg.h"
#include "collectors/snmp/engine.h"
#include "plugin.h"

#define O_SYS "1.3.6.1.2.1.1."
#define O_IF "1.3.6.1.2.1.2.2.1."
#define O_IFX "1.3.6.1.2.1.31.1.1.1."
#define BOOT_TOLERANCE_MS 5000

/* Scalars, in se_poll order. */
enum { SC_DESCR, SC_OBJID, SC_UPTIME, SC_NAME, SC_LOCATION, SC_N };

/* Meta walk columns. */
enum { M_DESCR, M_TYPE, M_NAME, M_ALIAS, M_N };
/* Counter walk columns. */
enum {
	C_ADMIN,
	C_OPER,
	C_IN_DISC,
	C_IN_ERR,
	C_OUT_DISC,
	C_OUT_ERR,
	C_HC_IN_OCT,
	C_HC_IN_UC,
	C_HC_IN_MC,
	C_HC_IN_BC,
	C_HC_OUT_OCT,
	C_HC_OUT_UC,
	C_HC_OUT_MC,
	C_HC_OUT_BC,
	C_HIGHSPEED,
	C_DISC_TIME,
	C_N
};
/* 32-bit fallback walk. */
enum { L_IN_OCT, L_IN_UC, L_OUT_OCT, L_OUT_UC, L_SPEED, L_N };

struct port {
	char *name; /* label: ifName (else ifDescr) */
	char *key;  /* identity across polls: name, made unique per device */
	uint32_t ifindex;
	char idx_s[12];
	char *alias, *descr;
	int type;
	int excluded;
	int seen;        /* in this poll's counter walk */
	int oper, admin; /* last seen; 0 unknown */
	uint64_t speed;  /* bit/s last seen; 0 unknown */
	int speed_known;
	/* Previous octet counters for utilisation (same delta as the
	 * pipeline's rate). */
	int have_prev;
	int prev_hc;
	uint64_t prev_in, prev_out;
	int64_t prev_ms;
	int have_disc;
	uint64_t disc_time;
	/* Which counters were seen, and as 64-bit, last poll: a switch
	 * between HC and 32-bit is a discontinuity of that series. */
	uint32_t seen_mask, hc_mask;
};

struct speed_ovr {
	char *pattern;
	uint64_t bps;
};

struct dev {
	struct sdev_cfg *cfg;
	struct se_dev *se;
	size_t w_meta, w_ctr, w_32;
	struct port *ports;
	size_t nports, cap;
	int64_t meta_ms;
	int need_meta;
	int need32;
	/* discontinuity by sysUpTime */
	int have_uptime;
	uint64_t uptime_cs;
	int64_t boot_ms;
	int64_t uptime_at_ms;
	int dev_disc; /* this poll */
	int was_up;   /* -1 unknown */
	int64_t last_success_ms;
	int64_t next_due_ms;
	int64_t iv_ms; /* sample interval when longer than ours; else 0 */
	/* port selection */
	char **inc, **exc;
	size_t ninc, nexc;
	int64_t *inc_types, *exc_types;
	size_t ninc_types, nexc_types;
	struct speed_ovr *spd;
	size_t nspd;
};

struct state {
	struct cp_ctx *ctx;
	struct sdev_cfg *cfgs;
	size_t ncfgs;
	struct dev *devs;
	size_t ndevs;
	struct se *eng;
	int64_t max_inflight;
	int64_t meta_ms;
	double margin;
	int64_t deadline_ms;
	uint64_t dropped;
};

/* The device's `ports:` options (include, exclude, include_types,
 * exclude_types, speed); errors at their nodes; 0 or -EINVAL. */
int ifm_ports_cfg(struct dev *d);
void ifm_dev_fini(struct dev *d);
/* Rebuild the port list from the names walk, carrying state by name. */
void ifm_apply_meta(struct dev *d, const struct se_walk *w);
struct port *ifm_port_by_index(struct dev *d, uint32_t idx);

#endif
