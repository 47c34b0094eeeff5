/* SPDX-License-Identifier: MIT */
/*
 * Test harness for the hardware collectors (ecc, hotswap): loads the real
 * collector shared object from the build tree, runs it against a fixture
 * sysfs/procfs tree and stores events and inventory in a real SQLite
 * database (agent/db.c) in a temporary data directory, which survives
 * "restarts" (a new collector instance on the same database). Samples are
 * captured in memory; watched fds are recorded so a test can drive the
 * collector's event-loop callback itself. Header-only: static functions.
 */
#ifndef HW_HARNESS_H
#define HW_HARNESS_H

/* Each test uses some of these helpers (and only these are exempt). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctx.h"
#include "db.h"
#include "helpers/rmtree.h"
#include "util.h"

struct hw_sample {
	char metric[64];
	char labels[256]; /* "k=v,k=v" */
	double value;
	uint64_t counter;
	int kind;
};

struct hw_h {
	char dir[PATH_MAX];   /* temp data dir */
	char sysfs[PATH_MAX]; /* what ctx env points at */
	char procfs[PATH_MAX];
	struct db *db;
	struct plugin *plugin;
	struct cp_ctx *ctx;
	void *state;
	struct cfgdoc *doc;
	struct cfg_errs errs;
	struct hw_sample *s;
	size_t ns, caps;
	/* the last cp_watch_fd() call */
	int watch_fd;
	cp_fd_cb watch_cb;
	void *watch_arg;
	int unwatched;
};

static const char *
hw_build(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

/* Absolute path of a fixture case directory (tests run from the repo). */
static void
hw_fixture(char *buf, size_t size, const char *tcase, const char *sub)
{
	char cwd[PATH_MAX];

	if (!getcwd(cwd, sizeof(cwd)))
		abort();
	if (snprintf(buf, size, "%s/tests/fixtures/host/%s/%s", cwd, tcase,
	        sub) >= (int)size)
		abort();
}

static int
hw_sink_sample(void *arg, struct cp_ctx *ctx, const struct cp_sample *s)
{
	struct hw_h *h = arg;
	struct hw_sample *o;
	size_t off = 0;

	(void)ctx;
	if (h->ns == h->caps) {
		h->caps = h->caps ? h->caps * 2 : 64;
		h->s = xrealloc(h->s, h->caps * sizeof(*h->s));
	}
	o = &h->s[h->ns++];
	memset(o, 0, sizeof(*o));
	snprintf(o->metric, sizeof(o->metric), "%s", s->metric);
	for (size_t i = 0; i < s->nlabels && off < sizeof(o->labels); i++)
		off += (size_t)snprintf(o->labels + off,
		    sizeof(o->labels) - off, "%s%s=%s", i ? "," : "",
		    s->labels[i].key, s->labels[i].value);
	o->value = s->value;
	o->counter = s->counter;
	o->kind = (int)s->kind;
	return 0;
}

static int
hw_sink_event(void *arg, struct cp_ctx *ctx, const struct cp_event *ev)
{
	struct hw_h *h = arg;
	struct db_event e = {
	    .time_ms = ev->time_ms,
	    .target = ev->target,
	    .kind = ev->kind,
	    .component = ev->component,
	    .severity = ev->severity,
	    .before = ev->before,
	    .after = ev->after,
	    .message = ev->message,
	};
	int64_t id;

	(void)ctx;
	id = db_event_add(h->db, &e);
	return id < 0 ? (int)id : 0;
}

static int
hw_sink_inv(void *arg, struct cp_ctx *ctx, const char *target, const char *kind,
    const struct cp_inventory_item *items, size_t n)
{
	struct hw_h *h = arg;

	(void)ctx;
	return db_inventory_put(h->db, target, kind, items, n);
}

struct hw_get_arg {
	cp_inventory_cb cb;
	void *arg;
};

static int
hw_get_cb(const char *target, const char *kind, const char *key,
    const struct cp_label *attrs, size_t nattrs, void *arg)
{
	struct hw_get_arg *g = arg;
	struct cp_inventory_item it = {key, attrs, nattrs};

	(void)target;
	(void)kind;
	return g->cb(&it, g->arg);
}

static int
hw_sink_inv_get(void *arg, struct cp_ctx *ctx, const char *target,
    const char *kind, cp_inventory_cb cb, void *cbarg)
{
	struct hw_h *h = arg;
	struct hw_get_arg g = {cb, cbarg};

	(void)ctx;
	return db_inventory_get(h->db, target, kind, hw_get_cb, &g);
}

static int
hw_sink_watch(void *arg, struct cp_ctx *ctx, int fd, unsigned events,
    cp_fd_cb cb, void *cbarg)
{
	struct hw_h *h = arg;

	(void)ctx;
	(void)events;
	h->watch_fd = fd;
	h->watch_cb = cb;
	h->watch_arg = cbarg;
	return 0;
}

static void
hw_sink_unwatch(void *arg, struct cp_ctx *ctx, int fd)
{
	struct hw_h *h = arg;

	(void)ctx;
	if (fd == h->watch_fd)
		h->unwatched = 1;
}

/* A fresh temp data dir with an open database. */
static void
hw_init(struct hw_h *h)
{
	char err[256];

	memset(h, 0, sizeof(*h));
	h->watch_fd = -1;
	snprintf(h->dir, sizeof(h->dir), "/tmp/cp-hw-XXXXXX");
	if (!mkdtemp(h->dir))
		abort();
	h->db = db_open(h->dir, err, sizeof(err));
	if (!h->db) {
		fprintf(stderr, "db_open: %s\n", err);
		abort();
	}
}

/*
 * Start an instance of collector name on the given roots with config yaml
 * (NULL: empty). Returns configure()'s result; start() runs when it
 * succeeded and start is set.
 */
static int
hw_open(struct hw_h *h, const char *name, const char *sysfs, const char *procfs,
    const char *yaml, int start)
{
	char path[PATH_MAX], err[512];
	struct ctx_env env;
	struct ctx_sink sink = {
	    .sample = hw_sink_sample,
	    .event = hw_sink_event,
	    .inventory = hw_sink_inv,
	    .inventory_get = hw_sink_inv_get,
	    .watch = hw_sink_watch,
	    .unwatch = hw_sink_unwatch,
	    .arg = h,
	};
	int r;

	snprintf(path, sizeof(path), "%s/collectors/%s.so", hw_build(), name);
	h->plugin = plugin_load(path, err, sizeof(err));
	if (!h->plugin) {
		fprintf(stderr, "plugin_load: %s\n", err);
		abort();
	}
	snprintf(h->sysfs, sizeof(h->sysfs), "%s", sysfs);
	snprintf(h->procfs, sizeof(h->procfs), "%s", procfs);
	memset(&env, 0, sizeof(env));
	env.hostname = "testhost";
	env.sysfs = h->sysfs;
	env.procfs = h->procfs;
	env.data_dir = h->dir;
	h->ctx = ctx_new(h->plugin, NULL, &env, &sink, 10000);
	cfg_errs_init(&h->errs);
	h->doc = cfgdoc_parse("test.yaml", yaml ? yaml : "{}",
	    strlen(yaml ? yaml : "{}"), &h->errs);
	if (!h->doc)
		abort();
	cfgdoc_set_errs(h->doc, &h->errs);
	r = ctx_configure(h->ctx, cfgdoc_root(h->doc), &h->state);
	if (r == 0 && start)
		r = h->plugin->desc->start(h->ctx, h->state);
	return r;
}

static int
hw_collect(struct hw_h *h, int64_t now)
{
	h->ns = 0;
	ctx_set_now(h->ctx, now);
	return h->plugin->desc->collect(h->ctx, h->state);
}

/* Stop the instance; the database stays for the next one. */
static void
hw_close(struct hw_h *h)
{
	if (h->plugin) {
		h->plugin->desc->stop(h->state);
		ctx_free(h->ctx);
		plugin_free(h->plugin);
	}
	cfgdoc_free(h->doc);
	cfg_errs_fini(&h->errs);
	h->plugin = NULL;
	h->ctx = NULL;
	h->doc = NULL;
	h->state = NULL;
	h->watch_fd = -1;
	h->watch_cb = NULL;
}

static void
hw_fini(struct hw_h *h)
{
	hw_close(h);
	db_close(h->db);
	free(h->s);
	tu_rm_tree(h->dir);
}

/* Point link (a symlink in the data dir) at target, atomically: how a
 * test moves "the machine" from one fixture state to the next. */
static void
hw_relink(const char *target, const char *link)
{
	char tmp[PATH_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s.new", link);
	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, link) < 0)
		abort();
}

/* Write text to path (creating it). */
static void
hw_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* Run fn with stderr captured into buf (what the collector logged). */
static void
hw_capture_stderr_begin(int *saved, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "/tmp/cp-hw-log-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	fflush(stderr);
	*saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *
hw_capture_stderr_end(int saved, const char *path)
{
	char *text;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	text = file_read(path, 1 << 20, NULL);
	unlink(path);
	return text ? text : xstrdup("");
}

/* The value of metric with exactly these labels, or NAN. */
static const struct hw_sample *
hw_sample(const struct hw_h *h, const char *metric, const char *labels)
{
	for (size_t i = 0; i < h->ns; i++)
		if (strcmp(h->s[i].metric, metric) == 0 &&
		    strcmp(h->s[i].labels, labels ? labels : "") == 0)
			return &h->s[i];
	return NULL;
}

struct hw_evlist {
	size_t n;
	char msg[64][768];
	char comp[64][160];
	char before[64][64];
	char after[64][64];
	int sev[64];
	char kind[64][32];
};

static int
hw_ev_cb(const struct db_event *e, void *arg)
{
	struct hw_evlist *l = arg;

	if (l->n == 64)
		return 1;
	snprintf(l->msg[l->n], sizeof(l->msg[0]), "%s", e->message);
	snprintf(l->comp[l->n], sizeof(l->comp[0]), "%s", e->component);
	snprintf(l->before[l->n], sizeof(l->before[0]), "%s",
	    e->before ? e->before : "");
	snprintf(l->after[l->n], sizeof(l->after[0]), "%s",
	    e->after ? e->after : "");
	snprintf(l->kind[l->n], sizeof(l->kind[0]), "%s", e->kind);
	l->sev[l->n] = (int)e->severity;
	l->n++;
	return 0;
}

/* Events of kind (NULL: all) with id > after_id; newest first. */
static void
hw_events(struct hw_h *h, const char *kind, struct hw_evlist *l)
{
	struct db_event_filter f = {.kind = kind, .limit = 64};

	memset(l, 0, sizeof(*l));
	db_events_query(h->db, &f, hw_ev_cb, l);
}

/* How many events of kind have a message containing needle. */
static size_t
hw_count(const struct hw_evlist *l, const char *needle)
{
	size_t c = 0;

	for (size_t i = 0; i < l->n; i++)
		if (strstr(l->msg[i], needle))
			c++;
	return c;
}

#pragma GCC diagnostic pop

#endif
