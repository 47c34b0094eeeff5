// SPDX-License-Identifier: MIT
/*
 * YAML to a cp_cfg tree: libfyaml parses, we copy what we need (type, text,
 * file:line:col) into plain nodes and drop the libfyaml document; syntax
 * errors go to the caller's error list. The cp_cfg_* accessors that read
 * this tree are in cfg_node.c.
 */
#include <libfyaml.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfgdoc_priv.h"
#include "config.h"
#include "util.h"

#define CFG_MAX_DEPTH 64
#define CFG_MAX_TEXT (4u << 20)

void
cfg_errs_init(struct cfg_errs *e)
{
	memset(e, 0, sizeof(*e));
}

void
cfg_errs_fini(struct cfg_errs *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

void
cfg_errs_add(struct cfg_errs *e, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list ap;
	struct cp_err *err;

	if (e == NULL)
		return;
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	err = &e->v[e->n++];
	memset(err, 0, sizeof(*err));
	strlcpy_(err->file, file ? file : "", sizeof(err->file));
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static int
err_cmp(const void *a, const void *b)
{
	const struct cp_err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

void
cfg_errs_print(const struct cfg_errs *e, FILE *fp)
{
	char buf[1024];

	/* Stable order by position reads best; qsort is fine (ties rare). */
	if (e->n > 1)
		qsort(e->v, e->n, sizeof(*e->v), err_cmp);
	for (size_t i = 0; i < e->n; i++)
		fprintf(fp, "%s\n", err_format(&e->v[i], buf, sizeof(buf)));
}

static void
node_free(struct cp_cfg *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			free(n->keys[i]);
		if (n->knodes)
			node_free(n->knodes[i]);
		node_free(n->vals[i]);
	}
	free(n->keys);
	free(n->knodes);
	free(n->vals);
	free(n->used);
	free(n->text);
	free(n);
}

static struct cp_cfg *
node_new(struct cfgdoc *d, enum cfg_type t, int line, int col)
{
	struct cp_cfg *n = xcalloc(1, sizeof(*n));

	n->type = t;
	n->doc = d;
	n->line = line;
	n->col = col;
	return n;
}

/* Anchors seen so far, for aliases (deep copies: the tree stays a tree). */
struct anchors {
	char **names;
	struct cp_cfg **nodes;
	size_t n, cap;
};

static struct cp_cfg *
node_copy(const struct cp_cfg *s)
{
	struct cp_cfg *n = node_new(s->doc, s->type, s->line, s->col);

	n->text = s->text ? xstrdup(s->text) : NULL;
	n->n = s->n;
	if (s->n) {
		n->vals = xcalloc(s->n, sizeof(*n->vals));
		for (size_t i = 0; i < s->n; i++)
			n->vals[i] = node_copy(s->vals[i]);
	}
	if (s->type == CFG_MAP && s->n) {
		n->keys = xcalloc(s->n, sizeof(char *));
		n->knodes = xcalloc(s->n, sizeof(*n->knodes));
		n->used = xcalloc(s->n, 1);
		for (size_t i = 0; i < s->n; i++) {
			n->keys[i] = xstrdup(s->keys[i]);
			n->knodes[i] = node_copy(s->knodes[i]);
		}
	}
	return n;
}

static void
anchor_add(struct anchors *a, struct fy_token *t, struct cp_cfg *n)
{
	size_t len;
	const char *s;

	if (t == NULL || (s = fy_token_get_text(t, &len)) == NULL)
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4;
		a->names = xrealloc(a->names, a->cap * sizeof(char *));
		a->nodes = xrealloc(a->nodes, a->cap * sizeof(*a->nodes));
	}
	a->names[a->n] = xstrndup(s, len);
	a->nodes[a->n++] = n;
}

static int
is_null_scalar(struct fy_token *t)
{
	size_t len;
	const char *s;

	if (fy_token_scalar_style(t) != FYSS_PLAIN)
		return 0;
	s = fy_token_get_text(t, &len);
	if (s == NULL || len == 0)
		return 1;
	return (len == 1 && s[0] == '~') ||
	       (len == 4 && (!strncmp(s, "null", 4) || !strncmp(s, "Null", 4) ||
	                        !strncmp(s, "NULL", 4)));
}

/* Appends child to the open container on top of the stack. */
static void
attach(struct cfgdoc *d, struct cp_cfg *parent, struct cp_cfg **pending_key,
    struct cp_cfg *child)
{
	if (parent->type == CFG_SEQ) {
		parent->vals = xrealloc(
		    parent->vals, (parent->n + 1) * sizeof(*parent->vals));
		parent->vals[parent->n++] = child;
		return;
	}
	if (*pending_key == NULL) { /* child is a key */
		if (child->type != CFG_SCALAR && child->type != CFG_NULL)
			cfg_errs_add(d->errs, d->file, child->line, child->col,
			    "a mapping key must be a plain string");
		for (size_t i = 0; i < parent->n; i++) {
			if (child->text &&
			    strcmp(parent->keys[i], child->text) == 0)
				cfg_errs_add(d->errs, d->file, child->line,
				    child->col, "duplicate key '%s'",
				    child->text);
		}
		*pending_key = child;
		return;
	}
	size_t n = parent->n + 1;

	parent->keys = xrealloc(parent->keys, n * sizeof(char *));
	parent->knodes = xrealloc(parent->knodes, n * sizeof(*parent->knodes));
	parent->vals = xrealloc(parent->vals, n * sizeof(*parent->vals));
	parent->used = xrealloc(parent->used, n);
	parent->keys[parent->n] = xstrdup((*pending_key)->text);
	parent->knodes[parent->n] = *pending_key;
	parent->vals[parent->n] = child;
	parent->used[parent->n] = 0;
	parent->n = n;
	*pending_key = NULL;
}

/* Builds the tree from parser events; returns the root or NULL. */
static struct cp_cfg *
build(struct cfgdoc *d, struct fy_parser *fyp)
{
	struct cp_cfg *stack[CFG_MAX_DEPTH + 1];
	struct cp_cfg *keys[CFG_MAX_DEPTH + 1];
	struct anchors an = {0};
	struct cp_cfg *root = NULL;
	struct fy_event *ev;
	int depth = 0, docs = 0, failed = 0;

	while ((ev = fy_parser_parse(fyp)) != NULL) {
		const struct fy_mark *m = fy_event_start_mark(ev);
		int line = m ? m->line + 1 : 0, col = m ? m->column + 1 : 0;
		struct cp_cfg *node = NULL;
		struct fy_token *anchor = NULL;

		switch (ev->type) {
		case FYET_DOCUMENT_START:
			if (++docs > 1 && !failed) {
				cfg_errs_add(d->errs, d->file, line, col,
				    "only one YAML document is allowed");
				failed = 1;
			}
			break;
		case FYET_SCALAR:
			anchor = ev->scalar.anchor;
			if (is_null_scalar(ev->scalar.value)) {
				node = node_new(d, CFG_NULL, line, col);
			} else {
				size_t len;
				const char *s =
				    fy_token_get_text(ev->scalar.value, &len);

				node = node_new(d, CFG_SCALAR, line, col);
				node->text = xstrndup(s ? s : "", s ? len : 0);
			}
			break;
		case FYET_ALIAS: {
			size_t len;
			const char *s =
			    fy_token_get_text(ev->alias.anchor, &len);
			size_t i;

			for (i = an.n; i-- > 0;)
				if (s && strlen(an.names[i]) == len &&
				    !memcmp(an.names[i], s, len))
					break;
			if (i == (size_t)-1) {
				cfg_errs_add(d->errs, d->file, line, col,
				    "unknown alias '%.*s'", (int)len,
				    s ? s : "");
				node = node_new(d, CFG_NULL, line, col);
			} else {
				node = node_copy(an.nodes[i]);
				node->line = line;
				node->col = col;
			}
			break;
		}
		case FYET_MAPPING_START:
		case FYET_SEQUENCE_START:
			if (depth >= CFG_MAX_DEPTH) {
				cfg_errs_add(d->errs, d->file, line, col,
				    "nesting deeper than %d levels",
				    CFG_MAX_DEPTH);
				failed = 1;
				break;
			}
			node = node_new(d,
			    ev->type == FYET_MAPPING_START ? CFG_MAP : CFG_SEQ,
			    line, col);
			anchor = ev->type == FYET_MAPPING_START
			             ? ev->mapping_start.anchor
			             : ev->sequence_start.anchor;
			break;
		case FYET_MAPPING_END:
		case FYET_SEQUENCE_END:
			if (depth > 0) {
				node = stack[--depth];
				node_free(keys[depth]);
				keys[depth] = NULL;
				if (depth > 0)
					attach(d, stack[depth - 1],
					    &keys[depth - 1], node);
				else if (root == NULL)
					root = node;
				else
					node_free(node);
			}
			node = NULL;
			break;
		default:
			break;
		}
		if (node) {
			anchor_add(&an, anchor, node);
			if (node->type == CFG_MAP || node->type == CFG_SEQ) {
				keys[depth] = NULL;
				stack[depth++] = node;
			} else if (depth > 0) {
				attach(d, stack[depth - 1], &keys[depth - 1],
				    node);
			} else if (root == NULL) {
				root = node;
			} else {
				node_free(node);
			}
		}
		fy_parser_event_free(fyp, ev);
		if (failed)
			break;
	}
	/* On an error the stack may hold unattached containers. */
	while (depth > 0) {
		struct cp_cfg *n = stack[--depth];

		node_free(keys[depth]); /* a key still waiting for its value */
		keys[depth] = NULL;

		if (depth > 0)
			attach(d, stack[depth - 1], &keys[depth - 1], n);
		else if (root == NULL)
			root = n;
		else
			node_free(n);
	}
	for (size_t i = 0; i < an.n; i++)
		free(an.names[i]);
	free(an.names);
	free(an.nodes);
	return root;
}

static void
diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

/*
 * A config is UTF-8 text. Anything else (NUL, control bytes, invalid
 * sequences) is rejected before libfyaml sees it: it is always a mistake
 * (a binary file, a wrong encoding), and libfyaml 0.7 can spin on some
 * invalid sequences inside directives. Returns 0 or fills line/col.
 */
static int
text_check(
    const unsigned char *p, size_t len, int *line, int *col, const char **what)
{
	int l = 1, c = 1;

	for (size_t i = 0; i < len;) {
		unsigned char b = p[i];
		size_t n = 1;

		if (b == '\n') {
			l++;
			c = 1;
			i++;
			continue;
		}
		if (b < 0x20 && b != '\t' && b != '\r') {
			*what = "a control character";
			goto bad;
		}
		if (b >= 0x80) {
			uint32_t cp;

			if (b >= 0xc2 && b <= 0xdf)
				n = 2, cp = b & 0x1f;
			else if (b >= 0xe0 && b <= 0xef)
				n = 3, cp = b & 0x0f;
			else if (b >= 0xf0 && b <= 0xf4)
				n = 4, cp = b & 0x07;
			else
				goto utf8;
			if (i + n > len)
				goto utf8;
			for (size_t k = 1; k < n; k++) {
				if ((p[i + k] & 0xc0) != 0x80)
					goto utf8;
				cp = (cp << 6) | (p[i + k] & 0x3f);
			}
			if ((n == 3 && cp < 0x800) ||
			    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				goto utf8;
		}
		i += n;
		c++;
	}
	return 0;
utf8:
	*what = "invalid UTF-8";
bad:
	*line = l;
	*col = c;
	return -1;
}

struct cfgdoc *
cfgdoc_parse(
    const char *file, const char *text, size_t len, struct cfg_errs *errs)
{
	int bline, bcol;
	const char *what;

	if (len <= CFG_MAX_TEXT && text_check((const unsigned char *)text, len,
	                               &bline, &bcol, &what) < 0) {
		cfg_errs_add(errs, file, bline, bcol,
		    "%s: a config must be UTF-8 text", what);
		return NULL;
	}
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg pcfg;
	struct fy_diag *diag;
	struct fy_parser *fyp;
	struct cfgdoc *d;
	size_t nerr = errs ? errs->n : 0;

	if (len > CFG_MAX_TEXT) {
		cfg_errs_add(errs, file, 0, 0, "file larger than %u bytes",
		    CFG_MAX_TEXT);
		return NULL;
	}
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_discard;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (diag == NULL) {
		cfg_errs_add(errs, file, 0, 0, "cannot create YAML parser");
		return NULL;
	}
	fy_diag_set_collect_errors(diag, true);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET;
	pcfg.diag = diag;
	fyp = fy_parser_create(&pcfg);
	if (fyp == NULL || fy_parser_set_string(fyp, text, len) != 0) {
		cfg_errs_add(errs, file, 0, 0, "cannot create YAML parser");
		fy_parser_destroy(fyp);
		fy_diag_destroy(diag);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->file = xstrdup(file);
	d->errs = errs;
	d->root = build(d, fyp);
	if (fy_parser_get_stream_error(fyp)) {
		void *it = NULL;
		struct fy_diag_error *de;
		size_t before = errs ? errs->n : 0;

		while ((de = fy_diag_errors_iterate(diag, &it)) != NULL) {
			int line = de->line + 1, col = de->column + 1, el, ec;
			int past, il, ic;
			const char *where = "";

			if (de->type < FYET_ERROR)
				continue;
			/*
			 * libfyaml says where it stopped: the line after a
			 * tab indent, past the end for what is never closed.
			 * Point at the cause instead.
			 */
			cfgpos_end(text, len, &el, &ec);
			past = line > el || (line == el && col >= ec);
			if (de->msg && strstr(de->msg, "tab") &&
			    cfgpos_indent_tab(text, len, &line, &col)) {
				where = " (YAML indents with spaces only)";
			} else if ((past ||
			               (de->msg &&
			                   (strstr(de->msg, "without") ||
			                       strstr(de->msg, "missing "
			                                       "comma")))) &&
			           cfgpos_unclosed(text, len, &line, &col)) {
				where = " (it opens here)";
			} else if ((past ||
			               (de->msg &&
			                   (strstr(de->msg, "indent") ||
			                       strstr(de->msg, "indend") ||
			                       strstr(de->msg, "multiline") ||
			                       strstr(de->msg, "did not find "
			                                       "expected")))) &&
			           cfgpos_bad_indent(text, len, &il, &ic) &&
			           (il < line || (il == line && ic <= col))) {
				line = il;
				col = ic;
				where = " (this line's indentation)";
			} else if (past) {
				line = el;
				col = ec;
				where = " (at the end of the file)";
			}
			cfg_errs_add(errs, file, line, col,
			    "YAML syntax error: %s%s", de->msg, where);
			break; /* the first is the cause; the rest follow */
		}
		if (errs && errs->n == before)
			cfg_errs_add(errs, file, 0, 0, "YAML syntax error");
	}
	fy_parser_destroy(fyp);
	fy_diag_destroy(diag);
	if (errs && errs->n > nerr) {
		cfgdoc_free(d);
		return NULL;
	}
	if (d->root == NULL || d->root->type == CFG_NULL) {
		node_free(d->root);
		d->root = node_new(d, CFG_MAP, 1, 1);
	}
	return d;
}

void
cfgdoc_free(struct cfgdoc *d)
{
	if (d == NULL)
		return;
	node_free(d->root);
	free(d->file);
	free(d);
}

const struct cp_cfg *
cfgdoc_root(const struct cfgdoc *d)
{
	return d->root;
}

void
cfgdoc_set_errs(struct cfgdoc *d, struct cfg_errs *errs)
{
	d->errs = errs;
}
