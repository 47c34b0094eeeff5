// SPDX-License-Identifier: MIT
/*
 * The collector side of the ABI: loading a plugin and checking its
 * descriptor, and the cp_* functions a plugin calls, which resolve defaults
 * (target, time) and hand everything to the context's sink.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctx.h"
#include "log.h"
#include "util.h"

struct cp_ctx {
	const struct plugin *plugin;
	char *name;
	struct ctx_env env;
	struct ctx_sink sink;
	int64_t interval_ms;
	_Atomic int64_t now_ms;
	atomic_uint_fast64_t errors;
};

struct plugin *
plugin_load(const char *path, char *err, size_t errlen)
{
	const struct cp_collector *d;
	struct plugin *p;
	void *h;

	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return NULL;
	}
	d = dlsym(h, "cp_collector");
	if (d == NULL) {
		snprintf(err, errlen, "%s: no 'cp_collector' symbol", path);
		goto fail;
	}
	if (d->abi != CP_ABI_VERSION) {
		snprintf(err, errlen,
		    "%s: built for collector ABI %d, this agent has ABI %d",
		    path, d->abi, CP_ABI_VERSION);
		goto fail;
	}
	if (d->name == NULL || d->name[0] == '\0' || d->configure == NULL ||
	    d->start == NULL || d->collect == NULL || d->stop == NULL) {
		snprintf(err, errlen,
		    "%s: incomplete descriptor (name and all four callbacks "
		    "are required)",
		    path);
		goto fail;
	}
	p = xcalloc(1, sizeof(*p));
	p->path = xstrdup(path);
	p->handle = h;
	p->desc = d;
	return p;
fail:
	dlclose(h);
	return NULL;
}

void
plugin_free(struct plugin *p)
{
	if (p == NULL)
		return;
		/* ASan reports leaks in unloaded objects without symbols; keep
		 * them. */
#if !defined(__SANITIZE_ADDRESS__)
	dlclose(p->handle);
#endif
	free(p->path);
	free(p);
}

struct cp_ctx *
ctx_new(const struct plugin *p, const char *name, const struct ctx_env *env,
    const struct ctx_sink *sink, int64_t interval_ms)
{
	struct cp_ctx *c = xcalloc(1, sizeof(*c));

	c->plugin = p;
	c->name = xstrdup(name ? name : p ? p->desc->name : "?");
	c->env = *env;
	if (c->env.procfs == NULL)
		c->env.procfs = "/proc";
	if (c->env.sysfs == NULL)
		c->env.sysfs = "/sys";
	if (c->env.hostname == NULL)
		c->env.hostname = "localhost";
	if (c->env.data_dir == NULL)
		c->env.data_dir = ".";
	if (sink)
		c->sink = *sink;
	c->interval_ms = interval_ms;
	atomic_store(&c->now_ms, now_ms());
	return c;
}

void
ctx_free(struct cp_ctx *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c);
}

const char *
ctx_name(const struct cp_ctx *c)
{
	return c->name;
}

const struct plugin *
ctx_plugin(const struct cp_ctx *c)
{
	return c->plugin;
}

void
ctx_set_now(struct cp_ctx *c, int64_t t)
{
	atomic_store(&c->now_ms, t);
}

uint64_t
ctx_errors(const struct cp_ctx *c)
{
	return atomic_load(&c->errors);
}

int
ctx_configure(struct cp_ctx *c, const struct cp_cfg *node, void **state)
{
	struct cfg_errs none;
	struct cfgdoc *empty = NULL;
	int r;

	*state = NULL;
	if (node == NULL) {
		cfg_errs_init(&none);
		empty = cfgdoc_parse("<empty>", "{}", 2, &none);
		node = cfgdoc_root(empty);
	}
	cfg_node_clear_used(node);
	cfg_node_mark_used(node, "interval"); /* the agent's key */
	r = c->plugin->desc->configure(c, node, state);
	if (r >= 0) {
		char where[160];

		snprintf(where, sizeof(where), "collector '%s'", c->name);
		cfg_node_report_unused(node, where);
	}
	if (empty) {
		cfgdoc_free(empty);
		cfg_errs_fini(&none);
	}
	return r < 0 ? r : 0;
}

/* ------------------------------------------------------------- the ABI */

int
cp_emit(struct cp_ctx *c, const struct cp_sample *s)
{
	struct cp_sample r;

	if (s == NULL || s->metric == NULL || s->metric[0] == '\0' ||
	    (s->nlabels && s->labels == NULL))
		return -EINVAL;
	if (c->sink.sample == NULL)
		return 0;
	r = *s;
	if (r.target == NULL)
		r.target = c->env.hostname;
	if (r.time_ms == 0)
		r.time_ms = atomic_load(&c->now_ms);
	if (r.scale == 0)
		r.scale = 1;
	return c->sink.sample(c->sink.arg, c, &r);
}

int
cp_event(struct cp_ctx *c, const struct cp_event *ev)
{
	struct cp_event r;

	if (ev == NULL || ev->kind == NULL || ev->message == NULL)
		return -EINVAL;
	if (c->sink.event == NULL)
		return 0;
	r = *ev;
	if (r.target == NULL)
		r.target = c->env.hostname;
	if (r.time_ms == 0)
		r.time_ms = now_ms();
	if (r.component == NULL)
		r.component = "";
	return c->sink.event(c->sink.arg, c, &r);
}

int
cp_inventory_put(struct cp_ctx *c, const char *target, const char *kind,
    const struct cp_inventory_item *items, size_t nitems)
{
	if (kind == NULL || (nitems && items == NULL))
		return -EINVAL;
	if (c->sink.inventory == NULL)
		return 0;
	return c->sink.inventory(c->sink.arg, c,
	    target ? target : c->env.hostname, kind, items, nitems);
}

int
cp_inventory_get(struct cp_ctx *c, const char *target, const char *kind,
    cp_inventory_cb cb, void *arg)
{
	if (kind == NULL || cb == NULL)
		return -EINVAL;
	if (c->sink.inventory_get == NULL)
		return -ENOTSUP;
	return c->sink.inventory_get(
	    c->sink.arg, c, target ? target : c->env.hostname, kind, cb, arg);
}

int
cp_target_status(struct cp_ctx *c, const struct cp_target_status *st)
{
	if (st == NULL || st->target == NULL)
		return -EINVAL;
	if (c->sink.target_status == NULL)
		return 0;
	return c->sink.target_status(c->sink.arg, c, st);
}

const struct cp_cfg *
cp_cfg_root(struct cp_ctx *c, const char *key)
{
	const struct cp_cfg *root;

	if (c->env.config == NULL || c->env.config->doc == NULL)
		return NULL;
	root = cfgdoc_root(c->env.config->doc);
	return cp_cfg_child(root, key);
}

char *
cp_path(struct cp_ctx *c, enum cp_root root, const char *rel, char *buf,
    size_t size)
{
	const char *base = root == CP_SYSFS ? c->env.sysfs : c->env.procfs;
	int n;

	while (*rel == '/')
		rel++;
	n = snprintf(buf, size, "%s/%s", base, rel);
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}

FILE *
cp_open(struct cp_ctx *c, enum cp_root root, const char *rel)
{
	char path[4096];

	if (cp_path(c, root, rel, path, sizeof(path)) == NULL) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return fopen(path, "re");
}

const char *
cp_hostname(struct cp_ctx *c)
{
	return c->env.hostname;
}

int64_t
cp_interval_ms(struct cp_ctx *c)
{
	return c->interval_ms;
}

int64_t
cp_now_ms(struct cp_ctx *c)
{
	return atomic_load(&c->now_ms);
}

const char *
cp_data_dir(struct cp_ctx *c)
{
	return c->env.data_dir;
}

int
cp_watch_fd(struct cp_ctx *c, int fd, unsigned events, cp_fd_cb cb, void *arg)
{
	if (c->sink.watch == NULL)
		return -ENOTSUP;
	return c->sink.watch(c->sink.arg, c, fd, events, cb, arg);
}

void
cp_unwatch_fd(struct cp_ctx *c, int fd)
{
	if (c->sink.unwatch)
		c->sink.unwatch(c->sink.arg, c, fd);
}

void
cp_count_error(struct cp_ctx *c)
{
	atomic_fetch_add(&c->errors, 1);
}

#define CTX_LOG(fn, lvl, errnum)                                               \
	void fn(struct cp_ctx *c, const char *fmt, ...)                        \
	{                                                                      \
		int e = errno;                                                 \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vmsg(lvl, errnum, c->name, fmt, ap);                       \
		va_end(ap);                                                    \
		errno = e;                                                     \
	}

CTX_LOG(cp_log_info, LOG_LVL_INFO, 0)
CTX_LOG(cp_log_warn, LOG_LVL_WARN, e)
CTX_LOG(cp_log_warnx, LOG_LVL_WARN, 0)
CTX_LOG(cp_log_debug, LOG_LVL_DEBUG, 0)
