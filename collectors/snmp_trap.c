// SPDX-License-Identifier: MIT
/*
 * snmp_trap: a trap receiver (SNMPv1/v2c, and v3 for the users listed in
 * its options) on a UDP port of the agent's event loop (cp_watch_fd). A
 * trap becomes an event of kind "trap" on the device it came from (matched
 * by source address, then community or v3 user); linkDown/linkUp,
 * coldStart/warmStart and entConfigChange are named, and entConfigChange
 * asks snmp_entity to re-walk that device's inventory at its next tick (a
 * request file DATA_DIR/snmp_entity/NAME.repoll, which it deletes).
 *
 *   collectors:
 *     snmp_trap:
 *       listen: 127.0.0.1:10162
 *       users:   # v3 senders: USM users with the sender's engine ID
 *         - {user: traps, engine_id: "0x8000000001020304",
 *            auth: {protocol: SHA, passphrase: ...}, priv: {protocol: AES,
 * passphrase: ...}}
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "collectors/snmp/devcfg.h"
#include "collectors/snmp/engine.h"
#include "collectors/snmp/selfm.h"
#include "collectors/snmp/sutil.h"
#include "plugin.h"

struct state {
	struct cp_ctx *ctx;
	char *listen;
	struct sdev_cfg *devs;
	size_t ndevs;
	char **users; /* createUser lines (secrets; never logged) */
	size_t nusers;
	void *sess;
	int fd;
	pthread_mutex_t mu;
	uint64_t received, unknown;
};

static const struct {
	const char *oid;
	const char *name;
	enum cp_severity sev;
} known[] = {
    {"1.3.6.1.6.3.1.1.5.1", "coldStart", CP_SEV_WARNING},
    {"1.3.6.1.6.3.1.1.5.2", "warmStart", CP_SEV_WARNING},
    {"1.3.6.1.6.3.1.1.5.3", "linkDown", CP_SEV_WARNING},
    {"1.3.6.1.6.3.1.1.5.4", "linkUp", CP_SEV_INFO},
    {"1.3.6.1.6.3.1.1.5.5", "authenticationFailure", CP_SEV_WARNING},
    {"1.3.6.1.2.1.47.2.0.1", "entConfigChange", CP_SEV_INFO},
};

static void
st_free(struct state *st)
{
	if (!st)
		return;
	free(st->listen);
	sdev_free(st->devs, st->ndevs);
	for (size_t i = 0; i < st->nusers; i++) {
		memset(st->users[i], 0, strlen(st->users[i]));
		free(st->users[i]);
	}
	free(st->users);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

static const char *
cfg_s(const struct cp_cfg *n, const char *k)
{
	const char *s = NULL;
	if (n)
		cp_cfg_str(n, k, &s);
	return s;
}

/* One v3 sender as a net-snmp createUser line. */
static int
user_line(const struct cp_cfg *u, char **out)
{
	const char *name = cfg_s(u, "user"), *eid = cfg_s(u, "engine_id");
	const struct cp_cfg *a = cp_cfg_child(u, "auth");
	const struct cp_cfg *p = cp_cfg_child(u, "priv");
	const char *ap = cfg_s(a, "protocol"), *apw = cfg_s(a, "passphrase");
	const char *pp = cfg_s(p, "protocol"), *ppw = cfg_s(p, "passphrase");
	size_t n;

	if (!name || !eid) {
		cp_cfg_error(u, "snmp_trap.users: user and engine_id needed");
		return -EINVAL;
	}
	if ((ap && !apw) || (pp && (!ppw || !ap))) {
		cp_cfg_error(u,
		    "snmp_trap.users: %s: auth/priv need a "
		    "protocol and a passphrase",
		    name);
		return -EINVAL;
	}
	for (const char *c = eid; *c; c++)
		if (!strchr("0123456789abcdefABCDEFx", *c)) {
			cp_cfg_error(u, "snmp_trap.users: engine_id: hex "
			                "expected (0x...)");
			return -EINVAL;
		}
	n = strlen(name) + strlen(eid) + (ap ? strlen(ap) + strlen(apw) : 0) +
	    (pp ? strlen(pp) + strlen(ppw) : 0) + 32;
	*out = s_malloc(n);
	if (ap && pp)
		snprintf(*out, n, "-e %s %s %s \"%s\" %s \"%s\"", eid, name, ap,
		    apw, pp, ppw);
	else if (ap)
		snprintf(*out, n, "-e %s %s %s \"%s\"", eid, name, ap, apw);
	else
		snprintf(*out, n, "-e %s %s", eid, name);
	return 0;
}

static int
trap_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **out)
{
	struct state *st = s_calloc(1, sizeof(*st));
	const struct cp_cfg *users;
	const char *l = NULL;
	int rc = 0;

	st->ctx = ctx;
	st->fd = -1;
	pthread_mutex_init(&st->mu, NULL);
	if (!cfg || cp_cfg_str(cfg, "listen", &l) != 0 || !l) {
		if (cfg)
			cp_cfg_error(cfg, "snmp_trap: listen: host:port needed "
			                  "(e.g. 127.0.0.1:10162)");
		rc = -EINVAL;
	} else if (!(st->listen = sdev_peername(l, 162))) {
		cp_cfg_error(cfg, "snmp_trap: listen: bad address \"%s\"", l);
		rc = -EINVAL;
	}
	users = cfg ? cp_cfg_child(cfg, "users") : NULL;
	for (size_t i = 0; users && i < cp_cfg_seq_len(users); i++) {
		char *line = NULL;
		if (user_line(cp_cfg_seq_at(users, i), &line) < 0) {
			rc = -EINVAL;
			continue;
		}
		st->users =
		    s_realloc(st->users, (st->nusers + 1) * sizeof(char *));
		st->users[st->nusers++] = line;
	}
	if (sdev_load(ctx, &st->devs, &st->ndevs) < 0)
		rc = -EINVAL;
	if (rc < 0) {
		st_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

/* The device a trap came from: its address, then community / v3 user. */
static const char *
find_device(struct state *st, const char *ip, const netsnmp_pdu *pdu)
{
	const char *by_ip = NULL;
	int nip = 0;

	for (size_t i = 0; i < st->ndevs; i++) {
		const struct sdev_cfg *d = &st->devs[i];
		const char *h = strchr(d->peer, ':');
		size_t hl;
		if (!h)
			continue;
		h++;
		if (*h == '[')
			h++;
		hl = strcspn(h, "]:");
		if (strlen(ip) != hl || strncmp(h, ip, hl) != 0)
			continue;
		by_ip = d->name;
		nip++;
		if (pdu->version == SNMP_VERSION_3 && d->user &&
		    pdu->securityNameLen == strlen(d->user) &&
		    !memcmp(pdu->securityName, d->user, pdu->securityNameLen))
			return d->name;
		if (pdu->version != SNMP_VERSION_3 && d->community &&
		    pdu->community_len == strlen(d->community) &&
		    !memcmp(pdu->community, d->community, pdu->community_len))
			return d->name;
	}
	return nip == 1 ? by_ip : NULL;
}

static void
request_repoll(struct state *st, const char *dev)
{
	char path[4096];
	int fd;

	if (!selfm_state_path(
	        st->ctx, "snmp_entity", dev, ".repoll", path, sizeof(path)))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static void
oid_str(const oid *o, size_t n, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off + 12 < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%lu",
		    i ? "." : "", (unsigned long)o[i]);
}

static int
trap_cb(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	static const oid trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
	static const oid if_index[] = {1, 3, 6, 1, 2, 1, 2, 2, 1, 1};
	static const oid if_descr[] = {1, 3, 6, 1, 2, 1, 2, 2, 1, 2};
	static const oid if_name[] = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1};
	struct state *st = magic;
	char toid[400] = "", ip[64] = "?", comp[128] = "", msg[700];
	const char *name = NULL, *dev;
	enum cp_severity sev = CP_SEV_INFO;
	netsnmp_variable_list *vb;
	struct cp_event ev = {0};
	(void)s;
	(void)reqid;

	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || !pdu)
		return 1;
	if (pdu->command != SNMP_MSG_TRAP && pdu->command != SNMP_MSG_TRAP2 &&
	    pdu->command != SNMP_MSG_INFORM)
		return 1;
	if (pdu->transport_data &&
	    pdu->transport_data_length >= (int)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sa = pdu->transport_data;
		if (sa->sin_family == AF_INET)
			inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
		else {
			const struct sockaddr_in6 *s6 = pdu->transport_data;
			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		}
	}
	if (pdu->command == SNMP_MSG_TRAP) {
		/* v1: enterprise + generic/specific trap (RFC 3584 3.1). */
		if (pdu->trap_type >= 0 && pdu->trap_type <= 5)
			snprintf(toid, sizeof(toid), "1.3.6.1.6.3.1.1.5.%ld",
			    pdu->trap_type + 1);
		else {
			oid_str(pdu->enterprise, pdu->enterprise_length, toid,
			    sizeof(toid) - 16);
			snprintf(toid + strlen(toid),
			    sizeof(toid) - strlen(toid), ".0.%ld",
			    pdu->specific_type);
		}
	}
	for (vb = pdu->variables; vb; vb = vb->next_variable) {
		if (vb->name_length == 11 &&
		    !memcmp(vb->name, trap_oid, sizeof(trap_oid)) &&
		    vb->type == ASN_OBJECT_ID)
			oid_str(vb->val.objid, vb->val_len / sizeof(oid), toid,
			    sizeof(toid));
		else if (((vb->name_length == 11 &&
		              !memcmp(vb->name, if_descr, sizeof(if_descr))) ||
		             (vb->name_length == 12 &&
		                 !memcmp(
		                     vb->name, if_name, sizeof(if_name)))) &&
		         vb->type == ASN_OCTET_STR && vb->val_len < 100) {
			char *t = s_printable(vb->val.string, vb->val_len);
			snprintf(comp, sizeof(comp), "%s", t);
			free(t);
		} else if (vb->name_length == 11 &&
		           !memcmp(vb->name, if_index, sizeof(if_index)) &&
		           vb->type == ASN_INTEGER && !comp[0])
			snprintf(comp, sizeof(comp), "ifIndex %ld",
			    *vb->val.integer);
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(toid, known[i].oid)) {
			name = known[i].name;
			sev = known[i].sev;
		}
	pthread_mutex_lock(&st->mu);
	st->received++;
	dev = find_device(st, ip, pdu);
	if (!dev)
		st->unknown++;
	pthread_mutex_unlock(&st->mu);
	snprintf(msg, sizeof(msg), "%s from %s%s%s", name ? name : toid, ip,
	    comp[0] ? ": " : "", comp);
	ev.target = dev; /* NULL: not a configured device: the local host */
	ev.kind = "trap";
	ev.component = comp[0] ? comp : (name ? name : toid);
	ev.severity = sev;
	ev.after = name ? name : toid;
	ev.message = msg;
	cp_event(st->ctx, &ev);
	if (dev && name && !strcmp(name, "entConfigChange"))
		request_repoll(st, dev);
	return 1;
}

static void
on_readable(struct cp_ctx *ctx, int fd, unsigned events, void *arg)
{
	struct state *st = arg;
	netsnmp_large_fd_set set;
	(void)ctx;
	(void)events;

	netsnmp_large_fd_set_init(&set, fd + 1);
	NETSNMP_LARGE_FD_SET(fd, &set);
	snmp_sess_read2(st->sess, &set);
	netsnmp_large_fd_set_cleanup(&set);
}

static int
trap_start(struct cp_ctx *ctx, void *state)
{
	struct state *st = state;
	netsnmp_transport *t;
	netsnmp_session s;
	int rc;

	se_lib_init();
	for (size_t i = 0; i < st->nusers; i++) {
		/* usm_parse_create_usmUser edits its line: a copy. */
		char *copy = s_strdup(st->users[i]);
		usm_parse_create_usmUser("createUser", copy);
		memset(copy, 0, strlen(copy));
		free(copy);
	}
	t = netsnmp_transport_open_server("snmptrap", st->listen);
	if (!t) {
		cp_log_warnx(ctx, "cannot listen on %s", st->listen);
		return -EADDRINUSE;
	}
	snmp_sess_init(&s);
	s.version = SNMP_DEFAULT_VERSION;
	s.peername = SNMP_DEFAULT_PEERNAME;
	s.local_port = 0;
	s.isAuthoritative = SNMP_SESS_UNKNOWNAUTH;
	s.callback = trap_cb;
	s.callback_magic = st;
	st->sess = snmp_sess_add(&s, t, NULL, NULL);
	if (!st->sess) {
		cp_log_warnx(
		    ctx, "cannot open the trap session on %s", st->listen);
		return -EIO;
	}
	st->fd = t->sock;
	rc = cp_watch_fd(ctx, st->fd, CP_FD_READ, on_readable, st);
	if (rc < 0) {
		cp_log_warnx(
		    ctx, "cannot watch the trap socket: %s", strerror(-rc));
		return rc;
	}
	cp_log_info(ctx, "receiving traps on %s", st->listen);
	return 0;
}

static int
trap_collect(struct cp_ctx *ctx, void *state)
{
	struct state *st = state;
	struct cp_sample s = {0};
	uint64_t rec, unk;

	pthread_mutex_lock(&st->mu);
	rec = st->received;
	unk = st->unknown;
	pthread_mutex_unlock(&st->mu);
	s.metric = "snmp_traps_total";
	s.help = "SNMP traps received";
	s.kind = CP_COUNTER64;
	s.counter = rec;
	cp_emit(ctx, &s);
	s.metric = "snmp_traps_unknown_source_total";
	s.help = "SNMP traps from no configured device";
	s.counter = unk;
	cp_emit(ctx, &s);
	return 0;
}

static void
trap_stop(void *state)
{
	struct state *st = state;
	if (st && st->sess) {
		if (st->fd >= 0)
			cp_unwatch_fd(st->ctx, st->fd);
		snmp_sess_close(st->sess);
	}
	st_free(st);
}

CP_EXPORT const struct cp_collector cp_collector = {
    .abi = CP_ABI_VERSION,
    .name = "snmp_trap",
    .configure = trap_configure,
    .start = trap_start,
    .collect = trap_collect,
    .stop = trap_stop,
};
