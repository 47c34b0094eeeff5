// SPDX-License-Identifier: MIT
/*
 * The hook runner: notifications from the alert engine become jobs queued
 * per hook; one thread spawns them (posix_spawn, own process group, signal
 * mask and dispositions reset, stdin a sealed-size memfd so a hook that
 * never reads cannot block us), waits on pidfds and output pipes with poll,
 * enforces timeouts (SIGTERM, SIGKILL 2 s later, to the whole group), and
 * retries failures with doubling backoff.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert_db.h"
#include "config.h"
#include "db.h"
#include "hook.h"
#include "log.h"

#define OUT_MAX 4096          /* captured output per run */
#define QUEUE_MAX 10000       /* queued jobs, all hooks */
#define KILL_GRACE_MS 2000    /* SIGTERM -> SIGKILL */
#define SENT_KEEP_MS 86400000 /* repeat bookkeeping */

struct job {
	char *hook;
	char **argv;
	char **env;
	char *json;
	char alert_id[24];
	int64_t transition_id;
	int attempt, retries, concurrency;
	int64_t timeout_ms, backoff_ms, not_before;
	pid_t pid;
	int pidfd, outfd;
	int64_t started, term_at;
	int killed, timed_out;
	char out[OUT_MAX + 1];
	size_t outlen;
	struct job *next;
};

struct sent {
	char key[96]; /* hook \x1f alert id */
	int64_t ms;
};

struct hooks {
	const struct config *cfg;
	struct db *db;
	char *site, *dashboard_url;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	pthread_t thread;
	int wakefd, stop;
	struct job *queue, *running;
	size_t nqueued, nrunning;
	struct sent *sent;
	size_t nsent;
	struct hooks_stats st;
};

/* ---------------------------------------------------------------- jobs */

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->hook);
	for (size_t i = 0; j->argv && j->argv[i]; i++)
		free(j->argv[i]);
	free(j->argv);
	hooks_env_free(j->env);
	free(j->json);
	free(j);
}

static void
wake(struct hooks *h)
{
	uint64_t one = 1;

	if (write(h->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("hooks: wake");
}

/* Repeat bookkeeping: may this hook get a repeat of alert id now? */
static int
repeat_due(struct hooks *h, const struct hook_cfg *hc,
    const struct alert_view *v, int64_t now)
{
	char key[96];
	int64_t every;

	snprintf(key, sizeof(key), "%s\x1f%s", hc->name, v->id);
	every = v->repeat_ms >= 0
	            ? v->repeat_ms
	            : hc->repeat_ms[v->severity > 2 ? 2 : v->severity];
	for (size_t i = 0; i < h->nsent; i++) {
		if (strcmp(h->sent[i].key, key) != 0)
			continue;
		if (!v->repeat) {
			h->sent[i].ms = now;
			return 1;
		}
		if (every <= 0 || now - h->sent[i].ms < every - 1000)
			return 0;
		h->sent[i].ms = now;
		return 1;
	}
	if (v->repeat && every <= 0)
		return 0;
	/* Forget old entries before adding. */
	for (size_t i = 0; i < h->nsent;)
		if (now - h->sent[i].ms > SENT_KEEP_MS)
			h->sent[i] = h->sent[--h->nsent];
		else
			i++;
	h->sent = xrealloc(h->sent, (h->nsent + 1) * sizeof(*h->sent));
	snprintf(h->sent[h->nsent].key, sizeof(h->sent[0].key), "%s", key);
	h->sent[h->nsent++].ms = now;
	return 1;
}

static void
enqueue(struct hooks *h, const struct hook_cfg *hc, const struct alert_view *v,
    size_t n)
{
	struct job *j, **pp;

	if (h->nqueued >= QUEUE_MAX) {
		h->st.dropped++;
		log_warnx("hooks: %s: queue full (%d jobs): notification for "
		          "%s %s dropped",
		    hc->name, QUEUE_MAX, v->rule, v->target);
		/* Dropped notifications are on record like sent ones. */
		if (h->db) {
			db_lock(h->db);
			alertdb_hook_run_add(db_handle(h->db), now_ms(),
			    hc->name, v->id, v->transition_id, 0, "dropped", -1,
			    0, "queue full");
			db_unlock(h->db);
		}
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->hook = xstrdup(hc->name);
	j->argv = xcalloc(hc->argc + 1, sizeof(char *));
	for (size_t i = 0; i < hc->argc; i++)
		j->argv[i] = xstrdup(hc->argv[i]);
	j->env = hooks_env(v, n, h->site, h->dashboard_url, hc->name);
	j->json = hooks_json(v, n, h->site, h->dashboard_url, hc->name);
	snprintf(j->alert_id, sizeof(j->alert_id), "%s", v->id);
	j->transition_id = v->transition_id;
	j->attempt = 1;
	j->retries = hc->retries;
	j->concurrency = hc->concurrency > 0 ? hc->concurrency : 1;
	j->timeout_ms = hc->timeout_ms > 0 ? hc->timeout_ms : 10000;
	j->backoff_ms = hc->backoff_ms;
	j->pidfd = j->outfd = -1;
	for (pp = &h->queue; *pp; pp = &(*pp)->next)
		;
	*pp = j;
	h->nqueued++;
	h->st.queued_total++;
}

void
hooks_notify(const struct alert_view *v, size_t n, void *arg)
{
	struct hooks *h = arg;
	pthread_setname_np(pthread_self(), "cp-hooks");
	struct alert_view *sel;
	int64_t now = now_ms();

	if (h == NULL || n == 0)
		return;
	sel = xcalloc(n, sizeof(*sel));
	pthread_mutex_lock(&h->mu);
	for (size_t k = 0; h->cfg && k < h->cfg->nhooks; k++) {
		const struct hook_cfg *hc = &h->cfg->hooks[k];
		size_t m = 0;

		if (hc->argv == NULL)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (v[i].state == ALERT_RESOLVED && !hc->send_resolved)
				continue;
			if (!alert_match(&hc->match, v[i].target, v[i].role,
			        v[i].labels, v[i].nlabels, v[i].rule,
			        alert_severity_name(v[i].severity)))
				continue;
			if (v[i].state == ALERT_FIRING &&
			    !repeat_due(h, hc, &v[i], now))
				continue;
			sel[m++] = v[i];
		}
		if (m == 0)
			continue;
		if (hc->group)
			enqueue(h, hc, sel, m);
		else
			for (size_t i = 0; i < m; i++)
				enqueue(h, hc, &sel[i], 1);
	}
	pthread_mutex_unlock(&h->mu);
	free(sel);
	wake(h);
}

/* ------------------------------------------------------------- running */

static int
pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static int
running_of(struct hooks *h, const char *hook)
{
	int n = 0;

	for (struct job *j = h->running; j; j = j->next)
		n += strcmp(j->hook, hook) == 0;
	return n;
}

/* Spawns j; 0, or -errno (j not started). */
static int
job_spawn(struct hooks *h, struct job *j, int64_t mono)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int in = -1, out[2] = {-1, -1}, r;
	size_t len = strlen(j->json);
	char abuf[32];

	(void)h;
	in = memfd_create("chokepoint-alert", MFD_CLOEXEC);
	if (in < 0 || write(in, j->json, len) != (ssize_t)len ||
	    lseek(in, 0, SEEK_SET) != 0) {
		r = -errno;
		goto fail;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	/* CHOKEPOINT_ATTEMPT: replace the last env slot's value. */
	snprintf(abuf, sizeof(abuf), "%d", j->attempt);
	{
		size_t ne = 0;

		while (j->env[ne])
			ne++;
		if (ne &&
		    strncmp(j->env[ne - 1], "CHOKEPOINT_ATTEMPT=", 19) == 0)
			free(j->env[--ne]);
		j->env = xrealloc(j->env, (ne + 2) * sizeof(char *));
		j->env[ne] = xasprintf("CHOKEPOINT_ATTEMPT=%s", abuf);
		j->env[ne + 1] = NULL;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	/* A collector's socket without CLOEXEC must not reach a hook. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	/* The agent blocks TERM/INT/HUP and ignores PIPE: the hook must not
	 * inherit either. Its own group lets a timeout kill its children. */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	                                  POSIX_SPAWN_SETSIGDEF |
	                                  POSIX_SPAWN_SETPGROUP);
	r = posix_spawn(&j->pid, j->argv[0], &fa, &at, j->argv, j->env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in);
	in = -1;
	close(out[1]);
	out[1] = -1;
	if (r != 0) {
		r = -r;
		goto fail;
	}
	j->outfd = out[0];
	j->pidfd = pidfd_open_(j->pid);
	j->started = mono;
	j->outlen = 0;
	j->killed = j->timed_out = 0;
	j->term_at = 0;
	h->st.started++;
	return 0;
fail:
	if (in >= 0)
		close(in);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	return r;
}

static void
job_read(struct job *j)
{
	char buf[1024];
	ssize_t n;

	while (j->outfd >= 0 && (n = read(j->outfd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				close(j->outfd);
				j->outfd = -1;
			}
			return;
		}
		if (j->outlen < OUT_MAX) {
			size_t k = (size_t)n;

			if (k > OUT_MAX - j->outlen)
				k = OUT_MAX - j->outlen;
			memcpy(j->out + j->outlen, buf, k);
			j->outlen += k;
		}
	}
	if (j->outfd >= 0) {
		close(j->outfd);
		j->outfd = -1;
	}
}

static void
record(
    struct hooks *h, struct job *j, const char *result, int code, int64_t dur)
{
	j->out[j->outlen] = '\0';
	if (h->db == NULL)
		return;
	db_lock(h->db);
	alertdb_hook_run_add(db_handle(h->db), now_ms(), j->hook, j->alert_id,
	    j->transition_id, j->attempt, result, code, dur, j->out);
	db_unlock(h->db);
}

/* The child is gone: log, record, retry or free. Called unlocked. */
static void
job_finish(struct hooks *h, struct job *j, int status, int64_t mono)
{
	int64_t dur = mono - j->started;
	int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !j->timed_out;
	int code = WIFEXITED(status)     ? WEXITSTATUS(status)
	           : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
	                                 : -1;
	char what[64];

	job_read(j);
	if (j->outfd >= 0) {
		/* A grandchild still holds the pipe: stop listening. */
		close(j->outfd);
		j->outfd = -1;
	}
	if (j->pidfd >= 0)
		close(j->pidfd);
	j->pidfd = -1;
	j->out[j->outlen] = '\0';
	if (j->timed_out)
		snprintf(what, sizeof(what), "timed out after %lldms (%s)",
		    (long long)j->timeout_ms,
		    j->killed ? "SIGKILL" : "SIGTERM");
	else if (WIFSIGNALED(status))
		snprintf(what, sizeof(what), "killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(what, sizeof(what), "exit %d", code);
	if (ok)
		log_info("hooks: %s: alert %s: ok in %lldms%s%.*s", j->hook,
		    j->alert_id, (long long)dur, j->outlen ? ": " : "",
		    (int)j->outlen, j->out);
	else
		log_warnx("hooks: %s: alert %s: attempt %d: %s%s%.*s", j->hook,
		    j->alert_id, j->attempt, what, j->outlen ? ": " : "",
		    (int)j->outlen, j->out);
	record(h, j,
	    ok             ? "ok"
	    : j->timed_out ? "timeout"
	                   : "failed",
	    code, dur);
	pthread_mutex_lock(&h->mu);
	if (ok)
		h->st.succeeded++;
	else if (j->timed_out)
		h->st.timeouts++;
	else
		h->st.failed++;
	if (!ok && j->attempt <= j->retries && !h->stop) {
		int64_t delay = j->backoff_ms << (j->attempt - 1);
		struct job **pp;

		j->attempt++;
		j->not_before = mono + delay;
		j->next = NULL;
		for (pp = &h->queue; *pp; pp = &(*pp)->next)
			;
		*pp = j;
		h->nqueued++;
		h->st.retries++;
		pthread_mutex_unlock(&h->mu);
		return;
	}
	pthread_mutex_unlock(&h->mu);
	job_free(j);
}

/* Starts what the concurrency limits and backoffs allow. Locked. */
static void
launch(struct hooks *h, int64_t mono)
{
	struct job **pp = &h->queue;

	while (*pp) {
		struct job *j = *pp;
		int r;

		if (j->not_before > mono ||
		    running_of(h, j->hook) >= j->concurrency) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		h->nqueued--;
		r = job_spawn(h, j, mono);
		if (r < 0) {
			log_warnx("hooks: %s: cannot run %s: %s", j->hook,
			    j->argv[0], strerror(-r));
			h->st.failed++;
			if (j->attempt <= j->retries) {
				j->attempt++;
				j->not_before =
				    mono + (j->backoff_ms << (j->attempt - 2));
				j->next = *pp;
				*pp = j;
				h->nqueued++;
				h->st.retries++;
				pp = &j->next;
			} else {
				job_free(j);
			}
			continue;
		}
		j->next = h->running;
		h->running = j;
		h->nrunning++;
	}
}

static void *
runner(void *arg)
{
	struct hooks *h = arg;
	struct pollfd *pfd = NULL;
	struct job **map = NULL;
	size_t cap = 0;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		int64_t mono = mono_ms(), tmo = -1;
		size_t n = 1;

		if (h->stop && h->running == NULL)
			break;
		if (!h->stop)
			launch(h, mono);
		if (h->queue == NULL && h->running == NULL)
			pthread_cond_broadcast(&h->idle);
		if (cap < 2 * h->nrunning + 1) {
			cap = 2 * h->nrunning + 16;
			pfd = xrealloc(pfd, cap * sizeof(*pfd));
			map = xrealloc(map, cap * sizeof(*map));
		}
		pfd[0].fd = h->wakefd;
		pfd[0].events = POLLIN;
		map[0] = NULL;
		for (struct job *j = h->running; j; j = j->next) {
			int64_t dl = j->term_at ? j->term_at + KILL_GRACE_MS
			                        : j->started + j->timeout_ms;

			if (h->stop && !j->term_at)
				dl = mono;
			if (dl <= mono) {
				/* Kill the whole group: hooks spawn curl. */
				if (!j->term_at) {
					kill(-j->pid, SIGTERM);
					j->term_at = mono;
					j->timed_out = !h->stop;
				} else if (!j->killed) {
					kill(-j->pid, SIGKILL);
					j->killed = 1;
				}
				dl = j->killed ? mono + 100
				               : j->term_at + KILL_GRACE_MS;
			}
			if (tmo < 0 || dl - mono < tmo)
				tmo = dl - mono;
			pfd[n].fd = j->pidfd >= 0 ? j->pidfd : -1;
			pfd[n].events = POLLIN;
			map[n++] = j;
			if (j->pidfd < 0 && (tmo < 0 || tmo > 100))
				tmo = 100; /* no pidfd: poll waitpid */
			if (j->outfd >= 0) {
				pfd[n].fd = j->outfd;
				pfd[n].events = POLLIN;
				map[n++] = j;
			}
		}
		for (struct job *j = h->queue; j; j = j->next)
			if (j->not_before > mono &&
			    (tmo < 0 || j->not_before - mono < tmo))
				tmo = j->not_before - mono;
		pthread_mutex_unlock(&h->mu);
		poll(pfd, n, tmo < 0 ? -1 : (int)(tmo > 60000 ? 60000 : tmo));
		if (pfd[0].revents & POLLIN) {
			uint64_t v;

			if (read(h->wakefd, &v, sizeof(v)) < 0 &&
			    errno != EAGAIN)
				log_warn("hooks: wake read");
		}
		pthread_mutex_lock(&h->mu);
		for (size_t i = 1; i < n; i++) {
			struct job *j = map[i];

			if (pfd[i].fd >= 0 && pfd[i].fd == j->outfd &&
			    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				/* Reads until EAGAIN: never blocks. */
				char buf[1024];
				ssize_t r;

				while (
				    (r = read(j->outfd, buf, sizeof(buf))) > 0)
					if (j->outlen < OUT_MAX) {
						size_t k = (size_t)r;

						if (k > OUT_MAX - j->outlen)
							k = OUT_MAX - j->outlen;
						memcpy(
						    j->out + j->outlen, buf, k);
						j->outlen += k;
					}
				if (r == 0) {
					close(j->outfd);
					j->outfd = -1;
				}
			}
		}
		/* Reap whatever exited. */
		for (struct job **pp = &h->running; *pp;) {
			struct job *j = *pp;
			int status;
			pid_t r = waitpid(j->pid, &status, WNOHANG);

			if (r == 0 || (r < 0 && errno == EINTR)) {
				pp = &j->next;
				continue;
			}
			*pp = j->next;
			h->nrunning--;
			if (r < 0)
				status = 0x7f00; /* lost: count as failed */
			pthread_mutex_unlock(&h->mu);
			job_finish(h, j, status, mono_ms());
			pthread_mutex_lock(&h->mu);
			pp = &h->running; /* list may have changed */
		}
	}
	pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);
	free(pfd);
	free(map);
	return NULL;
}

/* ---------------------------------------------------------- lifecycle */

struct hooks *
hooks_new(const struct config *cfg, struct db *db, const char *site,
    const char *dashboard_url)
{
	struct hooks *h = xcalloc(1, sizeof(*h));

	h->cfg = cfg;
	h->db = db;
	h->site = xstrdup(site ? site : "");
	h->dashboard_url = dashboard_url ? xstrdup(dashboard_url) : NULL;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->idle, NULL);
	h->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->wakefd < 0 || pthread_create(&h->thread, NULL, runner, h) != 0) {
		log_warn("hooks: cannot start the runner");
		if (h->wakefd >= 0)
			close(h->wakefd);
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->idle);
		free(h->site);
		free(h->dashboard_url);
		free(h);
		return NULL;
	}
	if (db)
		db_add_schema(db, alertdb_schema, NULL);
	return h;
}

void
hooks_free(struct hooks *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	if (h->nqueued)
		log_warnx("hooks: stopping with %zu notifications queued",
		    h->nqueued);
	pthread_mutex_unlock(&h->mu);
	wake(h);
	pthread_join(h->thread, NULL);
	while (h->queue) {
		struct job *j = h->queue;

		h->queue = j->next;
		job_free(j);
	}
	close(h->wakefd);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->idle);
	free(h->sent);
	free(h->site);
	free(h->dashboard_url);
	free(h);
}

void
hooks_reconfigure(struct hooks *h, const struct config *cfg)
{
	pthread_mutex_lock(&h->mu);
	h->cfg = cfg;
	pthread_mutex_unlock(&h->mu);
}

void
hooks_repeat_min(const struct config *cfg, int64_t ms[3])
{
	ms[0] = ms[1] = ms[2] = 0;
	for (size_t i = 0; cfg && i < cfg->nhooks; i++)
		for (int s = 1; s < 3; s++)
			if (cfg->hooks[i].repeat_ms[s] > 0 &&
			    (ms[s] == 0 || cfg->hooks[i].repeat_ms[s] < ms[s]))
				ms[s] = cfg->hooks[i].repeat_ms[s];
}

void
hooks_get_stats(struct hooks *h, struct hooks_stats *st)
{
	pthread_mutex_lock(&h->mu);
	*st = h->st;
	st->running = h->nrunning;
	st->queued = h->nqueued;
	pthread_mutex_unlock(&h->mu);
}

int
hooks_wait_idle(struct hooks *h, int64_t timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	int r = 0;

	pthread_mutex_lock(&h->mu);
	while (h->queue || h->running) {
		struct timespec ts;
		int64_t t = now_ms() + 50;

		if (t > end) {
			r = -ETIMEDOUT;
			break;
		}
		ts.tv_sec = t / 1000;
		ts.tv_nsec = (t % 1000) * 1000000;
		pthread_cond_timedwait(&h->idle, &h->mu, &ts);
	}
	pthread_mutex_unlock(&h->mu);
	return r;
}
