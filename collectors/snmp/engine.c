// SPDX-License-Identifier: MIT
/*
 * The SNMP poller engine (see engine.h): net-snmp single-session API, one
 * session per device, driven by a poll() loop in the collector's worker
 * thread. Every response callback runs inside snmp_sess_read2() on this
 * thread and sends that device's next request, so a slow device only ever
 * holds its own slot.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include "collectors/snmp/engine.h"
#include "collectors/snmp/sutil.h"

#define MAX_VBS_DEFAULT 1000 /* varbinds asked per GETBULK before learning */
#define MAX_REP_CAP 500
#define SENT_MAX 128
#define MAX_ROWS 200000 /* per column: a table longer than this is broken */

enum phase { PH_IDLE = 0, PH_GET, PH_WALK, PH_DONE };

struct se_dev {
	struct se *e;
	const struct sdev_cfg *cfg;
	void *sess; /* snmp_sess_open handle; NULL until opened */
	struct se_poll poll;
	int phase;
	size_t walk;	  /* current walk group */
	int reqid;	  /* outstanding request; 0 none */
	int attempt;	  /* retries used for the current request */
	int maxrep;	  /* for the current walk request */
	size_t max_vbs;	  /* learned: the most varbinds a response carried */
	size_t sent[SENT_MAX]; /* columns (or scalars) of the request */
	int64_t due_ns; /* when the outstanding request times out */
	int bulk;	/* the outstanding walk request is a GETBULK */
	size_t nsent;
	int down;	  /* last poll failed */
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

static int lib_done;

void
se_lib_init(void)
{
	if (lib_done)
		return;
	/* Numeric OIDs only: no MIB parsing, no snmp.conf, no persistent
	 * state written under /var/lib. */
	setenv("MIBS", "", 1);
	setenv("MIBDIRS", "/nonexistent", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_QUICK_PRINT, 1);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_OID_OUTPUT_FORMAT,
	    NETSNMP_OID_OUTPUT_NUMERIC);
	netsnmp_disable_this_loghandler(NULL);
	snmp_disable_log();
	init_snmp("chokepoint");
	lib_done = 1;
}

/* ------------------------------------------------------------- values */

int
sv_num(const struct sv *v, uint64_t *out)
{
	switch (v->kind) {
	case SV_INT:
		*out = (uint64_t)v->i;
		return v->i < 0 ? -1 : 0;
	case SV_COUNTER32:
	case SV_GAUGE32:
	case SV_TICKS:
	case SV_COUNTER64:
		*out = v->u;
		return 0;
	default:
		return -1;
	}
}

char *
sv_text(const struct sv *v)
{
	if ((v->kind == SV_STR || v->kind == SV_OID || v->kind == SV_IPADDR) &&
	    v->s)
		return s_printable((const unsigned char *)v->s, v->len);
	return s_strdup("");
}

static void
sv_clear(struct sv *v)
{
	free(v->s);
	memset(v, 0, sizeof(*v));
}

static void
sv_from_vb(struct sv *v, const netsnmp_variable_list *vb, int64_t t_ms)
{
	char buf[SE_OID_MAX * 11 + 8];
	size_t off = 0;

	sv_clear(v);
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
			    "%s%lu", i ? "." : "", (unsigned long)vb->val.objid[i]);
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

/* --------------------------------------------------------- poll setup */

size_t
se_oid_parse(const char *s, unsigned long *out, size_t max)
{
	size_t n = 0;

	if (*s == '.')
		s++;
	while (*s) {
		unsigned long v = 0;
		if (*s < '0' || *s > '9' || n >= max)
			return 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned long)(*s - '0');
			if (v > 0xffffffffUL)
				return 0;
			s++;
		}
		out[n++] = v;
		if (*s == '.')
			s++;
		else if (*s)
			return 0;
	}
	return n;
}

size_t
se_poll_scalar(struct se_poll *p, const char *oid_s)
{
	size_t cap = p->nscalars;
	struct se_scalar *sc;

	p->scalars = s_realloc(p->scalars, (cap + 1) * sizeof(*p->scalars));
	sc = &p->scalars[p->nscalars];
	memset(sc, 0, sizeof(*sc));
	sc->len = se_oid_parse(oid_s, sc->oid, SE_OID_MAX);
	return p->nscalars++;
}

size_t
se_poll_walk(struct se_poll *p, const char *name)
{
	struct se_walk *w;

	p->walks = s_realloc(p->walks, (p->nwalks + 1) * sizeof(*p->walks));
	w = &p->walks[p->nwalks];
	memset(w, 0, sizeof(*w));
	w->name = name;
	return p->nwalks++;
}

size_t
se_walk_col(struct se_poll *p, size_t walk, const char *name, const char *oid_s)
{
	struct se_walk *w = &p->walks[walk];
	struct se_col *c;

	s_grow(&w->cols, &w->cap, w->ncols, sizeof(*w->cols));
	c = &w->cols[w->ncols];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->base_len = se_oid_parse(oid_s, c->base, SE_OID_MAX);
	return w->ncols++;
}

const struct sv *
se_col_get(const struct se_col *c, uint32_t idx)
{
	size_t lo = 0, hi = c->nrows;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->rows[mid].idx == idx)
			return &c->rows[mid].v;
		if (c->rows[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
poll_reset(struct se_poll *p)
{
	for (size_t i = 0; i < p->nscalars; i++)
		sv_clear(&p->scalars[i].v);
	for (size_t w = 0; w < p->nwalks; w++) {
		struct se_walk *wk = &p->walks[w];
		wk->getnext = 0;
		wk->done = 0;
		for (size_t c = 0; c < wk->ncols; c++) {
			struct se_col *col = &wk->cols[c];
			for (size_t r = 0; r < col->nrows; r++)
				sv_clear(&col->rows[r].v);
			col->nrows = 0;
			col->state = SE_COL_ACTIVE;
			col->loops = 0;
			memcpy(col->cur, col->base, col->base_len * sizeof(oid));
			col->cur_len = col->base_len;
		}
	}
	p->up = 0;
	p->complete = 0;
	p->reason[0] = '\0';
	p->requests = p->timeouts = p->errors = 0;
}

static void
poll_free(struct se_poll *p)
{
	poll_reset(p);
	for (size_t w = 0; w < p->nwalks; w++) {
		for (size_t c = 0; c < p->walks[w].ncols; c++)
			free(p->walks[w].cols[c].rows);
		free(p->walks[w].cols);
	}
	free(p->walks);
	free(p->scalars);
}

/* ------------------------------------------------------------ engine */

struct se *
se_new(struct cp_ctx *ctx, int max_inflight)
{
	struct se *e = s_calloc(1, sizeof(*e));

	se_lib_init();
	e->ctx = ctx;
	e->max_inflight = max_inflight > 0 ? max_inflight : 1;
	return e;
}

void
se_free(struct se *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->ndevs; i++) {
		struct se_dev *d = e->devs[i];
		if (d->sess)
			snmp_sess_close(d->sess);
		poll_free(&d->poll);
		free(d);
	}
	free(e->devs);
	free(e);
}

struct se_dev *
se_dev_add(struct se *e, const struct sdev_cfg *cfg)
{
	struct se_dev *d = s_calloc(1, sizeof(*d));

	d->e = e;
	d->cfg = cfg;
	d->max_vbs = MAX_VBS_DEFAULT;
	s_grow(&e->devs, &e->cap, e->ndevs, sizeof(*e->devs));
	e->devs[e->ndevs++] = d;
	return d;
}

const struct sdev_cfg *
se_dev_cfg(const struct se_dev *d)
{
	return d->cfg;
}

struct se_poll *
se_dev_poll(struct se_dev *d)
{
	return &d->poll;
}

int
se_dev_down(const struct se_dev *d)
{
	return d->down;
}

void
se_dev_totals(const struct se_dev *d, uint64_t *req, uint64_t *tmo,
    uint64_t *err)
{
	*req = d->tot_req;
	*tmo = d->tot_tmo;
	*err = d->tot_err;
}

static int dev_cb(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu,
    void *magic);

static const oid *
auth_proto(const char *name, size_t *len)
{
	*len = USM_AUTH_PROTO_SHA_LEN;
	if (!strcasecmp(name, "MD5"))
		return usmHMACMD5AuthProtocol;
	if (!strcasecmp(name, "SHA") || !strcasecmp(name, "SHA1") ||
	    !strcasecmp(name, "SHA-1"))
		return usmHMACSHA1AuthProtocol;
	if (!strcasecmp(name, "SHA-224") || !strcasecmp(name, "SHA224"))
		return usmHMAC128SHA224AuthProtocol;
	if (!strcasecmp(name, "SHA-256") || !strcasecmp(name, "SHA256"))
		return usmHMAC192SHA256AuthProtocol;
	if (!strcasecmp(name, "SHA-384") || !strcasecmp(name, "SHA384"))
		return usmHMAC256SHA384AuthProtocol;
	if (!strcasecmp(name, "SHA-512") || !strcasecmp(name, "SHA512"))
		return usmHMAC384SHA512AuthProtocol;
	return NULL;
}

static const oid *
priv_proto(const char *name, size_t *len)
{
	*len = USM_PRIV_PROTO_AES_LEN;
	if (!strcasecmp(name, "AES") || !strcasecmp(name, "AES128") ||
	    !strcasecmp(name, "AES-128"))
		return usmAESPrivProtocol;
#ifndef NETSNMP_DISABLE_DES
	if (!strcasecmp(name, "DES")) {
		*len = USM_PRIV_PROTO_DES_LEN;
		return usmDESPrivProtocol;
	}
#endif
	return NULL;
}

/* Open the device's session; 0 or -1 with reason set (never a secret). */
static int
dev_open(struct se_dev *d)
{
	const struct sdev_cfg *c = d->cfg;
	netsnmp_session s;
	const oid *p;
	size_t plen;

	snmp_sess_init(&s);
	s.peername = c->peer;
	s.retries = 0; /* retries with backoff are ours */
	s.timeout = (long)c->timeout_ms * 1000;
	s.callback = dev_cb;
	s.callback_magic = d;
	if (c->version == 1) {
		s.version = SNMP_VERSION_1;
	} else if (c->version == 2) {
		s.version = SNMP_VERSION_2c;
	} else {
		s.version = SNMP_VERSION_3;
	}
	if (c->version != 3) {
		s.community = (u_char *)c->community;
		s.community_len = strlen(c->community);
	} else {
		s.securityName = c->user;
		s.securityNameLen = strlen(c->user);
		s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
		if (c->context) {
			s.contextName = c->context;
			s.contextNameLen = strlen(c->context);
		}
		if (c->auth_proto) {
			if (!(p = auth_proto(c->auth_proto, &plen))) {
				snprintf(d->poll.reason, sizeof(d->poll.reason),
				    "unsupported auth protocol %s", c->auth_proto);
				return -1;
			}
			s.securityAuthProto = (oid *)p;
			s.securityAuthProtoLen = plen;
			s.securityAuthKeyLen = USM_AUTH_KU_LEN;
			if (generate_Ku(p, (u_int)plen,
				(const u_char *)c->auth_pass,
				strlen(c->auth_pass), s.securityAuthKey,
				&s.securityAuthKeyLen) != SNMPERR_SUCCESS) {
				snprintf(d->poll.reason, sizeof(d->poll.reason),
				    "cannot derive the auth key (passphrase "
				    "shorter than 8 characters?)");
				return -1;
			}
			s.securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
		}
		if (c->priv_proto) {
			const oid *ap = s.securityAuthProto;
			if (!(p = priv_proto(c->priv_proto, &plen))) {
				snprintf(d->poll.reason, sizeof(d->poll.reason),
				    "unsupported priv protocol %s", c->priv_proto);
				return -1;
			}
			s.securityPrivProto = (oid *)p;
			s.securityPrivProtoLen = plen;
			s.securityPrivKeyLen = USM_PRIV_KU_LEN;
			if (generate_Ku(ap, (u_int)s.securityAuthProtoLen,
				(const u_char *)c->priv_pass,
				strlen(c->priv_pass), s.securityPrivKey,
				&s.securityPrivKeyLen) != SNMPERR_SUCCESS) {
				snprintf(d->poll.reason, sizeof(d->poll.reason),
				    "cannot derive the priv key");
				return -1;
			}
			s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
		}
	}
	/*
	 * For v3 this probes the engine ID synchronously (RFC 3414 4.):
	 * bounded by the timeout; a device that does not answer is retried
	 * at its next poll.
	 */
	d->sess = snmp_sess_open(&s);
	memset(s.securityAuthKey, 0, sizeof(s.securityAuthKey));
	memset(s.securityPrivKey, 0, sizeof(s.securityPrivKey));
	if (!d->sess) {
		int liberr = 0, syserr = 0;
		char *msg = NULL;
		snmp_error(&s, &syserr, &liberr, &msg);
		snprintf(d->poll.reason, sizeof(d->poll.reason),
		    "cannot open session: %s", msg ? msg : "unknown error");
		free(msg);
		return -1;
	}
	return 0;
}

/* ----------------------------------------------------------- requests */

static void dev_finish(struct se_dev *d);
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
	netsnmp_session *s = snmp_sess_session(d->sess);
	int id;

	s->timeout = (long)dev_timeout_ms(d) * 1000;
	d->poll.requests++;
	d->tot_req++;
	id = snmp_sess_async_send(d->sess, pdu, dev_cb, d);
	if (id == 0) {
		int liberr = 0, syserr = 0;
		char *msg = NULL;
		snmp_sess_error(d->sess, &syserr, &liberr, &msg);
		snprintf(d->poll.reason, sizeof(d->poll.reason),
		    "send failed: %s", msg ? msg : "?");
		free(msg);
		snmp_free_pdu(pdu); /* not taken on failure */
		d->poll.errors++;
		d->tot_err++;
		d->poll.up = 0;
		dev_finish(d);
		return -1;
	}
	d->reqid = id;
	d->due_ns = s_mono_ns() + (int64_t)dev_timeout_ms(d) * 1000000 + 1000000;
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
	netsnmp_pdu *pdu = snmp_pdu_create(bulk ? SNMP_MSG_GETBULK
						: SNMP_MSG_GETNEXT);

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
				snprintf(p->reason + off, sizeof(p->reason) - off,
				    ", ...");
				return;
			}
			off += (size_t)snprintf(p->reason + off,
			    sizeof(p->reason) - off, "%s%s",
			    any ? ", " : (off ? "; unfinished: " : "unfinished: "),
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
			sv_from_vb(&p->scalars[d->sent[i]].v, vb, t_ms);
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
					col_fail(d, &w->cols[d->sent[i]],
					    "tooBig");
		} else {
			d->poll.errors++;
			d->tot_err++;
			for (i = 0; i < n; i++)
				if (ei < 1 || (size_t)ei > n || (size_t)ei == i + 1)
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
		sv_from_vb(&col->rows[col->nrows].v, vb, t_ms);
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
	if (d->down && d->phase == PH_GET)
		retries = 0;
	if (d->attempt < retries) {
		d->attempt++;
		if (d->phase == PH_GET) {
			send_get(d);
		} else {
			if (d->attempt >= 2 && d->cfg->version != 1)
				d->poll.walks[d->walk].getnext = 1;
			send_walk(d);
		}
		return;
	}
	if (d->phase == PH_GET) {
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

static int
dev_cb(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
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
	d->reqid = 0;
	if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
		on_timeout(d);
		return 1;
	}
	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || !pdu ||
	    pdu->command == SNMP_MSG_REPORT) {
		d->poll.errors++;
		d->tot_err++;
		snprintf(d->poll.reason, sizeof(d->poll.reason), "%s",
		    op == NETSNMP_CALLBACK_OP_SEC_ERROR ||
			    (pdu && pdu->command == SNMP_MSG_REPORT)
			? "SNMPv3 security error (user, auth or priv "
			  "settings rejected)"
			: "send failed");
		if (d->phase == PH_GET)
			d->poll.up = 0;
		else
			d->poll.up = 0;
		dev_finish(d);
		return 1;
	}
	if (d->phase == PH_GET)
		get_response(d, pdu, t_ms);
	else
		walk_response(d, pdu, t_ms);
	return 1; /* net-snmp frees the pdu */
}

static void
dev_start(struct se_dev *d)
{
	poll_reset(&d->poll);
	d->poll.start_ms = s_now_ms();
	d->t0_ns = s_mono_ns();
	d->phase = PH_GET;
	d->attempt = 0;
	d->walk = 0;
	d->e->inflight++;
	if (!d->sess && dev_open(d) < 0) {
		d->poll.up = 0;
		d->poll.errors++;
		d->tot_err++;
		dev_finish(d);
		return;
	}
	send_get(d);
}

static void
dev_abort(struct se_dev *d, const char *why)
{
	struct se_poll *p = &d->poll;
	if (d->phase == PH_IDLE) {
		poll_reset(p);
		p->start_ms = s_now_ms();
		snprintf(p->reason, sizeof(p->reason), "not polled: %s", why);
		p->up = 0;
		d->down = 1;
		return;
	}
	if (d->phase == PH_DONE)
		return;
	snprintf(p->reason, sizeof(p->reason), "%s during %s", why,
	    d->phase == PH_GET ? "the first request"
			       : p->walks[d->walk < p->nwalks ? d->walk : 0].name);
	if (d->phase == PH_GET)
		p->up = 0;
	for (size_t w = 0; w < p->nwalks; w++)
		for (size_t c = 0; c < p->walks[w].ncols; c++)
			if (p->walks[w].cols[c].state == SE_COL_ACTIVE)
				p->walks[w].cols[c].state = SE_COL_FAILED;
	dev_finish(d);
}

void
se_run(struct se *e, struct se_dev **devs, size_t n, int64_t deadline_ns)
{
	struct pollfd *pfd = s_calloc(n ? n : 1, sizeof(*pfd));
	struct se_dev **act = s_calloc(n ? n : 1, sizeof(*act));
	netsnmp_large_fd_set set;
	size_t next = 0;
	int setsize = 1024;

	netsnmp_large_fd_set_init(&set, setsize);
	for (size_t i = 0; i < n; i++)
		devs[i]->phase = PH_IDLE;
	for (;;) {
		size_t na = 0;
		int64_t now, wait_ns = INT64_MAX;

		while (e->inflight < e->max_inflight && next < n)
			dev_start(devs[next++]);
		now = s_mono_ns();
		for (size_t i = 0; i < next; i++) {
			struct se_dev *d = devs[i];
			netsnmp_transport *t;
			if (d->phase != PH_GET && d->phase != PH_WALK)
				continue;
			if (d->reqid && d->due_ns <= now) {
				snmp_sess_timeout(d->sess);
				if (d->phase != PH_GET && d->phase != PH_WALK)
					continue;
			}
			t = snmp_sess_transport(d->sess);
			act[na] = d;
			pfd[na].fd = t ? t->sock : -1;
			pfd[na].events = POLLIN;
			pfd[na].revents = 0;
			na++;
			/* net-snmp's clock may be a hair behind ours. */
			if (d->due_ns - now < wait_ns)
				wait_ns = d->due_ns - now > 1000000
				    ? d->due_ns - now
				    : 1000000;
		}
		if (na == 0 && next >= n && e->inflight == 0)
			break;
		if (na == 0)
			continue; /* devices just finished: start more */
		if (now >= deadline_ns) {
			for (size_t i = 0; i < n; i++)
				dev_abort(devs[i], "poll deadline reached");
			break;
		}
		if (deadline_ns - now < wait_ns)
			wait_ns = deadline_ns - now;
		if (wait_ns < 0)
			wait_ns = 0;
		if (poll(pfd, na, (int)((wait_ns + 999999) / 1000000)) < 0) {
			if (errno == EINTR)
				continue;
			cp_log_warn(e->ctx, "snmp: poll");
			for (size_t i = 0; i < n; i++)
				dev_abort(devs[i], "internal error");
			break;
		}
		for (size_t i = 0; i < na; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (pfd[i].fd >= setsize) {
				setsize = pfd[i].fd + 1024;
				netsnmp_large_fd_set_resize(&set, setsize);
			}
			NETSNMP_LARGE_FD_ZERO(&set);
			NETSNMP_LARGE_FD_SET(pfd[i].fd, &set);
			snmp_sess_read2(act[i]->sess, &set);
		}
	}
	netsnmp_large_fd_set_cleanup(&set);
	free(pfd);
	free(act);
}
