/* SPDX-License-Identifier: MIT */
/*
 * The `devices:` section as the SNMP collectors see it: read through the
 * cp_cfg accessors of plugin.h from cp_cfg_root(ctx, "devices"). The agent's
 * config.c validates the common keys; this reads them again (plugins have
 * no access to the agent's structs) and the per-device extras.
 */
#ifndef CHOKEPOINT_SNMP_DEVCFG_H
#define CHOKEPOINT_SNMP_DEVCFG_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

struct sdev_cfg {
	char *name;
	char *role;  /* core l2 web db other */
	char *peer;  /* net-snmp peername, e.g. "udp:127.0.0.1:161" */
	int version; /* 1, 2 (v2c) or 3 */
	char *community;
	char *user;
	char *auth_proto; /* NULL: noAuth */
	char *auth_pass;
	char *priv_proto; /* NULL: noPriv */
	char *priv_pass;
	char *context;
	int64_t interval_ms; /* 0: the collector's */
	int64_t timeout_ms;
	int retries;
	int max_repetitions;
	const struct cp_cfg *node; /* the device mapping, for extras */
};

/*
 * Read every usable device of the config (none: *n = 0). A device the
 * plugins cannot use is left out without a message: config.c validates
 * the common keys and reports each problem once, with its position (three
 * plugins reading the same section would repeat it). Returns 0.
 */
int sdev_load(struct cp_ctx *ctx, struct sdev_cfg **out, size_t *n);
void sdev_free(struct sdev_cfg *v, size_t n);

/* "host", "host:port", "[v6]:port" -> net-snmp peername; NULL if bad. */
char *sdev_peername(const char *address, int default_port);
/*
 * Whether a device is due in the collection run at now_ms: a device polls
 * at max(its own interval, the collector's run_ms), with a tenth of slack
 * for tick jitter. When due, advances *next_due_ms and sets *iv_ms to the
 * device's own interval when it is longer than run_ms (else 0: the
 * collector's), which the samples and self-metrics carry.
 */
int sdev_due(int64_t dev_interval_ms, int64_t now_ms, int64_t run_ms,
    int64_t *next_due_ms, int64_t *iv_ms);

#endif
