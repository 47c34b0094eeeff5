// SPDX-License-Identifier: MIT
/*
 * The latest-value cache. Series live in an open-addressing hash table keyed
 * by (target, metric, sorted labels); each belongs to a family (metric name,
 * type, help) so /metrics can print HELP/TYPE once per family. Counters keep
 * their rate state here and publish a *_per_second gauge; gauges and rates
 * go on to the RRD store.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "rrd.h"
#include "util.h"

#define MAX_LABELS 16
#define MAX_KEY 2048
#define MAX_VALUE_LEN 256

struct family {
	char *name;
	char *help;
	int is_counter;
	size_t nseries;
	int no_history;      /* kept on /metrics only, no RRD file */
	struct series *head; /* its series, linked through fam_next */
};

struct series {
	uint64_t hash;
	char *key; /* target\0metric\0k\0v\0... */
	size_t keylen;
	struct family *fam;
	struct series *fam_prev, *fam_next;
	char *target;
	struct cp_label *labels;
	size_t nlabels;
	int is_counter;
	struct rate_state rs;
	double scale;
	struct series *rate; /* counters: their *_per_second series */
	double value;
	uint64_t value_u64;
	int64_t time_ms;
	int64_t step_ms;
	int has_value;
	char *rrd;
};

struct cache {
	pthread_rwlock_t lock;
	struct store *store;
	struct series **tab;
	size_t cap, n;
	struct family **fams; /* sorted by name */
	size_t nfams, capfams;
	atomic_uint_fast64_t generation;
	struct cache_stats stats;
	pthread_mutex_t text_mu;
	struct cache_text *text;
};

struct cache *
cache_new(struct store *st)
{
	struct cache *c = xcalloc(1, sizeof(*c));

	pthread_rwlock_init(&c->lock, NULL);
	pthread_mutex_init(&c->text_mu, NULL);
	c->store = st;
	c->cap = 1024;
	c->tab = xcalloc(c->cap, sizeof(*c->tab));
	return c;
}

static void
series_free(struct series *s)
{
	for (size_t i = 0; i < s->nlabels; i++) {
		free((char *)s->labels[i].key);
		free((char *)s->labels[i].value);
	}
	free(s->labels);
	free(s->key);
	free(s->target);
	free(s->rrd);
	free(s);
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->cap; i++)
		if (c->tab[i])
			series_free(c->tab[i]);
	for (size_t i = 0; i < c->nfams; i++) {
		free(c->fams[i]->name);
		free(c->fams[i]->help);
		free(c->fams[i]);
	}
	free(c->fams);
	free(c->tab);
	if (c->text)
		cache_text_unref(c->text);
	pthread_rwlock_destroy(&c->lock);
	pthread_mutex_destroy(&c->text_mu);
	free(c);
}

static int
valid_name(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

/* Sorted label order as indexes; returns -EINVAL on bad or duplicate keys. */
static int
label_order(const struct cp_label *l, size_t n, size_t *idx)
{
	for (size_t i = 0; i < n; i++) {
		if (l[i].key == NULL || l[i].value == NULL ||
		    !valid_name(l[i].key) || strcmp(l[i].key, "target") == 0)
			return -EINVAL;
		size_t j = i;

		while (j > 0 && strcmp(l[idx[j - 1]].key, l[i].key) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
		if (j > 0 && strcmp(l[idx[j - 1]].key, l[i].key) == 0)
			return -EINVAL;
		if (j + 1 <= i && strcmp(l[idx[j + 1]].key, l[i].key) == 0)
			return -EINVAL;
	}
	return 0;
}

static size_t
key_add(char *key, size_t n, const char *s)
{
	size_t l = strnlen(s, MAX_VALUE_LEN);

	if (n + l + 1 > MAX_KEY)
		return MAX_KEY + 1;
	memcpy(key + n, s, l);
	key[n + l] = '\0';
	return n + l + 1;
}

static size_t
key_build(char *key, const char *target, const char *metric,
    const struct cp_label *l, const size_t *idx, size_t n)
{
	size_t len = key_add(key, 0, target);

	if (len <= MAX_KEY)
		len = key_add(key, len, metric);
	for (size_t i = 0; i < n && len <= MAX_KEY; i++) {
		len = key_add(key, len, l[idx[i]].key);
		if (len <= MAX_KEY)
			len = key_add(key, len, l[idx[i]].value);
	}
	return len;
}

static struct series **
slot(struct cache *c, uint64_t h, const char *key, size_t len)
{
	size_t i = h & (c->cap - 1);

	for (;; i = (i + 1) & (c->cap - 1)) {
		struct series *s = c->tab[i];

		if (s == NULL || (s->hash == h && s->keylen == len &&
		                     memcmp(s->key, key, len) == 0))
			return &c->tab[i];
	}
}

static void
grow(struct cache *c)
{
	struct series **old = c->tab;
	size_t oldcap = c->cap;

	c->cap *= 2;
	c->tab = xcalloc(c->cap, sizeof(*c->tab));
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i] == NULL)
			continue;
		size_t j = old[i]->hash & (c->cap - 1);

		while (c->tab[j])
			j = (j + 1) & (c->cap - 1);
		c->tab[j] = old[i];
	}
	free(old);
}

static struct family *
family_get(struct cache *c, const char *name, const char *help, int counter)
{
	size_t lo = 0, hi = c->nfams;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(c->fams[mid]->name, name);

		if (r == 0) {
			if (c->fams[mid]->help == NULL && help)
				c->fams[mid]->help = xstrdup(help);
			return c->fams[mid];
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (c->nfams == c->capfams) {
		c->capfams = c->capfams ? c->capfams * 2 : 64;
		c->fams = xrealloc(c->fams, c->capfams * sizeof(*c->fams));
	}
	memmove(
	    &c->fams[lo + 1], &c->fams[lo], (c->nfams - lo) * sizeof(*c->fams));
	struct family *f = xcalloc(1, sizeof(*f));

	f->name = xstrdup(name);
	f->help = help ? xstrdup(help) : NULL;
	f->is_counter = counter;
	c->fams[lo] = f;
	c->nfams++;
	return f;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* The RRD file of a series: TARGET/METRIC/INSTANCE. */
static char *
rrd_rel(const char *target, const char *metric, const struct cp_label *l,
    const size_t *idx, size_t n)
{
	struct sbuf raw;
	char inst[160], rel[512];
	int plain = 1;

	sbuf_init(&raw);
	for (size_t i = 0; i < n; i++) {
		const char *v = l[idx[i]].value;

		if (i)
			sbuf_puts(&raw, "-");
		sbuf_puts(&raw, v);
		if (strchr(v, '-'))
			plain = 0;
	}
	if (n == 0)
		sbuf_puts(&raw, "value");
	name_sanitize(raw.s, inst, sizeof(inst));
	/*
	 * Label values that sanitising changed (Gi1/0/1) or that could join
	 * ambiguously get a short hash of the real values, so two series
	 * never share a file.
	 */
	if (!plain || strcmp(inst, raw.s) != 0 || raw.len > 100) {
		uint64_t h = hash_bytes(raw.s, raw.len, 0);
		size_t il = strlen(inst);

		if (il > 100)
			il = 100;
		snprintf(inst + il, sizeof(inst) - il, "_%06llx",
		    (unsigned long long)(h & 0xffffff));
	}
	sbuf_fini(&raw);
	store_relpath(target, metric, inst, rel, sizeof(rel));
	return xstrdup(rel);
}

/* Looks up or creates; called with the write lock held. */
static struct series *
series_get(struct cache *c, const char *target, const char *metric,
    const char *help, const struct cp_label *l, const size_t *idx, size_t n,
    int counter, int *err)
{
	char key[MAX_KEY + 1];
	size_t len = key_build(key, target, metric, l, idx, n);
	uint64_t h;
	struct series **sp, *s;

	if (len > MAX_KEY) {
		*err = -E2BIG;
		return NULL;
	}
	h = hash_bytes(key, len, 0);
	sp = slot(c, h, key, len);
	if (*sp) {
		if ((*sp)->is_counter != counter) {
			*err = -EINVAL; /* one name, two kinds: a plugin bug */
			return NULL;
		}
		return *sp;
	}
	s = xcalloc(1, sizeof(*s));
	s->hash = h;
	s->keylen = len;
	s->key = xmalloc(len);
	memcpy(s->key, key, len);
	s->target = xstrdup(target);
	s->nlabels = n;
	s->labels = xcalloc(n ? n : 1, sizeof(*s->labels));
	for (size_t i = 0; i < n; i++) {
		s->labels[i].key = xstrdup(l[idx[i]].key);
		s->labels[i].value = xstrndup(l[idx[i]].value, MAX_VALUE_LEN);
	}
	s->is_counter = counter;
	s->fam = family_get(c, metric, help, counter);
	s->fam->nseries++;
	s->fam_next = s->fam->head;
	if (s->fam_next)
		s->fam_next->fam_prev = s;
	s->fam->head = s;
	/*
	 * History for gauges and rates; not for raw counters (their rate is
	 * stored) nor for `*_info` series, whose value is always 1 and whose
	 * meaning is in the labels (Prometheus' info-metric convention).
	 */
	if (!counter && !has_suffix(metric, "_info") && !s->fam->no_history)
		s->rrd = rrd_rel(target, metric, l, idx, n);
	*sp = s;
	c->n++;
	c->stats.series = c->n;
	if (c->n * 2 > c->cap)
		grow(c);
	return s;
}

static void
gauge_set(struct cache *c, struct series *s, double v, int64_t t, int64_t step)
{
	s->value = v;
	s->time_ms = t;
	s->step_ms = step;
	s->has_value = 1;
	if (c->store && s->rrd)
		store_update(c->store, s->rrd, step, t, v);
}

void
cache_no_history(struct cache *c, const char *metric)
{
	char name[256];

	/* A counter's history is its rate's. */
	rate_metric_name(metric, name, sizeof(name));
	pthread_rwlock_wrlock(&c->lock);
	family_get(c, metric, NULL, has_suffix(metric, "_total"))->no_history =
	    1;
	if (has_suffix(metric, "_total"))
		family_get(c, name, NULL, 0)->no_history = 1;
	pthread_rwlock_unlock(&c->lock);
}

int
cache_put(struct cache *c, const struct cp_sample *smp, int64_t step_ms)
{
	size_t idx[MAX_LABELS];
	struct series *s;
	int err = 0, counter = smp->kind != CP_GAUGE;

	if (smp->nlabels > MAX_LABELS || !valid_name(smp->metric) ||
	    smp->target == NULL || smp->target[0] == '\0')
		return -EINVAL;
	if (label_order(smp->labels, smp->nlabels, idx) < 0)
		return -EINVAL;
	if (smp->interval_ms > 0)
		step_ms = smp->interval_ms;
	pthread_rwlock_wrlock(&c->lock);
	c->stats.samples_total++;
	s = series_get(c, smp->target, smp->metric, smp->help, smp->labels, idx,
	    smp->nlabels, counter, &err);
	if (s == NULL)
		goto out;
	if (!counter) {
		gauge_set(c, s, smp->value, smp->time_ms, step_ms);
		goto out;
	}
	double rate = 0;
	enum rate_result r = rate_update(&s->rs, smp->kind, smp->counter,
	    smp->time_ms, smp->discontinuity, smp->max_rate, &rate);

	s->value_u64 = smp->kind == CP_COUNTER32 ? smp->counter & 0xffffffffu
	                                         : smp->counter;
	s->scale = smp->scale > 0 ? smp->scale : 1;
	s->time_ms = smp->time_ms;
	s->step_ms = step_ms;
	s->has_value = 1;
	switch (r) {
	case RATE_OK:
		if (s->rate == NULL) {
			char name[256];

			rate_metric_name(smp->metric, name, sizeof(name));
			s->rate = series_get(c, smp->target, name, smp->help,
			    smp->labels, idx, smp->nlabels, 0, &err);
			if (s->rate == NULL)
				goto out;
		}
		c->stats.rates_total++;
		gauge_set(c, s->rate, rate * smp->scale, smp->time_ms, step_ms);
		break;
	case RATE_RESET:
		c->stats.resets_total++;
		break;
	case RATE_DISCONTINUITY:
		c->stats.discontinuities_total++;
		break;
	case RATE_TOO_HIGH:
		c->stats.too_high_total++;
		break;
	case RATE_BAD_TIME:
		c->stats.bad_time_total++;
		break;
	case RATE_BASELINE:
		break;
	}
out:
	atomic_fetch_add(&c->generation, 1);
	pthread_rwlock_unlock(&c->lock);
	return err;
}

static int
metric_match(const char *pat, const char *name)
{
	size_t n;

	if (pat == NULL)
		return 1;
	n = strlen(pat);
	if (n && pat[n - 1] == '*')
		return strncmp(pat, name, n - 1) == 0;
	return strcmp(pat, name) == 0;
}

static void
view(const struct series *s, struct cache_series *v)
{
	v->target = s->target;
	v->metric = s->fam->name;
	v->help = s->fam->help;
	v->labels = s->labels;
	v->nlabels = s->nlabels;
	v->is_counter = s->is_counter;
	v->value = s->is_counter ? (double)s->value_u64 * s->scale : s->value;
	v->value_u64 = s->value_u64;
	v->time_ms = s->time_ms;
	v->step_ms = s->step_ms;
	v->rrd = s->rrd;
}

void
cache_foreach(struct cache *c, const char *target, const char *metric,
    int (*cb)(const struct cache_series *, void *), void *arg)
{
	struct cache_series v;
	size_t plen, lo = 0, hi;

	pthread_rwlock_rdlock(&c->lock);
	if (metric == NULL)
		goto all;
	/*
	 * A name or a "prefix*": only the families that match, through
	 * their own lists (the alert engine asks this for each rule on
	 * every pass; walking every slot each time was most of its cost).
	 */
	plen = strlen(metric);
	if (plen && metric[plen - 1] == '*')
		plen--;
	for (hi = c->nfams; lo < hi;) {
		size_t mid = (lo + hi) / 2;

		if (strncmp(c->fams[mid]->name, metric, plen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nfams; lo++) {
		const struct family *f = c->fams[lo];

		if (strncmp(f->name, metric, plen) != 0)
			break;
		if (!metric_match(metric, f->name))
			continue;
		for (const struct series *s = f->head; s; s = s->fam_next) {
			if (!s->has_value ||
			    (target && strcmp(target, s->target) != 0))
				continue;
			view(s, &v);
			if (cb(&v, arg))
				goto out;
		}
	}
	goto out;
all:
	for (size_t i = 0; i < c->cap; i++) {
		struct series *s = c->tab[i];

		if (s == NULL || !s->has_value)
			continue;
		if (target && strcmp(target, s->target) != 0)
			continue;
		if (!metric_match(metric, s->fam->name))
			continue;
		view(s, &v);
		if (cb(&v, arg))
			break;
	}
out:
	pthread_rwlock_unlock(&c->lock);
}

int
cache_get(struct cache *c, const char *target, const char *metric,
    const char *labels, double *value, int64_t *time_ms)
{
	struct cp_label l[MAX_LABELS];
	size_t idx[MAX_LABELS], n = 0;
	char buf[1024], key[MAX_KEY + 1];
	int ret = -ENOENT;

	if (labels && *labels) {
		char *save = NULL, *tok;

		if (strlcpy_(buf, labels, sizeof(buf)) >= sizeof(buf))
			return -E2BIG;
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(tok, '=');

			if (eq == NULL || n == MAX_LABELS)
				return -EINVAL;
			*eq = '\0';
			l[n].key = tok;
			l[n++].value = eq + 1;
		}
	}
	if (label_order(l, n, idx) < 0)
		return -EINVAL;
	size_t len = key_build(key, target, metric, l, idx, n);

	if (len > MAX_KEY)
		return -E2BIG;
	pthread_rwlock_rdlock(&c->lock);
	struct series *s = *slot(c, hash_bytes(key, len, 0), key, len);

	if (s && s->has_value) {
		*value =
		    s->is_counter ? (double)s->value_u64 * s->scale : s->value;
		if (time_ms)
			*time_ms = s->time_ms;
		ret = 0;
	}
	pthread_rwlock_unlock(&c->lock);
	return ret;
}

size_t
cache_expire(struct cache *c, int64_t now, int64_t min_age_ms)
{
	size_t dropped = 0;

	pthread_rwlock_wrlock(&c->lock);
	for (size_t i = 0; i < c->cap; i++) {
		struct series *s = c->tab[i];
		int64_t age;

		if (s == NULL)
			continue;
		age =
		    10 * s->step_ms > min_age_ms ? 10 * s->step_ms : min_age_ms;
		if (now - s->time_ms <= age)
			continue;
		/* Counters point at their rate series: unlink first. */
		for (size_t j = 0; j < c->cap; j++)
			if (c->tab[j] && c->tab[j]->rate == s)
				c->tab[j]->rate = NULL;
		s->fam->nseries--;
		if (s->fam_prev)
			s->fam_prev->fam_next = s->fam_next;
		else
			s->fam->head = s->fam_next;
		if (s->fam_next)
			s->fam_next->fam_prev = s->fam_prev;
		series_free(s);
		c->tab[i] = NULL;
		c->n--;
		dropped++;
		/* Re-insert the cluster after the hole (linear probing). */
		for (size_t j = (i + 1) & (c->cap - 1); c->tab[j];
		     j = (j + 1) & (c->cap - 1)) {
			struct series *m = c->tab[j];

			c->tab[j] = NULL;
			size_t k = m->hash & (c->cap - 1);

			while (c->tab[k])
				k = (k + 1) & (c->cap - 1);
			c->tab[k] = m;
		}
		i--; /* the slot may hold a moved series now */
	}
	c->stats.series = c->n;
	c->stats.expired_total += dropped;
	if (dropped)
		atomic_fetch_add(&c->generation, 1);
	pthread_rwlock_unlock(&c->lock);
	return dropped;
}

uint64_t
cache_generation(struct cache *c)
{
	return atomic_load(&c->generation);
}

void
cache_get_stats(struct cache *c, struct cache_stats *out)
{
	pthread_rwlock_rdlock(&c->lock);
	*out = c->stats;
	pthread_rwlock_unlock(&c->lock);
}

/* ------------------------------------------------- Prometheus exposition */

static int
series_cmp(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a;
	const struct series *y = *(struct series *const *)b;
	int r = strcmp(x->fam->name, y->fam->name);
	size_t n;

	if (r)
		return r;
	n = x->keylen < y->keylen ? x->keylen : y->keylen;
	r = memcmp(x->key, y->key, n);
	return r ? r : (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

static void
put_escaped(struct sbuf *b, const char *s, int quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep = NULL;

		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		if (rep == NULL)
			continue;
		sbuf_add(b, run, (size_t)(s - run));
		sbuf_puts(b, rep);
		run = s + 1;
	}
	sbuf_add(b, run, (size_t)(s - run));
}

static void
put_value(struct sbuf *b, const struct series *s)
{
	char num[40];
	int n;

	/*
	 * A raw counter prints exactly as an integer; one with a unit scale
	 * (microseconds counted, seconds published) as its scaled value.
	 */
	if (s->is_counter && s->scale == 1)
		n = snprintf(
		    num, sizeof(num), "%llu", (unsigned long long)s->value_u64);
	else if (s->is_counter)
		n = snprintf(
		    num, sizeof(num), "%.15g", (double)s->value_u64 * s->scale);
	else if (s->value != s->value)
		n = snprintf(num, sizeof(num), "NaN");
	else
		n = snprintf(num, sizeof(num), "%.15g", s->value);
	sbuf_add(b, num, (size_t)n);
}

static void
render(struct cache *c, struct sbuf *b)
{
	struct series **v = xmalloc((c->n ? c->n : 1) * sizeof(*v));
	const struct family *cur = NULL;
	size_t n = 0;

	for (size_t i = 0; i < c->cap; i++)
		if (c->tab[i] && c->tab[i]->has_value)
			v[n++] = c->tab[i];
	qsort(v, n, sizeof(*v), series_cmp);
	sbuf_reserve(b, n * 96);
	for (size_t i = 0; i < n; i++) {
		const struct series *s = v[i];

		if (s->fam != cur) {
			cur = s->fam;
			sbuf_puts(b, "# HELP chokepoint_");
			sbuf_puts(b, cur->name);
			sbuf_puts(b, " ");
			put_escaped(b, cur->help ? cur->help : cur->name, 0);
			sbuf_puts(b, "\n# TYPE chokepoint_");
			sbuf_puts(b, cur->name);
			sbuf_puts(
			    b, cur->is_counter ? " counter\n" : " gauge\n");
		}
		sbuf_puts(b, "chokepoint_");
		sbuf_puts(b, cur->name);
		sbuf_puts(b, "{target=\"");
		put_escaped(b, s->target, 1);
		sbuf_puts(b, "\"");
		for (size_t j = 0; j < s->nlabels; j++) {
			sbuf_puts(b, ",");
			sbuf_puts(b, s->labels[j].key);
			sbuf_puts(b, "=\"");
			put_escaped(b, s->labels[j].value, 1);
			sbuf_puts(b, "\"");
		}
		sbuf_puts(b, "} ");
		put_value(b, s);
		sbuf_puts(b, "\n");
	}
	free(v);
}

struct cache_text *
cache_metrics_text(struct cache *c)
{
	struct cache_text *t;
	uint64_t gen;

	pthread_mutex_lock(&c->text_mu);
	gen = cache_generation(c);
	if (c->text && c->text->generation == gen) {
		t = c->text;
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_ACQ_REL);
		pthread_mutex_unlock(&c->text_mu);
		return t;
	}
	struct sbuf b;

	sbuf_init(&b);
	pthread_rwlock_rdlock(&c->lock);
	gen = cache_generation(c);
	render(c, &b);
	pthread_rwlock_unlock(&c->lock);
	t = xcalloc(1, sizeof(*t));
	t->data = sbuf_steal(&b, &t->len);
	t->generation = gen;
	t->refs = 2; /* the cache's and the caller's */
	if (c->text)
		cache_text_unref(c->text);
	c->text = t;
	pthread_mutex_unlock(&c->text_mu);
	return t;
}

void
cache_text_unref(struct cache_text *t)
{
	if (t && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(t->data);
		free(t);
	}
}
