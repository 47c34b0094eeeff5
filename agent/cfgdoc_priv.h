/* SPDX-License-Identifier: MIT */
/*
 * Inside the config document: the node tree that cfgdoc.c builds from
 * libfyaml's events and cfg_node.c reads for the cp_cfg_* accessors of
 * plugin.h. Not for other modules.
 */
#ifndef CHOKEPOINT_CFGDOC_PRIV_H
#define CHOKEPOINT_CFGDOC_PRIV_H

#include <stddef.h>

#include "config.h"

enum cfg_type { CFG_NULL, CFG_SCALAR, CFG_MAP, CFG_SEQ };

struct cp_cfg {
	enum cfg_type type;
	char *text; /* scalar text ("" for null) */
	int line, col;
	struct cfgdoc *doc;
	size_t n;
	char **keys;            /* CFG_MAP */
	struct cp_cfg **knodes; /* CFG_MAP: key nodes, for positions */
	struct cp_cfg **vals;   /* CFG_MAP values, CFG_SEQ items */
	unsigned char *used;    /* CFG_MAP: key asked for */
};

struct cfgdoc {
	char *file;
	struct cfg_errs *errs;
	struct cp_cfg *root;
};

#endif
