/* SPDX-License-Identifier: MIT */
/*
 * Inside the RRD store: the state shared by rrd.c (queues, table, writer
 * thread, public API) and rrd_file.c (creating, checking and writing files
 * through librrd or rrdcached). Not for other modules.
 */
#ifndef CHOKEPOINT_RRD_PRIV_H
#define CHOKEPOINT_RRD_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "rrd.h"

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

/* Q_PARKED: a file that cannot be created for lack of room (st->cpause);
 * the writer tries one at the pause's retry, the rest after a success.
 * Q_DENIED: one the agent may not write (f->denied), tried again a flush
 * interval after it was queued there. */
enum fqueue { Q_NONE, Q_WAITING, Q_READY, Q_FLUSHING, Q_PARKED, Q_DENIED };

struct pval {
	int64_t time_ms;
	double value;
};

/* One series file. Never freed before store_free(), so pointers stay valid. */
struct pfile {
	struct pfile *hnext;         /* hash chain */
	struct pfile *qprev, *qnext; /* in st->waiting, ready, parked... */
	enum fqueue q;
	char *rel;
	uint64_t hash;
	int64_t step_s; /* from the first update; fixed once created */
	struct pval *v; /* queued values v[off..off+n), oldest first */
	size_t off, n, cap;
	int64_t first_mono_ms; /* when v[0] was queued (or backdated) */
	int taken;             /* values were taken for writing before */
	/* Newest second accepted (queued or on disk): older ones are dropped.
	 */
	int64_t last_sec;
	/* Guarded by write_mu (only the writing side touches them). */
	enum fstate state;
	int64_t disk_last_sec;
	int was_ready; /* it existed once: a missing file was deleted */
	/* Its creation failed for lack of room: queued values are parked
	 * (mu; set with write_mu held too). */
	int no_room;
	/* Opening or creating it was refused (EACCES, EPERM): its values
	 * wait in denied (mu; set with write_mu held too). */
	int denied;
};

struct qlist {
	struct pfile *head, *tail;
};

/*
 * Writing, or creating files, stopped by the data directory's filesystem
 * (full, over quota, read-only): nothing is tried before retry_ms (the
 * backoff), except when the filesystem, looked at every second
 * (check_ms), has 1 MiB more free than avail or is no longer read-only
 * (ro). All but backoff_ms (write_mu's) are mu's; rrdfile_pause() and
 * rrdfile_resume() take it and run with write_mu held, so on may also be
 * read under write_mu alone.
 */
struct pause {
	int on, ro;
	int64_t since_ms, retry_ms, backoff_ms, check_ms;
	unsigned long long avail;
};

struct store {
	char *data_dir; /* DATA_DIR/rrd */
	char *rrdcached;
	int cached_local; /* unix socket: the daemon shares our filesystem */
	int64_t flush_ms;
	int64_t first_flush_ms;
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
	struct qlist parked;  /* no room to create them (cpause) */
	struct qlist denied;  /* not ours to write, by first_mono_ms */
	size_t ndenied;       /* files with f->denied */
	int64_t denied_logged_ms;
	struct store_stats stats;
	int64_t overflow_logged_ms;
	uint64_t overflow_unlogged;
	int stop;

	/* write_mu serialises all I/O so a file's batches land in order. */
	pthread_mutex_t write_mu;
	int connected;
	int64_t retry_mono_ms; /* rrdcached: no attempt before this */
	int64_t backoff_ms;
	/*
	 * wpause: no write to the data directory works (an update failed
	 * with rrdfile_dir_error() or SIGBUS): every value stays queued.
	 * cpause: only new files cannot be made (on ext4 or tmpfs a full
	 * filesystem still takes updates of files that exist): their values
	 * wait in parked, the other files are written as usual.
	 */
	struct pause wpause, cpause;

	pthread_t thread;
	int started;

	/* New local files are copies of these (write_mu). */
	char *helper; /* NULL: templates made in this process */
	struct rrd_tmpl {
		int64_t step_s, start_sec;
		char *path;
		/*
		 * rrdfile_template_scan: size bytes, a head of head bytes
		 * (librrd's header), then rows that are all one 8-byte word
		 * (librrd's unknown value). pages: the head's pages, then
		 * one page of that word, page-aligned for O_DIRECT (NULL:
		 * copied whole). warm[nwarm]: offsets of the pages librrd's
		 * first updates write (the rows after each archive's
		 * current one), written through the page cache.
		 */
		int64_t size, head;
		unsigned char *pages;
		int64_t *warm;
		size_t nwarm;
		/* FICLONE failed as unsupported: copies skip it (and the
		 * template file, when the O_DIRECT writes do). */
		int no_clone;
	} tmpl[4];
};

/* Seconds of a time in ms, rounding down. */
static inline int64_t
store_sec_of(int64_t time_ms)
{
	return time_ms >= 0 ? time_ms / 1000 : -((-time_ms + 999) / 1000);
}

/* rrd.c: put vals back in front of f's queue (rrdcached unreachable, the
 * data directory full; parked if f->no_room). */
void store_requeue(
    struct store *st, struct pfile *f, struct pval *vals, size_t n);
/* rrd_pause.c, with write_mu held: f's file refused us (rc -EACCES or
 * -EPERM, opening path or creating it): mark it denied and say so, at most
 * every 10 minutes; rrdfile_allow() after a write to it worked again. */
void rrdfile_deny(struct store *st, struct pfile *f, int rc, const char *path);
void rrdfile_allow(struct store *st, struct pfile *f, const char *path);
/* rrd.c: files can be created again: the parked ones are due now. */
void store_unpark(struct store *st);

/* rrd_file.c, all with write_mu held. */
/* The name rrdcached gets for rel: our path, or rel.rrd for a remote one. */
const char *rrdfile_cached_name(
    const struct store *st, const char *rel, char *buf, size_t size);
/* Connect to rrdcached unless backing off: 0 or -ENOTCONN. */
int rrdfile_connect(struct store *st);
/* Record the connection state (also under mu, for the writer). */
void rrdfile_set_conn(struct store *st, int connected, int64_t retry_mono_ms);
/* Write vals to f's file; takes ownership of vals. 0, -ENOTCONN, -EIO,
 * a data directory error (values queued again, writes paused), or -EAGAIN
 * (no room to create it: values parked, creating paused). */
int rrdfile_write_batch(
    struct store *st, struct pfile *f, struct pval *vals, size_t n);
/* Whether rc (-errno) stops every write to the data directory (ENOSPC,
 * EDQUOT, EROFS), not just one file's. */
int rrdfile_dir_error(int rc);
/* rrd_pause.c. After librrd failed to update rel's file (err: errno
 * then): a data directory error that pauses writing, or 0. */
int rrdfile_write_errno(const struct store *st, const char *rel, int err);
/* Under 16 MiB or 16 inodes left (why a create may have failed). */
int rrdfile_space_short(const struct store *st);
/* With write_mu held: pause writing (p = &st->wpause) or creating files
 * (&st->cpause) after rc (-errno; fault: SIGBUS in librrd) writing or
 * creating f, with the backoff, and say so; resume after one that
 * worked. */
void rrdfile_pause(
    struct store *st, struct pause *p, struct pfile *f, int rc, int fault);
void rrdfile_resume(struct store *st, struct pause *p);
/* With mu held, in the writer's loop: whether p keeps it from trying now;
 * if so, *wake is when to look again (looks at the free space). */
int rrdfile_pause_waits(
    struct store *st, struct pause *p, int64_t now, int64_t *wake);
/* With mu held: whether p lets nothing through now (unlike
 * rrdfile_pause_waits(), does not look at the filesystem). */
static inline int
pause_holds(const struct pause *p, int64_t now)
{
	return p->on && now < p->retry_ms;
}
/* rrd_create.c. The create arguments for a series of step_s seconds. */
char **rrdfile_create_args(const struct store *st, int64_t step_s, int *argc);
void rrdfile_free_args(char **argv, int argc);
/* With write_mu held: make f's file at path, its first row at start_sec:
 * 0 or -errno (logged unless the filesystem is full or read-only). */
int rrdfile_create_local(
    struct store *st, struct pfile *f, const char *path, int64_t start_sec);
/* One archive of an RRD file: where its rows start, how many, which is
 * current, and the bytes of a row (8 a data source). */
struct rra_pos {
	int64_t start, rows, cur, row_bytes;
};
/*
 * librrd's header (rrd_format.h, versions 3 to 5: one layout) in buf[len] of a
 * file of size bytes: its archives (*rras, *nrra; caller frees) and *head, the
 * header's length. 0; 1 when buf holds less than the header (*head is its
 * length); -1 for a file this does not know (copied whole).
 */
int rrdfile_head_parse(const unsigned char *buf, size_t len, int64_t size,
    struct rra_pos **rras, size_t *nrra, int64_t *head);
/* Where t's rows of its unknown value start (t->path set): 0 or -errno. */
int rrdfile_template_scan(struct rrd_tmpl *t);
/* Forget a scanned template: its buffer and path (not the file). */
void rrdfile_template_free(struct rrd_tmpl *t);
/* Make dst (O_EXCL; a leftover is replaced) a copy of the scanned
 * template t: 0 or -errno. direct 0 skips the O_DIRECT writes (tests). */
int rrdfile_copy_template(struct rrd_tmpl *t, const char *dst, int direct);
/* Remove the templates (store_free; leftovers of a crash: store_new). */
void rrdfile_templates_clear(struct store *st, int leftovers);

#endif
