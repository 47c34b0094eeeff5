// SPDX-License-Identifier: MIT
/*
 * cpu collector: /proc/stat (per-CPU time shares from jiffy deltas, run
 * queue, context switches, interrupts, forks), /proc/loadavg and PSI cpu.
 * The shares are computed here, from the previous run's jiffies kept per
 * CPU; the plain counters go to the pipeline, which turns them into rates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfile.h"
#include "common/psi.h"
#include "common/report.h"
#include "plugin.h"

/*
 * Fields of a "cpu" line, in kernel order. Their count grew over time:
 * 4 (2.4), 7 (iowait irq softirq, 2.6), 8 (steal, 2.6.11), 9 (guest,
 * 2.6.24), 10 (guest_nice, 2.6.33).
 */
enum {
	F_USER,
	F_NICE,
	F_SYSTEM,
	F_IDLE,
	F_IOWAIT,
	F_IRQ,
	F_SOFTIRQ,
	F_STEAL,
	F_GUEST,
	F_GUEST_NICE,
	F_MAX
};

/* CONFIG_NR_CPUS tops out at 8192; a larger index is garbage. */
#define CPU_MAX 8192

struct cpu_times {
	uint64_t v[F_MAX];
	int nfields;
	int valid; /* seen in the previous run: a baseline for deltas */
	int seen;  /* seen in this run */
};

struct cpu_state {
	struct pf_buf buf;
	struct cpu_times total;
	struct cpu_times *cpus; /* indexed by cpu number */
	size_t ncpus;           /* allocated entries */
	struct pf_once stat_once, loadavg_once;
	struct psi_state psi;
	int guest_logged;
};

static const char *const mode_names[] = {"user", "nice", "system", "idle",
    "iowait", "irq", "softirq", "steal", "guest"};

/*
 * Parse the numbers after "cpu"/"cpuN" into t. At least the four fields of
 * 2.4 kernels are required; more than ten is a format we do not know.
 */
static int
parse_times(char *p, struct cpu_times *t)
{
	uint64_t v[F_MAX] = {0};
	int n = 0;

	while (!pf_at_end(p)) {
		if (n == F_MAX || pf_u64(&p, &v[n]) < 0)
			return -EINVAL;
		n++;
	}
	if (n < 4)
		return -EINVAL;
	memcpy(t->v, v, sizeof(v));
	t->nfields = n;
	return 0;
}

/*
 * Emit the time shares of one CPU from the jiffies since prev, then make
 * cur the new baseline. Nothing is emitted when prev is no baseline (the
 * CPU just appeared, or came back online) or any counter went backwards
 * (hot-plug can reset a CPU's idle/iowait accounting): a share computed
 * across such a change would be a spike, not a measurement. Returns 1
 * when the line is inconsistent in one way the others are not: guest time
 * (a part of user + nice) grew more than user + nice; its share is then
 * left out, the others are sound.
 */
static int
emit_shares(struct cp_ctx *ctx, const char *cpu, struct cpu_times *prev,
    const struct cpu_times *cur)
{
	uint64_t d[F_MAX] = {0}, sum = 0;
	struct cp_label lb[2] = {{"cpu", cpu}, {"mode", NULL}};
	int i, ok = prev->valid && prev->nfields == cur->nfields, bad = 0;

	for (i = 0; ok && i < cur->nfields; i++) {
		if (cur->v[i] < prev->v[i])
			ok = 0;
		else
			d[i] = cur->v[i] - prev->v[i];
	}
	/*
	 * guest and guest_nice are already included in user and nice, so the
	 * whole time is the sum of the first eight fields only.
	 */
	for (i = 0; ok && i <= F_STEAL; i++)
		sum += d[i];
	if (ok && sum > 0) {
		for (i = 0; i < F_GUEST && i < cur->nfields; i++) {
			lb[1].value = mode_names[i];
			emit_gauge(ctx, "cpu_ratio",
			    "Share of this CPU's time spent in each mode", lb,
			    2, (double)d[i] / (double)sum);
		}
		/* d[] is 0 for fields an older kernel does not have. */
		bad = d[F_GUEST] + d[F_GUEST_NICE] > d[F_USER] + d[F_NICE];
		if (cur->nfields > F_GUEST && !bad) {
			/* guest covers both guest and guest_nice (a share of
			 * user + nice, not in addition to them). */
			lb[1].value = "guest";
			emit_gauge(ctx, "cpu_ratio",
			    "Share of this CPU's time spent in each mode", lb,
			    2,
			    (double)(d[F_GUEST] + d[F_GUEST_NICE]) /
			        (double)sum);
		}
		/*
		 * Busy = user + nice + system + irq + softirq (guest included
		 * through user/nice), i.e. 1 - idle - iowait - steal: iowait is
		 * an idle CPU with I/O pending, steal is time the hypervisor
		 * gave to someone else; neither is work done by this CPU.
		 */
		emit_gauge(ctx, "cpu_busy_ratio",
		    "Share of this CPU's time doing work (1 - idle - iowait - "
		    "steal)",
		    lb, 1,
		    (double)(d[F_USER] + d[F_NICE] + d[F_SYSTEM] + d[F_IRQ] +
		             d[F_SOFTIRQ]) /
		        (double)sum);
	}
	memcpy(prev->v, cur->v, sizeof(cur->v));
	prev->nfields = cur->nfields;
	prev->valid = 1;
	prev->seen = 1;
	return bad;
}

static void
guest_garbage(
    struct cp_ctx *ctx, struct cpu_state *st, int lineno, const char *cpu)
{
	char path[512];

	/* One error per run, as for the file's other bad lines. */
	PF_COUNT_BAD(ctx, &st->stat_once);
	if (st->guest_logged)
		return;
	st->guest_logged = 1;
	cp_log_warnx(ctx,
	    "%s:%d: cpu %s: guest time grew more than user + nice, which "
	    "include it (its guest share is not reported; logged once)",
	    pf_path(ctx, CP_PROCFS, "stat", path, sizeof(path)), lineno, cpu);
}

/* The entry for cpu N, growing the table (only when a new CPU shows up). */
static struct cpu_times *
cpu_slot(struct cpu_state *st, unsigned long n)
{
	struct cpu_times *v;
	size_t cap;

	if (n >= st->ncpus) {
		cap = st->ncpus ? st->ncpus : 8;
		while (cap <= n)
			cap *= 2;
		v = realloc(st->cpus, cap * sizeof(*v));
		if (v == NULL)
			abort();
		memset(v + st->ncpus, 0, (cap - st->ncpus) * sizeof(*v));
		st->cpus = v;
		st->ncpus = cap;
	}
	return &st->cpus[n];
}

static void
collect_stat(struct cp_ctx *ctx, struct cpu_state *st)
{
	struct pf_lines it;
	struct cpu_times cur;
	char *line, *p, *end, name[24];
	uint64_t v, running = 0;
	unsigned long n;
	int rc, ncpu = 0, have_running = 0, have_total = 0;
	size_t i;

	rc = pf_read(ctx, CP_PROCFS, "stat", &st->buf);
	if (rc < 0) {
		PF_MISSING(ctx, &st->stat_once, CP_PROCFS, "stat", rc);
		return;
	}
	PF_READABLE(ctx, &st->stat_once, CP_PROCFS, "stat");
	PF_PARSING(&st->stat_once);
	for (i = 0; i < st->ncpus; i++)
		st->cpus[i].seen = 0;
	pf_lines_init(&it, &st->buf);
	while ((line = pf_next_line(&it)) != NULL) {
		if (pf_key(line, "cpu", &p)) {
			if (have_total || parse_times(p, &cur) < 0) {
				PF_GARBAGE(ctx, &st->stat_once, CP_PROCFS,
				    "stat", it.lineno, "bad total cpu line");
				st->total.valid = 0;
				continue;
			}
			have_total = 1;
			if (emit_shares(ctx, "total", &st->total, &cur))
				guest_garbage(ctx, st, it.lineno, "total");
		} else if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' &&
		           line[3] <= '9') {
			errno = 0;
			n = strtoul(line + 3, &end, 10);
			if (errno || n >= CPU_MAX || (*end != ' ') ||
			    parse_times(end, &cur) < 0 ||
			    (n < st->ncpus && st->cpus[n].seen)) {
				PF_GARBAGE(ctx, &st->stat_once, CP_PROCFS,
				    "stat", it.lineno, "bad per-cpu line");
				continue;
			}
			snprintf(name, sizeof(name), "%lu", n);
			if (emit_shares(ctx, name, cpu_slot(st, n), &cur))
				guest_garbage(ctx, st, it.lineno, name);
			ncpu++;
		} else if (pf_key(line, "ctxt", &p)) {
			if (pf_u64(&p, &v) < 0 || !pf_at_end(p))
				goto bad;
			emit_counter(ctx, "context_switches_total",
			    "Context switches", NULL, 0, v, 0);
		} else if (pf_key(line, "intr", &p)) {
			/* The first number is the total; per-IRQ follow. */
			if (pf_u64(&p, &v) < 0)
				goto bad;
			emit_counter(ctx, "interrupts_total",
			    "Interrupts serviced", NULL, 0, v, 0);
		} else if (pf_key(line, "processes", &p)) {
			if (pf_u64(&p, &v) < 0 || !pf_at_end(p))
				goto bad;
			emit_counter(ctx, "forks_total",
			    "Processes and threads created (forks)", NULL, 0, v,
			    0);
		} else if (pf_key(line, "procs_running", &p)) {
			if (pf_u64(&p, &running) < 0 || !pf_at_end(p))
				goto bad;
			have_running = 1;
			emit_gauge(ctx, "procs_running",
			    "Runnable tasks (running or waiting for a CPU)",
			    NULL, 0, (double)running);
		} else if (pf_key(line, "procs_blocked", &p)) {
			if (pf_u64(&p, &v) < 0 || !pf_at_end(p))
				goto bad;
			emit_gauge(ctx, "procs_blocked",
			    "Tasks blocked in uninterruptible sleep (mostly "
			    "I/O)",
			    NULL, 0, (double)v);
		}
		continue;
	bad:
		PF_GARBAGE(ctx, &st->stat_once, CP_PROCFS, "stat", it.lineno,
		    "bad number");
	}
	PF_PARSED(&st->stat_once);
	/* CPUs that went offline lose their baseline: when they come back,
	 * their first run is a baseline again. */
	for (i = 0; i < st->ncpus; i++)
		if (!st->cpus[i].seen)
			st->cpus[i].valid = 0;
	if (!have_total)
		st->total.valid = 0;
	if (ncpu == 0)
		return;
	/* /proc/stat lists online CPUs only. */
	emit_gauge(ctx, "cpus_online", "Online CPUs", NULL, 0, (double)ncpu);
	if (have_running)
		emit_gauge(ctx, "run_queue_per_cpu",
		    "Runnable tasks per online CPU (above 1: tasks wait)", NULL,
		    0, (double)running / ncpu);
}

static void
collect_loadavg(struct cp_ctx *ctx, struct cpu_state *st)
{
	static const char *const names[] = {"load1", "load5", "load15"};
	static const char *const help[] = {
	    "Load average over 1 minute (runnable + uninterruptible tasks)",
	    "Load average over 5 minutes (runnable + uninterruptible tasks)",
	    "Load average over 15 minutes (runnable + uninterruptible tasks)"};
	struct pf_lines it;
	double v[3];
	char *line, *p;
	int rc, i;

	rc = pf_read(ctx, CP_PROCFS, "loadavg", &st->buf);
	if (rc < 0) {
		PF_MISSING(ctx, &st->loadavg_once, CP_PROCFS, "loadavg", rc);
		return;
	}
	PF_READABLE(ctx, &st->loadavg_once, CP_PROCFS, "loadavg");
	PF_PARSING(&st->loadavg_once);
	pf_lines_init(&it, &st->buf);
	line = pf_next_line(&it);
	/* "0.00 0.03 0.01 1/89 6154": the last two fields are not used. */
	p = line;
	for (i = 0; p != NULL && i < 3; i++)
		if (pf_decimal(&p, &v[i]) < 0)
			break;
	if (i < 3) {
		PF_GARBAGE(ctx, &st->loadavg_once, CP_PROCFS, "loadavg", 1,
		    "expected three load averages");
	} else {
		for (i = 0; i < 3; i++)
			emit_gauge(ctx, names[i], help[i], NULL, 0, v[i]);
	}
	PF_PARSED(&st->loadavg_once);
}

static int
cpu_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **state)
{
	struct cpu_state *st;

	(void)ctx;
	(void)cfg; /* no options: every key is reported unknown */
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	psi_init(&st->psi, "cpu", 0);
	*state = st;
	return 0;
}

static int
cpu_start(struct cp_ctx *ctx, void *state)
{
	(void)ctx;
	(void)state;
	return 0;
}

static int
cpu_collect(struct cp_ctx *ctx, void *state)
{
	struct cpu_state *st = state;

	collect_stat(ctx, st);
	collect_loadavg(ctx, st);
	/* Only "some" for cpu: the system-wide "full" line (5.13+) is
	 * always zero. */
	psi_collect(ctx, &st->psi);
	return 0;
}

static void
cpu_stop(void *state)
{
	struct cpu_state *st = state;

	if (st == NULL)
		return;
	pf_buf_fini(&st->buf);
	psi_fini(&st->psi);
	free(st->cpus);
	free(st);
}

CP_EXPORT const struct cp_collector cp_collector = {
    CP_ABI_VERSION, "cpu", cpu_configure, cpu_start, cpu_collect, cpu_stop};
