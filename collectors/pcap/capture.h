/* SPDX-License-Identifier: MIT */
/*
 * libpcap handles feeding the analyzer: a capture file read to the end
 * (`chokepoint pcap FILE`), or a live interface read in non-blocking
 * batches (the pcap collector), with the kernel's drop counters.
 */
#ifndef CHOKEPOINT_PCAP_CAPTURE_H
#define CHOKEPOINT_PCAP_CAPTURE_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer.h"

/*
 * Read every packet of file (filter: BPF expression or NULL) into an as
 * interface 0, then count the SYNs still unanswered. Returns 0, or -1 with
 * a message naming the file in err.
 */
int capture_file(struct analyzer *an, const char *file, const char *filter,
    char *err, size_t errlen);

/*
 * Open iface for live capture: snaplen, kernel buffer, immediate mode,
 * non-blocking, nanosecond timestamps where available, filter compiled
 * and set. NULL with a message in err.
 */
pcap_t *capture_open_live(const char *iface, int snaplen, int buffer_mb,
    const char *filter, char *err, size_t errlen);

/*
 * Process up to max packets ready on p (non-blocking). Returns the number
 * processed, or -1 with pcap_geterr(p) describing the failure.
 */
int capture_dispatch(pcap_t *p, struct analyzer *an, unsigned iface, int max);

#endif
