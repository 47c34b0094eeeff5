// SPDX-License-Identifier: MIT
/*
 * The RRD store's file side: makes sure a series' file exists at first use
 * (checks an existing one and moves an unreadable one aside; rrd_create.c
 * makes a missing one, and no room for it parks its values), and writes a
 * file's queued values in as few librrd or rrdcached calls as fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* ------------------------------------------------------------ checking */

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
	argv = rrdfile_create_args(st, f->step_s, &argc);
	rrd_clear_error();
	rc = rrdc_create(path, (unsigned long)f->step_s, (time_t)start, 1, argc,
	    (const char **)argv);
	rrdfile_free_args(argv, argc);
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

/*
 * What keeps f from being written now: -ENOSPC (writing paused), -EAGAIN
 * (f waits for room to be created) or 0. Under mu, as the writer's loop
 * moves the retry times.
 */
static int
pause_rc(struct store *st, const struct pfile *f)
{
	int64_t now = mono_ms();
	int rc = 0;

	pthread_mutex_lock(&st->mu);
	if (pause_holds(&st->wpause, now))
		rc = -ENOSPC;
	else if (f->no_room && pause_holds(&st->cpause, now))
		rc = -EAGAIN;
	pthread_mutex_unlock(&st->mu);
	return rc;
}

static void
set_no_room(struct store *st, struct pfile *f, int no_room)
{
	pthread_mutex_lock(&st->mu);
	f->no_room = no_room;
	pthread_mutex_unlock(&st->mu);
}

/*
 * With write_mu held: make sure f's file exists and is usable. -EAGAIN:
 * there is no room to create it (st->cpause, f->no_room); its values are
 * to be parked.
 */
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
		/* Not ours to write (made by root, say): not damaged either,
		 * so not moved aside. rrdcached writes it, not us. */
		if (!st->rrdcached &&
		    faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) < 0 &&
		    errno_denied(errno))
			return -errno;
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
		if (!errno_denied(-rc)) /* else said by rrdfile_deny */
			log_warn("rrd: %s: stat", path);
		return rc;
	} else if (f->was_ready) {
		log_warnx("rrd: %s: deleted while the agent runs; making a new "
		          "one (what it held is gone)",
		    path);
		f->was_ready = 0; /* said once */
	}
	/* No room for new files: wait for the pause's next try. */
	pthread_mutex_lock(&st->mu);
	if ((rc = pause_holds(&st->cpause, mono_ms())) != 0)
		f->no_room = 1;
	pthread_mutex_unlock(&st->mu);
	if (rc)
		return -EAGAIN;
	rc = rrdfile_create_local(st, f, path, start);
	if (rc == -ENOSPC || rc == -EDQUOT) {
		/* Files that exist may still take updates (ext4, tmpfs):
		 * only new ones wait. */
		set_no_room(st, f, 1);
		rrdfile_pause(st, &st->cpause, f, rc, 0);
		return -EAGAIN;
	}
	if (rc < 0)
		return rc;
	f->disk_last_sec = start;
	f->state = F_READY;
	f->was_ready = 1;
	if (f->no_room)
		set_no_room(st, f, 0);
	if (st->cpause.on) {
		rrdfile_resume(st, &st->cpause);
		store_unpark(st);
	}
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
 * rrd_update_r writes a local file through its mapping: run it by
 * busguard_call(), so a full filesystem fails the call instead of killing
 * the agent with SIGBUS.
 */
struct lcall {
	const char *path;
	int argc;
	const char **argv;
};

static int
lcall_update(void *arg)
{
	struct lcall *c = arg;

	return rrd_update_r(c->path, NULL, c->argc, c->argv);
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
	struct lcall c = {path, argc, argv};
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
 * directory error (rrdfile_dir_error(); writes paused), or -EAGAIN when
 * there is no room to create the file (in those three cases the unwritten
 * values are queued again; with -EAGAIN parked), or -EIO (they are dropped
 * and counted).
 */
int
rrdfile_write_batch(
    struct store *st, struct pfile *f, struct pval *vals, size_t n)
{
	char path[4096], (*bufs)[64] = NULL;
	const char **argv = NULL;
	size_t done = 0, written = 0, stale = 0, back = 0, budget = 0, cap;
	int64_t t0 = mono_ns();
	int failures = 0, fault = 0, rc = 0, err;

	if (st->rrdcached && rrdfile_connect(st) < 0) {
		store_requeue(st, f, vals, n);
		free(vals);
		return -ENOTCONN;
	}
	/* Paused (full): also for store_flush_file() from a page view. A
	 * file that waits for room is parked again. */
	if ((rc = pause_rc(st, f)) < 0) {
		store_requeue(st, f, vals, n);
		free(vals);
		return rc;
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
		err = errno;
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
		/* librrd could not open it for writing: a read-only or full
		 * data directory pauses writing, as a failed create does; a
		 * file we may not write waits. */
		if (!st->rrdcached &&
		    (rc = rrdfile_write_errno(st, f->rel, err)) < 0)
			break;
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
	} else if (rc == -EAGAIN) {
		/* No room to create the file: parked until there is. */
		store_requeue(st, f, vals + done, n - done);
	} else if (errno_denied(-rc)) {
		/* Waits in st->denied for a flush interval. */
		f->state = F_UNKNOWN;
		rrdfile_deny(
		    st, f, rc, store_file(st, f->rel, path, sizeof(path)));
		store_requeue(st, f, vals + done, n - done);
	} else if (rrdfile_dir_error(rc)) {
		/* Nothing can be written now; keep the values for later. */
		store_requeue(st, f, vals + done, n - done);
		rrdfile_pause(st, &st->wpause, f, rc, fault);
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
	if (rc == 0 && st->wpause.on)
		rrdfile_resume(st, &st->wpause);
	if (rc == 0 && f->denied)
		rrdfile_allow(
		    st, f, store_file(st, f->rel, path, sizeof(path)));
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
