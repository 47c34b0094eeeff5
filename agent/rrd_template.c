// SPDX-License-Identifier: MIT
/*
 * `HELPER __rrd-create FILE STEP START DS/RRA...`: librrd makes one file,
 * the template the RRD writer copies new files from (rrd_file.c). It runs
 * in a short-lived process so that librrd's in-memory image of the file
 * (3.3 MB for a 1 s series) is never in the agent's. This file needs only
 * librrd and libc: the chokepoint-rrd-create helper (agent/rrdhelper/) is
 * it and a main(), and loads none of the agent's other libraries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "rrd.h"
#include <rrd.h>

const char *
store_rrd_error(void)
{
	const char *e = rrd_get_error();

	/* A failed write leaves librrd's message empty. */
	if (e && *e)
		return e;
	return errno ? strerror(errno) : "librrd gave no reason";
}

int
store_create_main(int argc, char **argv)
{
	long long step, start;
	char *end;

	if (argc < 4) {
		fprintf(stderr, "usage: chokepoint __rrd-create FILE STEP "
		                "START DS/RRA...\n");
		return 2;
	}
	step = strtoll(argv[1], &end, 10);
	if (*end || step < 1) {
		fprintf(stderr, "chokepoint __rrd-create: bad step '%s'\n",
		    argv[1]);
		return 2;
	}
	start = strtoll(argv[2], &end, 10);
	if (*end || start < 0) {
		fprintf(stderr, "chokepoint __rrd-create: bad start '%s'\n",
		    argv[2]);
		return 2;
	}
	rrd_clear_error();
	errno = 0;
	if (rrd_create_r(argv[0], (unsigned long)step, (time_t)start, argc - 3,
	        (const char **)argv + 3) != 0) {
		const char *e = rrd_get_error();
		char *dir = strdup(argv[0]), *slash = strrchr(dir, '/');
		struct statvfs sv;

		if (e && *e) {
			fprintf(stderr, "chokepoint __rrd-create: %s: %s\n",
			    argv[0], e);
		} else {
			/* A failed write: librrd's cleanup leaves errno from
			 * an unlink of what it already removed. */
			if (slash)
				*slash = '\0';
			if (statvfs(slash ? (*dir ? dir : "/") : ".", &sv) == 0)
				fprintf(stderr,
				    "chokepoint __rrd-create: %s: writing it "
				    "failed (%llu kB free on its filesystem)\n",
				    argv[0],
				    (unsigned long long)sv.f_bavail *
				        sv.f_frsize / 1024);
			else
				fprintf(stderr,
				    "chokepoint __rrd-create: %s: writing it "
				    "failed\n",
				    argv[0]);
		}
		free(dir);
		return 1;
	}
	return 0;
}
