// SPDX-License-Identifier: MIT
/*
 * A minimal Prometheus-style scraper for bench/host.sh: GET /metrics from
 * one HOST:PORT every INTERVAL, aligned to wall-clock multiples, for
 * SECONDS. One long-running process, so the scrape side costs a few
 * hundred microseconds per scrape instead of a curl process (~12 ms).
 *
 *   scrape INTERVAL_MS SECONDS HOST:PORT [OUTFILE]
 * Prints "scrapes=N failures=N body_bytes=N body_lines=N cpu=S".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define BODY_MAX (16 * 1024 * 1024)

static char buf[BODY_MAX];

/* One HTTP/1.0 request; returns the response length or a negative errno. */
static long
scrape_once(const struct sockaddr_in *sa, const char *hostport)
{
	char req[256];
	long len = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		len = -errno;
		goto out;
	}
	int rl = snprintf(req, sizeof(req),
	    "GET /metrics HTTP/1.0\r\nHost: %s\r\n"
	    "User-Agent: chokepoint-bench\r\n\r\n",
	    hostport);
	if (write(fd, req, (size_t)rl) != rl) {
		len = -EIO;
		goto out;
	}
	while (len < BODY_MAX &&
	       (n = read(fd, buf + len, (size_t)(BODY_MAX - len))) > 0)
		len += n;
	if (n < 0)
		len = -errno;
	else if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 ||
	         memcmp(buf + 9, "200", 3) != 0)
		len = -EPROTO;
out:
	close(fd);
	return len;
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char host[64];
	const char *colon;
	long scrapes = 0, failures = 0, last = 0;
	int rc = 1;

	if (argc < 4 || argc > 5) {
		fprintf(stderr,
		    "usage: scrape INTERVAL_MS SECONDS HOST:PORT [OUTFILE]\n");
		return 2;
	}
	long interval_ms = strtol(argv[1], NULL, 10);
	long secs = strtol(argv[2], NULL, 10);
	colon = strrchr(argv[3], ':');
	if (interval_ms <= 0 || secs <= 0 || colon == NULL ||
	    (size_t)(colon - argv[3]) >= sizeof(host)) {
		fprintf(stderr, "scrape: bad arguments\n");
		return 2;
	}
	memcpy(host, argv[3], (size_t)(colon - argv[3]));
	host[colon - argv[3]] = '\0';
	sa.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "scrape: %s: not an IPv4 address\n", host);
		return 2;
	}

	int64_t end = now_ms() + secs * 1000;
	for (;;) {
		int64_t now = now_ms();
		int64_t next = (now / interval_ms + 1) * interval_ms;

		if (next >= end)
			break;
		struct timespec ts = {(time_t)((next - now) / 1000),
		    (long)((next - now) % 1000) * 1000000};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		long r = scrape_once(&sa, argv[3]);
		if (r < 0) {
			failures++;
			continue;
		}
		scrapes++;
		last = r;
	}
	/* The body of the last scrape: its sample lines, saved if asked. */
	char *body = last > 0 ? memmem(buf, (size_t)last, "\r\n\r\n", 4) : NULL;
	long blen = 0, lines = 0;
	if (body) {
		body += 4;
		blen = last - (body - buf);
	}
	for (long i = 0; i < blen; i++)
		lines += body[i] == '\n';
	if (argc == 5 && blen > 0) {
		FILE *f = fopen(argv[4], "w");
		if (f == NULL ||
		    fwrite(body, 1, (size_t)blen, f) != (size_t)blen) {
			fprintf(stderr, "scrape: %s: %s\n", argv[4],
			    strerror(errno));
			if (f)
				fclose(f);
			goto out;
		}
		fclose(f);
	}
	printf("scrapes=%ld failures=%ld body_bytes=%ld body_lines=%ld "
	       "cpu=%.3f\n",
	    scrapes, failures, blen, lines, cpu_seconds());
	rc = failures > 0 || scrapes == 0;
out:
	return rc;
}
