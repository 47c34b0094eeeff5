// SPDX-License-Identifier: MIT
/*
 * The libpcap side of traffic analysis: opening files and interfaces,
 * compiling filters and handing each frame to analyzer_packet() with its
 * timestamp in nanoseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "pkt.h"

struct dispatch_arg {
	struct analyzer *an;
	unsigned iface;
	int linktype;
	int nano;
};

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct dispatch_arg *a = (struct dispatch_arg *)user;
	int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 +
	             (int64_t)h->ts.tv_usec * (a->nano ? 1 : 1000);

	analyzer_packet(
	    a->an, a->iface, ts, a->linktype, data, h->caplen, h->len);
}

static int
set_filter(
    pcap_t *p, const char *filter, char *err, size_t errlen, const char *what)
{
	struct bpf_program prog;

	if (filter == NULL || *filter == '\0')
		return 0;
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "%s: filter '%s': %s", what, filter,
		    pcap_geterr(p));
		return -1;
	}
	if (pcap_setfilter(p, &prog) < 0) {
		snprintf(err, errlen, "%s: setting filter: %s", what,
		    pcap_geterr(p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

/* Mapped bytes given back once read (a multiple of the page size). */
#define RELEASE_STEP (4u << 20)
/* Largest record libpcap itself accepts (MAXIMUM_SNAPLEN). */
#define MAX_RECORD 262144u

static uint32_t
rd32_order(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* Map one window ahead in a single call rather than page fault by page
 * fault (MADV_POPULATE_READ, Linux 5.14; older kernels just fault). */
static void
populate(const uint8_t *m, size_t size, size_t from)
{
#ifdef MADV_POPULATE_READ
	if (from < size)
		madvise((void *)(m + from),
		    size - from < RELEASE_STEP ? size - from : RELEASE_STEP,
		    MADV_POPULATE_READ);
#else
	(void)m;
	(void)size;
	(void)from;
#endif
}

/*
 * Classic pcap files without a filter, read through mmap: no copy out of
 * the page cache, which is most of the cost of reading a large capture.
 * Returns 1 when it handled the file (0 on success, or -1 with err set
 * in *rc), 0 to leave the file to libpcap (pcapng, odd sizes).
 */
static int
mapped_file(
    struct analyzer *an, const char *file, char *err, size_t errlen, int *rc)
{
	const uint8_t *m, *r;
	struct stat st;
	uint32_t magic, caplen, wirelen;
	int fd, swap, nano, linktype;
	int64_t ts, last = 0;
	size_t off = 24, released = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 24) {
		close(fd);
		return 0;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;
	memcpy(&magic, m, 4);
	swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	nano = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
	if (!swap && !nano && magic != 0xa1b2c3d4u) {
		munmap((void *)m, (size_t)st.st_size);
		return 0;
	}
	/* The low 16 bits are the link type; FCS flags sit above. */
	linktype = (int)(rd32_order(m + 20, swap) & 0xffff);
	if (!pkt_linktype_supported(linktype)) {
		munmap((void *)m, (size_t)st.st_size);
		return 0; /* libpcap maps it or names it in its error */
	}
	madvise((void *)m, (size_t)st.st_size, MADV_SEQUENTIAL);
	populate(m, (size_t)st.st_size, 0);
	populate(m, (size_t)st.st_size, RELEASE_STEP);
	*rc = 0;
	while (off < (size_t)st.st_size) {
		r = m + off;
		if ((size_t)st.st_size - off < 16) {
			snprintf(err, errlen,
			    "%s: truncated record header at "
			    "byte %zu",
			    file, off);
			*rc = -1;
			break;
		}
		caplen = rd32_order(r + 8, swap);
		wirelen = rd32_order(r + 12, swap);
		if (caplen > MAX_RECORD) {
			snprintf(err, errlen,
			    "%s: record at byte %zu: capture "
			    "length %u is larger than %u",
			    file, off, caplen, MAX_RECORD);
			*rc = -1;
			break;
		}
		if ((size_t)st.st_size - off - 16 < caplen) {
			snprintf(err, errlen,
			    "%s: truncated record at byte "
			    "%zu: %u bytes announced, %zu present",
			    file, off, caplen, (size_t)st.st_size - off - 16);
			*rc = -1;
			break;
		}
		ts = (int64_t)rd32_order(r, swap) * 1000000000 +
		     (int64_t)rd32_order(r + 4, swap) * (nano ? 1 : 1000);
		analyzer_packet(an, 0, ts, linktype, r + 16, caplen, wirelen);
		last = ts;
		off += 16 + (size_t)caplen;
		/* Drop what was read from our mapping (the page cache keeps
		 * it): resident memory stays a window, not the file. */
		if (off - released >= RELEASE_STEP) {
			madvise((void *)(m + released), RELEASE_STEP,
			    MADV_DONTNEED);
			released += RELEASE_STEP;
			populate(
			    m, (size_t)st.st_size, released + RELEASE_STEP);
		}
	}
	munmap((void *)m, (size_t)st.st_size);
	analyzer_expire(an, last, 1);
	return 1;
}

int
capture_file(struct analyzer *an, const char *file, const char *filter,
    char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct dispatch_arg a;
	int64_t last = 0;
	pcap_t *p;
	FILE *fp;
	int rc;

	if ((filter == NULL || *filter == '\0') &&
	    mapped_file(an, file, err, errlen, &rc))
		return rc;
	fp = fopen(file, "rb");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	/* A large stdio buffer: libpcap reads each record with two
	 * fread()s, and 4 KiB refills would cost a syscall every few
	 * packets. */
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	p = pcap_fopen_offline_with_tstamp_precision(
	    fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (p == NULL) {
		fclose(fp); /* not taken over on failure */
		snprintf(err, errlen, "%s: %s", file, perr);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.an = an;
	a.linktype = pcap_datalink(p);
	a.nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	if (!pkt_linktype_supported(a.linktype)) {
		snprintf(err, errlen, "%s: unsupported link type %s", file,
		    pcap_datalink_val_to_name(a.linktype)
		        ? pcap_datalink_val_to_name(a.linktype)
		        : "?");
		pcap_close(p);
		return -1;
	}
	if (set_filter(p, filter, err, errlen, file) < 0) {
		pcap_close(p);
		return -1;
	}
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;

		rc = pcap_next_ex(p, &h, &data);
		if (rc != 1)
			break;
		last = (int64_t)h->ts.tv_sec * 1000000000 +
		       (int64_t)h->ts.tv_usec * (a.nano ? 1 : 1000);
		analyzer_packet(
		    an, 0, last, a.linktype, data, h->caplen, h->len);
	}
	if (rc == -1) {
		/* A file cut short mid-record: what was read still counts,
		 * but say so. */
		snprintf(err, errlen, "%s: %s", file, pcap_geterr(p));
		pcap_close(p);
		analyzer_expire(an, last, 1);
		return -1;
	}
	pcap_close(p);
	analyzer_expire(an, last, 1);
	return 0;
}

pcap_t *
capture_open_live(const char *iface, int snaplen, int buffer_mb,
    const char *filter, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	int rc;

	p = pcap_create(iface, perr);
	if (p == NULL) {
		snprintf(err, errlen, "%s: %s", iface, perr);
		return NULL;
	}
	pcap_set_snaplen(p, snaplen);
	pcap_set_promisc(p, 0);
	pcap_set_buffer_size(p, buffer_mb << 20);
	/* Immediate mode: the timestamps, not the delivery, carry the
	 * timing, but a batch held back by the kernel would delay the
	 * interval's samples. */
	pcap_set_immediate_mode(p, 1);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(p);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", iface,
		    rc == PCAP_ERROR_PERM_DENIED
		        ? "permission denied (needs root or CAP_NET_RAW)"
		        : pcap_geterr(p));
		pcap_close(p);
		return NULL;
	}
	if (!pkt_linktype_supported(pcap_datalink(p))) {
		snprintf(err, errlen, "%s: unsupported link type %d", iface,
		    pcap_datalink(p));
		pcap_close(p);
		return NULL;
	}
	if (set_filter(p, filter, err, errlen, iface) < 0 ||
	    pcap_setnonblock(p, 1, perr) < 0) {
		if (perr[0])
			snprintf(err, errlen, "%s: %s", iface, perr);
		pcap_close(p);
		return NULL;
	}
	return p;
}

int
capture_dispatch(pcap_t *p, struct analyzer *an, unsigned iface, int max)
{
	struct dispatch_arg a;

	a.an = an;
	a.iface = iface;
	a.linktype = pcap_datalink(p);
	a.nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	return pcap_dispatch(p, max, on_packet, (u_char *)&a);
}
