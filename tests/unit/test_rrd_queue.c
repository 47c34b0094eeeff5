// SPDX-License-Identifier: MIT
/*
 * The RRD store's queue between store_update and the files, against real
 * librrd files in a temporary directory and a real rrdcached (unix socket
 * and TCP): batching, when the writer thread flushes, stale and
 * over-max_pending values dropped, rrdcached going away and coming back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rrd.h>

#include "helpers/rrd_fixture.h"
#include "rrd.h"
#include "util.h"

/* ------------------------------------------------------------- tests */

/* A long queue (a file that waited) goes out in several calls. */
static void
long_queue_written_whole(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 0, 0, NULL);
	struct store_stats s;
	char p[PATH_MAX];
	double v[8];

	for (int i = 1; i <= 3000; i++)
		assert_int_equal(
		    store_update(st, "h/g/long", 1000, (T0 + i) * 1000, i), 0);
	assert_int_equal(store_flush_all(st), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.written_total, 3000);
	assert_int_equal(s.write_errors, 0);
	assert_int_equal(s.flushes_total, 1);
	store_file(st, "h/g/long", p, sizeof(p));
	assert_int_equal(rrd_last_r(p), T0 + 3000);
	assert_int_equal(
	    fetch(p, "AVERAGE", T0 + 2995, T0 + 3000, 1, v, 8, NULL), 5);
	assert_true(fabs(v[4] - 3000) < 1e-9);
	assert_true(fabs(v[0] - 2996) < 1e-9);
	store_free(st);
}

static void
nothing_on_disk_before_flush(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 3600 * 1000, 0, NULL);
	char p1[PATH_MAX], p2[PATH_MAX];
	double v[10];
	struct store_stats s;

	assert_int_equal(store_start(st), 0);
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(
		    store_update(st, "a/b/one", 10000, (T0 + 10 * i) * 1000, i),
		    0);
		assert_int_equal(store_update(st, "a/b/two", 10000,
		                     (T0 + 10 * i) * 1000, 10 * i),
		    0);
	}
	usleep(200 * 1000);
	store_file(st, "a/b/one", p1, sizeof(p1));
	store_file(st, "a/b/two", p2, sizeof(p2));
	assert_false(exists(p1));
	assert_false(exists(p2));
	store_get_stats(st, &s);
	assert_int_equal(s.pending, 10);
	assert_int_equal(s.written_total, 0);
	/* flush_file writes that file only. */
	assert_int_equal(store_flush_file(st, "a/b/one"), 0);
	assert_true(exists(p1));
	assert_false(exists(p2));
	assert_int_equal(
	    fetch(p1, "AVERAGE", T0 + 10, T0 + 50, 10, v, 10, NULL), 4);
	assert_true(fabs(v[3] - 5) < 1e-9);
	/* store_free writes the rest. */
	assert_int_equal(
	    store_update(st, "a/b/one", 10000, (T0 + 60) * 1000, 6), 0);
	store_free(st);
	assert_true(exists(p2));
	assert_int_equal(
	    fetch(p2, "AVERAGE", T0 + 10, T0 + 50, 10, v, 10, NULL), 4);
	assert_true(fabs(v[3] - 50) < 1e-9);
	assert_int_equal(
	    fetch(p1, "AVERAGE", T0 + 10, T0 + 60, 10, v, 10, NULL), 5);
	assert_true(fabs(v[4] - 6) < 1e-9);
}

/* Up to tenths x 0.1 s for path to appear; whether it did. */
static int
wait_file(const char *path, int tenths)
{
	for (int i = 0; i < tenths && !exists(path); i++)
		usleep(100 * 1000);
	return exists(path);
}

/* Up to 5 s for the writer thread to have written n values; *s: the
 * stats then. */
static void
wait_written(struct store *st, uint64_t n, struct store_stats *s)
{
	for (int i = 0; i < 50; i++) {
		store_get_stats(st, s);
		if (s->written_total == n)
			return;
		usleep(100 * 1000);
	}
}

/*
 * first_flush_ms: a file not written yet goes out after it (it is created
 * soon after start); later values wait the whole flush_ms.
 */
static void
new_files_written_after_first_flush_ms(void **state)
{
	struct fx *fx = *state;
	struct store_cfg cfg = {
	    .data_dir = fx->data, .flush_ms = 60000, .first_flush_ms = 200};
	struct store *st = store_new(&cfg);
	struct store_stats s;
	char p[PATH_MAX];

	assert_non_null(st);
	assert_int_equal(store_start(st), 0);
	assert_int_equal(store_update(st, "a/b/c", 10000, T0 * 1000, 1), 0);
	store_file(st, "a/b/c", p, sizeof(p));
	assert_true(wait_file(p, 50)); /* within ~0.2 s, not 60 s */
	wait_written(st, 1, &s);
	assert_int_equal(s.written_total, 1);
	/* The file exists now: the next value waits for flush_ms. */
	assert_int_equal(
	    store_update(st, "a/b/c", 10000, (T0 + 10) * 1000, 2), 0);
	usleep(600 * 1000);
	store_get_stats(st, &s);
	assert_int_equal(s.written_total, 1);
	assert_int_equal(s.pending, 1);
	/* SIGTERM's path still writes it. */
	assert_int_equal(store_flush_all(st), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.written_total, 2);
	store_free(st);
}

static void
writer_thread_flushes_after_flush_ms(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 200, 0, NULL);
	char p[PATH_MAX];
	struct store_stats s;

	assert_int_equal(store_start(st), 0);
	/* Let the writer go idle first (it must be woken by the update). */
	usleep(100 * 1000);
	assert_int_equal(store_update(st, "a/b/c", 10000, T0 * 1000, 1), 0);
	store_file(st, "a/b/c", p, sizeof(p));
	assert_true(wait_file(p, 300));
	wait_written(st, 1, &s);
	assert_int_equal(s.written_total, 1);
	assert_int_equal(s.pending, 0);
	store_free(st);
}

static void
old_values_dropped_and_counted(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 0, 0, NULL);
	struct store_stats s;
	char p[PATH_MAX];
	double v[8];

	assert_int_equal(
	    store_update(st, "h/g/i", 10000, (T0 + 100) * 1000, 1), 0);
	/* Older than the last queued: dropped. */
	assert_int_equal(
	    store_update(st, "h/g/i", 10000, (T0 + 90) * 1000, 2), 0);
	/* Same second: the later value replaces it. */
	assert_int_equal(
	    store_update(st, "h/g/i", 10000, (T0 + 100) * 1000 + 500, 3), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.stale_total, 1);
	assert_int_equal(s.replaced_total, 1);
	assert_int_equal(s.pending, 1);
	assert_int_equal(store_flush_all(st), 0);
	/* At or before the written one: dropped before it reaches librrd. */
	assert_int_equal(
	    store_update(st, "h/g/i", 10000, (T0 + 100) * 1000, 4), 0);
	assert_int_equal(
	    store_update(st, "h/g/i", 10000, (T0 + 50) * 1000, 4), 0);
	assert_int_equal(
	    store_update(st, "h/g/i", 10000, (T0 + 110) * 1000, 5), 0);
	assert_int_equal(store_flush_all(st), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.stale_total, 3);
	assert_int_equal(s.write_errors, 0);
	assert_int_equal(s.written_total, 2);
	store_free(st);

	/* A new store does not know the file's last update until it reads
	 * it: the old values are dropped at write time, not an error. */
	st = new_store(fx, 0, 0, NULL);
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_update(st, "h/g/i", 10000,
		                     (T0 + 80 + 10 * i) * 1000, 10 + i),
		    0);
	assert_int_equal(store_flush_all(st), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.stale_total, 4);
	assert_int_equal(s.written_total, 1);
	assert_int_equal(s.write_errors, 0);
	store_file(st, "h/g/i", p, sizeof(p));
	assert_int_equal(
	    fetch(p, "AVERAGE", T0 + 100, T0 + 120, 10, v, 8, NULL), 2);
	/* (100, 110]: 0.5 s of 3 (the replacing value kept its time, 100.5)
	 * and 9.5 s of 5. */
	assert_true(fabs(v[0] - 4.9) < 1e-9);
	assert_true(fabs(v[1] - 14) < 1e-9);
	store_free(st);
}

static void
max_pending_drops_oldest(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 3600 * 1000, 10, NULL);
	struct store_stats s;
	char p[PATH_MAX];
	double v[32];
	int i;

	for (i = 1; i <= 25; i++)
		assert_int_equal(
		    store_update(st, "h/g/i", 10000, (T0 + 10 * i) * 1000, i),
		    0);
	store_get_stats(st, &s);
	assert_int_equal(s.pending, 10);
	assert_int_equal(s.updates_total, 25);
	assert_int_equal(s.dropped_overflow, 15);
	assert_int_equal(s.dropped_total, 15);
	assert_int_equal(store_flush_all(st), 0);
	store_file(st, "h/g/i", p, sizeof(p));
	size_t n = fetch(p, "AVERAGE", T0 + 150, T0 + 250, 10, v, 32, NULL);
	assert_int_equal(n, 10);
	/* The newest ten (16..25) were kept. */
	assert_true(fabs(v[0] - 16) < 1e-9);
	assert_true(fabs(v[9] - 25) < 1e-9);
	store_get_stats(st, &s);
	assert_int_equal(s.written_total, 10);
	store_free(st);
}

/* One big file at the cap: drops are cheap and keep the newest. */
static void
max_pending_one_file_many_drops(void **state)
{
	struct fx *fx = *state;
	struct store *st = new_store(fx, 3600 * 1000, 1000, NULL);
	struct store_stats s;
	char p[PATH_MAX];
	double v[4];
	int i;

	for (i = 1; i <= 200000; i++)
		assert_int_equal(
		    store_update(st, "h/g/big", 1000, (T0 + i) * 1000, i), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.pending, 1000);
	assert_int_equal(s.dropped_overflow, 199000);
	assert_int_equal(store_flush_all(st), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.written_total, 1000);
	store_file(st, "h/g/big", p, sizeof(p));
	assert_int_equal(rrd_last_r(p), T0 + 200000);
	assert_int_equal(
	    fetch(p, "AVERAGE", T0 + 199001, T0 + 199002, 1, v, 4, NULL), 1);
	assert_true(fabs(v[0] - 199002) < 1e-9);
	store_free(st);
}

/* ----------------------------------------------------------- rrdcached */

/* Can we connect to addr ("unix:/path" or "127.0.0.1:port")? */
static int
listening(const char *addr)
{
	int fd, ok;

	if (strncmp(addr, "unix:", 5) == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", addr + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET,
		    .sin_port = htons(
		        (uint16_t)strtol(strchr(addr, ':') + 1, NULL, 10)),
		    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	}
	close(fd);
	return ok;
}

/* rrdcached in the foreground (-g: its pid is ours to kill) on addr, with
 * base dir DATA/rrd; NULL-free pid or a failed test. */
static pid_t
start_rrdcached(struct fx *fx, const char *addr)
{
	char base[PATH_MAX + 8], pidf[PATH_MAX + 8];
	pid_t pid;

	snprintf(base, sizeof(base), "%s/rrd", fx->data);
	snprintf(pidf, sizeof(pidf), "%s/rrdcached.pid", fx->dir);
	mkdir_p(base);
	if (strncmp(addr, "unix:", 5) == 0)
		unlink(addr + 5);
	unlink(pidf);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* -w 3600: no timed write-out, only our FLUSH writes; -R:
		 * CREATE may make subdirectories (a remote store needs that).
		 */
		execlp("rrdcached", "rrdcached", "-g", "-l", addr, "-b", base,
		    "-p", pidf, "-w", "3600", "-z", "1", "-F", "-R",
		    (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !listening(addr); i++)
		usleep(50 * 1000);
	if (!listening(addr)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	fx->daemon = pid;
	return pid;
}

static void
stop_rrdcached(struct fx *fx)
{
	kill(fx->daemon, SIGTERM);
	waitpid(fx->daemon, NULL, 0);
	fx->daemon = 0;
}

static void
rrdcached_updates_and_flush(void **state)
{
	struct fx *fx = *state;
	char sock[PATH_MAX + 16], addr[PATH_MAX + 32], p[PATH_MAX];
	struct store_stats s;
	double v[16];
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/rrdcached.sock", fx->dir);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	pid = start_rrdcached(fx, addr);
	if (pid < 0)
		fail_msg("rrdcached did not start on %s", addr);
	struct store *st = new_store(fx, 3600 * 1000, 0, addr);
	for (int i = 1; i <= 6; i++)
		assert_int_equal(store_update(st, "sw/if/ge-0_0_1", 10000,
		                     (T0 + 10 * i) * 1000, 100 * i),
		    0);
	/* Sent to the daemon; it keeps them until told to write. */
	assert_int_equal(store_flush_all(st), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.written_total, 6);
	assert_int_equal(s.files_created, 1);
	store_file(st, "sw/if/ge-0_0_1", p, sizeof(p));
	assert_true(exists(p));
	/* Created (starting a step before the first value), not written. */
	assert_int_equal(rrd_last_r(p), T0);
	assert_int_equal(store_flush_file(st, "sw/if/ge-0_0_1"), 0);
	assert_int_equal(rrd_last_r(p), T0 + 60);
	assert_int_equal(fetch(p, "AVERAGE", T0, T0 + 60, 10, v, 16, NULL), 6);
	assert_true(fabs(v[5] - 600) < 1e-9);

	/* Many values for one file: more than one rrdcached command line
	 * (librrd's client caps a command at 4 KB). */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(store_update(st, "sw/if/many", 1000,
		                     (T0 + 1 + i) * 1000 + 123, i),
		    0);
	assert_int_equal(store_flush_file(st, "sw/if/many"), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.write_errors, 0);
	assert_int_equal(s.written_total, 1006);
	char pm[PATH_MAX];
	store_file(st, "sw/if/many", pm, sizeof(pm));
	assert_int_equal(rrd_last_r(pm), T0 + 1000);

	/* The daemon goes away: values stay queued, then go through. */
	stop_rrdcached(fx);
	assert_int_equal(
	    store_update(st, "sw/if/ge-0_0_1", 10000, (T0 + 70) * 1000, 700),
	    0);
	assert_true(store_flush_all(st) < 0);
	store_get_stats(st, &s);
	assert_int_equal(s.pending, 1);
	assert_int_equal(s.written_total, 1006);
	pid = start_rrdcached(fx, addr);
	assert_true(pid > 0);
	usleep(1100 * 1000); /* the first reconnect backoff is 1 s */
	assert_int_equal(store_flush_file(st, "sw/if/ge-0_0_1"), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.pending, 0);
	assert_int_equal(s.written_total, 1007);
	assert_int_equal(rrd_last_r(p), T0 + 70);
	/* A new store on the same data: the daemon's LAST is respected. */
	assert_int_equal(
	    store_update(st, "sw/if/ge-0_0_1", 10000, (T0 + 80) * 1000, 800),
	    0);
	assert_int_equal(store_flush_all(st), 0);
	store_free(st);
	st = new_store(fx, 3600 * 1000, 0, addr);
	assert_int_equal(
	    store_update(st, "sw/if/ge-0_0_1", 10000, (T0 + 80) * 1000, 1), 0);
	assert_int_equal(
	    store_update(st, "sw/if/ge-0_0_1", 10000, (T0 + 90) * 1000, 900),
	    0);
	assert_int_equal(store_flush_file(st, "sw/if/ge-0_0_1"), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.write_errors, 0);
	assert_int_equal(s.stale_total, 1);
	assert_int_equal(s.written_total, 1);
	assert_int_equal(
	    fetch(p, "AVERAGE", T0 + 70, T0 + 90, 10, v, 16, NULL), 2);
	assert_true(fabs(v[0] - 800) < 1e-9);
	assert_true(fabs(v[1] - 900) < 1e-9);
	store_free(st);
	stop_rrdcached(fx);
}

/* The writer thread alone rides out a daemon restart (backoff, retry). */
static void
rrdcached_writer_reconnects(void **state)
{
	struct fx *fx = *state;
	char sock[PATH_MAX + 16], addr[PATH_MAX + 32];
	struct store_stats s;
	int i;

	snprintf(sock, sizeof(sock), "%s/rrdcached.sock", fx->dir);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	assert_true(start_rrdcached(fx, addr) > 0);
	struct store *st = new_store(fx, 200, 0, addr);
	assert_int_equal(store_start(st), 0);
	assert_int_equal(
	    store_update(st, "w/g/i", 10000, (T0 + 10) * 1000, 1), 0);
	for (i = 0; i < 100; i++) {
		store_get_stats(st, &s);
		if (s.written_total == 1)
			break;
		usleep(50 * 1000);
	}
	assert_int_equal(s.written_total, 1);
	stop_rrdcached(fx);
	assert_int_equal(
	    store_update(st, "w/g/i", 10000, (T0 + 20) * 1000, 2), 0);
	usleep(600 * 1000); /* the writer tries, fails, backs off */
	store_get_stats(st, &s);
	assert_int_equal(s.pending, 1);
	assert_int_equal(s.written_total, 1);
	assert_true(start_rrdcached(fx, addr) > 0);
	for (i = 0; i < 200; i++) {
		store_get_stats(st, &s);
		if (s.written_total == 2)
			break;
		usleep(50 * 1000);
	}
	assert_int_equal(s.written_total, 2);
	assert_int_equal(s.pending, 0);
	assert_int_equal(s.write_errors, 0);
	store_free(st);
	stop_rrdcached(fx);
}

/* host:port: the daemon owns the files, named relative to its -b. */
static void
rrdcached_remote_creates_and_updates(void **state)
{
	struct fx *fx = *state;
	char addr[64], p[PATH_MAX + 64];
	struct store_stats s;
	double v[16];
	pid_t pid = -1;

	for (int try = 0; try < 5 && pid < 0; try++) {
		snprintf(addr, sizeof(addr), "127.0.0.1:%d",
		    20000 + (int)((getpid() * 7 + try * 7919) % 30000));
		if (!listening(addr))
			pid = start_rrdcached(fx, addr);
	}
	if (pid < 0)
		fail_msg("rrdcached did not start on 127.0.0.1");
	struct store *st = new_store(fx, 3600 * 1000, 0, addr);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(
		    store_update(st, "r/g/i", 10000, (T0 + 10 * i) * 1000, i),
		    0);
	assert_int_equal(store_flush_file(st, "r/g/i"), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.files_created, 1);
	assert_int_equal(s.written_total, 3);
	/* The daemon's base dir is DATA/rrd here, so we can look. */
	snprintf(p, sizeof(p), "%s/rrd/r/g/i.rrd", fx->data);
	assert_int_equal(fetch(p, "MAX", T0, T0 + 30, 10, v, 16, NULL), 3);
	assert_true(fabs(v[2] - 3) < 1e-9);
	rrd_info_t *info = rrd_info_r(p);
	assert_non_null(info);
	assert_int_equal(info_cnt(info, "rra[7].pdp_per_row"), 8640);
	rrd_info_free(info);
	/* Values the daemon holds but has not written count as "last". */
	assert_int_equal(
	    store_update(st, "r/g/i", 10000, (T0 + 40) * 1000, 4), 0);
	assert_int_equal(store_flush_all(st), 0);
	store_free(st);
	st = new_store(fx, 3600 * 1000, 0, addr);
	assert_int_equal(
	    store_update(st, "r/g/i", 10000, (T0 + 40) * 1000, 9), 0);
	assert_int_equal(
	    store_update(st, "r/g/i", 10000, (T0 + 50) * 1000, 5), 0);
	assert_int_equal(store_flush_file(st, "r/g/i"), 0);
	store_get_stats(st, &s);
	assert_int_equal(s.files_created, 0);
	assert_int_equal(s.stale_total, 1);
	assert_int_equal(s.written_total, 1);
	assert_int_equal(s.write_errors, 0);
	assert_int_equal(
	    fetch(p, "AVERAGE", T0 + 30, T0 + 50, 10, v, 16, NULL), 2);
	assert_true(fabs(v[0] - 4) < 1e-9);
	assert_true(fabs(v[1] - 5) < 1e-9);
	store_free(st);
	stop_rrdcached(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        new_files_written_after_first_flush_ms, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        long_queue_written_whole, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        nothing_on_disk_before_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        writer_thread_flushes_after_flush_ms, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        old_values_dropped_and_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        max_pending_drops_oldest, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        max_pending_one_file_many_drops, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        rrdcached_updates_and_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        rrdcached_writer_reconnects, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        rrdcached_remote_creates_and_updates, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
