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

#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "collectors/snmp/engine_int.h"
#include "collectors/snmp/sutil.h"

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
	netsnmp_ds_set_boolean(
	    NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(
	    NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(
	    NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(
	    NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_QUICK_PRINT, 1);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_OID_OUTPUT_FORMAT, NETSNMP_OID_OUTPUT_NUMERIC);
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

void
se_sv_clear(struct sv *v)
{
	free(v->s);
	memset(v, 0, sizeof(*v));
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

void
se_poll_reset(struct se_poll *p)
{
	for (size_t i = 0; i < p->nscalars; i++)
		se_sv_clear(&p->scalars[i].v);
	for (size_t w = 0; w < p->nwalks; w++) {
		struct se_walk *wk = &p->walks[w];
		wk->getnext = 0;
		wk->done = 0;
		for (size_t c = 0; c < wk->ncols; c++) {
			struct se_col *col = &wk->cols[c];
			for (size_t r = 0; r < col->nrows; r++)
				se_sv_clear(&col->rows[r].v);
			col->nrows = 0;
			col->state = SE_COL_ACTIVE;
			col->loops = 0;
			memcpy(
			    col->cur, col->base, col->base_len * sizeof(oid));
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
	se_poll_reset(p);
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
		if (d->probe)
			snmp_sess_close(d->probe);
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
se_dev_totals(
    const struct se_dev *d, uint64_t *req, uint64_t *tmo, uint64_t *err)
{
	*req = d->tot_req;
	*tmo = d->tot_tmo;
	*err = d->tot_err;
}

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
int
se_dev_open(struct se_dev *d)
{
	const struct sdev_cfg *c = d->cfg;
	netsnmp_session s;
	const oid *p;
	size_t plen;

	snmp_sess_init(&s);
	s.peername = c->peer;
	s.retries = 0; /* retries with backoff are ours */
	s.timeout = (long)c->timeout_ms * 1000;
	s.callback = se_dev_cb;
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
				    "unsupported auth protocol %s",
				    c->auth_proto);
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
				    "unsupported priv protocol %s",
				    c->priv_proto);
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
	 * v3: the engine ID was discovered asynchronously (se_probe_open).
	 * With it known, net-snmp's open does not probe the network again;
	 * it only creates the USM user with the keys localized to it (its
	 * post-probe hook, which SNMP_FLAGS_DONT_PROBE would skip).
	 */
	if (c->version == 3 && d->engine_id_len) {
		s.securityEngineID = d->engine_id;
		s.securityEngineIDLen = d->engine_id_len;
	}
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

int
se_probe_open(struct se_dev *d)
{
	netsnmp_session s;

	snmp_sess_init(&s);
	s.peername = d->cfg->peer;
	s.version = SNMP_VERSION_3;
	s.retries = 0;
	s.timeout = (long)d->cfg->timeout_ms * 1000;
	s.callback = se_dev_cb;
	s.callback_magic = d;
	s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
	/*
	 * The agent checks the engine ID before the user: its report
	 * (usmStatsUnknownEngineIDs) names its engine whatever the user. Not
	 * the device's user: net-snmp would keep a key-less USM entry for
	 * (engine, user) from this session and reuse it for the real one.
	 */
	s.securityName = (char *)"chokepoint-discovery";
	s.securityNameLen = strlen(s.securityName);
	s.flags |= SNMP_FLAGS_DONT_PROBE;
	d->probe = snmp_sess_open(&s);
	if (!d->probe) {
		snprintf(d->poll.reason, sizeof(d->poll.reason),
		    "cannot open the SNMPv3 discovery session");
		return -1;
	}
	return 0;
}

void *
se_dev_sess(const struct se_dev *d)
{
	return d->phase == PH_PROBE ? d->probe : d->sess;
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
			se_dev_start(devs[next++]);
		now = s_mono_ns();
		for (size_t i = 0; i < next; i++) {
			struct se_dev *d = devs[i];
			netsnmp_transport *t;
			/* Closed here, never inside its own callback. */
			if (d->probe && d->phase != PH_PROBE) {
				snmp_sess_close(d->probe);
				d->probe = NULL;
			}
			if (d->phase < PH_PROBE || d->phase > PH_WALK)
				continue;
			if (d->reqid && d->due_ns <= now) {
				snmp_sess_timeout(se_dev_sess(d));
				if (d->phase < PH_PROBE || d->phase > PH_WALK)
					continue;
			}
			t = snmp_sess_transport(se_dev_sess(d));
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
				se_dev_abort(devs[i], "poll deadline reached");
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
				se_dev_abort(devs[i], "internal error");
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
			snmp_sess_read2(se_dev_sess(act[i]), &set);
		}
	}
	netsnmp_large_fd_set_cleanup(&set);
	free(pfd);
	free(act);
}
