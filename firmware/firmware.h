/* SPDX-License-Identifier: MIT */
/*
 * Firmware inventory, its change log and the baseline drift check. Host
 * components are read from sysfs/procfs (and the ethtool ioctl) by
 * fw_host_scan(), which the `firmware` collector and `chokepoint firmware`
 * share. Everything stored as inventory of kind "firmware" (the host's and
 * the SNMP devices' ENTITY-MIB revisions alike) goes through
 * firmware_inventory_hook() on its way into SQLite: the log records each
 * change once, the baseline marks drift, both raise events.
 */
#ifndef CHOKEPOINT_FIRMWARE_H
#define CHOKEPOINT_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

struct config;
struct cfg_errs;
struct db;

/* ------------------------------------------------------------ inventory */

/* One component. Empty strings where the source has nothing. */
struct fw_item {
	char kind[32]; /* bios board system nic disk bmc os cpu_microcode */
	char name[64]; /* BIOS, eno1, nvme0, sda, BMC, kernel, cpu */
	char vendor[128];
	char model[192];
	char version[128]; /* firmware version (release for the kernel) */
	char serial[128];
	char detail[256];        /* date, driver and its version, bus... */
	char driver_version[64]; /* NICs: the driver's own version */
};

struct fw_list {
	struct fw_item *v;
	size_t n, cap;
};

void fw_list_free(struct fw_list *l);

/* Called for each malformed attribute: its path and a negative errno
 * (-ENODATA empty, -EINVAL garbage). */
typedef void (*fw_warn_fn)(void *arg, const char *path, int err);

/*
 * Read the host's firmware inventory from the sysfs and procfs roots.
 * live: the roots are the running kernel's (ask NIC drivers with the
 * ETHTOOL_GDRVINFO ioctl; with fixture roots the interfaces named there do
 * not exist here). Never fails: missing parts are just absent.
 */
void fw_host_scan(const char *sysfs, const char *procfs, int live,
    struct fw_list *out, fw_warn_fn warn, void *warn_arg);

/* The NIC driver and firmware through SIOCETHTOOL; 0 or -errno. */
int fw_ethtool_drvinfo(const char *ifname, char *driver, size_t dsize,
    char *version, size_t vsize, char *fw, size_t fsize, char *bus,
    size_t bsize);

/*
 * A list as inventory items: key "KIND:NAME" ("disk:SERIAL" for disks
 * with a serial), attributes kind, name, driver_version,
 * vendor, model, version, serial, detail. Strings point into the list,
 * which must outlive it.
 */
struct fw_items {
	struct cp_inventory_item *items;
	struct cp_label *attrs;
	char **keys;
	size_t n;
};
void fw_items_build(const struct fw_list *l, struct fw_items *out);
void fw_items_fini(struct fw_items *it);

/* ------------------------------------------------------------- baseline */

struct fw_rule {
	char *kind;      /* glob */
	char *model;     /* glob, "*" when not given */
	char **versions; /* globs: any may match */
	size_t nversions;
};

struct fw_config {
	struct fw_rule *rules;
	size_t nrules;
	int drift_event; /* default 1 */
};

/*
 * Read the top-level `firmware:` section of cfg (absent: no baseline):
 *   firmware:
 *     baseline:
 *       - {kind: bios, model: "PowerEdge R6*", version: "2.1*"}
 *       - {kind: nic, model: "i40e*", version: ["8.*", "9.*"]}
 *     drift_event: true
 * Errors name FILE:LINE:COL and go to errs. Returns 0 or -EINVAL.
 */
int fw_config_parse(
    const struct config *cfg, struct fw_config *out, struct cfg_errs *errs);
void fw_config_fini(struct fw_config *fc);

enum fw_status {
	FW_UNCHECKED = 0, /* no rule for this kind/model */
	FW_OK = 1,
	FW_DRIFT = 2,
};

/* Check one component; *expected (may be NULL) gets "2.1*, 2.2*" for a
 * drift, in buf. */
enum fw_status fw_baseline_check(const struct fw_config *fc, const char *kind,
    const char *model, const char *version, char *expected, size_t size);
const char *fw_status_name(enum fw_status s);

/* ------------------------------------------------------------ change log */

/*
 * Observe the firmware inventory of target (items as stored under kind
 * "firmware"): record new versions in the log (once per change, with the
 * old and new version and when first seen), update drift state, and add
 * "firmware" and "drift" events. Returns the number of changes or -errno.
 */
int fwlog_observe(struct db *db, const struct fw_config *fc, const char *target,
    const struct cp_inventory_item *items, size_t n, int64_t now_ms);

/*
 * The agent's inventory sink calls this for every put; it acts on kind
 * "firmware" only (baseline from cfg's `firmware:` section, parsed once
 * per config). Returns what fwlog_observe() returns, 0 for other kinds.
 */
int firmware_inventory_hook(struct db *db, const struct config *cfg,
    const char *target, const char *kind, const struct cp_inventory_item *items,
    size_t n);

/* ---------------------------------------------------------------- report */

/*
 * The firmware report as JSON (for /api/v1/firmware and `--json`):
 * {"components": [...], "changes": [...], "drift": N}, each component with
 * its target, kind, name, vendor, model, version, serial, detail,
 * first_seen_ms, status (ok | drift | unchecked) and expected versions.
 * target NULL: every target. Heap string, NULL on a database error.
 */
char *firmware_report_json(
    struct db *db, const struct fw_config *fc, const char *target);

/*
 * The same for /api/v1/firmware in the running agent: the baseline is
 * cfg's `firmware:` section, parsed once per config (shared with
 * firmware_inventory_hook()). Thread-safe. Heap string or NULL.
 */
char *firmware_api_json(
    struct db *db, const struct config *cfg, const char *target);

/* `chokepoint firmware [-c FILE] [--json]`. */
int firmware_cmd_main(int argc, char **argv);

#endif
