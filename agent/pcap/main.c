// SPDX-License-Identifier: MIT
/*
 * chokepoint-pcap: `chokepoint pcap ...` runs this helper (exec), so that
 * libpcap and the traffic engine are loaded only by the command that needs
 * them and never by the agent daemon (0.8 MB of its memory and 9 shared
 * libraries). argv[0] is "pcap", as chokepoint hands it over.
 */
#include "pcap_cmd.h"

int
main(int argc, char **argv)
{
	return pcap_cmd_main(argc, argv);
}
