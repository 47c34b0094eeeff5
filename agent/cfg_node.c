// SPDX-License-Identifier: MIT
/*
 * The cp_cfg_* accessors of plugin.h and the cfg_node_* helpers of
 * config.h over the tree cfgdoc.c built: they read typed values, record
 * every error with the node's file:line:col in the document's error list,
 * and mark the keys they were asked for so that config.c can report
 * unknown keys afterwards.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgdoc_priv.h"
#include "config.h"
#include "util.h"

void
cfg_node_pos(const struct cp_cfg *n, int *line, int *col)
{
	*line = n ? n->line : 0;
	*col = n ? n->col : 0;
}

int
cfg_node_is_map(const struct cp_cfg *n)
{
	return n && n->type == CFG_MAP;
}

int
cfg_node_is_seq(const struct cp_cfg *n)
{
	return n && n->type == CFG_SEQ;
}

void
cp_cfg_error(const struct cp_cfg *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (n == NULL || n->doc == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_errs_add(n->doc->errs, n->doc->file, n->line, n->col, "%s", msg);
}

static const char *
type_name(const struct cp_cfg *n)
{
	switch (n->type) {
	case CFG_NULL:
		return "nothing";
	case CFG_SCALAR:
		return "a scalar";
	case CFG_MAP:
		return "a mapping";
	case CFG_SEQ:
		return "a list";
	}
	return "?";
}

/* Finds key in mapping n and marks it used; NULL when absent. */
static struct cp_cfg *
lookup(const struct cp_cfg *n, const char *key)
{
	if (n == NULL || n->type != CFG_MAP)
		return NULL;
	for (size_t i = 0; i < n->n; i++) {
		if (strcmp(n->keys[i], key) == 0) {
			((struct cp_cfg *)n)->used[i] = 1;
			return n->vals[i];
		}
	}
	return NULL;
}

void
cfg_node_mark_used(const struct cp_cfg *n, const char *key)
{
	(void)lookup(n, key);
}

void
cfg_node_clear_used(const struct cp_cfg *n)
{
	if (n == NULL)
		return;
	if (n->type == CFG_MAP && n->n)
		memset(n->used, 0, n->n);
	for (size_t i = 0; i < n->n; i++)
		cfg_node_clear_used(n->vals[i]);
}

void
cfg_node_report_unused(const struct cp_cfg *n, const char *where)
{
	if (n == NULL)
		return;
	if (n->type == CFG_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			cfg_node_report_unused(n->vals[i], where);
		return;
	}
	if (n->type != CFG_MAP)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (!n->used[i]) {
			cp_cfg_error(n->knodes[i], "unknown key '%s'%s%s",
			    n->keys[i], where ? " in " : "",
			    where ? where : "");
			continue;
		}
		cfg_node_report_unused(n->vals[i], where);
	}
}

static const struct cp_cfg *
scalar_of(const struct cp_cfg *n, const char *key, const char *what)
{
	const struct cp_cfg *v = lookup(n, key);

	if (v == NULL || v->type == CFG_NULL)
		return NULL;
	if (v->type != CFG_SCALAR) {
		cp_cfg_error(
		    v, "'%s': expected %s, found %s", key, what, type_name(v));
		return (const struct cp_cfg *)-1;
	}
	return v;
}

#define SCALAR_OR_RETURN(v, n, key, what)                                      \
	do {                                                                   \
		v = scalar_of(n, key, what);                                   \
		if (v == NULL)                                                 \
			return -ENOENT;                                        \
		if (v == (const struct cp_cfg *)-1)                            \
			return -EINVAL;                                        \
	} while (0)

int
cp_cfg_str(const struct cp_cfg *n, const char *key, const char **out)
{
	const struct cp_cfg *v;

	SCALAR_OR_RETURN(v, n, key, "a string");
	*out = v->text;
	return 0;
}

int
cp_cfg_bool(const struct cp_cfg *n, const char *key, int *out)
{
	static const char *yes[] = {"true", "yes", "on", "True", "TRUE", "Yes"};
	static const char *no[] = {
	    "false", "no", "off", "False", "FALSE", "No"};
	const struct cp_cfg *v;

	SCALAR_OR_RETURN(v, n, key, "true or false");
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(v->text, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(v->text, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	cp_cfg_error(
	    v, "'%s': expected true or false, found '%s'", key, v->text);
	return -EINVAL;
}

int
cp_cfg_int(const struct cp_cfg *n, const char *key, int64_t min, int64_t max,
    int64_t *out)
{
	const struct cp_cfg *v;
	char *end;
	long long x;

	SCALAR_OR_RETURN(v, n, key, "an integer");
	errno = 0;
	x = strtoll(v->text, &end, 10);
	if (errno || end == v->text || *end != '\0') {
		cp_cfg_error(
		    v, "'%s': expected an integer, found '%s'", key, v->text);
		return -EINVAL;
	}
	if (x < min || x > max) {
		cp_cfg_error(v, "'%s': %lld is out of range %lld..%lld", key, x,
		    (long long)min, (long long)max);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int
cp_cfg_double(const struct cp_cfg *n, const char *key, double *out)
{
	const struct cp_cfg *v;
	char *end;
	double x;

	SCALAR_OR_RETURN(v, n, key, "a number");
	errno = 0;
	x = strtod(v->text, &end);
	if (errno || end == v->text || *end != '\0' || !isfinite(x)) {
		cp_cfg_error(
		    v, "'%s': expected a number, found '%s'", key, v->text);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int
cp_cfg_duration(const struct cp_cfg *n, const char *key, int64_t *ms)
{
	const struct cp_cfg *v;

	SCALAR_OR_RETURN(v, n, key, "a duration");
	if (duration_parse(v->text, ms) < 0) {
		cp_cfg_error(v,
		    "'%s': expected a duration such as 500ms, 10s, 5m, 1h; "
		    "found '%s'",
		    key, v->text);
		return -EINVAL;
	}
	return 0;
}

const struct cp_cfg *
cp_cfg_child(const struct cp_cfg *n, const char *key)
{
	const struct cp_cfg *v = lookup(n, key);

	return v && v->type != CFG_NULL ? v : NULL;
}

size_t
cp_cfg_seq_len(const struct cp_cfg *n)
{
	return n && n->type == CFG_SEQ ? n->n : 0;
}

const struct cp_cfg *
cp_cfg_seq_at(const struct cp_cfg *n, size_t i)
{
	return n && n->type == CFG_SEQ && i < n->n ? n->vals[i] : NULL;
}

size_t
cp_cfg_map_len(const struct cp_cfg *n)
{
	return n && n->type == CFG_MAP ? n->n : 0;
}

const char *
cp_cfg_map_key(const struct cp_cfg *n, size_t i)
{
	if (n == NULL || n->type != CFG_MAP || i >= n->n)
		return NULL;
	((struct cp_cfg *)n)->used[i] = 1;
	return n->keys[i];
}

const struct cp_cfg *
cfg_node_map_keynode(const struct cp_cfg *n, size_t i)
{
	if (n == NULL || n->type != CFG_MAP || i >= n->n || !n->knodes)
		return NULL;
	return n->knodes[i];
}

const struct cp_cfg *
cp_cfg_map_val(const struct cp_cfg *n, size_t i)
{
	if (n == NULL || n->type != CFG_MAP || i >= n->n)
		return NULL;
	((struct cp_cfg *)n)->used[i] = 1;
	return n->vals[i];
}

const char *
cp_cfg_scalar(const struct cp_cfg *n)
{
	return n && n->type == CFG_SCALAR ? n->text : NULL;
}
