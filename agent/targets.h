/* SPDX-License-Identifier: MIT */
/*
 * The registry of polled targets (SNMP devices and the local host): their
 * up/down state, last poll and descriptive info, as reported by collectors
 * through cp_target_status(). Read by /api/v1/targets and the dashboard.
 */
#ifndef CHOKEPOINT_TARGETS_H
#define CHOKEPOINT_TARGETS_H

#include "plugin.h"

struct targets;

struct targets *targets_new(void);
void targets_free(struct targets *t);
/* Copies st; replaces the previous status of st->target. */
void targets_set(struct targets *t, const struct cp_target_status *st);
/* Declare a target known from config (role), before any poll: "pending". */
void targets_declare(struct targets *t, const char *name, const char *role);
/* cb under the registry lock; returns non-zero to stop. */
void targets_foreach(struct targets *t,
    int (*cb)(const struct cp_target_status *, void *), void *arg);
/* Copy-free lookup under the lock: cb called once if found; 0 / -ENOENT. */
int targets_get(struct targets *t, const char *name,
    void (*cb)(const struct cp_target_status *, void *), void *arg);

#endif
