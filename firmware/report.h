/* SPDX-License-Identifier: MIT */
/*
 * The firmware report as a jansson object (for callers that embed it) and
 * its table form. firmware_report_json() in firmware.h is the string form.
 */
#ifndef CHOKEPOINT_FIRMWARE_REPORT_H
#define CHOKEPOINT_FIRMWARE_REPORT_H

#include <jansson.h>
#include <stdio.h>

struct db;
struct fw_config;

/* New reference (caller json_decref()s), NULL on a database error. */
json_t *firmware_report(
    struct db *db, const struct fw_config *fc, const char *target);
/* The same with the running config's baseline (see firmware_api_json()). */
struct config;
json_t *firmware_api_report(
    struct db *db, const struct config *cfg, const char *target);
/* The table `chokepoint firmware` prints. */
void firmware_report_print(json_t *report, FILE *out);

#endif
