/* SPDX-License-Identifier: MIT */
/*
 * Inside the agent: its state, shared by agent.c (lifecycle, collectors,
 * signals) and agent_self.c (its own metrics). Not for other modules.
 */
#ifndef CHOKEPOINT_AGENT_PRIV_H
#define CHOKEPOINT_AGENT_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "plugin.h"

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
	struct config *cfg;
	struct config **old_cfgs; /* kept until exit: readers may hold them */
	size_t nold;
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
	int maint_fd;
	int64_t started_ms;
	int64_t last_expire_ms;
};

/* agent_self.c: publish the self-metrics now (the 10 s tick). */
void agent_self_metrics(struct agent *a);
/* Self-metrics kept on /metrics only, without RRD history. */
extern const char *const agent_self_no_history[];
extern const size_t agent_self_nno_history;

#endif
