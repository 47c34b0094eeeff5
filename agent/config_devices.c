// SPDX-License-Identifier: MIT
/*
 * The `devices:` section of the config: each SNMP target with its address,
 * role, version and credentials (v2c community, v3 user with auth and priv
 * protocols), checked with FILE:LINE:COL like the rest of config.c. Keys a
 * collector adds for its devices are left to its configure().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config_priv.h"
#include "util.h"

const char *
device_role_name(enum device_role r)
{
	static const char *names[] = {"core", "l2", "web", "db", "other"};

	return r <= ROLE_OTHER ? names[r] : "other";
}

static const char *const auth_protocols[] = {
    "MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512", NULL};
static const char *const priv_protocols[] = {
    "DES", "AES", "AES-128", "AES-192", "AES-256", NULL};

static int
choice_ok(const char *s, const char *const *choices)
{
	for (size_t i = 0; choices[i]; i++)
		if (strcasecmp(s, choices[i]) == 0)
			return 1;
	return 0;
}

static int
secret_read(const struct cp_cfg *snmp, const char *key,
    const char *const *protocols, struct snmp_auth *out)
{
	const struct cp_cfg *n = cp_cfg_child(snmp, key);
	const char *proto = NULL, *pass = NULL;
	int bad = 0;

	if (n == NULL)
		return 0;
	if (!cfg_node_is_map(n)) {
		cp_cfg_error(
		    n, "'%s' must be a mapping {protocol, passphrase}", key);
		return -1;
	}
	if (cp_cfg_str(n, "protocol", &proto) == -ENOENT) {
		cp_cfg_error(n, "'%s': missing required key 'protocol'", key);
		bad = 1;
	} else if (proto && !choice_ok(proto, protocols)) {
		cp_cfg_error(cp_cfg_child(n, "protocol"),
		    "'%s.protocol': unknown protocol '%s'", key, proto);
		bad = 1;
	}
	if (cp_cfg_str(n, "passphrase", &pass) == -ENOENT) {
		cp_cfg_error(n, "'%s': missing required key 'passphrase'", key);
		bad = 1;
	} else if (pass && strlen(pass) < 8) {
		/* RFC 3414 2.6: at least 8 octets; net-snmp refuses less. */
		cp_cfg_error(cp_cfg_child(n, "passphrase"),
		    "'%s.passphrase' must be at least 8 characters", key);
		bad = 1;
	}
	out->protocol = proto ? xstrdup(proto) : NULL;
	out->passphrase = pass ? xstrdup(pass) : NULL;
	return bad ? -1 : 0;
}

static int
snmp_read(const struct cp_cfg *dn, struct device_cfg *d)
{
	const struct cp_cfg *n = cp_cfg_child(dn, "snmp");
	const char *s;
	int bad = 0;

	d->snmp_version = 2;
	if (n == NULL) {
		d->community = xstrdup("public");
		return 0;
	}
	if (!cfg_node_is_map(n)) {
		cp_cfg_error(n, "'snmp' must be a mapping");
		return -1;
	}
	if (cp_cfg_str(n, "version", &s) == 0) {
		if (strcmp(s, "1") == 0)
			d->snmp_version = 1;
		else if (strcmp(s, "2c") == 0 || strcmp(s, "2") == 0)
			d->snmp_version = 2;
		else if (strcmp(s, "3") == 0)
			d->snmp_version = 3;
		else {
			cp_cfg_error(cp_cfg_child(n, "version"),
			    "'snmp.version' must be 1, 2c or 3, not '%s'", s);
			bad = 1;
		}
	}
	if (cp_cfg_str(n, "community", &s) == 0)
		d->community = xstrdup(s);
	else if (d->snmp_version != 3)
		d->community = xstrdup("public");
	if (cp_cfg_str(n, "context", &s) == 0)
		d->context = xstrdup(s);
	if (cp_cfg_str(n, "user", &s) == 0)
		d->user = xstrdup(s);
	bad |= secret_read(n, "auth", auth_protocols, &d->auth);
	bad |= secret_read(n, "priv", priv_protocols, &d->priv);
	if (d->snmp_version == 3) {
		if (d->user == NULL) {
			cp_cfg_error(n, "SNMPv3 needs 'user'");
			bad = 1;
		}
		if (d->priv.protocol && d->auth.protocol == NULL) {
			cp_cfg_error(cp_cfg_child(n, "priv"),
			    "SNMPv3 'priv' needs 'auth' too");
			bad = 1;
		}
		d->security_level =
		    xstrdup(d->priv.protocol   ? "authPriv"
		            : d->auth.protocol ? "authNoPriv"
		                               : "noAuthNoPriv");
	} else if (d->user || d->auth.protocol || d->priv.protocol) {
		cp_cfg_error(
		    n, "'user', 'auth' and 'priv' need snmp version 3");
		bad = 1;
	}
	return bad ? -1 : 0;
}

int
config_devices_read(struct config *c, const struct cp_cfg *root)
{
	const struct cp_cfg *n = cp_cfg_child(root, "devices");
	int bad = 0;

	if (n == NULL)
		return 0;
	if (!cfg_node_is_seq(n)) {
		cp_cfg_error(n, "'devices' must be a list");
		return -1;
	}
	c->ndevices = cp_cfg_seq_len(n);
	c->devices = xcalloc(c->ndevices, sizeof(*c->devices));
	for (size_t i = 0; i < c->ndevices; i++) {
		const struct cp_cfg *dn = cp_cfg_seq_at(n, i);
		struct device_cfg *d = &c->devices[i];
		const char *s;
		int64_t v;

		d->node = dn;
		d->role = ROLE_OTHER;
		d->interval_ms = c->agent.interval_ms;
		d->timeout_ms = 2000;
		d->retries = 2;
		if (!cfg_node_is_map(dn)) {
			cp_cfg_error(dn, "a device must be a mapping");
			bad = 1;
			continue;
		}
		if (cp_cfg_str(dn, "name", &s) == 0 && *s) {
			d->name = xstrdup(s);
			for (size_t j = 0; j < i; j++) {
				if (c->devices[j].name &&
				    strcmp(c->devices[j].name, s) == 0) {
					cp_cfg_error(cp_cfg_child(dn, "name"),
					    "duplicate device name '%s'", s);
					bad = 1;
				}
			}
		} else {
			cp_cfg_error(dn, "a device needs a 'name'");
			bad = 1;
		}
		if (cp_cfg_str(dn, "role", &s) == 0) {
			static const char *roles[] = {
			    "core", "l2", "web", "db", "other"};
			size_t r;

			for (r = 0; r < ARRAY_SIZE(roles); r++)
				if (strcmp(s, roles[r]) == 0)
					break;
			if (r == ARRAY_SIZE(roles)) {
				cp_cfg_error(cp_cfg_child(dn, "role"),
				    "'role' must be core, l2, web, db or "
				    "other, "
				    "not '%s'",
				    s);
				bad = 1;
			}
			d->role = (enum device_role)r;
		}
		if (cp_cfg_str(dn, "address", &s) == 0) {
			d->address = xstrdup(s);
			if (address_parse(s, 161, &d->host, &d->port) < 0) {
				cp_cfg_error(cp_cfg_child(dn, "address"),
				    "'address' must be host[:port] or "
				    "[IPv6]:port, not '%s'",
				    s);
				bad = 1;
			}
		} else {
			cp_cfg_error(dn, "device '%s' needs an 'address'",
			    d->name ? d->name : "?");
			bad = 1;
		}
		if (cp_cfg_duration(dn, "interval", &v) == 0) {
			if (v < 1000 || v > 86400000) {
				cp_cfg_error(cp_cfg_child(dn, "interval"),
				    "device 'interval' must be between 1s and "
				    "1d");
				bad = 1;
			}
			d->interval_ms = v;
		}
		if (cp_cfg_duration(dn, "timeout", &v) == 0) {
			if (v < 10 || v > 60000) {
				cp_cfg_error(cp_cfg_child(dn, "timeout"),
				    "device 'timeout' must be between 10ms and "
				    "60s");
				bad = 1;
			}
			d->timeout_ms = v;
		}
		if (cp_cfg_int(dn, "retries", 0, 10, &v) == 0)
			d->retries = (int)v;
		bad |= snmp_read(dn, d);
	}
	/* Sequences of mappings: flag problems found by the accessors. */
	return bad ? -1 : 0;
}
