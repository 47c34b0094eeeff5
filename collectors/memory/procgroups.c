// SPDX-License-Identifier: MIT
/*
 * Process groups for the memory collector (see procgroups.h): one readdir
 * of procfs per run, merged with the previous run's sorted pid table, so a
 * process is classified once and then only the processes of a group are
 * read each run (stat and io); the others are re-checked every 16 runs.
 */
#include "procgroups.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/procfile.h"
#include "../common/report.h"

#define GROUP_NONE (-1)    /* matches no group */
#define GROUP_UNKNOWN (-2) /* not classified yet */
#define MAX_GROUPS 64
#define MAX_NAMES 64
/* TASK_COMM_LEN is 16: comm holds at most 15 characters. */
#define COMM_MAX 15
/*
 * A process in no group is looked at again every RECHECK runs, to notice
 * an exec (a shell wrapper exec'ing postgres keeps its pid) or a pid
 * reused by a new process.
 */
#define RECHECK 16
/* PF_KTHREAD in the flags field: kernel threads have no cmdline. */
#define PF_KTHREAD 0x00200000u

struct pgroup {
	char *name;
	char **names;
	size_t nnames;
	/* Sums of the current run. */
	uint64_t count, rss_pages, ticks, rd, wr, io_unreadable;
};

/* One process, as of the last run that read it. */
struct pent {
	int pid;
	int group;          /* index, GROUP_NONE or GROUP_UNKNOWN */
	uint64_t start;     /* starttime: a reused pid has another one */
	uint64_t comm_hash; /* an exec changes comm */
	uint64_t ticks;     /* utime + stime */
	uint64_t rd, wr;    /* io read_bytes, write_bytes */
	unsigned char has_ticks, has_io, io_denied;
};

struct procgroups {
	struct pgroup *g;
	size_t ng;
	struct pent *ents, *next; /* sorted by pid; next is scratch */
	size_t nents, cap;
	int *pids;
	size_t npids, cap_pids;
	uint64_t run;
	int64_t prev_ms;
	long clk_tck, page_size;
	int dir_missing; /* logged */
};

static void *
xrealloc_(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		abort();
	return p;
}

static char *
xstrdup_(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

/* A process name: non-empty, no '/', printable. */
static int
valid_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

static int
add_name(struct pgroup *g, const struct cp_cfg *item)
{
	const char *s = cp_cfg_scalar(item);

	if (s == NULL || !valid_name(s)) {
		cp_cfg_error(item,
		    "processes: %s: expected a process name (as in "
		    "/proc/PID/comm or argv[0], no '/')",
		    g->name);
		return -EINVAL;
	}
	if (g->nnames == MAX_NAMES) {
		cp_cfg_error(item, "processes: %s: more than %d names", g->name,
		    MAX_NAMES);
		return -EINVAL;
	}
	g->names = xrealloc_(g->names, (g->nnames + 1) * sizeof(char *));
	g->names[g->nnames++] = xstrdup_(s);
	return 0;
}

int
procgroups_configure(const struct cp_cfg *node, struct procgroups **out)
{
	struct procgroups *pg;
	const struct cp_cfg *val;
	const char *key;
	size_t i, j, n;
	int rc = 0;

	*out = NULL;
	if (node == NULL)
		return 0;
	n = cp_cfg_map_len(node);
	if (n == 0) {
		if (cp_cfg_scalar(node) != NULL || cp_cfg_seq_len(node) > 0) {
			cp_cfg_error(node,
			    "processes: expected a mapping of group name to a "
			    "list of process names, e.g. {web: [nginx, "
			    "php-fpm]}");
			return -EINVAL;
		}
		return 0;
	}
	if (n > MAX_GROUPS) {
		cp_cfg_error(
		    node, "processes: more than %d groups", MAX_GROUPS);
		return -EINVAL;
	}
	pg = calloc(1, sizeof(*pg));
	if (pg == NULL)
		abort();
	pg->g = calloc(n, sizeof(*pg->g));
	if (pg->g == NULL)
		abort();
	for (i = 0; i < n; i++) {
		struct pgroup *g = &pg->g[pg->ng++];

		key = cp_cfg_map_key(node, i);
		val = cp_cfg_map_val(node, i);
		g->name = xstrdup_(key ? key : "");
		if (key == NULL || !valid_name(key) || strlen(key) > 64) {
			cp_cfg_error(val,
			    "processes: bad group name \"%s\" (1-64 "
			    "printable characters, no '/')",
			    g->name);
			rc = -EINVAL;
			continue;
		}
		if (cp_cfg_scalar(val) != NULL) {
			/* `db: postgres` is a one-name list. */
			if (add_name(g, val) < 0)
				rc = -EINVAL;
			continue;
		}
		if (cp_cfg_seq_len(val) == 0) {
			cp_cfg_error(val,
			    "processes: %s: expected a list of process names",
			    g->name);
			rc = -EINVAL;
			continue;
		}
		for (j = 0; j < cp_cfg_seq_len(val); j++)
			if (add_name(g, cp_cfg_seq_at(val, j)) < 0)
				rc = -EINVAL;
	}
	pg->clk_tck = sysconf(_SC_CLK_TCK);
	if (pg->clk_tck <= 0)
		pg->clk_tck = 100;
	pg->page_size = sysconf(_SC_PAGESIZE);
	if (pg->page_size <= 0)
		pg->page_size = 4096;
	if (rc < 0) {
		procgroups_free(pg);
		return rc;
	}
	*out = pg;
	return 0;
}

void
procgroups_free(struct procgroups *pg)
{
	size_t i, j;

	if (pg == NULL)
		return;
	for (i = 0; i < pg->ng; i++) {
		for (j = 0; j < pg->g[i].nnames; j++)
			free(pg->g[i].names[j]);
		free(pg->g[i].names);
		free(pg->g[i].name);
	}
	free(pg->g);
	free(pg->ents);
	free(pg->next);
	free(pg->pids);
	free(pg);
}

/*
 * Does a process with this comm and argv[0] carry name? comm is the
 * executable's name cut to 15 characters (or what the process set with
 * prctl); argv[0] may be a path, or a title set the setproctitle() way
 * ("nginx: worker process", "php-fpm: pool www", "postgres: checkpointer"),
 * where the name is the part before the first ':' or ' '.
 */
static int
name_matches(const char *name, const char *comm, const char *argv0)
{
	size_t n = strlen(name), wl;
	const char *w, *b, *e;

	if (strcmp(comm, name) == 0 ||
	    (n > COMM_MAX && strlen(comm) == COMM_MAX &&
	        strncmp(comm, name, COMM_MAX) == 0))
		return 1;
	if (argv0 == NULL || *argv0 == '\0')
		return 0;
	b = strrchr(argv0, '/');
	if (strcmp(b ? b + 1 : argv0, name) == 0)
		return 1;
	e = argv0 + strcspn(argv0, ": ");
	for (w = e; w > argv0 && w[-1] != '/'; w--)
		;
	wl = (size_t)(e - w);
	return wl == n && memcmp(w, name, n) == 0;
}

static int
classify(const struct procgroups *pg, const char *comm, const char *argv0)
{
	size_t i, j;

	for (i = 0; i < pg->ng; i++)
		for (j = 0; j < pg->g[i].nnames; j++)
			if (name_matches(pg->g[i].names[j], comm, argv0))
				return (int)i;
	return GROUP_NONE;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

struct pstat {
	char *comm;
	unsigned long flags;
	uint64_t ticks, start, rss;
};

/*
 * /proc/PID/stat: "PID (COMM) S PPID ...". comm may hold spaces and ')',
 * so the fields start after the last ')'. Wanted: flags (9), utime (14),
 * stime (15), starttime (22), rss in pages (24; the same number as statm's
 * resident field, so one file gives everything).
 */
static int
parse_stat(char *buf, struct pstat *ps)
{
	char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p, *w;
	uint64_t v, utime = 0;
	size_t len;
	int field;

	if (open == NULL || close == NULL || close < open)
		return -EINVAL;
	*close = '\0';
	ps->comm = open + 1;
	p = close + 1;
	for (field = 3; field <= 24; field++) {
		switch (field) {
		case 9:
		case 14:
		case 15:
		case 22:
		case 24:
			if (pf_u64(&p, &v) < 0)
				return -EINVAL;
			break;
		default:
			/* Priority and nice may be negative: not parsed. */
			if (pf_word(&p, &w, &len) < 0)
				return -EINVAL;
			continue;
		}
		if (field == 9)
			ps->flags = (unsigned long)v;
		else if (field == 14)
			utime = v;
		else if (field == 15)
			ps->ticks = utime + v;
		else if (field == 22)
			ps->start = v;
		else
			ps->rss = v;
	}
	return 0;
}

/* /proc/PID/io: read_bytes and write_bytes (storage I/O, not rchar). */
static int
parse_io(char *buf, size_t len, uint64_t *rd, uint64_t *wr)
{
	struct pf_buf b = {.s = buf, .len = len, .cap = len + 1};
	struct pf_lines it;
	char *line, *p;
	int got = 0;

	pf_lines_init(&it, &b);
	while ((line = pf_next_line(&it)) != NULL) {
		if (pf_key(line, "read_bytes", &p)) {
			if (pf_u64(&p, rd) < 0)
				return -EINVAL;
			got |= 1;
		} else if (pf_key(line, "write_bytes", &p)) {
			if (pf_u64(&p, wr) < 0)
				return -EINVAL;
			got |= 2;
		}
	}
	return got == 3 ? 0 : -EINVAL;
}

static ssize_t
read_pid_file(
    struct cp_ctx *ctx, int pid, const char *file, char *buf, size_t size)
{
	char rel[64], path[4096];

	snprintf(rel, sizeof(rel), "%d/%s", pid, file);
	if (cp_path(ctx, CP_PROCFS, rel, path, sizeof(path)) == NULL)
		return -ENAMETOOLONG;
	return pf_read_small(path, buf, size);
}

static void
account_io(struct cp_ctx *ctx, struct pgroup *g, struct pent *e)
{
	char buf[1024];
	uint64_t rd, wr;
	ssize_t n;

	if (e->io_denied) {
		g->io_unreadable++;
		return;
	}
	n = read_pid_file(ctx, e->pid, "io", buf, sizeof(buf));
	if (n == -EACCES || n == -EPERM) {
		/* Another user's process while we are not root: counted in
		 * process_io_unreadable, never read again. */
		e->io_denied = 1;
		g->io_unreadable++;
		return;
	}
	if (n < 0) {
		e->has_io = 0; /* exited since its stat was read */
		return;
	}
	if (parse_io(buf, (size_t)n, &rd, &wr) < 0) {
		char rel[32], path[512];

		snprintf(rel, sizeof(rel), "%d/io", e->pid);
		cp_count_error(ctx);
		cp_log_warnx(ctx,
		    "%s: no read_bytes/write_bytes numbers; I/O of this "
		    "process skipped",
		    pf_path(ctx, CP_PROCFS, rel, path, sizeof(path)));
		e->has_io = 0;
		return;
	}
	/* A counter going backwards contributes nothing, never < 0. */
	if (e->has_io && rd >= e->rd)
		g->rd += rd - e->rd;
	if (e->has_io && wr >= e->wr)
		g->wr += wr - e->wr;
	e->rd = rd;
	e->wr = wr;
	e->has_io = 1;
}

/* Update e from its process; returns -1 when it is gone (drop it). */
static int
visit(struct cp_ctx *ctx, struct procgroups *pg, struct pent *e)
{
	char buf[1024], cmd[512];
	struct pstat ps = {0};
	struct pgroup *g;
	uint64_t h;
	ssize_t n;
	int grp;

	if (e->group == GROUP_NONE &&
	    ((uint64_t)e->pid + pg->run) % RECHECK != 0)
		return 0;
	n = read_pid_file(ctx, e->pid, "stat", buf, sizeof(buf));
	if (n < 0)
		return -1; /* exited between readdir and open */
	if (parse_stat(buf, &ps) < 0) {
		char rel[32], path[512];

		snprintf(rel, sizeof(rel), "%d/stat", e->pid);
		cp_count_error(ctx);
		cp_log_warnx(ctx,
		    "%s: not a process stat line; process skipped",
		    pf_path(ctx, CP_PROCFS, rel, path, sizeof(path)));
		e->group = GROUP_NONE;
		e->comm_hash = 0;
		return 0;
	}
	if (e->group != GROUP_UNKNOWN && ps.start != e->start)
		e->group = GROUP_UNKNOWN; /* the pid was reused */
	h = fnv1a(ps.comm);
	if (e->group == GROUP_UNKNOWN || h != e->comm_hash) {
		grp = classify(pg, ps.comm, NULL);
		if (grp == GROUP_NONE && !(ps.flags & PF_KTHREAD)) {
			n = read_pid_file(
			    ctx, e->pid, "cmdline", cmd, sizeof(cmd));
			if (n > 0)
				grp = classify(pg, ps.comm, cmd);
		}
		if (grp != e->group) {
			e->has_ticks = e->has_io = e->io_denied = 0;
			e->group = grp;
		}
		e->comm_hash = h;
		e->start = ps.start;
	}
	if (e->group < 0)
		return 0;
	g = &pg->g[e->group];
	g->count++;
	g->rss_pages += ps.rss;
	if (e->has_ticks && ps.ticks >= e->ticks)
		g->ticks += ps.ticks - e->ticks;
	e->ticks = ps.ticks;
	e->has_ticks = 1;
	account_io(ctx, g, e);
	return 0;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The numeric entries of procfs into pg->pids, sorted. */
static int
list_pids(struct cp_ctx *ctx, struct procgroups *pg)
{
	char path[4096];
	struct dirent *de;
	const char *s;
	DIR *d;
	long v;

	if (cp_path(ctx, CP_PROCFS, "", path, sizeof(path)) == NULL)
		return -ENAMETOOLONG;
	d = opendir(path);
	if (d == NULL)
		return -errno;
	pg->npids = 0;
	while ((de = readdir(d)) != NULL) {
		v = 0;
		for (s = de->d_name; *s >= '0' && *s <= '9' && v < 1L << 31;
		     s++)
			v = v * 10 + (*s - '0');
		if (*s != '\0' || s == de->d_name || v <= 0 || v >= 1L << 31)
			continue;
		if (pg->npids == pg->cap_pids) {
			pg->cap_pids = pg->cap_pids ? pg->cap_pids * 2 : 256;
			pg->pids = xrealloc_(
			    pg->pids, pg->cap_pids * sizeof(*pg->pids));
		}
		pg->pids[pg->npids++] = (int)v;
	}
	closedir(d);
	/* Real procfs lists pids in order already; fixture trees do not. */
	qsort(pg->pids, pg->npids, sizeof(*pg->pids), cmp_int);
	return 0;
}

static void
emit_groups(struct cp_ctx *ctx, struct procgroups *pg, double elapsed_s)
{
	struct cp_label lb = {"group", NULL};
	size_t i;

	for (i = 0; i < pg->ng; i++) {
		struct pgroup *g = &pg->g[i];

		lb.value = g->name;
		emit_gauge(ctx, "process_instances",
		    "Processes in this group (by name)", &lb, 1,
		    (double)g->count);
		emit_gauge(ctx, "process_rss_bytes",
		    "Resident memory of this group's processes", &lb, 1,
		    (double)g->rss_pages * (double)pg->page_size);
		if (elapsed_s <= 0)
			continue;
		/* CPU seconds per second: 2.5 means two and a half CPUs. */
		emit_gauge(ctx, "process_cpu_ratio",
		    "CPU time of this group's processes per second (1 = one "
		    "CPU)",
		    &lb, 1, (double)g->ticks / elapsed_s / (double)pg->clk_tck);
		emit_gauge(ctx, "process_read_bytes_per_second",
		    "Bytes this group's processes read from storage", &lb, 1,
		    (double)g->rd / elapsed_s);
		emit_gauge(ctx, "process_write_bytes_per_second",
		    "Bytes this group's processes wrote to storage", &lb, 1,
		    (double)g->wr / elapsed_s);
		emit_gauge(ctx, "process_io_unreadable",
		    "Processes of this group whose I/O counters are not "
		    "readable (another user's)",
		    &lb, 1, (double)g->io_unreadable);
	}
}

void
procgroups_collect(struct cp_ctx *ctx, struct procgroups *pg)
{
	int64_t now = cp_now_ms(ctx);
	size_t i, o = 0, nn = 0;
	struct pent e, *tmp;
	char path[512];
	int rc;

	rc = list_pids(ctx, pg);
	if (rc < 0) {
		if (!pg->dir_missing)
			cp_log_warnx(ctx,
			    "%s: cannot list processes: %s; no process group "
			    "metrics",
			    pf_path(ctx, CP_PROCFS, "", path, sizeof(path)),
			    strerror(-rc));
		pg->dir_missing = 1;
		return;
	}
	pg->dir_missing = 0;
	for (i = 0; i < pg->ng; i++) {
		pg->g[i].count = pg->g[i].rss_pages = pg->g[i].ticks = 0;
		pg->g[i].rd = pg->g[i].wr = pg->g[i].io_unreadable = 0;
	}
	if (pg->npids > pg->cap) {
		pg->cap = pg->npids + pg->npids / 4;
		pg->ents = xrealloc_(pg->ents, pg->cap * sizeof(*pg->ents));
		pg->next = xrealloc_(pg->next, pg->cap * sizeof(*pg->next));
	}
	/* Merge the sorted pid list with last run's sorted table. */
	for (i = 0; i < pg->npids; i++) {
		while (o < pg->nents && pg->ents[o].pid < pg->pids[i])
			o++; /* gone */
		if (o < pg->nents && pg->ents[o].pid == pg->pids[i]) {
			e = pg->ents[o++];
		} else {
			memset(&e, 0, sizeof(e));
			e.pid = pg->pids[i];
			e.group = GROUP_UNKNOWN;
		}
		if (visit(ctx, pg, &e) == 0)
			pg->next[nn++] = e;
	}
	tmp = pg->ents;
	pg->ents = pg->next;
	pg->next = tmp;
	pg->nents = nn;
	emit_groups(ctx, pg,
	    pg->prev_ms > 0 && now > pg->prev_ms ? (now - pg->prev_ms) / 1000.0
	                                         : 0);
	pg->prev_ms = now;
	pg->run++;
}
