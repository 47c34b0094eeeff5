// SPDX-License-Identifier: MIT
/*
 * The RRD store. store_update() only appends to a per-file queue in memory;
 * a writer thread turns each file's queue into ONE librrd call (rrd_update_r,
 * or rrdc_update with rrdcached) once its oldest value is flush_ms old or it
 * has many values. Files are created on demand, via a temporary name and
 * rename(2), and checked once at first use; an unreadable one is moved aside.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rrd.h"
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

/*
 * A file with this many values queued is written without waiting for
 * flush_ms: one rrd_update_r call per file stays cheap up to far more,
 * this only bounds how much one file holds.
 */
#define BATCH_MAX 256
/* Values per librrd call (bounds the argument arrays). */
#define CHUNK_MAX 1024
#define REL_MAX 1024
#define RECONNECT_MIN_MS 1000
#define RECONNECT_MAX_MS 60000
#define OVERFLOW_LOG_MS 60000

enum fstate {
	F_UNKNOWN, /* not looked at on disk yet (or must be re-checked) */
	F_READY,   /* exists, readable, last_disk_sec known */
};

enum fqueue { Q_NONE, Q_WAITING, Q_READY, Q_FLUSHING };

struct pval {
	int64_t time_ms;
	double value;
};

/* One series file. Never freed before store_free(), so pointers stay valid. */
struct pfile {
	struct pfile *hnext;         /* hash chain */
	struct pfile *qprev, *qnext; /* in st->waiting or st->ready */
	enum fqueue q;
	char *rel;
	uint64_t hash;
	int64_t step_s; /* from the first update; fixed once created */
	struct pval *v; /* queued values v[off..off+n), oldest first */
	size_t off, n, cap;
	int64_t first_mono_ms; /* when v[0] was queued */
	/* Newest second accepted (queued or on disk): older ones are dropped.
	 */
	int64_t last_sec;
	/* Guarded by write_mu (only the writing side touches them). */
	enum fstate state;
	int64_t disk_last_sec;
};

struct qlist {
	struct pfile *head, *tail;
};

struct store {
	char *data_dir; /* DATA_DIR/rrd */
	char *rrdcached;
	int cached_local; /* unix socket: the daemon shares our filesystem */
	int64_t flush_ms;
	size_t max_pending;
	struct store_rra *rras;
	size_t nrras;
	double xff;

	/* mu guards the table, the queues, last_sec and the stats. */
	pthread_mutex_t mu;
	pthread_cond_t cond; /* wakes the writer */
	struct pfile **tab;
	size_t tabsize, nfiles;
	struct qlist waiting; /* ordered by first_mono_ms */
	struct qlist ready;   /* BATCH_MAX reached: write now */
	struct store_stats stats;
	int64_t overflow_logged_ms;
	uint64_t overflow_unlogged;
	int stop;

	/* write_mu serialises all I/O so a file's batches land in order. */
	pthread_mutex_t write_mu;
	int connected;
	int64_t retry_mono_ms; /* rrdcached: no attempt before this */
	int64_t backoff_ms;

	pthread_t thread;
	int started;
};

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

/* The name rrdcached gets: ours, or rel for a remote daemon's -b dir. */
static const char *
cached_name(const struct store *st, const char *rel, char *buf, size_t size)
{
	if (st->cached_local)
		return store_file(st, rel, buf, size);
	snprintf(buf, size, "%s.rrd", rel);
	return buf;
}

/* ------------------------------------------------------------ queues */

static void
q_remove(struct store *st, struct pfile *f)
{
	struct qlist *l = f->q == Q_READY ? &st->ready : &st->waiting;

	if (f->q != Q_WAITING && f->q != Q_READY) {
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

static void
q_append(struct store *st, struct pfile *f, enum fqueue q)
{
	struct qlist *l = q == Q_READY ? &st->ready : &st->waiting;

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

static struct pfile *
table_get(struct store *st, const char *rel, int64_t step_ms)
{
	uint64_t h = hash_bytes(rel, strlen(rel), 0);
	struct pfile *f = table_find(st, rel, h);

	if (f)
		return f;
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

static int64_t
sec_of(int64_t time_ms)
{
	return time_ms >= 0 ? time_ms / 1000 : -((-time_ms + 999) / 1000);
}

/*
 * Over max_pending: drop the oldest value of the longest-waiting file.
 * Returns 0 when nothing is droppable (all queued values are being
 * flushed right now).
 */
static int
drop_oldest(struct store *st)
{
	struct pfile *f = st->waiting.head ? st->waiting.head : st->ready.head;
	int64_t now;

	if (!f || f->n == 0)
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

	if (!st || !rel || !rel_ok(rel) || step_ms <= 0 || time_ms <= 0)
		return -EINVAL;
	sec = sec_of(time_ms);
	pthread_mutex_lock(&st->mu);
	f = table_get(st, rel, step_ms);
	if (f->n > 0 && sec_of(f->v[f->off + f->n - 1].time_ms) == sec) {
		/* Two values in one second: librrd wants one; keep the last. */
		f->v[f->off + f->n - 1].time_ms = time_ms;
		f->v[f->off + f->n - 1].value = value;
		st->stats.replaced_total++;
		goto out;
	}
	if (sec <= f->last_sec) {
		st->stats.stale_total++;
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

/* -------------------------------------------------- creating, checking */

/* The create arguments for a series of step_s seconds (caller frees). */
static char **
create_args(const struct store *st, int64_t step_s, int *argc)
{
	int64_t steps[16], rows[16];
	size_t n = 0, i, j;
	char **argv;
	int k = 0;

	for (i = 0; i < st->nrras && n < ARRAY_SIZE(steps); i++) {
		const struct store_rra *r = &st->rras[i];
		int64_t rs = r->step_ms ? (r->step_ms + 999) / 1000 : step_s;
		/*
		 * An RRA coarser than the series' step consolidates the nearest
		 * whole number of steps; one finer than it cannot hold more
		 * than full resolution, so it merges into the full-resolution
		 * RRA.
		 */
		int64_t s = (rs + step_s / 2) / step_s;
		int64_t rw;
		if (s < 1)
			s = 1;
		rw = (r->keep_ms / 1000 + s * step_s - 1) / (s * step_s);
		if (rw < 1)
			rw = 1;
		for (j = 0; j < n; j++)
			if (steps[j] == s)
				break;
		if (j < n) {
			if (rw > rows[j])
				rows[j] = rw;
			continue;
		}
		steps[n] = s;
		rows[n] = rw;
		n++;
	}
	argv = xcalloc(1 + 2 * n + 1, sizeof(*argv));
	/*
	 * Heartbeat 2 x step: one late or missed sample does not make the
	 * interval unknown, two do. At least step + 2 s for 1 s series.
	 */
	argv[k++] = xasprintf("DS:value:GAUGE:%lld:U:U",
	    (long long)(step_s * 2 > step_s + 2 ? step_s * 2 : step_s + 2));
	for (i = 0; i < n; i++) {
		argv[k++] = xasprintf("RRA:AVERAGE:%g:%lld:%lld", st->xff,
		    (long long)steps[i], (long long)rows[i]);
		argv[k++] = xasprintf("RRA:MAX:%g:%lld:%lld", st->xff,
		    (long long)steps[i], (long long)rows[i]);
	}
	*argc = k;
	return argv;
}

static void
free_args(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* Create path via a temporary name in the same directory + rename(2). */
static int
create_local(
    struct store *st, struct pfile *f, const char *path, int64_t start_sec)
{
	const char *slash = strrchr(path, '/');
	char *dir = xasprintf("%.*s", (int)(slash - path), path);
	char *tmp = xasprintf("%s/.%s.tmp", dir, slash + 1);
	char **argv = NULL;
	int argc = 0, rc = 0;

	if ((rc = mkdir_p(dir)) < 0) {
		errno = -rc;
		log_warn("rrd: %s: cannot create directory", dir);
		goto out;
	}
	unlink(tmp); /* left over from a crash during an earlier create */
	argv = create_args(st, f->step_s, &argc);
	rrd_clear_error();
	if (rrd_create_r(tmp, (unsigned long)f->step_s, (time_t)start_sec, argc,
	        (const char **)argv) != 0) {
		log_warnx("rrd: %s: create failed: %s", path, rrd_get_error());
		unlink(tmp);
		rc = -EIO;
		goto out;
	}
	if (rename(tmp, path) < 0) {
		rc = -errno;
		log_warn("rrd: %s: rename from %s", path, tmp);
		unlink(tmp);
		goto out;
	}
	pthread_mutex_lock(&st->mu);
	st->stats.files_created++;
	pthread_mutex_unlock(&st->mu);
out:
	if (argv)
		free_args(argv, argc);
	free(dir);
	free(tmp);
	return rc;
}

/*
 * Read the last update of an existing file; fails on anything librrd
 * cannot read or a layout that is not ours (one DS "value").
 */
static int
read_last(const char *path, int64_t *last_sec, char *why, size_t whylen)
{
	time_t last = 0;
	unsigned long nds = 0, i;
	char **names = NULL, **vals = NULL;
	int rc = 0;

	rrd_clear_error();
	if (rrd_lastupdate_r(path, &last, &nds, &names, &vals) != 0) {
		snprintf(why, whylen, "%s", rrd_get_error());
		return -EIO;
	}
	if (nds != 1 || strcmp(names[0], "value") != 0) {
		snprintf(why, whylen, "not a chokepoint RRD (%lu data sources)",
		    nds);
		rc = -EINVAL;
	}
	for (i = 0; i < nds; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(vals[i]);
	}
	rrd_freemem(names);
	rrd_freemem(vals);
	*last_sec = (int64_t)last;
	return rc;
}

static void
move_aside(struct store *st, const char *path, const char *why)
{
	char *aside =
	    xasprintf("%s.corrupt-%lld", path, (long long)(now_ms() / 1000));

	if (rename(path, aside) < 0) {
		log_warn("rrd: %s: unreadable (%s), cannot move it aside", path,
		    why);
		unlink(path);
	} else {
		log_warnx("rrd: %s: unreadable (%s), moved to %s and recreated",
		    path, why, aside);
	}
	free(aside);
	pthread_mutex_lock(&st->mu);
	st->stats.corrupt_total++;
	pthread_mutex_unlock(&st->mu);
}

/*
 * A remote rrdcached (host:port): the daemon's -b directory plays the role
 * of DATA_DIR/rrd and we never touch its files. FLUSH then INFO tells us
 * whether the file exists and its last update including what the daemon
 * still holds; a missing file is created by the daemon (rrdc_create with
 * no_overwrite). A file it cannot read cannot be moved aside from here: it
 * is reported and its values are dropped.
 */
static int
ensure_remote(struct store *st, struct pfile *f, int64_t start)
{
	char path[4096], **argv;
	rrd_info_t *info, *i;
	int argc, rc;

	cached_name(st, f->rel, path, sizeof(path));
	rrd_clear_error();
	rrdc_flush(path); /* fails for a file that does not exist yet */
	info = rrdc_info(path);
	if (info) {
		for (i = info; i; i = i->next)
			if (strcmp(i->key, "last_update") == 0 &&
			    i->type == RD_I_CNT)
				f->disk_last_sec = (int64_t)i->value.u_cnt;
		rrd_info_free(info);
		f->state = F_READY;
		return 0;
	}
	if (!rrdc_is_any_connected())
		return -ENOTCONN;
	argv = create_args(st, f->step_s, &argc);
	rrd_clear_error();
	rc = rrdc_create(path, (unsigned long)f->step_s, (time_t)start, 1, argc,
	    (const char **)argv);
	free_args(argv, argc);
	if (rc != 0) {
		log_warnx("rrd: %s: rrdcached create failed: %s", path,
		    rrd_get_error());
		return rrdc_is_any_connected() ? -EIO : -ENOTCONN;
	}
	pthread_mutex_lock(&st->mu);
	st->stats.files_created++;
	pthread_mutex_unlock(&st->mu);
	f->disk_last_sec = start;
	f->state = F_READY;
	return 0;
}

/* With write_mu held: make sure f's file exists and is usable. */
static int
ensure_file(struct store *st, struct pfile *f, int64_t first_sec)
{
	char path[4096], why[256];
	struct stat sb;
	int64_t start;
	int rc;

	if (f->state == F_READY)
		return 0;
	/*
	 * Start at the last step boundary before the first value, so that
	 * value fills its whole first interval instead of a sliver of it.
	 */
	start = (first_sec - 1) / f->step_s * f->step_s;
	if (st->rrdcached && !st->cached_local)
		return ensure_remote(st, f, start);
	store_file(st, f->rel, path, sizeof(path));
	if (stat(path, &sb) == 0) {
		/*
		 * The daemon may hold values newer than the file (from an
		 * earlier run of ours): have it write them first. Not
		 * rrdc_last(): in librrd 1.7.2 it parses a dead stack buffer
		 * (rrdtool-1.x issue #1047, fixed after 1.7.2).
		 */
		if (st->rrdcached) {
			rrd_clear_error();
			if (rrdc_flush(path) != 0 && !rrdc_is_any_connected())
				return -ENOTCONN;
		}
		if ((rc = read_last(
		         path, &f->disk_last_sec, why, sizeof(why))) == 0) {
			f->state = F_READY;
			return 0;
		}
		move_aside(st, path, why);
		if (st->rrdcached)
			rrdc_forget(path);
	} else if (errno != ENOENT) {
		rc = -errno;
		log_warn("rrd: %s: stat", path);
		return rc;
	}
	if ((rc = create_local(st, f, path, start)) < 0)
		return rc;
	f->disk_last_sec = start;
	f->state = F_READY;
	return 0;
}

/* ------------------------------------------------------------- writing */

/*
 * Take write_mu for I/O. librrd's rrdcached client writes to its socket
 * without MSG_NOSIGNAL, so a daemon that went away would kill us with
 * SIGPIPE: block it in this thread for the duration, and discard one that
 * arrived, so the failed write just returns EPIPE.
 */
static void
io_lock(struct store *st, sigset_t *old)
{
	sigset_t pipe;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, old);
	pthread_mutex_lock(&st->write_mu);
}

static void
io_unlock(struct store *st, const sigset_t *old)
{
	sigset_t pipe, pending;
	struct timespec zero = {0, 0};

	pthread_mutex_unlock(&st->write_mu);
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	if (sigismember(&pending, SIGPIPE))
		sigtimedwait(&pipe, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/*
 * The connection state is changed under write_mu and mu (the writer's
 * next_due() reads it under mu alone).
 */
static void
set_conn(struct store *st, int connected, int64_t retry_mono_ms)
{
	pthread_mutex_lock(&st->mu);
	st->connected = connected;
	st->retry_mono_ms = retry_mono_ms;
	pthread_mutex_unlock(&st->mu);
}

/* With write_mu held: connect to rrdcached unless backing off. */
static int
cached_connect(struct store *st)
{
	int64_t now = mono_ms();

	if (st->connected && rrdc_is_any_connected())
		return 0;
	if (now < st->retry_mono_ms)
		return -ENOTCONN;
	rrd_clear_error();
	if (rrdc_connect(st->rrdcached) != 0 || !rrdc_is_any_connected()) {
		st->backoff_ms =
		    st->backoff_ms ? st->backoff_ms * 2 : RECONNECT_MIN_MS;
		if (st->backoff_ms > RECONNECT_MAX_MS)
			st->backoff_ms = RECONNECT_MAX_MS;
		set_conn(st, 0, now + st->backoff_ms);
		log_warnx("rrd: %s: cannot connect to rrdcached: %s (retry in "
		          "%llds)",
		    st->rrdcached, rrd_get_error(),
		    (long long)(st->backoff_ms / 1000));
		return -ENOTCONN;
	}
	st->backoff_ms = 0;
	set_conn(st, 1, 0);
	return 0;
}

static void
fmt_value(char *buf, size_t size, const struct pval *v)
{
	int64_t sec = sec_of(v->time_ms), ms = v->time_ms - sec * 1000;
	int n;

	if (ms)
		n = snprintf(
		    buf, size, "%lld.%03lld:", (long long)sec, (long long)ms);
	else
		n = snprintf(buf, size, "%lld:", (long long)sec);
	/* librrd reads "U" as unknown; it has no spelling for inf/nan. */
	if (isfinite(v->value))
		snprintf(buf + n, size - (size_t)n, "%.17g", v->value);
	else
		snprintf(buf + n, size - (size_t)n, "U");
}

/* Put vals back in front of f's queue (rrdcached unreachable). */
static void
requeue(struct store *st, struct pfile *f, struct pval *vals, size_t n)
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
	if (f->q == Q_NONE) {
		f->first_mono_ms = mono_ms();
		q_append(st, f, Q_WAITING);
	}
	while (st->stats.pending > st->max_pending && drop_oldest(st))
		;
	pthread_cond_signal(&st->cond); /* the writer learns the backoff */
	pthread_mutex_unlock(&st->mu);
}

/* One librrd call: rrd_update_r, or rrdc_update. 0 or -1. */
static int
update_call(struct store *st, struct pfile *f, int argc, const char **argv)
{
	char path[4096];

	rrd_clear_error();
	if (st->rrdcached)
		return rrdc_update(
		    cached_name(st, f->rel, path, sizeof(path)), argc, argv);
	return rrd_update_r(
	    store_file(st, f->rel, path, sizeof(path)), NULL, argc, argv);
}

/*
 * With write_mu held: write vals (oldest first, one per second) to f's
 * file, all in one call when they fit: at most CHUNK_MAX values per call,
 * and for rrdcached at most what fits in one command line of librrd's
 * client (RRD_CMD_MAX, 4 KB, with the file name). Takes ownership of vals.
 * Returns 0, or -ENOTCONN when rrdcached is unreachable (the unwritten
 * values are queued again), or -EIO (they are dropped and counted).
 */
static int
write_batch(struct store *st, struct pfile *f, struct pval *vals, size_t n)
{
	char path[4096], (*bufs)[64] = NULL;
	const char **argv = NULL;
	size_t done = 0, written = 0, stale = 0, budget = 0, cap;
	int64_t t0 = mono_ns();
	int failures = 0, rc = 0;

	if (st->rrdcached && cached_connect(st) < 0) {
		requeue(st, f, vals, n);
		free(vals);
		return -ENOTCONN;
	}
	cap = n < CHUNK_MAX ? n : CHUNK_MAX;
	bufs = xmalloc(cap * sizeof(*bufs));
	argv = xmalloc(cap * sizeof(*argv));
	if (st->rrdcached) {
		/* "update NAME v v ...\n"; the name may be escaped (x2). */
		size_t name =
		    strlen(cached_name(st, f->rel, path, sizeof(path)));
		budget = RRD_CMD_MAX > 2 * name + 64
		             ? RRD_CMD_MAX - 2 * name - 64
		             : 0;
	}
	while (done < n) {
		size_t k = 0, used = 0;

		rc = ensure_file(st, f, sec_of(vals[done].time_ms));
		if (rc < 0)
			break;
		/* librrd refuses a time at or before the last update. */
		while (done < n &&
		       sec_of(vals[done].time_ms) <= f->disk_last_sec) {
			stale++;
			done++;
		}
		while (done + k < n && k < cap) {
			size_t len;
			fmt_value(bufs[k], sizeof(bufs[k]), &vals[done + k]);
			len = strlen(bufs[k]) + 1;
			if (st->rrdcached && k > 0 && used + len > budget)
				break;
			used += len;
			argv[k] = bufs[k];
			k++;
		}
		if (k == 0)
			break;
		if (update_call(st, f, (int)k, argv) == 0) {
			f->disk_last_sec = sec_of(vals[done + k - 1].time_ms);
			done += k;
			written += k;
			continue;
		}
		if (st->rrdcached && !rrdc_is_any_connected()) {
			rc = -ENOTCONN;
			break;
		}
		/*
		 * Something changed under us (another writer, a damaged
		 * file): check the file again, which also re-reads its last
		 * update, and retry once.
		 */
		log_debug("rrd: %s: update failed, rechecking: %s",
		    store_file(st, f->rel, path, sizeof(path)),
		    rrd_get_error());
		f->state = F_UNKNOWN;
		rc = -EIO;
		if (++failures == 2)
			break;
	}
	if (rc == -ENOTCONN) {
		set_conn(st, 0, mono_ms() + RECONNECT_MIN_MS);
		log_warnx("rrd: %s: lost rrdcached connection: %s",
		    st->rrdcached, rrd_get_error());
		requeue(st, f, vals + done, n - done);
	} else if (rc < 0) {
		log_warnx("rrd: %s: update of %zu values failed: %s",
		    store_file(st, f->rel, path, sizeof(path)), n - done,
		    rrd_test_error() ? rrd_get_error() : strerror(-rc));
		rc = -EIO;
	}
	pthread_mutex_lock(&st->mu);
	st->stats.written_total += written;
	st->stats.stale_total += stale;
	if (written) {
		st->stats.flushes_total++;
		st->stats.last_flush_seconds = (double)(mono_ns() - t0) / 1e9;
	}
	if (rc == -EIO) {
		st->stats.write_errors++;
		st->stats.dropped_total += n - done;
	}
	pthread_mutex_unlock(&st->mu);
	free(bufs);
	free(argv);
	free(vals);
	return rc;
}

/* With write_mu held and mu held: take f's queued values. */
static struct pval *
steal(struct store *st, struct pfile *f, size_t *n)
{
	struct pval *v = f->v;

	if (f->off)
		memmove(v, v + f->off, f->n * sizeof(*v));
	*n = f->n;
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
	return write_batch(st, f, v, n);
}

int
store_flush_file(struct store *st, const char *rel)
{
	char path[4096];
	struct pfile *f;
	sigset_t old;
	int rc = 0;

	if (!st || !rel || !rel_ok(rel))
		return -EINVAL;
	io_lock(st, &old);
	pthread_mutex_lock(&st->mu);
	f = table_find(st, rel, hash_bytes(rel, strlen(rel), 0));
	pthread_mutex_unlock(&st->mu);
	if (f)
		rc = write_file(st, f);
	if (rc == 0 && st->rrdcached && cached_connect(st) == 0) {
		/* Readers open the file directly: make the daemon write it. */
		rrd_clear_error();
		if (rrdc_flush(cached_name(st, rel, path, sizeof(path))) != 0 &&
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
	sigset_t old;
	int rc = 0, r;

	if (!st)
		return -EINVAL;
	io_lock(st, &old);
	/*
	 * Take the queues as they are now; values queued meanwhile go to
	 * files already taken (written with them) or wait for the writer.
	 */
	pthread_mutex_lock(&st->mu);
	todo.head = st->ready.head;
	if (todo.head) {
		st->ready.tail->qnext = st->waiting.head;
		if (st->waiting.head)
			st->waiting.head->qprev = st->ready.tail;
	} else {
		todo.head = st->waiting.head;
	}
	for (f = todo.head; f; f = f->qnext)
		f->q = Q_FLUSHING;
	st->ready.head = st->ready.tail = NULL;
	st->waiting.head = st->waiting.tail = NULL;
	pthread_mutex_unlock(&st->mu);
	while ((f = todo.head) != NULL) {
		pthread_mutex_lock(&st->mu);
		todo.head = f->qnext;
		f->qprev = f->qnext = NULL;
		pthread_mutex_unlock(&st->mu);
		r = write_file(st, f);
		if (r < 0 && rc == 0)
			rc = r;
		if (r == -ENOTCONN) {
			/* Keep the rest queued for when the daemon is back. */
			pthread_mutex_lock(&st->mu);
			while ((f = todo.head) != NULL) {
				todo.head = f->qnext;
				f->q = Q_NONE;
				if (f->n > 0) {
					f->first_mono_ms = mono_ms();
					q_append(st, f, Q_WAITING);
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
	struct pfile *w = st->waiting.head;

	*wake = -1;
	if (st->rrdcached && !st->connected && now < st->retry_mono_ms) {
		*wake = st->retry_mono_ms;
		return NULL;
	}
	if (st->ready.head)
		return st->ready.head;
	if (!w)
		return NULL;
	if (now - w->first_mono_ms >= st->flush_ms ||
	    st->stats.pending >= st->max_pending / 2)
		return w;
	*wake = w->first_mono_ms + st->flush_ms;
	return NULL;
}

static void *
writer_main(void *arg)
{
	struct store *st = arg;
	sigset_t all;

	/* Signals belong to the main loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&st->mu);
	while (!st->stop) {
		int64_t wake, now = mono_ms();
		struct pfile *f = next_due(st, now, &wake);

		if (f) {
			sigset_t old;
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
	st->max_pending = cfg->max_pending ? cfg->max_pending : 1000000;
	st->xff = cfg->xff ? cfg->xff : 0.5;
	st->nrras = cfg->rras ? cfg->nrras : store_default_nrras;
	st->rras = xcalloc(st->nrras, sizeof(*st->rras));
	memcpy(st->rras, cfg->rras ? cfg->rras : store_default_rras,
	    st->nrras * sizeof(*st->rras));
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
	if (st->rrdcached)
		set_conn(st, 0, 0); /* one last try, whatever the backoff */
	store_flush_all(st);
	if (st->stats.pending > 0)
		log_warnx("rrd: %llu values lost at exit (rrdcached %s "
		          "unreachable)",
		    (unsigned long long)st->stats.pending,
		    st->rrdcached ? st->rrdcached : "-");
	if (st->rrdcached && st->connected)
		rrdc_disconnect();
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
