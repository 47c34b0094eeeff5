// SPDX-License-Identifier: MIT
/*
 * The alert engine: evaluates rules against the latest-value cache (metric,
 * rate-of-change and no-data rules), the target registry (target down) and
 * the event store (hot-swap, ECC, firmware), drives each instance through
 * inactive -> pending -> firing -> resolved with hysteresis, `for`, WARN <->
 * CRIT, re-notification, flap damping, silences and maintenance windows,
 * logs every transition to SQLite and persists the state there. Runs on
 * its own thread: a pass never holds the cache lock while deciding, and the
 * database only for one short transaction.
 */
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "alert.h"
#include "alert_db.h"
#include "alert_int.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "targets.h"

const char *
alert_state_name(int s)
{
	static const char *n[] = {"inactive", "pending", "firing", "resolved"};

	return s >= 0 && s <= ALERT_RESOLVED ? n[s] : "?";
}

const char *
alert_severity_name(int s)
{
	static const char *n[] = {"info", "warning", "critical"};

	return s >= 0 && s <= CP_SEV_CRITICAL ? n[s] : "?";
}

/* ------------------------------------------------------------ matching */

static int
glob_eq(const char *pat, const char *s)
{
	return fnmatch(pat, s, 0) == 0;
}

int
alert_match(const struct match_cfg *m, const char *target, const char *role,
    const struct cp_label *l, size_t n, const char *rule, const char *severity)
{
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i], *v = NULL;

		if (strcmp(k, "target") == 0)
			v = target;
		else if (strcmp(k, "role") == 0)
			v = role ? role : "other";
		else if (strcmp(k, "rule") == 0 || strcmp(k, "alertname") == 0)
			v = rule;
		else if (strcmp(k, "severity") == 0)
			v = severity;
		for (size_t j = 0; v == NULL && j < n; j++)
			if (strcmp(l[j].key, k) == 0)
				v = l[j].value;
		if (v == NULL || !glob_eq(m->values[i], v))
			return 0;
	}
	return 1;
}

/* --------------------------------------------------------------- labels */

static void
labels_from_json(struct inst *in, const char *s)
{
	json_t *o = json_loads(s, 0, NULL);
	const char *k;
	json_t *v;
	size_t i = 0;

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return;
	}
	free(in->labels); /* inst_add's empty array */
	in->labels = xcalloc(json_object_size(o) + 1, sizeof(*in->labels));
	json_object_foreach(o, k, v)
	{
		if (!json_is_string(v))
			continue;
		in->labels[i].key = xstrdup(k);
		in->labels[i].value = xstrdup(json_string_value(v));
		i++;
	}
	in->nlabels = i;
	json_decref(o);
}

/* ------------------------------------------------------------ instances */

static uint64_t
key_hash(const char *k)
{
	return hash_bytes(k, strlen(k), 0x9e3779b97f4a7c15ull);
}

static struct inst *
inst_find(struct alerts *a, const char *key)
{
	uint64_t h = key_hash(key);

	for (struct inst *in = a->buckets[h % NBUCKETS]; in; in = in->next)
		if (strcmp(in->key, key) == 0)
			return in;
	return NULL;
}

static void
new_id(char *id, size_t size)
{
	uint64_t r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint64_t)mono_ns() ^ (uint64_t)now_ms() << 20;
	snprintf(id, size, "%016llx", (unsigned long long)r);
}

static struct inst *
inst_add(struct alerts *a, const char *key, const char *rule,
    const char *target, const struct cp_label *l, size_t n)
{
	struct inst *in = xcalloc(1, sizeof(*in));
	uint64_t h = key_hash(key);

	in->key = xstrdup(key);
	in->rule = xstrdup(rule);
	in->target = xstrdup(target);
	in->labels = xcalloc(n + 1, sizeof(*in->labels));
	for (size_t i = 0; i < n; i++) {
		in->labels[i].key = xstrdup(l[i].key);
		in->labels[i].value = xstrdup(l[i].value);
	}
	in->nlabels = n;
	in->next = a->buckets[h % NBUCKETS];
	a->buckets[h % NBUCKETS] = in;
	a->ninst++;
	return in;
}

static void
inst_free(struct inst *in)
{
	for (size_t i = 0; i < in->nlabels; i++) {
		free((char *)in->labels[i].key);
		free((char *)in->labels[i].value);
	}
	free(in->labels);
	free(in->key);
	free(in->rule);
	free(in->target);
	free(in->hist);
	free(in);
}

/* Unlinks and frees instances marked for removal. */
static void
inst_sweep(struct alerts *a)
{
	/* The 4096 buckets are walked only when there is something in them
	 * (on a healthy site, most passes). */
	for (size_t b = 0; a->ninst && b < NBUCKETS; b++) {
		struct inst **pp = &a->buckets[b];

		while (*pp) {
			struct inst *in = *pp;

			if (in->removed) {
				*pp = in->next;
				inst_free(in);
				a->ninst--;
			} else {
				pp = &in->next;
			}
		}
	}
}

static void
key_label(struct sbuf *b, const struct cp_label *l)
{
	sbuf_add(b, "\x1f", 1);
	sbuf_puts(b, l->key);
	sbuf_add(b, "\x1e", 1);
	sbuf_puts(b, l->value);
}

/* rule US target [US key RS value]...: pre (if any) is the first label. */
void
alerts_key_build(struct sbuf *b, const char *rule, const char *target,
    const struct cp_label *pre, const struct cp_label *l, size_t n)
{
	b->len = 0;
	sbuf_puts(b, rule);
	sbuf_add(b, "\x1f", 1);
	sbuf_puts(b, target);
	if (pre)
		key_label(b, pre);
	for (size_t i = 0; i < n; i++)
		key_label(b, &l[i]);
}

/* ---------------------------------------------------------- transitions */

static void
trans_add(struct alerts *a, struct inst *in, int from, int from_sev, int notify,
    const char *reason, int repeat)
{
	struct trans *t;

	if (a->ntrans == a->captrans) {
		a->captrans = a->captrans ? a->captrans * 2 : 64;
		a->trans = xrealloc(a->trans, a->captrans * sizeof(*a->trans));
	}
	t = &a->trans[a->ntrans++];
	memset(t, 0, sizeof(*t));
	t->in = in;
	t->from = from;
	t->to = in->state;
	t->from_sev = from_sev;
	t->sev = in->severity;
	t->notify = notify;
	t->repeat = repeat;
	t->value = in->value;
	t->threshold = in->threshold;
	snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
	in->dirty = 1;
}

/* Why a notification of in is held back now, or NULL. */
static const char *
suppressed_why(
    struct alerts *a, struct inst *in, int64_t now, char *buf, size_t size)
{
	const char *role = alerts_role_of(a, in->target);
	const char *sev = alert_severity_name(in->severity);

	if (alerts_silenced(a, in, role, sev, now, buf, size))
		return buf;
	if (in->flaps > FLAP_MAX) {
		snprintf(buf, size, "flapping (%d firings within %d min)",
		    in->flaps, (int)(FLAP_WINDOW_MS / 60000));
		return buf;
	}
	return NULL;
}

static void
notify_firing(struct alerts *a, struct inst *in, int from, int from_sev,
    int repeat, int64_t now)
{
	char why[256];

	if (suppressed_why(a, in, now, why, sizeof(why))) {
		trans_add(a, in, from, from_sev, 0, why, repeat);
		return;
	}
	in->notified = 1;
	in->notified_ms = now;
	trans_add(a, in, from, from_sev, 1, NULL, repeat);
}

static void
go_firing(struct alerts *a, struct inst *in, int64_t now)
{
	int from = in->state;

	in->state = ALERT_FIRING;
	in->fired_ms = now;
	in->notified = 0;
	if (now - in->flap_ms > FLAP_WINDOW_MS) {
		in->flap_ms = now;
		in->flaps = 0;
	}
	in->flaps++;
	notify_firing(a, in, from, in->severity, 0, now);
}

static void
go_resolved(struct alerts *a, struct inst *in, int64_t now, const char *reason)
{
	int from = in->state;

	if (from == ALERT_PENDING) {
		in->state = ALERT_INACTIVE;
		trans_add(a, in, from, in->severity, 0, reason, 0);
	} else {
		in->state = ALERT_RESOLVED;
		/* A recovery goes out iff the firing did, whatever else. */
		if (in->notified)
			trans_add(a, in, from, in->severity, 1, reason, 0);
		else
			trans_add(a, in, from, in->severity, 0,
			    reason ? reason
			           : "firing was never notified (silenced or "
			             "flapping)",
			    0);
	}
	in->resolved_ms = now;
	in->removed = 1;
}

int64_t
alerts_repeat_of(struct alerts *a, const struct alert_cfg *c, int sev)
{
	if (c && c->repeat_ms >= 0)
		return c->repeat_ms;
	return a->repeat_ms[sev >= 0 && sev <= 2 ? sev : 1];
}

/*
 * One instance, one observation: level is 0 (condition clear), -1 (inside
 * the hysteresis band: keep the state), or the severity it calls for.
 */
void
alerts_step(struct alerts *a, struct inst *in, const struct alert_cfg *c,
    int level, int64_t now)
{
	int sev = in->severity;

	in->seen = 1;
	in->last_seen_ms = now;
	switch (in->state) {
	case ALERT_INACTIVE:
	case ALERT_RESOLVED:
		if (level <= 0)
			return;
		in->state = ALERT_INACTIVE;
		in->severity = level;
		new_id(in->id, sizeof(in->id));
		in->since_ms = now;
		in->removed = 0;
		if (c->for_ms > 0) {
			in->state = ALERT_PENDING;
			trans_add(a, in, ALERT_INACTIVE, level, 0, NULL, 0);
			return;
		}
		go_firing(a, in, now);
		return;
	case ALERT_PENDING:
		if (level == 0) {
			go_resolved(a, in, now, "cleared before 'for'");
			return;
		}
		if (level > 0)
			in->severity = level;
		if (now - in->since_ms >= c->for_ms)
			go_firing(a, in, now);
		return;
	case ALERT_FIRING:
		if (level == 0) {
			go_resolved(a, in, now, NULL);
			return;
		}
		if (level > 0 && level != sev) {
			/* WARN <-> CRIT: a transition of its own. */
			in->severity = level;
			notify_firing(a, in, ALERT_FIRING, sev, 0, now);
			return;
		}
		if (!in->notified) {
			/* Held back before (silence ended, flapping calmed). */
			char why[256];

			if (suppressed_why(a, in, now, why, sizeof(why)) ==
			    NULL)
				notify_firing(a, in, ALERT_FIRING, sev, 0, now);
			return;
		}
		int64_t rep = alerts_repeat_of(a, c, in->severity);

		if (rep > 0 && now - in->notified_ms >= rep)
			notify_firing(a, in, ALERT_FIRING, sev, 1, now);
		return;
	}
}

/* ------------------------------------------------------------ the pass */

static void
view_of(struct alerts *a, const struct trans *t, struct alert_view *v,
    int64_t now, int64_t repeat_ms)
{
	const struct inst *in = t->in;

	memset(v, 0, sizeof(*v));
	v->id = in->id;
	v->transition_id = t->log_id;
	v->state = t->to;
	v->prev_state = t->from;
	v->severity = t->sev;
	v->prev_severity = t->from_sev;
	v->rule = in->rule;
	v->target = in->target;
	v->role = alerts_role_of(a, in->target);
	v->labels = in->labels;
	v->nlabels = in->nlabels;
	v->value = t->value;
	v->threshold = t->threshold;
	v->started_ms = in->fired_ms ? in->fired_ms : in->since_ms;
	v->time_ms = now;
	v->repeat = t->repeat;
	v->repeat_ms = repeat_ms;
}

static int
trans_group_cmp(const void *pa, const void *pb)
{
	const struct trans *x = pa, *y = pb;
	int r;

	if (x->notify != y->notify)
		return y->notify - x->notify;
	if ((r = strcmp(x->in->rule, y->in->rule)) != 0)
		return r;
	if ((r = strcmp(x->in->target, y->in->target)) != 0)
		return r;
	if (x->to != y->to)
		return x->to - y->to;
	if (x->sev != y->sev)
		return x->sev - y->sev;
	if (x->repeat != y->repeat)
		return x->repeat - y->repeat;
	return strcmp(x->in->key, y->in->key);
}

static int
same_group(const struct trans *x, const struct trans *y)
{
	return strcmp(x->in->rule, y->in->rule) == 0 &&
	       strcmp(x->in->target, y->in->target) == 0 && x->to == y->to &&
	       x->sev == y->sev && x->repeat == y->repeat;
}

/* Grouped: one call per rule, target, status and severity. */
static void
notify_all(struct alerts *a, int64_t now)
{
	struct alert_view *v;
	size_t i = 0;

	if (a->ntrans == 0)
		return;
	qsort(a->trans, a->ntrans, sizeof(*a->trans), trans_group_cmp);
	v = xcalloc(a->ntrans, sizeof(*v));
	while (i < a->ntrans && a->trans[i].notify) {
		size_t j = i;

		while (j < a->ntrans && a->trans[j].notify &&
		       same_group(&a->trans[i], &a->trans[j])) {
			const struct alert_cfg *c =
			    alerts_rule_cfg(a, a->trans[j].in->rule);

			view_of(a, &a->trans[j], &v[j - i], now,
			    c ? c->repeat_ms : -1);
			j++;
		}
		a->stats.notifications++;
		if (a->notify)
			a->notify(v, j - i, a->notify_arg);
		i = j;
	}
	a->stats.suppressed += a->ntrans - i;
	for (; i < a->ntrans; i++)
		if (a->trans[i].reason[0] && a->trans[i].to != ALERT_PENDING &&
		    a->trans[i].from != ALERT_PENDING)
			log_info("alerts: %s %s: %s held back: %s",
			    a->trans[i].in->rule, a->trans[i].in->target,
			    alert_state_name(a->trans[i].to),
			    a->trans[i].reason);
	free(v);
}

void
alerts_eval(struct alerts *a, int64_t now)
{
	int64_t t0 = mono_ns();

	pthread_mutex_lock(&a->mu);
	a->ntrans = 0;
	if (a->env.db && db_changed(a->env.db, &a->db_stamp))
		a->events_db_moved = a->wins_db_moved = 1;
	if (a->env.db) {
		/* Reopened (deleted while running): its ids start again, and
		 * what is in it now was there before this pass. */
		int64_t base;
		uint64_t g = db_generation(a->env.db, &base);
		if (g != a->db_gen) {
			a->db_gen = g;
			a->event_cursor = base;
			a->event_cursor_dirty = 1;
			/* The new file has none of our states yet. */
			for (size_t b = 0; a->ninst && b < NBUCKETS; b++)
				for (struct inst *in = a->buckets[b]; in;
				     in = in->next)
					in->dirty = 1;
		}
	}
	alerts_windows_refresh(a, now);
	alerts_roles_refresh(a);
	for (size_t b = 0; a->ninst && b < NBUCKETS; b++) {
		for (struct inst *in = a->buckets[b]; in; in = in->next) {
			in->seen = 0;
			/* Restored state: no "no data" verdicts until the
			 * collectors had time to report. */
			if (a->stats.evals == 0)
				in->last_seen_ms = now;
		}
	}
	for (size_t i = 0; i < a->nrules; i++)
		alerts_eval_rule(a, &a->rules[i], now);
	alerts_eval_unseen(a, now);
	a->stats.transitions += a->ntrans;
	alerts_persist(a, now);
	notify_all(a, now);
	inst_sweep(a);
	a->stats.evals++;
	a->stats.last_eval_seconds = (double)(mono_ns() - t0) / 1e9;
	pthread_mutex_unlock(&a->mu);
}

/* ----------------------------------------------------- restore, lifecycle */

static void
restore_one(const struct alertdb_state *s, void *arg)
{
	struct alerts *a = arg;
	struct inst *in;

	if (s->state != ALERT_PENDING && s->state != ALERT_FIRING)
		return;
	in = inst_add(a, s->key, s->rule, s->target, NULL, 0);
	labels_from_json(in, s->labels_json);
	snprintf(in->id, sizeof(in->id), "%s", s->id);
	in->state = s->state;
	in->severity = s->severity;
	in->notified = s->notified;
	in->since_ms = s->since_ms;
	in->fired_ms = s->fired_ms;
	in->notified_ms = s->notified_ms;
	in->value = s->value;
	in->threshold = s->threshold;
	in->flaps = s->flaps;
	in->flap_ms = s->flap_ms;
}

struct alerts *
alerts_new(const struct config *cfg, const struct alerts_env *env, char *err,
    size_t errlen)
{
	struct alerts *a = xcalloc(1, sizeof(*a));
	struct cfg_errs errs;

	a->env = *env;
	a->started_ms = now_ms();
	a->repeat_ms[CP_SEV_WARNING] = 4 * 3600000;
	a->repeat_ms[CP_SEV_CRITICAL] = 3600000;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	cfg_errs_init(&errs);
	a->builtin = config_parse("<built-in alerts>", alert_builtin_yaml,
	    strlen(alert_builtin_yaml), &errs);
	if (a->builtin == NULL) {
		/* A bug, caught by the unit tests. */
		snprintf(err, errlen, "built-in alert rules do not parse: %s",
		    errs.n ? errs.v[0].msg : "?");
		cfg_errs_fini(&errs);
		alerts_free(a);
		return NULL;
	}
	cfg_errs_fini(&errs);
	alerts_reconfigure(a, cfg);
	if (env->db) {
		struct sqlite3 *h;
		/* Also made again if the file is deleted while we run. */
		int r = db_add_schema(env->db, alertdb_schema, NULL);

		a->db_gen = db_generation(env->db, NULL);
		db_lock(env->db);
		h = db_handle(env->db);
		if (r == 0) {
			alertdb_state_load(h, restore_one, a);
			if (alertdb_meta_get(
			        h, "event_cursor", &a->event_cursor) < 0) {
				a->event_cursor = -1; /* start at the newest */
			}
		}
		db_unlock(env->db);
		if (r < 0 && db_online(env->db)) {
			snprintf(err, errlen, "cannot create the alert tables");
			alerts_free(a);
			return NULL;
		}
		if (r < 0)
			log_warnx(
			    "alerts: the database is not open: states "
			    "from before this start are not restored, and "
			    "are saved once it opens");
	}
	return a;
}

void
alerts_set_notify(struct alerts *a, alert_notify_cb cb, void *arg)
{
	pthread_mutex_lock(&a->mu);
	a->notify = cb;
	a->notify_arg = arg;
	pthread_mutex_unlock(&a->mu);
}

void
alerts_set_repeat(struct alerts *a, const int64_t ms[3])
{
	pthread_mutex_lock(&a->mu);
	for (int i = 0; i < 3; i++)
		a->repeat_ms[i] = ms[i];
	pthread_mutex_unlock(&a->mu);
}

static void *
eval_thread(void *arg)
{
	struct alerts *a = arg;

	pthread_setname_np(pthread_self(), "cp-alerts");
	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		int64_t now = now_ms();
		int64_t next = (now / a->interval_ms + 1) * a->interval_ms +
		               a->interval_ms / 2;
		struct timespec ts = {next / 1000, (next % 1000) * 1000000};

		if (now % a->interval_ms < a->interval_ms / 2)
			next -= a->interval_ms;
		ts.tv_sec = next / 1000;
		ts.tv_nsec = (next % 1000) * 1000000;
		while (!a->stop && now_ms() < next)
			pthread_cond_timedwait(&a->cv, &a->mu, &ts);
		if (a->stop)
			break;
		pthread_mutex_unlock(&a->mu);
		alerts_eval(a, now_ms());
		pthread_mutex_lock(&a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

int
alerts_start(struct alerts *a, int64_t interval_ms)
{
	int r;

	a->interval_ms = interval_ms > 0 ? interval_ms : 10000;
	r = pthread_create(&a->thread, NULL, eval_thread, a);
	if (r != 0)
		return -r;
	a->running = 1;
	return 0;
}

void
alerts_free(struct alerts *a)
{
	if (a == NULL)
		return;
	if (a->running) {
		pthread_mutex_lock(&a->mu);
		a->stop = 1;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);
	}
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct inst *in = a->buckets[b]; in; in = in->next)
			in->removed = 1;
	inst_sweep(a);
	alerts_rules_free(a);
	alerts_windows_free(a);
	free(a->hostname);
	free(a->host_role);
	config_free(a->builtin);
	if (a->logq.n)
		log_warnx("alerts: %zu log rows never reached the database",
		    a->logq.n);
	alertdb_logq_clear(&a->logq);
	free(a->trans);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}

void
alerts_get_stats(struct alerts *a, struct alerts_stats *st)
{
	pthread_mutex_lock(&a->mu);
	*st = a->stats;
	st->pending = st->firing = 0;
	for (size_t b = 0; b < NBUCKETS; b++) {
		for (struct inst *in = a->buckets[b]; in; in = in->next) {
			st->pending += in->state == ALERT_PENDING;
			st->firing += in->state == ALERT_FIRING;
		}
	}
	pthread_mutex_unlock(&a->mu);
}

/* Exposed to alert_eval.c through alert_int.h. */
struct inst *
alerts_inst_find(struct alerts *a, const char *key)
{
	return inst_find(a, key);
}

struct inst *
alerts_inst_get(struct alerts *a, struct sbuf *kb, const char *rule,
    const char *target, const struct cp_label *l, size_t n)
{
	struct inst *in;

	alerts_key_build(kb, rule, target, NULL, l, n);
	in = inst_find(a, kb->s);
	if (in == NULL)
		in = inst_add(a, kb->s, rule, target, l, n);
	return in;
}

void
alerts_inst_resolve(
    struct alerts *a, struct inst *in, int64_t now, const char *reason)
{
	if (in->state == ALERT_PENDING || in->state == ALERT_FIRING)
		go_resolved(a, in, now, reason);
	else
		in->removed = 1;
}
