// SPDX-License-Identifier: MIT
/*
 * Parser of kernel uevent datagrams (lib/kobject_uevent.c builds them: a
 * header "ACTION@DEVPATH" then NUL-separated KEY=VALUE pairs, the last one
 * NUL-terminated). Input comes from the kernel but also from anyone able to
 * write a recorded file, so every field is checked and bounded.
 */
#include "collectors/hw/uevent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const actions[] = {
    "add", "remove", "change", "move", "online", "offline", "bind", "unbind"};

static int
uevent_fail(const char **err, const char *why, int r)
{
	if (err)
		*err = why;
	return r;
}

static int
valid_action(const char *a)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(a, actions[i]) == 0)
			return 1;
	return 0;
}

static int
valid_key(const char *k, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

int
uevent_parse(const char *msg, size_t len, struct uevent *ue, const char **err)
{
	char *p, *end, *at;
	const char *v;

	memset(ue, 0, offsetof(struct uevent, vars));
	ue->nvars = 0;
	if (len == 0)
		return uevent_fail(err, "empty message", -EINVAL);
	if (len > UEVENT_MAX)
		return uevent_fail(err, "message too long", -EINVAL);
	/* udevd re-broadcasts on group 2 with this magic; never from the
	 * kernel. */
	if (len >= 8 && memcmp(msg, "libudev", 8) == 0)
		return uevent_fail(
		    err, "udev message, not a kernel uevent", -EPROTO);
	memcpy(ue->buf, msg, len);
	ue->buf[len] = '\0';
	end = ue->buf + len;

	/* Header: up to the first NUL. */
	p = ue->buf;
	at = strchr(p, '@');
	if (!at || at == p)
		return uevent_fail(
		    err, "header is not ACTION@DEVPATH", -EINVAL);
	*at = '\0';
	ue->action = p;
	ue->devpath = at + 1;
	if (!valid_action(ue->action))
		return uevent_fail(err, "unknown action", -EINVAL);
	if (ue->devpath[0] != '/')
		return uevent_fail(
		    err, "devpath does not start with /", -EINVAL);
	p += strlen(p) + 1; /* past the action */
	p += strlen(p) + 1; /* past the devpath */

	while (p < end) {
		char *eq;
		size_t n = strlen(p);

		if (n == 0) { /* tolerate padding NULs */
			p++;
			continue;
		}
		eq = strchr(p, '=');
		if (!eq || !valid_key(p, (size_t)(eq - p)))
			return uevent_fail(
			    err, "variable is not KEY=VALUE", -EINVAL);
		if (ue->nvars == UEVENT_MAX_VARS)
			return uevent_fail(err, "too many variables", -EINVAL);
		*eq = '\0';
		ue->vars[ue->nvars].key = p;
		ue->vars[ue->nvars].value = eq + 1;
		ue->nvars++;
		p += n + 1;
	}

	v = uevent_get(ue, "ACTION");
	if (v && strcmp(v, ue->action) != 0)
		return uevent_fail(
		    err, "ACTION differs from the header", -EINVAL);
	v = uevent_get(ue, "DEVPATH");
	if (v && strcmp(v, ue->devpath) != 0)
		return uevent_fail(
		    err, "DEVPATH differs from the header", -EINVAL);
	ue->subsystem = uevent_get(ue, "SUBSYSTEM");
	ue->devtype = uevent_get(ue, "DEVTYPE");
	ue->devname = uevent_get(ue, "DEVNAME");
	v = uevent_get(ue, "SEQNUM");
	if (v) {
		char *e;

		if (*v < '0' || *v > '9')
			return uevent_fail(
			    err, "SEQNUM is not a number", -EINVAL);
		errno = 0;
		ue->seqnum = strtoull(v, &e, 10);
		if (errno || e == v || *e)
			return uevent_fail(
			    err, "SEQNUM is not a number", -EINVAL);
	}
	if (err)
		*err = NULL;
	return 0;
}

const char *
uevent_get(const struct uevent *ue, const char *key)
{
	for (size_t i = 0; i < ue->nvars; i++)
		if (strcmp(ue->vars[i].key, key) == 0)
			return ue->vars[i].value;
	return NULL;
}
