/* SPDX-License-Identifier: MIT */
/*
 * Collector instances: a loaded plugin plus the context (struct cp_ctx) the
 * ABI functions act on. Samples, events and inventory go to a sink: in the
 * agent the pipeline and the SQLite store, in tests a capture buffer.
 */
#ifndef CHOKEPOINT_CTX_H
#define CHOKEPOINT_CTX_H

#include <stdint.h>

#include "plugin.h"

struct cp_cfg;
struct config;

/* Where a context's output goes. Any callback may be NULL (dropped). */
struct ctx_sink {
	/* s->target already resolved (never NULL), s->time_ms never 0. */
	int (*sample)(void *arg, struct cp_ctx *ctx, const struct cp_sample *s);
	int (*event)(void *arg, struct cp_ctx *ctx, const struct cp_event *ev);
	int (*inventory)(void *arg, struct cp_ctx *ctx, const char *target,
	    const char *kind, const struct cp_inventory_item *items,
	    size_t nitems);
	int (*target_status)(
	    void *arg, struct cp_ctx *ctx, const struct cp_target_status *st);
	/* cp_watch_fd/cp_unwatch_fd; NULL: -ENOTSUP. */
	int (*watch)(void *arg, struct cp_ctx *ctx, int fd, unsigned events,
	    cp_fd_cb cb, void *cbarg);
	void (*unwatch)(void *arg, struct cp_ctx *ctx, int fd);
	void *arg;
	/* cp_inventory_get (target resolved); NULL: -ENOTSUP. */
	int (*inventory_get)(void *arg, struct cp_ctx *ctx, const char *target,
	    const char *kind, cp_inventory_cb cb, void *cbarg);
};

/* The host environment a context reports against. Strings are borrowed and
 * must outlive the context. */
struct ctx_env {
	const char *hostname; /* local target name */
	const char *procfs;   /* default "/proc" */
	const char *sysfs;    /* default "/sys" */
	const char *data_dir;
	const struct config *config; /* for cp_cfg_root(); may be NULL */
};

/* A loaded collector shared object. */
struct plugin {
	char *path;
	void *handle; /* dlopen handle */
	const struct cp_collector *desc;
};

/*
 * dlopen path and check its descriptor (symbol `cp_collector`, abi ==
 * CP_ABI_VERSION, a name and every callback). NULL and a one-line reason
 * in err on failure.
 */
struct plugin *plugin_load(const char *path, char *err, size_t errlen);
void plugin_free(struct plugin *p); /* dlclose; takes NULL */

/* A context for one instance of p. name defaults to p->desc->name. */
struct cp_ctx *ctx_new(const struct plugin *p, const char *name,
    const struct ctx_env *env, const struct ctx_sink *sink,
    int64_t interval_ms);
void ctx_free(struct cp_ctx *ctx); /* takes NULL; does not call stop() */

const char *ctx_name(const struct cp_ctx *ctx);
const struct plugin *ctx_plugin(const struct cp_ctx *ctx);
/* Sets the time cp_now_ms() returns and samples default to. */
void ctx_set_now(struct cp_ctx *ctx, int64_t now_ms);
/* Errors counted with cp_count_error() since the start. */
uint64_t ctx_errors(const struct cp_ctx *ctx);

/*
 * Run configure() on node (NULL: an empty mapping); errors are appended to
 * the config's error list (see config.h) and unknown keys reported there.
 * Returns 0 or a negative value. *state is what configure() returned.
 */
int ctx_configure(struct cp_ctx *ctx, const struct cp_cfg *node, void **state);

#endif
