/* SPDX-License-Identifier: MIT */
/*
 * Kernel uevent messages as they arrive on NETLINK_KOBJECT_UEVENT (group 1):
 * "ACTION@DEVPATH\0KEY=VALUE\0KEY=VALUE\0...". The hotswap collector feeds
 * every datagram from its socket through uevent_parse(); tests and the fuzz
 * target feed recorded messages through the same function.
 */
#ifndef CHOKEPOINT_UEVENT_H
#define CHOKEPOINT_UEVENT_H

#include <stddef.h>

/* The kernel caps a uevent's environment at 2048 bytes (UEVENT_BUFFER_SIZE)
 * and 64 variables (UEVENT_NUM_ENVP); a little slack for the header. */
#define UEVENT_MAX 8192
#define UEVENT_MAX_VARS 64

struct uevent_var {
	const char *key;
	const char *value;
};

/* A parsed message. Strings point into .buf, valid as long as the struct. */
struct uevent {
	char buf[UEVENT_MAX + 1];
	const char
	    *action; /* add remove change move online offline bind unbind */
	const char *devpath;       /* /devices/... */
	const char *subsystem;     /* NULL when absent */
	const char *devtype;       /* NULL when absent */
	const char *devname;       /* NULL when absent */
	unsigned long long seqnum; /* 0 when absent */
	struct uevent_var vars[UEVENT_MAX_VARS];
	size_t nvars;
};

/*
 * Parse len bytes of msg into ue. Returns 0, or -EPROTO for a udev
 * (libudev-framed) message, -EINVAL for anything malformed: missing or bad
 * header, an unknown action, ACTION/DEVPATH variables that contradict the
 * header, a variable without '=', too many variables, or len > UEVENT_MAX.
 * If err is not NULL it receives a short reason.
 */
int uevent_parse(
    const char *msg, size_t len, struct uevent *ue, const char **err);

/* Value of key, or NULL. */
const char *uevent_get(const struct uevent *ue, const char *key);

#endif
