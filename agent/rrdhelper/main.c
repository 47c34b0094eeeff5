// SPDX-License-Identifier: MIT
/*
 * chokepoint-rrd-create: the RRD writer runs it to make a file template
 * (agent/rrd_template.c), with the same arguments `chokepoint __rrd-create`
 * takes. Linked with librrd's archive and libc only, it makes a 10 s
 * series' template with 1.2-1.7 ms of CPU where the agent binary, which
 * loads gnutls, SQLite and libmicrohttpd first, takes 3.3-4.4 ms
 * (bench/README.md, "Host collection cost", session 9).
 */
#include <stdio.h>
#include <string.h>

#include "../rrd.h"

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "__rrd-create") != 0) {
		fprintf(stderr,
		    "chokepoint-rrd-create: internal helper of the "
		    "chokepoint agent; usage: chokepoint-rrd-create "
		    "__rrd-create FILE STEP START DS/RRA...\n");
		return 2;
	}
	return store_create_main(argc - 2, argv + 2);
}
