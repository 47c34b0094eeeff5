/* SPDX-License-Identifier: MIT */
/*
 * Shared driver of the host collector fuzz targets (fuzz_proc_*.c). The
 * input is split at NUL bytes into the files of two snapshots of a procfs
 * tree (the target lists them: fields 0..n-1 are t0's, n..2n-1 t1's); a
 * field past the end of the input leaves its file out, so the missing-file
 * paths run too. The real collector plugin, built with the fuzzer's
 * instrumentation (build-fuzz/collectors/NAME.so, beside this binary),
 * reads them through the agent's own context code (the unit tests'
 * harness, tests/unit/helpers/harness.c): configure, start, collect at t0,
 * collect again 10 s later at t1, stop.
 *
 * Invariants checked on every sample of both runs (abort() on a breach):
 * the collector rules (HELP text, counters named *_total and gauges not,
 * finite values: harness_violations), a *_ratio in [0, 1] (but
 * process_cpu_ratio, CPU seconds per second: 2.5 is two and a half CPUs),
 * and no negative gauge (nothing the host collectors report can be below
 * zero).
 */
#ifndef CP_PROCFUZZ_H
#define CP_PROCFUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tests/unit/helpers/harness.h"
#include "tests/unit/helpers/rmtree.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PF_MAX_FILES 8

struct procfuzz {
	const char *collector;
	const char *yaml; /* the collector's options */
	/* Relative to a snapshot, NULL-ended; then the directories made in
	 * each snapshot before the files are written. */
	const char *files[PF_MAX_FILES];
	const char *dirs[PF_MAX_FILES];
};

static char pf_root[128];
static const char *const pf_snaps[] = {"t0", "t1"};
static struct harness *pf_keep; /* holds the plugin loaded between inputs */

static void
pf_fail(const struct harness *h, const char *what, const char *metric,
    const char *labels, double v)
{
	const char *rules = harness_violations(h);

	fprintf(stderr, "procfuzz: %s: %s{%s} = %g\n%s", what, metric, labels,
	    v, rules ? rules : "");
	abort();
}

static void
pf_check(const struct harness *h)
{
	size_t i, n = harness_nsamples(h), len;
	const struct harness_sample *s;

	if (harness_violations(h) != NULL)
		pf_fail(h, "collector rule broken", "", "", 0);
	for (i = 0; i < n; i++) {
		s = harness_sample(h, i);
		if (s->kind != CP_GAUGE)
			continue;
		len = strlen(s->metric);
		if (s->value < 0)
			pf_fail(h, "negative gauge", s->metric, s->labels,
			    s->value);
		if (len > 6 && strcmp(s->metric + len - 6, "_ratio") == 0 &&
		    strcmp(s->metric, "process_cpu_ratio") != 0 &&
		    s->value > 1.0 + 1e-9)
			pf_fail(
			    h, "ratio above 1", s->metric, s->labels, s->value);
	}
}

/* Write (or remove, for data NULL) ROOT/SNAP/REL. */
static void
pf_put(const char *snap, const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", pf_root, snap, rel);
	if (data == NULL) {
		unlink(path);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "procfuzz: %s: %s\n", path, strerror(errno));
		abort();
	}
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void
pf_mkdirs(const struct procfuzz *pf)
{
	char path[PATH_MAX];
	size_t i, k;

	if (mkdir(pf_root, 0700) < 0 && errno != EEXIST)
		abort();
	for (k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/%s", pf_root, pf_snaps[k]);
		mkdir(path, 0700);
		snprintf(
		    path, sizeof(path), "%s/%s/proc", pf_root, pf_snaps[k]);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/%s/sys", pf_root, pf_snaps[k]);
		mkdir(path, 0700);
		for (i = 0; i < PF_MAX_FILES && pf->dirs[i]; i++) {
			snprintf(path, sizeof(path), "%s/%s/%s", pf_root,
			    pf_snaps[k], pf->dirs[i]);
			mkdir(path, 0700);
		}
	}
}

/* The snapshot tree goes when the fuzzer exits (not after a crash: the
 * crash input reproduces it). */
static void
pf_cleanup(void)
{
	harness_free(pf_keep);
	pf_keep = NULL;
	if (pf_root[0])
		tu_rm_tree(pf_root);
}

static void
pf_init(const struct procfuzz *pf)
{
	char exe[PATH_MAX], err[512], *slash;
	ssize_t n;

	/* The instrumented plugins are in build-fuzz/collectors. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		abort();
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	setenv("BUILD", exe, 1);
	log_set_level(LOG_LVL_ERROR);
	snprintf(pf_root, sizeof(pf_root), "/tmp/fuzz-proc-%s-%d",
	    pf->collector, (int)getpid());
	pf_mkdirs(pf);
	atexit(pf_cleanup);
	pf_keep = harness_new(pf->collector, err, sizeof(err));
	if (pf_keep == NULL) {
		fprintf(stderr, "procfuzz: %s\n", err);
		abort();
	}
}

static int
pf_run(const struct procfuzz *pf, const uint8_t *data, size_t size)
{
	const char *field[2 * PF_MAX_FILES];
	size_t flen[2 * PF_MAX_FILES];
	size_t nfiles = 0, nf = 0, i = 0, start, k;
	struct harness *h;
	char err[512], dir[PATH_MAX];

	if (size > 65536)
		return 0;
	while (nfiles < PF_MAX_FILES && pf->files[nfiles])
		nfiles++;
	memset(field, 0, sizeof(field));
	while (nf < 2 * nfiles && i <= size) {
		start = i;
		while (i < size && data[i] != '\0')
			i++;
		if (i == size && start == size && nf > 0)
			break; /* nothing after the last NUL: no more files */
		field[nf] = (const char *)data + start;
		flen[nf] = i - start;
		nf++;
		i++;
	}
	for (k = 0; k < 2 * nfiles; k++)
		pf_put(pf_snaps[k / nfiles], pf->files[k % nfiles], field[k],
		    field[k] ? flen[k] : 0);

	h = harness_new(pf->collector, err, sizeof(err));
	if (h == NULL) {
		fprintf(stderr, "procfuzz: %s\n", err);
		abort();
	}
	snprintf(dir, sizeof(dir), "%s/t0", pf_root);
	harness_root(h, dir);
	if (harness_configure(h, pf->yaml) != 0) {
		fprintf(stderr, "procfuzz: %s: config refused: %s\n",
		    pf->collector, harness_config_errors(h));
		abort();
	}
	if (harness_start(h) != 0) {
		/* start() may refuse a tree; that is an answer, not a bug. */
		harness_free(h);
		return 0;
	}
	harness_collect(h, HARNESS_T0_MS);
	pf_check(h);
	snprintf(dir, sizeof(dir), "%s/t1", pf_root);
	harness_root(h, dir);
	harness_collect(h, HARNESS_T0_MS + HARNESS_STEP_MS);
	pf_check(h);
	harness_free(h);
	return 0;
}

/* A target's two libFuzzer entry points, for its struct procfuzz PF. */
#define PROCFUZZ_TARGET(PF)                                                    \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                      \
	{                                                                      \
		(void)argc;                                                    \
		(void)argv;                                                    \
		pf_init(&(PF));                                                \
		return 0;                                                      \
	}                                                                      \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)           \
	{                                                                      \
		return pf_run(&(PF), data, size);                              \
	}

#endif
