// SPDX-License-Identifier: MIT
/*
 * Helpers for the SNMP collectors (see sutil.h): the agent's own util
 * functions are not exported to plugins.
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectors/snmp/sutil.h"

static void
oom(void)
{
	fputs("chokepoint: snmp: out of memory\n", stderr);
	abort();
}

void *
s_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *
s_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *
s_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *
s_strdup(const char *s)
{
	return s_strndup(s, strlen(s));
}

char *
s_strndup(const char *s, size_t n)
{
	char *p = s_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
s_grow(void *v, size_t *cap, size_t n, size_t esz)
{
	void **pp = v;
	size_t c = *cap;
	if (n < c)
		return;
	c = c ? c * 2 : 8;
	while (c <= n)
		c *= 2;
	*pp = s_realloc(*pp, c * esz);
	*cap = c;
}

int64_t
s_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
s_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
s_glob(const char *pattern, const char *s)
{
	return fnmatch(pattern, s, 0) == 0;
}

char *
s_printable(const unsigned char *p, size_t len)
{
	char *out;
	size_t i;

	while (len > 0 && (p[len - 1] == '\0' || p[len - 1] == ' ' ||
	                      p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	out = s_malloc(len + 1);
	for (i = 0; i < len; i++)
		out[i] = p[i] < 0x20 || p[i] == 0x7f ? ' ' : (char)p[i];
	out[len] = '\0';
	return out;
}

int
s_parse_bps(const char *s, uint64_t *bps)
{
	char *end;
	double v, mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1e3;
		end++;
		break;
	case 'M':
		mul = 1e6;
		end++;
		break;
	case 'G':
		mul = 1e9;
		end++;
		break;
	case 'T':
		mul = 1e12;
		end++;
		break;
	}
	if (*end != '\0' && strcmp(end, "bps") != 0 && strcmp(end, "b") != 0)
		return -EINVAL;
	v *= mul;
	if (v > 1e15)
		return -EINVAL;
	*bps = (uint64_t)(v + 0.5);
	return 0;
}
