// SPDX-License-Identifier: MIT
/*
 * Reading `devices:` for the SNMP collectors (see devcfg.h). Secrets are
 * kept only in memory and never logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snmp/devcfg.h"
#include "collectors/snmp/sutil.h"

char *
sdev_peername(const char *a, int default_port)
{
	const char *host = a, *colon;
	size_t hlen;
	long port = default_port;
	char *end;
	int v6 = 0;

	if (!a || !*a)
		return NULL;
	if (a[0] == '[') {
		const char *rb = strchr(a, ']');
		if (!rb || rb == a + 1)
			return NULL;
		host = a + 1;
		hlen = (size_t)(rb - host);
		v6 = 1;
		if (rb[1] == ':')
			colon = rb + 1;
		else if (rb[1] == '\0')
			colon = NULL;
		else
			return NULL;
	} else {
		colon = strchr(a, ':');
		if (colon && strchr(colon + 1, ':'))
			return NULL; /* bare IPv6 needs brackets */
		hlen = colon ? (size_t)(colon - a) : strlen(a);
	}
	if (colon) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || port < 1 ||
		    port > 65535)
			return NULL;
	}
	if (hlen == 0 || hlen > 253)
		return NULL;
	for (size_t i = 0; i < hlen; i++)
		if (host[i] == '/' || host[i] == ' ' || host[i] == '[')
			return NULL;
	{
		size_t n = hlen + 32;
		char *out = s_malloc(n);
		snprintf(out, n, "%s:%s%.*s%s:%ld", v6 ? "udp6" : "udp",
		    v6 ? "[" : "", (int)hlen, host, v6 ? "]" : "", port);
		return out;
	}
}

static char *
opt_str(const struct cp_cfg *n, const char *key, int *rc)
{
	const char *s = NULL;
	int r;
	if (!n)
		return NULL;
	r = cp_cfg_str(n, key, &s);
	if (r == -EINVAL)
		*rc = -EINVAL;
	return r == 0 && s ? s_strdup(s) : NULL;
}

static int
parse_version(const char *v)
{
	if (!v || !strcmp(v, "2c") || !strcmp(v, "2") || !strcmp(v, "v2c"))
		return 2;
	if (!strcmp(v, "1") || !strcmp(v, "v1"))
		return 1;
	if (!strcmp(v, "3") || !strcmp(v, "v3"))
		return 3;
	return -EINVAL;
}

static int
load_one(struct cp_ctx *ctx, const struct cp_cfg *d, struct sdev_cfg *c)
{
	const struct cp_cfg *snmp, *auth, *priv;
	char *addr, *ver;
	int64_t v;
	int rc = 0;
	(void)ctx;

	c->node = d;
	c->name = opt_str(d, "name", &rc);
	c->role = opt_str(d, "role", &rc);
	addr = opt_str(d, "address", &rc);
	if (!c->name) {
		rc = -EINVAL;
	}
	if (!addr) {
		rc = -EINVAL;
	} else if (!(c->peer = sdev_peername(addr, 161))) {
		rc = -EINVAL;
	}
	free(addr);
	c->timeout_ms = 1000;
	c->retries = 2;
	c->max_repetitions = 25;
	if (cp_cfg_duration(d, "interval", &c->interval_ms) == -EINVAL)
		rc = -EINVAL;
	if (cp_cfg_duration(d, "timeout", &c->timeout_ms) == -EINVAL)
		rc = -EINVAL;
	v = c->retries;
	if (cp_cfg_int(d, "retries", 0, 10, &v) == -EINVAL)
		rc = -EINVAL;
	c->retries = (int)v;
	v = c->max_repetitions;
	if (cp_cfg_int(d, "max_repetitions", 1, 1000, &v) == -EINVAL)
		rc = -EINVAL;
	c->max_repetitions = (int)v;
	snmp = cp_cfg_child(d, "snmp");
	ver = opt_str(snmp, "version", &rc);
	c->version = parse_version(ver);
	free(ver);
	if (c->version < 0)
		rc = -EINVAL;
	c->community = opt_str(snmp, "community", &rc);
	c->user = opt_str(snmp, "user", &rc);
	c->context = opt_str(snmp, "context", &rc);
	auth = snmp ? cp_cfg_child(snmp, "auth") : NULL;
	priv = snmp ? cp_cfg_child(snmp, "priv") : NULL;
	c->auth_proto = opt_str(auth, "protocol", &rc);
	c->auth_pass = opt_str(auth, "passphrase", &rc);
	c->priv_proto = opt_str(priv, "protocol", &rc);
	c->priv_pass = opt_str(priv, "passphrase", &rc);
	if (!c->community)
		c->community = s_strdup("public");
	if (c->version == 3 && !c->user) {
		rc = -EINVAL;
	}
	if (c->version == 3 && c->auth_proto && !c->auth_pass) {
		rc = -EINVAL;
	}
	if (c->version == 3 && c->priv_proto &&
	    (!c->priv_pass || !c->auth_proto)) {
		rc = -EINVAL;
	}
	if (c->timeout_ms < 10)
		c->timeout_ms = 10;
	return rc;
}

static void sdev_free_one(struct sdev_cfg *c);

int
sdev_load(struct cp_ctx *ctx, struct sdev_cfg **out, size_t *n)
{
	const struct cp_cfg *devs = cp_cfg_root(ctx, "devices");
	size_t cnt = devs ? cp_cfg_seq_len(devs) : 0, k = 0;
	struct sdev_cfg *v;

	*out = NULL;
	*n = 0;
	if (cnt == 0)
		return 0;
	v = s_calloc(cnt, sizeof(*v));
	for (size_t i = 0; i < cnt; i++) {
		int bad = load_one(ctx, cp_cfg_seq_at(devs, i), &v[k]) < 0;
		for (size_t j = 0; j < k && !bad; j++)
			bad = v[k].name && !strcmp(v[j].name, v[k].name);
		if (bad) {
			/* The agent's config.c reports it (once, with its
			 * position) and refuses the config. */
			sdev_free_one(&v[k]);
			memset(&v[k], 0, sizeof(v[k]));
			continue;
		}
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

static void
wipe_free(char *s)
{
	if (s) {
		volatile char *p = s;
		while (*p)
			*p++ = 0;
		free(s);
	}
}

static void
sdev_free_one(struct sdev_cfg *c)
{
	free(c->name);
	free(c->role);
	free(c->peer);
	wipe_free(c->community);
	free(c->user);
	free(c->auth_proto);
	wipe_free(c->auth_pass);
	free(c->priv_proto);
	wipe_free(c->priv_pass);
	free(c->context);
}

void
sdev_free(struct sdev_cfg *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		sdev_free_one(&v[i]);
	free(v);
}

int
sdev_due(int64_t dev_interval_ms, int64_t now_ms, int64_t run_ms,
    int64_t *next_due_ms, int64_t *iv_ms)
{
	int64_t div = dev_interval_ms > run_ms ? dev_interval_ms : run_ms;

	if (*next_due_ms && now_ms + div / 10 < *next_due_ms)
		return 0;
	*next_due_ms = now_ms + div;
	*iv_ms = div > run_ms ? div : 0;
	return 1;
}
