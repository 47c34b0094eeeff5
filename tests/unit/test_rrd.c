// SPDX-License-Identifier: MIT
/*
 * The RRD store's files against real librrd files in a temporary
 * directory: paths, layout checked with rrd_info_r, templates, values read
 * back with rrd_fetch_r, damaged files, bad config. The queue in front of
 * the files and rrdcached are in test_rrd_queue.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rrd.h>

#include "helpers/rrd_fixture.h"
#include "rrd.h"
#include "util.h"

/* ------------------------------------------------------------- tests */

static void
relpath_sanitises_components(void **state)
{
	char buf[512];
	(void)state;

	assert_string_equal(
	    store_relpath("core1", "if", "eth0", buf, sizeof(buf)),
	    "core1/if/eth0");
	store_relpath("../..", "a/b", "..", buf, sizeof(buf));
	assert_null(strstr(buf, "/../"));
	assert_true(strncmp(buf, "../", 3) != 0);
	assert_true(strcmp(buf + strlen(buf) - 3, "/..") != 0);
	/* Exactly two slashes: the separators we put in. */
	assert_int_equal(strchr(buf, '/') - buf, (long)strcspn(buf, "/"));
	size_t slashes = 0;
	for (char *p = buf; *p; p++)
		slashes += *p == '/';
	assert_int_equal(slashes, 2);
	store_relpath("", NULL, "x y", buf, sizeof(buf));
	slashes = 0;
	for (char *p = buf; *p; p++)
		slashes += *p == '/';
	assert_int_equal(slashes, 2);
	assert_null(strstr(buf, "//"));
}

static void
bad_rel_paths_refused(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 0, 0, NULL);
	static const char *bad[] = {"../x/y", "a/../b", "/etc/passwd", "a//b",
	    "a/./b", "", "a/b/", "a/b/..", "a/b c", "a\\b", ".."};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(
		    store_update(st, bad[i], 10000, T0 * 1000, 1), -EINVAL);
		assert_int_equal(store_flush_file(st, bad[i]), -EINVAL);
	}
	assert_int_equal(store_update(st, "a/b/c", 0, T0 * 1000, 1), -EINVAL);
	assert_int_equal(store_update(st, "a/b/c", 10000, 0, 1), -EINVAL);
	assert_int_equal(store_flush_all(st), 0);
	store_free(st);
	/* Nothing was created but the (empty) rrd directory. */
	char p[PATH_MAX + 8];
	snprintf(p, sizeof(p), "%s/rrd", fx->data);
	DIR *d = opendir(p);
	assert_non_null(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, 0);
}

static int odd_outside;
static const char *odd_root;
static int
odd_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_F && strncmp(p, odd_root, strlen(odd_root)) != 0)
		odd_outside++;
	return 0;
}

static void
odd_names_stay_inside(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 0, 0, NULL);
	static const char *names[][3] = {{"..", "..", ".."},
	    {"../../../tmp", "x", "y"}, {"/etc", "passwd", ""},
	    {"a b", "c\nd", "é"}, {".", ".", "."}};
	char rel[512], root[PATH_MAX + 8];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		store_relpath(
		    names[i][0], names[i][1], names[i][2], rel, sizeof(rel));
		assert_int_equal(store_update(st, rel, 10000,
		                     (T0 + 10 + 10 * (int64_t)i) * 1000, 1),
		    0);
	}
	assert_int_equal(store_flush_all(st), 0);
	struct store_stats s;
	store_get_stats(st, &s);
	assert_int_equal(s.written_total, ARRAY_SIZE(names));
	store_free(st);
	/* Every file in the temp dir is under DATA_DIR/rrd/. */
	snprintf(root, sizeof(root), "%s/rrd/", fx->data);
	odd_root = root;
	odd_outside = 0;
	nftw(fx->dir, odd_cb, 16, FTW_PHYS);
	assert_int_equal(odd_outside, 0);
}

static void
file_has_ds_and_rras(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 0, 0, NULL);
	char path[PATH_MAX];
	rrd_info_t *info;

	assert_int_equal(
	    store_update(st, "h/cpu/busy", 10000, T0 * 1000, 5), 0);
	assert_int_equal(store_flush_all(st), 0);
	store_file(st, "h/cpu/busy", path, sizeof(path));
	assert_true(strstr(path, "/data/rrd/h/cpu/busy.rrd") != NULL);
	rrd_clear_error();
	info = rrd_info_r(path);
	assert_non_null(info);
	assert_int_equal(info_cnt(info, "step"), 10);
	assert_string_equal(info_str(info, "ds[value].type"), "GAUGE");
	assert_int_equal(info_cnt(info, "ds[value].minimal_heartbeat"), 20);
	assert_true(isnan(info_get(info, "ds[value].min")->value.u_val));
	assert_true(isnan(info_get(info, "ds[value].max")->value.u_val));
	/* Defaults at step 10 s: (pdp per row, rows) x {AVERAGE, MAX}. */
	static const unsigned long want[][2] = {
	    {1, 17280}, {6, 20160}, {360, 9504}, {8640, 1826}};
	for (size_t i = 0; i < 8; i++) {
		char k[64];
		snprintf(k, sizeof(k), "rra[%zu].cf", i);
		assert_string_equal(
		    info_str(info, k), i % 2 ? "MAX" : "AVERAGE");
		snprintf(k, sizeof(k), "rra[%zu].pdp_per_row", i);
		assert_int_equal(info_cnt(info, k), want[i / 2][0]);
		snprintf(k, sizeof(k), "rra[%zu].rows", i);
		assert_int_equal(info_cnt(info, k), want[i / 2][1]);
	}
	assert_null(info_get(info, "rra[8].cf"));
	rrd_info_free(info);
	store_free(st);
}

/* Names in DATA_DIR/rrd that start with ".template-". */
static size_t
count_templates(const struct fx *fx)
{
	char dir[512];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/rrd", fx->data);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, ".template-", 10) == 0;
	closedir(d);
	return n;
}

/* n series of 10 s, first values at t (s), written; values read back. */
static void
write_and_check(struct store *st, const char *group, size_t n, int64_t t)
{
	char rel[64], path[PATH_MAX];
	double v[4];

	for (size_t i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "h/%s/s%zu", group, i);
		for (int k = 0; k < 3; k++)
			assert_int_equal(
			    store_update(st, rel, 10000, (t + 10 * k) * 1000,
			        (double)(i * 10 + (size_t)k)),
			    0);
	}
	assert_int_equal(store_flush_all(st), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "h/%s/s%zu", group, i);
		store_file(st, rel, path, sizeof(path));
		assert_int_equal(fetch(path, "AVERAGE", (time_t)t - 10,
		                     (time_t)t + 20, 10, v, 4, NULL),
		    3);
		for (int k = 0; k < 3; k++)
			assert_true(
			    fabs(v[k] - (double)(i * 10 + (size_t)k)) < 1e-9);
	}
}

/*
 * Files of one step and start are copies of one template that librrd
 * made; the template goes when the store does, and one left by a crash
 * is removed when a store opens, as is a half-made copy. The layout test
 * above reads a copy.
 */
static void
new_files_copied_from_a_template(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX], left[600];
	struct store_stats s;
	struct store *st;
	struct stat a, b;
	FILE *fp;

	snprintf(left, sizeof(left), "%s/rrd", fx->data);
	assert_int_equal(mkdir_p(left), 0);
	snprintf(left, sizeof(left), "%s/rrd/.template-10-1", fx->data);
	assert_non_null(fp = fopen(left, "w"));
	fclose(fp);
	st = new_store(fx, 0, 0, NULL);
	assert_false(exists(left));
	/* A half-made copy left by a crash is replaced, not an error. */
	snprintf(left, sizeof(left), "%s/rrd/h/a", fx->data);
	assert_int_equal(mkdir_p(left), 0);
	snprintf(left, sizeof(left), "%s/rrd/h/a/.s1.rrd.tmp", fx->data);
	assert_non_null(fp = fopen(left, "w"));
	fputs("half a file", fp);
	fclose(fp);
	write_and_check(st, "a", 5, T0);
	assert_false(exists(left));
	assert_int_equal(count_templates(fx), 1);
	/* A later start: a new template replaces the one of that step. */
	write_and_check(st, "b", 3, T0 + 1000);
	assert_int_equal(count_templates(fx), 1);
	store_get_stats(st, &s);
	assert_int_equal(s.files_created, 8);
	assert_int_equal(s.write_errors, 0);
	assert_int_equal(
	    stat(store_file(st, "h/a/s0", path, sizeof(path)), &a), 0);
	assert_int_equal(
	    stat(store_file(st, "h/b/s2", path, sizeof(path)), &b), 0);
	assert_int_equal(a.st_size, b.st_size);
	store_free(st);
	assert_int_equal(count_templates(fx), 0);
}

/*
 * With a helper the template comes from `chokepoint __rrd-create` (here
 * through a script that leaves a mark); a helper that fails leaves librrd
 * in this process to make it, and no value is lost.
 */
static void
template_made_by_helper_or_in_process(void **state)
{
	struct fx *fx = *state;
	char bin[PATH_MAX], script[600], mark[600], cmd[2048];
	struct store_cfg cfg = {.data_dir = fx->data};
	struct store *st;
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "%s/chokepoint",
	    getenv("BUILD") ? getenv("BUILD") : "build");
	assert_non_null(realpath(cmd, bin));
	snprintf(script, sizeof(script), "%s/helper.sh", fx->dir);
	snprintf(mark, sizeof(mark), "%s/ran", fx->dir);
	assert_non_null(fp = fopen(script, "w"));
	fprintf(fp, "#!/bin/sh\necho \"$1 $3 $4\" >> %s\nexec %s \"$@\"\n",
	    mark, bin);
	fclose(fp);
	assert_int_equal(chmod(script, 0755), 0);
	cfg.create_helper = script;
	assert_non_null(st = store_new(&cfg));
	write_and_check(st, "h", 4, T0);
	store_free(st);
	/* Once, for the one (step, start) of the four files. */
	assert_non_null(fp = fopen(mark, "r"));
	assert_non_null(fgets(cmd, sizeof(cmd), fp));
	assert_null(fgets(cmd + 1000, 100, fp));
	fclose(fp);
	snprintf(bin, sizeof(bin), "__rrd-create 10 %lld\n", T0 - 10);
	assert_string_equal(cmd, bin);

	cfg.create_helper = "/bin/false";
	assert_non_null(st = store_new(&cfg));
	write_and_check(st, "f", 2, T0 + 5000);
	store_free(st);
	assert_int_equal(count_templates(fx), 0);
}

/* A 1 s RRA under a 20 s series merges into full resolution. */
static void
custom_rras_merge_finer_than_step(void **state)
{
	struct fx *fx = *state;
	static const struct store_rra rras[] = {
	    {0, 3600 * 1000}, {1000, 7200 * 1000}, {300 * 1000, 86400 * 1000}};
	struct store_cfg cfg = {.data_dir = fx->data,
	    .rras = rras,
	    .nrras = ARRAY_SIZE(rras),
	    .xff = 0.25};
	struct store *st = store_new(&cfg);
	char path[PATH_MAX];
	rrd_info_t *info;

	assert_non_null(st);
	assert_int_equal(store_update(st, "h/g/i", 20000, T0 * 1000, 1), 0);
	assert_int_equal(store_flush_all(st), 0);
	info = rrd_info_r(store_file(st, "h/g/i", path, sizeof(path)));
	assert_non_null(info);
	assert_int_equal(info_cnt(info, "step"), 20);
	assert_int_equal(info_cnt(info, "ds[value].minimal_heartbeat"), 40);
	assert_int_equal(info_cnt(info, "rra[0].pdp_per_row"), 1);
	assert_int_equal(info_cnt(info, "rra[0].rows"), 360); /* 2 h */
	assert_int_equal(info_cnt(info, "rra[2].pdp_per_row"), 15);
	assert_int_equal(info_cnt(info, "rra[2].rows"), 288);
	assert_true(
	    fabs(info_get(info, "rra[2].xff")->value.u_val - 0.25) < 1e-9);
	assert_null(info_get(info, "rra[4].cf"));
	rrd_info_free(info);
	store_free(st);
}

static void
values_read_back_average_and_max(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 0, 0, NULL);
	char path[PATH_MAX];
	double v[400];
	unsigned long step;
	size_t n, i;

	/* One hour of 10 s samples: value = index, sub-second jitter. */
	for (i = 1; i <= 360; i++)
		assert_int_equal(
		    store_update(st, "h/g/i", 10000,
		        (T0 + 10 * (int64_t)i) * 1000 + 250 * (i % 2),
		        (double)i),
		    0);
	assert_int_equal(store_flush_all(st), 0);
	struct store_stats s;
	store_get_stats(st, &s);
	assert_int_equal(s.updates_total, 360);
	assert_int_equal(s.written_total, 360);
	assert_int_equal(s.flushes_total, 1); /* one call for the file */
	assert_int_equal(s.pending, 0);
	store_file(st, "h/g/i", path, sizeof(path));
	/*
	 * Full resolution. A gauge value holds since the previous update, so
	 * the interval (3590, 3600] has 0.25 s of 359 (sent at 3590.250) and
	 * 9.75 s of 360: only sub-second timestamps give 359.975.
	 */
	n = fetch(path, "AVERAGE", T0 + 3000, T0 + 3600, 10, v, 400, &step);
	assert_int_equal(step, 10);
	assert_int_equal(n, 60);
	assert_true(fabs(v[59] - 359.975) < 1e-6);
	assert_true(fabs(v[57] - 357.975) < 1e-6);
	/* 1 min RRA: MAX of the six 10 s points. */
	n = fetch(path, "MAX", T0 + 1800, T0 + 3600, 60, v, 400, &step);
	assert_int_equal(step, 60);
	assert_int_equal(n, 30);
	assert_true(fabs(v[29] - 359.975) < 1e-6);
	assert_true(fabs(v[28] - 353.975) < 1e-6);
	/* 1 h RRA: MAX of the hour. */
	n = fetch(path, "MAX", T0, T0 + 3600, 3600, v, 400, &step);
	assert_int_equal(step, 3600);
	assert_int_equal(n, 1);
	assert_true(fabs(v[0] - 359.975) < 1e-6);
	/* Averages: the row ending at T0+3600 covers samples 355..360. */
	n = fetch(path, "AVERAGE", T0 + 1800, T0 + 3600, 60, v, 400, &step);
	assert_int_equal(step, 60);
	/* Odd samples (sent .250 late) fill their own interval, even ones
	 * lose 0.25 s to their predecessor: mean of 355, 355.975, 357,
	 * 357.975, 359, 359.975. */
	assert_true(fabs(v[29] - 357.4875) < 1e-6);
	n = fetch(path, "AVERAGE", T0, T0 + 3600, 3600, v, 400, &step);
	assert_int_equal(n, 1);
	assert_true(v[0] > 170 && v[0] < 190);
	store_free(st);
}

static void
write_file_bytes(const char *path, const char *bytes, size_t n)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	fclose(f);
}

static int
count_corrupt(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".rrd.corrupt-") != NULL;
	closedir(d);
	return n;
}

static void
damaged_file_moved_aside_and_recreated(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 0, 0, NULL);
	char p[PATH_MAX], dir[PATH_MAX + 16];
	double v[4];
	struct stat sb;
	struct store_stats s;

	/* A real file, then truncated as by a crash in a naive writer. */
	assert_int_equal(store_update(st, "h/g/trunc", 10000, T0 * 1000, 1), 0);
	assert_int_equal(store_flush_all(st), 0);
	store_file(st, "h/g/trunc", p, sizeof(p));
	store_free(st);
	assert_int_equal(truncate(p, 1000), 0);
	/* And a file of garbage. */
	snprintf(dir, sizeof(dir), "%s/rrd/h/g", fx->data);
	char g[PATH_MAX + 32];
	snprintf(g, sizeof(g), "%s/garbage.rrd", dir);
	write_file_bytes(g, "not an rrd at all\n", 18);

	st = new_store(fx, 0, 0, NULL);
	assert_int_equal(
	    store_update(st, "h/g/trunc", 10000, (T0 + 10) * 1000, 7), 0);
	assert_int_equal(
	    store_update(st, "h/g/garbage", 10000, (T0 + 10) * 1000, 8), 0);
	assert_int_equal(store_flush_all(st), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.corrupt_total, 2);
	assert_int_equal(s.files_created, 2);
	assert_int_equal(s.written_total, 2);
	assert_int_equal(count_corrupt(dir), 2);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(sb.st_size > 100000);
	store_file(st, "h/g/garbage", p, sizeof(p));
	assert_int_equal(fetch(p, "AVERAGE", T0, T0 + 10, 10, v, 4, NULL), 1);
	assert_true(fabs(v[0] - 8) < 1e-9);
	store_free(st);
}

static int kill_bad, kill_seen;
static int
kill_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	size_t len = strlen(p);
	time_t last;
	unsigned long nds;
	char **names, **vals;

	(void)sb;
	(void)ftw;
	if (flag != FTW_F || len < 4 || strcmp(p + len - 4, ".rrd") != 0)
		return 0;
	kill_seen++;
	if (rrd_lastupdate_r(p, &last, &nds, &names, &vals) != 0) {
		kill_bad++;
		return 0;
	}
	for (unsigned long i = 0; i < nds; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(vals[i]);
	}
	rrd_freemem(names);
	rrd_freemem(vals);
	return 0;
}

/*
 * kill -9 while files are being created: every .rrd left is readable
 * (half-written ones only ever exist under a temporary name), and a new
 * store carries on without moving anything aside. librrd 1.7.2 writes a
 * new file in few large writes, so a kill rarely lands inside one even
 * without the rename; the partial file that a power cut leaves is what
 * damaged_file_moved_aside_and_recreated covers.
 */
static void
kill9_during_create_leaves_no_bad_file(void **state)
{
	struct fx *fx = *state;
	char rel[64], root[PATH_MAX + 8];
	struct store_stats s;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = new_store(fx, 0, 0, NULL);
		for (int i = 0; i < 100000; i++) {
			snprintf(rel, sizeof(rel), "k/g/f%05d", i);
			store_update(st, rel, 1000, T0 * 1000, i);
			store_flush_all(st);
		}
		_exit(0);
	}
	usleep(700 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	snprintf(root, sizeof(root), "%s/rrd", fx->data);
	kill_bad = kill_seen = 0;
	nftw(root, kill_cb, 16, FTW_PHYS);
	assert_true(kill_seen > 0);
	assert_int_equal(kill_bad, 0);

	struct store *st = new_store(fx, 0, 0, NULL);
	for (int i = 0; i <= kill_seen; i++) {
		snprintf(rel, sizeof(rel), "k/g/f%05d", i);
		assert_int_equal(
		    store_update(st, rel, 1000, (T0 + 1) * 1000, i), 0);
	}
	assert_int_equal(store_flush_all(st), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.corrupt_total, 0);
	assert_int_equal(s.write_errors, 0);
	assert_int_equal(s.written_total, (uint64_t)kill_seen + 1);
	store_free(st);
}

/* What a power cut can leave: an empty file, a stale temporary. */
static void
empty_file_and_stale_tmp_handled(void **state)
{
	struct fx *fx = *state;
	char dir[PATH_MAX + 16], p[PATH_MAX + 32];
	struct store_stats s;

	snprintf(dir, sizeof(dir), "%s/rrd/h/g", fx->data);
	assert_int_equal(mkdir_p(dir), 0);
	snprintf(p, sizeof(p), "%s/empty.rrd", dir);
	write_file_bytes(p, "", 0);
	snprintf(p, sizeof(p), "%s/.new.rrd.tmp", dir);
	write_file_bytes(p, "half", 4);
	struct store *st = new_store(fx, 0, 0, NULL);
	assert_int_equal(store_update(st, "h/g/empty", 10000, T0 * 1000, 1), 0);
	assert_int_equal(store_update(st, "h/g/new", 10000, T0 * 1000, 2), 0);
	assert_int_equal(store_flush_all(st), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.corrupt_total, 1);
	assert_int_equal(s.files_created, 2);
	assert_int_equal(s.written_total, 2);
	assert_int_equal(s.write_errors, 0);
	assert_false(exists(p)); /* the temporary became new.rrd */
	assert_int_equal(count_corrupt(dir), 1);
	store_free(st);
}

static void
nonfinite_values_are_unknown(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 0, 0, NULL);
	char p[PATH_MAX];
	double v[4];

	assert_int_equal(
	    store_update(st, "h/g/i", 10000, (T0 + 10) * 1000, NAN), 0);
	assert_int_equal(
	    store_update(st, "h/g/i", 10000, (T0 + 20) * 1000, INFINITY), 0);
	assert_int_equal(
	    store_update(st, "h/g/i", 10000, (T0 + 30) * 1000, 1e300), 0);
	assert_int_equal(store_flush_all(st), 0);
	store_file(st, "h/g/i", p, sizeof(p));
	assert_int_equal(fetch(p, "AVERAGE", T0, T0 + 30, 10, v, 4, NULL), 3);
	assert_true(isnan(v[0]));
	assert_true(isnan(v[1]));
	assert_true(fabs(v[2] / 1e300 - 1) < 1e-12);
	store_free(st);
}

static void
bad_config_refused(void **state)
{
	struct fx *fx = *state;
	static const struct store_rra bad_rra[] = {{0, 0}};
	struct store_cfg cfg = {.data_dir = fx->data};

	cfg.xff = 1.5;
	assert_null(store_new(&cfg));
	cfg.xff = 0;
	cfg.rras = bad_rra;
	cfg.nrras = 1;
	assert_null(store_new(&cfg));
	assert_int_equal(errno, EINVAL);
	cfg.rras = NULL;
	cfg.nrras = 0;
	char file[PATH_MAX + 8];
	snprintf(file, sizeof(file), "%s/plainfile", fx->dir);
	write_file_bytes(file, "x", 1);
	cfg.data_dir = file; /* a file where a directory must be */
	assert_null(store_new(&cfg));
	store_free(NULL);
}

/* The store makes its directories with mkdir_p: nested, existing (a second
 * file in the same directory), and a file in the way. */
static void
mkdir_p_nested_existing_and_blocked(void **state)
{
	struct fx *fx = *state;
	char a[PATH_MAX], b[PATH_MAX], f[PATH_MAX];
	struct stat sb;
	int fd;

	snprintf(a, sizeof(a), "%s/x/y/z", fx->dir);
	assert_int_equal(mkdir_p(a), 0);
	assert_int_equal(stat(a, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(mkdir_p(a), 0);
	snprintf(b, sizeof(b), "%s/x/y/w", fx->dir);
	assert_int_equal(mkdir_p(b), 0);
	assert_int_equal(stat(b, &sb), 0);
	snprintf(f, sizeof(f), "%s/file", fx->dir);
	fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	snprintf(b, sizeof(b), "%s/file/sub/dir", fx->dir);
	assert_int_equal(mkdir_p(b), -ENOTDIR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(relpath_sanitises_components),
	    cmocka_unit_test_setup_teardown(
	        mkdir_p_nested_existing_and_blocked, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        bad_rel_paths_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        odd_names_stay_inside, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        file_has_ds_and_rras, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        new_files_copied_from_a_template, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        template_made_by_helper_or_in_process, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        custom_rras_merge_finer_than_step, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        values_read_back_average_and_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        damaged_file_moved_aside_and_recreated, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        kill9_during_create_leaves_no_bad_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        empty_file_and_stale_tmp_handled, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        nonfinite_values_are_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        bad_config_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
