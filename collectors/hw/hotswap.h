/* SPDX-License-Identifier: MIT */
/*
 * Internals of the hotswap collector: an inventory snapshot (items with
 * string attributes) per kind, the scanners that fill one from sysfs
 * (hotswap_scan.c) and the diff that turns two snapshots into events.
 */
#ifndef CHOKEPOINT_HOTSWAP_H
#define CHOKEPOINT_HOTSWAP_H

#include <stddef.h>

#include "plugin.h"

#define HS_MAX_ATTRS 14

struct hs_item {
	char *key;
	struct cp_label attrs[HS_MAX_ATTRS]; /* heap strings */
	size_t nattrs;
};

struct hs_list {
	struct hs_item *v;
	size_t n, cap;
};

void hs_list_init(struct hs_list *l);
void hs_list_fini(struct hs_list *l);
/* Append an item with key (copied); returns it for hs_set(). */
struct hs_item *hs_add(struct hs_list *l, const char *key);
/* Set attribute key to value (both copied; NULL value stores ""). */
void hs_set(struct hs_item *it, const char *key, const char *value);
/* Value of key or "" (never NULL). */
const char *hs_get(const struct hs_item *it, const char *key);
struct hs_item *hs_find(const struct hs_list *l, const char *key);

struct badattr;

/* What a scanner needs: the sysfs root (a directory path) and where to
 * report malformed attributes (each is skipped, never fatal). */
struct hs_scan {
	struct cp_ctx *ctx;
	const char *root;
	struct badattr *bad;
};

/* Scanners: fill l from sysfs. */
void hs_scan_disks(struct hs_scan *sc, struct hs_list *l);
void hs_scan_pci_slots(struct hs_scan *sc, struct hs_list *l);
void hs_scan_power_supplies(struct hs_scan *sc, struct hs_list *l);
void hs_scan_fans(struct hs_scan *sc, struct hs_list *l);

#endif
