/* SPDX-License-Identifier: MIT */
/*
 * The BMC's System Event Log for the hotswap collector: SEL records
 * decoded (IPMI 2.0 section 32) and read from the OpenIPMI character
 * device (/dev/ipmi0) with its ioctls, never by running ipmitool
 * (collectors do not fork). Drive slot, power supply, fan and entity
 * presence entries become hot-swap events.
 */
#ifndef CHOKEPOINT_IPMI_SEL_H
#define CHOKEPOINT_IPMI_SEL_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

#define SEL_RECORD_LEN 16

struct sel_entry {
	uint16_t id;
	uint8_t type;       /* 0x02 system event; 0xC0-0xFF OEM */
	uint32_t timestamp; /* seconds since 1970 (BMC clock) */
	uint16_t generator;
	uint8_t sensor_type;
	uint8_t sensor;
	int deassert; /* event direction bit */
	uint8_t
	    event_type; /* 0x01 threshold, 0x02-0x0C generic, 0x6F specific */
	uint8_t data[3];
};

/* Decode one 16-byte record. 0, or -EINVAL when len is wrong. */
int sel_decode(const uint8_t *rec, size_t len, struct sel_entry *e);

/*
 * Whether e is a hot-swap matter and how to say it: component
 * ("drive slot 0x12"), a message, a severity and the state after ("present"
 * / "absent" / "failed"). Returns 1 when relevant, 0 otherwise.
 */
int sel_describe(const struct sel_entry *e, char *component, size_t csize,
    char *msg, size_t msize, enum cp_severity *sev, const char **after);

/* An open BMC interface. */
struct ipmi_dev;

/* Open path (the OpenIPMI device). NULL with errno set. */
struct ipmi_dev *ipmi_open(const char *path);
void ipmi_close(struct ipmi_dev *d);

/*
 * One request to the BMC (system interface, LUN 0), waiting at most
 * timeout_ms. resp gets the completion code then the data; *rlen its
 * length. Returns 0 or a negative errno (-ENOTTY: not an IPMI device,
 * -ETIMEDOUT).
 */
int ipmi_cmd(struct ipmi_dev *d, uint8_t netfn, uint8_t cmd,
    const uint8_t *data, size_t n, uint8_t *resp, size_t *rlen, int timeout_ms);

/* Get SEL Info: entry count and the last erase time. */
int ipmi_sel_info(struct ipmi_dev *d, unsigned *entries, uint32_t *erase_ts);
/*
 * Get SEL Entry id (0x0000 first, 0xFFFF last): the record and the id of
 * the next one (0xFFFF after the last). -ENOENT when there is no such
 * record (the SEL was cleared).
 */
int ipmi_sel_get(
    struct ipmi_dev *d, uint16_t id, struct sel_entry *e, uint16_t *next);

#endif
