// SPDX-License-Identifier: MIT
/*
 * SEL records (IPMI 2.0, table 32-1) and the OpenIPMI device interface
 * (drivers/char/ipmi/ipmi_devintf.c: IPMICTL_SEND_COMMAND, then the reply
 * arrives as a message read with IPMICTL_RECEIVE_MSG_TRUNC once the fd is
 * readable). Sensor types and offsets from IPMI 2.0 table 42-3.
 */
#include "collectors/hw/ipmi_sel.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ipmi.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define NETFN_STORAGE 0x0A
#define CMD_GET_SEL_INFO 0x40
#define CMD_GET_SEL_ENTRY 0x43
#define CC_NOT_PRESENT 0xCB

int
sel_decode(const uint8_t *r, size_t len, struct sel_entry *e)
{
	if (len != SEL_RECORD_LEN)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->id = (uint16_t)(r[0] | r[1] << 8);
	e->type = r[2];
	e->timestamp = (uint32_t)r[3] | (uint32_t)r[4] << 8 |
	               (uint32_t)r[5] << 16 | (uint32_t)r[6] << 24;
	if (e->type != 0x02)
		return 0; /* OEM records: only id, type and time are known */
	e->generator = (uint16_t)(r[7] | r[8] << 8);
	e->sensor_type = r[10];
	e->sensor = r[11];
	e->deassert = (r[12] & 0x80) != 0;
	e->event_type = r[12] & 0x7f;
	memcpy(e->data, r + 13, 3);
	return 0;
}

int
sel_describe(const struct sel_entry *e, char *comp, size_t csize, char *msg,
    size_t msize, enum cp_severity *sev, const char **after)
{
	unsigned off = e->data[0] & 0x0f;
	const char *what = NULL, *noun;
	int absent = 0, failed = 0;

	if (e->type != 0x02)
		return 0;
	switch (e->sensor_type) {
	case 0x0D:
		noun = "drive slot";
		break;
	case 0x08:
		noun = "power supply";
		break;
	case 0x04:
		noun = "fan";
		break;
	case 0x25:
		noun = "entity";
		break;
	default:
		return 0;
	}
	if (e->event_type == 0x08) {
		/* Generic "device removed / device inserted" (table 42-2). */
		if (off > 1)
			return 0;
		absent = (off == 0) != e->deassert;
		what = absent ? "removed (absent)" : "inserted (present)";
	} else if (e->event_type == 0x6F) {
		switch (e->sensor_type << 8 | off) {
		case 0x0D00: /* drive presence */
		case 0x0800: /* presence detected */
			absent = e->deassert;
			what = absent ? "removed" : "inserted";
			break;
		case 0x0D01:
			failed = !e->deassert;
			what = failed ? "drive fault" : "drive fault cleared";
			break;
		case 0x0801:
			failed = !e->deassert;
			what = failed ? "power supply failure"
			              : "power supply failure cleared";
			break;
		case 0x0803:
			failed = !e->deassert;
			what = failed ? "input lost (AC/DC)" : "input restored";
			break;
		case 0x2500:
			absent = e->deassert;
			what = absent ? "removed" : "present";
			break;
		case 0x2501:
			absent = !e->deassert;
			what = absent ? "absent" : "present";
			break;
		default:
			return 0;
		}
	} else {
		return 0; /* thresholds (fan speed) belong to metrics */
	}
	snprintf(comp, csize, "%s 0x%02x", noun, e->sensor);
	if (snprintf(msg, msize,
	        "%s 0x%02x: %s (SEL record 0x%04x, BMC time %u, generator "
	        "0x%04x)",
	        noun, e->sensor, what, e->id, e->timestamp, e->generator) < 0)
		msg[0] = '\0';
	*sev = failed || absent ? CP_SEV_WARNING : CP_SEV_INFO;
	*after = failed ? "failed" : absent ? "absent" : "present";
	return 1;
}

struct ipmi_dev {
	int fd;
	long seq;
};

struct ipmi_dev *
ipmi_open(const char *path)
{
	struct ipmi_dev *d;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		abort();
	d->fd = fd;
	return d;
}

void
ipmi_close(struct ipmi_dev *d)
{
	if (!d)
		return;
	close(d->fd);
	free(d);
}

int
ipmi_cmd(struct ipmi_dev *d, uint8_t netfn, uint8_t cmd, const uint8_t *data,
    size_t n, uint8_t *resp, size_t *rlen, int timeout_ms)
{
	struct ipmi_system_interface_addr bmc = {
	    .addr_type = IPMI_SYSTEM_INTERFACE_ADDR_TYPE,
	    .channel = IPMI_BMC_CHANNEL,
	    .lun = 0,
	};
	struct ipmi_system_interface_addr from;
	unsigned char body[IPMI_MAX_MSG_LENGTH];
	struct ipmi_req req;
	struct ipmi_recv rcv;
	struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
	long id = ++d->seq;

	memset(&req, 0, sizeof(req));
	req.addr = (unsigned char *)&bmc;
	req.addr_len = sizeof(bmc);
	req.msgid = id;
	req.msg.netfn = netfn;
	req.msg.cmd = cmd;
	req.msg.data = (unsigned char *)data;
	req.msg.data_len = (unsigned short)n;
	if (ioctl(d->fd, IPMICTL_SEND_COMMAND, &req) < 0)
		return -errno;
	/* Replies to earlier, timed-out requests may still be queued. */
	for (;;) {
		int r = poll(&pfd, 1, timeout_ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		memset(&rcv, 0, sizeof(rcv));
		rcv.addr = (unsigned char *)&from;
		rcv.addr_len = sizeof(from);
		rcv.msg.data = body;
		rcv.msg.data_len = sizeof(body);
		if (ioctl(d->fd, IPMICTL_RECEIVE_MSG_TRUNC, &rcv) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if (rcv.recv_type != IPMI_RESPONSE_RECV_TYPE || rcv.msgid != id)
			continue;
		if (rcv.msg.data_len < 1)
			return -EPROTO;
		*rlen = rcv.msg.data_len < *rlen ? rcv.msg.data_len : *rlen;
		memcpy(resp, body, *rlen);
		return 0;
	}
}

int
ipmi_sel_info(struct ipmi_dev *d, unsigned *entries, uint32_t *erase_ts)
{
	uint8_t r[32];
	size_t n = sizeof(r);
	int rc =
	    ipmi_cmd(d, NETFN_STORAGE, CMD_GET_SEL_INFO, NULL, 0, r, &n, 2000);

	if (rc < 0)
		return rc;
	/* cc, version, entries(2), free(2), add ts(4), erase ts(4), ops */
	if (r[0] != 0 || n < 14)
		return -EPROTO;
	*entries = (unsigned)(r[2] | r[3] << 8);
	*erase_ts = (uint32_t)r[10] | (uint32_t)r[11] << 8 |
	            (uint32_t)r[12] << 16 | (uint32_t)r[13] << 24;
	return 0;
}

int
ipmi_sel_get(
    struct ipmi_dev *d, uint16_t id, struct sel_entry *e, uint16_t *next)
{
	/* Reservation 0 is allowed when reading whole records. */
	uint8_t q[6] = {
	    0, 0, (uint8_t)(id & 0xff), (uint8_t)(id >> 8), 0, 0xff};
	uint8_t r[32];
	size_t n = sizeof(r);
	int rc = ipmi_cmd(
	    d, NETFN_STORAGE, CMD_GET_SEL_ENTRY, q, sizeof(q), r, &n, 2000);

	if (rc < 0)
		return rc;
	if (r[0] == CC_NOT_PRESENT)
		return -ENOENT;
	if (r[0] != 0 || n < 3 + SEL_RECORD_LEN)
		return -EPROTO;
	*next = (uint16_t)(r[1] | r[2] << 8);
	return sel_decode(r + 3, SEL_RECORD_LEN, e);
}
