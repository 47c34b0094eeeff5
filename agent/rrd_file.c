// SPDX-License-Identifier: MIT
/*
 * The RRD store's file side: creates a series' file on demand (temporary
 * name + rename, so a crash never leaves a half-written .rrd), checks an
 * existing one at first use and moves an unreadable one aside, and writes a
 * file's queued values in as few librrd or rrdcached calls as fit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "busguard.h"
#include "log.h"
#include "rrd_priv.h"
#include "util.h"
#include <rrd.h>
#include <rrd_client.h>

/* The name rrdcached gets: ours, or rel for a remote daemon's -b dir. */
const char *
rrdfile_cached_name(
    const struct store *st, const char *rel, char *buf, size_t size)
{
	if (st->cached_local)
		return store_file(st, rel, buf, size);
	snprintf(buf, size, "%s.rrd", rel);
	return buf;
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

/* ------------------------------------------------------------ templates */

/*
 * librrd builds a whole new file in memory and writes it out: 3.3 MB and
 * ~8 ms of CPU for a 1 s series with 2 days at full resolution, for every
 * file. The files of one collection run share their step and start, so
 * librrd makes one template per (step, start) in DATA_DIR/rrd and new
 * files are copies of it: copy_file_range(2) copies page cache to page
 * cache in the kernel, about a fifth of the CPU and no buffer in our
 * memory. With st->helper the template itself is made by a short-lived
 * process (rrd_template.c), so the image is never in ours.
 * Copies share the template's starting rows (librrd picks them at random
 * to spread writes); nothing else differs from a file librrd made.
 */
#define TMPL_PREFIX ".template-"

/* Through the helper process: 0, or -1 (it could not run or failed). */
static int
create_by_helper(struct store *st, const char *path, int64_t step_s,
    int64_t start_sec, int argc, char **args)
{
	char **argv = xcalloc((size_t)argc + 6, sizeof(*argv));
	char sstep[24], sstart[24];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid;
	int status, r, k = 0;

	snprintf(sstep, sizeof(sstep), "%lld", (long long)step_s);
	snprintf(sstart, sizeof(sstart), "%lld", (long long)start_sec);
	argv[k++] = st->helper;
	argv[k++] = "__rrd-create";
	argv[k++] = (char *)path;
	argv[k++] = sstep;
	argv[k++] = sstart;
	for (int i = 0; i < argc; i++)
		argv[k++] = args[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(
	    &at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, st->helper, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(argv);
	if (r != 0) {
		log_warnx("rrd: cannot run %s to create %s: %s", st->helper,
		    path, strerror(r));
		return -1;
	}
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("rrd: %s __rrd-create %s failed (%s %d)", st->helper,
		    path, r >= 0 && WIFSIGNALED(status) ? "signal" : "exit",
		    r < 0                 ? -1
		    : WIFSIGNALED(status) ? WTERMSIG(status)
		                          : WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

/*
 * One librrd call that writes a local file through its mapping, for
 * busguard_call(): a full filesystem then fails the call instead of
 * killing the agent with SIGBUS.
 */
struct lcall {
	const char *path;
	int argc;
	const char **argv;
	unsigned long step;
	time_t start;
};

static int
lcall_update(void *arg)
{
	struct lcall *c = arg;

	return rrd_update_r(c->path, NULL, c->argc, c->argv);
}

static int
lcall_create(void *arg)
{
	struct lcall *c = arg;

	return rrd_create_r(c->path, c->step, c->start, c->argc, c->argv);
}

/* librrd makes path: 0, or -EIO (logged). */
static int
rrd_make(struct store *st, const char *path, int64_t step_s, int64_t start_sec)
{
	int argc = 0, rc = 0;
	char **argv = create_args(st, step_s, &argc);

	unlink(path); /* left over from a crash */
	if (st->helper &&
	    create_by_helper(st, path, step_s, start_sec, argc, argv) == 0)
		goto out;
	unlink(path);
	rrd_clear_error();
	{
		struct lcall c = {path, argc, (const char **)argv,
		    (unsigned long)step_s, (time_t)start_sec};
		errno = 0;
		rc = busguard_call(lcall_create, &c);
	}
	if (rc != 0) {
		if (rc == BUSGUARD_FAULT)
			busguard_release(path);
		log_warnx("rrd: %s: create failed: %s", path,
		    rc == BUSGUARD_FAULT ? "SIGBUS writing its mapping"
		                         : store_rrd_error());
		unlink(path);
		rc = -EIO;
	}
out:
	free_args(argv, argc);
	return rc;
}

/* The template for (step, start), made if needed; NULL if it cannot be. */
static const char *
template_for(struct store *st, int64_t step_s, int64_t start_sec)
{
	struct rrd_tmpl *t = NULL;
	char *path;

	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++)
		if (st->tmpl[i].path && st->tmpl[i].step_s == step_s &&
		    st->tmpl[i].start_sec == start_sec)
			return st->tmpl[i].path;
	path = xasprintf("%s/" TMPL_PREFIX "%lld-%lld", st->data_dir,
	    (long long)step_s, (long long)start_sec);
	if (rrd_make(st, path, step_s, start_sec) < 0) {
		free(path);
		return NULL;
	}
	/*
	 * Starts only move forward: the template of the same step is done
	 * with. Else a free slot, else the oldest start.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++) {
		struct rrd_tmpl *c = &st->tmpl[i];
		if (c->path && c->step_s == step_s) {
			t = c;
			break;
		}
		if (!t ||
		    (t->path && (!c->path || c->start_sec < t->start_sec)))
			t = c;
	}
	if (t->path) {
		unlink(t->path);
		free(t->path);
	}
	t->step_s = step_s;
	t->start_sec = start_sec;
	t->path = path;
	return path;
}

/* Forget the template at path (it is gone); path is freed. */
static void
template_forget(struct store *st, const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++)
		if (st->tmpl[i].path && st->tmpl[i].path == path) {
			free(st->tmpl[i].path);
			st->tmpl[i].path = NULL;
		}
}

void
rrdfile_templates_clear(struct store *st, int leftovers)
{
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++) {
		if (st->tmpl[i].path) {
			unlink(st->tmpl[i].path);
			free(st->tmpl[i].path);
			st->tmpl[i].path = NULL;
		}
	}
	if (!leftovers || (d = opendir(st->data_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, TMPL_PREFIX, strlen(TMPL_PREFIX)) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static ssize_t
write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

/* Copy src to a new file dst (O_EXCL; an old dst is removed first): 0 or
 * -errno. */
static int
copy_file(const char *src, const char *dst)
{
	int in, out, rc = 0;
	ssize_t n;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (out < 0 && errno == EEXIST && unlink(dst) == 0) /* crash leftover */
		out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
	                 errno == EOPNOTSUPP)) {
		/* A filesystem without it: plain reads and writes. */
		char buf[16384];
		ssize_t w = 0;

		if (lseek(in, 0, SEEK_SET) < 0 || ftruncate(out, 0) < 0 ||
		    lseek(out, 0, SEEK_SET) < 0)
			n = -1;
		else
			while ((n = read(in, buf, sizeof(buf))) > 0 &&
			       (w = write_all(out, buf, (size_t)n)) >= 0)
				;
		if (w < 0)
			n = -1;
	}
	if (n < 0)
		rc = -errno;
	if (close(out) < 0 && rc == 0)
		rc = -errno;
	close(in);
	if (rc < 0)
		unlink(dst);
	return rc;
}

/*
 * Create path via a temporary name in the same directory + rename(2): a
 * copy of the template for its step and start, or made by librrd directly
 * when there is no template.
 */
static int
create_local(
    struct store *st, struct pfile *f, const char *path, int64_t start_sec)
{
	const char *slash = strrchr(path, '/');
	char *dir = xasprintf("%.*s", (int)(slash - path), path);
	char *tmp = xasprintf("%s/.%s.tmp", dir, slash + 1);
	const char *tmpl;
	int rc = 0;

	if ((rc = mkdir_p(dir)) < 0) {
		errno = -rc;
		if (!rrdfile_dir_error(rc))
			log_warn("rrd: %s: cannot create directory", dir);
		goto out;
	}
	/* A tmp left over from a crash during an earlier create is replaced
	 * (copy_file, rrd_make). */
	tmpl = template_for(st, f->step_s, start_sec);
	if (tmpl && (rc = copy_file(tmpl, tmp)) == -ENOENT &&
	    access(tmpl, F_OK) < 0 && errno == ENOENT) {
		/* Deleted with the directory while we run: make it again
		 * rather than every file by itself. */
		template_forget(st, tmpl);
		tmpl = template_for(st, f->step_s, start_sec);
		if (tmpl)
			rc = copy_file(tmpl, tmp);
	}
	if (tmpl == NULL || rc < 0) {
		/* Out of space: no file can be made, by any means. */
		if (rrdfile_dir_error(rc) ||
		    (tmpl == NULL && rrdfile_space_short(st))) {
			rc = rc < 0 ? rc : -ENOSPC;
			goto out;
		}
		if (tmpl) {
			errno = -rc;
			log_warn("rrd: %s: copy of %s", tmp, tmpl);
		}
		if ((rc = rrd_make(st, tmp, f->step_s, start_sec)) < 0) {
			if (rrdfile_space_short(st))
				rc = -ENOSPC;
			goto out;
		}
	}
	if (rename(tmp, path) < 0) {
		rc = -errno;
		if (!rrdfile_dir_error(rc))
			log_warn("rrd: %s: rename from %s", path, tmp);
		unlink(tmp);
		goto out;
	}
	pthread_mutex_lock(&st->mu);
	st->stats.files_created++;
	pthread_mutex_unlock(&st->mu);
out:
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

	rrdfile_cached_name(st, f->rel, path, sizeof(path));
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
			f->was_ready = 1;
			return 0;
		}
		move_aside(st, path, why);
		if (st->rrdcached)
			rrdc_forget(path);
	} else if (errno != ENOENT) {
		rc = -errno;
		log_warn("rrd: %s: stat", path);
		return rc;
	} else if (f->was_ready) {
		log_warnx("rrd: %s: deleted while the agent runs; making a new "
		          "one (what it held is gone)",
		    path);
	}
	if ((rc = create_local(st, f, path, start)) < 0)
		return rc;
	f->disk_last_sec = start;
	f->state = F_READY;
	f->was_ready = 1;
	return 0;
}

/*
 * The connection state is changed under write_mu and mu (the writer's
 * next_due() reads it under mu alone).
 */
void
rrdfile_set_conn(struct store *st, int connected, int64_t retry_mono_ms)
{
	pthread_mutex_lock(&st->mu);
	st->connected = connected;
	st->retry_mono_ms = retry_mono_ms;
	pthread_mutex_unlock(&st->mu);
}

/* With write_mu held: connect to rrdcached unless backing off. */
int
rrdfile_connect(struct store *st)
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
		rrdfile_set_conn(st, 0, now + st->backoff_ms);
		log_warnx("rrd: %s: cannot connect to rrdcached: %s (retry in "
		          "%llds)",
		    st->rrdcached, rrd_get_error(),
		    (long long)(st->backoff_ms / 1000));
		return -ENOTCONN;
	}
	st->backoff_ms = 0;
	rrdfile_set_conn(st, 1, 0);
	return 0;
}

static void
fmt_value(char *buf, size_t size, const struct pval *v)
{
	int64_t sec = store_sec_of(v->time_ms), ms = v->time_ms - sec * 1000;
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

/*
 * One librrd call: rrd_update_r, or rrdc_update. 0, -1, or BUSGUARD_FAULT
 * when the write through librrd's mapping faulted (SIGBUS: the filesystem
 * had no block for a page it had to copy, or an I/O error).
 */
static int
update_call(struct store *st, struct pfile *f, int argc, const char **argv)
{
	char path[4096];
	struct lcall c = {path, argc, argv, 0, 0};
	int rc;

	rrd_clear_error();
	if (st->rrdcached)
		return rrdc_update(
		    rrdfile_cached_name(st, f->rel, path, sizeof(path)), argc,
		    argv);
	store_file(st, f->rel, path, sizeof(path));
	rc = busguard_call(lcall_update, &c);
	if (rc != BUSGUARD_FAULT)
		return rc;
	/* What librrd had open stays open: close it (we hold write_mu, so
	 * no other writer has this file open). */
	busguard_release(path);
	return BUSGUARD_FAULT;
}

/*
 * With write_mu held: write vals (oldest first, one per second) to f's
 * file, all in one call when they fit: at most CHUNK_MAX values per call,
 * and for rrdcached at most what fits in one command line of librrd's
 * client (RRD_CMD_MAX, 4 KB, with the file name). Takes ownership of vals.
 * Returns 0, or -ENOTCONN when rrdcached is unreachable, or a data
 * directory error (rrdfile_dir_error(); writes paused) (in both cases the
 * unwritten values are queued again), or -EIO (they are dropped and
 * counted).
 */
int
rrdfile_write_batch(
    struct store *st, struct pfile *f, struct pval *vals, size_t n)
{
	char path[4096], (*bufs)[64] = NULL;
	const char **argv = NULL;
	size_t done = 0, written = 0, stale = 0, back = 0, budget = 0, cap;
	int64_t t0 = mono_ns();
	int failures = 0, fault = 0, rc = 0;

	if (st->rrdcached && rrdfile_connect(st) < 0) {
		store_requeue(st, f, vals, n);
		free(vals);
		return -ENOTCONN;
	}
	/* Paused (full): also for store_flush_file() from a page view. */
	if (st->paused && mono_ms() < st->pause_retry_ms) {
		store_requeue(st, f, vals, n);
		free(vals);
		return -ENOSPC;
	}
	cap = n < CHUNK_MAX ? n : CHUNK_MAX;
	bufs = xmalloc(cap * sizeof(*bufs));
	argv = xmalloc(cap * sizeof(*argv));
	if (st->rrdcached) {
		/* "update NAME v v ...\n"; the name may be escaped (x2). */
		size_t name =
		    strlen(rrdfile_cached_name(st, f->rel, path, sizeof(path)));
		budget = RRD_CMD_MAX > 2 * name + 64
		             ? RRD_CMD_MAX - 2 * name - 64
		             : 0;
	}
	while (done < n) {
		size_t k = 0, used = 0;

		rc = ensure_file(st, f, store_sec_of(vals[done].time_ms));
		if (rc < 0)
			break;
		/* librrd refuses a time at or before the last update. */
		while (done < n &&
		       store_sec_of(vals[done].time_ms) <= f->disk_last_sec) {
			back +=
			    store_sec_of(vals[done].time_ms) < f->disk_last_sec;
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
		if ((rc = update_call(st, f, (int)k, argv)) == 0) {
			f->disk_last_sec =
			    store_sec_of(vals[done + k - 1].time_ms);
			done += k;
			written += k;
			continue;
		}
		if (rc == BUSGUARD_FAULT) {
			/*
			 * Cut short by SIGBUS inside librrd's write_to_rras:
			 * the header's last update (written after the rows)
			 * still says the previous value, so this one is tried
			 * again and not lost, but the RRAs librrd reached
			 * before the fault have already moved their row
			 * pointer and consolidation state on for it, so in
			 * this one file they hold it twice and their older
			 * rows move one step back. Read the header again
			 * before the next try.
			 */
			f->state = F_UNKNOWN;
			fault = 1;
			rc = -ENOSPC;
			break;
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
		rrdfile_set_conn(st, 0, mono_ms() + RECONNECT_MIN_MS);
		log_warnx("rrd: %s: lost rrdcached connection: %s",
		    st->rrdcached, rrd_get_error());
		store_requeue(st, f, vals + done, n - done);
	} else if (rrdfile_dir_error(rc)) {
		/* Nothing can be written now; keep the values for later. */
		store_requeue(st, f, vals + done, n - done);
		rrdfile_pause(st, f, rc, fault);
	} else if (rc < 0) {
		log_warnx("rrd: %s: update of %zu values failed: %s",
		    store_file(st, f->rel, path, sizeof(path)), n - done,
		    rrd_test_error() ? rrd_get_error() : strerror(-rc));
		rc = -EIO;
	}
	if (back)
		log_warnx(
		    "rrd: %s: %zu values older than the file's last update "
		    "(%lld s): dropped; was the clock set back?",
		    store_file(st, f->rel, path, sizeof(path)), back,
		    (long long)f->disk_last_sec);
	if (rc == 0 && st->paused)
		rrdfile_resume(st);
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
