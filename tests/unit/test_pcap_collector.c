// SPDX-License-Identifier: MIT
/*
 * The pcap collector as the agent drives it: the plugin loaded from
 * build/collectors/pcap.so, configured from YAML, and (as root) capturing
 * on lo while this test runs HTTP exchanges with a known server delay
 * against a socket on 127.0.0.1; the samples must count them exactly.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "ctx.h"
#include "util.h"

#define MAXS 512

struct got {
	struct {
		char metric[64];
		char labels[128];
		double value;
	} s[MAXS];
	size_t n;
	size_t ntalkers;
	char talker0[256];
};

static int
on_sample(void *arg, struct cp_ctx *ctx, const struct cp_sample *s)
{
	struct got *g = arg;
	size_t i, off = 0;

	(void)ctx;
	if (g->n == MAXS)
		return 0;
	snprintf(g->s[g->n].metric, sizeof(g->s[0].metric), "%s", s->metric);
	g->s[g->n].labels[0] = '\0';
	for (i = 0; i < s->nlabels; i++)
		off += (size_t)snprintf(g->s[g->n].labels + off,
		    sizeof(g->s[0].labels) - off, "%s%s=%s", i ? "," : "",
		    s->labels[i].key, s->labels[i].value);
	g->s[g->n].value = s->kind == CP_GAUGE ? s->value : (double)s->counter;
	g->n++;
	return 0;
}

static int
on_inventory(void *arg, struct cp_ctx *ctx, const char *target,
    const char *kind, const struct cp_inventory_item *items, size_t n)
{
	struct got *g = arg;
	size_t i, off = 0;

	(void)ctx;
	(void)target;
	if (strcmp(kind, "top_talkers") != 0)
		return 0;
	g->ntalkers = n;
	if (n > 0)
		for (i = 0; i < items[0].nattrs; i++)
			off += (size_t)snprintf(g->talker0 + off,
			    sizeof(g->talker0) - off, "%s=%s ",
			    items[0].attrs[i].key, items[0].attrs[i].value);
	return 0;
}

/* The value of metric{labels} or -1. */
static double
value(const struct got *g, const char *metric, const char *labels)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->s[i].metric, metric) == 0 &&
		    strcmp(g->s[i].labels, labels) == 0)
			return g->s[i].value;
	return -1;
}

struct fixture {
	struct plugin *p;
	struct cp_ctx *ctx;
	struct cfgdoc *doc;
	struct cfg_errs errs;
	struct got got;
	void *state;
};

static int
setup(struct fixture *f, const char *yaml)
{
	static const struct ctx_env env = {
	    "testhost", "/proc", "/sys", "/tmp", NULL};
	struct ctx_sink sink;
	char path[256], err[256];
	const char *b = getenv("BUILD");

	snprintf(path, sizeof(path), "%s/collectors/pcap.so", b ? b : "build");
	f->p = plugin_load(path, err, sizeof(err));
	if (f->p == NULL) {
		fail_msg("%s", err);
		return -1;
	}
	memset(&sink, 0, sizeof(sink));
	sink.sample = on_sample;
	sink.inventory = on_inventory;
	sink.arg = &f->got;
	f->ctx = ctx_new(f->p, NULL, &env, &sink, 1000);
	cfg_errs_init(&f->errs);
	f->doc = cfgdoc_parse("test.yaml", yaml, strlen(yaml), &f->errs);
	assert_non_null(f->doc);
	return ctx_configure(f->ctx, cfgdoc_root(f->doc), &f->state);
}

static void
teardown(struct fixture *f)
{
	f->p->desc->stop(f->state);
	ctx_free(f->ctx);
	plugin_free(f->p);
	cfgdoc_free(f->doc);
	cfg_errs_fini(&f->errs);
}

static void
config_errors_name_the_node(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char buf[700];

	(void)state;
	assert_true(setup(f, "interfaces: [lo]\nports: [80, 70000]\n"
	                     "filter: \"tcp port\"\nsnaplen: 10\n") < 0);
	assert_true(f->errs.n >= 2);
	err_format(&f->errs.v[0], buf, sizeof(buf));
	assert_non_null(strstr(buf, "test.yaml:2:"));
	assert_non_null(strstr(buf, "70000"));
	teardown(f);
	free(f);

	f = calloc(1, sizeof(*f));
	assert_true(setup(f, "filter: \"tcp port nonsense\"\n") < 0);
	assert_int_equal(f->errs.n, 1);
	err_format(&f->errs.v[0], buf, sizeof(buf));
	assert_non_null(strstr(buf, "test.yaml:1:"));
	assert_non_null(strstr(buf, "filter"));
	teardown(f);
	free(f);
}

struct server {
	int fd;
	int delay_ms;
	int conns;
};

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Accept conns connections; answer each request after delay_ms; close
 * when the client has gone. */
static void *
serve(void *arg)
{
	struct server *sv = arg;
	char buf[512];
	int i, c;

	for (i = 0; i < sv->conns; i++) {
		c = accept(sv->fd, NULL, NULL);
		if (c < 0)
			break;
		if (recv(c, buf, sizeof(buf), 0) > 0) {
			sleep_ms(sv->delay_ms);
			send(c, "HTTP/1.0 200 OK\r\n\r\nhello", 24, 0);
		}
		while (recv(c, buf, sizeof(buf), 0) > 0)
			;
		close(c);
	}
	return NULL;
}

static void
live_capture_on_lo_counts_exchanges(void **state)
{
	struct fixture *f;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct server sv = {-1, 60, 3};
	pthread_t th;
	char yaml[256], lab[64], buf[256];
	int i, c, port;
	double p50;

	(void)state;
	if (geteuid() != 0)
		skip(); /* capturing needs root or CAP_NET_RAW */
	sv.fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(sv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(sv.fd, 8), 0);
	getsockname(sv.fd, (struct sockaddr *)&sa, &sl);
	port = ntohs(sa.sin_port);

	f = calloc(1, sizeof(*f));
	snprintf(yaml, sizeof(yaml),
	    "interfaces: [lo]\nports: [%d]\ntop_talkers: 2\n", port);
	assert_int_equal(setup(f, yaml), 0);
	assert_int_equal(f->p->desc->start(f->ctx, f->state), 0);
	sleep_ms(100);

	pthread_create(&th, NULL, serve, &sv);
	for (i = 0; i < 3; i++) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(
		    connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
		send(c, "GET / HTTP/1.0\r\n\r\n", 18, 0);
		assert_true(recv(c, buf, sizeof(buf), 0) > 0);
		if (i == 2) {
			/* Abort: linger 0 makes close() send a RST. */
			struct linger lg = {1, 0};

			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(c);
	}
	pthread_join(th, NULL);
	close(sv.fd);
	sleep_ms(500); /* the capture thread drains within its 200 ms poll */

	ctx_set_now(f->ctx, now_ms());
	assert_int_equal(f->p->desc->collect(f->ctx, f->state), 0);
	snprintf(lab, sizeof(lab), "port=%d", port);
	assert_true(value(&f->got, "tcp_connections_total", lab) == 3);
	assert_true(value(&f->got, "tcp_established_total", lab) == 3);
	assert_true(value(&f->got, "tcp_resets_total", lab) == 1);
	assert_true(value(&f->got, "tcp_syn_unanswered_total", lab) == 0);
	assert_true(value(&f->got, "tcp_retransmits_total", lab) == 0);
	assert_true(value(&f->got, "tcp_packets_in_total", lab) > 0);
	assert_true(value(&f->got, "pcap_packets_total", "iface=lo") > 0);
	assert_true(value(&f->got, "pcap_drops_total", "iface=lo") == 0);
	assert_true(value(&f->got, "flow_evictions_total", "") == 0);
	/* Both directions are 127.0.0.1 -> 127.0.0.1: one talker with all
	 * the bytes of the port. */
	assert_int_equal(f->got.ntalkers, 1);
	snprintf(buf, sizeof(buf),
	    "iface=lo src=127.0.0.1 dst=127.0.0.1 proto=tcp port=%d "
	    "bytes=%.0f ",
	    port,
	    value(&f->got, "tcp_bytes_in_total", lab) +
	        value(&f->got, "tcp_bytes_out_total", lab));
	assert_non_null(strstr(f->got.talker0, buf));
	snprintf(lab, sizeof(lab), "port=%d,proto=http", port);
	assert_true(value(&f->got, "app_responses_total", lab) == 3);
	snprintf(lab, sizeof(lab), "port=%d,proto=http,quantile=0.5", port);
	p50 = value(&f->got, "app_response_seconds", lab);
	print_message("p50 %.6f s\n", p50);
	assert_true(p50 >= 0.060 * 0.984 && p50 < 0.100);

	/* Next interval: counters stay, the quantiles are gone. */
	f->got.n = 0;
	ctx_set_now(f->ctx, now_ms());
	assert_int_equal(f->p->desc->collect(f->ctx, f->state), 0);
	assert_true(value(&f->got, "app_response_seconds", lab) == -1);
	snprintf(lab, sizeof(lab), "port=%d", port);
	assert_true(value(&f->got, "tcp_connections_total", lab) == 3);
	teardown(f);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(config_errors_name_the_node),
	    cmocka_unit_test(live_capture_on_lo_counts_exchanges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
