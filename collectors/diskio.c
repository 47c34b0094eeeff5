// SPDX-License-Identifier: MIT
/*
 * diskio collector: /proc/diskstats per whole disk (I/O and byte counters
 * for the pipeline, plus await, utilisation and queue size computed here
 * from the previous run's values) and PSI io. Which devices are disks comes
 * from sysfs, once per device name.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/procfile.h"
#include "common/psi.h"
#include "common/report.h"
#include "plugin.h"

/*
 * Fields after "major minor name", see Documentation/admin-guide/
 * iostats.rst: 11 on every kernel, 15 with discards (4.18), 17 with
 * flushes (5.5).
 */
enum {
	D_READS,
	D_READS_MERGED,
	D_SECTORS_READ,
	D_MS_READING,
	D_WRITES,
	D_WRITES_MERGED,
	D_SECTORS_WRITTEN,
	D_MS_WRITING,
	D_INFLIGHT,
	D_MS_IO,
	D_MS_WEIGHTED,
	D_DISCARDS,
	D_DISCARDS_MERGED,
	D_SECTORS_DISCARDED,
	D_MS_DISCARDING,
	D_FLUSHES,
	D_MS_FLUSHING,
	D_MAX
};

/* DISK_NAME_LEN is 32 (with the NUL). */
#define NAME_MAX_LEN 31
#define MAX_GLOBS 64

struct disk {
	char name[NAME_MAX_LEN + 1];
	int report; /* passes the filters (decided when first seen) */
	int valid;  /* v holds the previous run's values */
	int seen;   /* listed in this run */
	int nfields;
	uint64_t v[D_MAX];
};

struct globs {
	char **v;
	size_t n;
	int given; /* the option was set (replaces the defaults) */
};

struct diskio_state {
	struct globs include, exclude;
	int partitions; /* report partitions too */
	struct disk *disks;
	size_t ndisks, cap;
	int64_t prev_ms;
	struct pf_buf buf;
	struct pf_once diskstats_once;
	int nosys_logged;
	struct psi_state psi;
};

/* Devices that are not disks of their own, by default. */
static const char *const default_exclude[] = {"loop*", "ram*", "zram*", "dm-*"};

static int
read_globs(const struct cp_cfg *cfg, const char *key, struct globs *g)
{
	const struct cp_cfg *node = cp_cfg_child(cfg, key), *item;
	const char *s;
	size_t i, n;

	if (node == NULL)
		return 0;
	g->given = 1;
	n = cp_cfg_seq_len(node);
	if (n == 0 && cp_cfg_scalar(node) != NULL) {
		cp_cfg_error(node,
		    "%s: expected a list of device name globs, e.g. "
		    "[\"sd*\", \"nvme*\"]",
		    key);
		return -EINVAL;
	}
	if (n > MAX_GLOBS) {
		cp_cfg_error(node, "%s: more than %d globs", key, MAX_GLOBS);
		return -EINVAL;
	}
	g->v = calloc(n ? n : 1, sizeof(char *));
	if (g->v == NULL)
		abort();
	for (i = 0; i < n; i++) {
		item = cp_cfg_seq_at(node, i);
		s = cp_cfg_scalar(item);
		if (s == NULL || *s == '\0' || strlen(s) > 255) {
			cp_cfg_error(item,
			    "%s: expected a device name glob such as \"sd*\"",
			    key);
			return -EINVAL;
		}
		g->v[g->n] = strdup(s);
		if (g->v[g->n] == NULL)
			abort();
		g->n++;
	}
	return 0;
}

static void
free_globs(struct globs *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->v[i]);
	free(g->v);
}

static int
match_any(const struct globs *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (fnmatch(g->v[i], name, 0) == 0)
			return 1;
	return 0;
}

/* Does ROOT/rel exist? */
static int
sys_exists(struct cp_ctx *ctx, const char *rel)
{
	char path[4096];

	return cp_path(ctx, CP_SYSFS, rel, path, sizeof(path)) != NULL &&
	       access(path, F_OK) == 0;
}

/*
 * A partition, or a whole disk? Whole disks are in /sys/block; partitions
 * only in /sys/class/block, with a `partition` file. Without either (sysfs
 * not mounted), the name decides: sda1, nvme0n1p1, mmcblk0p1 are
 * partitions by the kernel's naming (a trailing digit after a letter that
 * ends a disk name, or pN after a name ending in a digit).
 */
static int
is_partition(struct cp_ctx *ctx, struct diskio_state *st, const char *name)
{
	char rel[64], sysname[NAME_MAX_LEN + 1], *c;
	const char *q;
	size_t n = strlen(name);

	/* "cciss/c0d0" is "cciss!c0d0" in sysfs. */
	snprintf(sysname, sizeof(sysname), "%s", name);
	for (c = sysname; *c; c++)
		if (*c == '/')
			*c = '!';
	snprintf(rel, sizeof(rel), "block/%s", sysname);
	if (sys_exists(ctx, rel))
		return 0;
	snprintf(rel, sizeof(rel), "class/block/%s", sysname);
	if (sys_exists(ctx, rel)) {
		snprintf(rel, sizeof(rel), "class/block/%s/partition", sysname);
		return sys_exists(ctx, rel);
	}
	if (!st->nosys_logged)
		cp_log_info(ctx,
		    "%s not in sysfs block/ or class/block/: telling "
		    "partitions from disks by name",
		    name);
	st->nosys_logged = 1;
	if (n < 2 || name[n - 1] < '0' || name[n - 1] > '9')
		return 0;
	while (n > 0 && name[n - 1] >= '0' && name[n - 1] <= '9')
		n--;
	if (n > 1 && name[n - 1] == 'p' && name[n - 2] >= '0' &&
	    name[n - 2] <= '9')
		return 1; /* nvme0n1p1, mmcblk0p1 */
	/* sda1, vdb2, xvda1, hdc3: letters then digits, the disk has none */
	for (q = name; q < name + n; q++)
		if (*q >= '0' && *q <= '9')
			return 0;
	return strncmp(name, "sd", 2) == 0 || strncmp(name, "vd", 2) == 0 ||
	       strncmp(name, "xvd", 3) == 0 || strncmp(name, "hd", 2) == 0;
}

/*
 * Which devices are reported: whole disks (and partitions with
 * `partitions: true`); of these, those matching `include` when given; minus
 * those matching `exclude`, which defaults to loop*, ram*, zram*, dm-* when
 * neither option is given (an include list replaces the defaults too, so
 * `include: ["dm-*"]` works without also clearing exclude).
 */
static int
wanted(struct cp_ctx *ctx, struct diskio_state *st, const char *name)
{
	size_t i;

	if (!st->partitions && is_partition(ctx, st, name))
		return 0;
	if (st->include.given && !match_any(&st->include, name))
		return 0;
	if (st->exclude.given)
		return !match_any(&st->exclude, name);
	if (st->include.given)
		return 1;
	for (i = 0; i < sizeof(default_exclude) / sizeof(default_exclude[0]);
	     i++)
		if (fnmatch(default_exclude[i], name, 0) == 0)
			return 0;
	return 1;
}

static struct disk *
find_disk(
    struct cp_ctx *ctx, struct diskio_state *st, const char *name, size_t len)
{
	struct disk *d;
	size_t i;

	for (i = 0; i < st->ndisks; i++)
		if (strncmp(st->disks[i].name, name, len) == 0 &&
		    st->disks[i].name[len] == '\0')
			return &st->disks[i];
	if (st->ndisks == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		d = realloc(st->disks, st->cap * sizeof(*d));
		if (d == NULL)
			abort();
		st->disks = d;
	}
	d = &st->disks[st->ndisks++];
	memset(d, 0, sizeof(*d));
	memcpy(d->name, name, len);
	d->report = wanted(ctx, st, d->name);
	return d;
}

static void
emit_disk(struct cp_ctx *ctx, const struct disk *d, const uint64_t *v, int nf,
    int64_t elapsed_ms)
{
	struct cp_label lb = {"disk", d->name};
	uint64_t dv[D_MAX];
	double el;
	int i;

	emit_counter(
	    ctx, "disk_reads_total", "Reads completed", &lb, 1, v[D_READS], 0);
	emit_counter(ctx, "disk_writes_total", "Writes completed", &lb, 1,
	    v[D_WRITES], 0);
	/* diskstats sectors are always 512 bytes, whatever the device's. */
	emit_counter(ctx, "disk_read_bytes_total", "Bytes read", &lb, 1,
	    v[D_SECTORS_READ] * 512, 0);
	emit_counter(ctx, "disk_written_bytes_total", "Bytes written", &lb, 1,
	    v[D_SECTORS_WRITTEN] * 512, 0);
	if (nf > D_DISCARDS)
		emit_counter(ctx, "disk_discards_total",
		    "Discards completed (Linux 4.18+)", &lb, 1, v[D_DISCARDS],
		    0);
	if (nf > D_FLUSHES)
		emit_counter(ctx, "disk_flushes_total",
		    "Flush requests completed (Linux 5.5+)", &lb, 1,
		    v[D_FLUSHES], 0);
	emit_gauge(ctx, "disk_inflight", "I/Os in flight now", &lb, 1,
	    (double)v[D_INFLIGHT]);
	/*
	 * The ratios need the previous values: a disk seen for the first
	 * time, or one whose counters went backwards (re-attached, or the
	 * 32-bit millisecond fields of older kernels wrapped), only sets the
	 * baseline.
	 */
	if (!d->valid || d->nfields != nf || elapsed_ms <= 0)
		return;
	for (i = 0; i <= D_MS_WEIGHTED; i++) {
		if (i == D_INFLIGHT)
			continue;
		if (v[i] < d->v[i])
			return;
		dv[i] = v[i] - d->v[i];
	}
	el = (double)elapsed_ms;
	/*
	 * Await in seconds (iostat's r_await / 1000): Prometheus wants base
	 * units, and promtool rejects "_ms" in a name.
	 */
	emit_gauge(ctx, "disk_read_await_seconds",
	    "Average time a read took, queueing included", &lb, 1,
	    dv[D_READS] ? (double)dv[D_MS_READING] / (double)dv[D_READS] / 1000
	                : 0);
	emit_gauge(ctx, "disk_write_await_seconds",
	    "Average time a write took, queueing included", &lb, 1,
	    dv[D_WRITES]
	        ? (double)dv[D_MS_WRITING] / (double)dv[D_WRITES] / 1000
	        : 0);
	emit_gauge(ctx, "disk_util_ratio",
	    "Share of time the disk had I/O in flight (%util / 100)", &lb, 1,
	    dv[D_MS_IO] >= el ? 1.0 : (double)dv[D_MS_IO] / el);
	emit_gauge(ctx, "disk_queue_size",
	    "Average number of I/Os in flight (aqu-sz)", &lb, 1,
	    (double)dv[D_MS_WEIGHTED] / el);
}

static void
collect_diskstats(struct cp_ctx *ctx, struct diskio_state *st)
{
	int64_t now = cp_now_ms(ctx), elapsed;
	uint64_t v[D_MAX], dummy;
	struct pf_lines it;
	char *line, *p, *name;
	struct disk *d;
	size_t len, i, j;
	int rc, nf;

	rc = pf_read(ctx, CP_PROCFS, "diskstats", &st->buf);
	if (rc < 0) {
		PF_MISSING(
		    ctx, &st->diskstats_once, CP_PROCFS, "diskstats", rc);
		return;
	}
	PF_READABLE(ctx, &st->diskstats_once, CP_PROCFS, "diskstats");
	PF_PARSING(&st->diskstats_once);
	elapsed = st->prev_ms > 0 ? now - st->prev_ms : 0;
	for (i = 0; i < st->ndisks; i++)
		st->disks[i].seen = 0;
	pf_lines_init(&it, &st->buf);
	while ((line = pf_next_line(&it)) != NULL) {
		if (pf_at_end(line))
			continue;
		p = line;
		if (pf_u64(&p, &dummy) < 0 || pf_u64(&p, &dummy) < 0 ||
		    pf_word(&p, &name, &len) < 0 || len > NAME_MAX_LEN) {
			PF_GARBAGE(ctx, &st->diskstats_once, CP_PROCFS,
			    "diskstats", it.lineno,
			    "expected \"MAJOR MINOR NAME\" and counters");
			continue;
		}
		for (nf = 0; !pf_at_end(p); nf++)
			if (nf == D_MAX || pf_u64(&p, &v[nf]) < 0)
				break;
		/* 2.6 kernels printed 4 fields for partitions: skip those. */
		if (nf == 4 && pf_at_end(p))
			continue;
		if (!pf_at_end(p) || (nf != 11 && nf != 15 && nf != 17)) {
			PF_GARBAGE(ctx, &st->diskstats_once, CP_PROCFS,
			    "diskstats", it.lineno,
			    "expected 11, 15 or 17 counters after the name");
			continue;
		}
		name[len] = '\0';
		d = find_disk(ctx, st, name, len);
		if (d->seen) {
			PF_GARBAGE(ctx, &st->diskstats_once, CP_PROCFS,
			    "diskstats", it.lineno, "%s listed twice", d->name);
			continue;
		}
		d->seen = 1;
		if (!d->report)
			continue;
		emit_disk(ctx, d, v, nf, elapsed);
		memcpy(d->v, v, sizeof(v[0]) * (size_t)nf);
		d->nfields = nf;
		d->valid = 1;
	}
	PF_PARSED(&st->diskstats_once);
	/* Forget removed devices: one that comes back starts afresh (and
	 * has its partition-or-disk question asked again). */
	for (i = j = 0; i < st->ndisks; i++)
		if (st->disks[i].seen)
			st->disks[j++] = st->disks[i];
	st->ndisks = j;
	st->prev_ms = now;
}

static void diskio_stop(void *state);

static int
diskio_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **state)
{
	struct diskio_state *st;
	int rc = 0;

	(void)ctx;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		abort();
	if (read_globs(cfg, "include", &st->include) < 0)
		rc = -EINVAL;
	if (read_globs(cfg, "exclude", &st->exclude) < 0)
		rc = -EINVAL;
	if (cp_cfg_bool(cfg, "partitions", &st->partitions) == -EINVAL)
		rc = -EINVAL;
	psi_init(&st->psi, "io", 1);
	if (rc < 0) {
		diskio_stop(st);
		return rc;
	}
	*state = st;
	return 0;
}

static int
diskio_start(struct cp_ctx *ctx, void *state)
{
	(void)ctx;
	(void)state;
	return 0;
}

static int
diskio_collect(struct cp_ctx *ctx, void *state)
{
	struct diskio_state *st = state;

	collect_diskstats(ctx, st);
	psi_collect(ctx, &st->psi);
	return 0;
}

static void
diskio_stop(void *state)
{
	struct diskio_state *st = state;

	if (st == NULL)
		return;
	free_globs(&st->include);
	free_globs(&st->exclude);
	free(st->disks);
	pf_buf_fini(&st->buf);
	psi_fini(&st->psi);
	free(st);
}

CP_EXPORT const struct cp_collector cp_collector = {CP_ABI_VERSION, "diskio",
    diskio_configure, diskio_start, diskio_collect, diskio_stop};
