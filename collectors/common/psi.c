// SPDX-License-Identifier: MIT
/*
 * PSI reader shared by the local collectors: parses "some"/"full" lines of
 * /proc/pressure/RESOURCE and emits a ratio and a stall-time counter.
 */
#include "psi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct psi_names {
	const char *resource;
	const char
	    *metric[4]; /* some ratio, some total, full ratio, full total */
	const char *help[4];
};

static const struct psi_names psi_table[] = {
    {"cpu",
        {"psi_cpu_some_ratio", "psi_cpu_some_seconds_total",
            "psi_cpu_full_ratio", "psi_cpu_full_seconds_total"},
        {"Share of the last 10 s some tasks waited for a CPU (PSI avg10)",
            "Time some tasks waited for a CPU (PSI total)",
            "Share of the last 10 s all tasks waited for a CPU (PSI avg10)",
            "Time all tasks waited for a CPU (PSI total)"}},
    {"memory",
        {"psi_memory_some_ratio", "psi_memory_some_seconds_total",
            "psi_memory_full_ratio", "psi_memory_full_seconds_total"},
        {"Share of the last 10 s some tasks stalled on memory (PSI avg10)",
            "Time some tasks stalled on memory (PSI total)",
            "Share of the last 10 s all tasks stalled on memory (PSI avg10)",
            "Time all tasks stalled on memory (PSI total)"}},
    {"io",
        {"psi_io_some_ratio", "psi_io_some_seconds_total", "psi_io_full_ratio",
            "psi_io_full_seconds_total"},
        {"Share of the last 10 s some tasks stalled on I/O (PSI avg10)",
            "Time some tasks stalled on I/O (PSI total)",
            "Share of the last 10 s all tasks stalled on I/O (PSI avg10)",
            "Time all tasks stalled on I/O (PSI total)"}},
};

void
psi_init(struct psi_state *ps, const char *resource, int want_full)
{
	memset(ps, 0, sizeof(*ps));
	ps->resource = resource;
	ps->want_full = want_full;
}

void
psi_fini(struct psi_state *ps)
{
	pf_buf_fini(&ps->buf);
}

/* "avg10=0.81 avg60=0.30 avg300=0.33 total=4029879", all four required. */
static int
psi_parse_fields(char *p, struct psi_line *out)
{
	static const char *const keys[] = {
	    "avg10=", "avg60=", "avg300=", "total="};
	double avg[3];
	uint64_t total;
	size_t i, n;

	for (i = 0; i < 4; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		n = strlen(keys[i]);
		if (strncmp(p, keys[i], n) != 0)
			return -EINVAL;
		p += n;
		if (i < 3 ? pf_decimal(&p, &avg[i]) : pf_u64(&p, &total))
			return -EINVAL;
	}
	if (!pf_at_end(p) || avg[0] > 100)
		return -EINVAL;
	out->present = 1;
	out->avg10 = avg[0];
	out->total = total;
	return 0;
}

int
psi_parse(struct pf_buf *b, struct psi_line *some, struct psi_line *full,
    int *bad_line)
{
	struct pf_lines it;
	char *line, *rest;
	struct psi_line *dst;
	int rc = 0;

	memset(some, 0, sizeof(*some));
	memset(full, 0, sizeof(*full));
	pf_lines_init(&it, b);
	while ((line = pf_next_line(&it)) != NULL) {
		if (pf_key(line, "some", &rest))
			dst = some;
		else if (pf_key(line, "full", &rest))
			dst = full;
		else if (pf_at_end(line))
			continue;
		else
			dst = NULL;
		/* A bad line is skipped; the other line may still be good. */
		if ((dst == NULL || dst->present ||
		        psi_parse_fields(rest, dst) < 0) &&
		    rc == 0) {
			*bad_line = it.lineno;
			rc = -EINVAL;
		}
	}
	return rc;
}

static void
psi_emit(struct cp_ctx *ctx, const struct psi_names *nm, int which,
    const struct psi_line *l)
{
	emit_gauge(ctx, nm->metric[which * 2], nm->help[which * 2], NULL, 0,
	    l->avg10 / 100.0);
	emit_counter(ctx, nm->metric[which * 2 + 1], nm->help[which * 2 + 1],
	    NULL, 0, l->total, 1e-6);
}

void
psi_collect(struct cp_ctx *ctx, struct psi_state *ps)
{
	const struct psi_names *nm = NULL;
	struct psi_line some, full;
	char rel[32], path[512];
	int rc, bad = 0;
	size_t i;

	for (i = 0; i < sizeof(psi_table) / sizeof(psi_table[0]); i++)
		if (strcmp(psi_table[i].resource, ps->resource) == 0)
			nm = &psi_table[i];
	if (nm == NULL)
		return;
	snprintf(rel, sizeof(rel), "pressure/%s", ps->resource);
	rc = pf_read(ctx, CP_PROCFS, rel, &ps->buf);
	if (rc < 0) {
		/*
		 * ENOENT: kernel before 4.20 or without CONFIG_PSI; EOPNOTSUPP:
		 * booted with psi=0. Both are normal, hence info, once.
		 */
		if (!ps->absent)
			cp_log_info(ctx,
			    "%s: %s; no PSI %s metrics (needs Linux 4.20+ "
			    "with PSI enabled)",
			    pf_path(ctx, CP_PROCFS, rel, path, sizeof(path)),
			    strerror(-rc), ps->resource);
		ps->absent = 1;
		return;
	}
	if (ps->absent)
		cp_log_info(ctx, "%s: PSI available again",
		    pf_path(ctx, CP_PROCFS, rel, path, sizeof(path)));
	ps->absent = 0;
	rc = psi_parse(&ps->buf, &some, &full, &bad);
	if (rc == 0 && !some.present) {
		/* Every PSI file has a "some" line: empty means truncated. */
		rc = -EINVAL;
		bad = 1;
	}
	if (rc < 0) {
		cp_count_error(ctx);
		if (!ps->once.garbage)
			cp_log_warnx(ctx,
			    "%s:%d: not a PSI line (\"some|full avg10=.. "
			    "avg60=.. avg300=.. total=..\"), skipped",
			    pf_path(ctx, CP_PROCFS, rel, path, sizeof(path)),
			    bad);
		ps->once.garbage = 1;
	} else {
		ps->once.garbage = 0;
	}
	if (some.present)
		psi_emit(ctx, nm, 0, &some);
	if (ps->want_full && full.present)
		psi_emit(ctx, nm, 1, &full);
}
