// SPDX-License-Identifier: MIT
/*
 * The engine's requests and responses (see engine.h): the scalar GET, bulk
 * walks of several columns side by side (GETNEXT for v1 and as the
 * fallback), learning how much a device answers at once, retries with
 * backoff, and turning varbinds into table rows. Runs inside the
 * callbacks of snmp_sess_read2()/snmp_sess_timeout() on the poll thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snmp/engine_int.h"
#include "collectors/snmp/sutil.h"

void
se_sv_from_vb(struct sv *v, const netsnmp_variable_list *vb, int64_t t_ms)
{
	char buf[SE_OID_MAX * 11 + 8];
	size_t off = 0;

	se_sv_clear(v);
	v->t_ms = t_ms;
	switch (vb->type) {
	case ASN_INTEGER:
		v->kind = SV_INT;
		v->i = *vb->val.integer;
		break;
	case ASN_COUNTER:
		v->kind = SV_COUNTER32;
		v->u = (uint32_t)*vb->val.integer;
		break;
	case ASN_GAUGE: /* == ASN_UNSIGNED */
		v->kind = SV_GAUGE32;
		v->u = (uint32_t)*vb->val.integer;
		break;
	case ASN_TIMETICKS:
		v->kind = SV_TICKS;
		v->u = (uint32_t)*vb->val.integer;
		break;
	case ASN_COUNTER64:
		v->kind = SV_COUNTER64;
		v->u = ((uint64_t)vb->val.counter64->high << 32) |
		       (uint32_t)vb->val.counter64->low;
		break;
	case ASN_OCTET_STR:
	case ASN_OPAQUE:
		v->kind = SV_STR;
		v->len = (uint32_t)(vb->val_len > 65535 ? 65535 : vb->val_len);
		v->s = s_malloc(v->len + 1);
		if (v->len)
			memcpy(v->s, vb->val.string, v->len);
		v->s[v->len] = '\0';
		break;
	case ASN_OBJECT_ID: {
		size_t n = vb->val_len / sizeof(oid);
		for (size_t i = 0; i < n && i < SE_OID_MAX; i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "%s%lu", i ? "." : "",
			    (unsigned long)vb->val.objid[i]);
		v->kind = SV_OID;
		v->s = s_strndup(buf, off);
		v->len = (uint32_t)off;
		break;
	}
	case ASN_IPADDRESS:
		if (vb->val_len == 4) {
			off = (size_t)snprintf(buf, sizeof(buf), "%u.%u.%u.%u",
			    vb->val.string[0], vb->val.string[1],
			    vb->val.string[2], vb->val.string[3]);
			v->kind = SV_IPADDR;
			v->s = s_strndup(buf, off);
			v->len = (uint32_t)off;
		} else {
			v->kind = SV_OTHER;
		}
		break;
	case SNMP_NOSUCHOBJECT:
	case SNMP_NOSUCHINSTANCE:
	case SNMP_ENDOFMIBVIEW:
		v->kind = SV_ABSENT;
		break;
	default:
		v->kind = SV_OTHER;
		break;
	}
}

/* ----------------------------------------------------------- requests */

static void dev_finish(struct se_dev *d);

/* The poll failed (reason already set, if any): count it, mark the device
 * down and end the poll. */
static void
dev_fail(struct se_dev *d)
{
	d->poll.errors++;
	d->tot_err++;
	d->poll.up = 0;
	dev_finish(d);
}
static void send_probe(struct se_dev *d);
static void probe_response(struct se_dev *d, netsnmp_pdu *pdu);
static void dev_next_walk(struct se_dev *d);

static int
dev_timeout_ms(const struct se_dev *d)
{
	int64_t t = d->cfg->timeout_ms;
	/* Backoff: each retry waits twice as long, at most 4x. */
	for (int i = 0; i < d->attempt && i < 2; i++)
		t *= 2;
	return (int)t;
}

static int
dev_send(struct se_dev *d, netsnmp_pdu *pdu)
{
	void *ss = se_dev_sess(d);
	netsnmp_session *s = snmp_sess_session(ss);
	int id;

	s->timeout = (long)dev_timeout_ms(d) * 1000;
	d->poll.requests++;
	d->tot_req++;
	id = snmp_sess_async_send(ss, pdu, se_dev_cb, d);
	if (id == 0) {
		int liberr = 0, syserr = 0;
		char *msg = NULL;
		snmp_sess_error(ss, &syserr, &liberr, &msg);
		snprintf(d->poll.reason, sizeof(d->poll.reason),
		    "send failed: %s", msg ? msg : "?");
		free(msg);
		snmp_free_pdu(pdu); /* not taken on failure */
		dev_fail(d);
		return -1;
	}
	d->reqid = id;
	d->due_ns =
	    s_mono_ns() + (int64_t)dev_timeout_ms(d) * 1000000 + 1000000;
	return 0;
}

static void
send_get(struct se_dev *d)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
	size_t n = 0;

	d->nsent = 0;
	for (size_t i = 0; i < d->poll.nscalars && n < SENT_MAX; i++) {
		struct se_scalar *sc = &d->poll.scalars[i];
		if (sc->v.kind != SV_NONE || sc->len == 0)
			continue;
		snmp_add_null_var(pdu, sc->oid, sc->len);
		d->sent[n++] = i;
	}
	d->nsent = n;
	if (n == 0) {
		snmp_free_pdu(pdu);
		d->poll.up = 1;
		if (d->poll.on_scalars)
			d->poll.on_scalars(d, d->poll.arg);
		d->phase = PH_WALK;
		d->walk = 0;
		d->attempt = 0;
		dev_next_walk(d);
		return;
	}
	dev_send(d, pdu);
}

static int
walk_maxrep(struct se_dev *d, struct se_walk *w, size_t nactive)
{
	size_t r = (size_t)d->cfg->max_repetitions;
	size_t lim;

	if (w->hint_rows + 1 > r)
		r = w->hint_rows + 1;
	lim = d->max_vbs / (nactive ? nactive : 1);
	if (r > lim)
		r = lim;
	if (r > MAX_REP_CAP)
		r = MAX_REP_CAP;
	/* After a timeout: a smaller answer may get through. */
	for (int i = 0; i < d->attempt; i++)
		r /= 2;
	return r < 1 ? 1 : (int)r;
}

static void
send_walk(struct se_dev *d)
{
	struct se_walk *w = &d->poll.walks[d->walk];
	int bulk = d->cfg->version != 1 && !w->getnext;
	netsnmp_pdu *pdu =
	    snmp_pdu_create(bulk ? SNMP_MSG_GETBULK : SNMP_MSG_GETNEXT);

	d->nsent = 0;
	for (size_t c = 0; c < w->ncols && d->nsent < SENT_MAX; c++) {
		struct se_col *col = &w->cols[c];
		if (col->state != SE_COL_ACTIVE)
			continue;
		snmp_add_null_var(pdu, col->cur, col->cur_len);
		d->sent[d->nsent++] = c;
	}
	d->bulk = bulk;
	if (bulk) {
		pdu->non_repeaters = 0;
		pdu->max_repetitions = walk_maxrep(d, w, d->nsent);
		d->maxrep = (int)pdu->max_repetitions;
	} else {
		d->maxrep = 1;
	}
	dev_send(d, pdu);
}

static void
dev_next_walk(struct se_dev *d)
{
	while (d->walk < d->poll.nwalks && d->poll.walks[d->walk].skip)
		d->walk++;
	if (d->walk >= d->poll.nwalks) {
		dev_finish(d);
		return;
	}
	d->attempt = 0;
	send_walk(d);
}

static void
append_unfinished(struct se_dev *d)
{
	struct se_poll *p = &d->poll;
	size_t off = strlen(p->reason);
	int any = 0;

	for (size_t w = 0; w < p->nwalks; w++) {
		if (p->walks[w].skip)
			continue;
		for (size_t c = 0; c < p->walks[w].ncols; c++) {
			const struct se_col *col = &p->walks[w].cols[c];
			if (col->state == SE_COL_DONE)
				continue;
			if (off + 40 >= sizeof(p->reason)) {
				snprintf(p->reason + off,
				    sizeof(p->reason) - off, ", ...");
				return;
			}
			off += (size_t)snprintf(p->reason + off,
			    sizeof(p->reason) - off, "%s%s",
			    any ? ", "
			        : (off ? "; unfinished: " : "unfinished: "),
			    col->name ? col->name : "?");
			any = 1;
		}
	}
}

static void
dev_finish(struct se_dev *d)
{
	struct se_poll *p = &d->poll;
	int complete = p->up;

	if (d->phase == PH_DONE || d->phase == PH_IDLE)
		return;
	d->phase = PH_DONE;
	d->reqid = 0;
	for (size_t w = 0; w < p->nwalks && complete; w++) {
		if (p->walks[w].skip)
			continue;
		for (size_t c = 0; c < p->walks[w].ncols; c++)
			if (p->walks[w].cols[c].state != SE_COL_DONE)
				complete = 0;
	}
	p->complete = complete;
	if (p->up && !complete)
		append_unfinished(d);
	p->seconds = (double)(s_mono_ns() - d->t0_ns) / 1e9;
	d->down = !p->up;
	d->e->inflight--;
}

static void
get_response(struct se_dev *d, netsnmp_pdu *pdu, int64_t t_ms)
{
	struct se_poll *p = &d->poll;
	netsnmp_variable_list *vb;
	size_t i = 0;

	if (pdu->errstat == SNMP_ERR_NOSUCHNAME && pdu->errindex >= 1 &&
	    (size_t)pdu->errindex <= d->nsent) {
		/* v1: one missing scalar fails the whole GET; drop it. */
		p->scalars[d->sent[pdu->errindex - 1]].v.kind = SV_ABSENT;
		d->attempt = 0;
		send_get(d);
		return;
	}
	if (pdu->errstat != SNMP_ERR_NOERROR) {
		p->errors++;
		d->tot_err++;
		snprintf(p->reason, sizeof(p->reason), "GET error: %s",
		    snmp_errstring((int)pdu->errstat));
		for (i = 0; i < d->nsent; i++)
			p->scalars[d->sent[i]].v.kind = SV_ABSENT;
	} else {
		for (vb = pdu->variables; vb && i < d->nsent;
		     vb = vb->next_variable, i++)
			se_sv_from_vb(&p->scalars[d->sent[i]].v, vb, t_ms);
		for (; i < d->nsent; i++) /* a short answer */
			p->scalars[d->sent[i]].v.kind = SV_ABSENT;
	}
	p->up = 1;
	if (p->on_scalars)
		p->on_scalars(d, p->arg);
	d->phase = PH_WALK;
	d->walk = 0;
	dev_next_walk(d);
}

static void
col_fail(struct se_dev *d, struct se_col *col, const char *why)
{
	if (col->state != SE_COL_ACTIVE)
		return;
	col->state = SE_COL_FAILED;
	if (!d->poll.reason[0])
		snprintf(d->poll.reason, sizeof(d->poll.reason), "%s: %s",
		    col->name ? col->name : "?", why);
}

static void
walk_check_done(struct se_dev *d)
{
	struct se_walk *w = &d->poll.walks[d->walk];

	for (size_t c = 0; c < w->ncols; c++)
		if (w->cols[c].state == SE_COL_ACTIVE) {
			d->attempt = 0;
			send_walk(d);
			return;
		}
	w->done = 1;
	w->hint_rows = 0;
	for (size_t c = 0; c < w->ncols; c++)
		if (w->cols[c].nrows > w->hint_rows)
			w->hint_rows = w->cols[c].nrows;
	d->walk++;
	dev_next_walk(d);
}

static void
walk_response(struct se_dev *d, netsnmp_pdu *pdu, int64_t t_ms)
{
	struct se_walk *w = &d->poll.walks[d->walk];
	size_t n = d->nsent, i = 0, nvb = 0;
	int bulk = d->bulk;
	unsigned char stop[SENT_MAX];
	netsnmp_variable_list *vb;
	int loop = 0, active_left = 0;

	if (n == 0) {
		walk_check_done(d);
		return;
	}
	/*
	 * A smaller request got through after a bigger one was lost (a path
	 * that drops large datagrams, IP fragments...): remember the size,
	 * for this walk and the next polls, instead of timing out again.
	 */
	if (d->attempt > 0) {
		size_t sz = bulk ? n * (size_t)d->maxrep : n;
		if (sz < d->max_vbs)
			d->max_vbs = sz;
	}
	if (pdu->errstat != SNMP_ERR_NOERROR) {
		long ei = pdu->errindex;
		if (pdu->errstat == SNMP_ERR_NOSUCHNAME && ei >= 1 &&
		    (size_t)ei <= n) {
			/* v1 GETNEXT past the end of the MIB. */
			w->cols[d->sent[ei - 1]].state = SE_COL_DONE;
		} else if (pdu->errstat == SNMP_ERR_TOOBIG && d->max_vbs > 1) {
			d->max_vbs = d->max_vbs / 2 > n ? d->max_vbs / 2 : n;
			if (d->maxrep == 1)
				for (i = 0; i < n; i++)
					col_fail(
					    d, &w->cols[d->sent[i]], "tooBig");
		} else {
			d->poll.errors++;
			d->tot_err++;
			for (i = 0; i < n; i++)
				if (ei < 1 || (size_t)ei > n ||
				    (size_t)ei == i + 1)
					col_fail(d, &w->cols[d->sent[i]],
					    snmp_errstring((int)pdu->errstat));
		}
		walk_check_done(d);
		return;
	}
	memset(stop, 0, sizeof(stop));
	for (vb = pdu->variables; vb; vb = vb->next_variable, i++) {
		size_t k = i % n;
		struct se_col *col = &w->cols[d->sent[k]];
		nvb++;
		if (col->state != SE_COL_ACTIVE || stop[k])
			continue;
		if (vb->type == SNMP_ENDOFMIBVIEW ||
		    vb->type == SNMP_NOSUCHOBJECT ||
		    vb->type == SNMP_NOSUCHINSTANCE ||
		    vb->name_length <= col->base_len ||
		    vb->name_length > SE_OID_MAX ||
		    snmp_oidtree_compare(col->base, col->base_len, vb->name,
		        vb->name_length) != 0) {
			col->state = SE_COL_DONE;
			continue;
		}
		if (snmp_oid_compare(vb->name, vb->name_length, col->cur,
		        col->cur_len) <= 0) {
			/* The agent went backwards: a broken table. */
			stop[k] = 1;
			col->loops++;
			loop = 1;
			continue;
		}
		memcpy(col->cur, vb->name, vb->name_length * sizeof(oid));
		col->cur_len = vb->name_length;
		if (vb->name_length != col->base_len + 1)
			continue; /* not a single-index row: not ours */
		if (col->nrows >= MAX_ROWS) {
			col_fail(d, col, "too many rows");
			continue;
		}
		s_grow(&col->rows, &col->cap, col->nrows, sizeof(*col->rows));
		memset(&col->rows[col->nrows], 0, sizeof(col->rows[0]));
		col->rows[col->nrows].idx = (uint32_t)vb->name[col->base_len];
		se_sv_from_vb(&col->rows[col->nrows].v, vb, t_ms);
		col->nrows++;
	}
	for (i = 0; i < n; i++)
		if (w->cols[d->sent[i]].state == SE_COL_ACTIVE)
			active_left = 1;
	/* Fewer varbinds than asked while columns continue: the agent's
	 * limit (snmpsim: 64; real devices: their packet size). */
	if (bulk && active_left && nvb > 0 && nvb < n * (size_t)d->maxrep &&
	    !loop)
		d->max_vbs = nvb >= n ? nvb : n;
	if (nvb == 0 && active_left) {
		for (i = 0; i < n; i++)
			col_fail(d, &w->cols[d->sent[i]], "empty response");
	}
	if (loop) {
		for (i = 0; i < n; i++) {
			struct se_col *col = &w->cols[d->sent[i]];
			if (col->loops > 3)
				col_fail(d, col, "OIDs not increasing");
		}
		/* Smaller bulks first, then GETNEXT (issue 3). */
		if (!w->getnext && d->max_vbs / 2 >= n)
			d->max_vbs /= 2;
		else
			w->getnext = 1;
		d->poll.errors++;
		d->tot_err++;
	}
	walk_check_done(d);
}

static void
on_timeout(struct se_dev *d)
{
	struct se_poll *p = &d->poll;
	int retries = d->cfg->retries;

	p->timeouts++;
	d->tot_tmo++;
	/* A device down at its last poll is probed once per poll. */
	if (d->down && (d->phase == PH_GET || d->phase == PH_PROBE))
		retries = 0;
	if (d->attempt < retries) {
		d->attempt++;
		if (d->phase == PH_PROBE) {
			send_probe(d);
		} else if (d->phase == PH_GET) {
			send_get(d);
		} else {
			if (d->attempt >= 2 && d->cfg->version != 1)
				d->poll.walks[d->walk].getnext = 1;
			send_walk(d);
		}
		return;
	}
	if (d->phase == PH_GET || d->phase == PH_PROBE) {
		snprintf(p->reason, sizeof(p->reason),
		    "no response (timeout %lldms, %d tries)",
		    (long long)d->cfg->timeout_ms, d->attempt + 1);
		p->up = 0;
	} else {
		struct se_walk *w = &p->walks[d->walk];
		snprintf(p->reason, sizeof(p->reason),
		    "stopped answering during walk %s", w->name);
		p->up = 0; /* partial data kept; the device is not healthy */
		for (size_t c = 0; c < w->ncols; c++)
			if (w->cols[c].state == SE_COL_ACTIVE)
				w->cols[c].state = SE_COL_FAILED;
	}
	dev_finish(d);
}

int
se_dev_cb(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct se_dev *d = magic;
	int64_t t_ms = s_now_ms();
	(void)s;

	/*
	 * A USM report (wrong digest, unknown user...) arrives with reqid 0
	 * and net-snmp drops the request: with one request in flight per
	 * session it can only be about the outstanding one.
	 */
	if (d && reqid == 0 && d->reqid &&
	    (op == NETSNMP_CALLBACK_OP_SEC_ERROR ||
	        (pdu && pdu->command == SNMP_MSG_REPORT)))
		reqid = d->reqid;
	if (!d || reqid != d->reqid || d->phase == PH_DONE ||
	    d->phase == PH_IDLE)
		return 1; /* a late answer to an abandoned request */
	/*
	 * The first authenticated request after discovery carries no engine
	 * time: the agent says notInTimeWindow (RFC 3414 3.2 7b) and net-snmp
	 * has now learnt the time. Send the same request again, once.
	 */
	if (pdu && pdu->command == SNMP_MSG_REPORT && d->phase != PH_PROBE &&
	    !d->time_resent &&
	    snmpv3_get_report_type(pdu) == SNMPERR_NOT_IN_TIME_WINDOW) {
		d->time_resent = 1;
		d->reqid = 0;
		if (d->phase == PH_GET)
			send_get(d);
		else
			send_walk(d);
		return 1;
	}
	d->reqid = 0;
	if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
		on_timeout(d);
		return 1;
	}
	if (d->phase == PH_PROBE) {
		probe_response(d, pdu);
		return 1;
	}
	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || !pdu ||
	    pdu->command == SNMP_MSG_REPORT) {
		snprintf(d->poll.reason, sizeof(d->poll.reason), "%s",
		    op == NETSNMP_CALLBACK_OP_SEC_ERROR ||
		            (pdu && pdu->command == SNMP_MSG_REPORT)
		        ? "SNMPv3 security error (user, auth or priv "
		          "settings rejected)"
		        : "send failed");
		dev_fail(d);
		return 1;
	}
	if (d->phase == PH_GET)
		get_response(d, pdu, t_ms);
	else
		walk_response(d, pdu, t_ms);
	return 1; /* net-snmp frees the pdu */
}

/* The agent's answer to discovery (a usmStatsUnknownEngineIDs report)
 * carries its engine ID: open the real session with it and go on. */
static void
probe_response(struct se_dev *d, netsnmp_pdu *pdu)
{
	if (!pdu || pdu->securityEngineIDLen == 0 ||
	    pdu->securityEngineIDLen > sizeof(d->engine_id)) {
		snprintf(d->poll.reason, sizeof(d->poll.reason),
		    "SNMPv3 engine ID discovery failed");
		dev_fail(d);
		return;
	}
	memcpy(d->engine_id, pdu->securityEngineID, pdu->securityEngineIDLen);
	d->engine_id_len = pdu->securityEngineIDLen;
	d->phase = PH_GET;
	d->attempt = 0;
	if (se_dev_open(d) < 0) {
		dev_fail(d);
		return;
	}
	send_get(d);
}

static void
send_probe(struct se_dev *d)
{
	/* An empty GET: what RFC 3414 4. asks for discovery. */
	dev_send(d, snmp_pdu_create(SNMP_MSG_GET));
}

void
se_dev_start(struct se_dev *d)
{
	se_poll_reset(&d->poll);
	d->time_resent = 0;
	d->poll.start_ms = s_now_ms();
	d->t0_ns = s_mono_ns();
	d->phase = PH_GET;
	d->attempt = 0;
	d->walk = 0;
	d->e->inflight++;
	if (!d->sess && d->cfg->version == 3 && !d->engine_id_len) {
		d->phase = PH_PROBE;
		if (!d->probe && se_probe_open(d) < 0) {
			dev_fail(d);
			return;
		}
		send_probe(d);
		return;
	}
	if (!d->sess && se_dev_open(d) < 0) {
		dev_fail(d);
		return;
	}
	send_get(d);
}

void
se_dev_abort(struct se_dev *d, const char *why)
{
	struct se_poll *p = &d->poll;
	if (d->phase == PH_IDLE) {
		se_poll_reset(p);
		p->start_ms = s_now_ms();
		snprintf(p->reason, sizeof(p->reason), "not polled: %s", why);
		p->up = 0;
		d->down = 1;
		return;
	}
	if (d->phase == PH_DONE)
		return;
	snprintf(p->reason, sizeof(p->reason), "%s during %s", why,
	    d->phase == PH_GET || d->phase == PH_PROBE
	        ? "the first request"
	        : p->walks[d->walk < p->nwalks ? d->walk : 0].name);
	if (d->phase == PH_GET || d->phase == PH_PROBE)
		p->up = 0;
	for (size_t w = 0; w < p->nwalks; w++)
		for (size_t c = 0; c < p->walks[w].ncols; c++)
			if (p->walks[w].cols[c].state == SE_COL_ACTIVE)
				p->walks[w].cols[c].state = SE_COL_FAILED;
	dev_finish(d);
}
