// SPDX-License-Identifier: MIT
/*
 * librrd's graph functions, loaded from the shared librrd on the first
 * graph. The agent links librrd's static archive for its files (Makefile,
 * RRD_STATIC); rrd_graph alone would load cairo, pango, fontconfig, X11...
 * (~5 MB of RSS, bench/README.md) into every agent, drawn or not.
 */
#ifndef CP_WEB_RRDGRAPH_H
#define CP_WEB_RRDGRAPH_H

#include <stddef.h>

#include <rrd.h>

/*
 * Loads librrd's shared library once (thread-safe). Returns 0, or -ENOENT
 * with the loader's message in err.
 */
int rrdgraph_load(char *err, size_t errlen);

/* The same-named librrd calls, from the shared library; rrdgraph_load()
 * must have returned 0. Errors are that library's (its rrd_get_error). */
rrd_info_t *rrdgraph_graph_v(int argc, char **argv);
void rrdgraph_info_free(rrd_info_t *info);
void rrdgraph_clear_error(void);
int rrdgraph_test_error(void);
const char *rrdgraph_get_error(void);

#endif
