// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the engine code that turns SNMP responses into tables
 * (collectors/snmp/walk.c: walk_response, get_response, the callback).
 * The input is read as a sequence of responses to the walk's requests
 * (error status, varbinds with OIDs near the walked columns, any type and
 * value, timeouts); nothing is sent: the session calls are replaced here.
 * Invariants: no crash, rows of every column strictly increasing (the
 * binary search of se_col_get relies on it), the poll always ends.
 */
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

static netsnmp_session fz_sess;
static int fz_reqid;
#define snmp_sess_session(x) (&fz_sess)
#define snmp_sess_async_send(s, pdu, cb, m) (snmp_free_pdu(pdu), ++fz_reqid)

#include "collectors/snmp/walk.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct se fz_e;
static struct se_dev fz_d;
static struct sdev_cfg fz_cfg;

static void
setup(void)
{
	fz_cfg.name = "fuzz";
	fz_cfg.peer = "udp:127.0.0.1:9";
	fz_cfg.version = 2;
	fz_cfg.community = "public";
	fz_cfg.timeout_ms = 1000;
	fz_cfg.retries = 1;
	fz_cfg.max_repetitions = 10;
	fz_e.max_inflight = 1;
	fz_d.e = &fz_e;
	fz_d.cfg = &fz_cfg;
	fz_d.max_vbs = 1000;
	fz_d.sess = (void *)&fz_sess;
	se_poll_scalar(&fz_d.poll, "1.3.6.1.2.1.1.3.0");
	se_poll_scalar(&fz_d.poll, "1.3.6.1.2.1.1.5.0");
	se_poll_walk(&fz_d.poll, "a");
	se_walk_col(&fz_d.poll, 0, "ifDescr", "1.3.6.1.2.1.2.2.1.2");
	se_walk_col(&fz_d.poll, 0, "ifOperStatus", "1.3.6.1.2.1.2.2.1.8");
	se_walk_col(&fz_d.poll, 0, "ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6");
	se_poll_walk(&fz_d.poll, "b");
	se_walk_col(
	    &fz_d.poll, 1, "entPhysicalClass", "1.3.6.1.2.1.47.1.1.1.1.5");
}

struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned
byte(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static void
add_vb(netsnmp_pdu *pdu, struct rd *r)
{
	static const u_char types[] = {ASN_INTEGER, ASN_COUNTER, ASN_GAUGE,
	    ASN_TIMETICKS, ASN_COUNTER64, ASN_OCTET_STR, ASN_OBJECT_ID,
	    ASN_IPADDRESS, SNMP_NOSUCHOBJECT, SNMP_NOSUCHINSTANCE,
	    SNMP_ENDOFMIBVIEW, ASN_NULL, ASN_OPAQUE};
	const struct se_walk *w =
	    &fz_d.poll.walks[fz_d.walk < 2 ? fz_d.walk : 0];
	oid name[SE_OID_MAX + 4];
	size_t len;
	unsigned sel = byte(r);
	const struct se_col *c = &w->cols[sel % w->ncols];
	u_char t = types[byte(r) % sizeof(types)];
	u_char buf[64];
	size_t vlen = 0;
	long iv;
	struct counter64 c64;

	/* Mostly the column base (or a scalar) plus a few sub-ids; now and
	 * then a mangled prefix or a shorter OID. */
	if (fz_d.phase == PH_GET) {
		len = fz_d.poll.scalars[sel % 2].len;
		memcpy(name, fz_d.poll.scalars[sel % 2].oid, len * sizeof(oid));
	} else {
		len = c->base_len;
		memcpy(name, c->base, len * sizeof(oid));
	}
	if (sel & 0x80)
		name[byte(r) % len] = byte(r);
	if (sel & 0x40)
		len = 1 + byte(r) % len;
	for (unsigned k = byte(r) % 4; k > 0 && len < SE_OID_MAX + 2; k--)
		name[len++] = byte(r) | (byte(r) & 0x80 ? 0xffffff00UL : 0);
	switch (t) {
	case ASN_COUNTER64:
		c64.high = byte(r) << 24 | byte(r);
		c64.low = byte(r) << 24 | byte(r) << 8 | byte(r);
		snmp_pdu_add_variable(pdu, name, len, t, &c64, sizeof(c64));
		return;
	case ASN_OCTET_STR:
	case ASN_OPAQUE:
		vlen = byte(r) % sizeof(buf);
		for (size_t i = 0; i < vlen; i++)
			buf[i] = (u_char)byte(r);
		snmp_pdu_add_variable(pdu, name, len, t, buf, vlen);
		return;
	case ASN_OBJECT_ID: {
		oid o[8];
		size_t on = byte(r) % 8;
		for (size_t i = 0; i < on; i++)
			o[i] = byte(r);
		snmp_pdu_add_variable(pdu, name, len, t, o, on * sizeof(oid));
		return;
	}
	case ASN_IPADDRESS:
		for (int i = 0; i < 4; i++)
			buf[i] = (u_char)byte(r);
		snmp_pdu_add_variable(pdu, name, len, t, buf, 4);
		return;
	case SNMP_NOSUCHOBJECT:
	case SNMP_NOSUCHINSTANCE:
	case SNMP_ENDOFMIBVIEW:
	case ASN_NULL:
		snmp_pdu_add_variable(pdu, name, len, t, NULL, 0);
		return;
	default:
		iv = (long)(int32_t)(byte(r) << 24 | byte(r) << 16 | byte(r));
		snmp_pdu_add_variable(pdu, name, len, t, &iv, sizeof(iv));
		return;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int done;
	struct rd r = {data, size};
	int rounds = 0;

	if (!done) {
		se_lib_init();
		setup();
		done = 1;
	}
	fz_d.max_vbs = 1 + byte(&r) * 8;
	fz_cfg.version = byte(&r) % 3 == 0 ? 1 : 2;
	se_poll_reset(&fz_d.poll);
	fz_d.down = 0;
	fz_d.phase = PH_GET;
	fz_d.attempt = 0;
	fz_d.walk = 0;
	fz_e.inflight = 1;
	send_get(&fz_d);
	while (fz_d.phase != PH_DONE && rounds++ < 200) {
		unsigned op = byte(&r);
		netsnmp_pdu *pdu;
		if (r.n == 0 || op == 0xff) {
			se_dev_cb(NETSNMP_CALLBACK_OP_TIMED_OUT, NULL,
			    fz_d.reqid, NULL, &fz_d);
			continue;
		}
		pdu = snmp_pdu_create(SNMP_MSG_RESPONSE);
		if (op >= 0xf0) {
			pdu->errstat = op & 0x0f;
			pdu->errindex = byte(&r) % 5;
		}
		for (unsigned k = byte(&r) % 24; k > 0; k--)
			add_vb(pdu, &r);
		se_dev_cb(NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE, NULL,
		    fz_d.reqid, pdu, &fz_d);
		snmp_free_pdu(pdu);
	}
	/* Give up like the deadline would. */
	if (fz_d.phase != PH_DONE)
		se_dev_abort(&fz_d, "fuzz deadline");
	for (size_t w = 0; w < fz_d.poll.nwalks; w++)
		for (size_t c = 0; c < fz_d.poll.walks[w].ncols; c++) {
			const struct se_col *col = &fz_d.poll.walks[w].cols[c];
			for (size_t i = 1; i < col->nrows; i++)
				if (col->rows[i].idx <= col->rows[i - 1].idx)
					__builtin_trap();
		}
	return 0;
}
