// SPDX-License-Identifier: MIT
/*
 * EDAC sysfs for the ecc collector: one memory controller's directory
 * (SYSFS/devices/system/edac/mc/mcN) into its counters and the per-DIMM
 * counts of struct ecc_dimm, whichever layout the kernel shows (dimmN,
 * rankN, legacy csrowN/chN). ecc.c turns the counts into samples and
 * events; malformed files are gathered in the collector's badattr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/hw/badattr.h"
#include "collectors/hw/ecc.h"
#include "firmware/hwsys.h"
#include "plugin.h"

static struct ecc_dimm *
dimm_get(struct ecc_state *st, const char *mc, const char *name)
{
	char key[96];

	snprintf(key, sizeof(key), "%s/%s", mc, name);
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->d[i].key, key) == 0)
			return &st->d[i];
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->d = realloc(st->d, st->cap * sizeof(*st->d));
		if (!st->d)
			abort();
	}
	struct ecc_dimm *d = &st->d[st->n++];

	memset(d, 0, sizeof(*d));
	snprintf(d->key, sizeof(d->key), "%s", key);
	snprintf(d->mc, sizeof(d->mc), "%s", mc);
	snprintf(d->dimm, sizeof(d->dimm), "%s", name);
	d->mc_index = (int)strtol(mc + 2, NULL, 10);
	/* Counts this boot already reported before a restart. */
	for (size_t i = 0; i < st->nold; i++)
		if (strcmp(st->old[i].key, key) == 0) {
			d->base_ce = st->old[i].ce;
			d->base_ue = st->old[i].ue;
			break;
		}
	d->have_base = 1;
	return d;
}

/*
 * Read one counter; a missing file is normal (older kernels lack
 * dimm_ue_count...), anything else is reported with its path.
 */
static int
read_count(
    struct cp_ctx *ctx, struct ecc_state *st, const char *path, uint64_t *v)
{
	int r = hw_read_u64(path, 10, v);

	if (r == 0 || r == -ENOENT)
		return r;
	badattr_add(&st->bad, ctx, path, r);
	return r;
}

static void
read_text(const char *path, char *buf, size_t size)
{
	if (hw_read_str(path, buf, size) < 0)
		buf[0] = '\0';
}

/* "branch 0 channel 1 slot 0 " -> {0, 1, 0} */
static void
parse_layers(struct ecc_dimm *d)
{
	const char *p = d->location;

	d->nlayers = 0;
	while (*p && d->nlayers < 3) {
		char *e;
		long v;

		while (*p && (*p < '0' || *p > '9'))
			p++;
		if (!*p)
			break;
		v = strtol(p, &e, 10);
		d->layers[d->nlayers++] = (int)v;
		p = e;
	}
}

/* The dimmN and rankN layouts (kernel 3.6+; rankN when the driver is csrow
 * based). dimm_ce_count/dimm_ue_count appeared later than the dirs. */
static int
read_dimms(struct cp_ctx *ctx, struct ecc_state *st, const char *mcdir,
    const char *mc, const char *prefix)
{
	char **names, path[4096];
	int n = hw_list(mcdir, prefix, &names), found = 0;

	for (int i = 0; i < n; i++) {
		struct ecc_dimm *d;
		uint64_t v;
		char *e;

		strtol(names[i] + strlen(prefix), &e, 10);
		if (*e || e == names[i] + strlen(prefix))
			continue; /* not dimmN / rankN */
		d = dimm_get(st, mc, names[i]);
		d->seen = 1;
		found++;
		if (hw_path(path, sizeof(path), "%s/%s/dimm_label", mcdir,
		        names[i]) == 0)
			read_text(path, d->label, sizeof(d->label));
		if (hw_path(path, sizeof(path), "%s/%s/dimm_location", mcdir,
		        names[i]) == 0)
			read_text(path, d->location, sizeof(d->location));
		parse_layers(d);
		d->has_ce = d->has_ue = 0;
		if (hw_path(path, sizeof(path), "%s/%s/dimm_ce_count", mcdir,
		        names[i]) == 0 &&
		    read_count(ctx, st, path, &v) == 0) {
			d->ce = v;
			d->has_ce = 1;
		}
		if (hw_path(path, sizeof(path), "%s/%s/dimm_ue_count", mcdir,
		        names[i]) == 0 &&
		    read_count(ctx, st, path, &v) == 0) {
			d->ue = v;
			d->has_ue = 1;
		}
	}
	if (n > 0)
		hw_names_free(names, n);
	return found;
}

/* The legacy csrow layout: ch*_ce_count per channel, ue_count per csrow. */
static int
read_csrows(
    struct cp_ctx *ctx, struct ecc_state *st, const char *mcdir, const char *mc)
{
	char **rows, path[4096];
	int n = hw_list(mcdir, "csrow", &rows), found = 0;

	for (int i = 0; i < n; i++) {
		char dir[4096], **chans, name[48];
		int nc;
		uint64_t v;
		struct ecc_dimm *row;
		size_t ri;

		if (hw_path(dir, sizeof(dir), "%s/%s", mcdir, rows[i]) < 0)
			continue;
		row = dimm_get(st, mc, rows[i]);
		ri = (size_t)(row - st->d);
		row->seen = 1;
		found++;
		row->has_ce = row->has_ue = 0;
		row->label[0] = '\0';
		snprintf(row->location, sizeof(row->location), "%s", rows[i]);
		parse_layers(row);
		if (hw_path(path, sizeof(path), "%s/ue_count", dir) == 0 &&
		    read_count(ctx, st, path, &v) == 0) {
			row->ue = v;
			row->has_ue = 1;
		}
		nc = hw_list(dir, "ch", &chans);
		for (int j = 0; j < nc; j++) {
			size_t l = strlen(chans[j]);
			struct ecc_dimm *d;
			char chan[16];

			if (l < 10 || strcmp(chans[j] + l - 9, "_ce_count"))
				continue;
			snprintf(
			    chan, sizeof(chan), "%.*s", (int)(l - 9), chans[j]);
			snprintf(name, sizeof(name), "%s_%s", rows[i], chan);
			d = dimm_get(st, mc, name);
			/* dimm_get() may have moved the array. */
			row = &st->d[ri];
			d->seen = 1;
			d->has_ue = 0;
			d->has_ce = 0;
			if (hw_path(path, sizeof(path), "%s/%s_dimm_label", dir,
			        chan) == 0)
				read_text(path, d->label, sizeof(d->label));
			snprintf(d->location, sizeof(d->location),
			    "csrow %s channel %s", rows[i] + 5, chan + 2);
			parse_layers(d);
			if (hw_path(path, sizeof(path), "%s/%s", dir,
			        chans[j]) == 0 &&
			    read_count(ctx, st, path, &v) == 0) {
				d->ce = v;
				d->has_ce = 1;
			}
			/* The csrow's UE belongs to all its channels. */
			if (row->label[0] == '\0' && d->label[0])
				snprintf(row->label, sizeof(row->label), "%s",
				    d->label);
		}
		if (nc > 0)
			hw_names_free(chans, nc);
	}
	if (n > 0)
		hw_names_free(rows, n);
	return found;
}

int
ecc_edac_read_mc(
    struct cp_ctx *ctx, struct ecc_state *st, const char *root, const char *mc)
{
	char dir[4096], path[4096];
	struct cp_label l[1] = {{"mc", mc}};
	static const struct {
		const char *file, *metric, *help;
	} mcc[] = {
	    {"ce_count", "ecc_mc_corrected_total",
	        "Corrected memory errors of the memory controller since boot"},
	    {"ue_count", "ecc_mc_uncorrected_total",
	        "Uncorrected memory errors of the memory controller since "
	        "boot"},
	};
	uint64_t v;
	int found;

	if (hw_path(dir, sizeof(dir), "%s/%s", root, mc) < 0)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < sizeof(mcc) / sizeof(mcc[0]); i++)
		if (hw_path(path, sizeof(path), "%s/%s", dir, mcc[i].file) ==
		        0 &&
		    read_count(ctx, st, path, &v) == 0)
			ecc_emit_counter(
			    ctx, mcc[i].metric, mcc[i].help, l, 1, v);

	/* Errors the driver could not pin to a DIMM: a pseudo-DIMM. */
	struct ecc_dimm *ni = NULL;

	if (hw_path(path, sizeof(path), "%s/ce_noinfo_count", dir) == 0 &&
	    read_count(ctx, st, path, &v) == 0) {
		ni = dimm_get(st, mc, "noinfo");
		ni->ce = v;
		ni->has_ce = 1;
	}
	if (hw_path(path, sizeof(path), "%s/ue_noinfo_count", dir) == 0 &&
	    read_count(ctx, st, path, &v) == 0) {
		if (!ni)
			ni = dimm_get(st, mc, "noinfo");
		ni->ue = v;
		ni->has_ue = 1;
	}
	if (ni) {
		ni->seen = 1;
		snprintf(ni->label, sizeof(ni->label), "%s", "unknown DIMM");
	}

	/* Kernels with EDAC_LEGACY_SYSFS show csrow* beside dimm*: prefer
	 * the per-DIMM view and never count an error twice. */
	found = read_dimms(ctx, st, dir, mc, "dimm");
	if (found == 0)
		found = read_dimms(ctx, st, dir, mc, "rank");
	if (found == 0)
		found = read_csrows(ctx, st, dir, mc);
	if (found == 0)
		cp_log_warnx(ctx, "%s: no dimm*, rank* or csrow* entries", dir);
	return 0;
}
