// SPDX-License-Identifier: MIT
/*
 * The collectors the agent runs: load and configure each one named in the
 * config (and the SNMP ones devices imply), start and stop them on the
 * scheduler, and the sink that takes what they emit to the cache, the
 * event and inventory database, the target states and the event loop.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_priv.h"
#include "cache.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "firmware/firmware.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "sched.h"
#include "targets.h"
#include "util.h"

/* ----------------------------------------------------------------- sink */

static int
sink_sample(void *arg, struct cp_ctx *ctx, const struct cp_sample *s)
{
	struct agent *a = arg;
	int r = cache_put(a->cache, s, cp_interval_ms(ctx));

	if (r < 0)
		cp_log_warnx(ctx, "rejected sample '%s' (%s)", s->metric,
		    r == -EINVAL ? "bad metric or label name, or kind changed"
		                 : strerror(-r));
	return r;
}

static int
sink_event(void *arg, struct cp_ctx *ctx, const struct cp_event *ev)
{
	struct agent *a = arg;
	struct db_event d = {0, ev->time_ms, ev->target, ev->kind,
	    ev->component, ev->severity, ev->before, ev->after, ev->message};
	int64_t id;

	(void)ctx;
	log_info("event: %s: %s %s: %s", ev->target, ev->kind, ev->component,
	    ev->message);
	if (a->db == NULL)
		return 0;
	id = db_event_add(a->db, &d);
	return id < 0 ? (int)id : 0;
}

static int
sink_inventory(void *arg, struct cp_ctx *ctx, const char *target,
    const char *kind, const struct cp_inventory_item *items, size_t n)
{
	struct agent *a = arg;

	(void)ctx;
	/* The firmware log compares with what is stored: before the put. */
	firmware_inventory_hook(a->db, a->cfg, target, kind, items, n);
	return a->db ? db_inventory_put(a->db, target, kind, items, n) : 0;
}

/* cp_inventory_get(): db_inventory_get's callback shape to the ABI's. */
struct inv_get_arg {
	cp_inventory_cb cb;
	void *arg;
};

static int
inv_get_cb(const char *target, const char *kind, const char *key,
    const struct cp_label *attrs, size_t nattrs, void *arg)
{
	struct inv_get_arg *g = arg;
	struct cp_inventory_item it = {key, attrs, nattrs};

	(void)target;
	(void)kind;
	return g->cb(&it, g->arg);
}

static int
sink_inventory_get(void *arg, struct cp_ctx *ctx, const char *target,
    const char *kind, cp_inventory_cb cb, void *cbarg)
{
	struct agent *a = arg;
	struct inv_get_arg g = {cb, cbarg};

	(void)ctx;
	if (a->db == NULL)
		return -ENOTSUP;
	return db_inventory_get(a->db, target, kind, inv_get_cb, &g);
}

static int
sink_target_status(
    void *arg, struct cp_ctx *ctx, const struct cp_target_status *st)
{
	struct agent *a = arg;

	(void)ctx;
	targets_set(a->targets, st);
	return 0;
}

static void
watch_trampoline(int fd, unsigned events, void *arg)
{
	struct fdwatch *w = arg;
	unsigned ev = 0;

	if (events & (LOOP_READ | 0x8u /* EPOLLERR */ | 0x10u /* EPOLLHUP */))
		ev |= CP_FD_READ;
	if (events & LOOP_WRITE)
		ev |= CP_FD_WRITE;
	w->cb(w->ctx, fd, ev, w->arg);
}

static struct instance *
instance_of(struct agent *a, struct cp_ctx *ctx)
{
	for (size_t i = 0; i < a->inst.n; i++)
		if (a->inst.v[i].ctx == ctx)
			return &a->inst.v[i];
	return NULL;
}

static int
sink_watch(void *arg, struct cp_ctx *ctx, int fd, unsigned events, cp_fd_cb cb,
    void *cbarg)
{
	struct agent *a = arg;
	struct instance *in = instance_of(a, ctx);
	struct fdwatch *w;
	int r;

	if (a->loop == NULL || in == NULL)
		return -ENOTSUP;
	w = xcalloc(1, sizeof(*w));
	w->ctx = ctx;
	w->cb = cb;
	w->arg = cbarg;
	w->fd = fd;
	pthread_mutex_lock(&in->wmu);
	r = loop_watch(a->loop, fd, events & (CP_FD_READ | CP_FD_WRITE),
	    watch_trampoline, w);
	if (r == 0) {
		w->next = in->watches;
		in->watches = w;
	} else {
		free(w);
	}
	pthread_mutex_unlock(&in->wmu);
	return r;
}

static void
sink_unwatch(void *arg, struct cp_ctx *ctx, int fd)
{
	struct agent *a = arg;
	struct instance *in = instance_of(a, ctx);

	if (a->loop == NULL || in == NULL)
		return;
	pthread_mutex_lock(&in->wmu);
	loop_unwatch(a->loop, fd);
	/*
	 * The watch record stays on the instance's list until it stops: the
	 * loop thread may be about to call it with a copy.
	 */
	for (struct fdwatch *w = in->watches; w; w = w->next)
		if (w->fd == fd)
			w->fd = -1;
	pthread_mutex_unlock(&in->wmu);
}

struct ctx_sink
agent_sink(struct agent *a)
{
	struct ctx_sink s = {sink_sample, sink_event, sink_inventory,
	    sink_target_status, sink_watch, sink_unwatch, a,
	    sink_inventory_get};

	return s;
}

/* ------------------------------------------------------------ instances */

static const char *const snmp_auto[] = {
    "snmp_if", "snmp_entity", "snmp_host", NULL};

void
agent_instset_free(struct instset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct instance *in = &s->v[i];

		if (in->plugin && in->ctx)
			in->plugin->desc->stop(in->state);
		while (in->watches) {
			struct fdwatch *w = in->watches;

			in->watches = w->next;
			free(w);
		}
		pthread_mutex_destroy(&in->wmu);
		ctx_free(in->ctx);
		plugin_free(in->plugin);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void
agent_ctx_env_of(const struct config *cfg, struct ctx_env *env)
{
	env->hostname = cfg->agent.hostname;
	env->procfs = cfg->agent.procfs;
	env->sysfs = cfg->agent.sysfs;
	env->data_dir = cfg->agent.data_dir;
	env->config = cfg;
}

/* Loads and configures one collector; 0, or -1 on a config error. */
static int
instance_add(struct agent *a, struct instset *s, const struct config *cfg,
    const char *dir, const char *name, const struct cp_cfg *node,
    int64_t interval_ms, int automatic, struct cfg_errs *errs,
    struct cfg_errs *warns)
{
	char path[PATH_MAX], err[512];
	struct ctx_sink sink = agent_sink(a);
	struct ctx_env env;
	struct plugin *p;
	struct instance *in;
	int line, col;

	cfg_node_pos(node, &line, &col);
	snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	if (access(path, F_OK) != 0) {
		if (automatic)
			return 0;
		cfg_errs_add(errs, cfg->path ? cfg->path : "<defaults>", line,
		    col, "unknown collector '%s' (no %s.so in %s)", name, name,
		    dir);
		return -1;
	}
	p = plugin_load(path, err, sizeof(err));
	if (p == NULL) {
		/* Refused, not fatal: the agent goes on without it. */
		cfg_errs_add(warns, cfg->path ? cfg->path : "<defaults>", line,
		    col, "collector '%s' refused: %s", name, err);
		return 0;
	}
	if (strcmp(p->desc->name, name) != 0) {
		cfg_errs_add(warns, cfg->path ? cfg->path : "<defaults>", line,
		    col, "collector '%s' refused: %s declares name '%s'", name,
		    path, p->desc->name);
		plugin_free(p);
		return 0;
	}
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	in = &s->v[s->n++];
	memset(in, 0, sizeof(*in));
	pthread_mutex_init(&in->wmu, NULL);
	in->plugin = p;
	in->interval_ms = interval_ms;
	agent_ctx_env_of(cfg, &env);
	in->ctx = ctx_new(p, name, &env, &sink, interval_ms);
	size_t before = errs->n;

	if (ctx_configure(in->ctx, node, &in->state) < 0) {
		if (errs->n == before)
			cfg_errs_add(errs, cfg->path ? cfg->path : "<defaults>",
			    line, col, "collector '%s': invalid options", name);
		return -1;
	}
	return 0;
}

/*
 * Builds the collector set of cfg: the configured collectors, plus the SNMP
 * ones when devices are configured. Config errors go to errs (via the
 * document), refusals to warns. Returns 0 when errs stayed empty.
 */
int
agent_instances_build(struct agent *a, struct config *cfg, struct instset *s,
    struct cfg_errs *errs, struct cfg_errs *warns)
{
	char dir[PATH_MAX];
	size_t nerr = errs->n;

	agent_plugin_dir(cfg, dir, sizeof(dir));
	cfgdoc_set_errs(cfg->doc, errs);
	for (size_t i = 0; i < cfg->ncollectors; i++) {
		const struct collector_cfg *cc = &cfg->collectors[i];

		instance_add(a, s, cfg, dir, cc->name, cc->node,
		    cc->interval_ms, 0, errs, warns);
	}
	if (cfg->ndevices) {
		for (size_t i = 0; snmp_auto[i]; i++) {
			if (config_collector(cfg, snmp_auto[i]))
				continue;
			instance_add(a, s, cfg, dir, snmp_auto[i], NULL,
			    cfg->agent.interval_ms, 1, errs, warns);
		}
	}
	/* Fixed sections: whatever no module asked for is unknown. */
	const struct cp_cfg *root = cfgdoc_root(cfg->doc);
	struct http_cfg hc;

	http_cfg_read(cp_cfg_child(root, "web"), &hc); /* web/webcfg.c */
	http_cfg_fini(&hc);
	cfg_node_report_unused(cp_cfg_child(root, "web"), "web");
	cfg_node_report_unused(cp_cfg_child(root, "devices"), "a device");
	cfg_node_report_unused(cp_cfg_child(root, "alerts"), "an alert rule");
	cfg_node_report_unused(cp_cfg_child(root, "hooks"), "a hook");
	cfgdoc_set_errs(cfg->doc, NULL);
	return errs->n > nerr ? -1 : 0;
}

static void
on_job_done(struct sched_job *j, void *arg)
{
	struct agent *a = arg;
	struct cp_ctx *ctx = sched_ctx(j);
	struct cp_label l = {"collector", ctx_name(ctx)};
	struct sched_stats st;
	struct cp_sample s = {0};

	sched_get_stats(j, &st);
	s.labels = &l;
	s.nlabels = 1;
	s.metric = "collector_duration_seconds";
	s.help = "Duration of the last collection run";
	s.value = st.last_seconds;
	s.time_ms = st.last_start_ms;
	cp_emit(a->self, &s);
	s.kind = CP_COUNTER64;
	s.metric = "collector_runs_total";
	s.help = "Collection runs completed";
	s.counter = st.runs;
	cp_emit(a->self, &s);
	s.metric = "collector_errors_total";
	s.help = "Collection runs that failed or reported errors";
	s.counter = st.errors;
	cp_emit(a->self, &s);
	s.metric = "collector_skipped_total";
	s.help = "Ticks skipped because the previous run was still going";
	s.counter = st.skipped;
	cp_emit(a->self, &s);
}

void
agent_instances_start(struct agent *a, struct instset *s)
{
	int64_t now = now_ms();

	for (size_t i = 0; i < s->n; i++) {
		struct instance *in = &s->v[i];
		int r = in->plugin->desc->start(in->ctx, in->state);

		if (r < 0) {
			log_warnx("collector %s: start failed (%d); running "
			          "without it",
			    ctx_name(in->ctx), r);
			continue;
		}
		in->started = 1;
		in->job = sched_add(a->loop, in->ctx, in->plugin, in->state,
		    in->interval_ms, on_job_done, a);
		/* A first run now gives counters their baseline at once. */
		if (in->job)
			sched_kick(in->job, now);
	}
}

size_t
agent_instances_stop(struct instset *s)
{
	size_t hung = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct instance *in = &s->v[i];

		if (in->job && sched_del(in->job, 5000) == -EBUSY) {
			/* Hung in collect(): its state cannot be freed. */
			in->plugin = NULL;
			in->ctx = NULL;
			hung++;
		}
		in->job = NULL;
	}
	agent_instset_free(s);
	return hung;
}
