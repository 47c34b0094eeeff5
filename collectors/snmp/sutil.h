/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the SNMP collectors. Plugins see only the cp_*
 * symbols of the agent, so allocation that aborts on failure and a few
 * string helpers live here, linked into each snmp_* shared object.
 */
#ifndef CHOKEPOINT_SNMP_SUTIL_H
#define CHOKEPOINT_SNMP_SUTIL_H

#include <stddef.h>
#include <stdint.h>

void *s_malloc(size_t n);
void *s_calloc(size_t n, size_t size);
void *s_realloc(void *p, size_t n);
char *s_strdup(const char *s);
char *s_strndup(const char *s, size_t n);
/* Grow *v (element size esz) so that index n fits; *cap is updated. */
void s_grow(void *v, size_t *cap, size_t n, size_t esz);

/* Wall-clock ms and monotonic ns. */
int64_t s_now_ms(void);
int64_t s_mono_ns(void);

/* fnmatch() on port names; pattern syntax of the shell. */
int s_glob(const char *pattern, const char *s);

/* Copy a device string into a printable C string: control bytes become
 * '?', trailing NULs and blanks are dropped. Returns a heap string. */
char *s_printable(const unsigned char *p, size_t len);

/* Parse "10G", "1000M", "100000000", "2.5G" (bit/s). 0 or -EINVAL. */
int s_parse_bps(const char *s, uint64_t *bps);

#endif
