// SPDX-License-Identifier: MIT
/*
 * Reading `collectors.pcap` into struct pcap_opts, and the BPF filter the
 * live capture uses. Shared by the collector and `chokepoint pcap`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

static char *
dup_or_die(const char *s)
{
	char *d = strdup(s);

	if (d == NULL) {
		fputs("chokepoint: pcap: out of memory\n", stderr);
		abort();
	}
	return d;
}

void
pcap_opts_init(struct pcap_opts *o)
{
	memset(o, 0, sizeof(*o));
	an_cfg_defaults(&o->an);
	o->top_n = 10;
	o->snaplen = 256;
	o->buffer_mb = 8;
}

void
pcap_opts_fini(struct pcap_opts *o)
{
	size_t i;

	for (i = 0; i < o->nifaces; i++)
		free(o->ifaces[i]);
	free(o->filter);
	free(o->user);
	memset(o, 0, sizeof(*o));
}

/* A string or a sequence of strings; calls add() for each item. */
static int
each_scalar(const struct cp_cfg *n, const char *what,
    int (*add)(struct pcap_opts *, const struct cp_cfg *, const char *),
    struct pcap_opts *o)
{
	size_t i, len;
	int rc = 0;

	if (n == NULL)
		return 0;
	if (cp_cfg_scalar(n))
		return add(o, n, cp_cfg_scalar(n));
	len = cp_cfg_seq_len(n);
	if (len == 0) {
		cp_cfg_error(n, "expected a list of %s", what);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		const struct cp_cfg *it = cp_cfg_seq_at(n, i);

		if (cp_cfg_scalar(it) == NULL) {
			cp_cfg_error(it, "expected %s", what);
			rc = -EINVAL;
		} else if (add(o, it, cp_cfg_scalar(it)) < 0) {
			rc = -EINVAL;
		}
	}
	return rc;
}

static int
add_iface(struct pcap_opts *o, const struct cp_cfg *n, const char *s)
{
	if (o->nifaces == AN_MAX_IFACES) {
		cp_cfg_error(n, "at most %d interfaces", AN_MAX_IFACES);
		return -EINVAL;
	}
	if (*s == '\0' || strlen(s) > 64) {
		cp_cfg_error(n, "expected an interface name");
		return -EINVAL;
	}
	o->ifaces[o->nifaces++] = dup_or_die(s);
	return 0;
}

static int
add_port(struct pcap_opts *o, const struct cp_cfg *n, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535) {
		cp_cfg_error(n, "expected a port number 1-65535, got '%s'", s);
		return -EINVAL;
	}
	if (o->an.nports == AN_MAX_PORTS) {
		cp_cfg_error(n, "at most %d ports", AN_MAX_PORTS);
		return -EINVAL;
	}
	o->an.ports[o->an.nports++] = (uint16_t)v;
	return 0;
}

static int
add_vip(struct pcap_opts *o, const struct cp_cfg *n, const char *s)
{
	if (o->an.nvips == AN_MAX_VIPS) {
		cp_cfg_error(n, "at most %d vips", AN_MAX_VIPS);
		return -EINVAL;
	}
	if (an_addr_parse(s, &o->an.vips[o->an.nvips]) < 0) {
		cp_cfg_error(
		    n, "expected an IPv4 or IPv6 address, got '%s'", s);
		return -EINVAL;
	}
	o->an.nvips++;
	return 0;
}

static int
opt_str(const struct cp_cfg *node, const char *key, char **out)
{
	const char *s = NULL;
	int rc = cp_cfg_str(node, key, &s);

	if (rc == 0) {
		free(*out);
		*out = dup_or_die(s);
	}
	return rc == -ENOENT ? 0 : rc;
}

static int
opt_int(const struct cp_cfg *node, const char *key, int64_t min, int64_t max,
    int64_t *out)
{
	int rc = cp_cfg_int(node, key, min, max, out);

	return rc == -ENOENT ? 0 : rc;
}

static int
opt_ms(const struct cp_cfg *node, const char *key, int64_t *ns)
{
	int64_t ms;
	int rc = cp_cfg_duration(node, key, &ms);

	if (rc == 0) {
		if (ms <= 0) {
			cp_cfg_error(cp_cfg_child(node, key),
			    "expected a positive duration");
			return -EINVAL;
		}
		*ns = ms * 1000000;
	}
	return rc == -ENOENT ? 0 : rc;
}

int
pcap_opts_parse(struct pcap_opts *o, const struct cp_cfg *node)
{
	const struct cp_cfg *ports;
	int64_t top = (int64_t)o->top_n, snap = o->snaplen;
	int64_t buf = o->buffer_mb, fmem = (int64_t)(o->an.flow_memory >> 20);
	int rc = 0;

	if (node == NULL)
		goto out;
	if (each_scalar(cp_cfg_child(node, "interfaces"), "interface names",
	        add_iface, o) < 0)
		rc = -EINVAL;
	ports = cp_cfg_child(node, "ports");
	if (ports) {
		o->an.nports = 0; /* the list replaces the defaults */
		if (each_scalar(ports, "port numbers", add_port, o) < 0)
			rc = -EINVAL;
	}
	if (each_scalar(cp_cfg_child(node, "vips"), "addresses", add_vip, o) <
	    0)
		rc = -EINVAL;
	if (opt_str(node, "filter", &o->filter) < 0 ||
	    opt_str(node, "user", &o->user) < 0)
		rc = -EINVAL;
	if (opt_int(node, "top_talkers", 0, 1000, &top) < 0 ||
	    opt_int(node, "snaplen", 64, 65535, &snap) < 0 ||
	    opt_int(node, "buffer_mb", 1, 1024, &buf) < 0 ||
	    opt_int(node, "flow_memory_mb", 1, 4096, &fmem) < 0)
		rc = -EINVAL;
	if (opt_ms(node, "syn_timeout", &o->an.syn_timeout_ns) < 0 ||
	    opt_ms(node, "idle_timeout", &o->an.idle_timeout_ns) < 0)
		rc = -EINVAL;
	o->top_n = (size_t)top;
	o->snaplen = (int)snap;
	o->buffer_mb = (int)buf;
	o->an.flow_memory = (size_t)fmem << 20;
out:
	if (o->nifaces == 0)
		o->ifaces[o->nifaces++] = dup_or_die("any");
	return rc;
}

static void
append(char **s, size_t *len, size_t *cap, const char *add)
{
	size_t n = strlen(add);

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*s = realloc(*s, *cap);
		if (*s == NULL) {
			fputs("chokepoint: pcap: out of memory\n", stderr);
			abort();
		}
	}
	memcpy(*s + *len, add, n + 1);
	*len += n;
}

char *
pcap_opts_filter(const struct pcap_opts *o)
{
	char *f = NULL, *out = NULL, item[80], addr[64];
	size_t len = 0, cap = 0, olen = 0, ocap = 0, i;

	if (o->filter)
		return dup_or_die(o->filter);
	append(&f, &len, &cap, "");
	for (i = 0; i < o->an.nports; i++) {
		snprintf(item, sizeof(item), "%stcp port %u", len ? " or " : "",
		    o->an.ports[i]);
		append(&f, &len, &cap, item);
	}
	for (i = 0; i < o->an.nvips; i++) {
		an_addr_format(
		    o->an.vips[i].af, o->an.vips[i].a, addr, sizeof(addr));
		snprintf(
		    item, sizeof(item), "%shost %s", len ? " or " : "", addr);
		append(&f, &len, &cap, item);
	}
	if (len == 0) {
		free(f);
		return dup_or_die("ip or ip6");
	}
	/* `vlan` moves the offsets of what follows it: the second copy
	 * matches the same traffic inside one 802.1Q tag. */
	append(&out, &olen, &ocap, "(");
	append(&out, &olen, &ocap, f);
	append(&out, &olen, &ocap, ") or (vlan and (");
	append(&out, &olen, &ocap, f);
	append(&out, &olen, &ocap, "))");
	free(f);
	return out;
}
