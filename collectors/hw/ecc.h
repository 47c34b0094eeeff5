/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the ecc collector's files: the collector's state
 * (ecc.c), the per-DIMM state the sysfs reader (ecc_edac.c) fills and the
 * rasdaemon reconciliation (ecc_ras.c) consumes.
 */
#ifndef CHOKEPOINT_ECC_H
#define CHOKEPOINT_ECC_H

#include <stddef.h>
#include <stdint.h>

#include "collectors/hw/badattr.h"
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

struct threshold {
	char *glob; /* matched against the DIMM label, then its key */
	int64_t n;
};

struct stored {
	char key[96];
	uint64_t ce, ue;
};

struct ecc_state {
	int64_t ce_threshold; /* corrected errors per window for a warning */
	int64_t window_ms;
	struct threshold *thr;
	size_t nthr;
	char *ras_path; /* NULL: disabled */
	struct ecc_ras *ras;

	struct ecc_dimm *d;
	size_t n, cap;

	int loaded;         /* stored state read */
	char boot_id[64];   /* this boot */
	struct stored *old; /* counts reported during this boot, from store */
	size_t nold;
	char old_edac[16]; /* "present" / "absent" / "" */
	int absent_logged;
	int dirty;
	struct badattr bad;
};

/*
 * Read the EDAC memory controller mc (an "mcN" directory under root,
 * ecc_edac.c): emit its own counters, add or update its DIMMs in st->d
 * (marked seen) with their counts, and record unreadable files in st->bad.
 * Returns 0 or -ENAMETOOLONG.
 */
int ecc_edac_read_mc(
    struct cp_ctx *ctx, struct ecc_state *st, const char *root, const char *mc);
/* Emit one CP_COUNTER64 sample (ecc.c); cp_emit() copies l. */
void ecc_emit_counter(struct cp_ctx *ctx, const char *metric, const char *help,
    const struct cp_label *l, size_t nl, uint64_t v);

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
