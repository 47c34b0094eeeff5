// SPDX-License-Identifier: MIT
/*
 * The agent's lifecycle: load and validate the config (collectors included),
 * open the data directory's stores, start HTTP and the collector workers
 * (agent_collectors.c), run the loop, and handle signals: SIGTERM/SIGINT
 * stop cleanly (the RRD store flushes), SIGHUP reloads the config only if
 * it is valid.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "agent_priv.h"
#include "alert.h"
#include "cache.h"
#include "config.h"
#include "ctx.h"
#include "db.h"
#include "dirlock.h"
#include "firmware/firmware.h"
#include "hook.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "rrd.h"
#include "targets.h"
#include "util.h"
#include "web.h"

/* ---------------------------------------------------------------- paths */

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *
agent_plugin_dir(const struct config *cfg, char *buf, size_t size)
{
	char exe[PATH_MAX];

	if (cfg && cfg->agent.plugin_dir) {
		snprintf(buf, size, "%s", cfg->agent.plugin_dir);
		return buf;
	}
	if (exe_dir(exe, sizeof(exe))) {
		snprintf(buf, size, "%s/collectors", exe);
		if (is_dir(buf))
			return buf;
		snprintf(buf, size, "%s/../lib/chokepoint/collectors", exe);
		if (is_dir(buf))
			return buf;
	}
	snprintf(buf, size, "%s/lib/chokepoint/collectors", CP_PREFIX);
	return buf;
}

const char *
agent_static_dir(char *buf, size_t size)
{
	char exe[PATH_MAX];

	if (exe_dir(exe, sizeof(exe))) {
		snprintf(buf, size, "%s/../web/static", exe);
		if (is_dir(buf))
			return buf;
		snprintf(buf, size, "%s/../share/chokepoint/web", exe);
		if (is_dir(buf))
			return buf;
	}
	snprintf(buf, size, "%s/share/chokepoint/web", CP_PREFIX);
	return buf;
}

/* ---------------------------------------------------------- maintenance */

static void
on_maintenance(int64_t tick_ms, uint64_t missed, void *arg)
{
	struct agent *a = arg;

	(void)missed;
	agent_self_metrics(a);
	/* Deleted to free space, say: open it again (one stat() if not). */
	if (a->db)
		db_check(a->db);
	if (tick_ms - a->last_expire_ms >= 60000) {
		a->last_expire_ms = tick_ms;
		cache_expire(a->cache, tick_ms, 300000);
	}
}

/* --------------------------------------------------------------- alerts */

static char *
dashboard_url(const struct config *c)
{
	if (c->bottlenecks.dashboard_url)
		return xstrdup(c->bottlenecks.dashboard_url);
	return xasprintf("http://%s/", c->web.listen);
}

/* The alert engine evaluates on its own thread; hooks run on theirs. */
static int
alerts_wire(struct agent *a, char *err, size_t errlen)
{
	struct alerts_env env = {0};
	int64_t rep[3];
	char *url = dashboard_url(a->cfg);

	a->hooks = hooks_new(a->cfg, a->db, a->cfg->agent.name, url);
	env.cache = a->cache;
	env.db = a->db;
	env.targets = a->targets;
	env.hostname = a->cfg->agent.hostname;
	env.host_role = a->cfg->bottlenecks.host_role;
	env.dashboard_url = url;
	a->alerts = alerts_new(a->cfg, &env, err, errlen);
	free(url);
	if (a->hooks == NULL || a->alerts == NULL) {
		if (a->hooks == NULL)
			snprintf(err, errlen, "cannot start the hook runner");
		return -1;
	}
	hooks_repeat_min(a->cfg, rep);
	if (a->cfg->nhooks)
		alerts_set_repeat(a->alerts, rep);
	alerts_set_notify(a->alerts, hooks_notify, a->hooks);
	if (alerts_start(a->alerts, a->cfg->agent.interval_ms) < 0) {
		snprintf(err, errlen, "cannot start the alert engine");
		return -1;
	}
	return 0;
}

static void
alerts_wire_reload(struct agent *a)
{
	int64_t rep[3];

	if (a->alerts == NULL)
		return;
	hooks_reconfigure(a->hooks, a->cfg);
	alerts_reconfigure(a->alerts, a->cfg);
	alerts_set_host(
	    a->alerts, a->cfg->agent.hostname, a->cfg->bottlenecks.host_role);
	hooks_repeat_min(a->cfg, rep);
	if (a->cfg->nhooks)
		alerts_set_repeat(a->alerts, rep);
}

/* ------------------------------------------------------ config in use */

/* The entry of c in a->cfgs (cfg_mu held), made if need be. */
static struct cfg_hold *
cfg_hold_of(struct agent *a, const struct config *c, int make)
{
	for (size_t i = 0; i < a->ncfgs; i++)
		if (a->cfgs[i].c == c)
			return &a->cfgs[i];
	if (!make)
		return NULL;
	a->cfgs = xrealloc(a->cfgs, (a->ncfgs + 1) * sizeof(*a->cfgs));
	a->cfgs[a->ncfgs] = (struct cfg_hold){(struct config *)c, 0, 0};
	return &a->cfgs[a->ncfgs++];
}

/* Drop e from a->cfgs (cfg_mu held): its config, to be freed. */
static struct config *
cfg_hold_drop(struct agent *a, struct cfg_hold *e)
{
	struct config *c = e->c;

	*e = a->cfgs[--a->ncfgs];
	return c;
}

const struct config *
agent_config_hold(struct agent *a)
{
	const struct config *c;

	pthread_mutex_lock(&a->cfg_mu);
	c = a->cfg;
	cfg_hold_of(a, c, 1)->refs++;
	pthread_mutex_unlock(&a->cfg_mu);
	return c;
}

void
agent_config_release(struct agent *a, const struct config *c)
{
	struct config *done = NULL;
	struct cfg_hold *e;

	if (c == NULL)
		return;
	pthread_mutex_lock(&a->cfg_mu);
	if ((e = cfg_hold_of(a, c, 0)) != NULL && --e->refs <= 0) {
		int replaced = e->replaced;
		struct config *held = cfg_hold_drop(a, e);

		done = replaced ? held : NULL;
	}
	pthread_mutex_unlock(&a->cfg_mu);
	config_free(done);
}

/*
 * old was replaced by a reload and nothing of the agent's refers to it
 * any more: freed now, or at the release of the last request holding it.
 * With a hung collector (its state may point into old), kept until exit.
 */
static void
config_replaced(struct agent *a, struct config *old, int hung)
{
	struct cfg_hold *e;

	if (hung) {
		a->old_cfgs =
		    xrealloc(a->old_cfgs, (a->nold + 1) * sizeof(*a->old_cfgs));
		a->old_cfgs[a->nold++] = old;
		return;
	}
	pthread_mutex_lock(&a->cfg_mu);
	if ((e = cfg_hold_of(a, old, 0)) != NULL && e->refs > 0) {
		e->replaced = 1;
		old = NULL;
	}
	pthread_mutex_unlock(&a->cfg_mu);
	config_free(old);
}

/* -------------------------------------------------------------- signals */

static void reload(struct agent *a);

static void
on_signal(int fd, unsigned events, void *arg)
{
	struct agent *a = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("agent: %s: shutting down",
			    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			loop_stop(a->loop);
			return;
		case SIGHUP:
			reload(a);
			break;
		}
	}
}

static void
reload(struct agent *a)
{
	struct cfg_errs errs, warns;
	struct instset next = {0};
	struct config *c, *old;
	size_t hung;
	char buf[1024];

	cfg_errs_init(&errs);
	cfg_errs_init(&warns);
	log_info("agent: SIGHUP: reloading %s",
	    a->cfg->path ? a->cfg->path : "the embedded defaults");
	c = config_load(a->cfg->path, &errs);
	if (c && agent_instances_build(a, c, &next, &errs, &warns) < 0) {
		agent_instset_free(&next);
		config_free(c);
		c = NULL;
	}
	if (c == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("config: %s",
			    err_format(&errs.v[i], buf, sizeof(buf)));
		log_warnx(
		    "agent: new config is invalid; keeping the running one");
		goto out;
	}
	for (size_t i = 0; i < warns.n; i++)
		log_warnx(
		    "config: %s", err_format(&warns.v[i], buf, sizeof(buf)));
	if (strcmp(c->agent.data_dir, a->cfg->agent.data_dir) != 0 ||
	    strcmp(c->web.listen, a->cfg->web.listen) != 0 ||
	    (c->storage.rrdcached == NULL) !=
	        (a->cfg->storage.rrdcached == NULL))
		log_warnx(
		    "agent: data_dir, web.listen and storage changes take "
		    "effect at the next restart");
	hung = agent_instances_stop(&a->inst);
	old = a->cfg;
	pthread_mutex_lock(&a->cfg_mu);
	a->cfg = c;
	pthread_mutex_unlock(&a->cfg_mu);
	a->inst = next;
	/* Past these, only HTTP requests that hold it still read old. */
	alerts_wire_reload(a);
	http_reload(a->http, a->cfg);
	agent_instances_start(a, &a->inst);
	config_replaced(a, old, hung > 0);
	log_info("agent: reloaded: %zu collectors", a->inst.n);
out:
	cfg_errs_fini(&errs);
	cfg_errs_fini(&warns);
}

static int
signals_setup(struct agent *a)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so every thread inherits it. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	a->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return a->sigfd < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ run/check */

static void
print_errs(const struct cfg_errs *e, FILE *out, const char *tag)
{
	char buf[1024];

	for (size_t i = 0; i < e->n; i++) {
		err_format(&e->v[i], buf, sizeof(buf));
		if (tag) {
			/* "FILE:L:C: warning: msg" */
			char *msg = strstr(buf, e->v[i].msg);

			if (msg && msg > buf) {
				fprintf(out, "%.*s%s: %s\n", (int)(msg - buf),
				    buf, tag, msg);
				continue;
			}
		}
		fprintf(out, "%s\n", buf);
	}
}

int
agent_check(const char *path, FILE *out)
{
	struct cfg_errs errs, warns;
	struct agent a = {0};
	struct instset s = {0};
	char dir[PATH_MAX];
	int rc = 0;

	cfg_errs_init(&errs);
	cfg_errs_init(&warns);
	a.cfg = config_load_lenient(path, &errs);
	if (a.cfg) {
		struct fw_config fc;

		/* The firmware: section belongs to firmware/. */
		if (fw_config_parse(a.cfg, &fc, &errs) == 0)
			fw_config_fini(&fc);
		agent_plugin_dir(a.cfg, dir, sizeof(dir));
		if (!is_dir(dir))
			cfg_errs_add(&warns, path ? path : "<defaults>", 0, 0,
			    "plugin directory %s does not exist: collectors "
			    "not checked",
			    dir);
		else
			agent_instances_build(&a, a.cfg, &s, &errs, &warns);
	}
	cfg_errs_print(&errs, stdout == out ? out : out);
	print_errs(&warns, out, "warning");
	if (errs.n) {
		rc = EXIT_INVALID;
	} else {
		fprintf(out, "%s: ok\n", path ? path : "<defaults>");
	}
	agent_instset_free(&s);
	config_free(a.cfg);
	cfg_errs_fini(&errs);
	cfg_errs_fini(&warns);
	return rc;
}

static int
data_dir_usable(const char *dir, char *err, size_t errlen)
{
	char probe[PATH_MAX];
	int r = mkdir_p(dir), fd;

	if (r < 0) {
		snprintf(err, errlen, "data directory %s: cannot create: %s",
		    dir, strerror(-r));
		return -1;
	}
	snprintf(probe, sizeof(probe), "%s/.write-test.%d", dir, (int)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == ENOSPC || errno == EDQUOT)) {
		/* Full, not misconfigured: monitor anyway (the stores keep
		 * what they cannot write until there is room). */
		log_warnx("data directory %s is full (%s): running, and "
		          "writing once there is room",
		    dir, strerror(errno));
		return 0;
	}
	if (fd < 0) {
		/* Left by a run as root, say: whose it is and who we are. */
		int e = errno;
		char who[128] = "";

		if (errno_denied(e))
			path_owner(dir, who, sizeof(who));
		snprintf(err, errlen,
		    "data directory %s is not writable: %s%s%s%s", dir,
		    strerror(e), *who ? " (" : "", who, *who ? ")" : "");
		return -1;
	}
	close(fd);
	unlink(probe);
	return 0;
}

static void
agent_teardown(struct agent *a)
{
	agent_instances_stop(&a->inst);
	http_stop(a->http);
	/* The engine notifies the runner: stop it first. */
	alerts_free(a->alerts);
	hooks_free(a->hooks);
	if (a->maint_fd > 0 && a->loop)
		loop_timer_del(a->loop, a->maint_fd);
	if (a->sigfd >= 0) {
		if (a->loop)
			loop_unwatch(a->loop, a->sigfd);
		close(a->sigfd);
	}
	/* Stops the writer after it flushed every pending value. */
	store_free(a->store);
	cache_free(a->cache);
	db_close(a->db);
	targets_free(a->targets);
	ctx_free(a->self);
	free(a->self_host);
	free(a->self_dir);
	loop_free(a->loop);
	for (size_t i = 0; i < a->nold; i++)
		config_free(a->old_cfgs[i]);
	free(a->old_cfgs);
	/* The HTTP server is gone: what requests held is not in use. */
	for (size_t i = 0; i < a->ncfgs; i++)
		if (a->cfgs[i].replaced)
			config_free(a->cfgs[i].c);
	free(a->cfgs);
	config_free(a->cfg);
	pthread_mutex_destroy(&a->cfg_mu);
	/* Last: a next agent may start once everything is written. */
	if (a->dirlock >= 0)
		close(a->dirlock);
}

int
agent_run(const char *path)
{
	struct cfg_errs errs, warns;
	struct agent a = {0};
	struct store_rra rras[8];
	struct store_cfg scfg = {0};
	struct ctx_env env;
	struct http_deps deps = {0};
	char dir[PATH_MAX], sdir[PATH_MAX], err[1024];
	char rrd_helper[PATH_MAX + 64];
	int rc = EXIT_ENV;

	a.sigfd = -1;
	a.dirlock = -1;
	a.started_ms = now_ms();
	pthread_mutex_init(&a.cfg_mu, NULL);
	cfg_errs_init(&errs);
	cfg_errs_init(&warns);
	a.cfg = config_load(path, &errs);
	if (a.cfg == NULL) {
		cfg_errs_print(&errs, stderr);
		fprintf(stderr,
		    "chokepoint: invalid configuration, not starting\n");
		rc = EXIT_INVALID;
		goto out;
	}
	if (strcmp(a.cfg->agent.log_level, "debug") == 0)
		log_set_level(LOG_LVL_DEBUG);
	else if (strcmp(a.cfg->agent.log_level, "warning") == 0)
		log_set_level(LOG_LVL_WARN);
	else if (strcmp(a.cfg->agent.log_level, "error") == 0)
		log_set_level(LOG_LVL_ERROR);
	agent_plugin_dir(a.cfg, dir, sizeof(dir));
	if (!is_dir(dir)) {
		fprintf(stderr,
		    "chokepoint: plugin directory %s does not exist "
		    "(set agent.plugin_dir)\n",
		    dir);
		goto out;
	}
	if (data_dir_usable(a.cfg->agent.data_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "chokepoint: %s\n", err);
		goto out;
	}
	/* One agent per data directory, before any store opens it. */
	a.dirlock = dirlock_take(a.cfg->agent.data_dir, err, sizeof(err));
	if (a.dirlock == -1) {
		fprintf(stderr, "chokepoint: %s\n", err);
		goto out;
	} else if (a.dirlock == -2) {
		log_warnx("%s", err);
	}
	/* Signals are blocked before the first thread (workers, MHD, RRD). */
	if (signals_setup(&a) < 0) {
		fprintf(stderr, "chokepoint: cannot set up signals: %s\n",
		    strerror(errno));
		goto out;
	}
	a.loop = loop_new();
	a.targets = targets_new();
	for (size_t i = 0; i < a.cfg->ndevices; i++)
		targets_declare(a.targets, a.cfg->devices[i].name,
		    device_role_name(a.cfg->devices[i].role));
	a.db = db_open_rw(a.cfg->agent.data_dir, err, sizeof(err));
	if (a.db == NULL) {
		fprintf(stderr, "chokepoint: %s\n", err);
		goto out;
	}
	scfg.data_dir = a.cfg->agent.data_dir;
	scfg.rrdcached = a.cfg->storage.rrdcached;
	scfg.flush_ms = a.cfg->storage.flush_ms;
	if (scfg.flush_ms == 0) {
		/*
		 * Default: 60 values per write, between 1 and 5 minutes (as
		 * rrdcached's own default of 300 s). librrd's cost is per file
		 * written far more than per value, so this is most of the
		 * writer's CPU; graphs and the API flush the file they read
		 * first, so only a crash (not SIGTERM) loses the queued values.
		 * New files are still created within 30 s.
		 */
		int64_t f = 60 * a.cfg->agent.interval_ms;

		scfg.flush_ms = f < 60000 ? 60000 : f > 300000 ? 300000 : f;
		scfg.first_flush_ms = 30000;
	}
	scfg.max_pending = a.cfg->storage.max_pending;
	/*
	 * File templates are made by the chokepoint-rrd-create helper, or
	 * by this binary's `__rrd-create` when it is not installed (rrd.h).
	 */
	if (helper_path(
	        "chokepoint-rrd-create", rrd_helper, sizeof(rrd_helper)) == 0)
		scfg.create_helper = rrd_helper;
	else if (access("/proc/self/exe", X_OK) == 0)
		scfg.create_helper = "/proc/self/exe";
	if (a.cfg->storage.nrra) {
		for (size_t i = 0; i < a.cfg->storage.nrra; i++) {
			rras[i].step_ms = a.cfg->storage.rra[i].step_ms;
			rras[i].keep_ms = a.cfg->storage.rra[i].keep_ms;
		}
		scfg.rras = rras;
		scfg.nrras = a.cfg->storage.nrra;
	}
	a.store = store_new(&scfg);
	if (a.store == NULL || store_start(a.store) < 0) {
		fprintf(stderr,
		    "chokepoint: RRD store in %s/rrd: cannot start\n",
		    a.cfg->agent.data_dir);
		goto out;
	}
	a.cache = cache_new(a.store);
	for (size_t i = 0; i < agent_self_nno_history; i++)
		cache_no_history(a.cache, agent_self_no_history[i]);
	/* The agent's own metrics outlive a reload's config: their target
	 * and data directory are copies (neither changes without a
	 * restart). */
	agent_ctx_env_of(a.cfg, &env);
	a.self_host = xstrdup(env.hostname);
	a.self_dir = xstrdup(env.data_dir);
	{
		struct ctx_env se = {
		    .hostname = a.self_host, .data_dir = a.self_dir};
		struct ctx_sink sink = agent_sink(&a);

		a.self = ctx_new(NULL, "agent", &se, &sink, 10000);
	}
	if (agent_instances_build(&a, a.cfg, &a.inst, &errs, &warns) < 0) {
		cfg_errs_print(&errs, stderr);
		fprintf(stderr,
		    "chokepoint: invalid configuration, not starting\n");
		rc = EXIT_INVALID;
		goto out;
	}
	print_errs(&warns, stderr, "warning");
	alert_api_register();
	deps.cache = a.cache;
	deps.store = a.store;
	deps.db = a.db;
	deps.agent = &a;
	deps.static_dir = agent_static_dir(sdir, sizeof(sdir));
	deps.started_ms = a.started_ms;
	web_register();
	a.http = http_start(
	    a.cfg->web.host, a.cfg->web.port, &deps, err, sizeof(err));
	if (a.http == NULL) {
		fprintf(stderr, "chokepoint: %s\n", err);
		goto out;
	}
	if (alerts_wire(&a, err, sizeof(err)) < 0) {
		fprintf(stderr, "chokepoint: %s\n", err);
		goto out;
	}
	loop_watch(a.loop, a.sigfd, LOOP_READ, on_signal, &a);
	a.maint_fd = loop_timer_add(a.loop, 10000, on_maintenance, &a);
	a.last_expire_ms = a.started_ms;
	agent_instances_start(&a, &a.inst);
	agent_self_metrics(&a);
	log_info("agent: chokepoint %s: %zu collectors, %zu devices, data in "
	         "%s (RRD writes every %llds), http://%s:%d/",
	    CP_VERSION, a.inst.n, a.cfg->ndevices, a.cfg->agent.data_dir,
	    (long long)(scfg.flush_ms / 1000), a.cfg->web.host,
	    a.cfg->web.port);
	loop_run(a.loop);
	rc = 0;
out:
	agent_teardown(&a);
	cfg_errs_fini(&errs);
	cfg_errs_fini(&warns);
	if (rc == 0)
		log_info("agent: stopped");
	return rc;
}

struct cache *
agent_cache(struct agent *a)
{
	return a->cache;
}

struct store *
agent_store(struct agent *a)
{
	return a->store;
}

struct db *
agent_db(struct agent *a)
{
	return a->db;
}

struct targets *
agent_targets(struct agent *a)
{
	return a->targets;
}

struct alerts *
agent_alerts(struct agent *a)
{
	return a->alerts;
}

const struct config *
agent_config(struct agent *a)
{
	return a->cfg;
}
