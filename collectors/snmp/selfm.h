/* SPDX-License-Identifier: MIT */
/*
 * Per-device self-metrics every SNMP collector emits after a poll (label
 * collector=NAME): snmp_up, snmp_poll_seconds, snmp_requests_total,
 * snmp_timeouts_total, snmp_errors_total,
 * snmp_last_success_timestamp_seconds. Plus the state-file helpers the
 * collectors share.
 */
#ifndef CHOKEPOINT_SNMP_SELFM_H
#define CHOKEPOINT_SNMP_SELFM_H

#include <stddef.h>
#include <stdint.h>

#include "collectors/snmp/engine.h"
#include "plugin.h"

void selfm_emit(struct cp_ctx *ctx, const char *collector, struct se_dev *d,
    int64_t last_success_ms, int64_t interval_ms);

/* DATA_DIR/sub/<sanitised name><suffix> into buf (dirs created); NULL if
 * it does not fit. */
char *selfm_state_path(struct cp_ctx *ctx, const char *sub, const char *name,
    const char *suffix, char *buf, size_t size);
/* Write text to path atomically (tmp + rename). 0 or -errno. */
int selfm_write_file(const char *path, const char *text, size_t len);

#endif
