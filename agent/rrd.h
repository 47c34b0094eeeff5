/* SPDX-License-Identifier: MIT */
/*
 * The RRD store: the pipeline hands it (series path, time, value) and a
 * writer thread batches them into librrd updates (rrd_update_r with many
 * values per file per call) or, with storage.rrdcached, rrdc_* calls.
 * Files live at DATA_DIR/rrd/TARGET/GROUP/INSTANCE.rrd and are created on
 * demand (to a temporary name, then renamed, so a crash never leaves a
 * half-written file). Every RRD holds one GAUGE data source "value" (the
 * pipeline already turned counters into rates) with AVERAGE and MAX RRAs.
 *
 * Layout: the RRD step is the series' step in whole seconds (at least 1 s),
 * fixed when the file is created; heartbeat 2 x step (at least step + 2 s),
 * min and max unknown. Each store_rra becomes AVERAGE and MAX RRAs of the
 * nearest whole number of steps (an RRA finer than the series' step merges
 * into full resolution, keeping the longer keep_ms) and keep_ms / that many
 * rows, rounded up.
 *
 * rrdcached: with "unix:/path" the daemon shares our filesystem, so files are
 * still created here (temporary name + rename) and only updates go through
 * rrdc_update; with "host:port" the daemon owns the files: they are named
 * relative to its -b directory (TARGET/GROUP/INSTANCE.rrd) and created with
 * rrdc_create (start it with -R so it may create the subdirectories). When
 * the daemon is unreachable values stay queued (within max_pending) and the
 * writer reconnects with a backoff of 1 s doubling to 60 s.
 *
 * A full or read-only data directory (ENOSPC, EDQUOT, EROFS, or SIGBUS from
 * librrd's writable mapping when XFS or btrfs has no block for a page it
 * must copy, see busguard.h) pauses writing the same way: values stay
 * queued within max_pending, and one file is tried again after 1 s doubling
 * to 60 s; the first write that succeeds resumes all of them.
 */
#ifndef CHOKEPOINT_RRD_H
#define CHOKEPOINT_RRD_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* One RRA resolution: keep points of `step_ms` for `keep_ms`. */
struct store_rra {
	int64_t step_ms; /* 0: the series' own step (full resolution) */
	int64_t keep_ms;
};

struct store_cfg {
	const char *data_dir;  /* files go under DATA_DIR/rrd */
	const char *rrdcached; /* NULL or "unix:/path" / "host:port" */
	int64_t flush_ms; /* a value waits at most this long (default 30s) */
	/* A file's first values (which create it) wait at most this long;
	 * 0: flush_ms. */
	int64_t first_flush_ms;
	size_t max_pending; /* cap on queued values (default 1,000,000) */
	const struct store_rra *rras; /* NULL: the defaults below */
	size_t nrras;
	double xff; /* default 0.5 */
	/*
	 * NULL: librrd builds new files' templates in this process. Else an
	 * executable run as `HELPER __rrd-create FILE STEP START ARG...`
	 * (chokepoint-rrd-create, else the agent itself) so that librrd's
	 * in-memory image of a file (3.3 MB for a 1 s series) is never in this
	 * process.
	 */
	const char *create_helper;
};

/*
 * Defaults: AVERAGE and MAX at full resolution for 2 days, 1 min for 2
 * weeks, 1 h for 13 months, 1 day for 5 years.
 */
extern const struct store_rra store_default_rras[];
extern const size_t store_default_nrras;

struct store_stats {
	uint64_t updates_total; /* values accepted */
	uint64_t written_total; /* values written to files / rrdcached */
	uint64_t files_created;
	uint64_t write_errors;
	uint64_t dropped_total;    /* over max_pending, or unwritable */
	uint64_t dropped_overflow; /* of which over max_pending */
	uint64_t stale_total;      /* at or before the file's last update */
	uint64_t replaced_total;   /* a later value in the same second won */
	uint64_t corrupt_total;    /* unreadable files moved aside */
	uint64_t pending;          /* queued now */
	/* 1 while nothing can be written: the data directory is full or
	 * read-only, or rrdcached is unreachable; or while some files may
	 * not be written (values stay queued). */
	int write_blocked;
	size_t files_denied;    /* files it may not write: their values wait */
	uint64_t flushes_total; /* batches written */
	double last_flush_seconds;
};

/* librrd's error of this thread, or errno's when librrd left it empty (a
 * failed write); for the helper and the writer alike (rrd_template.c). */
const char *store_rrd_error(void);
/* `chokepoint __rrd-create FILE STEP START ARG...`: rrd_create_r, 0 or 1. */
int store_create_main(int argc, char **argv);

/* Returns NULL (errno set, reason logged) if the directory is unusable. */
struct store *store_new(const struct store_cfg *cfg);
/* Starts the writer thread. Returns 0 or -errno. */
int store_start(struct store *st);
/*
 * Queue one value for the series whose relative path is rel
 * ("TARGET/GROUP/INSTANCE", components already sanitised with
 * store_relpath()), step in ms (the series' interval). Thread-safe,
 * never blocks on I/O. -EINVAL for a rel that is not such a path (absolute,
 * "..", empty components, other characters), step <= 0 or time <= 0.
 * Returns 0 for values it drops and counts: one at or before the newest
 * second already accepted for the file (stale_total), one over max_pending
 * (the oldest queued value goes, dropped_overflow); a second value in the
 * same second replaces the first (replaced_total).
 */
int store_update(struct store *st, const char *rel, int64_t step_ms,
    int64_t time_ms, double value);
/*
 * Build "TARGET/GROUP/INSTANCE" with each component passed through
 * name_sanitize(); returns buf.
 */
const char *store_relpath(const char *target, const char *group,
    const char *instance, char *buf, size_t size);
/* Absolute path of the .rrd file for rel into buf; returns buf. */
const char *store_file(
    const struct store *st, const char *rel, char *buf, size_t size);
/* Write everything pending for this file now (before reading it); with
 * rrdcached also has the daemon write it (FLUSH). */
int store_flush_file(struct store *st, const char *rel);
/* Write everything pending now (to rrdcached: send it); returns when done,
 * -ENOTCONN if rrdcached is unreachable or -ENOSPC/-EDQUOT/-EROFS if the
 * data directory takes no writes (values stay queued). */
int store_flush_all(struct store *st);
void store_get_stats(struct store *st, struct store_stats *out);
/* Flushes everything, stops the thread, frees. Takes NULL. */
void store_free(struct store *st);

#endif
