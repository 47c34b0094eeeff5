/* SPDX-License-Identifier: MIT */
/*
 * Options of the pcap collector (config `collectors.pcap`), read through
 * the plugin ABI's cp_cfg accessors so the collector and `chokepoint pcap
 * -c FILE` share one reader: interfaces, ports, vips, filter, user,
 * top_talkers, snaplen, buffer_mb, flow_memory_mb, syn_timeout,
 * idle_timeout.
 */
#ifndef CHOKEPOINT_PCAP_OPTIONS_H
#define CHOKEPOINT_PCAP_OPTIONS_H

#include <stddef.h>

#include "analyzer.h"
#include "plugin.h"

struct pcap_opts {
	struct an_cfg an;
	char *ifaces[AN_MAX_IFACES]; /* default: "any" */
	size_t nifaces;
	char *filter; /* NULL: built from ports and vips */
	char *user;   /* NULL: keep the process's identity */
	size_t top_n; /* talkers reported per interval */
	int snaplen;
	int buffer_mb;
};

/* Defaults (see the header of collectors/pcap.c). */
void pcap_opts_init(struct pcap_opts *o);
void pcap_opts_fini(struct pcap_opts *o);
/*
 * Read node (may be NULL) into o. Every problem is recorded with
 * cp_cfg_error() at its node; returns 0 or -EINVAL.
 */
int pcap_opts_parse(struct pcap_opts *o, const struct cp_cfg *node);
/*
 * The BPF expression to capture with: the configured filter, or one built
 * from the ports and VIPs, with and without a VLAN tag. Heap string.
 */
char *pcap_opts_filter(const struct pcap_opts *o);

#endif
