/* SPDX-License-Identifier: MIT */
/*
 * librrd's own <rrd.h> and <rrd_client.h>. Our agent/rrd.h (the RRD store)
 * shadows <rrd.h> on the -Iagent include path, so modules that call librrd
 * directly include this instead: include_next skips agent/.
 */
#ifndef CHOKEPOINT_LIBRRD_H
#define CHOKEPOINT_LIBRRD_H

#include_next <rrd.h>
#include <rrd_client.h>

#endif
