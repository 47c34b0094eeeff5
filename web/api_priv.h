/* SPDX-License-Identifier: MIT */
/*
 * Inside the JSON API: what api.c (routes, page cache, targets) shares
 * with api_device.c (device and overview pages) and api_history.c (series
 * list, history, events, firmware). Not for other modules.
 */
#ifndef CHOKEPOINT_API_PRIV_H
#define CHOKEPOINT_API_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "plugin.h"
#include "web.h"

/* api.c: serve the page kept for key if it is of cache generation gen (or
 * another request is building that one): 1 with *ret the reply, else 0. */
int api_jcache_serve(
    struct http_req *r, const char *key, uint64_t gen, int *ret);
/* api.c: reply with out (takes ownership) and keep the page for key at
 * generation gen. */
int api_jcache_reply(
    struct http_req *r, const char *key, uint64_t gen, json_t *out);
/* api.c: labels as a new JSON object (caller owns it). */
json_t *api_labels_json(const struct cp_label *l, size_t n);
/* api.c: a finite number, or null (JSON has no NaN); a new reference. */
json_t *api_num(double v);
/* api.c: a target's status as a new JSON object (caller owns it). */
json_t *api_target_json(const struct cp_target_status *st);

/* api_device.c: db_inventory_get callback appending one item to the JSON
 * array arg. Always 0. */
int api_inv_cb(const char *target, const char *kind, const char *key,
    const struct cp_label *attrs, size_t n, void *arg);

/* Route handlers: api_device.c (GET /api/v1/devices/NAME, /overview) and
 * api_history.c (/metrics, /series, /events, /firmware). */
int api_device(struct http_req *r);
int api_overview(struct http_req *r);
int api_metrics_list(struct http_req *r);
int api_series(struct http_req *r);
int api_events(struct http_req *r);
int api_firmware(struct http_req *r);

#endif
