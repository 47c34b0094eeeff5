// SPDX-License-Identifier: MIT
/*
 * The firmware collector: the host's firmware inventory (firmware/host.c:
 * DMI, NICs via ethtool, NVMe/SCSI disks, BMC, kernel, microcode) stored
 * as inventory kind "firmware". The agent's store runs every such put
 * through the firmware change log and the baseline check, so this file
 * only reads and reports. Firmware changes at reboots, not every ten
 * seconds: a scan runs at start and then every `rescan` (default 1h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/firmware.h"
#include "firmware/hwsys.h"
#include "plugin.h"

struct fw_state {
	int64_t rescan_ms;
	int64_t last_ms;
	int scanned;
	char bad[1024]; /* malformed attributes of this scan */
	size_t badlen;
	unsigned nbad;
	struct cp_ctx *ctx;
};

static int
fwc_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **out)
{
	struct fw_state *st = calloc(1, sizeof(*st));

	(void)ctx;
	if (!st)
		abort();
	st->rescan_ms = 3600 * 1000LL;
	if (cp_cfg_duration(cfg, "rescan", &st->rescan_ms) == -EINVAL) {
		free(st);
		return -EINVAL;
	}
	*out = st;
	return 0;
}

static int
fwc_start(struct cp_ctx *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	return 0;
}

static void
fwc_stop(void *arg)
{
	free(arg);
}

static void
warn_cb(void *arg, const char *path, int err)
{
	struct fw_state *st = arg;
	int n;

	cp_count_error(st->ctx);
	st->nbad++;
	if (st->badlen >= sizeof(st->bad) - 1)
		return;
	n = snprintf(st->bad + st->badlen, sizeof(st->bad) - st->badlen,
	    "%s%s: %s", st->badlen ? "; " : "", path,
	    err == -ENODATA  ? "empty"
	    : err == -EINVAL ? "malformed"
	                     : strerror(-err));
	if (n > 0)
		st->badlen += (size_t)n;
	if (st->badlen >= sizeof(st->bad))
		st->badlen = sizeof(st->bad) - 1;
}

static int
fwc_collect(struct cp_ctx *ctx, void *arg)
{
	struct fw_state *st = arg;
	char sys[PATH_MAX], proc[PATH_MAX], real[PATH_MAX];
	struct fw_list l = {0};
	struct fw_items it = {0};
	int64_t now = cp_now_ms(ctx);
	int live;

	if (st->scanned && now - st->last_ms < st->rescan_ms)
		return 0;
	if (!cp_path(ctx, CP_SYSFS, ".", sys, sizeof(sys)) ||
	    !cp_path(ctx, CP_PROCFS, ".", proc, sizeof(proc)))
		return -ENAMETOOLONG;
	live = realpath(sys, real) && strcmp(real, "/sys") == 0;
	st->ctx = ctx;
	st->badlen = 0;
	st->nbad = 0;
	st->bad[0] = '\0';
	fw_host_scan(sys, proc, live, &l, warn_cb, st);
	if (st->nbad)
		cp_log_warnx(
		    ctx, "malformed sysfs content (%u): %s", st->nbad, st->bad);
	fw_items_build(&l, &it);
	if (cp_inventory_put(ctx, NULL, "firmware", it.items, it.n) < 0)
		cp_log_warnx(ctx, "storing the firmware inventory failed");
	{
		struct cp_sample s = {
		    .metric = "firmware_components",
		    .help = "Firmware components in the host inventory",
		    .kind = CP_GAUGE,
		    .value = (double)l.n,
		};

		cp_emit(ctx, &s);
	}
	fw_items_fini(&it);
	fw_list_free(&l);
	st->scanned = 1;
	st->last_ms = now;
	return 0;
}

CP_EXPORT const struct cp_collector cp_collector = {
    .abi = CP_ABI_VERSION,
    .name = "firmware",
    .configure = fwc_configure,
    .start = fwc_start,
    .collect = fwc_collect,
    .stop = fwc_stop,
};
