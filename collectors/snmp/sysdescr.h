/* SPDX-License-Identifier: MIT */
/*
 * The OS family and version a device states in sysDescr (outside input:
 * any bytes, any length). Cisco IOS / IOS-XE / NX-OS, Junos, Arista EOS,
 * ArubaOS-CX, ProCurve/ArubaOS-Switch, Dell (OS6/OS9/OS10, PowerConnect),
 * Zyxel, Ubiquiti EdgeSwitch, Linux/BSD kernels, Windows; a generic
 * "Version X" rule for the rest.
 */
#ifndef CHOKEPOINT_SNMP_SYSDESCR_H
#define CHOKEPOINT_SNMP_SYSDESCR_H

#include <stddef.h>

struct sysdescr {
	char os[32];       /* e.g. "IOS-XE", "Junos", "Linux"; "" unknown */
	char version[64];  /* e.g. "17.12.4"; "" when none was found */
	char hardware[64]; /* model when sysDescr names one; else "" */
};

/*
 * Parse len bytes of sysDescr (need not be NUL-terminated). Always fills
 * out (empty strings when unknown); returns 1 when a version was found,
 * else 0.
 */
int sysdescr_parse(const char *descr, size_t len, struct sysdescr *out);

#endif
