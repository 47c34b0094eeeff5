/* SPDX-License-Identifier: MIT */
/*
 * The engine's internals shared by engine.c (sessions, setup, the run
 * loop) and walk.c (requests, responses, retries): not for collectors.
 */
#ifndef CHOKEPOINT_SNMP_ENGINE_INT_H
#define CHOKEPOINT_SNMP_ENGINE_INT_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "collectors/snmp/engine.h"

#define MAX_VBS_DEFAULT 1000 /* varbinds asked per GETBULK before learning */
#define MAX_REP_CAP 500
#define SENT_MAX 128
#define MAX_ROWS 200000 /* per column: a table longer than this is broken */

enum se_phase { PH_IDLE = 0, PH_PROBE, PH_GET, PH_WALK, PH_DONE };

struct se_dev {
	struct se *e;
	const struct sdev_cfg *cfg;
	void *sess; /* snmp_sess_open handle; NULL until opened */
	/* SNMPv3 engine ID discovery (RFC 3414 4.), done asynchronously on
	 * a session of its own so that a dead v3 device blocks nobody. */
	void *probe;
	u_char engine_id[64];
	size_t engine_id_len;
	int time_resent; /* a notInTimeWindow report was answered (per poll) */
	struct se_poll poll;
	int phase;
	size_t walk;    /* current walk group */
	int reqid;      /* outstanding request; 0 none */
	int attempt;    /* retries used for the current request */
	int maxrep;     /* for the current walk request */
	size_t max_vbs; /* learned: the most varbinds a response carried */
	size_t sent[SENT_MAX]; /* columns (or scalars) of the request */
	int64_t due_ns;        /* when the outstanding request times out */
	int bulk;              /* the outstanding walk request is a GETBULK */
	size_t nsent;
	int down; /* last poll failed */
	int64_t t0_ns;
	uint64_t tot_req, tot_tmo, tot_err;
	int get_skip[64]; /* v1: scalars dropped after noSuchName */
};

struct se {
	struct cp_ctx *ctx;
	int max_inflight;
	struct se_dev **devs;
	size_t ndevs, cap;
	int inflight;
};

/* Value from a varbind; takes nothing, v's old string is freed. */
void se_sv_from_vb(struct sv *v, const netsnmp_variable_list *vb, int64_t t_ms);
void se_sv_clear(struct sv *v);
/* Results of the last poll cleared, walks rewound. */
void se_poll_reset(struct se_poll *p);
/* net-snmp's callback for every device session (walk.c). */
int se_dev_cb(
    int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic);
/* Start a device's poll (opening its session if needed) / give up on it. */
void se_dev_start(struct se_dev *d);
void se_dev_abort(struct se_dev *d, const char *why);
/* Open d's session (v3: with the discovered engine ID, no blocking
 * probe); 0, or -1 with d->poll.reason set. */
int se_dev_open(struct se_dev *d);
/* Open the engine ID discovery session; 0 or -1 with the reason set. */
int se_probe_open(struct se_dev *d);
/* The session the device's current request uses. */
void *se_dev_sess(const struct se_dev *d);

#endif
