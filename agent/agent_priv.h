/* SPDX-License-Identifier: MIT */
/*
 * Inside the agent: its state, shared by agent.c (lifecycle, signals and
 * reload, maintenance), agent_collectors.c (the collector instances and the
 * sink their output goes through) and agent_self.c (its own metrics). Not
 * for other modules.
 */
#ifndef CHOKEPOINT_AGENT_PRIV_H
#define CHOKEPOINT_AGENT_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "plugin.h"

struct cfg_errs;
struct ctx_env;
struct ctx_sink;

struct fdwatch {
	struct cp_ctx *ctx;
	cp_fd_cb cb;
	void *arg;
	int fd;
	struct fdwatch *next;
};

struct instance {
	struct plugin *plugin;
	struct cp_ctx *ctx;
	void *state;
	int64_t interval_ms;
	int started;
	struct sched_job *job;
	struct fdwatch *watches;
	pthread_mutex_t wmu;
};

struct instset {
	struct instance *v;
	size_t n;
};

struct agent {
	/*
	 * The running config: the main thread reads it as it is; other
	 * threads take it with agent_config_hold(). A replaced one is freed
	 * at its last release (cfgs: those held, with their counts), or
	 * kept until exit while a hung collector may still use it (old_cfgs).
	 */
	struct config *cfg;
	pthread_mutex_t cfg_mu;
	struct cfg_hold {
		struct config *c;
		int refs, replaced;
	} * cfgs;
	size_t ncfgs;
	struct config **old_cfgs;
	size_t nold;
	char *self_host, *self_dir; /* a->self's, not the config's */
	struct instset inst;
	struct loop *loop;
	struct cache *cache;
	struct store *store;
	struct db *db;
	struct targets *targets;
	struct http *http;
	struct alerts *alerts;
	struct hooks *hooks;
	struct cp_ctx *self;
	int sigfd;
	int dirlock; /* holds the data directory's lock (dirlock.h), or -1 */
	int maint_fd;
	int64_t started_ms;
	int64_t last_expire_ms;
};

/*
 * agent_collectors.c: where a context's output goes in the running agent
 * (the cache, the database, the target states, the loop's fd watches); a
 * holds the parts, borrowed.
 */
struct ctx_sink agent_sink(struct agent *a);
/* The host environment of cfg for ctx_new(); env borrows cfg's strings. */
void agent_ctx_env_of(const struct config *cfg, struct ctx_env *env);
/*
 * Builds the collector set of cfg into s (loaded and configured, not
 * started): the configured collectors, plus the SNMP ones when devices are
 * configured. Config errors go to errs, refusals to warns. Returns 0 when
 * errs stayed empty, else -1; s holds what was built either way.
 */
int agent_instances_build(struct agent *a, struct config *cfg,
    struct instset *s, struct cfg_errs *errs, struct cfg_errs *warns);
/* Starts each instance of s and schedules it, with a first run now; one
 * that fails to start is logged and left out. */
void agent_instances_start(struct agent *a, struct instset *s);
/* Unschedules and frees the instances of s (a hung one is leaked): how
 * many hung. */
size_t agent_instances_stop(struct instset *s);
/* Frees the instances of s, each collector's stop() first; s is left empty. */
void agent_instset_free(struct instset *s);

/* agent_self.c: publish the self-metrics now (the 10 s tick). */
void agent_self_metrics(struct agent *a);
/* Self-metrics kept on /metrics only, without RRD history. */
extern const char *const agent_self_no_history[];
extern const size_t agent_self_nno_history;

#endif
