// SPDX-License-Identifier: MIT
/*
 * One log line per collection run for malformed sysfs attributes, repeated
 * only when the set of problems changes.
 */
#include "collectors/hw/badattr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *
why(int r)
{
	switch (r) {
	case -ENODATA:
		return "empty";
	case -EINVAL:
		return "not a number";
	case -ERANGE:
		return "number out of range";
	default:
		return strerror(-r);
	}
}

void
badattr_begin(struct badattr *b)
{
	b->len = 0;
	b->n = 0;
	b->hash = 1469598103934665603ULL;
	b->text[0] = '\0';
}

void
badattr_add(struct badattr *b, struct cp_ctx *ctx, const char *path, int r)
{
	const char *w = why(r);
	int n;

	cp_count_error(ctx);
	b->n++;
	for (const char *p = path; *p; p++)
		b->hash = (b->hash ^ (unsigned char)*p) * 1099511628211ULL;
	b->hash = (b->hash ^ (unsigned)-r) * 1099511628211ULL;
	if (b->len >= sizeof(b->text) - 1)
		return;
	n = snprintf(b->text + b->len, sizeof(b->text) - b->len, "%s%s: %s",
	    b->len ? "; " : "", path, w);
	if (n < 0)
		return;
	b->len += (size_t)n;
	if (b->len >= sizeof(b->text))
		b->len = sizeof(b->text) - 1;
}

void
badattr_end(struct badattr *b, struct cp_ctx *ctx)
{
	if (b->n && b->hash != b->last_hash)
		cp_log_warnx(
		    ctx, "malformed sysfs content (%u): %s", b->n, b->text);
	b->last_hash = b->n ? b->hash : 0;
}
