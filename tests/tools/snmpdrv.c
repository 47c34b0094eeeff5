// SPDX-License-Identifier: MIT
/*
 * snmpdrv: runs SNMP collector plugins outside the agent, for tests and
 * the poller benchmark. Loads a config, configures/starts the named
 * plugins, runs collect() N times at the interval and prints every sample,
 * event, inventory item and target status as one line (or only counts
 * them with -q). The agent's own ctx.c and config.c do the work; only the
 * sink (printing) and the fd loop (poll) are this file's.
 *
 *   snmpdrv -c CONFIG [-n RUNS] [-i INTERVAL_MS] [-q] [-w WAIT_MS] PLUGIN.so...
 *   snmpdrv -c CONFIG -F DIR [-q] PLUGIN.so...
 *
 * -F: benchmark server: after a first (warm-up) run, one run per line
 * written to the FIFO DIR/go ("quit" ends), answered on DIR/done with
 * "wall_s cpu_s" of that run (this process's own rusage).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctx.h"
#include "log.h"
#include "util.h"

static int quiet;
static uint64_t nsamples, nevents, ninv, nstatus;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

struct watch {
	struct cp_ctx *ctx;
	int fd;
	unsigned events;
	cp_fd_cb cb;
	void *arg;
};
static struct watch watches[64];
static size_t nwatches;

static void
labels(const struct cp_label *l, size_t n)
{
	putchar('{');
	for (size_t i = 0; i < n; i++)
		printf("%s%s=\"%s\"", i ? "," : "", l[i].key, l[i].value);
	putchar('}');
}

static int
on_sample(void *arg, struct cp_ctx *ctx, const struct cp_sample *s)
{
	(void)arg;
	(void)ctx;
	pthread_mutex_lock(&out_mu);
	nsamples++;
	if (!quiet) {
		printf("S %s %s", s->target, s->metric);
		labels(s->labels, s->nlabels);
		if (s->kind == CP_GAUGE)
			printf(" gauge %.17g", s->value);
		else
			printf(" counter%d %" PRIu64 " scale=%g max_rate=%.17g "
			       "disc=%d t=%" PRId64,
			    s->kind == CP_COUNTER32 ? 32 : 64, s->counter,
			    s->scale, s->max_rate, s->discontinuity,
			    s->time_ms);
		putchar('\n');
	}
	pthread_mutex_unlock(&out_mu);
	return 0;
}

static int
on_event(void *arg, struct cp_ctx *ctx, const struct cp_event *ev)
{
	(void)arg;
	(void)ctx;
	pthread_mutex_lock(&out_mu);
	nevents++;
	printf("E %s %s component=\"%s\" sev=%d before=\"%s\" after=\"%s\" "
	       "msg=\"%s\"\n",
	    ev->target ? ev->target : "-", ev->kind,
	    ev->component ? ev->component : "", (int)ev->severity,
	    ev->before ? ev->before : "", ev->after ? ev->after : "",
	    ev->message ? ev->message : "");
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
	return 0;
}

static int
on_inventory(void *arg, struct cp_ctx *ctx, const char *target,
    const char *kind, const struct cp_inventory_item *items, size_t n)
{
	(void)arg;
	(void)ctx;
	pthread_mutex_lock(&out_mu);
	ninv += n;
	if (!quiet) {
		printf("I %s %s count=%zu\n", target, kind, n);
		for (size_t i = 0; i < n; i++) {
			printf("I %s %s %s ", target, kind, items[i].key);
			labels(items[i].attrs, items[i].nattrs);
			putchar('\n');
		}
	}
	pthread_mutex_unlock(&out_mu);
	return 0;
}

static int
on_status(void *arg, struct cp_ctx *ctx, const struct cp_target_status *st)
{
	(void)arg;
	(void)ctx;
	pthread_mutex_lock(&out_mu);
	nstatus++;
	printf("T %s up=%d poll_seconds=%.3f reason=\"%s\" ", st->target,
	    st->up, st->poll_seconds, st->reason ? st->reason : "");
	labels(st->info, st->ninfo);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
	return 0;
}

static int
on_watch(void *arg, struct cp_ctx *ctx, int fd, unsigned events, cp_fd_cb cb,
    void *cbarg)
{
	(void)arg;
	if (nwatches >= ARRAY_SIZE(watches))
		return -ENOSPC;
	watches[nwatches++] = (struct watch){ctx, fd, events, cb, cbarg};
	return 0;
}

static void
on_unwatch(void *arg, struct cp_ctx *ctx, int fd)
{
	(void)arg;
	(void)ctx;
	for (size_t i = 0; i < nwatches; i++)
		if (watches[i].fd == fd) {
			watches[i] = watches[--nwatches];
			return;
		}
}

/* Serve registered fds until deadline (monotonic ms). */
static void
serve_until(int64_t deadline)
{
	for (;;) {
		struct pollfd p[64];
		int64_t now = mono_ms();
		if (now >= deadline)
			return;
		for (size_t i = 0; i < nwatches; i++) {
			p[i].fd = watches[i].fd;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		if (poll(p, nwatches, (int)(deadline - now)) <= 0)
			continue;
		for (size_t i = 0; i < nwatches; i++)
			if (p[i].revents)
				watches[i].cb(watches[i].ctx, watches[i].fd,
				    CP_FD_READ, watches[i].arg);
	}
}

static double
cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	const char *cfgpath = NULL, *fifo_dir = NULL;
	int runs = 1, opt;
	int64_t interval = 10000, wait_ms = 0;
	struct cfg_errs errs;
	struct config *cfg;
	struct ctx_sink sink = {on_sample, on_event, on_inventory, on_status,
	    on_watch, on_unwatch, NULL, NULL};
	struct ctx_env env = {0};
	struct cp_ctx *ctxs[8];
	struct plugin *pl[8];
	void *states[8];
	int np = 0, rc = 0, interval_set = 0;

	while ((opt = getopt(argc, argv, "c:n:i:qw:F:")) != -1) {
		switch (opt) {
		case 'F':
			fifo_dir = optarg;
			break;
		case 'c':
			cfgpath = optarg;
			break;
		case 'n':
			runs = (int)strtol(optarg, NULL, 10);
			break;
		case 'i':
			interval = strtoll(optarg, NULL, 10);
			interval_set = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'w':
			wait_ms = strtoll(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: snmpdrv -c CONFIG [-n RUNS] "
			                "[-i MS] [-q] [-w MS] PLUGIN.so...\n");
			return 2;
		}
	}
	log_set_level(getenv("SNMPDRV_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARN);
	cfg_errs_init(&errs);
	cfg = config_load(cfgpath, &errs);
	if (!cfg) {
		cfg_errs_print(&errs, stderr);
		return 1;
	}
	env.hostname = cfg->agent.hostname;
	env.procfs = cfg->agent.procfs;
	env.sysfs = cfg->agent.sysfs;
	env.data_dir = cfg->agent.data_dir;
	env.config = cfg;
	mkdir_p(cfg->agent.data_dir);
	cfgdoc_set_errs(cfg->doc, &errs);
	for (int i = optind; i < argc && np < 8; i++) {
		char err[512];
		const struct collector_cfg *cc;
		pl[np] = plugin_load(argv[i], err, sizeof(err));
		if (!pl[np]) {
			fprintf(stderr, "snmpdrv: %s\n", err);
			return 1;
		}
		cc = config_collector(cfg, pl[np]->desc->name);
		ctxs[np] = ctx_new(pl[np], NULL, &env, &sink,
		    cc && cc->interval_ms && !interval_set ? cc->interval_ms
		                                           : interval);
		if (ctx_configure(ctxs[np], cc ? cc->node : NULL, &states[np]) <
		    0) {
			cfg_errs_print(&errs, stderr);
			return 1;
		}
		np++;
	}
	if (errs.n) {
		cfg_errs_print(&errs, stderr);
		return 1;
	}
	for (int i = 0; i < np; i++)
		if (pl[i]->desc->start(ctxs[i], states[i]) < 0) {
			fprintf(stderr, "snmpdrv: %s: start failed\n",
			    pl[i]->desc->name);
			return 1;
		}
	for (int r = 0; r < runs; r++) {
		int64_t t0 = mono_ms();
		double c0 = cpu_s();
		for (int i = 0; i < np; i++) {
			ctx_set_now(ctxs[i], now_ms());
			pl[i]->desc->collect(ctxs[i], states[i]);
		}
		pthread_mutex_lock(&out_mu);
		printf("R %d wall=%.4f cpu=%.4f samples=%" PRIu64
		       " events=%" PRIu64 " inventory=%" PRIu64 "\n",
		    r, (double)(mono_ms() - t0) / 1000.0, cpu_s() - c0,
		    nsamples, nevents, ninv);
		fflush(stdout);
		pthread_mutex_unlock(&out_mu);
		if (r + 1 < runs)
			serve_until(t0 + interval);
	}
	if (wait_ms > 0)
		serve_until(mono_ms() + wait_ms);
	if (fifo_dir) {
		char go[4096], done[4096], line[64];
		snprintf(go, sizeof(go), "%s/go", fifo_dir);
		snprintf(done, sizeof(done), "%s/done", fifo_dir);
		mkfifo(go, 0600);
		mkfifo(done, 0600);
		for (;;) {
			FILE *in = fopen(go, "re"), *out;
			int64_t t0;
			double c0;
			if (!in || !fgets(line, sizeof(line), in)) {
				if (in)
					fclose(in);
				continue;
			}
			fclose(in);
			if (!strncmp(line, "quit", 4))
				break;
			t0 = mono_ns();
			c0 = cpu_s();
			for (int i = 0; i < np; i++) {
				ctx_set_now(ctxs[i], now_ms());
				pl[i]->desc->collect(ctxs[i], states[i]);
			}
			out = fopen(done, "we");
			if (out) {
				fprintf(out, "%.4f %.4f\n",
				    (double)(mono_ns() - t0) / 1e9,
				    cpu_s() - c0);
				fclose(out);
			}
		}
	}
	for (int i = 0; i < np; i++) {
		pl[i]->desc->stop(states[i]);
		ctx_free(ctxs[i]);
		plugin_free(pl[i]);
	}
	config_free(cfg);
	cfg_errs_fini(&errs);
	return rc;
}
