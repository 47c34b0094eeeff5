// SPDX-License-Identifier: MIT
/*
 * The RRD store and its data directory's filesystem: which errors mean no
 * file can be written now (full, over quota, read-only), how much room is
 * left, and the pause that keeps values queued until there is room again
 * (rrd.h). rrd_file.c pauses and resumes; the writer thread (rrd.c) waits
 * out the pause and looks at the free space meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "rrd_priv.h"
#include "util.h"

/*
 * After a create failed for a reason we cannot see (the helper's exit
 * status, librrd): is the data directory out of space or inodes? Less
 * than 16 MiB or 16 inodes left counts (a 1 s series' file is 3.3 MB).
 */
int
rrdfile_space_short(const struct store *st)
{
	struct statvfs sv;

	if (statvfs(st->data_dir, &sv) < 0)
		return 0;
	return (unsigned long long)sv.f_bavail * sv.f_frsize < (16ULL << 20) ||
	       (sv.f_files > 0 && sv.f_favail < 16);
}

/* Bytes the data directory's filesystem has free for us (0 if unknown),
 * and whether it is mounted read-only. */
static unsigned long long
fs_avail(const struct store *st, int *ro)
{
	struct statvfs sv;

	*ro = 0;
	if (statvfs(st->data_dir, &sv) < 0)
		return 0;
	*ro = (sv.f_flag & ST_RDONLY) != 0;
	return (unsigned long long)sv.f_bavail * sv.f_frsize;
}

/* Errors that stop every write to the data directory, not one file's. */
int
rrdfile_dir_error(int rc)
{
	return rc == -ENOSPC || rc == -EDQUOT || rc == -EROFS;
}

int
rrdfile_write_errno(const struct store *st, const char *rel, int err)
{
	char path[4096];
	struct statvfs sv;

	if (rrdfile_dir_error(-err) || errno_denied(err))
		return -err;
	/* librrd's cleanup may have changed errno: ask the filesystem. */
	if (statvfs(store_file(st, rel, path, sizeof(path)), &sv) == 0 &&
	    (sv.f_flag & ST_RDONLY))
		return -EROFS;
	if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) < 0 &&
	    errno_denied(errno))
		return -errno;
	return 0;
}

/*
 * Pause p after rc writing or creating f: the writer tries again at
 * retry_ms, one file first. Under write_mu and mu, as the writer reads it
 * under mu.
 */
void
rrdfile_pause(
    struct store *st, struct pause *p, struct pfile *f, int rc, int fault)
{
	char path[4096];
	int64_t now = mono_ms();
	uint64_t pending;
	int ro;
	unsigned long long avail = fs_avail(st, &ro);

	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : RECONNECT_MIN_MS;
	if (p->backoff_ms > RECONNECT_MAX_MS)
		p->backoff_ms = RECONNECT_MAX_MS;
	pthread_mutex_lock(&st->mu);
	if (!p->on) {
		p->on = 1;
		p->since_ms = now;
	}
	p->retry_ms = now + p->backoff_ms;
	p->check_ms = now + 1000;
	p->avail = avail;
	p->ro = ro;
	pending = st->stats.pending;
	pthread_mutex_unlock(&st->mu);
	store_file(st, f->rel, path, sizeof(path));
	/* Three formats, so that the rate limit of one hides not another. */
	if (p == &st->cpause)
		log_warnx("rrd: %s: cannot create it: %s; new files wait "
		          "(files that exist are still written), %llu values "
		          "kept in memory (at most %zu), next try in %llds",
		    path, strerror(-rc), (unsigned long long)pending,
		    st->max_pending, (long long)(p->backoff_ms / 1000));
	else if (fault)
		log_warnx("rrd: %s: SIGBUS writing through librrd's mapping "
		          "(%s); writes paused, %llu values kept in memory (at "
		          "most %zu), next try in %llds",
		    path,
		    rrdfile_space_short(st)
		        ? "the filesystem is full"
		        : "no space for a copied block, or an I/O "
		          "error",
		    (unsigned long long)pending, st->max_pending,
		    (long long)(p->backoff_ms / 1000));
	else
		log_warnx("rrd: %s: %s; writes paused, %llu values kept in "
		          "memory (at most %zu), next try in %llds",
		    path, strerror(-rc), (unsigned long long)pending,
		    st->max_pending, (long long)(p->backoff_ms / 1000));
}

void
rrdfile_resume(struct store *st, struct pause *p)
{
	int64_t since;

	pthread_mutex_lock(&st->mu);
	since = p->since_ms;
	p->on = 0;
	p->retry_ms = 0;
	pthread_mutex_unlock(&st->mu);
	p->backoff_ms = 0;
	log_info("rrd: %s: %s again after %llds paused", st->data_dir,
	    p == &st->cpause ? "creating files" : "writing",
	    (long long)((mono_ms() - since) / 1000));
}

int
rrdfile_pause_waits(
    struct store *st, struct pause *p, int64_t now, int64_t *wake)
{
	if (!pause_holds(p, now))
		return 0;
	/*
	 * A try that fails may cost a SIGBUS (and what librrd had
	 * allocated), or a helper process, so between the backoff's tries
	 * only look at the filesystem, and try at once when someone made
	 * room or mounted it read-write again.
	 */
	if (now >= p->check_ms) {
		int ro;
		unsigned long long avail = fs_avail(st, &ro);

		p->check_ms = now + 1000;
		if (avail > p->avail + (1ULL << 20) || (p->ro && !ro))
			p->retry_ms = now;
	}
	if (now >= p->retry_ms)
		return 0;
	*wake = p->check_ms < p->retry_ms ? p->check_ms : p->retry_ms;
	return 1;
}

/* ------------------------------------------------- files not ours */

#define DENIED_LOG_MS (10 * 60 * 1000)

void
rrdfile_deny(struct store *st, struct pfile *f, int rc, const char *path)
{
	char who[128];
	int64_t now = mono_ms();
	size_t nd, at;
	int say;

	pthread_mutex_lock(&st->mu);
	if (!f->denied) {
		f->denied = 1;
		st->ndenied++;
	}
	nd = st->ndenied;
	say = st->denied_logged_ms == 0 ||
	      now - st->denied_logged_ms >= DENIED_LOG_MS;
	if (say)
		st->denied_logged_ms = now;
	pthread_mutex_unlock(&st->mu);
	if (!say)
		return;
	/* Whose it is, or the deepest directory it would be made in. */
	at = path_owner(path, who, sizeof(who));
	log_warnx("rrd: %s: %s%s%.*s (%s): its values wait in memory and it "
	          "is tried again every %lld s (%zu file%s not writable so "
	          "far)",
	    path, strerror(-rc), path[at] ? " creating it in " : "",
	    path[at] ? (int)at : 0, path, who, (long long)(st->flush_ms / 1000),
	    nd, nd == 1 ? "" : "s");
}

void
rrdfile_allow(struct store *st, struct pfile *f, const char *path)
{
	size_t nd;

	pthread_mutex_lock(&st->mu);
	f->denied = 0;
	nd = --st->ndenied;
	pthread_mutex_unlock(&st->mu);
	/* One line when the last one is back, not one a file. */
	if (nd == 0)
		log_info(
		    "rrd: every file is writable again (the last: %s); the "
		    "values that waited are written",
		    path);
	else
		log_debug(
		    "rrd: %s: writable again (%zu files still not)", path, nd);
}
