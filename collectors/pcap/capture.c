// SPDX-License-Identifier: MIT
/*
 * The libpcap side of traffic analysis: opening files and interfaces,
 * compiling filters and handing each frame to analyzer_packet() with its
 * timestamp in nanoseconds.
 */
#include <stdio.h>
#include <string.h>

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

int
capture_file(struct analyzer *an, const char *file, const char *filter,
    char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct dispatch_arg a;
	int64_t last = 0;
	pcap_t *p;
	int rc;

	p = pcap_open_offline_with_tstamp_precision(
	    file, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (p == NULL) {
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
