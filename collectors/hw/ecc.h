/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the ecc collector's files: the per-DIMM state the
 * sysfs reader fills and the rasdaemon reconciliation consumes.
 */
#ifndef CHOKEPOINT_ECC_H
#define CHOKEPOINT_ECC_H

#include <stdint.h>

#include "plugin.h"

struct sbuf_lite {
	char s[512];
	size_t len;
};

struct ecc_dimm {
	char key[96]; /* "mc0/dimm3": identity across runs */
	char mc[16];  /* "mc0" */
	int mc_index;
	char dimm[48]; /* "dimm3", "rank0", "csrow0_ch1", "csrow0", "noinfo" */
	char label[128];    /* dimm_label, may be "" */
	char location[128]; /* dimm_location, may be "" */
	int layers[3];      /* numbers of dimm_location, for rasdaemon */
	int nlayers;
	int has_ce, has_ue;
	uint64_t ce, ue;           /* this read */
	uint64_t base_ce, base_ue; /* already reported */
	int have_base;
	int seen;
	/* Increases seen in sysfs not yet matched by rasdaemon records. */
	uint64_t ras_pending;
	/* Detail from rasdaemon records matched in this run. */
	struct sbuf_lite ras_detail;
	struct {
		int64_t t_ms;
		uint64_t n;
	} hist[32]; /* corrected increases inside the rate window */
	size_t nhist;
};

struct ecc_ras;

/* rasdaemon reconciliation (ecc_ras.c). */
struct ecc_ras *ecc_ras_new(const char *path);
void ecc_ras_free(struct ecc_ras *r);
/* The last record id handled; -1 before the first successful read. */
int64_t ecc_ras_last_id(const struct ecc_ras *r);
void ecc_ras_set_last_id(struct ecc_ras *r, int64_t id);
/*
 * Read records newer than the last id, match each to a DIMM (by label,
 * else by memory controller and layer numbers), consume the DIMM's
 * ras_pending or report the excess as events. On the very first read the
 * existing history is skipped (sysfs counts since boot cover it). Returns
 * the number of records read or a negative errno.
 */
int ecc_ras_poll(
    struct ecc_ras *r, struct cp_ctx *ctx, struct ecc_dimm *d, size_t n);

#endif
