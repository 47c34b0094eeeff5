// SPDX-License-Identifier: MIT
/*
 * `chokepoint pcap FILE [-c CONFIG] [--json]`: the pcap collector's
 * analysis engine run over a capture file, printed as a report (text, or
 * JSON for scripts and tests). Same options as `collectors.pcap`; the
 * file's every packet is read unless a `filter` is configured. With
 * `-i IFACE [-d DURATION]` it captures live instead, like the collector.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/pcap/analyzer.h"
#include "collectors/pcap/capture.h"
#include "collectors/pcap/options.h"
#include "config.h"
#include "pcap_cmd.h"
#include "util.h"

static void
usage(FILE *fp)
{
	fputs(
	    "usage: chokepoint pcap FILE [-c CONFIG] [--json] [--top N]\n"
	    "                       [--port PORT]... [--vip ADDR]...\n"
	    "       chokepoint pcap -i IFACE... [-d DURATION] [same options]\n"
	    "Analyse a capture file, or capture live (until DURATION or\n"
	    "SIGINT): per service port TCP health, response times (HTTP,\n"
	    "PostgreSQL, MySQL, TLS), top talkers, DSR VIPs.\n",
	    fp);
}

static json_t *
hist_json(const struct lhist *h)
{
	return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "count",
	    (json_int_t)h->count, "p50", lhist_quantile(h, 0.5), "p95",
	    lhist_quantile(h, 0.95), "p99", lhist_quantile(h, 0.99), "mean",
	    lhist_mean(h), "min", h->count ? h->min_us / 1e6 : 0.0, "max",
	    h->max_us / 1e6);
}

static const char *
proto_name(uint8_t proto, char *buf, size_t size)
{
	if (proto == 6)
		return "tcp";
	if (proto == 17)
		return "udp";
	if (proto == 1 || proto == 58)
		return "icmp";
	snprintf(buf, size, "ip%u", proto);
	return buf;
}

struct live {
	pcap_t *h[AN_MAX_IFACES];
	const char *name[AN_MAX_IFACES];
	size_t n;
};

static json_t *
live_json(const struct live *lv)
{
	json_t *a = json_array();
	struct pcap_stat ps;
	size_t i;

	for (i = 0; i < lv->n; i++) {
		if (pcap_stats(lv->h[i], &ps) < 0)
			continue;
		json_array_append_new(
		    a, json_pack("{s:s,s:I,s:I,s:I}", "iface", lv->name[i],
		           "received", (json_int_t)ps.ps_recv, "dropped",
		           (json_int_t)ps.ps_drop, "ifdropped",
		           (json_int_t)ps.ps_ifdrop));
	}
	return a;
}

static json_t *
report_json(const struct analyzer *an, const char *file, size_t top_n)
{
	json_t *root = json_object(), *ports = json_array(),
	       *vips = json_array(), *talk = json_array();
	struct an_talker *tt = xcalloc(top_n ? top_n : 1, sizeof(*tt));
	struct an_totals t;
	char a[64], b[64], pb[16];
	size_t i, n;
	int k;

	analyzer_totals(an, &t);
	json_object_set_new(root, "file", json_string(file));
	json_object_set_new(root, "totals",
	    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	              "s:I}",
	        "packets", (json_int_t)t.packets, "ipv4", (json_int_t)t.ipv4,
	        "ipv6", (json_int_t)t.ipv6, "vlan", (json_int_t)t.vlan, "tcp",
	        (json_int_t)t.tcp, "udp", (json_int_t)t.udp, "other_l4",
	        (json_int_t)t.other_l4, "non_ip", (json_int_t)t.non_ip,
	        "truncated", (json_int_t)t.truncated, "malformed",
	        (json_int_t)t.malformed, "flows", (json_int_t)t.flows,
	        "flow_capacity", (json_int_t)t.flow_capacity,
	        "flow_memory_bytes", (json_int_t)t.flow_memory,
	        "flow_evictions", (json_int_t)t.flow_evictions));
	for (i = 0; i < analyzer_nports(an); i++) {
		const struct an_port *p = analyzer_port(an, i);
		json_t *o = json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
		                      "s:I,s:I}",
		    "port", (int)p->port, "connections",
		    (json_int_t)p->connections, "established",
		    (json_int_t)p->established, "syn_unanswered",
		    (json_int_t)p->syn_unanswered, "retransmits",
		    (json_int_t)p->retransmits, "zero_windows",
		    (json_int_t)p->zero_windows, "resets",
		    (json_int_t)p->resets, "packets_in",
		    (json_int_t)p->packets_in, "packets_out",
		    (json_int_t)p->packets_out, "bytes_in",
		    (json_int_t)p->bytes_in, "bytes_out",
		    (json_int_t)p->bytes_out);

		json_object_set_new(o, "handshake", hist_json(&p->handshake));
		for (k = 0; k < AN_NAPPS; k++)
			json_object_set_new(
			    o, an_app_name(k), hist_json(&p->app[k]));
		json_object_set_new(
		    o, "tls_handshake", hist_json(&p->tls_handshake));
		json_object_set_new(
		    o, "tls_first_data", hist_json(&p->tls_first_data));
		json_array_append_new(ports, o);
	}
	json_object_set_new(root, "ports", ports);
	for (i = 0; i < analyzer_nvips(an); i++) {
		const struct an_vip *v = analyzer_vip(an, i);

		json_array_append_new(vips,
		    json_pack("{s:s,s:I,s:I,s:I,s:I}", "vip",
		        an_addr_format(v->addr.af, v->addr.a, a, sizeof(a)),
		        "request_packets", (json_int_t)v->req_packets,
		        "request_bytes", (json_int_t)v->req_bytes,
		        "response_packets", (json_int_t)v->resp_packets,
		        "response_bytes", (json_int_t)v->resp_bytes));
	}
	json_object_set_new(root, "vips", vips);
	n = analyzer_top_talkers(an, tt, top_n);
	for (i = 0; i < n; i++)
		json_array_append_new(
		    talk, json_pack("{s:s,s:s,s:s,s:i,s:I,s:I}", "src",
		              an_addr_format(tt[i].af, tt[i].src, a, sizeof(a)),
		              "dst",
		              an_addr_format(tt[i].af, tt[i].dst, b, sizeof(b)),
		              "proto", proto_name(tt[i].proto, pb, sizeof(pb)),
		              "port", (int)tt[i].port, "bytes",
		              (json_int_t)tt[i].bytes, "packets",
		              (json_int_t)tt[i].packets));
	json_object_set_new(root, "top_talkers", talk);
	json_object_set_new(root, "talker_overflow_bytes",
	    json_integer((json_int_t)t.talker_overflow_bytes));
	free(tt);
	return root;
}

static void
print_hist(FILE *fp, const char *name, const json_t *h)
{
	json_int_t n = json_integer_value(json_object_get(h, "count"));

	if (n == 0)
		return;
	fprintf(fp,
	    "  %-15s n=%-6lld p50 %9.3f ms  p95 %9.3f ms  "
	    "p99 %9.3f ms  max %9.3f ms\n",
	    name, (long long)n,
	    json_real_value(json_object_get(h, "p50")) * 1e3,
	    json_real_value(json_object_get(h, "p95")) * 1e3,
	    json_real_value(json_object_get(h, "p99")) * 1e3,
	    json_real_value(json_object_get(h, "max")) * 1e3);
}

#define JI(o, k) ((long long)json_integer_value(json_object_get((o), (k))))

static void
print_text(FILE *fp, const json_t *r)
{
	static const char *const hists[] = {"handshake", "http", "postgresql",
	    "mysql", "tls_handshake", "tls_first_data"};
	const json_t *t = json_object_get(r, "totals"), *p, *v, *a, *ports;
	size_t i, k;

	fprintf(
	    fp, "capture %s\n", json_string_value(json_object_get(r, "file")));
	fprintf(fp,
	    "packets %lld: ipv4 %lld, ipv6 %lld, vlan-tagged %lld; tcp %lld, "
	    "udp %lld, other %lld; not ip %lld, truncated %lld, malformed "
	    "%lld\n",
	    JI(t, "packets"), JI(t, "ipv4"), JI(t, "ipv6"), JI(t, "vlan"),
	    JI(t, "tcp"), JI(t, "udp"), JI(t, "other_l4"), JI(t, "non_ip"),
	    JI(t, "truncated"), JI(t, "malformed"));
	fprintf(fp, "flows %lld open of %lld (%.1f MiB cap), %lld evicted\n",
	    JI(t, "flows"), JI(t, "flow_capacity"),
	    (double)JI(t, "flow_memory_bytes") / 1048576.0,
	    JI(t, "flow_evictions"));
	ports = json_object_get(r, "ports");
	for (i = 0; i < json_array_size(ports); i++) {
		p = json_array_get(ports, i);
		if (JI(p, "packets_in") + JI(p, "packets_out") == 0 &&
		    JI(p, "resets") == 0)
			continue;
		fprintf(fp,
		    "\nport %lld: connections %lld, established %lld, SYN "
		    "unanswered %lld, retransmits %lld, zero windows %lld, "
		    "resets %lld\n  in %lld packets %lld bytes, out %lld "
		    "packets %lld bytes\n",
		    JI(p, "port"), JI(p, "connections"), JI(p, "established"),
		    JI(p, "syn_unanswered"), JI(p, "retransmits"),
		    JI(p, "zero_windows"), JI(p, "resets"), JI(p, "packets_in"),
		    JI(p, "bytes_in"), JI(p, "packets_out"),
		    JI(p, "bytes_out"));
		for (k = 0; k < ARRAY_SIZE(hists); k++)
			print_hist(fp, hists[k], json_object_get(p, hists[k]));
	}
	if (json_array_size(json_object_get(r, "vips")))
		fputs(
		    "\nDSR VIPs (requests in / responses straight out)\n", fp);
	a = json_object_get(r, "vips");
	for (i = 0; i < json_array_size(a); i++) {
		v = json_array_get(a, i);
		fprintf(fp,
		    "  %-39s in %lld packets %lld bytes, out %lld packets "
		    "%lld bytes\n",
		    json_string_value(json_object_get(v, "vip")),
		    JI(v, "request_packets"), JI(v, "request_bytes"),
		    JI(v, "response_packets"), JI(v, "response_bytes"));
	}
	if (json_array_size(json_object_get(r, "top_talkers")))
		fputs("\ntop talkers\n", fp);
	a = json_object_get(r, "top_talkers");
	for (i = 0; i < json_array_size(a); i++) {
		v = json_array_get(a, i);
		fprintf(fp,
		    "  %-39s -> %-39s %s/%lld %lld bytes %lld packets\n",
		    json_string_value(json_object_get(v, "src")),
		    json_string_value(json_object_get(v, "dst")),
		    json_string_value(json_object_get(v, "proto")),
		    JI(v, "port"), JI(v, "bytes"), JI(v, "packets"));
	}
}

static volatile sig_atomic_t stop_flag;

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/*
 * Capture on ifaces until duration_ms (0: until SIGINT/SIGTERM) with the
 * collector's snaplen, buffer and filter. Returns an exit status.
 */
static int
live_capture(struct analyzer *an, const struct pcap_opts *o,
    const char **ifaces, size_t n, int64_t duration_ms, struct live *lv)
{
	struct pollfd pfd[AN_MAX_IFACES];
	struct sigaction sa;
	char err[PCAP_ERRBUF_SIZE + 128];
	char *filter = pcap_opts_filter(o);
	int64_t end = duration_ms ? mono_ms() + duration_ms : 0, left;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		lv->h[i] = capture_open_live(ifaces[i], o->snaplen,
		    o->buffer_mb, filter, err, sizeof(err));
		if (lv->h[i] == NULL) {
			fprintf(stderr, "chokepoint pcap: %s\n", err);
			free(filter);
			return 1;
		}
		lv->name[i] = ifaces[i];
		lv->n++;
		pfd[i].fd = pcap_get_selectable_fd(lv->h[i]);
		pfd[i].events = POLLIN;
	}
	free(filter);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop_flag) {
		left = end ? end - mono_ms() : 200;
		if (left <= 0)
			break;
		if (poll(pfd, n, (int)(left < 200 ? left : 200)) < 0 &&
		    errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			while ((k = capture_dispatch(
			            lv->h[i], an, (unsigned)i, 512)) == 512)
				;
			if (k < 0) {
				fprintf(stderr, "chokepoint pcap: %s: %s\n",
				    ifaces[i], pcap_geterr(lv->h[i]));
				return 1;
			}
		}
	}
	for (i = 0; i < n; i++)
		capture_dispatch(lv->h[i], an, (unsigned)i, -1);
	analyzer_expire(an, now_ms() * 1000000, 1);
	return 0;
}

/* Options from -c CONFIG's collectors.pcap; errors printed. */
static int
load_config(const char *path, struct pcap_opts *o)
{
	const struct collector_cfg *cc;
	struct cfg_errs errs;
	struct config *cfg;
	int rc = 0;

	cfg_errs_init(&errs);
	cfg = config_load(path, &errs);
	if (cfg == NULL) {
		cfg_errs_print(&errs, stderr);
		cfg_errs_fini(&errs);
		return -EINVAL;
	}
	cc = config_collector(cfg, "pcap");
	if (cc && cc->node) {
		cfgdoc_set_errs(cfg->doc, &errs);
		cfg_node_clear_used(cc->node);
		cfg_node_mark_used(cc->node, "interval");
		rc = pcap_opts_parse(o, cc->node);
		cfg_node_report_unused(cc->node, "collector 'pcap'");
		if (errs.n) {
			cfg_errs_print(&errs, stderr);
			rc = -EINVAL;
		}
		cfgdoc_set_errs(cfg->doc, NULL);
	}
	config_free(cfg);
	cfg_errs_fini(&errs);
	return rc;
}

int
pcap_cmd_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"top", required_argument, NULL, 't'},
	    {"port", required_argument, NULL, 'p'},
	    {"vip", required_argument, NULL, 'v'},
	    {"interface", required_argument, NULL, 'i'},
	    {"duration", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *ifaces[AN_MAX_IFACES];
	int json = 0, c, rc = 0, cli_ports = 0;
	size_t nifaces = 0;
	int64_t duration_ms = 0;
	struct live lv;
	long top = -1;
	char err[512], *end;
	struct pcap_opts o;
	struct analyzer *an = NULL;
	json_t *r;

	pcap_opts_init(&o);
	memset(&lv, 0, sizeof(lv));
	optind = 1;
	while ((c = getopt_long(
	            argc, argv, "c:jt:p:v:i:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 't':
			top = strtol(optarg, &end, 10);
			if (*end || top < 0 || top > 1000) {
				fprintf(stderr,
				    "chokepoint pcap: --top: "
				    "expected 0-1000, got '%s'\n",
				    optarg);
				rc = 2;
				goto out;
			}
			break;
		case 'p': {
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 65535 ||
			    (size_t)cli_ports >= AN_MAX_PORTS) {
				fprintf(stderr,
				    "chokepoint pcap: --port: "
				    "expected 1-65535, got '%s'\n",
				    optarg);
				rc = 2;
				goto out;
			}
			o.an.ports[cli_ports++] = (uint16_t)v;
			o.an.nports = (size_t)cli_ports;
			break;
		}
		case 'v':
			if (o.an.nvips == AN_MAX_VIPS ||
			    an_addr_parse(optarg, &o.an.vips[o.an.nvips]) < 0) {
				fprintf(stderr,
				    "chokepoint pcap: --vip: "
				    "expected an IP address, got '%s'\n",
				    optarg);
				rc = 2;
				goto out;
			}
			o.an.nvips++;
			break;
		case 'i':
			if (nifaces == AN_MAX_IFACES) {
				fprintf(stderr,
				    "chokepoint pcap: at most %d "
				    "interfaces\n",
				    AN_MAX_IFACES);
				rc = 2;
				goto out;
			}
			ifaces[nifaces++] = optarg;
			break;
		case 'd':
			if (duration_parse(optarg, &duration_ms) < 0 ||
			    duration_ms <= 0) {
				fprintf(stderr,
				    "chokepoint pcap: --duration: "
				    "expected e.g. 10s or 500ms, got "
				    "'%s'\n",
				    optarg);
				rc = 2;
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			usage(stderr);
			rc = 2;
			goto out;
		}
	}
	if (optind != argc - (nifaces ? 0 : 1)) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	if (config && load_config(config, &o) < 0) {
		rc = 1;
		goto out;
	}
	if (top >= 0)
		o.top_n = (size_t)top;
	an = analyzer_new(&o.an);
	if (an == NULL) {
		fprintf(stderr, "chokepoint pcap: out of memory\n");
		rc = 1;
		goto out;
	}
	if (nifaces) {
		rc = live_capture(an, &o, ifaces, nifaces, duration_ms, &lv);
		if (rc != 0)
			goto out;
	} else if (capture_file(an, argv[optind], o.filter, err, sizeof(err)) <
	           0) {
		fprintf(stderr, "chokepoint pcap: %s\n", err);
		rc = 1;
		if (analyzer_iface(an, 0)->packets == 0)
			goto out;
	}
	r = report_json(an, nifaces ? ifaces[0] : argv[optind], o.top_n);
	if (nifaces)
		json_object_set_new(r, "capture", live_json(&lv));
	if (json) {
		json_dumpf(r, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
		fputc('\n', stdout);
	} else {
		print_text(stdout, r);
	}
	json_decref(r);
out:
	for (size_t i = 0; i < lv.n; i++)
		pcap_close(lv.h[i]);
	analyzer_free(an);
	pcap_opts_fini(&o);
	return rc;
}
