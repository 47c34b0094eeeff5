/* SPDX-License-Identifier: MIT */
/*
 * Inside the config reader: what config.c takes from the files that read
 * one of its sections. Not for other modules.
 */
#ifndef CHOKEPOINT_CONFIG_PRIV_H
#define CHOKEPOINT_CONFIG_PRIV_H

#include "config.h"

/* config_devices.c: the devices: section into c. 0, or -1 after errors
 * (reported at their line:col). */
int config_devices_read(struct config *c, const struct cp_cfg *root);

#endif
