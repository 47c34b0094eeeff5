/* SPDX-License-Identifier: MIT */
/*
 * Process groups of the memory collector: `processes: {web: [nginx,
 * php-fpm], db: [postgres]}` names groups of processes, matched by name,
 * whose count, RSS, CPU and disk I/O are summed per group each run. This is
 * how the web or database processes of a server are watched.
 */
#ifndef CP_MEMORY_PROCGROUPS_H
#define CP_MEMORY_PROCGROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

struct procgroups;

/*
 * Read the `processes` mapping (node may be NULL: no groups). Returns the
 * groups (NULL when there are none) and 0, or -EINVAL after cp_cfg_error().
 */
int procgroups_configure(const struct cp_cfg *node, struct procgroups **out);
void procgroups_free(struct procgroups *pg); /* takes NULL */

/* Scan the processes under procfs and emit the per-group gauges. */
void procgroups_collect(struct cp_ctx *ctx, struct procgroups *pg);

#endif
