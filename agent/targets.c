// SPDX-License-Identifier: MIT
/*
 * Target registry: a small array of deep-copied cp_target_status records
 * behind a mutex. Fleets are hundreds of devices, so a linear scan is fine.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"
#include "util.h"

struct entry {
	struct cp_target_status st; /* owns its strings */
};

struct targets {
	pthread_mutex_t mu;
	struct entry *v;
	size_t n, cap;
};

struct targets *
targets_new(void)
{
	struct targets *t = xcalloc(1, sizeof(*t));

	pthread_mutex_init(&t->mu, NULL);
	return t;
}

static void
st_clear(struct cp_target_status *s)
{
	free((char *)s->target);
	free((char *)s->role);
	free((char *)s->reason);
	for (size_t i = 0; i < s->ninfo; i++) {
		free((char *)s->info[i].key);
		free((char *)s->info[i].value);
	}
	free((struct cp_label *)s->info);
	memset(s, 0, sizeof(*s));
}

void
targets_free(struct targets *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		st_clear(&t->v[i].st);
	free(t->v);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static struct entry *
find_or_add(struct targets *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].st.target, name) == 0)
			return &t->v[i];
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	t->v[t->n].st.target = xstrdup(name);
	return &t->v[t->n++];
}

void
targets_set(struct targets *t, const struct cp_target_status *st)
{
	struct entry *e;
	char *role = NULL;

	pthread_mutex_lock(&t->mu);
	e = find_or_add(t, st->target);
	if (st->role == NULL && e->st.role)
		role = xstrdup(e->st.role);
	char *name = xstrdup(st->target);

	st_clear(&e->st);
	e->st = *st;
	e->st.target = name;
	e->st.role = st->role ? xstrdup(st->role) : role;
	e->st.reason = st->reason ? xstrdup(st->reason) : NULL;
	struct cp_label *info =
	    xcalloc(st->ninfo ? st->ninfo : 1, sizeof(*info));

	for (size_t i = 0; i < st->ninfo; i++) {
		info[i].key = xstrdup(st->info[i].key);
		info[i].value = xstrdup(st->info[i].value);
	}
	e->st.info = info;
	pthread_mutex_unlock(&t->mu);
}

void
targets_declare(struct targets *t, const char *name, const char *role)
{
	struct entry *e;

	pthread_mutex_lock(&t->mu);
	e = find_or_add(t, name);
	if (e->st.role == NULL && role)
		e->st.role = xstrdup(role);
	if (e->st.last_poll_ms == 0 && e->st.reason == NULL)
		e->st.reason = xstrdup("not polled yet");
	pthread_mutex_unlock(&t->mu);
}

void
targets_foreach(struct targets *t,
    int (*cb)(const struct cp_target_status *, void *), void *arg)
{
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->n; i++)
		if (cb(&t->v[i].st, arg))
			break;
	pthread_mutex_unlock(&t->mu);
}

int
targets_get(struct targets *t, const char *name,
    void (*cb)(const struct cp_target_status *, void *), void *arg)
{
	int r = -ENOENT;

	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].st.target, name) == 0) {
			cb(&t->v[i].st, arg);
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return r;
}
