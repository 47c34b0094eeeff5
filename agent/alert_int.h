/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by alert.c (state machine, persistence, notification)
 * and alert_eval.c (rules, matching, silences, the API's JSON). Not for
 * other modules.
 */
#ifndef CHOKEPOINT_ALERT_INT_H
#define CHOKEPOINT_ALERT_INT_H

#include <pthread.h>
#include <stdint.h>

#include "alert.h"
#include "config.h"
#include "db.h"

#define NBUCKETS 4096
/* More than FLAP_MAX firings within FLAP_WINDOW_MS: hold notifications. */
#define FLAP_MAX 4
#define FLAP_WINDOW_MS (30 * 60000)
/* A firing metric alert whose series vanished resolves after this. */
#define NODATA_MS (10 * 60000)
#define HIST_MAX 64

enum rule_kind { RK_METRIC, RK_CHANGE, RK_ABSENT, RK_TARGET, RK_EVENT };

struct rule {
	const struct alert_cfg *c;
	enum rule_kind kind;
	char prefix[128]; /* cache_foreach prefix of the metric ("x*") */
};

struct hist {
	int64_t t;
	double v;
};

struct inst {
	char *key;
	char id[24];
	char *rule;
	char *target;
	struct cp_label *labels;
	size_t nlabels;
	int state, severity;
	int notified; /* the current firing went out to hooks */
	int64_t since_ms, fired_ms, notified_ms, last_seen_ms, resolved_ms;
	double value, threshold;
	int flaps;
	int64_t flap_ms;
	int seen, dirty, removed;
	struct hist *hist; /* change rules */
	size_t nhist;
	struct inst *next;
};

struct trans {
	struct inst *in;
	int from, to, from_sev, sev;
	int notify, repeat;
	double value, threshold;
	int64_t log_id;
	char reason[256];
};

struct role_ent {
	char *target;
	char *role;
	int up, known;
	int64_t last_poll_ms, last_success_ms;
	char *reason;
};

struct win {
	struct match_cfg match; /* a copy: no pointer into a config */
	int64_t start_ms, end_ms;
	unsigned days;
	int from_min, to_min;
	char desc[128];
};

struct alerts {
	struct alerts_env env;
	char *hostname, *host_role; /* env's, after alerts_set_host */
	const struct config *cfg;
	struct config *builtin;
	struct rule *rules;
	size_t nrules;
	struct inst *buckets[NBUCKETS];
	size_t ninst;
	struct trans *trans;
	size_t ntrans, captrans;
	struct role_ent *roles;
	size_t nroles;
	struct win *wins;
	size_t nwins;
	int wins_stale;       /* silences changed: re-read them */
	int64_t wins_read_ms; /* when they were last read */
	int64_t event_cursor; /* last event id seen; -1: not yet */
	uint64_t db_gen;      /* db_generation() the cursor belongs to */
	int event_cursor_dirty;
	struct alertdb_logq logq; /* log rows waiting for the database */
	uint64_t events_seen;     /* db_events_added() at the last query */
	int64_t events_read_ms;   /* when the events were last queried */
	/* The database files at the last pass, and whether they changed
	 * since the events / the silences were last read. */
	struct db_stamp db_stamp;
	int events_db_moved, wins_db_moved;
	int64_t repeat_ms[3];
	int64_t started_ms;
	int64_t pruned_ms; /* last retention pass */
	alert_notify_cb notify;
	void *notify_arg;
	struct alerts_stats stats;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int running, stop;
	int64_t interval_ms;
};

/* alert.c */
void alerts_step(struct alerts *a, struct inst *in, const struct alert_cfg *c,
    int level, int64_t now);
void alerts_key_build(struct sbuf *b, const char *rule, const char *target,
    const struct cp_label *pre, const struct cp_label *l, size_t n);
struct inst *alerts_inst_find(struct alerts *a, const char *key);
struct inst *alerts_inst_get(struct alerts *a, struct sbuf *kb,
    const char *rule, const char *target, const struct cp_label *l, size_t n);
void alerts_inst_resolve(
    struct alerts *a, struct inst *in, int64_t now, const char *reason);
int64_t alerts_repeat_of(struct alerts *a, const struct alert_cfg *c, int sev);

/* alert_eval.c */
void alerts_rules_free(struct alerts *a);
const struct alert_cfg *alerts_rule_cfg(struct alerts *a, const char *name);
void alerts_roles_refresh(struct alerts *a);
const char *alerts_role_of(struct alerts *a, const char *target);
void alerts_windows_refresh(struct alerts *a, int64_t now);
void alerts_windows_free(struct alerts *a);
int alerts_win_active(const struct win *w, int64_t now);
int alerts_silenced(struct alerts *a, const struct inst *in, const char *role,
    const char *sev, int64_t now, char *why, size_t size);
void alerts_eval_rule(struct alerts *a, const struct rule *r, int64_t now);
void alerts_eval_unseen(struct alerts *a, int64_t now);
/* alert_store.c: write the pass to the database (or keep it for later). */
void alerts_persist(struct alerts *a, int64_t now);
/* Labels as a compact JSON object with sorted keys (caller frees). */
char *alerts_labels_json(const struct cp_label *l, size_t n);

#endif
