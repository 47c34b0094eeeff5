// SPDX-License-Identifier: MIT
/*
 * Collector test harness (see harness.h): the real plugin, the agent's
 * context and config code, a capturing sink, and fixture-case runners
 * shared by the unit tests and the fixture_dump tool.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctx.h"
#include "util.h"

struct harness {
	struct plugin *plugin;
	struct cp_ctx *ctx;
	void *state;
	int configured;
	/* Borrowed by the context: rewritten in place by harness_root(). */
	char procfs[4096];
	char sysfs[4096];
	struct harness_sample *s;
	size_t n, cap;
	struct cfg_errs errs;
	struct cfgdoc *doc;
	char *errtext;
	struct sbuf violations;
};

static void
violation(struct harness *h, const char *metric, const char *what)
{
	if (h->violations.len > 4000)
		return;
	sbuf_printf(&h->violations, "%s: %s\n", metric, what);
}

static int
sink_sample(void *arg, struct cp_ctx *ctx, const struct cp_sample *s)
{
	struct harness *h = arg;
	struct harness_sample *o;
	struct sbuf lb;
	size_t i, n;

	(void)ctx;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->s = xrealloc(h->s, h->cap * sizeof(*h->s));
	}
	o = &h->s[h->n++];
	memset(o, 0, sizeof(*o));
	o->metric = xstrdup(s->metric);
	o->help = s->help ? xstrdup(s->help) : NULL;
	o->kind = s->kind;
	o->value = s->value;
	o->counter = s->counter;
	o->scale = s->scale;
	sbuf_init(&lb);
	sbuf_puts(&lb, "");
	for (i = 0; i < s->nlabels; i++)
		sbuf_printf(&lb, "%s%s=%s", i ? "," : "", s->labels[i].key,
		    s->labels[i].value);
	o->labels = sbuf_steal(&lb, NULL);
	/* The rules every collector sample follows (plugin.h, the brief). */
	if (s->help == NULL || s->help[0] == '\0')
		violation(h, s->metric, "no HELP text");
	n = strlen(s->metric);
	if (s->kind != CP_GAUGE &&
	    (n < 6 || strcmp(s->metric + n - 6, "_total") != 0))
		violation(h, s->metric, "a counter not named *_total");
	if (s->kind == CP_GAUGE && n >= 6 &&
	    strcmp(s->metric + n - 6, "_total") == 0)
		violation(h, s->metric, "a gauge named *_total");
	if (s->kind == CP_GAUGE && !isfinite(s->value))
		violation(h, s->metric, "value not finite");
	if (strcmp(s->target, "harness-host") != 0)
		violation(
		    h, s->metric, "target set (the local host's is NULL)");
	return 0;
}

static void
clear_samples(struct harness *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->s[i].metric);
		free(h->s[i].labels);
		free(h->s[i].help);
	}
	h->n = 0;
}

struct harness *
harness_new(const char *collector, char *err, size_t errlen)
{
	const char *build = getenv("BUILD");
	struct ctx_env env = {0};
	struct ctx_sink sink = {0};
	struct harness *h;
	char path[4096];

	snprintf(path, sizeof(path), "%s/collectors/%s.so",
	    build && *build ? build : "build", collector);
	h = xcalloc(1, sizeof(*h));
	h->plugin = plugin_load(path, err, errlen);
	if (h->plugin == NULL) {
		free(h);
		return NULL;
	}
	cfg_errs_init(&h->errs);
	sbuf_init(&h->violations);
	snprintf(h->procfs, sizeof(h->procfs), "/nonexistent/proc");
	snprintf(h->sysfs, sizeof(h->sysfs), "/nonexistent/sys");
	env.hostname = "harness-host";
	env.procfs = h->procfs;
	env.sysfs = h->sysfs;
	env.data_dir = "/nonexistent";
	sink.sample = sink_sample;
	sink.arg = h;
	h->ctx = ctx_new(h->plugin, NULL, &env, &sink, 1000);
	return h;
}

void
harness_free(struct harness *h)
{
	if (h == NULL)
		return;
	/* stop() is called even when start() was not (plugin.h). */
	if (h->configured)
		h->plugin->desc->stop(h->state);
	clear_samples(h);
	free(h->s);
	ctx_free(h->ctx);
	plugin_free(h->plugin);
	cfgdoc_free(h->doc);
	cfg_errs_fini(&h->errs);
	free(h->errtext);
	sbuf_fini(&h->violations);
	free(h);
}

void
harness_root(struct harness *h, const char *dir)
{
	snprintf(h->procfs, sizeof(h->procfs), "%s/proc", dir);
	snprintf(h->sysfs, sizeof(h->sysfs), "%s/sys", dir);
}

static int
configure_node(struct harness *h, const struct cp_cfg *node)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int rc;

	rc = ctx_configure(h->ctx, node, &h->state);
	h->configured = 1;
	free(h->errtext);
	fp = open_memstream(&buf, &len);
	/* cfg_errs_print() qsorts e->v, which is NULL with no errors. */
	if (fp != NULL) {
		if (h->errs.n > 0)
			cfg_errs_print(&h->errs, fp);
		fclose(fp);
	}
	h->errtext = buf;
	return rc;
}

int
harness_configure(struct harness *h, const char *yaml)
{
	if (yaml == NULL)
		yaml = "{}";
	cfgdoc_free(h->doc);
	h->doc = cfgdoc_parse("test.yaml", yaml, strlen(yaml), &h->errs);
	if (h->doc == NULL)
		return -EINVAL;
	cfgdoc_set_errs(h->doc, &h->errs);
	return configure_node(h, cfgdoc_root(h->doc));
}

const char *
harness_config_errors(const struct harness *h)
{
	return h->errtext ? h->errtext : "";
}

int
harness_start(struct harness *h)
{
	return h->plugin->desc->start(h->ctx, h->state);
}

int
harness_collect(struct harness *h, int64_t now_ms)
{
	clear_samples(h);
	ctx_set_now(h->ctx, now_ms);
	return h->plugin->desc->collect(h->ctx, h->state);
}

size_t
harness_nsamples(const struct harness *h)
{
	return h->n;
}

const struct harness_sample *
harness_sample(const struct harness *h, size_t i)
{
	return i < h->n ? &h->s[i] : NULL;
}

static const struct harness_sample *
find(const struct harness *h, const char *metric, const char *labels)
{
	size_t i;

	if (labels == NULL)
		labels = "";
	for (i = 0; i < h->n; i++)
		if (strcmp(h->s[i].metric, metric) == 0 &&
		    strcmp(h->s[i].labels, labels) == 0)
			return &h->s[i];
	return NULL;
}

int
harness_value(
    const struct harness *h, const char *metric, const char *labels, double *v)
{
	const struct harness_sample *s = find(h, metric, labels);

	if (s == NULL)
		return -ENOENT;
	*v = s->kind == CP_GAUGE ? s->value : (double)s->counter;
	return 0;
}

int
harness_counter(const struct harness *h, const char *metric, const char *labels,
    uint64_t *v)
{
	const struct harness_sample *s = find(h, metric, labels);

	if (s == NULL || s->kind == CP_GAUGE)
		return -ENOENT;
	*v = s->counter;
	return 0;
}

size_t
harness_count(const struct harness *h, const char *metric)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		n += strcmp(h->s[i].metric, metric) == 0;
	return n;
}

uint64_t
harness_errors(const struct harness *h)
{
	return ctx_errors(h->ctx);
}

const char *
harness_violations(const struct harness *h)
{
	return h->violations.len ? h->violations.s : NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
harness_dump(const struct harness *h)
{
	char **lines = xcalloc(h->n + 1, sizeof(char *));
	struct sbuf b, l;
	const char *p, *eq, *comma;
	size_t i;

	for (i = 0; i < h->n; i++) {
		const struct harness_sample *s = &h->s[i];

		sbuf_init(&l);
		sbuf_puts(&l, s->metric);
		if (s->labels[0] != '\0') {
			sbuf_puts(&l, "{");
			for (p = s->labels; *p;) {
				eq = strchr(p, '=');
				comma = strchr(p, ',');
				if (comma == NULL)
					comma = p + strlen(p);
				sbuf_printf(&l, "%s%.*s=\"%.*s\"",
				    p == s->labels ? "" : ",", (int)(eq - p), p,
				    (int)(comma - eq - 1), eq + 1);
				p = *comma ? comma + 1 : comma;
			}
			sbuf_puts(&l, "}");
		}
		/* Byte counts print whole; ratios with 10 digits. */
		if (s->kind == CP_GAUGE && s->value == floor(s->value) &&
		    fabs(s->value) < 9e15)
			sbuf_printf(&l, " %.0f", s->value);
		else if (s->kind == CP_GAUGE)
			sbuf_printf(&l, " %.10g", s->value);
		else
			sbuf_printf(&l, " %" PRIu64, s->counter);
		lines[i] = sbuf_steal(&l, NULL);
	}
	qsort(lines, h->n, sizeof(char *), cmp_str);
	sbuf_init(&b);
	sbuf_puts(&b, "");
	for (i = 0; i < h->n; i++) {
		sbuf_printf(&b, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return sbuf_steal(&b, NULL);
}

const char *
harness_fixtures(void)
{
	const char *f = getenv("FIXTURES");

	return f && *f ? f : "tests/fixtures/host";
}

void
harness_snapshot(struct harness *h, const char *case_name, const char *snap)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s/%s", harness_fixtures(), case_name,
	    snap);
	harness_root(h, path);
}

void
harness_sysfs(struct harness *h, const char *dir)
{
	snprintf(h->sysfs, sizeof(h->sysfs), "%s", dir);
}

struct harness *
harness_run(const char *case_name, const char *collector, const char *yaml,
    int snapshots, char *err, size_t errlen)
{
	const struct cp_cfg *node = NULL;
	struct harness *h;
	char path[2048], *text;
	size_t len;
	int rc;

	h = harness_new(collector, err, errlen);
	if (h == NULL)
		return NULL;
	if (yaml != NULL) {
		rc = harness_configure(h, yaml);
	} else {
		snprintf(path, sizeof(path), "%s/%s/config.yaml",
		    harness_fixtures(), case_name);
		text = file_read(path, 1 << 20, &len);
		if (text != NULL) {
			h->doc = cfgdoc_parse(path, text, len, &h->errs);
			free(text);
			if (h->doc == NULL) {
				snprintf(
				    err, errlen, "%s: does not parse", path);
				goto fail;
			}
			cfgdoc_set_errs(h->doc, &h->errs);
			node = cp_cfg_child(cfgdoc_root(h->doc), collector);
		}
		rc = configure_node(h, node);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: configure failed: %s", collector,
		    harness_config_errors(h));
		goto fail;
	}
	if (harness_start(h) < 0) {
		snprintf(err, errlen, "%s: start failed", collector);
		goto fail;
	}
	harness_snapshot(h, case_name, "t0");
	harness_collect(h, HARNESS_T0_MS);
	if (snapshots > 1) {
		harness_snapshot(h, case_name, "t1");
		harness_collect(h, HARNESS_T0_MS + HARNESS_STEP_MS);
	}
	return h;
fail:
	harness_free(h);
	return NULL;
}

char *
harness_run_case(
    const char *case_name, const char *collector, char *err, size_t errlen)
{
	struct harness *h;
	char *out = NULL;

	h = harness_run(case_name, collector, NULL, 2, err, errlen);
	if (h == NULL)
		return NULL;
	if (harness_violations(h) != NULL)
		snprintf(err, errlen, "%s", harness_violations(h));
	else
		out = harness_dump(h);
	harness_free(h);
	return out;
}

char *
harness_expected(const char *case_name, const char *collector)
{
	char path[4096], head[64], *text, *line, *next, *out;
	size_t len, hl;
	struct sbuf b;
	int in = 0;

	snprintf(path, sizeof(path), "%s/%s/expected.txt", harness_fixtures(),
	    case_name);
	text = file_read(path, 4 << 20, &len);
	if (text == NULL)
		return NULL;
	hl = (size_t)snprintf(head, sizeof(head), "# %s", collector);
	sbuf_init(&b);
	sbuf_puts(&b, "");
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#') {
			in = strncmp(line, head, hl) == 0 &&
			     (line[hl] == '\0' || line[hl] == ' ');
			continue;
		}
		if (in && line[0] != '\0')
			sbuf_printf(&b, "%s\n", line);
	}
	free(text);
	out = sbuf_steal(&b, NULL);
	return out;
}

/* Next line of *p into a NUL-terminated copy in buf; 0 at the end. */
static int
next_line(const char **p, char *buf, size_t size)
{
	const char *e;
	size_t n;

	if (**p == '\0')
		return 0;
	e = strchr(*p, '\n');
	if (e == NULL)
		e = *p + strlen(*p);
	n = (size_t)(e - *p);
	if (n >= size)
		n = size - 1;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p = *e ? e + 1 : e;
	return 1;
}

static int
same_line(const char *a, const char *b)
{
	const char *sa = strrchr(a, ' '), *sb = strrchr(b, ' ');
	char *ea, *eb;
	double x, y;

	if (sa == NULL || sb == NULL || sa - a != sb - b ||
	    strncmp(a, b, (size_t)(sa - a)) != 0)
		return 0;
	if (strcmp(sa, sb) == 0)
		return 1;
	x = strtod(sa + 1, &ea);
	y = strtod(sb + 1, &eb);
	if (*ea || *eb)
		return 0;
	return fabs(x - y) <= 1e-9 * fmax(1.0, fmax(fabs(x), fabs(y)));
}

int
harness_compare(
    const char *expected, const char *actual, char *why, size_t whylen)
{
	char a[1024], b[1024];
	int ha, hb, n = 0;

	for (;;) {
		ha = next_line(&expected, a, sizeof(a));
		hb = next_line(&actual, b, sizeof(b));
		n++;
		if (!ha && !hb)
			return 0;
		if (!ha) {
			snprintf(
			    why, whylen, "line %d: unexpected \"%s\"", n, b);
			return -1;
		}
		if (!hb) {
			snprintf(why, whylen, "line %d: missing \"%s\"", n, a);
			return -1;
		}
		if (!same_line(a, b)) {
			snprintf(why, whylen,
			    "line %d: expected \"%s\", got \"%s\"", n, a, b);
			return -1;
		}
	}
}

int
harness_check_case(
    const char *case_name, const char *collector, char *why, size_t whylen)
{
	char err[2048], *got, *want;
	int rc;

	got = harness_run_case(case_name, collector, err, sizeof(err));
	if (got == NULL) {
		snprintf(why, whylen, "%s/%s: %s", case_name, collector, err);
		return -1;
	}
	want = harness_expected(case_name, collector);
	if (want == NULL) {
		snprintf(why, whylen, "%s: no expected.txt", case_name);
		free(got);
		return -1;
	}
	rc = harness_compare(want, got, err, sizeof(err));
	if (rc < 0)
		snprintf(why, whylen, "%s/expected.txt, # %s: %s", case_name,
		    collector, err);
	free(got);
	free(want);
	return rc;
}

size_t
harness_cases(char names[][128], size_t max)
{
	char path[4096];
	struct dirent **list;
	int i, n;
	size_t k = 0;

	n = scandir(harness_fixtures(), &list, NULL, alphasort);
	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s/t1", harness_fixtures(),
		    list[i]->d_name);
		if (list[i]->d_name[0] != '.' && k < max &&
		    access(path, F_OK) == 0)
			strlcpy_(names[k++], list[i]->d_name, 128);
		free(list[i]);
	}
	free(list);
	return k;
}
