/* SPDX-License-Identifier: MIT */
/*
 * The agent: config, collector instances, stores, HTTP and the loop wired
 * together; `run` and `check` are built on it. Other modules (web API,
 * alerts, report) reach the running agent's parts through the getters.
 */
#ifndef CHOKEPOINT_AGENT_H
#define CHOKEPOINT_AGENT_H

#include <stdio.h>

struct agent;
struct config;
struct cfg_errs;

/* Exit codes of the CLI. */
#define EXIT_INVALID 1 /* invalid config */
#define EXIT_ENV 2     /* data dir, port, plugin dir: the environment */

/* `chokepoint run`: returns the process exit code. path NULL: defaults. */
int agent_run(const char *path);
/* `chokepoint check`: prints errors (and warnings) to out; exit code. */
int agent_check(const char *path, FILE *out);

/*
 * The directory collectors load from: cfg's agent.plugin_dir, else beside
 * the binary (BINDIR/collectors in a build tree, PREFIX/lib/chokepoint/
 * collectors when installed). Returns buf.
 */
const char *agent_plugin_dir(const struct config *cfg, char *buf, size_t size);
/* The dashboard's static files: web/static in a build tree, else
 * PREFIX/share/chokepoint/web. */
const char *agent_static_dir(char *buf, size_t size);

struct cache *agent_cache(struct agent *a);
struct store *agent_store(struct agent *a);
struct db *agent_db(struct agent *a);
struct targets *agent_targets(struct agent *a);
/* The running config, for the main thread (start-up, reload). */
const struct config *agent_config(struct agent *a);
/*
 * The running config for another thread (an HTTP request): valid until
 * agent_config_release(), even if a SIGHUP replaces it meanwhile.
 */
const struct config *agent_config_hold(struct agent *a);
void agent_config_release(struct agent *a, const struct config *c);
/* The alert engine (NULL until started). */
struct alerts *agent_alerts(struct agent *a);
/* Registers /api/v1/alerts and /api/v1/silences (web/alert_api.c). */
void alert_api_register(void);

#endif
