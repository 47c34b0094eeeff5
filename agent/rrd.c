// SPDX-License-Identifier: MIT
/*
 * The RRD store. store_update() only appends to a per-file queue in memory;
 * a writer thread turns each file's queue into ONE librrd call (rrd_update_r,
 * or rrdc_update with rrdcached) once its oldest value is flush_ms old or it
 * has many values. This file holds the queues, the table of files, the
 * thread and the API; rrd_file.c creates, checks and writes the files.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "busguard.h"
#include "log.h"
#include "rrd_priv.h"
#include "util.h"
#include <rrd.h>
#include <rrd_client.h>

#define DAY_MS (86400LL * 1000)

const struct store_rra store_default_rras[] = {
    {0, 2 * DAY_MS},                     /* full resolution, 2 days */
    {60LL * 1000, 14 * DAY_MS},          /* 1 min, 2 weeks */
    {3600LL * 1000, 396 * DAY_MS},       /* 1 h, 13 months */
    {DAY_MS, 5 * 365 * DAY_MS + DAY_MS}, /* 1 day, 5 years */
};
const size_t store_default_nrras = ARRAY_SIZE(store_default_rras);

/* ------------------------------------------------------------- paths */

const char *
store_relpath(const char *target, const char *group, const char *instance,
    char *buf, size_t size)
{
	char a[160], b[160], c[160];

	name_sanitize(target ? target : "", a, sizeof(a));
	name_sanitize(group ? group : "", b, sizeof(b));
	name_sanitize(instance ? instance : "", c, sizeof(c));
	snprintf(buf, size, "%s/%s/%s", a, b, c);
	return buf;
}

/*
 * A rel path we accept: components of [A-Za-z0-9._-] separated by single
 * slashes, none empty, "." or "..", not absolute. name_sanitize() output
 * always passes; anything else is refused rather than repaired, because a
 * caller handing us an unsanitised path is a bug we want to see.
 */
static int
rel_ok(const char *rel)
{
	const char *p = rel, *comp = rel;
	size_t len = strlen(rel);

	if (len == 0 || len >= REL_MAX || rel[0] == '/')
		return 0;
	for (;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - comp);
			if (n == 0 || (n == 1 && comp[0] == '.') ||
			    (n == 2 && comp[0] == '.' && comp[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			comp = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		        *p == '-'))
			return 0;
	}
}

const char *
store_file(const struct store *st, const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.rrd", st->data_dir, rel);
	return buf;
}

/* ------------------------------------------------------------ queues */

static struct qlist *
q_list(struct store *st, enum fqueue q)
{
	return q == Q_READY    ? &st->ready
	       : q == Q_PARKED ? &st->parked
	       : q == Q_DENIED ? &st->denied
	                       : &st->waiting;
}

static void
q_remove(struct store *st, struct pfile *f)
{
	struct qlist *l = q_list(st, f->q);

	if (f->q == Q_NONE || f->q == Q_FLUSHING) {
		f->q = Q_NONE;
		return;
	}
	if (f->qprev)
		f->qprev->qnext = f->qnext;
	else
		l->head = f->qnext;
	if (f->qnext)
		f->qnext->qprev = f->qprev;
	else
		l->tail = f->qprev;
	f->qprev = f->qnext = NULL;
	f->q = Q_NONE;
}

/* Move all of from to the end of to (the files' q is left as it was). */
static void
q_take(struct qlist *to, struct qlist *from)
{
	if (!from->head)
		return;
	if (to->tail) {
		to->tail->qnext = from->head;
		from->head->qprev = to->tail;
	} else {
		to->head = from->head;
	}
	to->tail = from->tail;
	from->head = from->tail = NULL;
}

static void
q_append(struct store *st, struct pfile *f, enum fqueue q)
{
	struct qlist *l = q_list(st, q);

	f->q = q;
	f->qnext = NULL;
	f->qprev = l->tail;
	if (l->tail)
		l->tail->qnext = f;
	else
		l->head = f;
	l->tail = f;
}

/* -------------------------------------------------------- hash table */

static struct pfile *
table_find(struct store *st, const char *rel, uint64_t h)
{
	struct pfile *f;

	for (f = st->tab[h & (st->tabsize - 1)]; f; f = f->hnext)
		if (f->hash == h && strcmp(f->rel, rel) == 0)
			return f;
	return NULL;
}

static void
table_grow(struct store *st)
{
	size_t nsize = st->tabsize * 2, i;
	struct pfile **ntab = xcalloc(nsize, sizeof(*ntab));

	for (i = 0; i < st->tabsize; i++) {
		struct pfile *f = st->tab[i], *next;
		for (; f; f = next) {
			next = f->hnext;
			f->hnext = ntab[f->hash & (nsize - 1)];
			ntab[f->hash & (nsize - 1)] = f;
		}
	}
	free(st->tab);
	st->tab = ntab;
	st->tabsize = nsize;
}

/* The file's entry, made on first use; NULL if rel is not acceptable
 * (checked once per file, not on every value). */
static struct pfile *
table_get(struct store *st, const char *rel, int64_t step_ms)
{
	uint64_t h = hash_bytes(rel, strlen(rel), 0);
	struct pfile *f = table_find(st, rel, h);

	if (f)
		return f;
	if (!rel_ok(rel))
		return NULL;
	if (st->nfiles >= st->tabsize)
		table_grow(st);
	f = xcalloc(1, sizeof(*f));
	f->rel = xstrdup(rel);
	f->hash = h;
	f->step_s = step_ms < 1000 ? 1 : step_ms / 1000;
	f->last_sec = INT64_MIN;
	f->state = F_UNKNOWN;
	f->hnext = st->tab[h & (st->tabsize - 1)];
	st->tab[h & (st->tabsize - 1)] = f;
	st->nfiles++;
	return f;
}

/* ----------------------------------------------------------- update */

/*
 * Over max_pending: drop the oldest value of the longest-waiting file.
 * Returns 0 when nothing is droppable (all queued values are being
 * flushed right now).
 */
static int
drop_oldest(struct store *st)
{
	struct pfile *heads[] = {
	    st->waiting.head, st->ready.head, st->parked.head, st->denied.head};
	struct pfile *f = NULL;
	int64_t now;

	/* Each list's head holds its oldest values: the oldest of those. */
	for (size_t i = 0; i < ARRAY_SIZE(heads); i++)
		if (heads[i] && heads[i]->n > 0 &&
		    (!f || heads[i]->v[heads[i]->off].time_ms <
		               f->v[f->off].time_ms))
			f = heads[i];
	if (!f)
		return 0;
	/* O(1): the gap at the front is reclaimed when the array is full. */
	f->off++;
	f->n--;
	if (f->n == 0) {
		f->off = 0;
		q_remove(st, f);
	}
	st->stats.pending--;
	st->stats.dropped_total++;
	st->stats.dropped_overflow++;
	st->overflow_unlogged++;
	now = mono_ms();
	if (st->overflow_logged_ms == 0 ||
	    now - st->overflow_logged_ms >= OVERFLOW_LOG_MS) {
		log_warnx("rrd: queue full (%zu values): dropped %llu oldest "
		          "values (writer behind or storage down)",
		    st->max_pending, (unsigned long long)st->overflow_unlogged);
		st->overflow_logged_ms = now;
		st->overflow_unlogged = 0;
	}
	return 1;
}

int
store_update(struct store *st, const char *rel, int64_t step_ms,
    int64_t time_ms, double value)
{
	struct pfile *f;
	int64_t sec;

	if (!st || !rel || step_ms <= 0 || time_ms <= 0)
		return -EINVAL;
	sec = store_sec_of(time_ms);
	pthread_mutex_lock(&st->mu);
	f = table_get(st, rel, step_ms);
	if (f == NULL) {
		pthread_mutex_unlock(&st->mu);
		return -EINVAL;
	}
	if (f->n > 0 && store_sec_of(f->v[f->off + f->n - 1].time_ms) == sec) {
		/* Two values in one second: librrd wants one; keep the last. */
		f->v[f->off + f->n - 1].time_ms = time_ms;
		f->v[f->off + f->n - 1].value = value;
		st->stats.replaced_total++;
		goto out;
	}
	if (sec <= f->last_sec) {
		/* RRD files only move forward: a clock set back leaves a gap
		 * until it passes the newest second again. Say so (this
		 * format is rate-limited to once a minute); a second value
		 * in a second already written is just counted. */
		st->stats.stale_total++;
		if (sec < f->last_sec) /* not just a second value in a second */
			log_warnx("rrd: %s: a value for %lld s is older than "
			          "the newest (%lld s): dropped; was the clock "
			          "set back?",
			    rel, (long long)sec, (long long)f->last_sec);
		goto out;
	}
	if (f->off + f->n == f->cap) {
		if (f->off > 0 && f->off >= f->cap / 2) {
			memmove(f->v, f->v + f->off, f->n * sizeof(*f->v));
			f->off = 0;
		} else {
			f->cap = f->cap ? f->cap * 2 : 4;
			f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
		}
	}
	f->v[f->off + f->n].time_ms = time_ms;
	f->v[f->off + f->n].value = value;
	f->n++;
	f->last_sec = sec;
	st->stats.updates_total++;
	st->stats.pending++;
	if (f->n == 1 && f->q == Q_NONE) {
		/* An idle writer waits without a deadline: give it one. */
		int was_empty = st->waiting.head == NULL;
		f->first_mono_ms = mono_ms();
		/*
		 * A file not written yet is due after first_flush_ms: files
		 * appear soon after start even with a long flush interval.
		 * (Backdated, it may sit behind older files in the queue,
		 * which delays it by at most flush_ms.)
		 */
		if (!f->taken)
			f->first_mono_ms -= st->flush_ms - st->first_flush_ms;
		q_append(st, f, Q_WAITING);
		if (was_empty)
			pthread_cond_signal(&st->cond);
	} else if (f->n >= BATCH_MAX && f->q == Q_WAITING) {
		q_remove(st, f);
		q_append(st, f, Q_READY);
		pthread_cond_signal(&st->cond);
	}
	while (st->stats.pending > st->max_pending && drop_oldest(st))
		;
	if (st->stats.pending >= st->max_pending / 2)
		pthread_cond_signal(&st->cond);
out:
	pthread_mutex_unlock(&st->mu);
	return 0;
}

/* ------------------------------------------------------------- writing */

/*
 * Take write_mu for I/O. librrd's rrdcached client writes to its socket
 * without MSG_NOSIGNAL, so a daemon that went away would kill us with
 * SIGPIPE: with rrdcached, block it in this thread for the duration, and
 * discard one that arrived, so the failed write just returns EPIPE. Local
 * files never raise it, so they skip those three system calls per file.
 */
struct iosig {
	sigset_t old;
	int masked;
};

static void
io_lock(struct store *st, struct iosig *s)
{
	sigset_t pipe;

	s->masked = st->rrdcached != NULL;
	if (s->masked) {
		sigemptyset(&pipe);
		sigaddset(&pipe, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe, &s->old);
	}
	pthread_mutex_lock(&st->write_mu);
}

static void
io_unlock(struct store *st, const struct iosig *s)
{
	sigset_t pipe, pending;
	struct timespec zero = {0, 0};

	pthread_mutex_unlock(&st->write_mu);
	if (!s->masked)
		return;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	if (sigismember(&pending, SIGPIPE))
		sigtimedwait(&pipe, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &s->old, NULL);
}

/* Put vals back in front of f's queue (rrdcached unreachable). */
void
store_requeue(struct store *st, struct pfile *f, struct pval *vals, size_t n)
{
	pthread_mutex_lock(&st->mu);
	if (f->n + n > f->cap) {
		f->cap = f->n + n;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	memmove(f->v + n, f->v + f->off, f->n * sizeof(*f->v));
	memcpy(f->v, vals, n * sizeof(*vals));
	f->off = 0;
	f->n += n;
	st->stats.pending += n;
	if (f->q == Q_NONE && f->no_room) {
		q_append(st, f, Q_PARKED);
	} else if (f->q == Q_NONE && f->denied) {
		f->first_mono_ms = mono_ms(); /* the next try: a flush later */
		q_append(st, f, Q_DENIED);
	} else if (f->q == Q_NONE) {
		f->first_mono_ms = mono_ms();
		q_append(st, f, Q_WAITING);
	}
	while (st->stats.pending > st->max_pending && drop_oldest(st))
		;
	pthread_cond_signal(&st->cond); /* the writer learns the backoff */
	pthread_mutex_unlock(&st->mu);
}

/* With write_mu held and mu held: take f's queued values. */
static struct pval *
steal(struct store *st, struct pfile *f, size_t *n)
{
	struct pval *v = f->v;

	if (f->off)
		memmove(v, v + f->off, f->n * sizeof(*v));
	*n = f->n;
	f->taken = 1;
	st->stats.pending -= f->n;
	q_remove(st, f);
	f->v = NULL;
	f->off = f->n = f->cap = 0;
	return v;
}

/* With write_mu held: write whatever f has queued. */
static int
write_file(struct store *st, struct pfile *f)
{
	struct pval *v;
	size_t n;

	pthread_mutex_lock(&st->mu);
	if (f->n == 0) {
		if (f->q == Q_FLUSHING)
			f->q = Q_NONE;
		pthread_mutex_unlock(&st->mu);
		return 0;
	}
	v = steal(st, f, &n);
	pthread_mutex_unlock(&st->mu);
	return rrdfile_write_batch(st, f, v, n);
}

int
store_flush_file(struct store *st, const char *rel)
{
	char path[4096];
	struct pfile *f;
	struct iosig old;
	int rc = 0;

	if (!st || !rel || !rel_ok(rel))
		return -EINVAL;
	io_lock(st, &old);
	pthread_mutex_lock(&st->mu);
	f = table_find(st, rel, hash_bytes(rel, strlen(rel), 0));
	pthread_mutex_unlock(&st->mu);
	if (f)
		rc = write_file(st, f);
	if (rc == 0 && st->rrdcached && rrdfile_connect(st) == 0) {
		/* Readers open the file directly: make the daemon write it. */
		rrd_clear_error();
		if (rrdc_flush(rrdfile_cached_name(
		        st, rel, path, sizeof(path))) != 0 &&
		    f)
			log_debug("rrd: %s: rrdcached flush: %s", path,
			    rrd_get_error());
	}
	io_unlock(st, &old);
	return rc;
}

int
store_flush_all(struct store *st)
{
	struct qlist todo;
	struct pfile *f;
	struct iosig old;
	int rc = 0, r;

	if (!st)
		return -EINVAL;
	io_lock(st, &old);
	/*
	 * Take the queues as they are now; values queued meanwhile go to
	 * files already taken (written with them) or wait for the writer.
	 */
	pthread_mutex_lock(&st->mu);
	todo.head = todo.tail = NULL;
	/* Files that exist first: those waiting for room to be made last. */
	q_take(&todo, &st->ready);
	q_take(&todo, &st->waiting);
	q_take(&todo, &st->parked);
	q_take(&todo, &st->denied);
	for (f = todo.head; f; f = f->qnext)
		f->q = Q_FLUSHING;
	pthread_mutex_unlock(&st->mu);
	while ((f = todo.head) != NULL) {
		pthread_mutex_lock(&st->mu);
		todo.head = f->qnext;
		f->qprev = f->qnext = NULL;
		pthread_mutex_unlock(&st->mu);
		r = write_file(st, f);
		if (r < 0 && rc == 0)
			rc = r;
		if (r == -EAGAIN) /* parked until a file can be made */
			continue;
		if (r == -ENOTCONN || rrdfile_dir_error(r)) {
			/* Keep the rest queued for when the daemon or the
			 * space is back. */
			pthread_mutex_lock(&st->mu);
			while ((f = todo.head) != NULL) {
				todo.head = f->qnext;
				f->q = Q_NONE;
				if (f->n > 0) {
					f->first_mono_ms = mono_ms();
					q_append(st, f,
					    f->no_room  ? Q_PARKED
					    : f->denied ? Q_DENIED
					                : Q_WAITING);
				}
			}
			pthread_cond_signal(&st->cond);
			pthread_mutex_unlock(&st->mu);
			break;
		}
	}
	io_unlock(st, &old);
	return rc;
}

/* ---------------------------------------------------------- the thread */

/* With mu held: the next file due, or NULL and when to look again. */
static struct pfile *
next_due(struct store *st, int64_t now, int64_t *wake)
{
	struct pfile *w = st->waiting.head, *d = st->denied.head;
	int64_t cwake = -1;

	*wake = -1;
	if (st->rrdcached && !st->connected && now < st->retry_mono_ms) {
		*wake = st->retry_mono_ms;
		return NULL;
	}
	if (rrdfile_pause_waits(st, &st->wpause, now, wake))
		return NULL;
	/* A file that waits for room: one tries again when the pause lets
	 * it (a create that works brings the others back, store_unpark). */
	if (st->parked.head &&
	    !rrdfile_pause_waits(st, &st->cpause, now, &cwake))
		return st->parked.head;
	if (st->ready.head)
		return st->ready.head;
	if (w && (now - w->first_mono_ms >= st->flush_ms ||
	             st->stats.pending >= st->max_pending / 2))
		return w;
	if (d && now - d->first_mono_ms >= st->flush_ms)
		return d;
	*wake = w ? w->first_mono_ms + st->flush_ms : -1;
	if (d && (*wake < 0 || d->first_mono_ms + st->flush_ms < *wake))
		*wake = d->first_mono_ms + st->flush_ms;
	if (cwake >= 0 && (*wake < 0 || cwake < *wake))
		*wake = cwake;
	return NULL;
}

void
store_unpark(struct store *st)
{
	struct pfile *f;
	int64_t now = mono_ms();

	pthread_mutex_lock(&st->mu);
	while ((f = st->parked.head) != NULL) {
		q_remove(st, f);
		f->first_mono_ms = now - st->flush_ms; /* due now */
		q_append(st, f, Q_WAITING);
	}
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->mu);
}

static void *
writer_main(void *arg)
{
	struct store *st = arg;
	sigset_t all;

	pthread_setname_np(pthread_self(), "cp-rrd");
	/*
	 * Writing is background work that may lag by seconds: when the CPUs
	 * are busy (creating thousands of files, a flush of every file),
	 * dashboard requests and collection runs go first. Nice 10 still
	 * gets a tenth of a CPU under full contention, so queues drain.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) < 0)
		log_debug("rrd: writer thread priority: %s", strerror(errno));
	/* Signals belong to the main loop, but for SIGBUS from librrd's
	 * mapping (busguard.h), which must not be blocked. */
	sigfillset(&all);
	sigdelset(&all, SIGBUS);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&st->mu);
	while (!st->stop) {
		int64_t wake, now = mono_ms();
		struct pfile *f = next_due(st, now, &wake);

		if (f) {
			struct iosig old;
			pthread_mutex_unlock(&st->mu);
			io_lock(st, &old);
			write_file(st, f);
			io_unlock(st, &old);
			pthread_mutex_lock(&st->mu);
			continue;
		}
		if (wake < 0) {
			pthread_cond_wait(&st->cond, &st->mu);
		} else {
			struct timespec ts;
			ts.tv_sec = (time_t)(wake / 1000);
			ts.tv_nsec = (long)(wake % 1000) * 1000000L;
			pthread_cond_timedwait(&st->cond, &st->mu, &ts);
		}
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/* ----------------------------------------------------------- lifecycle */

struct store *
store_new(const struct store_cfg *cfg)
{
	struct store *st;
	pthread_condattr_t ca;
	size_t i;
	int rc;

	/* Paths are built in 4 KB buffers: data_dir + a rel of < 1 KB. */
	if (!cfg || !cfg->data_dir || !*cfg->data_dir ||
	    strlen(cfg->data_dir) > 2048 || cfg->flush_ms < 0 || cfg->xff < 0 ||
	    cfg->xff >= 1 || (cfg->rras && !cfg->nrras) || cfg->nrras > 16) {
		log_warnx("rrd: invalid store configuration");
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; cfg->rras && i < cfg->nrras; i++) {
		if (cfg->rras[i].step_ms < 0 || cfg->rras[i].keep_ms <= 0) {
			log_warnx("rrd: RRA %zu: step must be >= 0 and keep "
			          "> 0",
			    i + 1);
			errno = EINVAL;
			return NULL;
		}
	}
	if ((rc = busguard_init()) < 0) {
		errno = -rc;
		log_warn("rrd: cannot handle SIGBUS from a full filesystem");
	}
	st = xcalloc(1, sizeof(*st));
	st->data_dir = xasprintf("%s/rrd", cfg->data_dir);
	if ((rc = mkdir_p(st->data_dir)) < 0) {
		errno = -rc;
		log_warn("rrd: %s: cannot create directory", st->data_dir);
		free(st->data_dir);
		free(st);
		errno = -rc;
		return NULL;
	}
	if (cfg->rrdcached && *cfg->rrdcached) {
		st->rrdcached = xstrdup(cfg->rrdcached);
		st->cached_local = strncmp(st->rrdcached, "unix:", 5) == 0 ||
		                   st->rrdcached[0] == '/';
	}
	st->flush_ms = cfg->flush_ms ? cfg->flush_ms : 30000;
	st->first_flush_ms =
	    cfg->first_flush_ms > 0 && cfg->first_flush_ms < st->flush_ms
	        ? cfg->first_flush_ms
	        : st->flush_ms;
	st->max_pending = cfg->max_pending ? cfg->max_pending : 1000000;
	st->xff = cfg->xff ? cfg->xff : 0.5;
	st->nrras = cfg->rras ? cfg->nrras : store_default_nrras;
	st->rras = xcalloc(st->nrras, sizeof(*st->rras));
	memcpy(st->rras, cfg->rras ? cfg->rras : store_default_rras,
	    st->nrras * sizeof(*st->rras));
	if (cfg->create_helper)
		st->helper = xstrdup(cfg->create_helper);
	rrdfile_templates_clear(st, 1);
	st->tabsize = 1024;
	st->tab = xcalloc(st->tabsize, sizeof(*st->tab));
	pthread_mutex_init(&st->mu, NULL);
	pthread_mutex_init(&st->write_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->cond, &ca);
	pthread_condattr_destroy(&ca);
	return st;
}

int
store_start(struct store *st)
{
	int rc;

	if (!st || st->started)
		return -EINVAL;
	if ((rc = pthread_create(&st->thread, NULL, writer_main, st)) != 0) {
		errno = rc;
		log_warn("rrd: cannot start the writer thread");
		return -rc;
	}
	st->started = 1;
	return 0;
}

void
store_get_stats(struct store *st, struct store_stats *out)
{
	pthread_mutex_lock(&st->mu);
	*out = st->stats;
	/* Paused, or rrdcached refused us and the writer waits to retry
	 * (before the first attempt nothing has failed yet). */
	out->write_blocked =
	    st->wpause.on || st->cpause.on || st->ndenied > 0 ||
	    (st->rrdcached && !st->connected && st->retry_mono_ms);
	out->files_denied = st->ndenied;
	pthread_mutex_unlock(&st->mu);
}

void
store_free(struct store *st)
{
	size_t i;

	if (!st)
		return;
	if (st->started) {
		pthread_mutex_lock(&st->mu);
		st->stop = 1;
		pthread_cond_signal(&st->cond);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->thread, NULL);
	}
	/* One last try, whatever the backoff. */
	if (st->rrdcached)
		rrdfile_set_conn(st, 0, 0);
	st->wpause.retry_ms = st->cpause.retry_ms = 0;
	store_flush_all(st);
	if (st->stats.pending > 0)
		log_warnx("rrd: %llu values lost at exit (%s)",
		    (unsigned long long)st->stats.pending,
		    st->wpause.on   ? "the data directory takes no writes"
		    : st->cpause.on ? "no room for new files"
		    : st->ndenied   ? "files the agent may not write"
		                    : "rrdcached unreachable");
	if (st->rrdcached && st->connected)
		rrdc_disconnect();
	rrdfile_templates_clear(st, 0);
	free(st->helper);
	for (i = 0; i < st->tabsize; i++) {
		struct pfile *f = st->tab[i], *next;
		for (; f; f = next) {
			next = f->hnext;
			free(f->v);
			free(f->rel);
			free(f);
		}
	}
	free(st->tab);
	pthread_mutex_destroy(&st->mu);
	pthread_mutex_destroy(&st->write_mu);
	pthread_cond_destroy(&st->cond);
	free(st->rras);
	free(st->rrdcached);
	free(st->data_dir);
	free(st);
}
