// SPDX-License-Identifier: MIT
/*
 * pcapreplay: injects the frames of a capture file on an interface at a
 * fixed packet rate (bench/pcap.sh runs it on the loopback of a private
 * network namespace, so nothing leaves the machine). Loops over the file
 * until the duration is over; prints the packets sent and the rate.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t
mono_ns_(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *out, *in = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	double pps, secs;
	int64_t start, end, tick, now;
	uint64_t sent = 0, due;
	struct timespec ts;

	if (argc != 5) {
		fprintf(stderr, "usage: pcapreplay IFACE FILE PPS SECONDS "
		                "(PPS 0: as fast as possible)\n");
		return 2;
	}
	pps = strtod(argv[3], NULL);
	secs = strtod(argv[4], NULL);
	out = pcap_open_live(argv[1], 65535, 0, 100, err);
	if (out == NULL) {
		fprintf(stderr, "pcapreplay: %s: %s\n", argv[1], err);
		return 1;
	}
	start = mono_ns_();
	end = start + (int64_t)(secs * 1e9);
	tick = start;
	for (;;) {
		now = mono_ns_();
		if (now >= end)
			break;
		/* Send what is due by now, then sleep a millisecond. */
		due = pps > 0
		          ? (uint64_t)((double)(now - start) * pps / 1e9) + 1
		          : sent + 1024;
		while (sent < due) {
			int rc;

			if (in == NULL) {
				in = pcap_open_offline(argv[2], err);
				if (in == NULL) {
					fprintf(
					    stderr, "pcapreplay: %s\n", err);
					return 1;
				}
			}
			rc = pcap_next_ex(in, &h, &data);
			if (rc != 1) {
				pcap_close(in);
				in = NULL;
				continue;
			}
			if (pcap_inject(out, data, h->caplen) < 0 &&
			    errno != ENOBUFS) {
				fprintf(stderr, "pcapreplay: inject: %s\n",
				    pcap_geterr(out));
				return 1;
			}
			sent++;
		}
		if (pps > 0) {
			tick += 1000000;
			ts.tv_sec = tick / 1000000000;
			ts.tv_nsec = tick % 1000000000;
			clock_nanosleep(
			    CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
	}
	now = mono_ns_();
	printf("%llu %.0f\n", (unsigned long long)sent,
	    (double)sent * 1e9 / (double)(now - start));
	if (in)
		pcap_close(in);
	pcap_close(out);
	return 0;
}
