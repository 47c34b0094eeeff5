// SPDX-License-Identifier: MIT
/*
 * `chokepoint report [-c FILE] [--json] [--window 15m]`: the bottleneck
 * ranking, as a separate process. When the agent of this config answers at
 * its web.listen address, its /api/v1/bottlenecks is the report (it has
 * every collector's and device's current state). Otherwise the report
 * samples the config's local collectors itself, twice, --sample apart
 * (default 2s, so counters give rates), into a private cache, and reads
 * the history (p95, max, since) from the RRD files and the events from
 * the SQLite database of the data directory, never writing either.
 * SNMP devices are only in the report of a running agent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "bottleneck.h"
#include "cache.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "log.h"
#include "util.h"

static const char usage[] =
    "usage: chokepoint report [-c FILE] [--json] [--window 15m] [--limit N]\n"
    "                         [--local] [--sample 2s]\n"
    "\n"
    "Prints the current bottlenecks (USE method: utilisation, saturation,\n"
    "errors of every switch port, CPU, memory, disk and NIC), ranked.\n"
    "Asks the running agent of this config (web.listen) when it answers;\n"
    "else samples the local collectors twice, --sample apart, and reads\n"
    "history from the data directory.\n"
    "\n"
    "  -c, --config FILE   the YAML config (default: embedded defaults)\n"
    "  -j, --json          JSON as served by /api/v1/bottlenecks\n"
    "  -w, --window D      p95/max/events window (default bottlenecks.window)\n"
    "  -n, --limit N       entries (default 20)\n"
    "  -l, --local         do not ask a running agent\n"
    "  -s, --sample D      local sampling interval (default 2s)\n"
    "exit codes: 0 ok, 1 invalid config, 2 usage or environment\n";

/* ------------------------------------------------------- running agent */

/* GET path from host:port; the body (caller frees) or NULL, *status the
 * HTTP status (0: no answer). */
static char *
http_get(const char *host, int port, const char *path, int *status)
{
	struct addrinfo hints = {0}, *ai = NULL;
	struct timeval tv = {10, 0};
	char ps[16], *req = NULL, *body = NULL;
	struct sbuf b;
	int fd = -1;
	ssize_t n;

	*status = 0;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(host, ps, &hints, &ai) != 0)
		return NULL;
	sbuf_init(&b);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		goto out;
	req = xasprintf("GET %s HTTP/1.0\r\nHost: %s\r\nAccept: "
	                "application/json\r\n\r\n",
	    path, host);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto out;
	for (;;) {
		sbuf_reserve(&b, 65536);
		n = read(fd, b.s + b.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b.len += (size_t)n;
		b.s[b.len] = '\0';
		if (b.len > 64u << 20)
			goto out;
	}
	if (b.len > 12 && strncmp(b.s, "HTTP/1.", 7) == 0)
		*status = (int)strtol(b.s + 9, NULL, 10);
	if (*status == 200) {
		char *p = strstr(b.s, "\r\n\r\n");

		if (p)
			body = xstrdup(p + 4);
	}
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	free(req);
	sbuf_fini(&b);
	return body;
}

/* --------------------------------------------------------- local sample */

static int
sink_sample(void *arg, struct cp_ctx *ctx, const struct cp_sample *s)
{
	(void)ctx;
	return cache_put(arg, s, cp_interval_ms(ctx));
}

static int
sink_event(void *arg, struct cp_ctx *ctx, const struct cp_event *ev)
{
	(void)arg;
	(void)ctx;
	(void)ev;
	return 0; /* the running agent records events; a report does not */
}

static int
sink_inventory(void *arg, struct cp_ctx *ctx, const char *target,
    const char *kind, const struct cp_inventory_item *items, size_t n)
{
	(void)arg;
	(void)ctx;
	(void)target;
	(void)kind;
	(void)items;
	(void)n;
	return 0;
}

static int
sink_status(void *arg, struct cp_ctx *ctx, const struct cp_target_status *st)
{
	(void)arg;
	(void)ctx;
	(void)st;
	return 0;
}

struct local {
	struct plugin *p;
	struct cp_ctx *ctx;
	void *state;
	int started;
};

/* Collectors that only make sense in a running agent (they poll devices
 * through the loop, or record inventories and events). */
static int
samplable(const char *name)
{
	static const char *const skip[] = {"snmp_if", "snmp_entity",
	    "snmp_host", "pcap", "hotswap", "firmware", NULL};

	for (size_t i = 0; skip[i]; i++)
		if (strcmp(name, skip[i]) == 0)
			return 0;
	return 1;
}

static int
sample_local(const struct config *cfg, struct cache *c, int64_t sample_ms)
{
	struct ctx_sink sink = {sink_sample, sink_event, sink_inventory,
	    sink_status, NULL, NULL, c, NULL};
	struct ctx_env env = {cfg->agent.hostname, cfg->agent.procfs,
	    cfg->agent.sysfs, cfg->agent.data_dir, cfg};
	struct local *l = xcalloc(cfg->ncollectors + 1, sizeof(*l));
	char dir[PATH_MAX], path[PATH_MAX + 64], err[512];
	size_t n = 0;

	agent_plugin_dir(cfg, dir, sizeof(dir));
	for (size_t i = 0; i < cfg->ncollectors; i++) {
		const struct collector_cfg *cc = &cfg->collectors[i];
		struct local *x = &l[n];

		if (!samplable(cc->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s.so", dir, cc->name);
		x->p = plugin_load(path, err, sizeof(err));
		if (x->p == NULL) {
			fprintf(stderr, "chokepoint: report: %s: %s\n",
			    cc->name, err);
			continue;
		}
		x->ctx = ctx_new(x->p, cc->name, &env, &sink, sample_ms);
		if (ctx_configure(x->ctx, cc->node, &x->state) < 0 ||
		    x->p->desc->start(x->ctx, x->state) < 0) {
			fprintf(stderr,
			    "chokepoint: report: collector %s "
			    "cannot start\n",
			    cc->name);
			x->p->desc->stop(x->state);
			ctx_free(x->ctx);
			plugin_free(x->p);
			memset(x, 0, sizeof(*x));
			continue;
		}
		x->started = 1;
		n++;
	}
	for (int round = 0; round < 2; round++) {
		int64_t t = now_ms();

		if (round) {
			struct timespec ts = {
			    sample_ms / 1000, (sample_ms % 1000) * 1000000};

			nanosleep(&ts, NULL);
			t = now_ms();
		}
		for (size_t i = 0; i < n; i++) {
			ctx_set_now(l[i].ctx, t);
			l[i].p->desc->collect(l[i].ctx, l[i].state);
		}
	}
	for (size_t i = 0; i < n; i++) {
		l[i].p->desc->stop(l[i].state);
		ctx_free(l[i].ctx);
		plugin_free(l[i].p);
	}
	free(l);
	return (int)n;
}

static char *
report_local(const struct config *cfg, int64_t window_ms, size_t limit,
    int64_t sample_ms)
{
	struct bn_input in = {0};
	struct cache *c = cache_new(NULL);
	struct db *db = NULL;
	char dbpath[PATH_MAX], err[256], *s;
	struct stat sb;

	sample_local(cfg, c, sample_ms);
	snprintf(
	    dbpath, sizeof(dbpath), "%s/chokepoint.db", cfg->agent.data_dir);
	/* Only an existing database: a report never creates one. */
	if (stat(dbpath, &sb) == 0)
		db = db_open(cfg->agent.data_dir, err, sizeof(err));
	in.cache = c;
	in.data_dir = cfg->agent.data_dir;
	in.db = db;
	in.hostname = cfg->agent.hostname;
	in.host_role = cfg->bottlenecks.host_role;
	in.now_ms = now_ms();
	in.window_ms = window_ms;
	in.limit = limit;
	s = bottlenecks_json(&in);
	db_close(db);
	cache_free(c);
	return s;
}

int
report_cmd_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"window", required_argument, NULL, 'w'},
	    {"limit", required_argument, NULL, 'n'},
	    {"local", no_argument, NULL, 'l'},
	    {"sample", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	struct cfg_errs errs;
	struct config *cfg;
	int64_t window_ms = 0, sample_ms = 2000;
	long limit = 20;
	int c, json = 0, local = 0, rc = 0;
	char *s = NULL, *end, q[128], wb[32];

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:jw:n:ls:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'w':
			if (duration_parse(optarg, &window_ms) < 0 ||
			    window_ms < 60000 || window_ms > 7 * 86400000LL) {
				fprintf(stderr,
				    "chokepoint: report: --window "
				    "must be a duration from 1m to "
				    "7d, not '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case 'n':
			limit = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || limit < 1 ||
			    limit > 1000) {
				fprintf(stderr, "chokepoint: report: --limit "
				                "must be 1..1000\n");
				return 2;
			}
			break;
		case 'l':
			local = 1;
			break;
		case 's':
			if (duration_parse(optarg, &sample_ms) < 0 ||
			    sample_ms < 100 || sample_ms > 60000) {
				fprintf(stderr, "chokepoint: report: --sample "
				                "must be 100ms..60s\n");
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
		    "chokepoint: report: unexpected argument '%s'\n",
		    argv[optind]);
		return 2;
	}
	cfg_errs_init(&errs);
	cfg = config_load(path, &errs);
	if (cfg == NULL) {
		cfg_errs_print(&errs, stderr);
		cfg_errs_fini(&errs);
		return EXIT_INVALID;
	}
	cfg_errs_fini(&errs);
	if (window_ms == 0)
		window_ms = cfg->bottlenecks.window_ms;
	if (!local) {
		snprintf(q, sizeof(q),
		    "/api/v1/bottlenecks?window=%s&limit=%ld",
		    duration_format(window_ms, wb, sizeof(wb)), limit);
		int status;

		s = http_get(cfg->web.host, cfg->web.port, q, &status);
		if (s && strstr(s, "\"bottlenecks\"") == NULL) {
			free(s);
			s = NULL;
		}
		if (s == NULL && status)
			fprintf(stderr,
			    "chokepoint: report: %s:%d answered HTTP %d%s; "
			    "sampling locally\n",
			    cfg->web.host, cfg->web.port, status,
			    status == 401 ? " (web.auth is on)" : "");
	}
	if (s == NULL)
		s = report_local(cfg, window_ms, (size_t)limit, sample_ms);
	if (s == NULL) {
		fprintf(stderr, "chokepoint: report: nothing to report\n");
		rc = 2;
	} else if (json) {
		fputs(s, stdout);
		fputc('\n', stdout);
	} else if (bottlenecks_text(s, stdout) < 0) {
		rc = 2;
	}
	free(s);
	config_free(cfg);
	return rc;
}
