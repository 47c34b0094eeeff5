// SPDX-License-Identifier: MIT
/*
 * `chokepoint firmware [-c FILE] [--json]`: read this host's firmware
 * inventory now (the configured sysfs/procfs roots), record it in the
 * change log like the running agent does, and print the inventory of every
 * target in the database with baseline status and recent changes.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "firmware/firmware.h"
#include "firmware/report.h"
#include "log.h"
#include "util.h"

static const char usage[] =
    "usage: chokepoint firmware [-c FILE] [--json]\n"
    "\n"
    "Reads this host's firmware inventory (BIOS, board, NICs, disks, BMC,\n"
    "kernel, CPU microcode), records changes in the firmware log, and\n"
    "prints every target's firmware with its baseline status (config\n"
    "section `firmware: {baseline: [...]}`) and the recent changes.\n"
    "\n"
    "  -c, --config FILE   the YAML config (default: embedded defaults)\n"
    "  -j, --json          JSON as served by /api/v1/firmware\n"
    "exit codes: 0 ok, 1 invalid config, 2 database not usable\n";

static void
warn_cb(void *arg, const char *path, int err)
{
	(void)arg;
	fprintf(stderr, "chokepoint: firmware: %s: %s\n", path,
	    err == -ENODATA  ? "empty"
	    : err == -EINVAL ? "malformed"
	                     : strerror(-err));
}

int
firmware_cmd_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	struct cfg_errs errs;
	struct config *cfg = NULL;
	struct fw_config fc = {.drift_event = 1};
	struct fw_list l = {0};
	struct fw_items it = {0};
	struct db *db = NULL;
	char err[512], real[PATH_MAX];
	json_t *rep = NULL;
	int c, json = 0, rc = 0, live;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
		    "chokepoint: firmware: unexpected argument "
		    "'%s'\n",
		    argv[optind]);
		return 2;
	}
	/* Events are in the output's changes; keep stderr for problems. */
	log_set_level(LOG_LVL_WARN);
	cfg_errs_init(&errs);
	cfg = config_load(path, &errs);
	if (cfg)
		fw_config_parse(cfg, &fc, &errs);
	if (!cfg || errs.n) {
		cfg_errs_print(&errs, stderr);
		rc = 1;
		goto out;
	}
	if (mkdir_p(cfg->agent.data_dir) < 0 ||
	    !(db = db_open(cfg->agent.data_dir, err, sizeof(err)))) {
		fprintf(stderr, "chokepoint: firmware: %s: %s\n",
		    cfg->agent.data_dir, db ? "" : err);
		rc = 2;
		goto out;
	}
	/* The ioctl asks the running kernel: only meaningful on its sysfs. */
	live = realpath(cfg->agent.sysfs, real) && strcmp(real, "/sys") == 0;
	fw_host_scan(
	    cfg->agent.sysfs, cfg->agent.procfs, live, &l, warn_cb, NULL);
	fw_items_build(&l, &it);
	fwlog_observe(db, &fc, cfg->agent.hostname, it.items, it.n, now_ms());
	if (db_inventory_put(
	        db, cfg->agent.hostname, "firmware", it.items, it.n) < 0) {
		fprintf(stderr, "chokepoint: firmware: storing the inventory "
		                "failed\n");
		rc = 2;
		goto out;
	}
	rep = firmware_report(db, &fc, NULL);
	if (!rep) {
		fprintf(stderr, "chokepoint: firmware: reading the database "
		                "failed\n");
		rc = 2;
		goto out;
	}
	if (json) {
		json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		firmware_report_print(rep, stdout);
	}
out:
	json_decref(rep);
	fw_items_fini(&it);
	fw_list_free(&l);
	db_close(db);
	fw_config_fini(&fc);
	config_free(cfg);
	cfg_errs_fini(&errs);
	return rc;
}
