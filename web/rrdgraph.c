// SPDX-License-Identifier: MIT
/*
 * Loads librrd.so on the first graph and calls rrd_graph_v through it. The
 * agent's own librrd (static) never sees these calls: the shared copy has
 * its own error context, hence the error functions here too. The files it
 * reads were flushed by the store first (graph.c).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "rrdgraph.h"

#ifndef CP_LIBRRD_SONAME
#define CP_LIBRRD_SONAME "librrd.so.8"
#endif

static struct {
	rrd_info_t *(*graph_v)(int, char **);
	void (*info_free)(rrd_info_t *);
	void (*clear_error)(void);
	int (*test_error)(void);
	char *(*get_error)(void);
} lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_err[256];

static void *
sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (p == NULL && load_err[0] == '\0')
		snprintf(load_err, sizeof(load_err), "%s: no %s",
		    CP_LIBRRD_SONAME, name);
	return p;
}

static void
load(void)
{
	/* RTLD_LOCAL: its symbols never interpose on the static copy's. */
	void *h = dlopen(CP_LIBRRD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		const char *e = dlerror();
		snprintf(load_err, sizeof(load_err), "%s", e ? e : "dlopen");
		return;
	}
	/* dlsym returns void *; POSIX guarantees the function casts. */
	*(void **)&lib.graph_v = sym(h, "rrd_graph_v");
	*(void **)&lib.info_free = sym(h, "rrd_info_free");
	*(void **)&lib.clear_error = sym(h, "rrd_clear_error");
	*(void **)&lib.test_error = sym(h, "rrd_test_error");
	*(void **)&lib.get_error = sym(h, "rrd_get_error");
	if (load_err[0] != '\0')
		lib.graph_v = NULL;
}

int
rrdgraph_load(char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (lib.graph_v != NULL)
		return 0;
	snprintf(err, errlen, "cannot load librrd for graphs: %s", load_err);
	return -ENOENT;
}

rrd_info_t *
rrdgraph_graph_v(int argc, char **argv)
{
	return lib.graph_v(argc, argv);
}

void
rrdgraph_info_free(rrd_info_t *info)
{
	lib.info_free(info);
}

void
rrdgraph_clear_error(void)
{
	lib.clear_error();
}

int
rrdgraph_test_error(void)
{
	return lib.test_error();
}

const char *
rrdgraph_get_error(void)
{
	return lib.get_error();
}
