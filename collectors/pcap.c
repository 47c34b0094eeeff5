// SPDX-License-Identifier: MIT
/*
 * pcap collector: passive traffic analysis on live interfaces. A capture
 * thread feeds packets to the analyzer (collectors/pcap/analyzer.c, also
 * behind `chokepoint pcap FILE`); collect() snapshots it, emits the
 * interval's metrics and stores the top talkers as inventory.
 *
 * Config (collectors.pcap): interfaces [any], ports [80 443 3306 5432
 * 6379], vips [], filter (default: built from ports and vips), user,
 * top_talkers 10, snaplen 256, buffer_mb 8, flow_memory_mb 16,
 * syn_timeout 3s, idle_timeout 5m.
 *
 * Metrics (target: the local host; counters become _per_second rates):
 *   tcp_connections_total{port}      connection attempts (first SYNs)
 *   tcp_established_total{port}      handshakes completed
 *   tcp_syn_unanswered_total{port}   SYNs without a SYN-ACK (backlog drops)
 *   tcp_retransmits_total{port}      segments sent again, both directions
 *   tcp_zero_windows_total{port}     segments advertising a zero window
 *   tcp_resets_total{port}           connections reset
 *   tcp_bytes_in_total{port}, tcp_bytes_out_total{port}      IP bytes
 *   tcp_packets_in_total{port}, tcp_packets_out_total{port}
 *   tcp_handshake_seconds{port,quantile}        SYN -> ACK of the SYN-ACK
 *   app_response_seconds{port,proto,quantile}   request -> first response
 *                                   byte; proto http|postgresql|mysql
 *   app_responses_total{port,proto}
 *   tls_handshake_seconds{port,quantile}    ClientHello -> client data
 *   tls_first_data_seconds{port,quantile}   client data -> server data
 *   dsr_request_packets_total{vip}, dsr_request_bytes_total{vip}
 *   dsr_response_packets_total{vip}, dsr_response_bytes_total{vip}
 *   pcap_packets_total{iface}        frames analysed
 *   pcap_drops_total{iface}          dropped by the kernel (pcap_stats)
 *   pcap_ifdrops_total{iface}        dropped by the interface
 *   pcap_malformed_total{iface}, pcap_truncated_total{iface}
 *   flow_evictions_total, flows_active, flow_table_bytes
 * Quantiles (0.5, 0.95, 0.99) are gauges over the last interval, absent
 * when nothing was measured. Top talkers: inventory kind "top_talkers",
 * key "IFACE/RANK", attributes iface src dst proto port bytes packets
 * bits_per_second.
 *
 * Privileges: every interface is opened in start(); then, only if `user`
 * is set, the data directory is given to that user and the whole agent
 * process switches to it (setgroups, setgid, setuid): this affects every
 * collector, so it is opt-in. The alternative is running the agent unprivileged
 * with CAP_NET_RAW (setcap cap_net_raw+ep on the binary, or systemd's
 * AmbientCapabilities=CAP_NET_RAW).
 */
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcap/analyzer.h"
#include "pcap/capture.h"
#include "pcap/options.h"
#include "plugin.h"

/* Packets handled per lock hold: bounds how long collect() waits. */
#define BATCH 512

struct pcap_state {
	struct cp_ctx *ctx;
	struct pcap_opts opts;
	char *filter;
	struct analyzer *an;
	pthread_mutex_t lock;
	pthread_t thread;
	int running;
	int wake[2]; /* stop pipe */
	pcap_t *h[AN_MAX_IFACES];
	size_t nh;
	char *hname[AN_MAX_IFACES];
	/* Snapshot buffers, reused each collect(). */
	struct an_port ports[AN_MAX_PORTS];
	struct an_vip vips[AN_MAX_VIPS];
	struct an_iface ifaces[AN_MAX_IFACES];
	struct pcap_stat ps[AN_MAX_IFACES];
	int ps_ok[AN_MAX_IFACES];
	struct an_talker *top;
};

static int
pcap_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **state)
{
	struct pcap_state *s = calloc(1, sizeof(*s));
	struct bpf_program prog;
	pcap_t *dead;
	int rc;

	if (s == NULL)
		return -ENOMEM;
	s->ctx = ctx;
	s->wake[0] = s->wake[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	*state = s;
	pcap_opts_init(&s->opts);
	rc = pcap_opts_parse(&s->opts, cfg);
	if (rc < 0)
		return rc;
	s->filter = pcap_opts_filter(&s->opts);
	/* A filter that does not compile is a config error, found here by
	 * `chokepoint check` rather than at start. */
	dead = pcap_open_dead(DLT_EN10MB, s->opts.snaplen);
	if (dead == NULL)
		return -ENOMEM;
	if (pcap_compile(dead, &prog, s->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		cp_cfg_error(cp_cfg_child(cfg, "filter")
		                 ? cp_cfg_child(cfg, "filter")
		                 : cfg,
		    "filter '%s': %s", s->filter, pcap_geterr(dead));
		pcap_close(dead);
		return -EINVAL;
	}
	pcap_freecode(&prog);
	pcap_close(dead);
	s->top = calloc(s->opts.top_n ? s->opts.top_n : 1, sizeof(*s->top));
	if (s->top == NULL)
		return -ENOMEM;
	return 0;
}

static void *
capture_thread(void *arg)
{
	struct pcap_state *s = arg;
	struct pollfd pfd[AN_MAX_IFACES + 1];
	size_t i;
	int n;

	for (i = 0; i < s->nh; i++) {
		pfd[i].fd = pcap_get_selectable_fd(s->h[i]);
		pfd[i].events = POLLIN;
	}
	pfd[s->nh].fd = s->wake[0];
	pfd[s->nh].events = POLLIN;
	for (;;) {
		/* The timeout also drains a buffer whose wakeup was missed. */
		if (poll(pfd, s->nh + 1, 200) < 0 && errno != EINTR)
			break;
		if (pfd[s->nh].revents)
			break;
		for (i = 0; i < s->nh; i++) {
			do {
				pthread_mutex_lock(&s->lock);
				n = capture_dispatch(
				    s->h[i], s->an, (unsigned)i, BATCH);
				pthread_mutex_unlock(&s->lock);
			} while (n == BATCH);
			if (n < 0)
				cp_log_warnx(s->ctx, "%s: capture: %s",
				    s->hname[i], pcap_geterr(s->h[i]));
		}
	}
	return NULL;
}

/* nftw() has no user argument: the owner to give the data directory. */
static uid_t chown_uid;
static gid_t chown_gid;

static int
chown_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)type;
	(void)ftw;
	/* lchown: a symlink planted in the data directory must not hand
	 * its target to the user. */
	if (st->st_uid != chown_uid && lchown(path, chown_uid, chown_gid) < 0)
		return -1;
	return 0;
}

/*
 * Switch the process to opts.user after the captures are open. The
 * agent's data directory (RRD files, the SQLite store, already created by
 * now) is handed to that user first, or the agent could no longer write
 * its own state.
 */
static int
drop_privileges(struct pcap_state *s)
{
	const char *dir = cp_data_dir(s->ctx);
	struct passwd *pw;

	if (s->opts.user == NULL)
		return 0;
	pw = getpwnam(s->opts.user);
	if (pw == NULL) {
		cp_log_warnx(s->ctx, "user '%s': no such user", s->opts.user);
		return -ENOENT;
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;
	chown_uid = pw->pw_uid;
	chown_gid = pw->pw_gid;
	if (dir && nftw(dir, chown_entry, 16, FTW_PHYS) < 0) {
		cp_log_warn(s->ctx, "%s: giving the data directory to '%s'",
		    dir, s->opts.user);
		return -EPERM;
	}
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		cp_log_warn(s->ctx, "switching to user '%s'", s->opts.user);
		return -EPERM;
	}
	/* setuid() is process-wide (glibc applies it to every thread). */
	cp_log_info(s->ctx,
	    "captures open; agent now runs as user '%s' (uid %u)", s->opts.user,
	    (unsigned)pw->pw_uid);
	return 0;
}

static int
pcap_start(struct cp_ctx *ctx, void *state)
{
	struct pcap_state *s = state;
	char err[PCAP_ERRBUF_SIZE + 128];
	size_t i;
	int rc;

	s->an = analyzer_new(&s->opts.an);
	if (s->an == NULL)
		return -ENOMEM;
	for (i = 0; i < s->opts.nifaces; i++) {
		pcap_t *h =
		    capture_open_live(s->opts.ifaces[i], s->opts.snaplen,
		        s->opts.buffer_mb, s->filter, err, sizeof(err));

		if (h == NULL) {
			cp_log_warnx(ctx, "%s", err);
			cp_count_error(ctx);
			continue;
		}
		s->hname[s->nh] = s->opts.ifaces[i];
		s->h[s->nh++] = h;
	}
	if (s->nh == 0)
		return -ENODEV;
	rc = drop_privileges(s);
	if (rc < 0)
		return rc;
	if (pipe(s->wake) < 0)
		return -errno;
	rc = pthread_create(&s->thread, NULL, capture_thread, s);
	if (rc != 0)
		return -rc;
	s->running = 1;
	cp_log_info(ctx, "capturing on %zu interface(s), filter '%s'", s->nh,
	    s->filter);
	return 0;
}

/* ------------------------------------------------------------ emit */

static void
emit(struct cp_ctx *ctx, const char *metric, const struct cp_label *l,
    size_t nl, enum cp_kind kind, double value)
{
	struct cp_sample smp;

	memset(&smp, 0, sizeof(smp));
	smp.metric = metric;
	smp.labels = l;
	smp.nlabels = nl;
	smp.kind = kind;
	if (kind == CP_GAUGE)
		smp.value = value;
	else
		smp.counter = (uint64_t)value;
	cp_emit(ctx, &smp);
}

static void
emit_counter(struct cp_ctx *ctx, const char *metric, const struct cp_label *l,
    size_t nl, uint64_t v)
{
	struct cp_sample smp;

	memset(&smp, 0, sizeof(smp));
	smp.metric = metric;
	smp.labels = l;
	smp.nlabels = nl;
	smp.kind = CP_COUNTER64;
	smp.counter = v;
	cp_emit(ctx, &smp);
}

/* p50/p95/p99 of h as `metric{labels..., quantile}`; nothing if empty. */
static void
emit_quantiles(struct cp_ctx *ctx, const char *metric, struct cp_label *l,
    size_t nl, const struct lhist *h)
{
	static const char *const qs[] = {"0.5", "0.95", "0.99"};
	static const double qv[] = {0.5, 0.95, 0.99};
	size_t i;

	if (h->count == 0)
		return;
	for (i = 0; i < 3; i++) {
		l[nl].key = "quantile";
		l[nl].value = qs[i];
		emit(
		    ctx, metric, l, nl + 1, CP_GAUGE, lhist_quantile(h, qv[i]));
	}
}

static void
emit_port(struct cp_ctx *ctx, const struct an_port *p)
{
	struct cp_label l[3];
	char port[8];
	int a;

	snprintf(port, sizeof(port), "%u", p->port);
	l[0].key = "port";
	l[0].value = port;
	emit_counter(ctx, "tcp_connections_total", l, 1, p->connections);
	emit_counter(ctx, "tcp_established_total", l, 1, p->established);
	emit_counter(ctx, "tcp_syn_unanswered_total", l, 1, p->syn_unanswered);
	emit_counter(ctx, "tcp_retransmits_total", l, 1, p->retransmits);
	emit_counter(ctx, "tcp_zero_windows_total", l, 1, p->zero_windows);
	emit_counter(ctx, "tcp_resets_total", l, 1, p->resets);
	emit_counter(ctx, "tcp_bytes_in_total", l, 1, p->bytes_in);
	emit_counter(ctx, "tcp_bytes_out_total", l, 1, p->bytes_out);
	emit_counter(ctx, "tcp_packets_in_total", l, 1, p->packets_in);
	emit_counter(ctx, "tcp_packets_out_total", l, 1, p->packets_out);
	emit_quantiles(ctx, "tcp_handshake_seconds", l, 1, &p->handshake);
	emit_quantiles(ctx, "tls_handshake_seconds", l, 1, &p->tls_handshake);
	emit_quantiles(ctx, "tls_first_data_seconds", l, 1, &p->tls_first_data);
	for (a = 0; a < AN_NAPPS; a++) {
		l[1].key = "proto";
		l[1].value = an_app_name(a);
		if (p->responses[a] == 0)
			continue; /* no series for protocols never seen */
		emit_counter(ctx, "app_responses_total", l, 2, p->responses[a]);
		emit_quantiles(ctx, "app_response_seconds", l, 2, &p->app[a]);
	}
}

static void
emit_talkers(struct pcap_state *s, size_t n, int64_t interval_ms)
{
	struct cp_inventory_item *items = calloc(n ? n : 1, sizeof(*items));
	struct cp_label *attrs = calloc((n ? n : 1) * 8, sizeof(*attrs));
	char(*buf)[8][64] = calloc(n ? n : 1, sizeof(*buf));
	char(*key)[80] = calloc(n ? n : 1, sizeof(*key));
	size_t i;
	int rank[AN_MAX_IFACES] = {0};

	if (items == NULL || attrs == NULL || buf == NULL || key == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const struct an_talker *t = &s->top[i];
		struct cp_label *a = &attrs[i * 8];
		const char *ifname =
		    t->iface < s->nh ? s->hname[t->iface] : "?";

		snprintf(key[i], sizeof(key[i]), "%s/%d", ifname,
		    ++rank[t->iface % AN_MAX_IFACES]);
		snprintf(buf[i][0], 64, "%s", ifname);
		an_addr_format(t->af, t->src, buf[i][1], 64);
		an_addr_format(t->af, t->dst, buf[i][2], 64);
		snprintf(buf[i][3], 64, "%s",
		    t->proto == 6    ? "tcp"
		    : t->proto == 17 ? "udp"
		                     : "ip");
		snprintf(buf[i][4], 64, "%u", t->port);
		snprintf(buf[i][5], 64, "%llu", (unsigned long long)t->bytes);
		snprintf(buf[i][6], 64, "%llu", (unsigned long long)t->packets);
		snprintf(buf[i][7], 64, "%.0f",
		    interval_ms > 0
		        ? (double)t->bytes * 8000.0 / (double)interval_ms
		        : 0.0);
		a[0] = (struct cp_label){"iface", buf[i][0]};
		a[1] = (struct cp_label){"src", buf[i][1]};
		a[2] = (struct cp_label){"dst", buf[i][2]};
		a[3] = (struct cp_label){"proto", buf[i][3]};
		a[4] = (struct cp_label){"port", buf[i][4]};
		a[5] = (struct cp_label){"bytes", buf[i][5]};
		a[6] = (struct cp_label){"packets", buf[i][6]};
		a[7] = (struct cp_label){"bits_per_second", buf[i][7]};
		items[i].key = key[i];
		items[i].attrs = a;
		items[i].nattrs = 8;
	}
	cp_inventory_put(s->ctx, NULL, "top_talkers", items, n);
out:
	free(items);
	free(attrs);
	free(buf);
	free(key);
}

static int
pcap_collect(struct cp_ctx *ctx, void *state)
{
	struct pcap_state *s = state;
	struct an_totals t;
	struct cp_label l[1];
	size_t np, nv, ntop, i;
	int64_t now = cp_now_ms(ctx);

	if (s->an == NULL)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	analyzer_expire(s->an, now * 1000000, 0);
	np = analyzer_nports(s->an);
	for (i = 0; i < np; i++)
		s->ports[i] = *analyzer_port(s->an, i);
	nv = analyzer_nvips(s->an);
	for (i = 0; i < nv; i++)
		s->vips[i] = *analyzer_vip(s->an, i);
	for (i = 0; i < s->nh; i++) {
		s->ifaces[i] = *analyzer_iface(s->an, (unsigned)i);
		s->ps_ok[i] = pcap_stats(s->h[i], &s->ps[i]) == 0;
	}
	analyzer_totals(s->an, &t);
	ntop = analyzer_top_talkers(s->an, s->top, s->opts.top_n);
	analyzer_reset_interval(s->an);
	pthread_mutex_unlock(&s->lock);

	for (i = 0; i < np; i++)
		emit_port(ctx, &s->ports[i]);
	for (i = 0; i < nv; i++) {
		char a[64];

		l[0].key = "vip";
		l[0].value = an_addr_format(
		    s->vips[i].addr.af, s->vips[i].addr.a, a, sizeof(a));
		emit_counter(ctx, "dsr_request_packets_total", l, 1,
		    s->vips[i].req_packets);
		emit_counter(
		    ctx, "dsr_request_bytes_total", l, 1, s->vips[i].req_bytes);
		emit_counter(ctx, "dsr_response_packets_total", l, 1,
		    s->vips[i].resp_packets);
		emit_counter(ctx, "dsr_response_bytes_total", l, 1,
		    s->vips[i].resp_bytes);
	}
	for (i = 0; i < s->nh; i++) {
		l[0].key = "iface";
		l[0].value = s->hname[i];
		emit_counter(
		    ctx, "pcap_packets_total", l, 1, s->ifaces[i].packets);
		emit_counter(
		    ctx, "pcap_malformed_total", l, 1, s->ifaces[i].malformed);
		emit_counter(
		    ctx, "pcap_truncated_total", l, 1, s->ifaces[i].truncated);
		if (s->ps_ok[i]) {
			/* pcap_stats() counters are 32-bit and wrap. */
			emit(ctx, "pcap_drops_total", l, 1, CP_COUNTER32,
			    s->ps[i].ps_drop);
			emit(ctx, "pcap_ifdrops_total", l, 1, CP_COUNTER32,
			    s->ps[i].ps_ifdrop);
		}
	}
	emit_counter(ctx, "flow_evictions_total", NULL, 0, t.flow_evictions);
	emit(ctx, "flows_active", NULL, 0, CP_GAUGE, (double)t.flows);
	emit(ctx, "flow_table_bytes", NULL, 0, CP_GAUGE, (double)t.flow_memory);
	emit_talkers(s, ntop, cp_interval_ms(ctx));
	return 0;
}

static void
pcap_stop(void *state)
{
	struct pcap_state *s = state;
	size_t i;

	if (s == NULL)
		return;
	if (s->running) {
		/* One byte into our own empty pipe cannot block or fail. */
		ssize_t w = write(s->wake[1], "x", 1);

		(void)w;
		pthread_join(s->thread, NULL);
	}
	for (i = 0; i < s->nh; i++)
		pcap_close(s->h[i]);
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	analyzer_free(s->an);
	pcap_opts_fini(&s->opts);
	free(s->filter);
	free(s->top);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

CP_EXPORT const struct cp_collector cp_collector = {
    .abi = CP_ABI_VERSION,
    .name = "pcap",
    .configure = pcap_configure,
    .start = pcap_start,
    .collect = pcap_collect,
    .stop = pcap_stop,
};
