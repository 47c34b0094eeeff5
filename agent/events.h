/* SPDX-License-Identifier: MIT */
/*
 * /api/v1/events without HTTP: the filters of the query string (kind,
 * target, since, limit) checked and turned into a db_event_filter, and the
 * stored events as JSON. The web module wires these to its route.
 */
#ifndef CHOKEPOINT_EVENTS_H
#define CHOKEPOINT_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define EVENTS_LIMIT_MAX 1000

/*
 * Fill f from the raw parameter values (each may be NULL: no filter).
 * since: milliseconds since the epoch, an RFC 3339 UTC time
 * ("2024-05-01T10:00:00Z") or a duration meaning "that long ago" ("1h");
 * limit: 1..EVENTS_LIMIT_MAX (default 100). f's strings point at the
 * arguments. Returns 0, or -EINVAL with a message naming the parameter.
 */
int events_filter_parse(const char *kind, const char *target, const char *since,
    const char *limit, int64_t now_ms, struct db_event_filter *f, char *err,
    size_t errlen);

/*
 * {"events": [{id, time_ms, time, target, kind, component, severity,
 * before, after, message}, ...]} newest first. Heap string (free()),
 * NULL on a database error.
 */
char *events_json(struct db *db, const struct db_event_filter *f);

#endif
