/* SPDX-License-Identifier: MIT */
/*
 * The `chokepoint pcap` subcommand: offline traffic analysis of a capture
 * file with the pcap collector's engine (collectors/pcap/).
 */
#ifndef CHOKEPOINT_PCAP_CMD_H
#define CHOKEPOINT_PCAP_CMD_H

/* argv[0] is "pcap". Returns the process exit status (0, 1 bad input or
 * file, 2 usage). */
int pcap_cmd_main(int argc, char **argv);

#endif
