/* SPDX-License-Identifier: MIT */
/*
 * The configuration: YAML read with libfyaml into a tree of cp_cfg nodes
 * that remember their file:line:col, then into plain structs, one table of
 * keys per section. Every error is collected (not just the first) as
 * "FILE:LINE:COL: message". config.c is the only YAML reader; collectors
 * read their own mapping through the cp_cfg_* accessors of plugin.h.
 */
#ifndef CHOKEPOINT_CONFIG_H
#define CHOKEPOINT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"
#include "util.h"

/* A list of errors, each naming file:line:col. */
struct cfg_errs {
	struct cp_err *v;
	size_t n, cap;
};
void cfg_errs_init(struct cfg_errs *e);
void cfg_errs_fini(struct cfg_errs *e);
void cfg_errs_add(struct cfg_errs *e, const char *file, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Print each as "FILE:LINE:COL: message\n". */
void cfg_errs_print(const struct cfg_errs *e, FILE *fp);

/* A parsed YAML document as a cp_cfg tree. */
struct cfgdoc;
/*
 * Parse text (len bytes) read from file (the name used in messages).
 * Syntax errors go to errs; returns NULL when nothing usable was parsed.
 * An empty document yields an empty mapping.
 */
struct cfgdoc *cfgdoc_parse(
    const char *file, const char *text, size_t len, struct cfg_errs *errs);
void cfgdoc_free(struct cfgdoc *d); /* takes NULL */
/*
 * cfgpos.c: positions (1-based line, column in characters) for YAML syntax
 * errors that libfyaml reports where its scanner stopped. The first line
 * whose indentation holds a tab (1, or 0 if none); the opening of a quoted
 * scalar or flow collection never closed (its character, or 0); the first
 * line of the block structure whose indentation no open level has, or
 * that goes in further than the line before it lets (1, or 0 if none or
 * the text is beyond what the scan follows); the end of the text.
 */
int cfgpos_indent_tab(const char *p, size_t len, int *line, int *col);
int cfgpos_unclosed(const char *p, size_t len, int *line, int *col);
int cfgpos_bad_indent(const char *p, size_t len, int *line, int *col);
void cfgpos_end(const char *p, size_t len, int *line, int *col);
const struct cp_cfg *cfgdoc_root(const struct cfgdoc *d);
/* Route cp_cfg_error() of this document's nodes to errs (may be NULL). */
void cfgdoc_set_errs(struct cfgdoc *d, struct cfg_errs *errs);
/* Position of a node (1-based). */
void cfg_node_pos(const struct cp_cfg *n, int *line, int *col);
/* The key node of mapping n's i-th pair (for errors about the key itself),
 * or NULL. */
const struct cp_cfg *cfg_node_map_keynode(const struct cp_cfg *n, size_t i);
/* Clear / report "unknown key" for mapping keys no accessor asked for. */
void cfg_node_clear_used(const struct cp_cfg *n);
void cfg_node_report_unused(const struct cp_cfg *n, const char *where);
/* Mark key of mapping n as known without reading it. */
void cfg_node_mark_used(const struct cp_cfg *n, const char *key);
int cfg_node_is_map(const struct cp_cfg *n);
int cfg_node_is_seq(const struct cp_cfg *n);

enum device_role { ROLE_CORE, ROLE_L2, ROLE_WEB, ROLE_DB, ROLE_OTHER };
const char *device_role_name(enum device_role r);

struct snmp_auth {
	char *protocol; /* MD5 SHA SHA-224 SHA-256 SHA-384 SHA-512 / DES AES ...
	                 */
	char *passphrase;
};

struct device_cfg {
	char *name;
	enum device_role role;
	char *address;    /* as written: host[:port], [v6]:port */
	char *host;       /* parsed host */
	int port;         /* default 161 */
	int snmp_version; /* 1, 2 (2c) or 3 */
	char *community;
	char *user;
	char *security_level; /* noAuthNoPriv authNoPriv authPriv (derived) */
	struct snmp_auth auth, priv;
	char *context;
	int64_t interval_ms;
	int64_t timeout_ms;
	int retries;
	const struct cp_cfg *node; /* the whole device mapping */
};

struct collector_cfg {
	char *name;
	int64_t interval_ms;
	const struct cp_cfg *node; /* its options mapping (may be empty) */
};

struct match_cfg { /* label matchers: key = value (value may be a glob) */
	char **keys;
	char **values;
	size_t n;
};

struct alert_cfg {
	char *name;
	char *metric;
	struct match_cfg match;
	int has_above, has_below, has_clear;
	double above, below, clear;
	int64_t for_ms;
	int severity; /* enum cp_severity */
	const struct cp_cfg *node;
	/* The keys below are read by alert_cfg.c. */
	int enabled;      /* enabled: false switches a (built-in) rule off */
	int has_critical; /* critical: escalation level, same direction */
	double critical;
	double critical_clear; /* de-escalation level (default: critical) */
	int64_t change_ms;     /* change: W -> value is the increase over W */
	int absent_target;     /* absent: target -> the target is down */
	int absent_intervals;  /* absent: N -> no data for N intervals */
	char *event;           /* event: KIND -> an event rule */
	int64_t hold_ms;       /* event rules: resolve after this quiet time */
	int64_t repeat_ms;     /* re-notify interval; -1: the hook's */
};

struct hook_cfg {
	char *name;
	char **argv; /* NULL-terminated */
	size_t argc;
	int64_t timeout_ms;
	struct match_cfg match;
	const struct cp_cfg *node;
	/* The keys below are read by alert_cfg.c. */
	int concurrency;      /* running at once (default 4) */
	int retries;          /* after a failure (default 2) */
	int64_t backoff_ms;   /* first retry delay, doubled each time */
	int64_t repeat_ms[3]; /* by severity; 0: never re-notify */
	int group;            /* one call per group (default true) */
	int send_resolved;    /* default true */
};

/*
 * Silences (one-off: start..end) and maintenance windows (weekly: days and
 * from..to in UTC) suppress notifications of alerts whose labels match.
 */
struct window_cfg {
	char *name;
	struct match_cfg match;
	int64_t start_ms, end_ms; /* silences; 0: open */
	unsigned days;            /* maintenance: bit 0 = Sunday */
	int from_min, to_min;     /* maintenance: minutes after 00:00 UTC */
	char *comment;
	const struct cp_cfg *node;
};

struct config {
	char *path; /* NULL: embedded defaults */
	struct cfgdoc *doc;
	struct {
		char *name;
		char *hostname; /* target name of the local host */
		char *data_dir;
		int64_t interval_ms;
		char *procfs;
		char *sysfs;
		char *plugin_dir; /* NULL: beside the binary */
		char *log_level;
	} agent;
	struct {
		char *listen;
		char *host; /* parsed */
		int port;
	} web;
	struct {
		char *rrdcached;
		int64_t flush_ms;
		size_t max_pending;
		struct {
			int64_t step_ms, keep_ms;
		} rra[8];
		size_t nrra;
	} storage;
	struct collector_cfg *collectors;
	size_t ncollectors;
	struct device_cfg *devices;
	size_t ndevices;
	struct alert_cfg *alerts;
	size_t nalerts;
	struct hook_cfg *hooks;
	size_t nhooks;
	/* Read by alert_cfg.c. */
	struct window_cfg *silences;
	size_t nsilences;
	struct window_cfg *maintenance;
	size_t nmaintenance;
	struct {
		char *host_role;     /* role of the local host: web, db... */
		int64_t window_ms;   /* p95/max window (default 15m) */
		char *dashboard_url; /* base of links in notifications */
	} bottlenecks;
};

/* alert_cfg.c: the alert, hook, silence and bottleneck keys config.c's
 * tables do not cover. 0, or -1 after errors (recorded on the nodes). */
int alert_cfg_read(struct config *c, const struct cp_cfg *root);
void alert_cfg_free(struct config *c);
/* "2026-11-27T22:00:00Z" (or +HH:MM) -> ms; 0 or -EINVAL. */
int time_parse_rfc3339(const char *s, int64_t *ms);

/* The embedded defaults used when no config file is given. */
extern const char config_default_yaml[];

/*
 * Load path (NULL: the embedded defaults). Returns the config, or NULL with
 * every problem in errs. A config with errors is never returned.
 */
struct config *config_load(const char *path, struct cfg_errs *errs);
/*
 * Like config_load, but returns what could be read even when there were
 * errors (NULL only when the YAML itself is unusable): `check` goes on to
 * validate collector options so every error is reported in one run. Never
 * run a config obtained this way.
 */
struct config *config_load_lenient(const char *path, struct cfg_errs *errs);
/* Same from a string; file is the name used in messages. */
struct config *config_parse(
    const char *file, const char *text, size_t len, struct cfg_errs *errs);
void config_free(struct config *c); /* takes NULL */
/* Free m's keys and values (m is left empty). */
void match_cfg_free(struct match_cfg *m);
/* dst: a copy of m that outlives the config m is in. */
void match_cfg_copy(struct match_cfg *dst, const struct match_cfg *m);
/* Find a collector's config entry by name, or NULL. */
const struct collector_cfg *config_collector(
    const struct config *c, const char *name);
/* Parse "host:port", "[v6]:port", "host"; 0 or -EINVAL. host is heap. */
int address_parse(const char *s, int default_port, char **host, int *port);

#endif
