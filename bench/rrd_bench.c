// SPDX-License-Identifier: MIT
/*
 * RRD write benchmark (run by bench/rrd.sh): N files, K values per file per
 * round, ROUNDS rounds, through the store (store_update + store_flush_all),
 * a plain rrd_update_r loop (one value per call), rrdc_update through a
 * running rrdcached (one value per call), or the store via rrdcached.
 * Prints one line per round and the median; the writer's peak RSS.
 *
 *   rrd_bench MODE DIR N K ROUNDS TS0 [ADDR]
 *   MODE: store | store-bounded | plain | cached | store-cached
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "rrd.h"
#include "util.h"

/* The anchor's layout (1 h of 10 s, 1 day of 5 min, 10 days of 1 h), with
 * MAX beside every AVERAGE as the store always does. */
static const struct store_rra bench_rras[] = {
    {0, 3600 * 1000}, {300 * 1000, 86400 * 1000}, {3600 * 1000, 864000000}};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
secs(void)
{
	return (double)mono_ns() / 1e9;
}

static const char *
rel_of(long i, char *buf, size_t size)
{
	/* 100 targets x 100 instances, like ports on switches. */
	snprintf(buf, size, "sw%03ld/if/port%03ld", i / 100, i % 100);
	return buf;
}

/* rrdcached statistic by name, or -1. */
static int64_t
cached_stat(const char *name)
{
	rrdc_stats_t *head = NULL, *s;
	int64_t v = -1;

	if (rrdc_stats_get(&head) != 0)
		return -1;
	for (s = head; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			v = s->type == RRDC_STATS_TYPE_GAUGE
			        ? (int64_t)s->value.gauge
			        : (int64_t)s->value.counter;
	rrdc_stats_free(head);
	return v;
}

/*
 * librrd 1.7.2 declares rrdc_flushall() but does not export it: send
 * FLUSHALL ourselves on a second connection.
 */
static void
flushall(const char *addr)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[256];
	int fd;

	if (strncmp(addr, "unix:", 5) == 0)
		addr += 5;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", addr);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, "FLUSHALL\n", 9) != 9 ||
	    read(fd, buf, sizeof(buf)) <= 0) {
		perror("rrdcached FLUSHALL");
		exit(1);
	}
	close(fd);
}

/* FLUSHALL and wait until the daemon has written `want` more values. */
static double
cached_writeout(const char *addr, int64_t before, int64_t want)
{
	double t0 = secs();

	flushall(addr);
	for (;;) {
		int64_t w = cached_stat("DataSetsWritten");
		int64_t q = cached_stat("QueueLength");
		if (w < 0 || q < 0) {
			fprintf(
			    stderr, "rrdcached stats: %s\n", rrd_get_error());
			exit(1);
		}
		if (w - before >= want && q == 0)
			break;
		usleep(20 * 1000);
	}
	return secs() - t0;
}

int
main(int argc, char **argv)
{
	const char *mode, *dir, *addr = NULL;
	long n, k, rounds, i, j, r;
	int64_t ts0;
	char rel[128], path[4096], val[64];
	double *rates, tcreate = 0;
	struct store *st = NULL;
	long errors = 0;
	int is_store, is_cached;

	if (argc < 7) {
		fprintf(stderr,
		    "usage: %s store|store-bounded|plain|cached|store-cached "
		    "DIR "
		    "N K ROUNDS "
		    "TS0 [ADDR]\n",
		    argv[0]);
		return 2;
	}
	mode = argv[1];
	dir = argv[2];
	n = strtol(argv[3], NULL, 10);
	k = strtol(argv[4], NULL, 10);
	rounds = strtol(argv[5], NULL, 10);
	ts0 = strtoll(argv[6], NULL, 10);
	if (argc > 7)
		addr = argv[7];
	is_store = strncmp(mode, "store", 5) == 0;
	is_cached = strstr(mode, "cached") != NULL;
	if (n <= 0 || k <= 0 || rounds <= 0 || ts0 <= 0 ||
	    (is_cached && !addr)) {
		fprintf(stderr, "rrd_bench: bad arguments\n");
		return 2;
	}
	if (is_store) {
		struct store_cfg cfg = {.data_dir = dir,
		    .rrdcached = is_cached ? addr : NULL,
		    .flush_ms = 3600 * 1000,
		    /* store-bounded: room for one value per file only, so
		     * the writer works while values are queued, and drops. */
		    .max_pending =
		        strcmp(mode, "store-bounded") == 0 ? (size_t)n : 0,
		    .rras = bench_rras,
		    .nrras = ARRAY_SIZE(bench_rras)};
		st = store_new(&cfg);
		if (!st || store_start(st) < 0)
			return 1;
		/* Round 0 creates the files (timed apart). */
		double t0 = secs();
		for (i = 0; i < n; i++)
			store_update(st, rel_of(i, rel, sizeof(rel)), 10000,
			    ts0 * 1000, 1);
		if (store_flush_all(st) < 0)
			errors++;
		tcreate = secs() - t0;
	} else if (is_cached && rrdc_connect(addr) != 0) {
		fprintf(stderr, "rrdc_connect %s: %s\n", addr, rrd_get_error());
		return 1;
	}
	rates = xcalloc((size_t)rounds, sizeof(*rates));
	uint64_t written_before = 0;
	if (st) {
		struct store_stats ss;
		store_get_stats(st, &ss);
		written_before = ss.written_total;
	}
	for (r = 0; r < rounds; r++) {
		int64_t base = ts0 + 10 * (1 + r * k);
		int64_t written0 =
		    is_cached ? cached_stat("DataSetsWritten") : 0;
		double t0 = secs(), tq, tw = 0;

		if (is_store) {
			/* Values arrive time-major (every file, then the next
			 * interval), as a poller produces them. */
			for (j = 0; j < k; j++)
				for (i = 0; i < n; i++)
					store_update(st,
					    rel_of(i, rel, sizeof(rel)), 10000,
					    (base + 10 * j) * 1000,
					    (double)((i + j) % 1000));
			tq = secs() - t0;
			if (store_flush_all(st) < 0)
				errors++;
		} else {
			for (j = 0; j < k; j++)
				for (i = 0; i < n; i++) {
					const char *v[1] = {val};
					snprintf(path, sizeof(path),
					    "%s/rrd/%s.rrd", dir,
					    rel_of(i, rel, sizeof(rel)));
					snprintf(val, sizeof(val), "%lld:%ld",
					    (long long)(base + 10 * j),
					    (i + j) % 1000);
					rrd_clear_error();
					if ((is_cached
					            ? rrdc_update(path, 1, v)
					            : rrd_update_r(path, NULL,
					                  1, v)) != 0 &&
					    errors++ < 3)
						fprintf(stderr, "%s: %s\n",
						    path, rrd_get_error());
				}
			tq = secs() - t0;
		}
		if (is_cached)
			tw = cached_writeout(addr, written0, n * k);
		double total = secs() - t0;
		/* Values that reached the files (or the daemon): the bounded
		 * store drops some, which must not count as speed. */
		long done = n * k;
		if (st) {
			struct store_stats ss;
			store_get_stats(st, &ss);
			done = (long)(ss.written_total - written_before);
			written_before = ss.written_total;
		}
		rates[r] = (double)done / total;
		/* store*: queue = store_update calls, send = store_flush_all
		 * (librrd writes, or rrdc_update calls); the others send as
		 * they go. rrdcached modes add the daemon's write-out. */
		printf("%s N=%ld K=%ld round %ld: %.3f s (%s %.3f s, send "
		       "%.3f s, rrdcached write-out %.3f s) => %ld of %ld "
		       "written, %.0f updates/s\n",
		    mode, n, k, r + 1, total, is_store ? "queue" : "calls", tq,
		    total - tq - tw, tw, done, n * k, rates[r]);
		fflush(stdout);
	}
	if (st) {
		struct store_stats s;
		store_get_stats(st, &s);
		printf("%s: created %llu files in %.2f s; written %llu, "
		       "errors %llu, dropped %llu, stale %llu, batches %llu\n",
		    mode, (unsigned long long)s.files_created, tcreate,
		    (unsigned long long)s.written_total,
		    (unsigned long long)s.write_errors,
		    (unsigned long long)s.dropped_total,
		    (unsigned long long)s.stale_total,
		    (unsigned long long)s.flushes_total);
		errors += (long)s.write_errors;
		store_free(st);
	} else if (is_cached) {
		rrdc_disconnect();
	}
	qsort(rates, (size_t)rounds, sizeof(*rates), cmp_double);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("RESULT mode=%s n=%ld k=%ld median_updates_per_s=%.0f "
	       "peak_rss_kb=%ld errors=%ld\n",
	    mode, n, k, rates[rounds / 2], ru.ru_maxrss, errors);
	free(rates);
	return errors ? 1 : 0;
}
