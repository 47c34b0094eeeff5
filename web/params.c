// SPDX-License-Identifier: MIT
/*
 * Request parameter validation: every byte of a path or query parameter is
 * checked here before it can name a series, a file or a time range. Names
 * are whitelisted character by character, so nothing a client sends ever
 * becomes a filesystem path on its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "util.h"

static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

int
param_target(const char *s)
{
	size_t n;

	if (s == NULL)
		return -EINVAL;
	n = strlen(s);
	if (n == 0 || n > 128 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!name_char((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != ':')
			return -EINVAL;
	return 0;
}

int
param_metric(const char *s)
{
	size_t n;

	if (s == NULL)
		return -EINVAL;
	n = strlen(s);
	if (n == 0 || n > 128 || (s[0] >= '0' && s[0] <= '9'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!name_char((unsigned char)s[i]))
			return -EINVAL;
	return 0;
}

int
param_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;
	int neg = 0;
	size_t i = 0;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (s[i] == '\0' || strlen(s + i) > 15)
		return -EINVAL;
	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int
param_time(const char *s, int64_t now_s, int64_t *out)
{
	int64_t ms, v;
	const char *rel = NULL;

	if (s == NULL || *s == '\0' || strlen(s) > 32)
		return -EINVAL;
	if (strcmp(s, "now") == 0) {
		*out = now_s;
		return 0;
	}
	if (strncmp(s, "now-", 4) == 0)
		rel = s + 4;
	else if (s[0] == '-')
		rel = s + 1;
	if (rel) {
		/* A bare number would be seconds: require a unit here. */
		size_t n = strlen(rel);

		if (n < 2 || rel[n - 1] < 'a' || rel[n - 1] > 'z' ||
		    rel[0] < '0' || rel[0] > '9')
			return -EINVAL;
		if (duration_parse(rel, &ms) < 0 || ms <= 0 ||
		    ms > 20LL * 366 * 86400 * 1000)
			return -EINVAL;
		*out = now_s - ms / 1000;
		return 0;
	}
	if (param_int(s, 0, 99999999999LL, &v) < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cp_label *)a)->key,
	    ((const struct cp_label *)b)->key);
}

int
param_labels(const char *s, struct cp_label *labels, size_t max, size_t *n,
    char *buf, size_t size)
{
	size_t len, k = 0;
	char *p;

	*n = 0;
	if (s == NULL || *s == '\0')
		return 0;
	len = strlen(s);
	if (len >= size || len > PARAM_MAX_LEN)
		return -EINVAL;
	memcpy(buf, s, len + 1);
	p = buf;
	for (;;) {
		char *comma = strchr(p, ','), *eq;

		if (comma)
			*comma = '\0';
		eq = strchr(p, '=');
		if (eq == NULL || k == max)
			return -EINVAL;
		*eq = '\0';
		if (param_metric(p) < 0 || strchr(eq + 1, '='))
			return -EINVAL;
		for (const char *v = eq + 1; *v; v++)
			if ((unsigned char)*v < 0x20 || *v == 0x7f)
				return -EINVAL;
		labels[k].key = p;
		labels[k++].value = eq + 1;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	qsort(labels, k, sizeof(*labels), label_cmp);
	for (size_t i = 1; i < k; i++)
		if (strcmp(labels[i - 1].key, labels[i].key) == 0)
			return -EINVAL;
	*n = k;
	return 0;
}

int
param_choice(const char *s, const char *const *choices)
{
	if (s == NULL)
		return -EINVAL;
	for (int i = 0; choices[i]; i++)
		if (strcmp(s, choices[i]) == 0)
			return i;
	return -EINVAL;
}

int
param_static_path(const char *s)
{
	size_t n, seg = 0;

	if (s == NULL)
		return -EINVAL;
	n = strlen(s);
	if (n == 0)
		return 0;
	if (n > 255)
		return -EINVAL;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '/' || c == '\0') {
			if (seg == 0)
				return -EINVAL; /* empty segment: "//", "/x" */
			seg = 0;
			continue;
		}
		if (seg == 0 && c == '.')
			return -EINVAL; /* "..", ".git", hidden files */
		if (!name_char((unsigned char)c) && c != '.' && c != '-')
			return -EINVAL;
		seg++;
	}
	return 0;
}

int
param_graph_path(const char *url, char *target, size_t tsize, char *metric,
    size_t msize, int *svg)
{
	static const char pre[] = "/graph/";
	const char *t, *slash, *dot;
	size_t tl, ml;

	if (url == NULL || strncmp(url, pre, sizeof(pre) - 1) != 0)
		return -EINVAL;
	t = url + sizeof(pre) - 1;
	slash = strchr(t, '/');
	if (slash == NULL || strchr(slash + 1, '/'))
		return -EINVAL;
	dot = strrchr(slash + 1, '.');
	if (dot == NULL)
		return -EINVAL;
	if (strcmp(dot, ".png") == 0)
		*svg = 0;
	else if (strcmp(dot, ".svg") == 0)
		*svg = 1;
	else
		return -EINVAL;
	tl = (size_t)(slash - t);
	ml = (size_t)(dot - slash - 1);
	if (tl == 0 || tl >= tsize || ml == 0 || ml >= msize)
		return -EINVAL;
	memcpy(target, t, tl);
	target[tl] = '\0';
	memcpy(metric, slash + 1, ml);
	metric[ml] = '\0';
	if (param_target(target) < 0 || param_metric(metric) < 0)
		return -EINVAL;
	return 0;
}
