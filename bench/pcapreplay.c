// SPDX-License-Identifier: MIT
/*
 * pcapreplay: injects frames of a capture file on an interface at a fixed
 * packet rate (bench/pcap.sh runs it on the loopback of a private network
 * namespace, so nothing leaves the machine). The first 8192 frames are
 * loaded and sent in a loop through an AF_PACKET socket, 256 per
 * sendmmsg() call, so the injector is not what limits the rate. Prints
 * the packets sent and the achieved rate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAMES 8192
#define BATCH 256

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
	static struct iovec iov[MAX_FRAMES];
	static struct mmsghdr msg[BATCH];
	char err[PCAP_ERRBUF_SIZE];
	struct sockaddr_ll sll;
	struct pcap_pkthdr *h;
	const u_char *data;
	double pps, secs;
	int64_t start, end, tick, now;
	uint64_t sent = 0, due;
	size_t nframes = 0, next = 0, i, n;
	struct timespec ts;
	pcap_t *in;
	int fd, k;

	if (argc != 5) {
		fprintf(stderr, "usage: pcapreplay IFACE FILE PPS SECONDS "
		                "(PPS 0: as fast as possible)\n");
		return 2;
	}
	pps = strtod(argv[3], NULL);
	secs = strtod(argv[4], NULL);
	in = pcap_open_offline(argv[2], err);
	if (in == NULL) {
		fprintf(stderr, "pcapreplay: %s\n", err);
		return 1;
	}
	while (nframes < MAX_FRAMES && pcap_next_ex(in, &h, &data) == 1) {
		iov[nframes].iov_base = malloc(h->caplen);
		if (iov[nframes].iov_base == NULL)
			return 1;
		memcpy(iov[nframes].iov_base, data, h->caplen);
		iov[nframes].iov_len = h->caplen;
		nframes++;
	}
	pcap_close(in);
	if (nframes == 0) {
		fprintf(stderr, "pcapreplay: %s: no frames\n", argv[2]);
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only */
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (fd < 0 || sll.sll_ifindex == 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(
		    stderr, "pcapreplay: %s: %s\n", argv[1], strerror(errno));
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
		          : sent + 4 * BATCH;
		while (sent < due) {
			n = due - sent < BATCH ? due - sent : BATCH;
			for (i = 0; i < n; i++) {
				memset(&msg[i], 0, sizeof(msg[i]));
				msg[i].msg_hdr.msg_iov = &iov[next];
				msg[i].msg_hdr.msg_iovlen = 1;
				next = (next + 1) % nframes;
			}
			k = sendmmsg(fd, msg, (unsigned)n, 0);
			if (k < 0 && errno != ENOBUFS && errno != EAGAIN) {
				fprintf(stderr, "pcapreplay: send: %s\n",
				    strerror(errno));
				return 1;
			}
			/* Frames the kernel refused are not counted as sent. */
			sent += k > 0 ? (uint64_t)k : 0;
			if (k < (int)n)
				next = (next + nframes -
				           (n - (k > 0 ? (size_t)k : 0))) %
				       nframes;
			if (k <= 0)
				break;
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
	close(fd);
	return 0;
}
