// SPDX-License-Identifier: MIT
/*
 * memory collector: /proc/meminfo levels, /proc/vmstat counters (swapping,
 * major faults, page scanning, OOM kills; the pipeline makes them rates),
 * PSI memory, and the process groups of the `processes` option
 * (memory/procgroups.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfile.h"
#include "common/psi.h"
#include "common/report.h"
#include "memory/procgroups.h"
#include "plugin.h"

enum {
	M_TOTAL,
	M_FREE,
	M_AVAILABLE,
	M_BUFFERS,
	M_CACHED,
	M_SWAP_TOTAL,
	M_SWAP_FREE,
	M_MAX
};

static const char *const meminfo_keys[M_MAX] = {"MemTotal", "MemFree",
    "MemAvailable", "Buffers", "Cached", "SwapTotal", "SwapFree"};

enum { V_PSWPIN, V_PSWPOUT, V_PGMAJFAULT, V_OOM_KILL, V_PGSCAN, V_MAX };

struct memory_state {
	struct pf_buf buf;
	struct pf_once meminfo_once, vmstat_once;
	int no_available_logged;
	struct psi_state psi;
	struct procgroups *groups; /* NULL: none configured */
};

/* "  24684084 kB": a count of kibibytes (the only unit meminfo uses). */
static int
parse_kb(char *p, uint64_t *bytes)
{
	uint64_t v;
	char *w;
	size_t len;

	if (pf_u64(&p, &v) < 0 || pf_word(&p, &w, &len) < 0 || len != 2 ||
	    memcmp(w, "kB", 2) != 0 || !pf_at_end(p) || v > UINT64_MAX / 1024)
		return -EINVAL;
	*bytes = v * 1024;
	return 0;
}

static void
collect_meminfo(struct cp_ctx *ctx, struct memory_state *st)
{
	uint64_t v[M_MAX];
	unsigned have = 0;
	struct pf_lines it;
	char *line, *p;
	double total, avail = 0;
	int rc, i;

	rc = pf_read(ctx, CP_PROCFS, "meminfo", &st->buf);
	if (rc < 0) {
		PF_MISSING(ctx, &st->meminfo_once, CP_PROCFS, "meminfo", rc);
		return;
	}
	PF_READABLE(ctx, &st->meminfo_once, CP_PROCFS, "meminfo");
	PF_PARSING(&st->meminfo_once);
	pf_lines_init(&it, &st->buf);
	while ((line = pf_next_line(&it)) != NULL) {
		for (i = 0; i < M_MAX; i++)
			if (line[0] == meminfo_keys[i][0] &&
			    pf_key(line, meminfo_keys[i], &p))
				break;
		if (i == M_MAX)
			continue;
		if ((have & (1u << i)) || parse_kb(p, &v[i]) < 0) {
			PF_GARBAGE(ctx, &st->meminfo_once, CP_PROCFS, "meminfo",
			    it.lineno, "expected \"%s: NUMBER kB\" once",
			    meminfo_keys[i]);
			continue;
		}
		have |= 1u << i;
	}
	PF_PARSED(&st->meminfo_once);
#define HAVE(i) (have & (1u << (i)))
	if (HAVE(M_TOTAL) && !HAVE(M_AVAILABLE) && HAVE(M_FREE) &&
	    HAVE(M_BUFFERS) && HAVE(M_CACHED)) {
		/*
		 * MemAvailable appeared in 3.14; before, free + buffers +
		 * cached is the usual (optimistic) estimate.
		 */
		if (!st->no_available_logged)
			cp_log_info(ctx, "meminfo has no MemAvailable (Linux "
			                 "< 3.14): estimating it as MemFree + "
			                 "Buffers + Cached");
		st->no_available_logged = 1;
		v[M_AVAILABLE] = v[M_FREE] + v[M_BUFFERS] + v[M_CACHED];
		if (v[M_AVAILABLE] > v[M_TOTAL])
			v[M_AVAILABLE] = v[M_TOTAL];
		have |= 1u << M_AVAILABLE;
	}
	if (HAVE(M_TOTAL))
		emit_gauge(ctx, "memory_total_bytes", "Usable RAM", NULL, 0,
		    (double)v[M_TOTAL]);
	if (HAVE(M_AVAILABLE)) {
		avail = (double)v[M_AVAILABLE];
		emit_gauge(ctx, "memory_available_bytes",
		    "Memory available for new work without swapping "
		    "(MemAvailable)",
		    NULL, 0, avail);
	}
	if (HAVE(M_TOTAL) && HAVE(M_AVAILABLE)) {
		total = (double)v[M_TOTAL];
		if (avail > total)
			avail = total;
		emit_gauge(ctx, "memory_used_bytes",
		    "Memory in use: total - available", NULL, 0, total - avail);
		if (total > 0)
			emit_gauge(ctx, "memory_used_ratio",
			    "Share of memory in use: (total - available) / "
			    "total",
			    NULL, 0, (total - avail) / total);
	}
	if (HAVE(M_FREE))
		emit_gauge(ctx, "memory_free_bytes",
		    "Memory not used for anything (MemFree)", NULL, 0,
		    (double)v[M_FREE]);
	if (HAVE(M_CACHED))
		emit_gauge(ctx, "memory_cached_bytes",
		    "Page cache (Cached, without SwapCached)", NULL, 0,
		    (double)v[M_CACHED]);
	if (HAVE(M_BUFFERS))
		emit_gauge(ctx, "memory_buffers_bytes",
		    "Block device buffers (Buffers)", NULL, 0,
		    (double)v[M_BUFFERS]);
	if (HAVE(M_SWAP_TOTAL)) {
		emit_gauge(ctx, "swap_total_bytes", "Swap space", NULL, 0,
		    (double)v[M_SWAP_TOTAL]);
		if (HAVE(M_SWAP_FREE))
			emit_gauge(ctx, "swap_used_bytes",
			    "Swap space in use (SwapTotal - SwapFree)", NULL, 0,
			    v[M_SWAP_FREE] > v[M_SWAP_TOTAL]
			        ? 0
			        : (double)(v[M_SWAP_TOTAL] - v[M_SWAP_FREE]));
	}
#undef HAVE
}

/*
 * Which vmstat line feeds which counter. Page scanning was counted per zone
 * before 4.8 (pgscan_kswapd_normal...) and per node since (pgscan_kswapd);
 * both are summed. pgscan_direct_throttle counts throttling events, not
 * pages, and pgscan_khugepaged/anon/file (5.x, 6.x) overlap the two kept.
 */
static int
vmstat_slot(const char *key, size_t len)
{
	static const struct {
		const char *key;
		int slot;
	} exact[] = {
	    {"pswpin", V_PSWPIN},
	    {"pswpout", V_PSWPOUT},
	    {"pgmajfault", V_PGMAJFAULT},
	    {"oom_kill", V_OOM_KILL},
	    {"pgscan_kswapd", V_PGSCAN},
	    {"pgscan_direct", V_PGSCAN},
	};
	static const char *const zones[] = {
	    "_dma", "_dma32", "_normal", "_high", "_movable"};
	size_t i, n;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strlen(exact[i].key) == len &&
		    memcmp(exact[i].key, key, len) == 0)
			return exact[i].slot;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		n = strlen(zones[i]);
		if (len > n && memcmp(key + len - n, zones[i], n) == 0 &&
		    ((len - n == 13 && memcmp(key, "pgscan_kswapd", 13) == 0) ||
		        (len - n == 13 &&
		            memcmp(key, "pgscan_direct", 13) == 0)))
			return V_PGSCAN;
	}
	return -1;
}

static void
collect_vmstat(struct cp_ctx *ctx, struct memory_state *st)
{
	static const char *const names[V_MAX] = {"swap_in_pages_total",
	    "swap_out_pages_total", "major_faults_total", "oom_kills_total",
	    "page_scan_total"};
	static const char *const help[V_MAX] = {"Pages swapped in from disk",
	    "Pages swapped out to disk",
	    "Page faults that needed a disk read (major faults)",
	    "Processes killed by the kernel OOM killer",
	    "Pages scanned for reclaim by kswapd and direct reclaim"};
	uint64_t v[V_MAX] = {0}, x;
	unsigned have = 0;
	struct pf_lines it;
	char *line, *p, *key;
	size_t len;
	int rc, slot;

	rc = pf_read(ctx, CP_PROCFS, "vmstat", &st->buf);
	if (rc < 0) {
		PF_MISSING(ctx, &st->vmstat_once, CP_PROCFS, "vmstat", rc);
		return;
	}
	PF_READABLE(ctx, &st->vmstat_once, CP_PROCFS, "vmstat");
	PF_PARSING(&st->vmstat_once);
	pf_lines_init(&it, &st->buf);
	while ((line = pf_next_line(&it)) != NULL) {
		p = line;
		if (pf_word(&p, &key, &len) < 0)
			continue;
		slot = vmstat_slot(key, len);
		if (slot < 0)
			continue;
		if (pf_u64(&p, &x) < 0 || !pf_at_end(p)) {
			PF_GARBAGE(ctx, &st->vmstat_once, CP_PROCFS, "vmstat",
			    it.lineno, "expected \"NAME NUMBER\"");
			continue;
		}
		v[slot] += x;
		have |= 1u << slot;
	}
	PF_PARSED(&st->vmstat_once);
	for (slot = 0; slot < V_MAX; slot++)
		if (have & (1u << slot))
			emit_counter(
			    ctx, names[slot], help[slot], NULL, 0, v[slot], 0);
}

static int
memory_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **state)
{
	struct memory_state *st;
	struct procgroups *pg = NULL;
	int rc;

	(void)ctx;
	rc = procgroups_configure(cp_cfg_child(cfg, "processes"), &pg);
	if (rc < 0)
		return rc;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		abort();
	st->groups = pg;
	psi_init(&st->psi, "memory", 1);
	*state = st;
	return 0;
}

static int
memory_start(struct cp_ctx *ctx, void *state)
{
	(void)ctx;
	(void)state;
	return 0;
}

static int
memory_collect(struct cp_ctx *ctx, void *state)
{
	struct memory_state *st = state;

	collect_meminfo(ctx, st);
	collect_vmstat(ctx, st);
	psi_collect(ctx, &st->psi);
	if (st->groups != NULL)
		procgroups_collect(ctx, st->groups);
	return 0;
}

static void
memory_stop(void *state)
{
	struct memory_state *st = state;

	if (st == NULL)
		return;
	pf_buf_fini(&st->buf);
	psi_fini(&st->psi);
	procgroups_free(st->groups);
	free(st);
}

CP_EXPORT const struct cp_collector cp_collector = {CP_ABI_VERSION, "memory",
    memory_configure, memory_start, memory_collect, memory_stop};
